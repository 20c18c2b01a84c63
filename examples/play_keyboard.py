"""Play a maze with the arrow keys in a pygame window (one key press, one step); R draws a new
maze, Esc quits.

    python examples/play_keyboard.py

Change the settings in `Settings` below. ``daedalus-gym play ID`` is the same as a command.
"""

from __future__ import annotations

from dataclasses import dataclass

import gymnasium as gym

import daedalus_gym  # noqa: F401 - registers the Daedalus-* ids
from daedalus_gym.commands.play import play
from daedalus_gym.rendering import import_pygame


@dataclass(frozen=True)
class Settings:
    env_id: str = "Daedalus-Backtracker-7x7-v0"
    seed: int = 0  # the first maze; later ones continue its sequence
    tile_size: int = 32
    show_path: bool = False  # overlay the shortest path


def main(settings: Settings = Settings()) -> None:
    pg = import_pygame()
    env = gym.make(
        settings.env_id,
        render_mode="human",
        render_tile_size=settings.tile_size,
        show_path=settings.show_path,
    )
    print("arrow keys: move   R: new maze   Esc: quit")
    episodes = play(env, pg.event.wait, seed=settings.seed)
    env.close()
    solved = sum(episode["solved"] for episode in episodes)
    print(f"{solved} of {len(episodes)} episodes solved")


if __name__ == "__main__":
    main()
