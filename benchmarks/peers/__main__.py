"""``python -m benchmarks.peers [--quick] [--out DIR]``: Daedalus-Gym against the suites it is compared with.

Env-steps/s with random actions and autoreset at 1 to 4,096 envs for Daedalus-Gym's native
vector env (grid and egocentric observations) and single env, PufferLib's Grid, NAVIX,
XLand-MiniGrid and Jumanji's Maze (JAX on the CPU, compile time apart) and MiniGrid in
gymnasium's SyncVectorEnv; then PPO training throughput. Every env count runs all suites in
turn, so the ratios are taken in the same minutes. A full run takes about 10 minutes on two cores.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from typing import Any

from benchmarks import distinct_or_exit

NUM_ENVS = (1, 4, 16, 64, 256, 1024, 4096)


def build_parser() -> argparse.ArgumentParser:
    from benchmarks.peers.ppo import RUNS
    from benchmarks.peers.suites import SUITES
    from daedalus_gym.commands import float_range, positive_int

    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.peers",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--out", default="bench-peers", help="directory for peers.md/.json/.png")
    parser.add_argument("--quick", action="store_true", help="1, 64 and 1,024 envs, short windows, short PPO")
    parser.add_argument(
        "--num-envs",
        type=positive_int,
        nargs="+",
        help=f"env counts (default {list(NUM_ENVS)}; with --quick: [1, 64, 1024])",
    )
    parser.add_argument(
        "--seconds",
        type=float_range(0.0, low_open=True),
        help="timed seconds per suite and env count (default 1.5; with --quick: 0.4)",
    )
    parser.add_argument("--suites", nargs="+", choices=list(SUITES), help="suites to run (default all)")
    parser.add_argument("--ppo", nargs="*", choices=list(RUNS), help="PPO runs (default all; none: skip)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    for flag, values in (("--num-envs", args.num_envs), ("--suites", args.suites), ("--ppo", args.ppo)):
        distinct_or_exit(parser, flag, values)
    # Before jax is imported: one XLA thread, as numpy, the C env and torch (set below) use one.
    os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    from daedalus_gym.commands import check_writable

    try:
        check_writable(args.out, "--out", directory=True)
    except (ValueError, OSError) as err:
        print(f"python -m benchmarks.peers: error: {err}", file=sys.stderr)
        return 2
    import torch

    torch.set_num_threads(1)

    from benchmarks.peers import report
    from benchmarks.peers.ppo import RUNS
    from benchmarks.peers.suites import SUITES, SuiteMissing, versions
    from benchmarks.speed.measure import machine

    num_envs = tuple(args.num_envs or ((1, 64, 1024) if args.quick else NUM_ENVS))
    seconds = args.seconds or (0.4 if args.quick else 1.5)
    names = args.suites or list(SUITES)
    ppo_names = list(RUNS) if args.ppo is None else args.ppo

    def say(message: str) -> None:
        print(f"... {message}", file=sys.stderr, flush=True)

    results: dict[str, Any] = {
        "machine": machine(),
        "versions": versions(),
        "num_envs": list(num_envs),
        "seconds": seconds,
        "suites": {name: {"label": SUITES[name][0], "runs": {}} for name in names},
    }
    start = time.perf_counter()
    for n in num_envs:  # every suite at one env count, then the next: ratios from the same minutes
        for name in names:
            label, run, only = SUITES[name]
            entry = results["suites"][name]
            if "skipped" in entry or (only is not None and n not in only):
                continue
            try:
                entry["runs"][str(n)] = run(n, seconds)
            except SuiteMissing as err:
                entry["skipped"] = str(err)
                say(f"{label}: skipped, {err}")
                continue
            figure = entry["runs"][str(n)]
            extra = f", compile {figure['compile_s']:.1f} s" if "compile_s" in figure else ""
            say(f"{label}, {n:,} envs: {figure['steps_per_s']:,.0f} steps/s{extra}")
    if ppo_names:
        results["ppo"] = {}
        for name in ppo_names:
            label, run = RUNS[name]
            try:
                results["ppo"][name] = run(args.quick)
            except SuiteMissing as err:
                results["ppo"][name] = {"skipped": str(err)}
                say(f"{label}: skipped, {err}")
                continue
            say(f"{label}: {results['ppo'][name]['steps_per_s']:,.0f} env-steps/s")
    results["wall_s"] = time.perf_counter() - start

    print(report.markdown(results), end="")
    try:
        paths = report.write(results, args.out)
    except ImportError as err:
        print(f"plot skipped: {err}", file=sys.stderr)
        return 0
    print("\nwrote " + ", ".join(str(p) for p in paths.values()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
