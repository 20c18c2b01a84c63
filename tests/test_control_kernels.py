"""The compiled difficulty-control search: each piece against its definition, and the search as a
whole (served mazes perfect and on target, one maze per seed whatever the batch or threads)."""

from __future__ import annotations

import itertools
from collections import Counter

import numpy as np
import pytest

from generators import _control_kernels as ck
from generators import is_perfect, make_generator
from generators.backtracker import _MOVE, BacktrackerGenerator
from generators.base import MAX_CELLS_PER_SIDE
from generators.control import calibrate, measure
from generators.kruskal import KruskalGenerator
from generators.lattice import lattice

CLASSICAL = ["backtracker", "kruskal", "prim", "wilson"]


def _scratch(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    return np.empty(h * w + 1, dtype=np.int64), np.empty(h * w + 1, dtype=np.int64)


@pytest.mark.parametrize("name", CLASSICAL)
@pytest.mark.parametrize(
    ("size", "goal"), [(14, "corner"), (9, "farthest"), ((2, 7), "corner"), ((6, 2), "farthest")]
)
def test_tree_search_measures_what_measure_does(name, size, goal) -> None:
    gen = make_generator(name, size=size, goal=goal)
    walls = gen.generate_walls(60, np.random.default_rng(3))
    expected = measure(gen, walls)
    h, w = gen.cells
    got = np.array([ck._measure(x.reshape(-1), h, w, goal == "farthest", *_scratch(h, w)) for x in walls])
    assert np.array_equal(got[:, 0], expected["path_length"])
    assert np.allclose(got[:, 1], expected["dead_ends"])


def _stable_descending(u: np.ndarray) -> np.ndarray:
    return np.argsort(-u, kind="stable")


def test_shuffle_draws_every_order_equally_often() -> None:
    # 24,000 shuffles of 4 edges: the 24 orders, a chi-square test of uniformity.
    state = np.empty(4, dtype=np.uint64)
    ck._seed_stream(3, state)
    values = np.array([5, 11, 2, 7], dtype=np.int64)  # the values themselves are shuffled
    order = np.empty(4, dtype=np.int64)
    counts: Counter[tuple[int, ...]] = Counter()
    n = 24_000
    for _ in range(n):
        ck._shuffle(state, values, order)
        counts[tuple(order.tolist())] += 1
    assert len(counts) == 24 and all(sorted(k) == sorted(values.tolist()) for k in counts)
    chi2 = sum((c - n / 24) ** 2 / (n / 24) for c in counts.values())
    assert chi2 < 49.7  # the 0.999 quantile of chi-square with 23 degrees of freedom


def test_mutated_order_moves_a_share_of_the_edges_and_keeps_the_rest_in_order() -> None:
    state = np.empty(4, dtype=np.uint64)
    ck._seed_stream(4, state)
    e = 364
    best = np.random.default_rng(0).permutation(e)
    order, kept, moved = (np.empty(e, dtype=np.int64) for _ in range(3))
    ck._mutate_order(state, best, order, kept, moved, 0.0)
    assert np.array_equal(order, best)
    rank = np.empty(e, dtype=np.int64)
    rank[best] = np.arange(e)
    in_order = []
    for _ in range(100):
        ck._mutate_order(state, best, order, kept, moved, 0.1)
        assert np.array_equal(np.sort(order), np.arange(e))
        # The edges that stayed keep best's order, so the longest run of them in best's order
        # (a longest increasing subsequence of their ranks, by patience sorting) holds at least
        # the nine in ten that stay.
        piles: list[int] = []
        for r in rank[order]:
            k = int(np.searchsorted(piles, r))
            if k == len(piles):
                piles.append(int(r))
            else:
                piles[k] = int(r)
        in_order.append(len(piles) / e)
    assert 0.88 < np.mean(in_order) < 0.97 and max(in_order) < 1.0
    # With every edge moved, the order is a fresh permutation: all 24 orders of 4 edges.
    small, seen = np.arange(4), set()
    o4, k4, m4 = (np.empty(4, dtype=np.int64) for _ in range(3))
    for _ in range(2000):
        ck._mutate_order(state, small, o4, k4, m4, 1.0)
        seen.add(tuple(o4.tolist()))
    assert len(seen) == 24


@pytest.mark.parametrize("cells", [(1, 2), (3, 5), (14, 14)])
def test_kruskal_table_packs_each_edges_cells_and_square(cells) -> None:
    lat = lattice(*cells)
    edges = ck.kruskal_tables(lat)
    assert np.array_equal(edges & 0xFFFFF, lat.edges[:, 0]) and np.array_equal(
        edges >> 20 & 0xFFFFF, lat.edges[:, 1]
    )
    flat = np.zeros((2 * cells[0] + 1, 2 * cells[1] + 1), dtype=bool)
    flat.reshape(-1)[edges >> 40] = True
    assert np.array_equal(np.argwhere(flat), np.array(sorted(map(tuple, lat.edge_rc))))
    # The largest maze the generators make fits: at most 2^20 cells, under 2^23 squares.
    assert MAX_CELLS_PER_SIDE**2 <= 1 << 20 and (2 * MAX_CELLS_PER_SIDE + 1) ** 2 < 1 << 23


@pytest.mark.parametrize("cells", [(1, 2), (3, 5), (14, 14), (9, 4)])
def test_kruskal_kernel_is_the_generators_tree(cells) -> None:
    # The tree of an edge order is the generator's tree of any weights in that order.
    gen = KruskalGenerator(cells)
    h, w = cells
    edges = ck.kruskal_tables(lattice(h, w))
    rng = np.random.default_rng(1)
    u = rng.random((20, gen.num_draws()))
    u[:5] = rng.choice([0.0, 0.5, 0.75], (5, gen.num_draws()))  # ties: lower edge index first
    expected = gen.walls_from_uniforms(u)
    template = lattice(h, w).template().reshape(-1)
    for row, want in zip(u, expected, strict=True):
        flat = template.copy()
        ck._kruskal(edges[_stable_descending(row)], np.empty(h * w, dtype=np.int64), flat)
        assert np.array_equal(flat.reshape(want.shape), want)


@pytest.mark.parametrize("name", CLASSICAL)
@pytest.mark.parametrize("cells", [(14, 14), (2, 7), (6, 2), (9, 4), (2, 2)])
def test_corner_paths_are_both_diagonals_and_the_dead_ends(name, cells) -> None:
    gen = make_generator(name, size=cells)
    walls = gen.generate_walls(40, np.random.default_rng(6))
    mirrored = walls[:, :, ::-1]
    h, w = cells
    own, image = measure(gen, walls), measure(gen, np.ascontiguousarray(mirrored))
    entry = np.empty(walls[0].size, dtype=np.int64)
    paths = np.empty(2, dtype=np.int64)
    for i, x in enumerate(walls):
        dead = ck._corner_paths(x.reshape(-1), h, w, True, *_scratch(h, w), entry, paths)
        assert 2 * paths[0] == own["path_length"][i] and 2 * paths[1] == image["path_length"][i]
        assert dead == pytest.approx(own["dead_ends"][i])
        ck._corner_paths(x.reshape(-1), h, w, False, *_scratch(h, w), entry, paths)
        assert paths[1] == -1
        out = np.empty(x.size, dtype=bool)
        ck._mirror(x.reshape(-1), h, w, out)
        assert np.array_equal(out.reshape(x.shape), mirrored[i])


def test_distance_is_the_tree_path_and_minus_one_between_parts() -> None:
    gen = make_generator("wilson", size=(5, 8))
    h, w = gen.cells
    walls = gen.generate_walls(20, np.random.default_rng(7))
    for x in walls:
        flat = x.reshape(-1)
        path = measure(gen, x[None])["path_length"][0]
        assert 2 * ck._distance(flat, h, w, 0, h * w - 1, *_scratch(h, w)) == path
        assert ck._distance(flat, h, w, 3, 3, *_scratch(h, w)) == 0
    template = lattice(h, w).template().reshape(-1)  # no passage open: every cell on its own
    assert ck._distance(template, h, w, 0, 1, *_scratch(h, w)) == -1


def _carve(best_u, cells, lo=0, hi=-1, dead_hi=-1, fresh=False, mutation=0.0, seed=0):
    """`_carve_search` of one candidate: by default a mutant of ``best_u`` with nothing redrawn,
    so the carve of exactly those uniforms. Returns (result, walls, the uniforms it drew)."""
    h, w = cells
    state = np.empty(4, dtype=np.uint64)
    ck._seed_stream(seed, state)
    padded = np.ones((h + 2) * (w + 2), dtype=np.uint8)
    padded.reshape(h + 2, w + 2)[1:-1, 1:-1] = 0
    flat = np.ones((2 * h + 1) * (2 * w + 1), dtype=bool)
    u = np.full(len(best_u), -1.0)
    cells_, squares = np.empty(h * w, dtype=np.int64), np.empty(h * w, dtype=np.int64)
    seen, stack = np.zeros(padded.size, dtype=np.int64), np.empty(padded.size, dtype=np.int64)
    got = ck._carve_search(
        state, fresh, mutation, u, best_u, h, w, flat, _MOVE, lo, hi, dead_hi, np.empty_like(padded), padded,
        cells_, squares, seen, stack, np.zeros(1, dtype=np.int64),
    )  # fmt: skip
    return got, flat.reshape(2 * h + 1, 2 * w + 1), u


@pytest.mark.parametrize("cells", [(2, 2), (5, 3), (14, 14)])
def test_carve_search_is_the_generators_carve_and_stops_only_candidates_that_miss(cells) -> None:
    gen = BacktrackerGenerator(cells)
    u = np.random.default_rng(4).random((25, gen.num_draws()))
    full = gen.walls_from_uniforms(u)
    lengths = measure(gen, full)["path_length"] // 2
    for row, want, length in zip(u, full, lengths, strict=True):
        got, walls, drawn = _carve(row, cells)
        assert got == length and np.array_equal(walls, want) and np.array_equal(drawn, row)
        # A window holding the path carves the maze whole; one below it stops the candidate,
        # at the goal (its depth) or before it, once the path is known to come out too long
        # (-2); one above it stops it at the goal.
        for lo, hi in ((length, length), (0, 10**6)):
            got, walls, _ = _carve(row, cells, lo, hi)
            assert got == length and np.array_equal(walls, want)
        assert _carve(row, cells, 0, length - 1)[0] in (length, -2)
        assert _carve(row, cells, length + 1, 10**6)[0] == length


def test_carve_search_stops_early_only_what_cannot_fit() -> None:
    # 400 mazes at 14x14 against short windows: every early stop (-2) is a maze whose path is
    # longer than the window, and most of the mazes that miss are stopped early.
    cells = (14, 14)
    gen = BacktrackerGenerator(cells)
    u = np.random.default_rng(9).random((400, gen.num_draws()))
    lengths = measure(gen, gen.walls_from_uniforms(u))["path_length"] // 2
    for hi in (40, 60, 80):
        got = np.array([_carve(row, cells, 26, hi)[0] for row in u])
        early = got == -2
        assert np.all(lengths[early] > hi)
        assert np.all(got[~early] == lengths[~early])
        assert early.sum() > 0.5 * (lengths > hi).sum()


@pytest.mark.parametrize("cells", [(2, 2), (5, 3), (14, 14)])
def test_carve_search_draws_the_uniforms_it_carves(cells) -> None:
    gen = BacktrackerGenerator(cells)
    best = np.random.default_rng(2).random(gen.num_draws())
    redrawn = []
    for seed in range(10):
        got, walls, drawn = _carve(best, cells, fresh=True, seed=seed)
        assert np.all((drawn >= 0) & (drawn < 1)) and not np.array_equal(drawn, best)
        assert np.array_equal(walls, gen.walls_from_uniforms(drawn[None])[0])
        assert got == measure(gen, walls[None])["path_length"][0] // 2
        got, walls, drawn = _carve(best, cells, mutation=0.1, seed=seed)
        assert np.array_equal(walls, gen.walls_from_uniforms(drawn[None])[0])
        redrawn.append(drawn != best)
    if gen.num_draws() > 100:  # about one uniform in ten redrawn (391 a maze at 14x14)
        assert 0.07 < np.mean(redrawn) < 0.13


@pytest.mark.parametrize("cells", [(2, 2), (5, 3), (14, 14)])
def test_carve_search_stops_once_it_has_too_many_dead_ends(cells) -> None:
    gen = BacktrackerGenerator(cells)
    u = np.random.default_rng(5).random((40, gen.num_draws()))
    full = gen.walls_from_uniforms(u)
    dead = np.rint(measure(gen, full)["dead_ends"] * cells[0] * cells[1]).astype(int)
    # The top-left cell is a dead end when it has one open passage; the kernel counts it at the end.
    root = (~full[:, 1, 2]).astype(int) + (~full[:, 2, 1]).astype(int) == 1
    for row, want, count, first in zip(u, full, dead, root, strict=True):
        # What the kernel can know before the end: the dead ends it backed out of, and the last
        # cell it will carve (so a maze that is one corridor never stops).
        known = count - int(first)
        for dead_hi, stops in ((known - 1, known >= 2), (known, False), (-1, False)):
            got, walls, _ = _carve(row, cells, dead_hi=dead_hi)
            assert (got == -1) == stops
            if not stops:
                assert np.array_equal(walls, want)


def test_joined_is_connectivity_through_unvisited_cells() -> None:
    import networkx as nx

    h, w = 9, 11
    wp = w + 2
    rng = np.random.default_rng(8)
    stack = np.empty((h + 2) * wp, dtype=np.int64)
    seen = np.zeros((h + 2) * wp, dtype=np.int64)
    goal = h * wp + w
    outcomes = set()
    for mark in range(1, 301):
        visited = np.ones((h + 2) * wp, dtype=np.uint8)
        inner = (rng.random((h, w)) < rng.uniform(0.2, 0.6)).astype(np.uint8)
        visited.reshape(h + 2, wp)[1:-1, 1:-1] = inner
        visited[goal] = 0
        p = int(rng.choice(np.flatnonzero(visited.reshape(h + 2, wp)[1:-1, 1:-1].reshape(-1) == 1)))
        p = (p // w + 1) * wp + p % w + 1
        graph = nx.grid_2d_graph(h + 2, wp)
        free = {(int(c // wp), int(c % wp)) for c in np.flatnonzero(visited == 0)} | {(p // wp, p % wp)}
        truth = nx.has_path(graph.subgraph(free), (p // wp, p % wp), (goal // wp, goal % wp))
        assert ck._joined(visited, seen, mark, p, goal, wp, stack, 10**6) == truth
        # With a budget it may give up (False), never claim a path that is not there.
        assert not ck._joined(visited, seen, mark + 1000, p, goal, wp, stack, 3) or truth
        outcomes.add(truth)
    assert outcomes == {True, False}


@pytest.mark.slow
def test_wilson_kernel_draws_every_spanning_tree_equally_often() -> None:
    # The 2x3-cell lattice has 15 spanning trees; 30,000 draws, a chi-square test of uniformity.
    h, w = 2, 3
    step, step_sq = ck.wilson_tables(lattice(h, w))
    template = lattice(h, w).template().reshape(-1)
    state = np.empty(4, dtype=np.uint64)
    ck._seed_stream(7, state)
    counts: Counter[bytes] = Counter()
    n = 30_000
    for _ in range(n):
        flat = template.copy()
        assert _wilson(state, step, step_sq, flat, h, w, 0, -1, False, np.empty(2, dtype=np.int64))
        assert is_perfect(flat.reshape(1, 2 * h + 1, 2 * w + 1))[0]
        counts[flat.tobytes()] += 1
    assert len(counts) == 15
    expected = n / 15
    chi2 = sum((c - expected) ** 2 / expected for c in counts.values())
    assert chi2 < 36.1  # the 0.999 quantile of chi-square with 14 degrees of freedom


def _wilson(state, step, step_sq, flat, h, w, lo, hi, both, paths) -> bool:
    n = h * w
    in_tree, exit_dir = np.empty(n, dtype=np.bool_), np.empty(n, dtype=np.uint8)
    return ck._wilson(
        state, step, step_sq, in_tree, exit_dir, flat, h, w, lo, hi, both, *_scratch(h, w), paths
    )


@pytest.mark.parametrize("cells", [(9, 9), (4, 7), (2, 2)])
def test_wilson_kernel_reports_the_corner_paths_and_stops_when_both_miss(cells) -> None:
    h, w = cells
    step, step_sq = ck.wilson_tables(lattice(h, w))
    template = lattice(h, w).template().reshape(-1)
    gen = make_generator("wilson", size=cells)
    paths = np.empty(2, dtype=np.int64)
    for seed in range(30):
        state = np.empty(4, dtype=np.uint64)
        ck._seed_stream(seed, state)
        flat = template.copy()
        assert _wilson(state, step, step_sq, flat, h, w, 0, 10**6, True, paths)
        walls = flat.reshape(1, 2 * h + 1, 2 * w + 1)
        assert is_perfect(walls)[0]
        assert 2 * paths[0] == measure(gen, walls)["path_length"][0]
        assert 2 * paths[1] == measure(gen, np.ascontiguousarray(walls[:, :, ::-1]))["path_length"][0]
        a, b = paths
        # The same stream again, with a window that keeps one path, then neither.
        for lo, hi, whole in ((a, a, True), (b, b, True), (max(a, b) + 1, 10**6, False)):
            ck._seed_stream(seed, state)
            again = template.copy()
            assert _wilson(state, step, step_sq, again, h, w, lo, hi, True, paths) == whole
            if whole:
                assert np.array_equal(again, flat)
        ck._seed_stream(seed, state)  # with one path asked for, the other one does not keep it
        assert not _wilson(state, step, step_sq, template.copy(), h, w, b, b, False, paths) or a == b


def test_streams_differ_by_seed_and_repeat_by_seed() -> None:
    def draws(seed: int) -> list[float]:
        state = np.empty(4, dtype=np.uint64)
        ck._seed_stream(seed, state)
        return [ck._uniform(state) for _ in range(1000)]

    a = draws(1)
    assert a == draws(1) and a != draws(2)
    assert min(a) >= 0.0 and max(a) < 1.0 and abs(np.mean(a) - 0.5) < 0.03


@pytest.mark.parametrize("name", CLASSICAL)
# "farthest" calibrates by a Python search per maze: a few seconds more, so with the slow tests.
@pytest.mark.parametrize(
    ("size", "goal"),
    [(10, "corner"), ((6, 13), "corner"), pytest.param(10, "farthest", marks=pytest.mark.slow)],
)
def test_compiled_search_serves_perfect_mazes_on_target(name, size, goal) -> None:
    base = make_generator(name, size=size, goal=goal)
    cal = calibrate(base)
    for metric, q in itertools.product(("path_length", "dead_ends"), (0.05, 0.95)):
        target = cal.quantile(metric, q)
        gen = make_generator(name, size=size, goal=goal, target={metric: target})
        assert gen.compiled()
        walls, err, built = gen.search_seeds(np.arange(40))
        assert is_perfect(walls).all()
        got = measure(gen, walls)[metric]
        assert np.allclose(np.abs(got - target) / target, err)
        assert np.median(err) <= gen._tolerance() and (built >= 1).all()


def test_compiled_search_gives_one_maze_per_seed_whatever_the_batch_or_threads() -> None:
    import torch

    gen = make_generator("backtracker", size=9, target={"path_length": 70, "dead_ends": 0.1})
    seeds = np.arange(100, 150)
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        one = gen.search_seeds(seeds)[0]
        torch.set_num_threads(2)
        two = gen.search_seeds(seeds)[0]
    finally:
        torch.set_num_threads(threads)
    assert np.array_equal(one, two)
    singles = np.concatenate([gen.search_seeds(seeds[i : i + 1])[0] for i in range(0, 50, 7)])
    assert np.array_equal(singles, one[::7])
