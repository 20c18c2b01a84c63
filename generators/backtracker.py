"""Recursive backtracker (randomised depth-first search), without recursion.

Start at the top-left cell; repeatedly step to a random unvisited neighbour, opening the passage,
and back up when there is none. An explicit stack replaces recursion, so a 1024x1024-cell maze is
as safe as a 7x7 one. Cost: O(N) time and memory for N cells, exactly ``2N - 1`` iterations
(``N - 1`` pushes and at most ``N`` pops).

Iteration ``t`` reads uniform ``u[t]`` (drawn up front as ``rng.random(2N - 1)``) and, with ``k``
candidate neighbours, takes candidate ``int(u[t] * k)``. A batch runs every maze in lock-step
with numpy -- the same iteration on all ``B`` mazes at once -- and gets exactly the mazes that
one-at-a-time generation gives:

- every maze's padded wall grid lies in one flat ``uint8`` array, so a neighbour is a fixed
  offset away, the four neighbours of all the stack tops are four gathers from shifted views,
  and the pad ring counts as visited, so no move ever leaves its maze;
- one 256-entry table maps (which neighbours are taken, ``q = floor(12 u)``) straight to the
  move: ``int(u * k) == q // (12 // k)`` for ``k`` in 1..4, exactly, for every double
  ``rng.random`` can return (``12 u`` is never within rounding distance of a multiple of 3 or 6
  that ``u * k`` is not; ``k = 3`` is an exact power-of-two scaling of ``12 u``);
- a maze that has finished keeps popping its stack, which empties exactly at iteration
  ``2N - 1``, so there is no per-maze bookkeeping.

Each iteration is about fifteen numpy calls on ``B``-long vectors; batches run in chunks of a
few thousand grid squares' worth so one iteration's working set stays in cache.

**The JIT path (default).** Lock-step numpy pays per iteration for every maze of the batch at
once, which amortises Python's overhead but touches ``B`` mazes' memory in every iteration: its
cost per cell grows with the maze (cells^1.14 from 7x7 to 128x128). The same loop compiled with
numba (`_carve_kernel`, one maze at a time, its working set in cache) costs the same per cell at
every size and is 3-6x faster (14x14 to 128x128 cells), so it is used whenever numba imports (a core
dependency). Its mazes are bit-identical to the numpy paths, which stay as the reference
(tested) and the fallback: set ``DAEDALUS_GYM_JIT=0`` to use them.
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
# Lock-step chunk: about this many grid squares, between the two bounds in mazes (measured best
# from 7x7 to 128x128 cells: enough mazes to amortise numpy's per-call cost, few enough to stay
# in cache).
LOCKSTEP_SQUARES = 1 << 22
LOCKSTEP_CHUNK = (512, 2048)


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
_STACK_STEP = np.where(_MOVE == 4, -1, 1).astype(np.int64)  # push for a direction, pop for 4
_TAKEN_BITS = np.array([[16], [32], [64], [128]], dtype=np.uint8)  # bit d of `taken`, shifted by 4


@lru_cache(maxsize=64)
def _neighbour_lists(h: int, w: int) -> tuple[tuple[tuple[int, int], ...], ...]:
    """Per cell, its ``(neighbour, passage)`` pairs inside the grid, in direction order."""
    lat = lattice(h, w)
    pairs = zip(lat.neighbors.tolist(), lat.neighbor_edge.tolist(), strict=True)
    return tuple(tuple((n, e) for n, e in zip(ns, es, strict=True) if n >= 0) for ns, es in pairs)


def _carve_one(lat: Lattice, u: np.ndarray) -> np.ndarray:
    """Open passages ``bool[E]`` of one maze from uniforms ``u: float[2N - 1]``."""
    around = _neighbour_lists(lat.h, lat.w)
    visited = [False] * lat.num_cells
    visited[0] = True
    stack = [0]
    opened = []
    pushes_left = lat.num_cells - 1
    for ut in u.tolist():
        cand = [pair for pair in around[stack[-1]] if not visited[pair[0]]]
        if cand:
            nxt, edge = cand[int(ut * len(cand))]
            visited[nxt] = True
            opened.append(edge)
            stack.append(nxt)
            pushes_left -= 1
            if pushes_left == 0:
                break
        else:
            stack.pop()
    open_edges = np.zeros(lat.num_edges, dtype=bool)
    open_edges[opened] = True
    return open_edges


def _carve_kernel(u: np.ndarray, h: int, w: int, walls: np.ndarray, move: np.ndarray) -> None:
    """Carve ``B`` mazes into ``walls: bool[B, 2h+1, 2w+1]`` (all True on entry), one at a time.

    Exactly `_carve_one`, in the lock-step loop's terms so numba compiles it to straight-line
    code: ``visited`` is the cell grid padded by a ring of visited cells (no bounds tests), the
    move comes from the same table (``move[16 * taken + floor(12 u)]``, 4 = pop), and the stack
    keeps each cell's padded index and wall-grid square side by side (no divisions).
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
            else:
                depth -= 1
                p = cells[depth]
                sq = squares[depth]
            t += 1


@lru_cache(maxsize=1)
def jit_kernel() -> Callable[[np.ndarray, int, int, np.ndarray, np.ndarray], None] | None:
    """`_carve_kernel` compiled by numba (cached on disk), or None without numba or with
    ``DAEDALUS_GYM_JIT=0``. Imported on first use: numba's import is not free."""
    return compile_kernel(_carve_kernel)


def _carve_lockstep(h: int, w: int, u: np.ndarray) -> np.ndarray:
    """Walls ``bool[B, 2h+1, 2w+1]`` of ``B`` mazes at once from ``u: float[B, 2N - 1]``.

    Each maze lives on its wall grid padded by one more ring, ``(2h+3, 2w+3)`` squares, flattened
    and laid end to end in ``grid``: 255 for walls, the pad ring and visited cells, 0 for unvisited
    cells and opened passages. Cells sit at even padded coordinates; the neighbour cell in
    direction ``d`` is ``2 * offset[d]`` squares away and the passage to it ``offset[d]``. Only
    cells and the pad ring are ever read, so passages can share the array. A pop has offset 0:
    its writes land on the top cell itself and leave it visited.
    """
    batch = len(u)
    hp, wp = 2 * h + 3, 2 * w + 3
    size = hp * wp
    offset = np.array([-wp, 1, wp, -1, 0], dtype=np.int64)
    move_offset = offset[_MOVE]
    cells = np.zeros((hp, wp), dtype=bool)
    cells[2:-1:2, 2:-1:2] = True
    margin = 2 * wp  # so that the shifted views below exist for the first and last maze
    padded = np.full(batch * size + 2 * margin, 255, dtype=np.uint8)
    grid = padded[margin:-margin]
    grid[:] = np.tile(np.where(cells.ravel(), 0, 255).astype(np.uint8), batch)
    # neighbour[d][i] is grid[i + 2 * offset[d]]: the four neighbours without index arithmetic.
    neighbour = [padded[margin + 2 * o :] for o in offset[:4].tolist()]
    start = np.arange(batch, dtype=np.int64) * size + 2 * wp + 2  # cell (0, 0)
    grid[start] = 255
    depth_max = h * w + 1
    stack = np.empty(batch * depth_max + 1, dtype=np.int64)
    above = stack[1:]  # above[i] is stack[i + 1]
    top_at = np.arange(batch, dtype=np.int64) * depth_max  # flat index of each stack's top
    stack[top_at] = start
    q = np.empty((u.shape[1], batch), dtype=np.uint8)  # [T, B]: floor(12 u), one row per iteration
    block = max(1, (1 << 18) // u.shape[1])  # a few mazes at a time: no maze-sized temporaries
    for i in range(0, batch, block):
        q[:, i : i + block] = (u[i : i + block] * 12.0).astype(np.uint8).T
    taken = np.empty((4, batch), dtype=np.uint8)
    for t in range(u.shape[1]):
        top = stack.take(top_at)
        for d in range(4):
            neighbour[d].take(top, out=taken[d])
        taken &= _TAKEN_BITS
        key = np.bitwise_or.reduce(taken, axis=0)
        key |= q[t]
        step = move_offset.take(key)
        passage = top + step
        nxt = passage + step
        grid[passage] = 0
        grid[nxt] = 255
        above[top_at] = nxt
        top_at += _STACK_STEP.take(key)
    walls = grid.reshape(batch, hp, wp)[:, 1:-1, 1:-1] != 0
    walls[:, 1::2, 1::2] = False  # cells: all visited (255) by now, and open
    return walls


class BacktrackerGenerator(MazeGenerator):
    """Perfect mazes by randomised depth-first search: long corridors, few dead ends."""

    name = "backtracker"
    perfect: ClassVar[bool] = True

    def num_draws(self) -> int:
        """Uniforms consumed per maze."""
        h, w = self.cells
        return 2 * h * w - 1

    def walls_from_uniforms(self, u: np.ndarray) -> np.ndarray:
        """``u: float[B, 2N - 1]`` in ``[0, 1)`` -> ``walls: bool[B, H, W]``; deterministic."""
        h, w = self.cells
        u = check_uniforms(u, self.num_draws())
        kernel = jit_kernel()
        if kernel is not None:
            walls = np.ones((len(u), 2 * h + 1, 2 * w + 1), dtype=bool)
            kernel(np.ascontiguousarray(u), h, w, walls, _MOVE)
            return walls
        return self._walls_numpy(u)

    def _walls_numpy(self, u: np.ndarray) -> np.ndarray:
        """`walls_from_uniforms` without the JIT: lock-step numpy, or a Python loop for few mazes."""
        h, w = self.cells
        if len(u) >= _LOCKSTEP_MIN_BATCH:
            low, high = LOCKSTEP_CHUNK
            chunk = min(high, max(low, LOCKSTEP_SQUARES // ((2 * h + 3) * (2 * w + 3))))
            return np.concatenate([_carve_lockstep(h, w, u[i : i + chunk]) for i in range(0, len(u), chunk)])
        lat = lattice(h, w)
        open_edges = np.zeros((len(u), lat.num_edges), dtype=bool)
        for i, row in enumerate(u):
            open_edges[i] = _carve_one(lat, row)
        return lat.walls_from_passages(open_edges)

    def generate_walls(self, n: int, rng: np.random.Generator) -> np.ndarray:
        n, rng = check_count(n), check_rng(rng)
        return self.walls_from_uniforms(rng.random((n, self.num_draws())))
