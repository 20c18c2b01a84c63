"""``python -m benchmarks.soak``: resident memory over long runs of the single and the vector env.

Each run steps one id with random actions (autoreset) and samples the process's resident set
size (RSS, from ``/proc/self/statm``) at regular points. Every run starts in a fresh process, so
one run's memory does not hide in the next. The table reports the RSS after warm-up (the first
10% of the steps: the JIT, the model and the maze pool are loaded by then), at the end, the
peak, and the growth from warm-up to the end. ``--malloc-trim`` asks glibc to hand freed heap
pages back to the system at every sample, which tells memory still in use apart from memory the
allocator merely keeps for reuse.

A full run (the default budgets: 10^6 single-env steps and 10^8 vector env-steps per id) takes
about three minutes on two cores; ``--quick`` takes well under one.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import json
import multiprocessing
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from benchmarks import writable_or_exit
from daedalus_gym.commands import comma_list, non_negative_int, positive_int, seed_int

DEFAULT_IDS = ("Daedalus-Backtracker-v0", "Daedalus-VAE-v0")
WARMUP_FRACTION = 0.1
SAMPLES = 40
NUM_ENVS = 64  # sub-envs of the vector env when --num-envs is not given


@dataclass(frozen=True)
class SoakResult:
    env_id: str
    kind: str  # "single" or "vector"
    num_envs: int
    env_steps: int
    seconds: float
    rss_mb: list[float]  # one sample per checkpoint, the first right after the first reset
    steps_at: list[int]
    warm_mb: float
    end_mb: float
    peak_mb: float
    growth_pct: float  # (end - warm) / warm


def rss_mb() -> float:
    """The resident set size of this process in MiB (Linux)."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * 4096 / 2**20


def _trim() -> None:
    with contextlib.suppress(OSError):  # not glibc: nothing to trim
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def _summarise(env_id, kind, num_envs, steps_at, samples, seconds) -> SoakResult:
    total = steps_at[-1]
    warm_index = next(i for i, s in enumerate(steps_at) if s >= WARMUP_FRACTION * total)
    warm, end = samples[warm_index], samples[-1]
    return SoakResult(
        env_id=env_id,
        kind=kind,
        num_envs=num_envs,
        env_steps=total,
        seconds=round(seconds, 1),
        rss_mb=[round(v, 1) for v in samples],
        steps_at=steps_at,
        warm_mb=round(warm, 1),
        end_mb=round(end, 1),
        peak_mb=round(max(samples), 1),
        growth_pct=round(100 * (end - warm) / warm, 1),
    )


def soak_single(env_id: str, steps: int, seed: int, trim: bool) -> SoakResult:
    """``steps`` random steps of ``gym.make(env_id, obs_mode="grid")``, resetting at each episode end."""
    import gymnasium as gym

    import daedalus_gym  # noqa: F401 -- registers the ids

    env = gym.make(env_id, obs_mode="grid")
    env.reset(seed=seed)
    actions = np.random.default_rng(seed).integers(0, 4, 65536).tolist()
    every = max(1, steps // SAMPLES)
    steps_at, samples = [0], [rss_mb()]
    start = time.perf_counter()
    for t in range(1, steps + 1):
        _, _, terminated, truncated, _ = env.step(actions[t & 65535])
        if terminated or truncated:
            env.reset()
        if t % every == 0:
            if trim:
                _trim()
            steps_at.append(t)
            samples.append(rss_mb())
    seconds = time.perf_counter() - start
    env.close()
    return _summarise(env_id, "single", 1, steps_at, samples, seconds)


def soak_vector(env_id: str, env_steps: int, num_envs: int, seed: int, trim: bool) -> SoakResult:
    """``env_steps`` random env-steps of ``gym.make_vec(env_id, num_envs, obs_mode="grid")``, its
    native autoreset."""
    import gymnasium as gym

    import daedalus_gym  # noqa: F401 -- registers the ids

    envs = gym.make_vec(env_id, num_envs=num_envs, obs_mode="grid")
    envs.reset(seed=seed)
    block = np.random.default_rng(seed).integers(0, 4, (256, num_envs))
    calls = max(1, env_steps // num_envs)
    every = max(1, calls // SAMPLES)
    steps_at, samples = [0], [rss_mb()]
    start = time.perf_counter()
    for t in range(1, calls + 1):
        envs.step(block[t & 255])
        if t % every == 0:
            if trim:
                _trim()
            steps_at.append(t * num_envs)
            samples.append(rss_mb())
    seconds = time.perf_counter() - start
    envs.close()
    return _summarise(env_id, "vector", num_envs, steps_at, samples, seconds)


def _run(job: tuple) -> dict:
    kind, env_id, budget, num_envs, seed, trim = job
    if kind == "single":
        return asdict(soak_single(env_id, budget, seed, trim))
    return asdict(soak_vector(env_id, budget, num_envs, seed, trim))


def table(results: Sequence[dict]) -> str:
    lines = [
        "| id | env | env-steps | wall s | RSS after warm-up MiB | RSS at end MiB | peak MiB | growth |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        env = "single" if r["kind"] == "single" else f"vector x{r['num_envs']}"
        lines.append(
            f"| {r['env_id']} | {env} | {r['env_steps']:,} | {r['seconds']:.0f} | {r['warm_mb']:.0f} "
            f"| {r['end_mb']:.0f} | {r['peak_mb']:.0f} | {r['growth_pct']:+.1f}% |"
        )
    return "\n".join(lines) + "\n"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.soak",
        description=__doc__,
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--ids", type=comma_list(), default=",".join(DEFAULT_IDS), help="comma-separated env ids"
    )
    parser.add_argument(
        "--single-steps",
        type=non_negative_int,
        default=10**6,
        help="steps of the single env per id (0: none)",
    )
    parser.add_argument(
        "--vector-steps",
        type=non_negative_int,
        default=10**8,
        help="env-steps of the vector env per id (0: none)",
    )
    parser.add_argument(
        "--num-envs",
        type=positive_int,
        default=None,
        help=f"sub-envs of the vector env, only with --vector-steps above 0 (None: {NUM_ENVS})",
    )
    parser.add_argument("--seed", type=seed_int, default=0, help="reset seed and action seed")
    parser.add_argument("--malloc-trim", action="store_true", help="malloc_trim(0) at every sample")
    parser.add_argument("--quick", action="store_true", help="1/100 of the budgets (a smoke run)")
    parser.add_argument("--json", default=None, help="also write the samples to this JSON file")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.single_steps and not args.vector_steps:
        parser.error("--single-steps and --vector-steps are both 0: nothing to measure")
    if args.num_envs is not None and not args.vector_steps:  # no vector env is made
        parser.error(f"--num-envs {args.num_envs} needs --vector-steps above 0, got --vector-steps 0")
    num_envs = NUM_ENVS if args.num_envs is None else args.num_envs
    writable_or_exit(parser, args.json, "--json")
    import gymnasium as gym

    import daedalus_gym  # noqa: F401 -- registers the ids

    for env_id in args.ids:
        if env_id not in gym.registry:
            parser.error(f"--ids: unknown env id {env_id!r}")
    scale = 100 if args.quick else 1
    jobs = []
    for env_id in args.ids:
        if args.single_steps:
            jobs.append(("single", env_id, args.single_steps // scale, 1, args.seed, args.malloc_trim))
        if args.vector_steps:
            jobs.append(("vector", env_id, args.vector_steps // scale, num_envs, args.seed, args.malloc_trim))
    results = []
    # A fresh process per run ("spawn": nothing inherited), one at a time so runs do not compete.
    context = multiprocessing.get_context("spawn")
    for job in jobs:
        print(f"... {job[0]} {job[1]} {job[2]:,} env-steps", file=sys.stderr, flush=True)
        with context.Pool(1) as pool:
            results.append(pool.apply(_run, (job,)))
    print(table(results), end="")
    if args.json is not None:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
