"""``python -m benchmarks.before_after --old DIR``: the headline speeds of two checkouts, alternated.

A change's cost is only visible beside the code before it, measured in the same minutes on the
same machine: the shared machines this runs on drift by 30% or more between runs. This command
measures the checkout ``--old`` (e.g. ``git worktree add /tmp/old <commit>``) and this one in
turns, each in a fresh process with the same interpreter, ``--rounds`` times, and prints every
round: single-env steps/s through ``gym.make`` (grid, random actions, resets included), the
median reset time, the native vector env's steps/s at 1,024 envs (grid and egocentric, fresh
arrays) and at 1 and 64 envs (grid), and MiniGrid-Empty-16x16's steps/s from the same process
(with the ``bench`` extra).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

PROBE = r"""
import gc, json, statistics, sys, time
import numpy as np
import gymnasium as gym
import daedalus_gym

def best(run, repeats=3):
    out = 0.0
    for _ in range(repeats):
        gc.collect(); gc.disable()
        start = time.perf_counter(); units = run(); elapsed = time.perf_counter() - start
        gc.enable()
        out = max(out, units / elapsed)
    return out

env = gym.make("Daedalus-Backtracker-v0", obs_mode="grid")
env.reset(seed=0)
actions = np.random.default_rng(0).integers(0, 4, 100_000).tolist()

def single():
    for a in actions:
        _, _, terminated, truncated, _ = env.step(a)
        if terminated or truncated:
            env.reset()
    return len(actions)

result = {"tree": daedalus_gym.__file__, "single_steps_per_s": best(single)}
times = []
for _ in range(2000):
    start = time.perf_counter(); env.reset(); times.append(time.perf_counter() - start)
result["reset_ms"] = 1e3 * statistics.median(times)
for mode in ("grid", "egocentric"):
    envs = gym.make_vec("Daedalus-Backtracker-v0", num_envs=1024, obs_mode=mode)
    envs.reset(seed=0)
    block = np.random.default_rng(0).integers(0, 4, (64, 1024))

    def vector():
        for i in range(300):
            envs.step(block[i & 63])
        return 300 * 1024

    result[f"vector_{mode}_steps_per_s"] = best(vector)
for n in (1, 64):  # where numpy's per-call cost, not the arithmetic, makes a step
    envs = gym.make_vec("Daedalus-Backtracker-v0", num_envs=n)
    envs.reset(seed=0)
    block = np.random.default_rng(0).integers(0, 4, (3000, n))

    def small():
        for a in block:
            envs.step(a)
        return block.size

    result[f"vector_grid_x{n}_steps_per_s"] = best(small)
try:
    import minigrid  # noqa: F401
except ImportError:
    result["minigrid_steps_per_s"] = None
else:
    peer = gym.make("MiniGrid-Empty-16x16-v0")
    peer.reset(seed=0)

    def minigrid_steps():
        for a in actions[:20_000]:
            _, _, terminated, truncated, _ = peer.step(a % 3)
            if terminated or truncated:
                peer.reset()
        return 20_000

    result["minigrid_steps_per_s"] = best(minigrid_steps)
print(json.dumps(result))
"""


def measure(tree: Path) -> dict:
    """One fresh process importing ``daedalus_gym`` from ``tree``."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=tree, env=env, capture_output=True, text=True, check=True
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    if not Path(result["tree"]).resolve().is_relative_to(tree.resolve()):
        raise RuntimeError(f"{tree} imported daedalus_gym from {result['tree']}; is another copy installed?")
    return result


def row(label: str, r: dict) -> str:
    peer = r["minigrid_steps_per_s"]
    ratio = f"{r['single_steps_per_s'] / peer:.1f}x" if peer else "n/a"
    return (
        f"| {label} | {r['single_steps_per_s']:,.0f} | {ratio} | {r['reset_ms']:.3f} "
        f"| {r['vector_grid_steps_per_s'] / 1e6:.2f} M | {r['vector_egocentric_steps_per_s'] / 1e6:.2f} M "
        f"| {r['vector_grid_x1_steps_per_s']:,.0f} | {r['vector_grid_x64_steps_per_s'] / 1e6:.2f} M |"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.before_after",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--old", required=True, help="checkout of the code to compare against")
    parser.add_argument("--rounds", type=int, default=2, help="alternations of old and new (>= 1)")
    args = parser.parse_args(argv)
    old, new = Path(args.old), Path(__file__).resolve().parent.parent
    if not (old / "daedalus_gym" / "__init__.py").is_file():
        print(
            f"python -m benchmarks.before_after: error: --old {args.old!r} holds no daedalus_gym",
            file=sys.stderr,
        )
        return 2
    if args.rounds < 1:
        print(
            f"python -m benchmarks.before_after: error: --rounds must be >= 1, got {args.rounds}",
            file=sys.stderr,
        )
        return 2
    header = [
        "code",
        "single env steps/s",
        "vs MiniGrid",
        "reset ms",
        "vector grid x1,024",
        "egocentric x1,024",
        "vector grid x1",
        "vector grid x64",
    ]
    print("| " + " | ".join(header) + " |")
    print("|---|" + "---:|" * (len(header) - 1))
    for _ in range(args.rounds):
        print(row(f"before ({old})", measure(old)), flush=True)
        print(row("after (this checkout)", measure(new)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
