"""The tour: one maze from every registered generator, an episode on each, a picture and a table.

Example: ``daedalus-gym demo --out daedalus-demo``
"""

from __future__ import annotations

import argparse
import itertools
import time
from pathlib import Path
from typing import Any

ACTION_OF_MOVE = {(-1, 0): 0, (0, 1): 1, (1, 0): 2, (0, -1): 3}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--size", type=int, default=14, help="cells a side (default 14, the blog's maze)")
    parser.add_argument("--seed", type=int, default=0, help="reset seed of every env (default 0)")
    parser.add_argument("--out", default="daedalus-demo", help="output folder (default ./daedalus-demo)")


def _episode(env: Any, seed: int) -> dict[str, Any]:
    """Reset, then walk the BFS shortest path (the oracle) to the goal."""
    t0 = time.perf_counter()
    _, info = env.reset(seed=seed)
    reset_ms = (time.perf_counter() - t0) * 1000
    maze = env.unwrapped.maze
    path = maze.shortest_path()
    total, terminated, steps = 0.0, False, 0
    for (r0, c0), (r1, c1) in itertools.pairwise(path):
        _, reward, terminated, truncated, _ = env.step(ACTION_OF_MOVE[(r1 - r0, c1 - c0)])
        total += float(reward)
        steps += 1
        if terminated or truncated:
            break
    return {
        "maze": maze,
        "frame": env.render(),
        "reset_ms": reset_ms,
        "solved": terminated,
        "steps": steps,
        "optimal": info["optimal_path_length"],
        "return": total,
    }


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from daedalus_gym.env import MazeEnv
    from daedalus_gym.rendering import save_png
    from generators import make_generator, registered_generators

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rows, frames = [], []
    for name in registered_generators():
        generator = make_generator(name, size=args.size)
        env = MazeEnv(generator, render_mode="rgb_array", show_path=True, render_tile_size=8)
        result = _episode(env, args.seed)
        env.close()
        maze = result["maze"]
        frames.append(result["frame"])
        rows.append(
            [
                name,
                maze.maze_hash[:10],
                "yes" if maze.is_perfect() else "no",
                str(result["optimal"]),
                str(maze.dead_ends()),
                str(maze.junctions()),
                f"{result['reset_ms']:.2f}",
                "yes" if result["solved"] else "no",
                f"{result['return']:.3f}",
            ]
        )
    header = [
        "generator",
        "maze hash",
        "perfect",
        "path",
        "dead ends",
        "junctions",
        "reset ms",
        "solved",
        "return",
    ]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    print(f"Daedalus-Gym demo: {args.size}x{args.size} cells, seed {args.seed}, oracle agent (BFS path)")
    for row in [header, ["-" * w for w in widths], *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)))
    gap = np.full((frames[0].shape[0], 8, 3), 255, np.uint8)
    picture = np.concatenate([x for f in frames for x in (f, gap)][:-1], axis=1)
    save_png(out / "demo.png", picture)
    print(f"picture: {out / 'demo.png'}")
    return 0
