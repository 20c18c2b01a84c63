"""Recursive backtracker (randomised depth-first search), without recursion.

Start at the top-left cell; repeatedly step to a random unvisited neighbour, opening the passage,
and back up when there is none. An explicit stack replaces recursion, so a 1024x1024-cell maze is
as safe as a 7x7 one. Cost: O(N) time and memory for N cells, exactly ``2N - 1`` iterations.

Iteration ``t`` reads uniform ``u[t]`` (drawn up front as ``rng.random(2N - 1)``), so a batch can
run every maze in lock-step with numpy -- the same iteration on all ``B`` mazes at once -- and get
exactly the mazes that one-at-a-time generation gives. The lock-step form pays off from a few
mazes on; a single maze takes the plain Python loop, which has less overhead.
"""

from __future__ import annotations

import numpy as np

from generators.base import MazeGenerator, check_count, check_rng
from generators.lattice import Lattice, lattice

# Below this many mazes the per-maze Python loop beats the numpy lock-step loop.
_LOCKSTEP_MIN_BATCH = 8


def _carve_one(lat: Lattice, u: np.ndarray) -> np.ndarray:
    """Open passages ``bool[E]`` of one maze from uniforms ``u: float[2N - 1]``."""
    neighbors = lat.neighbors.tolist()
    neighbor_edge = lat.neighbor_edge.tolist()
    visited = [False] * lat.num_cells
    visited[0] = True
    stack = [0]
    open_edges = np.zeros(lat.num_edges, dtype=bool)
    pushes_left = lat.num_cells - 1
    for t, ut in enumerate(u.tolist()):
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


def _carve_lockstep(lat: Lattice, u: np.ndarray) -> np.ndarray:
    """Open passages ``bool[B, E]`` for ``B`` mazes at once from ``u: float[B, 2N - 1]``."""
    batch, n_cells = len(u), lat.num_cells
    rows = np.arange(batch)
    visited = np.zeros((batch, n_cells + 1), dtype=bool)  # column n_cells: sentinel "outside"
    visited[:, 0] = True
    visited[:, n_cells] = True
    neighbors = np.where(lat.neighbors < 0, n_cells, lat.neighbors)
    neighbor_edge = lat.neighbor_edge
    stack = np.zeros((batch, n_cells), dtype=np.int64)
    depth = np.ones(batch, dtype=np.int64)
    pushes = np.zeros(batch, dtype=np.int64)
    open_edges = np.zeros((batch, lat.num_edges), dtype=bool)
    for t in range(u.shape[1]):
        live = np.flatnonzero(pushes < n_cells - 1)
        if live.size == 0:
            break
        top = stack[live, depth[live] - 1]
        nbrs = neighbors[top]  # [L, 4]
        free = ~visited[live[:, None], nbrs]
        ranks = np.cumsum(free, axis=1)
        k = ranks[:, 3]
        pick = (u[live, t] * k).astype(np.int64)
        d = np.argmax(ranks > pick[:, None], axis=1)
        go = k > 0
        b, top, d = live[go], top[go], d[go]
        nxt = nbrs[go, d]
        visited[b, nxt] = True
        open_edges[b, neighbor_edge[top, d]] = True
        stack[b, depth[b]] = nxt
        depth[b] += 1
        pushes[b] += 1
        depth[live[~go]] -= 1
    return open_edges


class BacktrackerGenerator(MazeGenerator):
    """Perfect mazes by randomised depth-first search: long corridors, few dead ends."""

    name = "backtracker"
    perfect = True

    def num_draws(self) -> int:
        """Uniforms consumed per maze."""
        h, w = self.cells
        return 2 * h * w - 1

    def walls_from_uniforms(self, u: np.ndarray) -> np.ndarray:
        """``u: float[B, 2N - 1]`` in ``[0, 1)`` -> ``walls: bool[B, H, W]``; deterministic."""
        lat = lattice(*self.cells)
        u = np.asarray(u, dtype=np.float64)
        if u.ndim != 2 or u.shape[1] != self.num_draws():
            raise ValueError(f"u must be float[B, {self.num_draws()}], got shape {u.shape}")
        if len(u) >= _LOCKSTEP_MIN_BATCH:
            open_edges = _carve_lockstep(lat, u)
        else:
            open_edges = np.stack([_carve_one(lat, row) for row in u]) if len(u) else np.zeros((0, lat.num_edges), bool)
        return lat.walls_from_passages(open_edges)

    def generate_walls(self, n: int, rng: np.random.Generator) -> np.ndarray:
        n, rng = check_count(n), check_rng(rng)
        return self.walls_from_uniforms(rng.random((n, self.num_draws())))
