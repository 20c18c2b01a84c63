"""Train PPO (stable-baselines3) on 7x7 backtracker mazes; evaluate it on held-out levels and on
VAE mazes.

    python examples/train_ppo.py          # about 3 minutes on a 2-core CPU

Change the settings in `Settings` below (``steps=200_000`` for a quick look). The policy reads
the 5x5 egocentric window plus its previous action (`daedalus_gym.agents.PPOSettings` has the
hyperparameters); training plays Procgen-style levels ``[start_level, start_level + num_levels)``.
Evaluation plays mazes outside those levels, by seed and by maze hash, with the plain reward.
``daedalus-gym train-agent ppo`` is the same as a command.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field

import daedalus_gym
from daedalus_gym.agents import PPOSettings, save_ppo, train_ppo
from daedalus_gym.benchmark import format_table, run_benchmark
from daedalus_gym.splits import HeldOut, LevelRange


@dataclass(frozen=True)
class Settings:
    # training: PPO on the levels [start, start + num) of env_id
    env_id: str = "Daedalus-Backtracker-7x7-v0"
    levels: LevelRange = field(default_factory=lambda: LevelRange(start_level=0, num_levels=1000))
    steps: int = 2_000_000
    seed: int = 0
    ppo: PPOSettings = field(default_factory=PPOSettings)
    out: str = "runs/ppo-backtracker-7x7.zip"
    # evaluation: held-out mazes of each of these ids
    eval_env_ids: tuple[str, ...] = ("Daedalus-Backtracker-7x7-v0", "Daedalus-VAE-v0")
    eval_episodes: int = 200
    eval_seed: int = 12345


def main(settings: Settings = Settings()) -> None:
    # Seeding, all in one place: PPO and its envs from `seed` (sub-env i draws levels from
    # seed + i), the evaluation episodes from `eval_seed`.
    levels = settings.levels

    start = time.perf_counter()
    model = train_ppo(settings.env_id, levels, settings.steps, settings.seed, settings.ppo)
    print(f"trained {settings.steps:,} steps in {(time.perf_counter() - start) / 60:.1f} min")
    out = save_ppo(
        model,
        settings.out,
        env_id=settings.env_id,
        env_kwargs=settings.ppo.env_kwargs,
        train_levels=(levels.start_level, levels.num_levels),
        settings=asdict(settings),
    )

    # Held out: outside the training seeds, and no maze that a training seed serves.
    eval_ids = [env_id for env_id in settings.eval_env_ids if env_id in daedalus_gym.registered_ids()]
    held_out = dict.fromkeys(eval_ids, HeldOut.of(settings.env_id, levels))
    records, _ = run_benchmark(
        [f"ppo:{out}"], eval_ids, settings.eval_episodes, settings.eval_seed, held_out=held_out
    )
    print(format_table(records))


if __name__ == "__main__":
    main()
