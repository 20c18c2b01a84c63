"""Play an environment yourself: arrow keys move, R draws a new maze, Esc quits.

Example: ``daedalus-gym play Daedalus-Backtracker-7x7-v0 --show-path``

One key press is one step (gymnasium's ``utils.play`` steps every frame and needs a no-op
action, which a maze has none of).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from daedalus_gym.commands import positive_int, seed_int


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("env_id", metavar="ID", help="a registered id, e.g. Daedalus-Backtracker-v0")
    parser.add_argument("--seed", type=seed_int, default=None, help="seed of the first maze; none: random")
    parser.add_argument("--show-path", action="store_true", help="overlay the shortest path")
    parser.add_argument("--tile-size", type=positive_int, default=24, help="pixels per square")


def play(env: Any, next_event: Callable[[], Any], seed: int | None = None) -> list[dict[str, Any]]:
    """Run the keyboard loop until Esc or the window closes; returns one record per episode."""
    from daedalus_gym.rendering import import_pygame

    pg = import_pygame()
    keys = {pg.K_UP: 0, pg.K_RIGHT: 1, pg.K_DOWN: 2, pg.K_LEFT: 3}
    episodes: list[dict[str, Any]] = []
    _, info = env.reset(seed=seed)
    total = 0.0
    while True:
        event = next_event()
        if event.type == pg.QUIT or (event.type == pg.KEYDOWN and event.key == pg.K_ESCAPE):
            return episodes
        if event.type != pg.KEYDOWN:
            continue
        if event.key == pg.K_r:
            _, info = env.reset()
            total = 0.0
        elif event.key in keys:
            _, reward, terminated, truncated, info = env.step(keys[event.key])
            total += float(reward)
            if terminated or truncated:
                record = {
                    "solved": bool(terminated),
                    "steps": info["steps"],
                    "optimal": info["optimal_path_length"],
                    "return": round(total, 4),
                }
                episodes.append(record)
                print(
                    ("solved" if terminated else "out of time")
                    + f" in {record['steps']} steps (shortest {record['optimal']}), return {record['return']}"
                )
                _, info = env.reset()
                total = 0.0


def run(args: argparse.Namespace) -> int:
    import gymnasium as gym

    import daedalus_gym
    from daedalus_gym.rendering import import_pygame

    if args.env_id not in daedalus_gym.registered_ids():
        known = ", ".join(daedalus_gym.registered_ids())
        raise ValueError(f"ID: unknown env id {args.env_id!r}; registered: {known}")
    pg = import_pygame()
    env = gym.make(
        args.env_id, render_mode="human", show_path=args.show_path, render_tile_size=args.tile_size
    )
    print("arrow keys: move   R: new maze   Esc: quit")
    try:
        play(env, pg.event.wait, seed=args.seed)
    finally:
        env.close()
    return 0
