"""Randomised Kruskal: the maximum spanning tree of i.i.d. uniform edge weights.

Every lattice edge gets a uniform weight, and the maze is the spanning tree Kruskal's algorithm
keeps when it takes edges heaviest first and skips any that would close a cycle. The texture is
the classic Kruskal one: many short dead ends, no long corridors. Cost: ``E`` uniforms per maze
(drawn up front as ``rng.random((n, E))``), then a stable sort of the edges and a union-find per
maze, compiled (`generators.spanning_tree.maximum_spanning_tree`); the mazes of a batch are
independent rows, so a batch is exactly the mazes that one-at-a-time generation gives.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from generators.base import UniformsMazeGenerator
from generators.lattice import lattice
from generators.spanning_tree import maximum_spanning_tree


class KruskalGenerator(UniformsMazeGenerator):
    """Perfect mazes from a random-weight maximum spanning tree: short, branchy dead ends."""

    name = "kruskal"
    perfect: ClassVar[bool] = True

    def num_draws(self) -> int:
        """Uniforms consumed per maze: one per lattice edge."""
        return lattice(*self.cells).num_edges

    def _walls(self, u: np.ndarray) -> np.ndarray:
        lat = lattice(*self.cells)
        return lat.walls_from_passages(maximum_spanning_tree(lat, u))
