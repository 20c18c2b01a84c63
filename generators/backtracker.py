"""Recursive backtracker (randomised depth-first search), without recursion.

Start at the top-left cell; repeatedly step to a random unvisited neighbour, opening the passage,
and back up when there is none. An explicit stack replaces recursion, so a 1024x1024-cell maze is
as safe as a 7x7 one. Cost: O(N) time and memory for N cells, exactly ``2N - 1`` iterations
(``N - 1`` pushes and at most ``N`` pops).

Iteration ``t`` reads uniform ``u[t]`` (drawn up front as ``rng.random(2N - 1)``), so a batch can
run every maze in lock-step with numpy -- the same iteration on all ``B`` mazes at once -- and get
exactly the mazes that one-at-a-time generation gives. The lock-step loop works on the padded wall
grid itself: every maze's squares sit in one flat array, a neighbour is a fixed offset away, and
the outer ring counts as visited, so each iteration is about twenty 1-D numpy calls on ``B``-long
vectors with no per-maze bookkeeping: a maze that has finished simply keeps popping its stack,
which empties exactly at iteration ``2N - 1``. Batches run in chunks of `LOCKSTEP_CHUNK` mazes so
that one iteration's working set stays in cache. A single maze takes the plain Python loop, which
has less overhead.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from generators.base import MazeGenerator, check_count, check_rng
from generators.lattice import Lattice, lattice

# Below this many mazes the per-maze Python loop beats the numpy lock-step loop.
_LOCKSTEP_MIN_BATCH = 8
# Mazes per lock-step pass: large enough to amortise numpy's per-call cost, small enough that one
# iteration's scattered reads stay in cache (measured best from 7x7 to 128x128 cells).
LOCKSTEP_CHUNK = 1024


def _choice_tables() -> tuple[np.ndarray, np.ndarray]:
    """Lookup tables for one DFS step.

    A cell's four neighbours pack into a 4-bit ``mask`` (bit ``d`` set: direction ``d`` is
    visited or outside). ``count[mask]`` is the number of candidates ``k``; with
    ``pick = int(u * k)``, ``choice[4 * mask + pick]`` is the chosen direction (in the action
    order up, right, down, left), or 4, "pop", when there is no candidate.
    """
    choice = np.full(64, 4, dtype=np.int64)
    count = np.zeros(16, dtype=np.int64)
    for mask in range(16):
        candidates = [d for d in range(4) if not mask >> d & 1]
        count[mask] = len(candidates)
        for pick, d in enumerate(candidates):
            choice[4 * mask + pick] = d
    return choice, count


_CHOICE, _COUNT = _choice_tables()
_STACK_STEP = np.array([1, 1, 1, 1, -1], dtype=np.int64)  # push for a direction, pop for 4


def _carve_one(lat: Lattice, u: np.ndarray) -> np.ndarray:
    """Open passages ``bool[E]`` of one maze from uniforms ``u: float[2N - 1]``."""
    neighbors = lat.neighbors.tolist()
    neighbor_edge = lat.neighbor_edge.tolist()
    visited = [False] * lat.num_cells
    visited[0] = True
    stack = [0]
    open_edges = np.zeros(lat.num_edges, dtype=bool)
    pushes_left = lat.num_cells - 1
    for ut in u.tolist():
        top = stack[-1]
        nbrs = neighbors[top]
        cand = [d for d in range(4) if nbrs[d] >= 0 and not visited[nbrs[d]]]
        if cand:
            d = cand[int(ut * len(cand))]
            nxt = nbrs[d]
            visited[nxt] = True
            open_edges[neighbor_edge[top][d]] = True
            stack.append(nxt)
            pushes_left -= 1
            if pushes_left == 0:
                break
        else:
            stack.pop()
    return open_edges


def _carve_lockstep(h: int, w: int, u: np.ndarray) -> np.ndarray:
    """Walls ``bool[B, 2h+1, 2w+1]`` of ``B`` mazes at once from ``u: float[B, 2N - 1]``.

    Each maze lives on its wall grid padded by one more ring, ``(2h+3, 2w+3)`` squares, flattened
    and laid end to end. Cells sit at even padded coordinates; the neighbour cell in direction
    ``d`` is ``2 * offset[d]`` squares away and the passage to it ``offset[d]``. The pad ring is
    marked visited, so no move ever leaves a maze, and "pop" (direction 4) has offset 0, so its
    writes land harmlessly on the top cell itself.
    """
    batch = len(u)
    hp, wp = 2 * h + 3, 2 * w + 3
    offset = np.array([-wp, 1, wp, -1, 0], dtype=np.int64)
    look = 2 * offset[:4, None]  # [4, 1]: the four neighbour cells
    cells = np.zeros((hp, wp), dtype=bool)
    cells[2:-1:2, 2:-1:2] = True
    visited = np.tile(~cells.ravel(), batch)  # walls and pad ring: never candidates
    walls = visited.copy()
    start = np.arange(batch, dtype=np.int64) * (hp * wp) + 2 * wp + 2  # cell (0, 0)
    visited[start] = True
    depth_max = h * w + 1
    stack = np.empty(batch * depth_max, dtype=np.int64)
    top_at = np.arange(batch, dtype=np.int64) * depth_max  # flat index of each stack's top
    stack[top_at] = start
    for t in range(u.shape[1]):
        top = stack.take(top_at)
        seen = visited.take(top + look).view(np.uint8)  # [4, B]
        mask = seen[0] | (seen[1] << 1) | (seen[2] << 2) | (seen[3] << 3)
        pick = (u[:, t] * _COUNT.take(mask)).astype(np.int64)  # == int(u * k), exactly
        d = _CHOICE.take((mask << 2) + pick)
        nxt = top + 2 * offset.take(d)
        visited[nxt] = True
        walls[top + offset.take(d)] = False
        stack[top_at + 1] = nxt
        top_at += _STACK_STEP.take(d)
    return walls.reshape(batch, hp, wp)[:, 1:-1, 1:-1]


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
        u = np.asarray(u, dtype=np.float64)
        if u.ndim != 2 or u.shape[1] != self.num_draws():
            raise ValueError(f"u must be float[B, {self.num_draws()}], got shape {u.shape}")
        if len(u) >= _LOCKSTEP_MIN_BATCH:
            return np.concatenate(
                [_carve_lockstep(h, w, u[i : i + LOCKSTEP_CHUNK]) for i in range(0, len(u), LOCKSTEP_CHUNK)]
            )
        lat = lattice(h, w)
        open_edges = np.zeros((len(u), lat.num_edges), dtype=bool)
        for i, row in enumerate(u):
            open_edges[i] = _carve_one(lat, row)
        return lat.walls_from_passages(open_edges)

    def generate_walls(self, n: int, rng: np.random.Generator) -> np.ndarray:
        n, rng = check_count(n), check_rng(rng)
        return self.walls_from_uniforms(rng.random((n, self.num_draws())))
