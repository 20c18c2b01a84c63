"""Train PPO (stable-baselines3) on 7x7 backtracker mazes; evaluate on held-out levels and VAE mazes.

    python examples/train_ppo.py                       # about 3 minutes on a 2-core CPU
    python examples/train_ppo.py --total-steps 200000  # a quick look

The policy is an MLP on the 5x5 egocentric window plus the previous action: memoryless, the same
for every maze size, and enough to learn wall following and better. Training plays Procgen-style
levels [start_level, start_level + num_levels) with a small bonus per newly visited square (the
goal reward alone is too sparse for PPO to find). Evaluation plays mazes outside the training
levels, by seed and by maze hash, with the plain reward; and, when a ``Daedalus-VAE-v0`` id is
registered, mazes drawn by the learned generator. ``daedalus-gym train-agent ppo`` does the same.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import asdict, dataclass, fields

import gymnasium as gym
import numpy as np
import torch
from stable_baselines3 import PPO
from stable_baselines3.common.vec_env import DummyVecEnv

import daedalus_gym
from daedalus_gym.agents import save_ppo
from daedalus_gym.levels import HeldOut, LevelRange, TrainLevels, held_out_seeds
from daedalus_gym.wrappers import LastActionObs, NoveltyBonus


@dataclass
class Settings:
    env_id: str = "Daedalus-Backtracker-7x7-v0"
    vae_env_id: str = "Daedalus-VAE-v0"  # evaluated too when registered
    total_steps: int = 2_000_000
    seed: int = 0
    start_level: int = 0
    num_levels: int = 1000
    view_size: int = 5
    novelty_bonus: float = 0.01
    n_envs: int = 8
    n_steps: int = 256
    batch_size: int = 512
    n_epochs: int = 4
    learning_rate: float = 3e-4
    ent_coef: float = 0.01
    eval_episodes: int = 200
    out: str = "runs/ppo-backtracker-7x7.zip"


def parse_settings() -> Settings:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    for f in fields(Settings):
        parser.add_argument(f"--{f.name.replace('_', '-')}", type=type(f.default), default=f.default)
    return Settings(**vars(parser.parse_args()))


def make_train_env(settings: Settings, levels: LevelRange) -> gym.Env:
    env = gym.make(settings.env_id, obs_mode="egocentric", view_size=settings.view_size)
    env = TrainLevels(env, levels)  # each episode: one of the training levels
    env = NoveltyBonus(env, settings.novelty_bonus)  # training-time shaping only
    return LastActionObs(env)  # egocentric window + one-hot of the previous action


def evaluate(model: PPO, env_id: str, seeds: list[int], view_size: int) -> tuple[float, float]:
    """Success rate and SPL of the greedy policy on the mazes these seeds serve (plain reward)."""
    env = LastActionObs(gym.make(env_id, obs_mode="egocentric", view_size=view_size))
    successes, spl = [], []
    for seed in seeds:
        obs, info = env.reset(seed=seed)
        terminated = truncated = False
        while not (terminated or truncated):
            action, _ = model.predict(obs, deterministic=True)
            obs, _, terminated, truncated, info = env.step(int(action))
        successes.append(terminated)
        spl.append(terminated * info["optimal_path_length"] / max(info["steps"], info["optimal_path_length"]))
    env.close()
    return float(np.mean(successes)), float(np.mean(spl))


def main() -> None:
    settings = parse_settings()
    levels = LevelRange(settings.start_level, settings.num_levels)

    # Seeding, all in one place: SB3 seeds torch/numpy from `seed`, sub-env i draws its levels from
    # seed + i, and evaluation seeds are a fixed function of the training levels.
    torch.set_num_threads(1)
    vec_env = DummyVecEnv([lambda: make_train_env(settings, levels) for _ in range(settings.n_envs)])
    vec_env.seed(settings.seed)
    model = PPO(
        "MlpPolicy",
        vec_env,
        n_steps=settings.n_steps,
        batch_size=settings.batch_size,
        n_epochs=settings.n_epochs,
        learning_rate=settings.learning_rate,
        ent_coef=settings.ent_coef,
        policy_kwargs={"net_arch": [64, 64]},
        seed=settings.seed,
        device="cpu",
    )

    start = time.perf_counter()
    model.learn(total_timesteps=settings.total_steps)
    print(f"trained {settings.total_steps:,} steps in {(time.perf_counter() - start) / 60:.1f} min")
    env_kwargs = {"obs_mode": "egocentric", "view_size": settings.view_size}
    save_ppo(
        model,
        settings.out,
        env_id=settings.env_id,
        env_kwargs=env_kwargs,
        train_levels=(levels.start_level, levels.num_levels),
        settings=asdict(settings),
    )
    print(f"saved {settings.out}; benchmark it with: daedalus-gym bench --agents ppo:{settings.out} ...")

    # Held out: outside the training seeds, and no maze that a training seed serves.
    held_out = HeldOut.of(settings.env_id, levels)
    eval_ids = [settings.env_id]
    if settings.vae_env_id in daedalus_gym.registered_ids():
        eval_ids.append(settings.vae_env_id)
    else:
        print(f"{settings.vae_env_id} is not registered: skipping the VAE evaluation")
    for env_id in eval_ids:
        seeds = held_out_seeds(env_id, held_out, settings.eval_episodes, first_seed=10**6)
        success, spl = evaluate(model, env_id, seeds, settings.view_size)
        print(f"{env_id}: success {success:.3f}, SPL {spl:.3f} on {len(seeds)} held-out mazes")


if __name__ == "__main__":
    main()
