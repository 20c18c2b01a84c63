"""Shortest start -> goal path lengths for a whole batch of wall grids, in lock-step.

The vector env checks every maze it serves and reports its optimal path length. networkx BFS,
which `MazeEnv` uses, costs about 1.5 ms per 14x14-cell maze here (mostly building the graph):
fine for one env, far too slow to refill a pool for a thousand envs stepping millions of times
a second. This module runs the same breadth-first search on every grid of a batch at once:

- the grids, padded by a ring of walls, lie end to end in one flat array, so a square's four
  neighbours are fixed offsets away and no search can leak into the next grid;
- one iteration expands every grid's frontier by one step with a handful of 1-D numpy calls
  (gather the four neighbours, keep the open unvisited ones, mark them visited, drop duplicates);
- a grid leaves the search the iteration its goal is reached; a grid whose frontier dies first
  is unsolvable.

Work is O(squares explored) per grid plus a few numpy calls per BFS level, about 7 us per
14x14-cell maze in batches of a thousand: ~200x faster than networkx, with identical answers on
any grid (the tests compare the two on lattice mazes, random grids and unsolvable ones).

`path_lengths` and `solvable` ask the same question of a batch sharing one start and goal (the
corner cells by default), the form evaluation and repair use; they run the same search.
"""

from __future__ import annotations

import numpy as np

# Grids per lock-step pass: enough to amortise numpy's per-call cost, few enough to stay in cache.
CHUNK = 1024


def shortest_path_lengths(walls: np.ndarray, start: np.ndarray, goal: np.ndarray) -> np.ndarray:
    """BFS steps from ``start`` to ``goal`` in each grid, ``-1`` where the goal is unreachable.

    Args:
        walls: ``bool[B, H, W]``, ``True`` = wall. Moves go to the four neighbours; squares
            outside the grid count as walls.
        start, goal: ``int[B, 2]`` open ``(row, col)`` squares.

    Returns:
        ``int64[B]``: the same numbers as ``Maze.shortest_path_length()`` (``None`` -> ``-1``).
    """
    walls = np.asarray(walls)
    if walls.ndim != 3 or walls.dtype != np.bool_:
        raise ValueError(f"walls must be bool[B, H, W], got {walls.dtype} of shape {walls.shape}")
    batch = len(walls)
    start = np.asarray(start, dtype=np.int64).reshape(-1, 2)
    goal = np.asarray(goal, dtype=np.int64).reshape(-1, 2)
    if len(start) != batch or len(goal) != batch:
        raise ValueError(f"start and goal must be int[{batch}, 2], got {start.shape} and {goal.shape}")
    if batch > CHUNK:
        return np.concatenate(
            [
                _lengths(walls[i : i + CHUNK], start[i : i + CHUNK], goal[i : i + CHUNK])
                for i in range(0, batch, CHUNK)
            ]
        )
    return _lengths(walls, start, goal)


def _lengths(walls: np.ndarray, start: np.ndarray, goal: np.ndarray) -> np.ndarray:
    batch, height, width = walls.shape
    row = width + 2
    size = (height + 2) * row
    free = np.zeros((batch, height + 2, row), dtype=bool)
    free[:, 1:-1, 1:-1] = ~walls
    free = free.ravel()  # open and not yet reached
    base = np.arange(batch, dtype=np.int64) * size
    source = base + (start[:, 0] + 1) * row + start[:, 1] + 1
    target = base + (goal[:, 0] + 1) * row + goal[:, 1] + 1
    if not (free[source].all() and free[target].all()):
        raise ValueError("start and goal must be open squares inside their grid")
    is_target = np.zeros(batch * size, dtype=bool)
    is_target[target] = True
    free[source] = False
    length = np.full(batch, -1, dtype=np.int64)
    length[source == target] = 0
    finished = source == target
    owner = np.empty(batch * size, dtype=np.int64)
    steps = np.array([-row, 1, row, -1], dtype=np.int64)[:, None]
    frontier = source[~finished]
    level = 0
    while frontier.size:
        level += 1
        reached = (frontier + steps).ravel()
        reached = reached[free.take(reached)]
        free[reached] = False
        # Two frontier squares can share a neighbour (grids with cycles): keep one copy.
        ids = np.arange(reached.size)
        owner[reached] = ids
        reached = reached[owner.take(reached) == ids]
        hits = reached[is_target.take(reached)]
        if hits.size:
            done = hits // size
            length[done] = level
            finished[done] = True
            reached = reached[~finished.take(reached // size)]
        frontier = reached
    return length


def path_lengths(
    walls: np.ndarray, start: tuple[int, int] | None = None, goal: tuple[int, int] | None = None
) -> np.ndarray:
    """``walls: bool[B, H, W]`` -> ``int64[B]`` shortest start-goal path in steps, -1 if none.

    ``start`` and ``goal`` are ``(row, col)`` squares shared by the batch, by default the corner
    cells ``(1, 1)`` and ``(H-2, W-2)``; a grid where either is a wall gets -1.
    """
    walls = np.asarray(walls)
    if walls.ndim != 3 or walls.dtype != np.bool_:
        raise ValueError(f"walls must be bool[B, H, W], got {walls.dtype} of shape {walls.shape}")
    height, width = walls.shape[1:]
    start = (1, 1) if start is None else start
    goal = (height - 2, width - 2) if goal is None else goal
    for name, (r, c) in (("start", start), ("goal", goal)):
        if not (0 <= r < height and 0 <= c < width):
            raise ValueError(f"{name} {(r, c)} is outside the {height}x{width} grid")
    out = np.full(len(walls), -1, dtype=np.int64)
    ok = ~walls[:, start[0], start[1]] & ~walls[:, goal[0], goal[1]]
    if ok.any():
        n = int(ok.sum())
        out[ok] = shortest_path_lengths(walls[ok], np.tile(start, (n, 1)), np.tile(goal, (n, 1)))
    return out


def solvable(
    walls: np.ndarray, start: tuple[int, int] | None = None, goal: tuple[int, int] | None = None
) -> np.ndarray:
    """``walls: bool[B, H, W]`` -> ``bool[B]``: goal reachable from start (default: corner cells)."""
    return path_lengths(walls, start, goal) >= 0
