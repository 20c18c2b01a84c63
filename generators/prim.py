"""Randomised Prim: grow one tree from the start cell, a uniformly random frontier edge at a time.

The tree starts as the top-left cell. The frontier is every passage from a tree cell to a cell
outside the tree; each step opens one frontier passage chosen uniformly at random, which adds the
cell beyond it, so each of the ``N`` cells joins exactly once and the result is always a spanning
tree (a perfect maze). Frontier edges whose far cell has just joined are dropped, and the new
cell's passages to outside cells are added. The texture has many short dead ends radiating from
the start. Cost: exactly ``N - 1`` steps, each O(1), so O(N) time and memory.

The frontier is kept as an array with swap-remove (a removed edge's slot takes the last edge), and
step ``t`` opens the frontier edge in slot ``floor(u[t] * F)`` of the ``F`` slots, ``u`` being
``N - 1`` uniforms drawn up front.

The loop is compiled with numba (`_grow_kernel`, one maze at a time, its working set in cache):
about 30 ns/cell at every size from 7x7 to 128x128 cells. ``_grow_kernel.py_func`` is the same
loop as plain Python (the tests compare the two; ``NUMBA_DISABLE_JIT=1`` runs it everywhere).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from generators._jit import compile_kernel, split_rows
from generators.base import UniformsMazeGenerator


def _grow_kernel(u: np.ndarray, h: int, w: int, walls: np.ndarray) -> None:
    """Grow ``B`` mazes into ``walls: bool[B, 2h+1, 2w+1]`` (all True on entry), one at a time.

    Written so numba compiles it to straight-line code with a small working set: a cell or
    passage is its square on the wall grid, shifted one row down in ``state``, which has an extra
    row above and below the grid. ``state`` is 0 for a cell outside
    the tree, 1 for a tree cell and 2 everywhere else, so a neighbour beyond the grid (in the
    extra rows or on the grid's border columns) reads 2 and is skipped.
    ``far`` records, when a passage enters the frontier, the cell beyond it, which stays outside
    the tree for as long as the passage is in the frontier.
    """
    batch, steps = u.shape
    row = 2 * w + 1
    squares = (2 * h + 3) * row
    flat = walls.reshape(batch, -1)
    offset = np.array([-row, 1, row, -1], dtype=np.int64)  # up, right, down, left
    template = np.full(squares, 2, dtype=np.uint8)
    for r in range(h):
        for c in range(w):
            template[(2 * r + 2) * row + 2 * c + 1] = 0
    state = np.empty_like(template)
    # int32: half the working set of int64, and ample (1024x1024 cells are about 4.2M squares).
    slot = np.empty(squares, dtype=np.int32)
    far = np.empty(squares, dtype=np.int32)
    frontier = np.empty(2 * h * w, dtype=np.int32)
    for b in range(batch):
        state[:] = template
        for r in range(h):
            for c in range(w):
                flat[b, (2 * r + 1) * row + 2 * c + 1] = False
        size = 0
        cell = 2 * row + 1  # cell (0, 0)
        t = 0
        while True:
            state[cell] = 1
            for d in range(4):
                o = offset[d]
                nbr = state[cell + 2 * o]
                if nbr == 2:
                    continue
                passage = cell + o
                if nbr == 1:  # now inside the tree: swap-remove it from the frontier
                    size -= 1
                    last = frontier[size]
                    hole = slot[passage]
                    frontier[hole] = last
                    slot[last] = hole
                else:
                    slot[passage] = size
                    far[passage] = cell + 2 * o
                    frontier[size] = passage
                    size += 1
            if t == steps:
                break
            passage = frontier[min(np.int64(u[b, t] * size), size - 1)]
            flat[b, passage - row] = False
            cell = far[passage]
            t += 1


class PrimGenerator(UniformsMazeGenerator):
    """Perfect mazes by randomised Prim (uniform frontier edge): short dead ends around the start."""

    name = "prim"
    perfect: ClassVar[bool] = True

    def num_draws(self) -> int:
        """Uniforms consumed per maze: one per step, ``N - 1``."""
        h, w = self.cells
        return h * w - 1

    def _walls(self, u: np.ndarray) -> np.ndarray:
        h, w = self.cells
        walls = np.ones((len(u), 2 * h + 1, 2 * w + 1), dtype=bool)
        u = np.ascontiguousarray(u)
        kernel = compile_kernel(_grow_kernel)
        split_rows(lambda lo, hi: kernel(u[lo:hi], h, w, walls[lo:hi]), len(u))
        return walls
