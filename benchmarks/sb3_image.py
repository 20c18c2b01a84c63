"""``python -m benchmarks.sb3_image``: Stable-Baselines3 PPO on the default ``"image"`` observation.

Trains ``PPO("CnnPolicy")`` with `daedalus_gym.sb3.MazeCNN` on ``--num-levels`` training levels
of ``--env`` (SB3's ``make_vec_env``, ``--envs`` copies), then plays the policy (sampled
actions) on ``--eval-episodes`` held-out levels (``levels="held-out"``: other seeds, none of them
a training maze up to rotation and reflection) and prints the success rate with its 95% Wilson
interval. Training adds `daedalus_gym.wrappers.NoveltyBonus` (``--novelty-bonus``, 0 turns it
off): the goal reward alone is too sparse for PPO to find. ``--frames 2`` (the default) stacks
the last two images (SB3's ``VecFrameStack``), which shows the policy the way it came: what a
memoryless policy needs to follow a wall. ``--json`` writes the
settings, the learning curve (success of the last 100 training episodes at each tenth of the
budget) and the result; ``--plot`` draws the curve.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

import daedalus_gym
from benchmarks import writable_or_exit
from daedalus_gym.benchmark import wilson_interval
from daedalus_gym.commands import float_range, positive_int, seed_int


@dataclass
class Settings:
    env: str = "Daedalus-Backtracker-7x7-v0"
    steps: int = 1_200_000
    envs: int = 32
    n_steps: int = 64
    batch_size: int = 512
    n_epochs: int = 2
    learning_rate: float = 5e-4
    ent_coef: float = 0.01
    num_levels: int = 10_000
    novelty_bonus: float = 0.01
    frames: int = 2
    eval_episodes: int = 400
    seed: int = 0
    threads: int = 2


# Each setting's argparse type and --help line.
SETTING_TYPES: dict[str, tuple[Any, str]] = {
    "env": (str, "a registered Daedalus-Gym id"),
    "steps": (positive_int, "training env-steps"),
    "envs": (positive_int, "training env copies"),
    "n_steps": (positive_int, "PPO steps per env and rollout"),
    "batch_size": (positive_int, "PPO minibatch size"),
    "n_epochs": (positive_int, "PPO epochs per rollout"),
    "learning_rate": (float_range(0.0, low_open=True), "PPO learning rate"),
    "ent_coef": (float_range(0.0), "PPO entropy coefficient"),
    "num_levels": (positive_int, "training levels"),
    "novelty_bonus": (float_range(0.0), "NoveltyBonus reward, 0: off"),
    "frames": (positive_int, "images stacked"),
    "eval_episodes": (positive_int, "held-out episodes played"),
    "seed": (seed_int, "training seed (held-out levels from seed + 1,000,000)"),
    "threads": (positive_int, "torch threads"),
}


def train(cfg: Settings) -> tuple[Any, list[dict[str, float]], float]:
    """The PPO model, its learning curve and the training time in seconds."""
    import torch
    from stable_baselines3 import PPO
    from stable_baselines3.common.env_util import make_vec_env
    from stable_baselines3.common.vec_env import VecFrameStack

    from daedalus_gym.sb3 import MazeCNN
    from daedalus_gym.wrappers import NoveltyBonus

    torch.set_num_threads(cfg.threads)
    wrapper = (lambda env: NoveltyBonus(env, cfg.novelty_bonus)) if cfg.novelty_bonus > 0 else None
    env = make_vec_env(
        cfg.env,
        n_envs=cfg.envs,
        seed=cfg.seed,
        env_kwargs={"num_levels": cfg.num_levels},
        wrapper_class=wrapper,
    )
    if cfg.frames > 1:
        env = VecFrameStack(env, cfg.frames)
    model = PPO(
        "CnnPolicy",
        env,
        n_steps=cfg.n_steps,
        batch_size=cfg.batch_size,
        n_epochs=cfg.n_epochs,
        learning_rate=cfg.learning_rate,
        ent_coef=cfg.ent_coef,
        seed=cfg.seed,
        device="cpu",
        policy_kwargs={"features_extractor_class": MazeCNN},
    )
    limit = gym.spec(cfg.env).max_episode_steps
    curve, start = [], time.perf_counter()
    for _ in range(10):
        model.learn(cfg.steps // 10, reset_num_timesteps=False)
        episodes = list(model.ep_info_buffer)
        solved = float(np.mean([e["l"] < limit for e in episodes])) if episodes else 0.0
        curve.append(
            {"steps": model.num_timesteps, "seconds": time.perf_counter() - start, "success": solved}
        )
        print(f"{model.num_timesteps:>9,} steps {curve[-1]['seconds']:7.0f} s  training success {solved:.2f}")
    return model, curve, time.perf_counter() - start


def evaluate(model: Any, cfg: Settings) -> dict[str, Any]:
    """Plays ``eval_episodes`` held-out levels, ``min(64, eval_episodes)`` envs at a time."""
    n = min(64, cfg.eval_episodes)
    envs = [gym.make(cfg.env, num_levels=cfg.num_levels, levels="held-out") for _ in range(n)]
    frames = [
        _first_frames(env.reset(seed=cfg.seed + 1_000_000 + i)[0], cfg.frames) for i, env in enumerate(envs)
    ]
    active, started, wins, levels = np.ones(n, bool), n, 0, []
    while active.any():
        obs = np.stack([np.concatenate(f, axis=-1) for f in frames])
        actions, _ = model.predict(obs, deterministic=False)
        for i in np.flatnonzero(active):
            obs_i, _, terminated, truncated, info = envs[i].step(int(actions[i]))
            if terminated or truncated:
                wins += bool(terminated)
                levels.append(info["maze_hash"])
                if started < cfg.eval_episodes:
                    frames[i] = _first_frames(envs[i].reset()[0], cfg.frames)
                    started += 1
                else:
                    active[i] = False
            else:
                frames[i] = [*frames[i][1:], obs_i]
    low, high = wilson_interval(wins, len(levels))
    return {
        "episodes": len(levels),
        "distinct_levels": len(set(levels)),
        "successes": wins,
        "success_rate": wins / len(levels),
        "success_low": low,
        "success_high": high,
    }


def _first_frames(obs: np.ndarray, frames: int) -> list[np.ndarray]:
    # As VecFrameStack after a reset: the older frames are zeros.
    return [np.zeros_like(obs)] * (frames - 1) + [obs]


def main(argv: Sequence[str] | None = None) -> None:
    defaults = Settings()
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.sb3_image", description=__doc__.split("\n\n")[0]
    )
    for name, value in asdict(defaults).items():
        kind, help_text = SETTING_TYPES[name]
        parser.add_argument(
            f"--{name.replace('_', '-')}", type=kind, default=value, help=f"{help_text} (default: {value})"
        )
    parser.add_argument("--json", type=Path, help="write settings, curve and result here")
    parser.add_argument("--plot", type=Path, help="draw the learning curve here (PNG)")
    args = vars(parser.parse_args(argv))
    json_path, plot_path = args.pop("json"), args.pop("plot")
    if args["env"] not in gym.registry:
        parser.error(f"--env: unknown env id {args['env']!r}")
    writable_or_exit(parser, json_path, "--json")
    writable_or_exit(parser, plot_path, "--plot")
    cfg = Settings(**args)
    model, curve, seconds = train(cfg)
    result = evaluate(model, cfg)
    print(
        f"{cfg.env}: held-out success {result['successes']}/{result['episodes']} "
        f"= {result['success_rate']:.3f} "
        f"[{result['success_low']:.3f}, {result['success_high']:.3f}] ({result['distinct_levels']} levels), "
        f"training {seconds / 60:.1f} min for {cfg.steps:,} steps"
    )
    record = {
        "settings": asdict(cfg),
        "curve": curve,
        "train_seconds": seconds,
        "result": result,
        "machine": {
            "python": platform.python_version(),
            "processor": platform.processor() or platform.machine(),
        },
        "daedalus_gym": daedalus_gym.__version__,
    }
    if json_path:
        json_path.write_text(json.dumps(record, indent=1) + "\n")
    if plot_path:
        _plot(record, plot_path)


def _plot(record: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps = [point["steps"] for point in record["curve"]]
    fig, ax = plt.subplots(figsize=(5, 3.2))
    ax.plot(
        steps, [point["success"] for point in record["curve"]], marker="o", label="training levels (last 100)"
    )
    result = record["result"]
    ax.errorbar(
        [steps[-1]],
        [result["success_rate"]],
        yerr=[
            [result["success_rate"] - result["success_low"]],
            [result["success_high"] - result["success_rate"]],
        ],
        fmt="s",
        color="C3",
        capsize=3,
        label=f"held-out ({result['episodes']} episodes, 95% CI)",
    )
    ax.set(xlabel="env steps", ylabel="success rate", ylim=(0, 1.02), title=record["settings"]["env"])
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


if __name__ == "__main__":
    main()
