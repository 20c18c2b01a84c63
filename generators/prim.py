"""Randomised Prim: grow one tree from the start cell, a uniformly random frontier edge at a time.

The tree starts as the top-left cell. The frontier is every passage from a tree cell to a cell
outside the tree; each step opens one frontier passage chosen uniformly at random, which adds the
cell beyond it, so each of the ``N`` cells joins exactly once and the result is always a spanning
tree (a perfect maze). Frontier edges whose far cell has just joined are dropped, and the new
cell's passages to outside cells are added. The texture has many short dead ends radiating from
the start. Cost: exactly ``N - 1`` steps, each O(1), so O(N) time and memory.

The frontier is kept as an array with swap-remove (a removed edge's slot takes the last edge), and
step ``t`` opens the frontier edge in slot ``floor(u[t] * F)`` of the ``F`` slots, ``u`` being
``N - 1`` uniforms drawn up front. Every step is the same fixed sequence of array updates, so a
batch runs all its mazes in numpy lock-step and gets exactly the mazes that the plain Python loop
for one maze gives.

**The JIT path (default).** Both of those pay for every step in Python or numpy calls, and the
lock-step loop touches all ``B`` mazes' memory in every step, so their cost per cell grows with
the maze (`generate_walls` on batches of about 800k cells: 140-180 ns/cell from 7x7 to 28x28
cells, 300 at 56x56, 1000 at 128x128). The same loop compiled with numba (`_grow_kernel`, one
maze at a time, its working set in cache) costs about 30 ns/cell at every size from 7x7 to
128x128, so it is used whenever numba imports (a core dependency). It names cells and passages
by their squares on the wall grid instead of by lattice index, which changes no frontier slot, so
its mazes are bit-identical to the two loops above; they stay as the reference (tested) and the
fallback: set ``DAEDALUS_GYM_JIT=0`` to use them.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import ClassVar

import numpy as np

from generators._jit import compile_kernel
from generators.base import MazeGenerator, check_count, check_rng, check_uniforms
from generators.lattice import Lattice, lattice

# Below this many mazes the per-maze Python loop beats the numpy lock-step loop.
_LOCKSTEP_MIN_BATCH = 8


def _grow_one(lat: Lattice, u: np.ndarray) -> np.ndarray:
    """Open passages ``bool[E]`` of one maze from uniforms ``u: float[N - 1]``."""
    neighbors = lat.neighbors.tolist()
    neighbor_edge = lat.neighbor_edge.tolist()
    in_tree = [False] * lat.num_cells
    frontier: list[int] = []
    slot = [-1] * lat.num_edges
    open_edges = np.zeros(lat.num_edges, dtype=bool)

    def add(cell: int) -> None:
        in_tree[cell] = True
        for d in range(4):
            nbr = neighbors[cell][d]
            if nbr < 0:
                continue
            edge = neighbor_edge[cell][d]
            if in_tree[nbr]:  # now inside the tree: swap-remove it from the frontier
                last = frontier.pop()
                if last != edge:
                    frontier[slot[edge]] = last
                    slot[last] = slot[edge]
                slot[edge] = -1
            else:
                slot[edge] = len(frontier)
                frontier.append(edge)

    add(0)
    edges = lat.edges.tolist()
    for ut in u.tolist():
        size = len(frontier)
        edge = frontier[min(int(ut * size), size - 1)]
        open_edges[edge] = True
        a, b = edges[edge]
        add(b if in_tree[a] else a)
    return open_edges


def _grow_lockstep(lat: Lattice, u: np.ndarray) -> np.ndarray:
    """Open passages ``bool[B, E]`` for ``B`` mazes at once from ``u: float[B, N - 1]``."""
    batch, n_cells, n_edges = len(u), lat.num_cells, lat.num_edges
    # Flat per-row tables (row b's entries start at b * width) so that every update is a 1-D
    # take/put, which numpy does much faster than 2-D fancy indexing.
    rows = np.arange(batch)
    cell_base = rows * (n_cells + 1)
    edge_base = rows * n_edges
    # Cell n_cells of each row stands for "outside the grid": marked as in the tree so that no
    # edge is ever appended towards it, and excluded explicitly from removal.
    in_tree = np.zeros(batch * (n_cells + 1), dtype=bool)
    in_tree[cell_base + n_cells] = True
    nbr_table = np.where(lat.neighbors < 0, n_cells, lat.neighbors).T.copy()  # [4, N]
    edge_table = lat.neighbor_edge.T.copy()  # [4, N]
    frontier = np.zeros(batch * n_edges, dtype=np.int64)
    slot = np.full(batch * n_edges, -1, dtype=np.int64)
    size = np.zeros(batch, dtype=np.int64)
    open_edges = np.zeros(batch * n_edges, dtype=bool)
    ends_a, ends_b = lat.edges[:, 0].copy(), lat.edges[:, 1].copy()

    def add(cells: np.ndarray) -> None:
        in_tree[cell_base + cells] = True
        for d in range(4):  # same direction order as `_grow_one`, so the same frontier order
            nbr = nbr_table[d].take(cells)
            edge = edge_table[d].take(cells)
            inside = in_tree.take(cell_base + nbr)
            r = np.flatnonzero(inside & (nbr != n_cells))
            if r.size:  # swap-remove the edges that now lie inside the tree
                base = edge_base.take(r)
                flat_edge = base + edge.take(r)
                last_slot = size.take(r) - 1
                size[r] = last_slot
                last = frontier.take(base + last_slot)
                hole = slot.take(flat_edge)
                frontier[base + hole] = last
                slot[base + last] = hole
                slot[flat_edge] = -1
            r = np.flatnonzero(~inside)
            if r.size:  # append the edges to cells still outside the tree
                base = edge_base.take(r)
                e = edge.take(r)
                end = size.take(r)
                slot[base + e] = end
                frontier[base + end] = e
                size[r] = end + 1

    add(np.zeros(batch, dtype=np.int64))
    for t in range(u.shape[1]):
        k = np.minimum((u[:, t] * size).astype(np.int64), size - 1)
        edge = frontier.take(edge_base + k)
        open_edges[edge_base + edge] = True
        a, b = ends_a.take(edge), ends_b.take(edge)
        add(np.where(in_tree.take(cell_base + a), b, a))
    return open_edges.reshape(batch, n_edges)


def _grow_kernel(u: np.ndarray, h: int, w: int, walls: np.ndarray) -> None:
    """Grow ``B`` mazes into ``walls: bool[B, 2h+1, 2w+1]`` (all True on entry), one at a time.

    Exactly `_grow_one`: the same frontier slots, filled and swap-removed in the same order, hold
    the same passages. Only the names differ, so numba compiles it to straight-line code with a
    small working set: a cell or passage is its square on the wall grid, shifted one row down in
    ``state``, which has an extra row above and below the grid. ``state`` is 0 for a cell outside
    the tree, 1 for a tree cell and 2 everywhere else, so a neighbour beyond the grid (in the
    extra rows or on the grid's border columns) reads 2 and is skipped, as `_grow_one` skips -1.
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


@lru_cache(maxsize=1)
def jit_kernel() -> Callable[[np.ndarray, int, int, np.ndarray], None] | None:
    """`_grow_kernel` compiled by numba (cached on disk), or None without numba or with
    ``DAEDALUS_GYM_JIT=0``. Imported on first use: numba's import is not free."""
    return compile_kernel(_grow_kernel)


class PrimGenerator(MazeGenerator):
    """Perfect mazes by randomised Prim (uniform frontier edge): short dead ends around the start."""

    name = "prim"
    perfect: ClassVar[bool] = True

    def num_draws(self) -> int:
        """Uniforms consumed per maze: one per step, ``N - 1``."""
        h, w = self.cells
        return h * w - 1

    def walls_from_uniforms(self, u: np.ndarray) -> np.ndarray:
        """``u: float[B, N - 1]`` in ``[0, 1)`` -> ``walls: bool[B, H, W]``; deterministic."""
        h, w = self.cells
        u = check_uniforms(u, self.num_draws())
        kernel = jit_kernel()
        if kernel is not None:
            walls = np.ones((len(u), 2 * h + 1, 2 * w + 1), dtype=bool)
            kernel(np.ascontiguousarray(u), h, w, walls)
            return walls
        return self._walls_numpy(u)

    def _walls_numpy(self, u: np.ndarray) -> np.ndarray:
        """`walls_from_uniforms` without the JIT: lock-step numpy, or a Python loop for few mazes."""
        lat = lattice(*self.cells)
        if len(u) >= _LOCKSTEP_MIN_BATCH:
            open_edges = _grow_lockstep(lat, u)
        elif len(u):
            open_edges = np.stack([_grow_one(lat, row) for row in u])
        else:
            open_edges = np.zeros((0, lat.num_edges), dtype=bool)
        return lat.walls_from_passages(open_edges)

    def generate_walls(self, n: int, rng: np.random.Generator) -> np.ndarray:
        n, rng = check_count(n), check_rng(rng)
        return self.walls_from_uniforms(rng.random((n, self.num_draws())))
