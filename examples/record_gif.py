"""Record an agent solving a maze as a GIF, rendered through the env's ``rgb_array`` mode.

    python examples/record_gif.py

Change the settings in `Settings` below (``agent="ppo:examples/models/ppo-backtracker-7x7.zip"``
plays a trained policy). ``daedalus-gym bench --record DIR`` records every (agent, env) pair
the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

import imageio.v3 as iio
import numpy as np

import daedalus_gym  # noqa: F401 - registers the Daedalus-* ids
from daedalus_gym.agents import make_agent, make_agent_env


@dataclass(frozen=True)
class Settings:
    agent: str = "wall-follower"  # random, wall-follower, oracle, ppo:FILE
    env_id: str = "Daedalus-Backtracker-7x7-v0"
    seed: int = 0
    tile_size: int = 16
    frame_ms: int = 80
    out: str = "episode.gif"


def main(settings: Settings = Settings()) -> None:
    agent = make_agent(settings.agent)
    env = make_agent_env(agent, settings.env_id, render_mode="rgb_array", render_tile_size=settings.tile_size)

    # Seeding: the maze comes from the reset seed, the agent's own randomness from agent.reset.
    obs, info = env.reset(seed=settings.seed)
    agent.reset(settings.seed)

    frames = [env.render()]
    terminated = truncated = False
    while not (terminated or truncated):
        obs, _, terminated, truncated, info = env.step(agent.act(obs, info))
        frames.append(env.render())
    env.close()

    iio.imwrite(settings.out, np.stack(frames), duration=settings.frame_ms, loop=0)
    outcome = "solved" if terminated else "timed out"
    steps, shortest = info["steps"], info["optimal_path_length"]
    print(f"{agent.name} {outcome} in {steps} steps (shortest {shortest}): {settings.out}")


if __name__ == "__main__":
    main()
