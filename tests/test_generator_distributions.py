"""The classical generators' maze distributions, checked exactly on tiny lattices.

On 2x3, 3x2 and 3x3 cells every spanning tree can be listed (15, 15 and 192), and each
algorithm's probability of every tree computed exactly from its textbook definition, with no
code from `generators` but the mazes under test:

- Wilson: uniform over all spanning trees;
- randomised Kruskal (edges in a uniformly random order, each kept unless it closes a cycle): a
  tree comes out exactly when every edge outside it comes after every edge of the tree path
  between its two cells, so its probability is the number of edge orders meeting those
  precedences (counted over subsets of the edges) over ``E!``;
- randomised Prim from the top-left cell (each step opens a uniformly random passage between the
  tree and a cell outside it) and the recursive backtracker (randomised depth-first search from
  the top-left cell, a uniformly random unvisited neighbour at each step): by recursion over
  their states.

Each generator's mazes are then tested against its exact distribution with a chi-square test at
the 0.001 level, from a fixed seed (deterministic; the test is not flaky). Mazes are read from
the wall grid directly (passage between cells ``(r, c)`` and ``(r, c + 1)`` at square
``(2r + 1, 2c + 2)``), so a maze drawn transposed or not a tree fails as well.
"""

from __future__ import annotations

import itertools
import math
from functools import cache

import numpy as np
import pytest

from generators import make_generator

SIZES = [(2, 3), (3, 2), (3, 3)]
N_MAZES = 20_000


def grid_edges(h: int, w: int) -> list[tuple[int, int]]:
    """The lattice's passages as cell pairs (cells numbered row-major): horizontal, then vertical."""
    horizontal = [(r * w + c, r * w + c + 1) for r in range(h) for c in range(w - 1)]
    vertical = [(r * w + c, (r + 1) * w + c) for r in range(h - 1) for c in range(w)]
    return horizontal + vertical


def maze_keys(walls: np.ndarray, h: int, w: int) -> np.ndarray:
    """``walls: bool[B, 2h+1, 2w+1]`` -> each maze's open passages as a bit mask over `grid_edges`."""
    key = np.zeros(len(walls), dtype=np.int64)
    for e, (a, b) in enumerate(grid_edges(h, w)):
        (ra, ca), (rb, cb) = divmod(a, w), divmod(b, w)
        key |= (~walls[:, ra + rb + 1, ca + cb + 1]).astype(np.int64) << e
    return key


@cache
def spanning_trees(h: int, w: int) -> tuple[int, ...]:
    """Every spanning tree of the ``h x w`` lattice, as a bit mask over `grid_edges`."""
    edges, n = grid_edges(h, w), h * w
    found = []
    for chosen in itertools.combinations(range(len(edges)), n - 1):
        parent = list(range(n))
        for e in chosen:
            a, b = root(parent, edges[e][0]), root(parent, edges[e][1])
            if a == b:
                break
            parent[a] = b
        else:
            found.append(sum(1 << e for e in chosen))
    return tuple(found)


def root(parent: list[int], x: int) -> int:
    while parent[x] != x:
        x = parent[x]
    return x


def tree_path(adjacent: list[list[tuple[int, int]]], a: int, b: int) -> int:
    """The edges of the path from cell ``a`` to cell ``b`` in a tree, as a bit mask."""
    stack = [(a, -1, 0)]
    while stack:
        x, came, mask = stack.pop()
        if x == b:
            return mask
        stack.extend((y, x, mask | 1 << e) for y, e in adjacent[x] if y != came)
    raise AssertionError("not a spanning tree")


def neighbours(h: int, w: int) -> list[list[tuple[int, int]]]:
    """For every cell, its ``(neighbour, edge)`` pairs."""
    nbrs: list[list[tuple[int, int]]] = [[] for _ in range(h * w)]
    for e, (a, b) in enumerate(grid_edges(h, w)):
        nbrs[a].append((b, e))
        nbrs[b].append((a, e))
    return nbrs


def exact_wilson(h: int, w: int) -> dict[int, float]:
    trees = spanning_trees(h, w)
    return {t: 1 / len(trees) for t in trees}


def exact_kruskal(h: int, w: int) -> dict[int, float]:
    edges, n = grid_edges(h, w), h * w
    n_edges = len(edges)
    probs = {}
    for tree in spanning_trees(h, w):
        adjacent: list[list[tuple[int, int]]] = [[] for _ in range(n)]
        for e in range(n_edges):
            if tree >> e & 1:
                a, b = edges[e]
                adjacent[a].append((b, e))
                adjacent[b].append((a, e))
        # Edge e may come only once every edge in before[e] has (its cycle's tree edges).
        before = [0 if tree >> e & 1 else tree_path(adjacent, *edges[e]) for e in range(n_edges)]
        orders = [0] * (1 << n_edges)
        orders[0] = 1
        for done in range(1 << n_edges):
            if orders[done]:
                for e in range(n_edges):
                    if not done >> e & 1 and before[e] & done == before[e]:
                        orders[done | 1 << e] += orders[done]
        probs[tree] = orders[-1] / math.factorial(n_edges)
    return probs


def exact_prim(h: int, w: int) -> dict[int, float]:
    nbrs, full = neighbours(h, w), (1 << (h * w)) - 1

    @cache
    def grow(tree: int, cells: int) -> dict[int, float]:
        if cells == full:
            return {tree: 1.0}
        frontier = [(b, e) for a in range(h * w) if cells >> a & 1 for b, e in nbrs[a] if not cells >> b & 1]
        out: dict[int, float] = {}
        for b, e in frontier:
            for t, p in grow(tree | 1 << e, cells | 1 << b).items():
                out[t] = out.get(t, 0.0) + p / len(frontier)
        return out

    return grow(0, 1)


def exact_backtracker(h: int, w: int) -> dict[int, float]:
    nbrs, full = neighbours(h, w), (1 << (h * w)) - 1

    @cache
    def carve(tree: int, cells: int, stack: tuple[int, ...]) -> dict[int, float]:
        if cells == full:
            return {tree: 1.0}
        fresh = [(b, e) for b, e in nbrs[stack[-1]] if not cells >> b & 1]
        if not fresh:
            return carve(tree, cells, stack[:-1])
        out: dict[int, float] = {}
        for b, e in fresh:
            for t, p in carve(tree | 1 << e, cells | 1 << b, (*stack, b)).items():
                out[t] = out.get(t, 0.0) + p / len(fresh)
        return out

    return carve(0, 1, (0,))


EXACT = {
    "wilson": exact_wilson,
    "kruskal": exact_kruskal,
    "prim": exact_prim,
    "backtracker": exact_backtracker,
}


def chi_square(keys: np.ndarray, probs: dict[int, float]) -> tuple[float, int, int]:
    """``(statistic, degrees of freedom, draws outside the support)`` of ``keys`` against
    ``probs``; trees expected fewer than 5 times are pooled into one cell."""
    n = len(keys)
    observed = dict(zip(*(a.tolist() for a in np.unique(keys, return_counts=True)), strict=True))
    outside = sum(c for k, c in observed.items() if probs.get(k, 0.0) == 0.0)
    cells, pooled = [], [0, 0.0]
    for tree, p in probs.items():
        if p > 0:
            if n * p >= 5:
                cells.append((observed.get(tree, 0), n * p))
            else:
                pooled[0] += observed.get(tree, 0)
                pooled[1] += n * p
    if pooled[1] > 0:
        cells.append((pooled[0], pooled[1]))
    return sum((o - e) ** 2 / e for o, e in cells), len(cells) - 1, outside


def critical_value(df: int, z: float = 3.0902) -> float:
    """The chi-square quantile at the upper-tail level of the normal ``z`` (3.0902: 0.001), by the
    Wilson-Hilferty approximation (within 1% of the exact quantile from 1 degree of freedom)."""
    a = 2 / (9 * df)
    return df * (1 - a + z * math.sqrt(a)) ** 3


def draw_keys(name: str, cells: tuple[int, int], n: int, seed: int) -> np.ndarray:
    walls = make_generator(name, size=cells).generate_walls(n, np.random.default_rng(seed))
    return maze_keys(np.asarray(walls), *cells)


# --------------------------------------------------------------------- the exact references


@pytest.mark.parametrize(("cells", "count"), [((2, 2), 4), ((2, 3), 15), ((3, 2), 15), ((3, 3), 192)])
def test_references_are_distributions_over_the_spanning_trees(cells, count):
    trees = set(spanning_trees(*cells))
    assert len(trees) == count  # 192 on 3x3: the matrix-tree theorem's count
    for name, exact in EXACT.items():
        probs = exact(*cells)
        assert set(probs) <= trees, name
        assert math.isclose(sum(probs.values()), 1.0), name
    # Known small cases: a 4-cycle loses a uniformly random edge under Kruskal; Prim from the
    # top-left cell leaves out one of its own two passages with probability 1/8 each; the
    # depth-first search's tree on a 4-cycle is one of its two paths from the start.
    if cells == (2, 2):
        assert sorted(exact_kruskal(2, 2).values()) == [0.25] * 4
        assert sorted(exact_prim(2, 2).values()) == [1 / 8, 1 / 8, 3 / 8, 3 / 8]
        assert sorted(exact_backtracker(2, 2).values()) == [0.5, 0.5]


def test_kruskal_reference_counts_every_edge_order():
    """On 2x3 cells all 7! edge orders are few: Kruskal run on each gives the reference exactly."""
    edges, counts = grid_edges(2, 3), {}
    for order in itertools.permutations(range(len(edges))):
        parent, tree = list(range(6)), 0
        for e in order:
            a, b = root(parent, edges[e][0]), root(parent, edges[e][1])
            if a != b:
                parent[a], tree = b, tree | 1 << e
        counts[tree] = counts.get(tree, 0) + 1
    exact = exact_kruskal(2, 3)
    assert counts.keys() == exact.keys()
    for tree, count in counts.items():
        assert math.isclose(count / math.factorial(len(edges)), exact[tree])


# --------------------------------------------------------------------- the generators against them


@pytest.mark.parametrize("cells", SIZES, ids=str)
@pytest.mark.parametrize("name", sorted(EXACT))
def test_generator_matches_its_exact_distribution(name, cells):
    probs = EXACT[name](*cells)
    keys = draw_keys(name, cells, N_MAZES, seed=20_240 + 10 * cells[0] + cells[1])
    stat, df, outside = chi_square(keys, probs)
    assert outside == 0, f"{name} made {outside} mazes its algorithm cannot make"
    assert stat < critical_value(df), f"{name} {cells}: chi-square {stat:.1f} on {df} df, n={N_MAZES}"


@pytest.mark.parametrize(
    ("name", "other"), [("wilson", "kruskal"), ("kruskal", "wilson"), ("prim", "wilson")]
)
def test_the_chi_square_test_tells_close_distributions_apart(name, other):
    """The test above has the power to see a generator serve another's distribution: on 3x3
    Kruskal's trees are 0.67 to 1.31 times as likely as under the uniform distribution."""
    probs = EXACT[other](3, 3)
    stat, df, outside = chi_square(draw_keys(name, (3, 3), N_MAZES, seed=7), probs)
    assert outside == 0
    assert stat > critical_value(df)


@pytest.mark.parametrize("name", sorted(EXACT))
def test_many_rngs_in_one_threaded_batch_are_each_rngs_own_mazes(name):
    """The vector env's path (`daedalus_gym.core.generate_from`: every rng's input drawn, then
    one batch, split over the kernel threads from a few hundred mazes on) serves each rng the
    mazes that its own successive `generate` calls give."""
    from daedalus_gym.core import generate_from

    gen = make_generator(name, size=(4, 7))
    counts = [60, 0, 1, 97, 150, 2]
    walls, _, _ = generate_from(gen, [np.random.default_rng(s) for s in range(len(counts))], counts)
    one_by_one = [
        gen.generate(rng).walls
        for s, k in enumerate(counts)
        for rng in [np.random.default_rng(s)]
        for _ in range(k)
    ]
    assert np.array_equal(walls, np.stack(one_by_one))
