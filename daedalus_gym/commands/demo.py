"""The tour: one maze from every registered generator, an episode on each, a picture and a table.

Example: ``daedalus-gym demo --out daedalus-demo``
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import time
from pathlib import Path
from typing import Any

from daedalus_gym.commands import check_writable, positive_int, seed_int

ACTION_OF_MOVE = {(-1, 0): 0, (0, 1): 1, (1, 0): 2, (0, -1): 3}


# Resets timed per generator, after one untimed warm-up reset (which loads models, compiles
# kernels and fills caches: a cost paid once per process, not per maze).
TIMED_RESETS = 10


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--size", type=positive_int, default=14, help="cells a side (14: the blog's maze)")
    parser.add_argument("--seed", type=seed_int, default=0, help="reset seed of every env")
    parser.add_argument("--out", default="daedalus-demo", help="output folder")


def warm_reset_ms(env: Any, seed: int, n: int = TIMED_RESETS) -> float:
    """Median milliseconds of ``n`` resets (seeds ``seed + 1 ...``), after one warm-up reset."""
    env.reset(seed=seed)
    times = []
    for i in range(1, n + 1):
        start = time.perf_counter()
        env.reset(seed=seed + i)
        times.append((time.perf_counter() - start) * 1000)
    return float(statistics.median(times))


def _episode(env: Any, seed: int) -> dict[str, Any]:
    """Time warm resets, then reset to ``seed`` and walk the BFS shortest path (the oracle)."""
    reset_ms = warm_reset_ms(env, seed)
    _, info = env.reset(seed=seed)
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

    check_writable(args.out, "--out", directory=True)
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
        "reset ms (warm)",
        "solved",
        "return",
    ]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    print(f"Daedalus-Gym demo: {args.size}x{args.size} cells, seed {args.seed}, oracle agent (BFS path)")
    print(f"reset ms: median of {TIMED_RESETS} resets after a warm-up one (model loading, JIT compilation)")
    for row in [header, ["-" * w for w in widths], *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)))
    gap = np.full((frames[0].shape[0], 8, 3), 255, np.uint8)
    picture = np.concatenate([x for f in frames for x in (f, gap)][:-1], axis=1)
    save_png(out / "demo.png", picture)
    print(f"picture: {out / 'demo.png'}")
    return 0
