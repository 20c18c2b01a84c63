"""A random agent on a Daedalus-Gym maze: the plain Gymnasium loop.

    python examples/random_agent.py

Change the settings in `Settings` below.
"""

from __future__ import annotations

from dataclasses import dataclass

import gymnasium as gym
import numpy as np

import daedalus_gym  # noqa: F401 - registers the Daedalus-* ids


@dataclass(frozen=True)
class Settings:
    env_id: str = "Daedalus-Backtracker-7x7-v0"
    episodes: int = 20
    seed: int = 0


def main(settings: Settings = Settings()) -> None:
    env = gym.make(settings.env_id)

    # Seeding, all in one place: the first reset seeds the maze sequence, the action space its own
    # sampler; later resets continue both sequences.
    env.reset(seed=settings.seed)
    env.action_space.seed(settings.seed)

    successes, lengths = [], []
    for episode in range(settings.episodes):
        if episode > 0:
            env.reset()
        terminated = truncated = False
        while not (terminated or truncated):
            _, _, terminated, truncated, info = env.step(env.action_space.sample())
        successes.append(terminated)
        lengths.append(info["steps"])
        print(
            f"episode {episode:3d}  maze {info['maze_hash']}  "
            f"{'solved' if terminated else 'timed out'} after {info['steps']} steps "
            f"(shortest path {info['optimal_path_length']})"
        )
    print(f"success rate {np.mean(successes):.2f}, mean length {np.mean(lengths):.1f}")
    env.close()


if __name__ == "__main__":
    main()
