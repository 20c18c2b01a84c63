"""Randomised Kruskal: the maximum spanning tree of i.i.d. uniform edge weights.

Every lattice edge gets a uniform weight, and the maze is the spanning tree Kruskal's algorithm
keeps when it takes edges heaviest first and skips any that would close a cycle. The texture is
the classic Kruskal one: many short dead ends, no long corridors. Cost: ``E`` uniforms per maze
(drawn up front as ``rng.random((n, E))``) and O(E log N) array work in
`generators.spanning_tree.maximum_spanning_tree`, which builds the same tree for a whole batch
at once, so a batch is exactly the mazes that one-at-a-time generation gives.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from generators.base import MazeGenerator, check_count, check_rng, check_uniforms
from generators.lattice import lattice
from generators.spanning_tree import maximum_spanning_tree


class KruskalGenerator(MazeGenerator):
    """Perfect mazes from a random-weight maximum spanning tree: short, branchy dead ends."""

    name = "kruskal"
    perfect: ClassVar[bool] = True

    def num_draws(self) -> int:
        """Uniforms consumed per maze: one per lattice edge."""
        return lattice(*self.cells).num_edges

    def walls_from_uniforms(self, u: np.ndarray) -> np.ndarray:
        """``u: float[B, E]`` edge weights -> ``walls: bool[B, H, W]``; deterministic."""
        lat = lattice(*self.cells)
        u = check_uniforms(u, lat.num_edges)
        return lat.walls_from_passages(maximum_spanning_tree(lat, u))

    def generate_walls(self, n: int, rng: np.random.Generator) -> np.ndarray:
        n, rng = check_count(n), check_rng(rng)
        return self.walls_from_uniforms(rng.random((n, self.num_draws())))
