"""Play a maze with the arrow keys (one key press, one step); R draws a new maze, Esc quits.

    python examples/play_keyboard.py --env-id Daedalus-Wilson-7x7-v0

``daedalus-gym play ID`` is the same thing as a command.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, fields

import gymnasium as gym

import daedalus_gym  # noqa: F401 - registers the Daedalus-* ids
from daedalus_gym.rendering import import_pygame


@dataclass
class Settings:
    env_id: str = "Daedalus-Backtracker-7x7-v0"
    seed: int = 0
    tile_size: int = 32
    show_path: bool = False


def parse_settings() -> Settings:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    for f in fields(Settings):
        if isinstance(f.default, bool):
            parser.add_argument(f"--{f.name.replace('_', '-')}", action="store_true")
        else:
            parser.add_argument(f"--{f.name.replace('_', '-')}", type=type(f.default), default=f.default)
    return Settings(**vars(parser.parse_args()))


def main() -> None:
    settings = parse_settings()
    pg = import_pygame()
    env = gym.make(
        settings.env_id,
        render_mode="human",
        render_tile_size=settings.tile_size,
        show_path=settings.show_path,
    )
    keys = {pg.K_UP: 0, pg.K_RIGHT: 1, pg.K_DOWN: 2, pg.K_LEFT: 3}

    # Seeding: the first reset fixes the sequence of mazes.
    env.reset(seed=settings.seed)

    print("arrow keys: move   R: new maze   Esc: quit")
    while True:
        event = pg.event.wait()
        if event.type == pg.QUIT or (event.type == pg.KEYDOWN and event.key == pg.K_ESCAPE):
            break
        if event.type != pg.KEYDOWN:
            continue
        if event.key == pg.K_r:
            env.reset()
        elif event.key in keys:
            _, reward, terminated, truncated, info = env.step(keys[event.key])
            if terminated or truncated:
                outcome = f"solved, reward {reward:.2f}" if terminated else "out of time"
                print(f"{outcome}: {info['steps']} steps, shortest path {info['optimal_path_length']}")
                env.reset()
    env.close()


if __name__ == "__main__":
    main()
