"""The `Maze` value: validation, formats, graph queries and structure, checked against
independent plain-Python implementations (no networkx) on hand-made and hypothesis-drawn grids."""

from __future__ import annotations

import dataclasses
import itertools
from collections import deque

import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from generators import Maze, is_perfect, load_mazes, make_generator, save_mazes
from generators.lattice import lattice
from generators.maze import farthest_cell, farthest_cells, is_lattice, mazes_from_text, mazes_to_text

# Seeded example generation: the property tests are the same on every run and every machine.
PROPERTY = settings(derandomize=True, max_examples=150, deadline=None)

# A hand-made perfect maze of 3x4 cells. Cells A-D on row 1, E-H on row 3, I-L on row 5:
# dead ends A, C, D and L (the goal); junctions B and H; one path of 9 passages S -> G.
HAND_MADE = """\
#########
#S....#.#
###.###.#
#...#...#
#.###.#.#
#.....#G#
#########"""
# The same maze with the passage (4, 5) between G=(3, 5) and K=(5, 5) walled off: two trees.
HAND_MADE_SPLIT = HAND_MADE.replace("#.###.#.#", "#.#####.#")


# --------------------------------------------------------------------- independent references
def bfs(walls: np.ndarray, source: tuple[int, int]) -> dict[tuple[int, int], int]:
    """Breadth-first distances over open 4-neighbours, in plain Python."""
    dist = {source: 0}
    queue = deque([source])
    height, width = walls.shape
    while queue:
        r, c = queue.popleft()
        for nr, nc in ((r - 1, c), (r, c + 1), (r + 1, c), (r, c - 1)):
            if 0 <= nr < height and 0 <= nc < width and not walls[nr, nc] and (nr, nc) not in dist:
                dist[(nr, nc)] = dist[(r, c)] + 1
                queue.append((nr, nc))
    return dist


def open_cells(walls: np.ndarray) -> list[tuple[int, int]]:
    return [(int(r), int(c)) for r, c in zip(*np.nonzero(~walls), strict=True)]


def count_components(walls: np.ndarray) -> int:
    seen: set[tuple[int, int]] = set()
    count = 0
    for cell in open_cells(walls):
        if cell not in seen:
            count += 1
            seen.update(bfs(walls, cell))
    return count


def open_degree(walls: np.ndarray, r: int, c: int) -> int:
    height, width = walls.shape
    nbrs = ((r - 1, c), (r, c + 1), (r + 1, c), (r, c - 1))
    return sum(0 <= nr < height and 0 <= nc < width and not walls[nr, nc] for nr, nc in nbrs)


def perfect_by_definition(walls: np.ndarray) -> bool:
    """Odd sides; walls on the border and at even-even pillars; every odd-odd cell open; and the
    open passages form a tree: ``cells - 1`` of them, all cells connected."""
    height, width = walls.shape
    if height % 2 == 0 or width % 2 == 0:
        return False
    for r in range(height):
        for c in range(width):
            border = r in (0, height - 1) or c in (0, width - 1)
            if (border or (r % 2 == 0 and c % 2 == 0)) and not walls[r, c]:
                return False
            if r % 2 == 1 and c % 2 == 1 and walls[r, c]:
                return False
    n_cells = (height // 2) * (width // 2)
    n_passages = sum(
        not walls[r, c] for r in range(1, height - 1) for c in range(1, width - 1) if (r + c) % 2 == 1
    )
    return n_passages == n_cells - 1 and len(bfs(walls, (1, 1))) == n_cells + n_passages


# --------------------------------------------------------------------- strategies
@st.composite
def walls_with_ends(draw, min_side: int = 3, max_side: int = 11):
    """Any bool grid with two distinct open cells for start and goal."""
    height = draw(st.integers(min_side, max_side))
    width = draw(st.integers(min_side, max_side))
    walls = draw(arrays(np.bool_, (height, width)))
    start = (draw(st.integers(0, height - 1)), draw(st.integers(0, width - 1)))
    goal = (draw(st.integers(0, height - 1)), draw(st.integers(0, width - 1)))
    assume(start != goal)
    walls = walls.copy()
    walls[start] = walls[goal] = False
    return walls, start, goal


@st.composite
def lattice_walls(draw):
    """Lattice grids near and on the set of perfect mazes: a random passage subset or a random
    spanning tree (plain union-find over shuffled edges), optionally with a few cells flipped."""
    h, w = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    assume(h * w >= 2)
    lat = lattice(h, w)
    if draw(st.booleans()):
        passages = np.array(draw(st.lists(st.booleans(), min_size=lat.num_edges, max_size=lat.num_edges)))
    else:
        order = draw(st.permutations(range(lat.num_edges)))
        parent = list(range(lat.num_cells))

        def find(x: int) -> int:
            while parent[x] != x:
                x = parent[x]
            return x

        passages = np.zeros(lat.num_edges, dtype=bool)
        for e in order:
            a, b = find(int(lat.edges[e, 0])), find(int(lat.edges[e, 1]))
            if a != b:
                parent[a] = b
                passages[e] = True
    walls = lat.walls_from_passages(passages[None])[0]
    for _ in range(draw(st.integers(0, 2))):
        r, c = draw(st.integers(0, lat.shape[0] - 1)), draw(st.integers(0, lat.shape[1] - 1))
        walls[r, c] = not walls[r, c]
    return walls


# --------------------------------------------------------------------- validation
@pytest.mark.parametrize(
    ("walls", "kwargs", "error", "match"),
    [
        ([[True] * 3] * 3, {}, TypeError, "numpy array"),
        (np.ones((5, 5), dtype=np.int64), {}, ValueError, r"2-D bool, got int64 of shape \(5, 5\)"),
        (np.ones((5, 5), dtype=np.float32), {}, ValueError, "2-D bool, got float32"),
        (np.ones(9, dtype=bool), {}, ValueError, r"2-D bool, got bool of shape \(9,\)"),
        (np.ones((1, 5, 5), dtype=bool), {}, ValueError, "2-D bool"),
        (np.ones((2, 9), dtype=bool), {}, ValueError, "at least 3x3"),
        (None, {"start": (0, 99)}, ValueError, r"start \(0, 99\) is outside the 7x9 grid"),
        (None, {"start": (-1, 1)}, ValueError, "outside"),
        (None, {"goal": (7, 1)}, ValueError, r"goal \(7, 1\) is outside"),
        (None, {"start": (0, 0)}, ValueError, r"start \(0, 0\) is a wall"),
        (None, {"goal": (2, 2)}, ValueError, r"goal \(2, 2\) is a wall"),
        (None, {"start": (5, 7)}, ValueError, r"start and goal must differ, both are \(5, 7\)"),
        (None, {"start": "ab"}, ValueError, r"start must be a \(row, col\) pair of ints"),
        (None, {"start": (1.5, 1)}, ValueError, "pair of ints"),
        (None, {"goal": (1, 2, 3)}, ValueError, "goal must be a"),
    ],
)
def test_bad_maze_inputs(walls, kwargs, error, match):
    walls = Maze.from_text(HAND_MADE).walls.copy() if walls is None else walls
    with pytest.raises(error, match=match):
        Maze(walls, **kwargs)


def test_from_walls_goal_modes():
    walls = Maze.from_text(HAND_MADE).walls
    assert Maze.from_walls(walls).goal == (5, 7)
    assert Maze.from_walls(walls, goal="farthest").goal == farthest_cell(walls, (1, 1))
    assert Maze.from_walls(walls, start=(3, 3), goal=(1, 7)).start == (3, 3)
    with pytest.raises(ValueError, match="'corner' or 'farthest', got 'middle'"):
        Maze.from_walls(walls, goal="middle")


@pytest.mark.parametrize("start", [(9, 9), (7, 1), (-4, 1), (-1, 1), (1, -1)])
def test_farthest_goal_needs_a_start_inside_the_grid(start):
    # A negative start once wrapped round to the far side of the grid.
    walls = Maze.from_text(HAND_MADE).walls  # 7x9 squares
    with pytest.raises(ValueError, match=rf"start \({start[0]}, {start[1]}\) is outside the 7x9 grid"):
        Maze.from_walls(walls, start=start, goal="farthest")


def test_farthest_goal_needs_another_reachable_square():
    walls = Maze.from_text(HAND_MADE).walls.copy()
    walls[1, 2] = True  # (1, 1) walled in on every side
    with pytest.raises(ValueError, match=r"no other open square is reachable from start \(1, 1\)"):
        Maze.from_walls(walls, goal="farthest")
    with pytest.raises(ValueError, match=r"start \(0, 0\) is a wall; it must be an open cell"):
        farthest_cell(walls, (0, 0))


def test_maze_is_immutable_and_owns_its_walls():
    walls = Maze.from_text(HAND_MADE).walls.copy()
    maze = Maze(walls)
    walls[1, 2] = True
    assert not maze.walls[1, 2]
    assert not maze.walls.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        maze.walls[1, 2] = True
    with pytest.raises(dataclasses.FrozenInstanceError):
        maze.goal = (1, 3)  # type: ignore[misc]


def test_equality_and_hash():
    a, b = Maze.from_text(HAND_MADE), Maze.from_text(HAND_MADE)
    assert a == b and hash(a) == hash(b) and a.maze_hash == b.maze_hash
    other_goal = Maze(a.walls, a.start, (1, 7))
    assert a != other_goal and a.maze_hash != other_goal.maze_hash
    assert a != Maze.from_text(HAND_MADE_SPLIT)
    assert a != "maze"
    assert len({a, b, other_goal}) == 2


def test_maze_hash_is_pinned():
    # Stable across machines and runs: datasets and benchmark tables key mazes by it.
    assert Maze.from_text(HAND_MADE).maze_hash == "6d44fdbf9437407658cd7aec"


def test_shape_and_cells():
    maze = Maze.from_text(HAND_MADE)
    assert maze.shape == (7, 9)
    assert maze.cells == (3, 4)
    assert repr(maze) == "Maze(shape=(7, 9), start=(1, 1), goal=(5, 7))"


# --------------------------------------------------------------------- structure, hand-made
def test_hand_made_structure():
    maze = Maze.from_text(HAND_MADE)
    assert maze.is_lattice() and maze.is_perfect()
    assert maze.dead_ends() == 4  # A, C, D and the goal L
    assert maze.junctions() == 2  # B and H
    assert maze.components() == 1
    assert maze.is_solvable()
    assert maze.shortest_path_length() == 18
    path = maze.shortest_path()
    assert path[0] == (1, 1) and path[-1] == (5, 7) and len(path) == 19
    assert maze.distances_to_goal()[(1, 1)] == 18


def test_hand_made_split_structure():
    maze = Maze.from_text(HAND_MADE_SPLIT)
    assert maze.is_lattice() and not maze.is_perfect()
    assert maze.dead_ends() == 6  # G and K lost their link
    assert maze.junctions() == 2
    assert maze.components() == 2
    assert not maze.is_solvable()
    assert maze.shortest_path() is None and maze.shortest_path_length() is None
    assert (1, 1) not in maze.distances_to_goal()


def test_is_perfect_batch_and_non_lattice():
    good = Maze.from_text(HAND_MADE).walls
    split = Maze.from_text(HAND_MADE_SPLIT).walls
    cycle = good.copy()
    cycle[2, 1] = False  # one passage too many: a loop
    pillar = good.copy()
    pillar[2, 2] = False
    assert is_perfect(np.stack([good, split, cycle, pillar])).tolist() == [True, False, False, False]
    assert not is_perfect(np.zeros((1, 6, 9), dtype=bool))[0]  # even side: not a lattice
    assert not is_lattice(np.zeros((6, 9), dtype=bool))
    with pytest.raises(ValueError, match=r"bool\[B, H, W\]"):
        is_perfect(good)


# --------------------------------------------------------------------- formats
def test_text_round_trip_hand_made():
    maze = Maze.from_text(HAND_MADE)
    assert maze.to_text() == HAND_MADE
    assert Maze.from_text(HAND_MADE + "\n") == maze
    mazes = [maze, Maze(maze.walls, (3, 5), (1, 7))]
    assert mazes_from_text(mazes_to_text(mazes)) == mazes


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("", "non-empty rectangle"),
        ("#S#\n#G##\n###", "non-empty rectangle"),
        ("#####\n#S.G#\n#x###", r"unexpected characters .*'x'"),
        ("#####\n#S.S#\n#G###", "exactly one 'S' and one 'G', got 2 and 1"),
        ("#####\n#...#\n#####", "got 0 and 0"),
    ],
)
def test_bad_text(text, match):
    with pytest.raises(ValueError, match=match):
        Maze.from_text(text)


@PROPERTY
@given(walls_with_ends())
def test_text_round_trip(case):
    walls, start, goal = case
    maze = Maze(walls, start, goal)
    assert Maze.from_text(maze.to_text()) == maze


def test_npz_round_trip(tmp_path):
    mazes = make_generator("backtracker", size=(4, 6)).generate_batch(5, np.random.default_rng(0))
    mazes.append(Maze(mazes[0].walls, (3, 3), (1, 11)))
    path = tmp_path / "mazes.npz"
    save_mazes(path, mazes)
    loaded = load_mazes(path)
    assert loaded == mazes
    assert [m.maze_hash for m in loaded] == [m.maze_hash for m in mazes]


def test_npz_errors(tmp_path):
    with pytest.raises(ValueError, match="at least one maze"):
        save_mazes(tmp_path / "empty.npz", [])
    small, big = (
        Maze.from_text(HAND_MADE),
        make_generator("backtracker", size=5).generate(np.random.default_rng(0)),
    )
    with pytest.raises(ValueError, match="one shape"):
        save_mazes(tmp_path / "mixed.npz", [small, big])
    np.savez(tmp_path / "other.npz", walls=np.ones((1, 3, 3), dtype=bool))
    with pytest.raises(ValueError, match=r"missing arrays \['goal', 'start'\]"):
        load_mazes(tmp_path / "other.npz")
    np.savez(
        tmp_path / "floats.npz",
        walls=np.ones((1, 7, 9)),
        start=np.array([[1, 1]]),
        goal=np.array([[5, 7]]),
    )
    with pytest.raises(ValueError, match="expected walls bool"):
        load_mazes(tmp_path / "floats.npz")


def test_load_mazes_names_a_file_that_is_no_npz(tmp_path):
    text = tmp_path / "x.npz"
    text.write_text("hello")
    with pytest.raises(ValueError, match=r"x\.npz is not a \.npz maze file \(not a zip archive") as info:
        load_mazes(text)
    assert "pickled" not in str(info.value)
    mazes = make_generator("backtracker", size=5).generate_batch(3, np.random.default_rng(0))
    save_mazes(tmp_path / "ok.npz", mazes)
    data = (tmp_path / "ok.npz").read_bytes()
    (tmp_path / "cut.npz").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=r"cut\.npz is not a \.npz maze file \(the archive is damaged"):
        load_mazes(tmp_path / "cut.npz")
    with (tmp_path / "array.npz").open("wb") as file:
        np.save(file, np.ones((1, 3, 3), dtype=bool))  # an .npy file under an .npz name
    with pytest.raises(ValueError, match=r"array\.npz is not a \.npz maze file"):
        load_mazes(tmp_path / "array.npz")
    with pytest.raises(TypeError, match=r"path must be a str or pathlib\.Path, got int"):
        load_mazes(5)


def test_load_mazes_names_the_file_and_row_of_a_bad_start(tmp_path):
    mazes = make_generator("backtracker", size=5).generate_batch(3, np.random.default_rng(0))
    walls = np.stack([m.walls for m in mazes])
    start, goal = np.ones((3, 2), dtype=np.int64), np.full((3, 2), 9, dtype=np.int64)
    start[1] = (0, 0)
    np.savez(tmp_path / "walled.npz", walls=walls, start=start, goal=goal)
    with pytest.raises(ValueError, match=r"walled\.npz: start \(0, 0\) of row 1 is a wall"):
        load_mazes(tmp_path / "walled.npz")
    goal[2] = (11, 1)
    start[1] = (1, 1)
    np.savez(tmp_path / "outside.npz", walls=walls, start=start, goal=goal)
    with pytest.raises(ValueError, match=r"outside\.npz: goal \(11, 1\) of row 2 is outside the 11x11 grid"):
        load_mazes(tmp_path / "outside.npz")


@pytest.mark.parametrize(
    ("mazes", "match"),
    [
        ([1], r"mazes\[0\] must be a generators\.Maze, got int"),
        (np.zeros(3), r"mazes must be a list of generators\.Maze, got ndarray"),
        (Maze.from_text(HAND_MADE), r"mazes must be a list of generators\.Maze, got Maze"),
    ],
)
def test_save_mazes_needs_a_list_of_mazes(tmp_path, mazes, match):
    with pytest.raises(TypeError, match=match):
        save_mazes(tmp_path / "a.npz", mazes)
    assert not (tmp_path / "a.npz").exists()


def test_blog_format_14x14():
    maze = make_generator("backtracker", size=14).generate(np.random.default_rng(0))
    grid = maze.to_blog()
    assert grid.shape == (28, 28) and grid.dtype == np.float32
    assert set(np.unique(grid).tolist()) == {-1.0, 0.0, 1.0}
    assert grid[0, 0] == 1.0 and grid[26, 26] == -1.0
    assert np.count_nonzero(grid == -1) == 1
    assert (grid[-1] == 0).all() and (grid[:, -1] == 0).all()  # the bottom and right border
    assert Maze.from_blog(grid) == maze
    assert Maze.from_blog(grid.astype(np.float64).tolist()) == maze


@PROPERTY
@given(walls_with_ends())
def test_blog_round_trip(case):
    walls, _, goal = case
    assume(goal != (1, 1) and goal[0] > 0 and goal[1] > 0)
    walls = walls.copy()
    walls[1, 1] = False
    walls[0, :] = walls[:, 0] = True  # the blog grid leaves out the top row and left column
    maze = Maze(walls, (1, 1), goal)
    assert Maze.from_blog(maze.to_blog()) == maze


@pytest.mark.parametrize(
    ("grid", "match"),
    [
        (np.ones((2, 3, 3)), "2-D"),
        (np.array([[1.0, 0.5], [1.0, -1.0]]), r"1 \(path\), 0 \(wall\) or -1 \(exit\)"),
        (np.array([[1.0, -1.0], [1.0, -1.0]]), "exactly one exit"),
        (np.array([[1.0, 0.0], [1.0, 1.0]]), "exactly one exit"),
    ],
)
def test_bad_blog(grid, match):
    with pytest.raises(ValueError, match=match):
        Maze.from_blog(grid)


def test_to_blog_needs_start_at_1_1():
    maze = Maze(Maze.from_text(HAND_MADE).walls, (3, 3), (5, 7))
    with pytest.raises(ValueError, match=r"fixes start at \(1, 1\)"):
        maze.to_blog()


# --------------------------------------------------------------------- graph queries vs BFS
@PROPERTY
@given(walls_with_ends())
def test_solvability_and_distances_match_bfs(case):
    walls, start, goal = case
    maze = Maze(walls, start, goal)
    from_start = bfs(walls, start)
    assert maze.is_solvable() == (goal in from_start)
    assert maze.shortest_path_length() == from_start.get(goal)
    path = maze.shortest_path()
    if goal in from_start:
        assert path[0] == start and path[-1] == goal and len(path) == from_start[goal] + 1
        for (r0, c0), (r1, c1) in itertools.pairwise(path):
            assert abs(r0 - r1) + abs(c0 - c1) == 1 and not walls[r1, c1]
    else:
        assert path is None
    assert maze.distances_to_goal() == bfs(walls, goal)


@PROPERTY
@given(walls_with_ends())
def test_structure_counts_match_reference(case):
    walls, start, goal = case
    maze = Maze(walls, start, goal)
    degrees = [open_degree(walls, r, c) for r, c in open_cells(walls)]
    assert maze.dead_ends() == sum(d == 1 for d in degrees)
    assert maze.junctions() == sum(d >= 3 for d in degrees)
    assert maze.components() == count_components(walls)
    graph = maze.to_graph()
    assert graph.number_of_nodes() == len(open_cells(walls))


@PROPERTY
@given(walls_with_ends(min_side=3, max_side=9))
def test_farthest_goal_matches_bfs(case):
    walls, start, _ = case
    dist = bfs(walls, start)
    assume(len(dist) >= 2)
    goal = farthest_cell(walls, start)
    assert dist[goal] == max(dist.values())
    assert goal == min(cell for cell, d in dist.items() if d == dist[goal])


@PROPERTY
@given(walls_with_ends(min_side=3, max_side=9), st.integers(0, 2**32 - 1))
def test_batched_farthest_cells_are_farthest_cell(case, seed):
    # Any open grid, loops and closed-off squares included, stacked with copies whose other
    # open squares are shuffled walls: each row gets the networkx BFS's cell, ties and all.
    walls, start, _ = case
    rng = np.random.default_rng(seed)
    others = rng.random((3, *walls.shape)) < 0.4
    others[:, start[0], start[1]] = False
    batch = np.concatenate([walls[None], others])
    got = farthest_cells(batch, start)
    assert [tuple(g) for g in got.tolist()] == [farthest_cell(w, start) for w in batch]


def test_farthest_goals_of_a_batch_and_bad_starts():
    gen = make_generator("backtracker", size=9, goal="farthest")
    walls = gen.generate_walls(50, np.random.default_rng(6))
    _, goal = gen.place_batch(walls)
    assert [tuple(g) for g in goal.tolist()] == [farthest_cell(w, (1, 1)) for w in walls]
    blocked = walls.copy()
    blocked[3, 1, 1] = True
    with pytest.raises(ValueError, match=r"start \(1, 1\) is a wall in grid 3"):
        farthest_cells(blocked, (1, 1))
    with pytest.raises(ValueError, match=r"outside the 19x19 grid"):
        farthest_cells(walls, (19, 1))
    with pytest.raises(ValueError, match=r"bool\[B, H, W\]"):
        farthest_cells(walls[0], (1, 1))


@settings(PROPERTY, max_examples=300, suppress_health_check=[HealthCheck.filter_too_much])
@given(lattice_walls())
def test_is_perfect_matches_definition(walls):
    expected = perfect_by_definition(walls)
    assert bool(is_perfect(walls[None])[0]) == expected
    if not walls[1, 1] and not walls[-2, -2]:
        assert Maze(walls).is_perfect() == expected


def test_junction_edges_of_a_small_maze():
    """Corridors between junction squares, each once, with their length in steps."""
    from generators.maze import junction_edges

    # Start (1,1) -> corridor -> a T-junction at (1,3) with a dead end below and the goal right.
    walls = Maze.from_text("#######\n#S..G.#\n###.###\n###.###\n#######").walls
    start, goal = (1, 1), (1, 4)
    edges, forest = junction_edges(walls, start, goal)
    width = walls.shape[1]
    as_cells = {(divmod(u, width), divmod(v, width), n) for u, v, n in edges.tolist()}
    assert forest
    assert as_cells == {((1, 1), (1, 3), 2), ((1, 3), (1, 4), 1), ((1, 3), (3, 3), 2), ((1, 4), (1, 5), 1)}
    # Open a square into a loop: the corridors no longer form a forest.
    walls = Maze.from_text("#####\n#S..#\n#.#.#\n#..G#\n#####").walls
    assert not junction_edges(walls, (1, 1), (3, 3))[1]


def _square_bfs(maze: Maze) -> int | None:
    try:
        return nx.shortest_path_length(maze.to_graph(), maze.start, maze.goal)
    except nx.NetworkXNoPath:
        return None


def test_reset_check_matches_square_graph_and_batched_bfs():
    """The reset check (networkx BFS over the junction graph, or over the squares where the maze
    has loops) gives the same length as BFS over every open square and as the batched BFS of
    `generators.shortest_paths`, on perfect mazes, mazes with loops and random start/goal."""
    from generators.shortest_paths import shortest_path_lengths

    rng = np.random.default_rng(0)
    for name in ("backtracker", "prim", "kruskal", "wilson"):
        for maze in make_generator(name, size=(5, 7)).generate_batch(20, rng):
            walls = maze.walls.copy()
            passages = np.argwhere(walls[1:-1, 1:-1]) + 1
            passages = passages[(passages.sum(axis=1) % 2) == 1]
            for r, c in passages[rng.choice(len(passages), 2, replace=False)]:
                walls[r, c] = False  # two more passages: loops
            free = np.argwhere(~maze.walls)
            i, j = rng.choice(len(free), 2, replace=False)
            for case in (
                maze,
                Maze(walls, maze.start, maze.goal),
                Maze(maze.walls, tuple(free[i]), tuple(free[j])),
            ):
                square = _square_bfs(case)
                assert case.shortest_path_length() == square
                batched = shortest_path_lengths(case.walls[None], [case.start], [case.goal])[0]
                assert batched == square


@given(arrays(np.bool_, st.tuples(st.integers(3, 9), st.integers(3, 9)), elements=st.booleans()), st.data())
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
def test_reset_check_matches_square_bfs_on_any_grid(walls, data):
    free = np.argwhere(~walls)
    assume(len(free) >= 2)
    i, j = data.draw(st.lists(st.integers(0, len(free) - 1), min_size=2, max_size=2, unique=True))
    maze = Maze(walls, tuple(free[i]), tuple(free[j]))
    assert maze.shortest_path_length() == _square_bfs(maze)


def test_maze_arrays_builds_many_mazes_as_indexing_does():
    from generators import MazeArrays, make_generator

    arrays = make_generator("prim", size=5).generate_arrays(6, np.random.default_rng(2))
    arrays.path_lengths()
    built = arrays.mazes([4, 1, -1])
    fresh = MazeArrays(arrays.walls, arrays.start, arrays.goal)
    for maze, i in zip(built, [4, 1, 5], strict=True):
        expected = fresh[i]
        np.testing.assert_array_equal(maze.walls, expected.walls)
        assert (maze.start, maze.goal, maze.maze_hash) == (expected.start, expected.goal, expected.maze_hash)
        assert not maze.walls.flags.writeable and not np.shares_memory(maze.walls, arrays.walls)
        assert maze.shortest_path_length() == expected.shortest_path_length()
    assert arrays[4] is built[0] and arrays.mazes([4])[0] is built[0]  # built once, kept
    assert arrays.mazes([]) == []
    with pytest.raises(IndexError, match=r"rows must be in \[0, 6\)"):
        arrays.mazes([6])
