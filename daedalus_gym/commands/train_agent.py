"""Train a learning agent on an env's training levels, save it, and evaluate it on held-out levels.

    daedalus-gym train-agent ppo --env Daedalus-Backtracker-7x7-v0 --steps 2000000 --seed 0 \\
        --out models/ppo-backtracker-7x7.zip

PPO (stable-baselines3, `daedalus_gym.agents.train_ppo`) with an MLP on the egocentric window
plus the previous action (`daedalus_gym.wrappers.LastActionObs`): a memoryless policy that can
learn to follow walls, and that sees any maze size the same way. Training plays the Procgen-style levels
``[--start-level, --start-level + --num-levels)``; the goal reward is topped up with a small
bonus for each newly visited square (`daedalus_gym.wrappers.NoveltyBonus`), without which PPO
never sees a success to learn from. Evaluation plays ``--eval-episodes`` held-out mazes (outside
the training seeds and hashes) with the plain reward. The saved model names the agent
``ppo:FILE`` in ``daedalus-gym bench``.
"""

from __future__ import annotations

import argparse
from dataclasses import asdict
from pathlib import Path

from daedalus_gym.commands import (
    check_writable,
    comma_list,
    float_range,
    non_negative_int,
    positive_int,
    seed_int,
)

ALGOS = ("ppo",)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("algo", choices=ALGOS, help="learning algorithm")
    parser.add_argument("--env", required=True, help="registered env id to train on")
    parser.add_argument("--steps", type=positive_int, default=2_000_000, help="environment steps")
    parser.add_argument(
        "--seed", type=seed_int, default=0, help="seed for PPO, the envs and the level sampler"
    )
    parser.add_argument(
        "--out", required=True, help="model file to write, ending in .zip (SB3 writes a zip archive)"
    )
    parser.add_argument("--start-level", type=seed_int, default=0, help="first training level seed")
    parser.add_argument("--num-levels", type=positive_int, default=1000, help="training levels")
    parser.add_argument("--view-size", type=positive_int, default=5, help="egocentric window side, odd")
    parser.add_argument(
        "--novelty-bonus", type=float_range(0), default=0.01, help="reward per newly visited square"
    )
    parser.add_argument(
        "--n-envs", type=positive_int, default=8, help="parallel training envs (PPOSettings.n_envs)"
    )
    parser.add_argument(
        "--eval-episodes", type=non_negative_int, default=200, help="held-out evaluation episodes (0: none)"
    )
    parser.add_argument(
        "--eval-envs", type=comma_list(), default=None, help="comma-separated ids to evaluate on; none: --env"
    )
    parser.add_argument(
        "--eval-seed", type=seed_int, default=12345, help="base seed of the evaluation episodes"
    )
    parser.add_argument("--verbose", action="store_true", help="print SB3's training log")


def run(args: argparse.Namespace) -> int:
    import time

    import daedalus_gym
    from daedalus_gym.agents import PPOSettings, save_ppo, train_ppo
    from daedalus_gym.benchmark import format_table, run_benchmark
    from daedalus_gym.splits import HeldOut, LevelRange

    known = daedalus_gym.registered_ids()
    if args.env not in known:
        raise ValueError(f"--env: unknown id {args.env!r}; registered: {', '.join(known)}")
    if args.view_size % 2 == 0:
        raise ValueError(f"--view-size must be odd, got {args.view_size}")
    if Path(args.out).suffix != ".zip":
        # SB3 would add .zip to a bare name, and the file written would not be the one named.
        raise ValueError(f"--out must end in .zip, got {Path(args.out).name!r}")
    check_writable(args.out, "--out")
    levels = LevelRange(args.start_level, args.num_levels)
    eval_envs = args.eval_envs or [args.env]
    unknown = [env_id for env_id in eval_envs if env_id not in known]
    if unknown:
        raise ValueError(f"--eval-envs: unknown ids {unknown}; registered: {', '.join(known)}")
    settings = PPOSettings(view_size=args.view_size, novelty_bonus=args.novelty_bonus, n_envs=args.n_envs)

    print(
        f"training PPO on {args.env} levels {levels} for {args.steps:,} steps (seed {args.seed})", flush=True
    )
    start = time.perf_counter()
    model = train_ppo(args.env, levels, args.steps, args.seed, settings, verbose=args.verbose)
    minutes = (time.perf_counter() - start) / 60
    out = save_ppo(
        model,
        args.out,
        env_id=args.env,
        env_kwargs=settings.env_kwargs,
        train_levels=(levels.start_level, levels.num_levels),
        algo="ppo",
        novelty_bonus=args.novelty_bonus,
        steps=args.steps,
        seed=args.seed,
        settings=asdict(settings),
    )
    print(f"trained in {minutes:.1f} min; saved {out} ({out.stat().st_size / 1024:.0f} KiB)", flush=True)

    if args.eval_episodes > 0:
        train_mazes = HeldOut.of(args.env, levels)
        held_out = dict.fromkeys(eval_envs, train_mazes)
        records, _ = run_benchmark(
            [f"ppo:{out}"], eval_envs, args.eval_episodes, args.eval_seed, held_out=held_out
        )
        print(f"held-out evaluation (outside levels {levels} of {args.env}, by seed and maze hash):")
        print(format_table(records))
    return 0
