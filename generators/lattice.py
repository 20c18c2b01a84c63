"""The cell lattice shared by every generator and the repair pass.

A maze of ``h x w`` cells has ``N = h * w`` cells, numbered row-major, and
``E = h * (w - 1) + (h - 1) * w`` passages between 4-neighbouring cells. Generators decide which
passages are open; `Lattice.walls_from_passages` turns that decision into the wall grid.
Everything here is precomputed once per size and shared (`lattice(h, w)` is cached).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np


@dataclass(frozen=True)
class Lattice:
    """Index tables for an ``h x w``-cell maze on a ``(2h+1, 2w+1)`` grid.

    Attributes:
        h, w: size in cells.
        cell_rc: ``int[N, 2]`` grid ``(row, col)`` of every cell.
        edges: ``int[E, 2]`` the two cells of every passage (lower index first).
        edge_rc: ``int[E, 2]`` grid ``(row, col)`` of every passage.
        neighbors: ``int[N, 4]`` neighbour cell in the order up, right, down, left; -1 outside.
        neighbor_edge: ``int[N, 4]`` the passage to that neighbour; -1 outside.
    """

    h: int
    w: int
    cell_rc: np.ndarray
    edges: np.ndarray
    edge_rc: np.ndarray
    neighbors: np.ndarray
    neighbor_edge: np.ndarray

    @property
    def num_cells(self) -> int:
        return self.h * self.w

    @property
    def num_edges(self) -> int:
        return len(self.edges)

    @property
    def shape(self) -> tuple[int, int]:
        """``(H, W)`` of the wall grid."""
        return (2 * self.h + 1, 2 * self.w + 1)

    @cached_property
    def steps(self) -> np.ndarray:
        """``int[N, 4]``: `neighbors` with the cell itself where the neighbour would be off the grid
        (a random walk that tries to leave the grid stays where it is); read-only."""
        steps = np.where(self.neighbors < 0, np.arange(self.num_cells)[:, None], self.neighbors)
        steps = np.ascontiguousarray(steps, dtype=np.int64)
        steps.setflags(write=False)
        return steps

    def template(self) -> np.ndarray:
        """``bool[H, W]``: every wall present except the cells themselves (no passage open)."""
        walls = np.ones(self.shape, dtype=bool)
        walls[1::2, 1::2] = False
        return walls

    def walls_from_passages(self, open_edges: np.ndarray) -> np.ndarray:
        """``open_edges: bool[B, E]`` -> ``walls: bool[B, H, W]`` on the lattice."""
        open_edges = np.asarray(open_edges, dtype=bool)
        if open_edges.ndim != 2 or open_edges.shape[1] != self.num_edges:
            raise ValueError(f"open_edges must be bool[B, {self.num_edges}], got shape {open_edges.shape}")
        walls = np.broadcast_to(self.template(), (len(open_edges), *self.shape)).copy()
        walls[:, self.edge_rc[:, 0], self.edge_rc[:, 1]] = ~open_edges
        return walls

    def passages_from_walls(self, walls: np.ndarray) -> np.ndarray:
        """``walls: bool[B, H, W]`` -> ``open_edges: bool[B, E]`` (reads passage cells only)."""
        walls = np.asarray(walls, dtype=bool)
        if walls.ndim != 3 or walls.shape[1:] != self.shape:
            raise ValueError(f"walls must be bool[B, {self.shape[0]}, {self.shape[1]}], got {walls.shape}")
        return ~walls[:, self.edge_rc[:, 0], self.edge_rc[:, 1]]


@lru_cache(maxsize=64)
def lattice(h: int, w: int) -> Lattice:
    """The shared, read-only `Lattice` for ``h x w`` cells."""
    if h < 1 or w < 1 or h * w < 2:
        raise ValueError(f"a maze needs at least 2 cells, got {h}x{w}")
    idx = np.arange(h * w).reshape(h, w)
    r, c = np.divmod(np.arange(h * w), w)
    cell_rc = np.stack([2 * r + 1, 2 * c + 1], axis=1)
    horizontal = np.stack([idx[:, :-1].ravel(), idx[:, 1:].ravel()], axis=1)
    vertical = np.stack([idx[:-1, :].ravel(), idx[1:, :].ravel()], axis=1)
    edges = np.concatenate([horizontal, vertical]).astype(np.int64)
    edge_rc = (cell_rc[edges[:, 0]] + cell_rc[edges[:, 1]]) // 2
    neighbors = np.full((h * w, 4), -1, dtype=np.int64)
    neighbor_edge = np.full((h * w, 4), -1, dtype=np.int64)
    # Directions in action order: up, right, down, left.
    for e, (a, b) in enumerate(edges):
        if e < len(horizontal):  # b is right of a (not "b == a + 1": in one column that is below)
            neighbors[a, 1], neighbors[b, 3] = b, a
            neighbor_edge[a, 1], neighbor_edge[b, 3] = e, e
        else:  # b is below a
            neighbors[a, 2], neighbors[b, 0] = b, a
            neighbor_edge[a, 2], neighbor_edge[b, 0] = e, e
    for arr in (cell_rc, edges, edge_rc, neighbors, neighbor_edge):
        arr.setflags(write=False)
    return Lattice(h, w, cell_rc, edges, edge_rc, neighbors, neighbor_edge)


def on_lattice(walls: np.ndarray) -> np.ndarray:
    """For ``walls: bool[B, H, W]``, which grids have the lattice layout: odd sides, a wall border
    and pillars, every cell open (the passages may be either); ``bool[B]``."""
    height, width = walls.shape[1:]
    if height % 2 == 0 or width % 2 == 0 or height < 3 or width < 3:
        return np.zeros(len(walls), dtype=bool)
    template, free = _lattice_masks(height, width)
    # One comparison with the template over the whole batch; passages may be either.
    return ((walls == template) | free).reshape(len(walls), height * width).all(axis=1)


@lru_cache(maxsize=16)
def _lattice_masks(height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """A ``(height, width)`` grid's lattice template (walls but the cells, `Lattice.template`) and
    where its passages are, both ``bool[H, W]``, read-only."""
    template = np.ones((height, width), dtype=bool)
    template[1::2, 1::2] = False
    free = np.zeros((height, width), dtype=bool)
    free[1:-1:2, 2:-1:2] = True  # between two cells of a row
    free[2:-1:2, 1:-1:2] = True  # between two cells of a column
    template.setflags(write=False)
    free.setflags(write=False)
    return template, free
