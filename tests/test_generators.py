"""Contract tests over the whole generator registry, plus the spanning-tree kernel.

Every registered name gets the same treatment through the public protocol only
(``make_generator(name, size=...)``, ``generate``, ``generate_batch``): a generator registered
tomorrow is tested the day it lands, with no new test code. Generators whose class sets
``perfect = True`` must also return perfect mazes (spanning trees of the cell lattice).
"""

from __future__ import annotations

import collections
import random
from collections import deque

import networkx as nx
import numpy as np
import pytest

from generators import Generator, Maze, generator_class, make_generator, registered_generators
from generators.lattice import lattice
from generators.maze import is_perfect
from generators.spanning_tree import maximum_spanning_tree

NAMES = sorted(registered_generators())
SIZE = 7


def promises_perfect(name: str) -> bool:
    return bool(getattr(generator_class(name), "perfect", False))


def bfs_distances(walls: np.ndarray, start: tuple[int, int]) -> dict[tuple[int, int], int]:
    """Independent BFS over open cells (no networkx)."""
    dist = {start: 0}
    queue = deque([start])
    while queue:
        r, c = queue.popleft()
        for dr, dc in ((-1, 0), (0, 1), (1, 0), (0, -1)):
            nxt = (r + dr, c + dc)
            inside = 0 <= nxt[0] < walls.shape[0] and 0 <= nxt[1] < walls.shape[1]
            if inside and not walls[nxt] and nxt not in dist:
                dist[nxt] = dist[(r, c)] + 1
                queue.append(nxt)
    return dist


def check_maze(maze: Maze, cells: tuple[int, int], perfect: bool) -> None:
    h, w = cells
    walls = maze.walls
    assert isinstance(maze, Maze)
    assert walls.dtype == np.bool_
    assert walls.shape == (2 * h + 1, 2 * w + 1)
    assert walls[0].all() and walls[-1].all() and walls[:, 0].all() and walls[:, -1].all()
    assert maze.start == (1, 1)
    assert not walls[maze.start] and not walls[maze.goal]
    assert maze.goal in bfs_distances(walls, maze.start), "goal unreachable from start"
    assert maze.is_solvable()
    if perfect:
        assert maze.is_perfect(), "a generator with perfect = True made a maze that is not a spanning tree"


# --------------------------------------------------------------------- the registry contract
def test_builtins_registered():
    assert {"backtracker", "kruskal", "prim", "wilson"} <= set(NAMES)
    for name in ("backtracker", "kruskal", "prim", "wilson"):
        assert promises_perfect(name)


@pytest.mark.parametrize("name", NAMES)
def test_protocol(name):
    gen = make_generator(name, size=SIZE)
    assert isinstance(gen, Generator)
    assert gen.name == name
    assert gen.shape == (2 * SIZE + 1, 2 * SIZE + 1)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("size", [SIZE, (5, 9), (9, 4), (2, 3), (1, 6)], ids=str)
def test_maze_invariants(name, size):
    gen = make_generator(name, size=size)
    cells = (size, size) if isinstance(size, int) else size
    mazes = gen.generate_batch(12, np.random.default_rng(0))
    assert len(mazes) == 12
    for maze in mazes:
        check_maze(maze, cells, promises_perfect(name))
        assert maze.shape == gen.shape
        assert maze.goal == (gen.shape[0] - 2, gen.shape[1] - 2)  # goal="corner" is the default


@pytest.mark.parametrize("name", NAMES)
def test_same_seed_same_maze(name):
    gen = make_generator(name, size=SIZE)
    assert gen.generate(np.random.default_rng(123)) == gen.generate(np.random.default_rng(123))
    first = gen.generate_batch(5, np.random.default_rng(7))
    again = make_generator(name, size=SIZE).generate_batch(5, np.random.default_rng(7))
    assert first == again
    assert [m.maze_hash for m in first] == [m.maze_hash for m in again]


@pytest.mark.parametrize("name", NAMES)
def test_different_seeds_different_mazes(name):
    gen = make_generator(name, size=SIZE)
    hashes = {gen.generate(np.random.default_rng(seed)).maze_hash for seed in range(8)}
    assert len(hashes) == 8
    # Successive mazes from one rng differ too: the rng advances.
    batch = gen.generate_batch(8, np.random.default_rng(0))
    assert len({m.maze_hash for m in batch}) == 8


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("n", [1, 3, 10])
def test_batch_equals_sequential(name, n):
    gen = make_generator(name, size=(5, 6))
    rng_batch, rng_seq = np.random.default_rng(42), np.random.default_rng(42)
    batch = gen.generate_batch(n, rng_batch)
    sequential = [gen.generate(rng_seq) for _ in range(n)]
    assert batch == sequential
    # ...and both leave the rng in the same state, so what comes next agrees as well.
    assert gen.generate(rng_batch) == gen.generate(rng_seq)


@pytest.mark.parametrize("name", NAMES)
def test_empty_batch(name):
    assert list(make_generator(name, size=SIZE).generate_batch(0, np.random.default_rng(0))) == []


@pytest.mark.parametrize("name", NAMES)
def test_goal_farthest(name):
    gen = make_generator(name, size=(6, 8), goal="farthest")
    for maze in gen.generate_batch(4, np.random.default_rng(5)):
        check_maze(maze, (6, 8), promises_perfect(name))
        dist = bfs_distances(maze.walls, maze.start)
        assert dist[maze.goal] == max(dist.values())
        assert maze.shortest_path_length() == dist[maze.goal]


@pytest.mark.parametrize("name", NAMES)
def test_config_rebuilds_generator(name):
    gen = make_generator(name, size=(4, 6), goal="farthest")
    config = dict(gen.config())
    assert config.pop("name") == name
    clone = make_generator(name, **config)
    assert clone.generate(np.random.default_rng(9)) == gen.generate(np.random.default_rng(9))


@pytest.mark.parametrize("name", NAMES)
def test_no_global_rng(name):
    # The legacy global state is exactly what must stay untouched.
    np_state, py_state = np.random.get_state(), random.getstate()  # noqa: NPY002
    make_generator(name, size=SIZE).generate_batch(3, np.random.default_rng(0))
    after = np.random.get_state()  # noqa: NPY002
    assert np_state[0] == after[0] and np.array_equal(np_state[1], after[1]) and np_state[2:] == after[2:]
    assert random.getstate() == py_state


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("size", [0, -3, 1, (3,), (3, 4, 5), "big", 2.5, (2.0, 3), True, (1, 1), 10_000])
def test_bad_size(name, size):
    with pytest.raises(ValueError, match="size"):
        make_generator(name, size=size)


@pytest.mark.parametrize("name", NAMES)
def test_bad_goal(name):
    with pytest.raises(ValueError, match="goal"):
        make_generator(name, size=SIZE, goal="middle")


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize(
    "rng",
    [None, 0, np.random.RandomState(0), random.Random(0)],
    ids=["None", "int", "RandomState", "random.Random"],
)
def test_bad_rng(name, rng):
    gen = make_generator(name, size=SIZE)
    with pytest.raises(TypeError, match=r"numpy\.random\.Generator"):
        gen.generate(rng)
    with pytest.raises(TypeError, match=r"numpy\.random\.Generator"):
        gen.generate_batch(2, rng)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("n", [-1, 2.0, "3", None])
def test_bad_count(name, n):
    with pytest.raises(ValueError, match="n must be"):
        make_generator(name, size=SIZE).generate_batch(n, np.random.default_rng(0))


def test_unknown_name():
    with pytest.raises(ValueError, match="unknown generator 'nope'"):
        make_generator("nope")


# --------------------------------------------------------------------- classical algorithms
@pytest.mark.parametrize(
    ("name", "size"), [("backtracker", 256), ("kruskal", 128), ("prim", 128), ("wilson", 64)]
)
def test_large_mazes(name, size):
    """No recursion limits or quadratic blow-ups: big mazes come out perfect."""
    maze = make_generator(name, size=size).generate(np.random.default_rng(0))
    assert maze.shape == (2 * size + 1, 2 * size + 1)
    assert maze.is_perfect()


def tree_frequencies(name: str, size: tuple[int, int], n: int) -> dict[bytes, float]:
    """How often each spanning tree (as its wall grid) comes out in ``n`` seeded mazes."""
    mazes = make_generator(name, size=size).generate_batch(n, np.random.default_rng(2024))
    counts = collections.Counter(m.walls.tobytes() for m in mazes)
    return {key: count / n for key, count in counts.items()}


def test_prim_picks_uniform_frontier_edges():
    """On 2x2 cells a uniform frontier-edge Prim from the top-left cell omits each of the two
    passages at the start with probability 1/8 and each of the two far ones with 3/8."""
    n = 4000
    freq = tree_frequencies("prim", (2, 2), n)
    lat = lattice(2, 2)
    by_omitted = {}
    for key, p in freq.items():
        walls = np.frombuffer(key, dtype=bool).reshape(lat.shape)
        omitted = tuple(lat.edges[np.flatnonzero(walls[lat.edge_rc[:, 0], lat.edge_rc[:, 1]])][0])
        by_omitted[omitted] = p
    expected = {(0, 1): 1 / 8, (0, 2): 1 / 8, (1, 3): 3 / 8, (2, 3): 3 / 8}
    assert by_omitted.keys() == expected.keys()
    for edge, p in expected.items():
        assert abs(by_omitted[edge] - p) < 0.04, (edge, by_omitted[edge], p)


@pytest.mark.parametrize("name", ["wilson", "kruskal"])
def test_uniform_on_a_cycle(name):
    """A 2x2 lattice is a 4-cycle: Wilson's (uniform spanning tree) and Kruskal with i.i.d.
    weights (drop the lightest edge) both give each of its 4 spanning trees probability 1/4."""
    freq = tree_frequencies(name, (2, 2), 4000)
    assert len(freq) == 4
    assert all(abs(p - 0.25) < 0.04 for p in freq.values()), freq


def test_wilson_uniform_spanning_tree():
    """A 2x3 lattice has 15 spanning trees; Wilson's algorithm hits each with probability 1/15."""
    freq = tree_frequencies("wilson", (2, 3), 6000)
    assert len(freq) == 15
    assert all(abs(p - 1 / 15) < 0.025 for p in freq.values()), freq


# --------------------------------------------------------------------- maximum_spanning_tree
def kruskal_reference(lat, weights: np.ndarray) -> np.ndarray:
    """Textbook Kruskal over a stable descending sort (ties: lower edge index first)."""
    parent = list(range(lat.num_cells))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    open_edges = np.zeros(lat.num_edges, dtype=bool)
    for e in np.argsort(-weights, kind="stable"):
        a, b = find(int(lat.edges[e, 0])), find(int(lat.edges[e, 1]))
        if a != b:
            parent[a] = b
            open_edges[e] = True
    return open_edges


@pytest.mark.parametrize("cells", [(1, 2), (2, 1), (1, 7), (3, 5), (6, 4), (14, 14)], ids=str)
def test_mst_matches_networkx(cells):
    lat = lattice(*cells)
    weights = np.random.default_rng(sum(cells)).normal(size=(20, lat.num_edges))
    open_edges = maximum_spanning_tree(lat, weights)
    assert open_edges.shape == weights.shape and open_edges.dtype == np.bool_
    assert (open_edges.sum(axis=1) == lat.num_cells - 1).all()
    assert is_perfect(lat.walls_from_passages(open_edges)).all()
    for row, tree in zip(weights, open_edges, strict=True):
        graph = nx.Graph()
        graph.add_weighted_edges_from((int(a), int(b), w) for (a, b), w in zip(lat.edges, row, strict=True))
        best = nx.maximum_spanning_tree(graph)
        assert row[tree].sum() == pytest.approx(best.size(weight="weight"), abs=1e-9)
        assert np.array_equal(tree, kruskal_reference(lat, row))


@pytest.mark.parametrize(
    "weights",
    [
        lambda rng, shape: rng.integers(0, 3, shape).astype(np.float64),  # many ties
        lambda rng, shape: rng.integers(-2, 2, shape),  # integers
        lambda rng, shape: np.zeros(shape),  # all tied
        lambda rng, shape: rng.choice([-np.inf, -0.0, 0.0, 1.0, np.inf], shape).astype(np.float32),
        # every byte of the float's bit pattern matters: signs, subnormals, extremes
        lambda rng, shape: (
            rng.choice([-1.7e308, -1e-310, -5e-324, 5e-324, 1e-310, 2.5, -2.5, 1.7e308], shape)
            * rng.choice([1.0, 1.0 + 2**-52], shape)
        ),
    ],
    ids=["ties", "ints", "zeros", "inf-float32", "every-byte"],
)
def test_mst_ties_like_stable_kruskal(weights):
    rng = np.random.default_rng(1)
    for cells in [(3, 3), (4, 7), (8, 5)]:
        lat = lattice(*cells)
        w = weights(rng, (30, lat.num_edges))
        open_edges = maximum_spanning_tree(lat, w)
        assert is_perfect(lat.walls_from_passages(open_edges)).all()
        for row, tree in zip(w, open_edges, strict=True):
            assert np.array_equal(tree, kruskal_reference(lat, np.asarray(row)))


def test_mst_plain_python_kernel_builds_the_same_trees(monkeypatch):
    # ``NUMBA_DISABLE_JIT=1`` runs the kernel's plain-Python form: the same trees, ties included.
    import generators.spanning_tree as spanning_tree
    from generators._jit import compile_kernel

    monkeypatch.setattr(spanning_tree, "compile_kernel", lambda fn: compile_kernel(fn).py_func)
    rng = np.random.default_rng(6)
    for cells in [(1, 2), (3, 5), (6, 4)]:
        lat = lattice(*cells)
        for w in (rng.random((5, lat.num_edges)), rng.integers(0, 2, (5, lat.num_edges))):
            open_edges = maximum_spanning_tree(lat, w)
            for row, tree in zip(w, open_edges, strict=True):
                assert np.array_equal(tree, kruskal_reference(lat, np.asarray(row, dtype=np.float64)))


def test_mst_batch_rows_are_independent():
    lat = lattice(9, 11)
    weights = np.random.default_rng(3).random((300, lat.num_edges))
    together = maximum_spanning_tree(lat, weights)
    for i in (0, 17, 299):
        assert np.array_equal(together[i], maximum_spanning_tree(lat, weights[i : i + 1])[0])


def test_mst_large_batch_is_all_trees():
    lat = lattice(14, 14)
    open_edges = maximum_spanning_tree(lat, np.random.default_rng(4).random((2000, lat.num_edges)))
    assert is_perfect(lat.walls_from_passages(open_edges)).all()


def test_mst_empty_batch():
    lat = lattice(3, 3)
    assert maximum_spanning_tree(lat, np.zeros((0, lat.num_edges))).shape == (0, lat.num_edges)


@pytest.mark.parametrize(
    ("weights", "match"),
    [
        (np.zeros(12), r"float\[B, 12\]"),
        (np.zeros((2, 11)), r"float\[B, 12\]"),
        (np.full((1, 12), np.nan), "NaN"),
        (np.array([["a"] * 12]), "real numbers"),
    ],
)
def test_mst_bad_weights(weights, match):
    with pytest.raises(ValueError, match=match):
        maximum_spanning_tree(lattice(3, 3), weights)


@pytest.mark.parametrize("name", ["backtracker", "kruskal", "prim"])
def test_walls_from_uniforms_rejects_the_wrong_shape(name):
    gen = make_generator(name, size=(3, 4))
    draws = gen.num_draws()
    with pytest.raises(ValueError, match=rf"u must be float\[B, {draws}\], got shape \(2, {draws + 1}\)"):
        gen.walls_from_uniforms(np.zeros((2, draws + 1)))
    with pytest.raises(ValueError, match=r"got shape \(5,\)"):
        gen.walls_from_uniforms(np.zeros(5))
    assert gen.walls_from_uniforms(np.zeros((0, draws))).shape == (0, *gen.shape)
