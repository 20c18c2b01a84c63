"""Train a learning agent on an env's training levels, save it, and evaluate it on held-out levels.

    daedalus-gym train-agent ppo --env Daedalus-Backtracker-7x7-v0 --steps 2000000 --seed 0 \\
        --out models/ppo-backtracker-7x7.zip

PPO (stable-baselines3) with an MLP on the egocentric window plus the previous action
(`daedalus_gym.wrappers.LastActionObs`): a memoryless policy that can learn to follow walls, and
that sees any maze size the same way. Training plays the Procgen-style levels
``[--start-level, --start-level + --num-levels)``; the goal reward is topped up with a small
bonus for each newly visited square (`daedalus_gym.wrappers.NoveltyBonus`), without which PPO
never sees a success to learn from. Evaluation plays ``--eval-episodes`` held-out mazes (outside
the training seeds and hashes) with the plain reward. The saved model names the agent
``ppo:FILE`` in ``daedalus-gym bench``.
"""

from __future__ import annotations

import argparse
from dataclasses import asdict, dataclass

from daedalus_gym.commands import check_writable, float_range, non_negative_int, positive_int, seed_int

ALGOS = ("ppo",)


@dataclass(frozen=True)
class PPOSettings:
    """PPO hyperparameters (SB3 names); tuned on Daedalus-Backtracker-7x7-v0 on a 2-core CPU."""

    n_envs: int = 8
    n_steps: int = 256
    batch_size: int = 512
    n_epochs: int = 4
    learning_rate: float = 3e-4
    gamma: float = 0.99
    gae_lambda: float = 0.95
    ent_coef: float = 0.01
    hidden: tuple[int, ...] = (64, 64)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("algo", choices=ALGOS, help="learning algorithm")
    parser.add_argument("--env", required=True, help="registered env id to train on")
    parser.add_argument("--steps", type=positive_int, default=2_000_000, help="environment steps")
    parser.add_argument(
        "--seed", type=seed_int, default=0, help="seed for PPO, the envs and the level sampler"
    )
    parser.add_argument("--out", required=True, help="model file to write (SB3 .zip)")
    parser.add_argument("--start-level", type=seed_int, default=0, help="first training level seed")
    parser.add_argument("--num-levels", type=positive_int, default=1000, help="training levels")
    parser.add_argument("--view-size", type=positive_int, default=5, help="egocentric window side, odd")
    parser.add_argument(
        "--novelty-bonus", type=float_range(0), default=0.01, help="reward per newly visited square"
    )
    parser.add_argument(
        "--n-envs", type=positive_int, default=PPOSettings.n_envs, help="parallel training envs"
    )
    parser.add_argument(
        "--eval-episodes", type=non_negative_int, default=200, help="held-out evaluation episodes (0: none)"
    )
    parser.add_argument("--eval-envs", default=None, help="comma-separated ids to evaluate on; none: --env")
    parser.add_argument(
        "--eval-seed", type=seed_int, default=12345, help="base seed of the evaluation episodes"
    )
    parser.add_argument("--verbose", action="store_true", help="print SB3's training log")


def run(args: argparse.Namespace) -> int:
    import time

    import gymnasium as gym

    import daedalus_gym
    from daedalus_gym.agents import RL_HINT, save_ppo
    from daedalus_gym.benchmark import format_table, run_benchmark
    from daedalus_gym.levels import HeldOut, LevelRange, TrainLevels
    from daedalus_gym.wrappers import LastActionObs, NoveltyBonus

    try:
        import torch
        from stable_baselines3 import PPO
        from stable_baselines3.common.vec_env import DummyVecEnv
    except ImportError as err:
        raise ImportError(f"train-agent needs stable-baselines3: {RL_HINT}") from err

    known = daedalus_gym.registered_ids()
    if args.env not in known:
        raise ValueError(f"--env: unknown id {args.env!r}; registered: {', '.join(known)}")
    if args.view_size % 2 == 0:
        raise ValueError(f"--view-size must be odd, got {args.view_size}")
    check_writable(args.out, "--out")
    levels = LevelRange(args.start_level, args.num_levels)
    eval_envs = args.eval_envs.split(",") if args.eval_envs else [args.env]
    unknown = [env_id for env_id in eval_envs if env_id not in known]
    if unknown:
        raise ValueError(f"--eval-envs: unknown ids {unknown}; registered: {', '.join(known)}")
    settings = PPOSettings(n_envs=args.n_envs)
    env_kwargs = {"obs_mode": "egocentric", "view_size": args.view_size}

    def make_env():
        env = TrainLevels(gym.make(args.env, **env_kwargs), levels)
        if args.novelty_bonus > 0:
            env = NoveltyBonus(env, args.novelty_bonus)
        return LastActionObs(env)

    # A 64-unit MLP: one torch thread is faster than several fighting over two cores.
    torch.set_num_threads(1)
    vec_env = DummyVecEnv([make_env for _ in range(settings.n_envs)])
    vec_env.seed(args.seed)  # sub-env i samples levels from seed + i
    model = PPO(
        "MlpPolicy",
        vec_env,
        n_steps=settings.n_steps,
        batch_size=settings.batch_size,
        n_epochs=settings.n_epochs,
        learning_rate=settings.learning_rate,
        gamma=settings.gamma,
        gae_lambda=settings.gae_lambda,
        ent_coef=settings.ent_coef,
        policy_kwargs={"net_arch": list(settings.hidden)},
        seed=args.seed,
        device="cpu",
        verbose=1 if args.verbose else 0,
    )
    print(
        f"training PPO on {args.env} levels {levels} for {args.steps:,} steps (seed {args.seed})", flush=True
    )
    start = time.perf_counter()
    model.learn(total_timesteps=args.steps)
    minutes = (time.perf_counter() - start) / 60
    out = save_ppo(
        model,
        args.out,
        env_id=args.env,
        env_kwargs=env_kwargs,
        train_levels=(levels.start_level, levels.num_levels),
        algo="ppo",
        novelty_bonus=args.novelty_bonus,
        steps=args.steps,
        seed=args.seed,
        settings=asdict(settings),
    )
    vec_env.close()
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
