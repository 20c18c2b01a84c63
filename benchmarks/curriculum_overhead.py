"""``python -m benchmarks.curriculum_overhead``: what a curriculum costs per env step.

A curriculum must not slow the env it feeds. This measures, on the native vector env (14x14
backtracker mazes, egocentric view, random actions), two things per env step:

- the env's own step: ``step()`` with its built-in autoreset from its own maze pool, the way the
  env runs without any curriculum (mazes generated, checked and served included), timed over
  whole episodes of random actions (each times out after ``4 h w`` steps); the stepping alone,
  without any reset, is printed beside it;
- the curriculum's overhead: the sampler's ``next_levels`` and ``update`` (level generation,
  buffer bookkeeping, edits) plus loading the levels it hands out into the env
  (``reset(options={"level": [...]})`` at the start of a rollout and whenever an episode ends,
  so that every env replays its level).

Each sampler runs ``--repeats`` times (the median run is shown, every run's overhead beside it):
``--rollouts`` rollouts of ``--rollout-steps`` steps over ``--num-envs`` envs
(PLR and ACCEL with their published buffer of 4,000 levels, so they reach their replay phase);
the statistics a trainer would compute are replaced by random numbers of the right shape, since
computing them is the learner's work, not the curriculum's. Prints a table: microseconds per
env step for each part and the overhead as a share of the env's own step.
"""

from __future__ import annotations

import argparse
import gc
import time
from collections.abc import Sequence

import numpy as np

from daedalus_gym.curriculum import RolloutStats, make_sampler
from daedalus_gym.vector_env import MazeVectorEnv
from generators import MazeArrays, make_generator

SAMPLERS = ("dr", "plr", "accel")


def env_step_cost(num_envs: int, size: int) -> tuple[float, float]:
    """Seconds per env step of the env alone, best of three: ``(stepping only, with autoreset)``.

    "With autoreset" steps ``pool_size`` whole time limits, starting half an episode in: every
    episode of random actions times out ``pool_size`` times, so every env draws, checks and loads
    ``pool_size`` new mazes and its maze pool is refilled once (the env's batched generation) --
    the cost of the env running without any curriculum. "Stepping only" times the first half of an
    episode, where no env resets.
    """
    envs = MazeVectorEnv(num_envs, generator_kwargs={"size": size}, obs_mode="egocentric")
    limit = envs.max_episode_steps
    window = envs.pool_size * limit
    actions = np.random.default_rng(0).integers(0, 4, (window, num_envs))
    stepping = with_reset = np.inf
    for round_ in range(3):
        envs.reset(seed=round_)
        t0 = time.perf_counter()
        for a in actions[: limit // 2]:
            envs.step(a)
        stepping = min(stepping, (time.perf_counter() - t0) / (limit // 2 * num_envs))
        t0 = time.perf_counter()
        for a in actions:
            envs.step(a)
        with_reset = min(with_reset, (time.perf_counter() - t0) / (window * num_envs))
    envs.close()
    return stepping, with_reset


def curriculum_cost(name: str, num_envs: int, steps: int, rollouts: int, size: int) -> dict[str, float]:
    """Seconds per env step spent in the sampler and in loading its levels, and the env's steps."""
    rng = np.random.default_rng(0)
    sampler = make_sampler(name, make_generator("backtracker", size=size), np.random.default_rng(0))
    envs = MazeVectorEnv(num_envs, generator_kwargs={"size": size}, obs_mode="egocentric")
    envs.reset(seed=0)
    sampling = loading = stepping = 0.0
    kinds: dict[str, int] = {}
    for _ in range(rollouts):
        t0 = time.perf_counter()
        assignment = sampler.next_levels(num_envs)
        sampling += time.perf_counter() - t0
        kinds[assignment.kind] = kinds.get(assignment.kind, 0) + 1
        levels = MazeArrays.of(assignment.mazes)
        t0 = time.perf_counter()
        envs.reset(options={"level": levels})
        loading += time.perf_counter() - t0
        solved = np.zeros(num_envs, dtype=np.int64)
        episodes = np.zeros(num_envs, dtype=np.int64)
        for _ in range(steps):
            t0 = time.perf_counter()
            _, _, terminated, truncated, _ = envs.step(rng.integers(0, 4, num_envs))
            stepping += time.perf_counter() - t0
            done = terminated | truncated
            if done.any():
                ended = np.flatnonzero(done)
                solved[ended] += terminated[ended]
                episodes[ended] += 1
                t0 = time.perf_counter()
                envs.reset(options={"reset_mask": done, "level": levels.take(ended)})
                loading += time.perf_counter() - t0
        stats = RolloutStats(
            positive_value_loss=rng.random(num_envs),
            mean_value=rng.random(num_envs),
            max_return=np.where(solved > 0, rng.random(num_envs), np.nan),
            solved=solved,
            episodes=episodes,
        )
        t0 = time.perf_counter()
        sampler.update(assignment, stats)
        sampling += time.perf_counter() - t0
    envs.close()
    total = rollouts * steps * num_envs
    return {
        "sampler": sampling / total,
        "loading": loading / total,
        "stepping": stepping / total,
        "kinds": kinds,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.curriculum_overhead",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--num-envs", type=int, default=1024, help="envs stepped together")
    parser.add_argument(
        "--rollout-steps", type=int, default=512, help="steps per rollout, as the trainer's default"
    )
    parser.add_argument("--rollouts", type=int, default=12, help="rollouts per sampler")
    parser.add_argument("--size", type=int, default=14, help="cells a side")
    parser.add_argument(
        "--repeats", type=int, default=3, help="runs per sampler; the table shows the median run's overhead"
    )
    args = parser.parse_args(argv)
    for flag in ("num_envs", "rollout_steps", "rollouts", "size", "repeats"):
        if getattr(args, flag) < 1:
            parser.error(f"--{flag.replace('_', '-')} must be >= 1, got {getattr(args, flag)}")
    stepping, base = env_step_cost(args.num_envs, args.size)
    print(
        f"{args.num_envs} envs, {args.size}x{args.size} backtracker, egocentric, random actions; "
        f"{args.rollouts} rollouts of {args.rollout_steps} steps per sampler"
    )
    print(
        f"env's own step: {base * 1e6:.3f} us per env step with its own autoreset (random actions "
        f"time out every {args.size * args.size * 4} steps; the env then serves a new maze from its "
        f"pool), {stepping * 1e6:.3f} us stepping only\n"
    )
    print(
        "| sampler | rollouts by kind | sampler us/step | level loading us/step "
        "| overhead vs env step (each run) |"
    )
    print("|---|---|--:|--:|--:|")
    for name in SAMPLERS:
        runs = []
        for _ in range(args.repeats):
            gc.collect()  # each run starts without the garbage of the one before, as in its own process
            runs.append(curriculum_cost(name, args.num_envs, args.rollout_steps, args.rollouts, args.size))
        runs.sort(key=lambda run: run["sampler"] + run["loading"])
        cost = runs[len(runs) // 2]
        overheads = [(run["sampler"] + run["loading"]) / base for run in runs]
        kinds = ", ".join(f"{k} {v}" for k, v in sorted(cost["kinds"].items()))
        spread = ", ".join(f"{o:.1%}" for o in overheads)
        print(
            f"| {name} | {kinds} | {cost['sampler'] * 1e6:.3f} | {cost['loading'] * 1e6:.3f} "
            f"| {overheads[len(runs) // 2]:.1%} ({spread}) |",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
