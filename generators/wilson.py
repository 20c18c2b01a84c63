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
sequential generation gives.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

import numpy as np

from generators.base import MazeGenerator, check_count, check_rng
from generators.lattice import Lattice, lattice

# Walk directions are drawn from the rng in blocks of this many (times the cell count): one
# numpy call per block instead of one per step. Unused draws at the end of a maze are dropped.
_DRAWS_PER_CELL = 8


def _directions(rng: np.random.Generator, block: int) -> Iterator[int]:
    while True:
        yield from rng.integers(0, 4, size=block, dtype=np.int8).tolist()


def _wilson_one(lat: Lattice, rng: np.random.Generator) -> np.ndarray:
    """Open passages ``bool[E]`` of one uniform spanning tree, drawn from ``rng``."""
    n_cells = lat.num_cells
    # A move off the grid leaves the walk where it is; that is the same as drawing again, so the
    # walk still steps to a uniformly random neighbour without a branch for the border.
    step = [[c if n < 0 else n for n in row] for c, row in enumerate(lat.neighbors.tolist())]
    step_edge = lat.neighbor_edge.tolist()
    in_tree = [False] * n_cells
    in_tree[0] = True
    exit_dir = [0] * n_cells
    directions = _directions(rng, _DRAWS_PER_CELL * n_cells)
    open_edges = np.zeros(lat.num_edges, dtype=bool)
    for start in range(1, n_cells):
        cell = start
        while not in_tree[cell]:
            d = next(directions)
            exit_dir[cell] = d
            cell = step[cell][d]
        cell = start
        while not in_tree[cell]:
            in_tree[cell] = True
            d = exit_dir[cell]
            open_edges[step_edge[cell][d]] = True
            cell = step[cell][d]
    return open_edges


class WilsonGenerator(MazeGenerator):
    """Perfect mazes drawn uniformly from all spanning trees (Wilson's algorithm)."""

    name = "wilson"
    perfect: ClassVar[bool] = True

    def generate_walls(self, n: int, rng: np.random.Generator) -> np.ndarray:
        n, rng = check_count(n), check_rng(rng)
        lat = lattice(*self.cells)
        open_edges = np.zeros((n, lat.num_edges), dtype=bool)
        for i in range(n):
            open_edges[i] = _wilson_one(lat, rng)
        return lat.walls_from_passages(open_edges)
