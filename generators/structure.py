"""Per-maze structure statistics and local-motif counts of lattice mazes, for fidelity tests.

Everything is measured on the cell graph: the ``h x w`` cells of a lattice grid and the open
passages between 4-neighbouring cells (`generators.lattice`). Passage squares of the wall grid
are not cells: they always have two open neighbours and would dilute every fraction.

`structure_stats` runs one breadth-first search per maze from the start cell ``(0, 0)`` (one
compiled walk over the batch, ``O(h * w)`` per maze, a few microseconds for 14x14) and reads off:

- ``dead_end_fraction``: cells with exactly one open neighbouring cell, over all ``h * w`` cells;
- ``junction_fraction``: cells with three or more open neighbouring cells, over all cells;
- ``path_length``: moves between cells on the shortest start-goal path (goal: cell
  ``(h - 1, w - 1)``), -1 where the goal is cut off;
- ``spur_length``: the mean, over the maze's dead ends off the solution path, of the moves from
  the dead end towards the start (along the BFS tree) until the first junction or solution-path
  cell: the length of the dead-end branch. NaN for a maze with no such dead end;
- ``turn_share``: of the solution path's inner cells, the share where the path changes
  direction (NaN for a path of fewer than 3 cells or no path);
- ``tree_depth``: the mean BFS distance, in moves, of the cells reachable from the start;
- ``dead_ends_q0`` .. ``dead_ends_q3``: dead-end counts in the quadrants top-left, top-right,
  bottom-left, bottom-right (row ``< h // 2`` is top, column ``< w // 2`` is left; with odd sides
  the middle row / column counts as bottom / right).

`motif_counts` counts local patterns of open passages (``O(h * w)`` per maze, numpy only): the
16 patterns of a cell's four passages, the 16 patterns of the four inner passages of each 2x2
block of cells, and the 256 ordered pairs of neighbouring cells' patterns, across and down.
"""

from __future__ import annotations

import numpy as np

from generators._jit import compile_kernel
from generators.lattice import lattice

STAT_NAMES = (
    "dead_end_fraction",
    "junction_fraction",
    "path_length",
    "spur_length",
    "turn_share",
    "tree_depth",
    "dead_ends_q0",
    "dead_ends_q1",
    "dead_ends_q2",
    "dead_ends_q3",
)


def _walk(
    open_edges: np.ndarray,
    neighbors: np.ndarray,
    neighbor_edge: np.ndarray,
    h: int,
    w: int,
    out: np.ndarray,
) -> None:
    """BFS from cell 0 in each maze; ``out[b]`` gets the `STAT_NAMES` values of maze ``b``."""
    n = h * w
    goal = n - 1
    dist = np.empty(n, dtype=np.int64)
    parent = np.empty(n, dtype=np.int64)
    queue = np.empty(n, dtype=np.int64)
    degree = np.empty(n, dtype=np.int64)
    on_path = np.empty(n, dtype=np.bool_)
    for b in range(open_edges.shape[0]):
        for v in range(n):
            dist[v] = -1
            parent[v] = -1
            on_path[v] = False
            d = 0
            for k in range(4):
                e = neighbor_edge[v, k]
                if e >= 0 and open_edges[b, e]:
                    d += 1
            degree[v] = d
        dist[0] = 0
        queue[0] = 0
        head, tail = 0, 1
        while head < tail:
            v = queue[head]
            head += 1
            for k in range(4):
                e = neighbor_edge[v, k]
                if e >= 0 and open_edges[b, e]:
                    u = neighbors[v, k]
                    if dist[u] < 0:
                        dist[u] = dist[v] + 1
                        parent[u] = v
                        queue[tail] = u
                        tail += 1
        dead = 0
        junctions = 0
        quads = np.zeros(4, dtype=np.int64)
        depth_sum = 0.0
        for v in range(n):
            if degree[v] == 1:
                dead += 1
                r, c = v // w, v % w
                quads[(2 if r >= h // 2 else 0) + (1 if c >= w // 2 else 0)] += 1
            elif degree[v] >= 3:
                junctions += 1
            if dist[v] >= 0:
                depth_sum += dist[v]
        out[b, 0] = dead / n
        out[b, 1] = junctions / n
        out[b, 2] = dist[goal]
        out[b, 5] = depth_sum / tail
        for q in range(4):
            out[b, 6 + q] = quads[q]
        turns = 0
        inner = 0
        if dist[goal] >= 0:
            v = goal
            on_path[v] = True
            while parent[v] >= 0:
                p = parent[v]
                on_path[p] = True
                g = parent[p]
                if g >= 0:
                    inner += 1
                    # a straight move keeps the cell-index step: +-1 across, +-w down
                    if v - p != p - g:
                        turns += 1
                v = p
        out[b, 4] = turns / inner if inner > 0 else np.nan
        spur_total = 0.0
        spurs = 0
        for v in range(n):
            if degree[v] != 1 or on_path[v] or dist[v] < 0:
                continue
            steps = 0
            u = v
            while parent[u] >= 0:
                u = parent[u]
                steps += 1
                if on_path[u] or degree[u] >= 3:
                    break
            spur_total += steps
            spurs += 1
        out[b, 3] = spur_total / spurs if spurs > 0 else np.nan


def check_grids(
    walls: object, name: str = "walls", *, odd: bool = True, model_shape: tuple[int, int] | None = None
) -> np.ndarray:
    """``walls`` as a ``bool[B, H, W]`` array (with odd ``H`` and ``W``, a lattice grid's sides,
    unless ``odd=False``; ``(H, W) == model_shape``, a model's grids, when given), or a ValueError
    naming ``name`` and its dtype and shape."""
    walls = np.asarray(walls)
    sides = "2h+1, 2w+1" if odd else "H, W"
    if (
        walls.ndim != 3
        or walls.dtype != np.bool_
        or (odd and (walls.shape[1] % 2 == 0 or walls.shape[2] % 2 == 0))
    ):
        raise ValueError(f"{name} must be bool[B, {sides}], got {walls.dtype} of shape {walls.shape}")
    if model_shape is not None and walls.shape[1:] != tuple(model_shape):
        height, width = model_shape
        raise ValueError(
            f"{name} must be bool[B, {height}, {width}] (the model's grids), got shape {walls.shape}"
        )
    return walls


def structure_stats(walls: np.ndarray) -> dict[str, np.ndarray]:
    """``walls: bool[B, H, W]`` lattice grids -> each of `STAT_NAMES` as ``float64[B]``.

    The grids must have the lattice layout (every cell open, wall pillars); the statistics read
    only the passage squares.
    """
    walls = check_grids(walls)
    h, w = (walls.shape[1] - 1) // 2, (walls.shape[2] - 1) // 2
    lat = lattice(h, w)
    open_edges = np.ascontiguousarray(lat.passages_from_walls(walls))
    out = np.zeros((len(walls), len(STAT_NAMES)), dtype=np.float64)
    compile_kernel(_walk)(open_edges, lat.neighbors, lat.neighbor_edge, h, w, out)
    return {name: out[:, i] for i, name in enumerate(STAT_NAMES)}


def motif_counts(walls: np.ndarray) -> np.ndarray:
    """``walls: bool[B, H, W]`` lattice grids -> ``float32[B, 544]`` local-pattern counts.

    Columns: 16 cell patterns (bits up, right, down, left open), 16 patterns of 2x2 blocks (bits
    top, bottom, left, right inner passage open), 256 (left, right) and 256 (upper, lower) pairs
    of neighbouring cells' patterns.
    """
    walls = check_grids(walls)
    across = ~walls[:, 1:-1:2, 2:-1:2]  # between (r, c) and (r, c + 1): [B, h, w - 1]
    down = ~walls[:, 2:-1:2, 1:-1:2]  # between (r, c) and (r + 1, c): [B, h - 1, w]
    b, h, w = len(walls), across.shape[1], down.shape[2]
    cell = np.zeros((b, h, w), dtype=np.int64)
    cell[:, 1:, :] += down.astype(np.int64)  # up
    cell[:, :, :-1] += 2 * across  # right
    cell[:, :-1, :] += 4 * down  # down
    cell[:, :, 1:] += 8 * across  # left
    block = (
        across[:, :-1, :].astype(np.int64) + 2 * across[:, 1:, :] + 4 * down[:, :, :-1] + 8 * down[:, :, 1:]
    )
    pair_across = cell[:, :, :-1] * 16 + cell[:, :, 1:]
    pair_down = cell[:, :-1, :] * 16 + cell[:, 1:, :]

    def count(codes: np.ndarray, k: int) -> np.ndarray:
        # An explicit row length: ``reshape(0, -1)`` cannot infer it for an empty batch.
        flat = codes.reshape(b, int(np.prod(codes.shape[1:]))) + k * np.arange(b)[:, None]
        return np.bincount(flat.ravel(), minlength=k * b).reshape(b, k)

    return np.concatenate(
        [count(cell, 16), count(block, 16), count(pair_across, 256), count(pair_down, 256)], axis=1
    ).astype(np.float32)
