"""Mazes as arrays: `MazeArrays`, `Maze.from_arrays`, `generate_arrays`, `tree_edits`, the
batched digests, the compiled level metrics and cell-hopping BFS, and the vector env loading a
`MazeArrays` -- each checked against the one-maze-at-a-time code it stands for."""

from __future__ import annotations

from itertools import pairwise

import networkx as nx
import numpy as np
import pytest

from daedalus_gym.vector_env import MazeVectorEnv
from generators import Maze, MazeArrays, make_generator, tree_edit, tree_edits
from generators.lattice import lattice
from generators.maze import level_metrics, maze_hashes
from generators.shortest_paths import shortest_path_lengths


@pytest.fixture(scope="module")
def batch() -> list[Maze]:
    return make_generator("kruskal", size=(4, 6)).generate_batch(20, np.random.default_rng(7))


def arrays_of(mazes: list[Maze]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return (
        np.stack([m.walls for m in mazes]),
        np.array([m.start for m in mazes]),
        np.array([m.goal for m in mazes]),
    )


# --------------------------------------------------------------------- MazeArrays
def test_rows_are_the_mazes_they_were_made_from(batch):
    walls, start, goal = arrays_of(batch)
    arrays = MazeArrays(walls, start, goal)
    assert len(arrays) == len(batch) and arrays.shape == batch[0].shape
    assert list(arrays) == batch
    assert Maze.from_arrays(walls, start, goal) == batch
    assert arrays[-1] == batch[-1] and arrays[3] is arrays[3]  # built once
    assert not arrays[0].walls.flags.writeable and not arrays.walls.flags.writeable
    walls[0] = True  # the caller's array is copied, not kept
    assert arrays[0] == batch[0]


def test_of_take_and_slices_keep_the_order(batch):
    arrays = MazeArrays.of(batch)
    assert MazeArrays.of(arrays) is arrays
    assert list(arrays.take([5, 0, 5])) == [batch[5], batch[0], batch[5]]
    assert list(arrays[2:9:3]) == batch[2:9:3]
    np.testing.assert_array_equal(arrays.take(np.array([1, 2])).walls, arrays.walls[[1, 2]])


def test_digests_equal_maze_hash_and_are_kept(batch):
    arrays = MazeArrays(*arrays_of(batch))
    digests = arrays.maze_hashes()
    assert digests.tolist() == [m.maze_hash for m in batch]
    assert arrays.maze_hashes() is digests and not digests.flags.writeable
    assert arrays[4]._derived["hash"] == batch[4].maze_hash  # handed to the rows built later
    assert maze_hashes(*arrays_of(batch)).tolist() == digests.tolist()
    assert maze_hashes(np.zeros((0, 5, 5), dtype=bool), np.zeros((0, 2)), np.zeros((0, 2))).shape == (0,)
    fresh = MazeArrays.of(list(batch))  # digests of rows whose Maze exists are kept by the Maze
    fresh.maze_hashes()
    assert all("hash" in m._derived for m in batch)


def test_path_lengths_are_searched_once_per_level(batch, monkeypatch):
    arrays = MazeArrays(*arrays_of(batch))
    lengths = arrays.path_lengths()
    assert lengths.tolist() == [m.shortest_path_length() for m in batch]
    assert arrays.path_lengths() is lengths and not lengths.flags.writeable
    replayed = MazeArrays.of([arrays[i] for i in (3, 1, 3)])  # mazes built after the search
    monkeypatch.setattr("generators.maze.shortest_path_lengths", None)  # no second search
    assert replayed.path_lengths().tolist() == [lengths[3], lengths[1], lengths[3]]
    assert arrays.take([2, 0]).path_lengths().tolist() == [lengths[2], lengths[0]]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda w, s, g: (w.astype(np.int8), s, g), "walls must be bool"),
        (lambda w, s, g: (w[:, :2], s, g), "at least 3x3"),
        (lambda w, s, g: (w, s[:-1], g), "start must be int"),
        (lambda w, s, g: (w, s.astype(float), g), "start must be int"),
        (
            lambda w, s, g: (w, s, np.where(np.arange(len(g))[:, None] == 3, 99, g)),
            "goal (99, 99) of row 3 is outside",
        ),
        (
            lambda w, s, g: (w, np.where(np.arange(len(s))[:, None] == 2, 0, s), g),
            "start (0, 0) of row 2 is a wall",
        ),
        (
            lambda w, s, g: (w, s, np.where(np.arange(len(g))[:, None] == 1, s, g)),
            "differ, both are (1, 1) in row 1",
        ),
    ],
)
def test_bad_arrays_name_the_row(batch, change, message):
    walls, start, goal = change(*arrays_of(batch))
    for build in (MazeArrays, Maze.from_arrays):
        with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
            build(walls, start, goal)


def test_bad_collections_are_refused(batch):
    with pytest.raises(TypeError, match="walls must be a numpy array"):
        MazeArrays([[True]], [[1, 1]], [[1, 1]])
    with pytest.raises(ValueError, match="at least one maze"):
        MazeArrays.of([])
    with pytest.raises(TypeError, match=r"mazes\[1\] must be a generators.Maze"):
        MazeArrays.of([batch[0], "maze"])
    other = make_generator("kruskal", size=5).generate(np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"mazes\[1\] has shape"):
        MazeArrays.of([batch[0], other])
    arrays = MazeArrays.of(batch)
    with pytest.raises(IndexError, match="out of range"):
        arrays[len(batch)]
    with pytest.raises(TypeError, match="ints or slices"):
        arrays[1.0]
    with pytest.raises(IndexError, match="rows must be in"):
        arrays.take([0, 99])


@pytest.mark.parametrize("name", ["backtracker", "kruskal", "prim", "wilson"])
@pytest.mark.parametrize("goal", ["corner", "farthest"])
def test_generate_arrays_gives_the_generate_batch_mazes(name, goal):
    generator = make_generator(name, size=6, goal=goal)
    arrays = generator.generate_arrays(9, np.random.default_rng(3))
    assert list(arrays) == generator.generate_batch(9, np.random.default_rng(3))


# --------------------------------------------------------------------- tree edits
def test_batched_tree_edits_are_the_one_by_one_edits():
    mazes = make_generator("backtracker", size=7).generate_batch(30, np.random.default_rng(1))
    rng = np.random.default_rng(5)
    one_by_one = [tree_edit(m, 4, rng) for m in mazes]
    edited = tree_edits(MazeArrays.of(mazes), 4, np.random.default_rng(5))
    assert list(edited) == one_by_one
    assert all(m.is_perfect() for m in edited)
    assert list(tree_edits(mazes, 4, np.random.default_rng(5))) == one_by_one


def reference_tree_edit(maze: Maze, draws: np.ndarray) -> Maze:
    """`tree_edit` from its definition, with networkx: per row of ``draws``, open the
    ``int(u0 * k)``-th walled passage (ascending), find the tree path from its far end ``b`` to
    ``a``, and wall its ``int(u1 * k')``-th passage in that order, skipping the start's and goal's."""
    lat = lattice(*maze.cells)
    open_edges = lat.passages_from_walls(maze.walls[None])[0].copy()
    keep = {e for e, rc in enumerate(lat.edge_rc.tolist()) if tuple(rc) in (maze.start, maze.goal)}
    edge_of = {frozenset(map(int, ends)): e for e, ends in enumerate(lat.edges)}
    for u0, u1 in draws:
        closed = np.flatnonzero(~open_edges)
        new = closed[min(int(u0 * len(closed)), len(closed) - 1)]
        a, b = lat.edges[new]
        tree = nx.Graph([tuple(lat.edges[e]) for e in np.flatnonzero(open_edges)])
        path = nx.shortest_path(tree, int(b), int(a))
        cycle = [edge_of[frozenset(pair)] for pair in pairwise(path)]
        cycle = [e for e in cycle if e not in keep]
        if cycle:
            open_edges[new] = True
            open_edges[cycle[min(int(u1 * len(cycle)), len(cycle) - 1)]] = False
    return Maze(lat.walls_from_passages(open_edges[None])[0], maze.start, maze.goal)


def test_tree_edits_follow_the_definition():
    rng = np.random.default_rng(11)
    mazes = []
    for name in ("backtracker", "wilson"):
        for maze in make_generator(name, size=(5, 6)).generate_batch(10, rng):
            squares = np.argwhere(~maze.walls)  # start and goal anywhere, passages included
            i, j = rng.choice(len(squares), 2, replace=False)
            mazes.append(Maze(maze.walls, tuple(squares[i].tolist()), tuple(squares[j].tolist())))
    draws = np.random.default_rng(3).random((len(mazes), 8, 2))
    edited = tree_edits(mazes, 8, np.random.default_rng(3))
    assert list(edited) == [reference_tree_edit(m, d) for m, d in zip(mazes, draws, strict=True)]


def test_tree_edits_name_the_maze_that_is_not_perfect(batch):
    walls = batch[2].walls.copy()
    walls[1, 2] = walls[2, 1] = walls[1, 4] = False  # open passages: a loop at the corner
    looped = Maze(walls, batch[2].start, batch[2].goal)
    with pytest.raises(ValueError, match=r"mazes\[2\] must be a perfect lattice maze"):
        tree_edits([batch[0], batch[1], looped], 1, np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"^maze must be a perfect lattice maze"):
        tree_edit(looped, 1, np.random.default_rng(0))
    # As many passages as a spanning tree, but a loop and a part cut off: found by the kernel.
    lat = lattice(*batch[0].cells)
    passages = lat.passages_from_walls(batch[0].walls[None])[0]
    tree = nx.Graph([tuple(lat.edges[e]) for e in np.flatnonzero(passages)])
    for new in np.flatnonzero(~passages):
        cycle = nx.shortest_path(tree, *map(int, lat.edges[new]))
        on_cycle = {frozenset(pair) for pair in pairwise(cycle)}
        off = [e for e in np.flatnonzero(passages) if frozenset(map(int, lat.edges[e])) not in on_cycle]
        if off:
            break
    passages = passages.copy()
    passages[new], passages[off[0]] = True, False
    cut = lat.walls_from_passages(passages[None])[0]
    squares = np.argwhere(~cut)
    cut_maze = Maze(cut, tuple(squares[0].tolist()), tuple(squares[-1].tolist()))
    assert not cut_maze.is_perfect()
    with pytest.raises(ValueError, match=r"mazes\[1\] must be a perfect lattice maze"):
        tree_edits([batch[0], cut_maze], 1, np.random.default_rng(0))
    with pytest.raises(TypeError, match=r"sequence of generators\.Maze"):
        tree_edits(batch[0], 1, np.random.default_rng(0))


# --------------------------------------------------------------------- compiled level metrics and BFS
def brute_metrics(walls: np.ndarray) -> dict[str, list]:
    """Degrees over every open square (outside = wall); per cell on the lattice."""
    out: dict[str, list] = {
        k: [] for k in ("dead_ends", "junctions", "passable", "n_walls", "dead_end_fraction")
    }
    for grid in walls:
        open_ = np.pad(~grid, 1)
        degree = open_[:-2, 1:-1].astype(int) + open_[2:, 1:-1] + open_[1:-1, :-2] + open_[1:-1, 2:]
        dead = int(((degree == 1) & ~grid).sum())
        on_lattice = (
            grid.shape[0] % 2 == 1
            and grid.shape[1] % 2 == 1
            and grid[0].all()
            and grid[-1].all()
            and grid[:, 0].all()
            and grid[:, -1].all()
            and grid[::2, ::2].all()
            and not grid[1::2, 1::2].any()
        )
        cells = (grid.shape[0] // 2) * (grid.shape[1] // 2) if on_lattice else int((~grid).sum())
        out["dead_ends"].append(dead)
        out["junctions"].append(int(((degree >= 3) & ~grid).sum()))
        out["passable"].append(int((~grid).sum()))
        out["n_walls"].append(int(grid.sum()))
        out["dead_end_fraction"].append(dead / max(cells, 1))
    return out


def test_level_metrics_of_a_mixed_batch_match_a_brute_count():
    rng = np.random.default_rng(2)
    lattices = make_generator("backtracker", size=(5, 7)).generate_walls(30, rng)
    lat = lattice(5, 7)
    loops = lat.walls_from_passages(
        lat.passages_from_walls(lattices) | (rng.random((30, lat.num_edges)) < 0.2)
    )
    noise = rng.random((30, 11, 15)) < 0.35
    walls = np.concatenate([lattices, loops, noise])[rng.permutation(90)]
    metrics = level_metrics(walls)
    expected = brute_metrics(walls)
    for key, values in expected.items():
        np.testing.assert_allclose(metrics[key], values, err_msg=key)


def test_cell_hopping_bfs_matches_networkx_on_lattice_grids_with_loops():
    rng = np.random.default_rng(4)
    lat = lattice(6, 9)
    walls = lat.walls_from_passages(rng.random((200, lat.num_edges)) < 0.55)  # loops, islands
    start = lat.cell_rc[rng.integers(0, lat.num_cells, 200)]
    goal = lat.cell_rc[rng.integers(0, lat.num_cells, 200)]
    goal[:20] = [1, 2]  # a passage square: the search walks square by square
    walls[:20, 1, 2] = False
    lengths = shortest_path_lengths(walls, start, goal)
    for w, s, g, length in zip(walls, start, goal, lengths, strict=True):
        graph = nx.grid_2d_graph(*w.shape)
        graph.remove_nodes_from(map(tuple, np.argwhere(w)))
        s, g = tuple(s.tolist()), tuple(g.tolist())
        expected = nx.shortest_path_length(graph, s, g) if g in graph and nx.has_path(graph, s, g) else -1
        assert length == expected
    assert (lengths == -1).any() and (lengths > 0).any()


# --------------------------------------------------------------------- the vector env loads arrays
def test_vector_env_plays_maze_arrays_as_the_same_list_of_mazes():
    mazes = make_generator("backtracker", size=5).generate_batch(6, np.random.default_rng(0))
    runs = []
    for levels in (mazes, MazeArrays.of(mazes)):
        envs = MazeVectorEnv(6, generator_kwargs={"size": 5})
        obs, info = envs.reset(seed=0, options={"level": levels})
        obs2, *_ = envs.step(np.arange(6) % 4)
        runs.append((obs, obs2, info["maze_hash"].tolist(), info["optimal_path_length"].tolist()))
        envs.close()
    for a, b in zip(*runs, strict=True):
        np.testing.assert_array_equal(a, b)
    envs = MazeVectorEnv(6, generator_kwargs={"size": 6})
    with pytest.raises(ValueError, match=r"holds mazes of shape \(11, 11\), this env plays \(13, 13\)"):
        envs.reset(options={"level": MazeArrays.of(mazes)})
    envs.close()
