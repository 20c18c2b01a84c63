"""Wilson's algorithm: a uniformly random spanning tree by loop-erased random walks.

The tree starts as the top-left cell. From each cell not yet in the tree (in row-major order) a
random walk runs until it hits the tree, remembering at every cell only the direction it last
left by; following those directions from the walk's start is the walk with its loops erased, and
that path joins the tree. Every spanning tree of the lattice comes out with the same probability
(Wilson, 1996), so the mazes carry none of the backtracker's long corridors or Prim's bias towards
the start. Cost: the expected number of walk steps is the mean hitting time of the root, about
``N log N`` on a grid (a few thousand steps for 14x14 cells, ~10^5 for 64x64), each step O(1).

The walks are inherently sequential and draw a variable number of directions, so there is no
lock-step batch: a batch is one maze after another on the same rng, which is exactly what
sequential generation gives. Directions are drawn from the rng in blocks of ``8 N`` (one numpy
call per block); a maze draws a block whenever its walks have used up the last one, and its
unused directions are dropped when it is done.

The walks are compiled with numba (`_walk_kernel`): the kernel runs until the maze is done or
its block of directions is used up, keeping where it stopped, and Python draws the next block.
``_walk_kernel.py_func`` is the same loop as plain Python (the tests compare the two;
``NUMBA_DISABLE_JIT=1`` runs it everywhere), and both serve the mazes of the pure-Python walk
this replaced (0.8.1), direction for direction.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from generators._jit import compile_kernel
from generators.base import MazeGenerator, check_count, check_rng
from generators.lattice import Lattice, lattice

# Walk directions are drawn from the rng in blocks of this many (times the cell count): one
# numpy call per block instead of one per step. Unused draws at the end of a maze are dropped.
_DRAWS_PER_CELL = 8


def _walk_kernel(
    step: np.ndarray,
    step_edge: np.ndarray,
    directions: np.ndarray,
    in_tree: np.ndarray,
    exit_dir: np.ndarray,
    open_edges: np.ndarray,
    state: np.ndarray,
) -> bool:
    """Run Wilson's walks of one maze on from ``state`` (``int64[2]``: the walk's start cell and
    the cell it has reached), reading ``directions`` (``int8``, each 0-3: up, right, down, left)
    in order: True when every cell is in the tree, False when ``directions`` ran out first (then
    ``state`` says where to go on with the next block).

    ``step: int64[N, 4]`` is the neighbour in each direction (`Lattice.steps`: the cell itself off
    the grid, so a move off the grid leaves the walk where it is, the same as drawing again),
    ``step_edge: int64[N, 4]`` the passage to it (`Lattice.neighbor_edge`); ``in_tree``,
    ``exit_dir`` (the direction each cell was last left by) and ``open_edges: bool[E]`` are the
    maze's state between calls.
    """
    n = in_tree.shape[0]
    start, cell = state[0], state[1]
    pos, available = 0, directions.shape[0]
    while start < n:
        while not in_tree[cell]:
            if pos == available:
                state[0], state[1] = start, cell
                return False
            d = directions[pos]
            pos += 1
            exit_dir[cell] = d
            cell = step[cell, d]
        # Follow the last exits from the start: the walk with its loops erased joins the tree.
        cell = start
        while not in_tree[cell]:
            in_tree[cell] = True
            d = exit_dir[cell]
            open_edges[step_edge[cell, d]] = True
            cell = step[cell, d]
        start += 1
        cell = start
    state[0], state[1] = n, n
    return True


def _wilson(lat: Lattice, rng: np.random.Generator, open_edges: np.ndarray) -> None:
    """Open in ``open_edges: bool[E]`` (all False on entry) the passages of one uniform spanning
    tree of ``lat``, drawn from ``rng``."""
    in_tree = np.zeros(lat.num_cells, dtype=np.bool_)
    in_tree[0] = True
    exit_dir = np.zeros(lat.num_cells, dtype=np.int8)
    state = np.array([1, 1], dtype=np.int64)
    kernel = compile_kernel(_walk_kernel)
    block = _DRAWS_PER_CELL * lat.num_cells
    while not kernel(
        lat.steps,
        lat.neighbor_edge,
        rng.integers(0, 4, size=block, dtype=np.int8),
        in_tree,
        exit_dir,
        open_edges,
        state,
    ):
        pass


class WilsonGenerator(MazeGenerator):
    """Perfect mazes drawn uniformly from all spanning trees (Wilson's algorithm)."""

    name = "wilson"
    perfect: ClassVar[bool] = True

    def generate_walls(self, n: int, rng: np.random.Generator) -> np.ndarray:
        n, rng = check_count(n), check_rng(rng)
        lat = lattice(*self.cells)
        open_edges = np.zeros((n, lat.num_edges), dtype=bool)
        for i in range(n):
            _wilson(lat, rng, open_edges[i])
        return lat.walls_from_passages(open_edges)
