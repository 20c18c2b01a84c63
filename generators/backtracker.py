"""Recursive backtracker (randomised depth-first search), without recursion.

Start at the top-left cell; repeatedly step to a random unvisited neighbour, opening the passage,
and back up when there is none. An explicit stack replaces recursion, so a 1024x1024-cell maze is
as safe as a 7x7 one. Cost: O(N) time and memory for N cells, exactly ``2N - 1`` iterations
(``N - 1`` pushes and at most ``N`` pops).

Iteration ``t`` reads uniform ``u[t]`` (drawn up front as ``rng.random(2N - 1)``) and, with ``k``
candidate neighbours, takes candidate ``int(u[t] * k)``. One 256-entry table maps (which
neighbours are taken, ``q = floor(12 u)``) straight to the move: ``int(u * k) == q // (12 // k)``
for ``k`` in 1..4, exactly, for every double ``rng.random`` can return (``12 u`` is never within
rounding distance of a multiple of 3 or 6 that ``u * k`` is not; ``k = 3`` is an exact
power-of-two scaling of ``12 u``).

The loop is compiled with numba (`_carve_kernel`, one maze at a time, its working set in cache):
its cost per cell is flat from 7x7 to 128x128 cells. ``_carve_kernel.py_func`` is the same loop
as plain Python (the tests compare the two; ``NUMBA_DISABLE_JIT=1`` runs it everywhere).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from generators._jit import compile_kernel, split_rows
from generators.base import UniformsMazeGenerator


def _move_table() -> np.ndarray:
    """``table[16 * taken + q]``: the direction a DFS step takes, 4 = pop.

    ``taken`` has bit ``d`` set when the neighbour in direction ``d`` (up, right, down, left) is
    visited or outside; ``q = floor(12 u)``. With ``k`` candidates the step takes candidate
    ``q // (12 // k)``, which equals ``int(u * k)``.
    """
    table = np.full(256, 4, dtype=np.int64)
    for taken in range(16):
        candidates = [d for d in range(4) if not taken >> d & 1]
        for q in range(12):
            if candidates:
                table[16 * taken + q] = candidates[q // (12 // len(candidates))]
    return table


_MOVE = _move_table()


def _carve_kernel(u: np.ndarray, h: int, w: int, walls: np.ndarray, move: np.ndarray) -> int:
    """Carve ``B`` mazes into ``walls: bool[B, 2h+1, 2w+1]`` (all True on entry), one at a time;
    return the depth (cells from the top-left one) at which the last maze reached its bottom-right
    cell, which is that maze's start-goal path in cell steps. (The difficulty-control search runs
    the same loop, drawing its uniforms as it goes and stopping candidates that miss:
    `generators._control_kernels._carve_search`.)

    Written so numba compiles it to straight-line code: ``visited`` is the cell grid padded by a
    ring of visited cells (no bounds tests), the move comes from the table
    (``move[16 * taken + floor(12 u)]``, 4 = pop), and the stack keeps each cell's padded index
    and wall-grid square side by side (no divisions). ``u`` must lie in ``[0, 1)``: it indexes
    ``move`` unchecked.
    """
    n = h * w
    wp = w + 2
    row = 2 * w + 1
    flat = walls.reshape(u.shape[0], -1)
    cell_off = np.array([-wp, 1, wp, -1], dtype=np.int64)
    square_off = np.array([-row, 1, row, -1], dtype=np.int64)
    template = np.ones((h + 2) * wp, dtype=np.uint8)
    for r in range(h):
        for c in range(w):
            template[(r + 1) * wp + c + 1] = 0
    visited = np.empty_like(template)
    cells = np.empty(n, dtype=np.int64)
    squares = np.empty(n, dtype=np.int64)
    goal = h * wp + w  # cell (h - 1, w - 1)
    goal_depth = 0
    for b in range(u.shape[0]):
        for r in range(h):
            for c in range(w):
                flat[b, (2 * r + 1) * row + 2 * c + 1] = False
        visited[:] = template
        p = wp + 1  # cell (0, 0)
        sq = row + 1
        visited[p] = 1
        depth = 0
        cells[0] = p
        squares[0] = sq
        pushes_left = n - 1
        t = 0
        while pushes_left > 0:
            taken = visited[p - wp] | (visited[p + 1] << 1) | (visited[p + wp] << 2) | (visited[p - 1] << 3)
            d = move[taken * 16 + np.int64(u[b, t] * 12.0)]
            if d < 4:
                flat[b, sq + square_off[d]] = False
                p += cell_off[d]
                sq += 2 * square_off[d]
                visited[p] = 1
                depth += 1
                cells[depth] = p
                squares[depth] = sq
                pushes_left -= 1
                if p == goal:
                    goal_depth = depth
            else:
                depth -= 1
                p = cells[depth]
                sq = squares[depth]
            t += 1
    return goal_depth


class BacktrackerGenerator(UniformsMazeGenerator):
    """Perfect mazes by randomised depth-first search: long corridors, few dead ends."""

    name = "backtracker"
    perfect: ClassVar[bool] = True

    def num_draws(self) -> int:
        """Uniforms consumed per maze: ``2N - 1`` for ``N`` cells."""
        h, w = self.cells
        return 2 * h * w - 1

    def _walls(self, u: np.ndarray) -> np.ndarray:
        h, w = self.cells
        walls = np.ones((len(u), 2 * h + 1, 2 * w + 1), dtype=bool)
        u = np.ascontiguousarray(u)
        kernel = compile_kernel(_carve_kernel)
        split_rows(lambda lo, hi: kernel(u[lo:hi], h, w, walls[lo:hi], _MOVE), len(u))
        return walls
