"""The repair pass: any 0/1 grid in, a solvable maze out; minimal for "connect", perfect for "perfect"."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from generators import Maze, is_perfect, make_generator
from generators.lattice import lattice
from generators.repair import repair, repair_connect, repair_perfect
from generators.shortest_paths import path_lengths, solvable
from generators.spanning_tree import maximum_spanning_tree


def _border_fixed(walls: np.ndarray) -> np.ndarray:
    fixed = walls.copy()
    fixed[0, :] = fixed[-1, :] = True
    fixed[:, 0] = fixed[:, -1] = True
    fixed[1, 1] = fixed[-2, -2] = False
    return fixed


def _min_walls_bruteforce(walls: np.ndarray) -> int:
    """Fewest interior walls to open, by Dijkstra with the cost of entering a cell."""
    height, width = walls.shape
    fixed = _border_fixed(walls)
    graph = nx.DiGraph()
    for r in range(1, height - 1):
        for c in range(1, width - 1):
            for dr, dc in ((0, 1), (1, 0), (0, -1), (-1, 0)):
                rr, cc = r + dr, c + dc
                if 0 < rr < height - 1 and 0 < cc < width - 1:
                    graph.add_edge((r, c), (rr, cc), weight=int(fixed[rr, cc]))
    return nx.shortest_path_length(graph, (1, 1), (height - 2, width - 2), weight="weight")


@pytest.mark.parametrize("p_wall", [0.3, 0.6, 0.9])
@pytest.mark.parametrize("shape", [(5, 5), (7, 9), (8, 6), (15, 15)])
def test_connect_is_minimal(p_wall: float, shape: tuple[int, int]) -> None:
    rng = np.random.default_rng(int(p_wall * 10) + shape[0])
    grids = rng.random((12, *shape)) < p_wall
    result = repair_connect(grids)
    for grid, fixed, changed in zip(grids, result.walls, result.cells_changed, strict=True):
        opened = np.count_nonzero(fixed != _border_fixed(grid))
        assert opened == _min_walls_bruteforce(grid)
        assert changed == np.count_nonzero(fixed != grid)
        assert Maze(fixed).is_solvable()


def test_already_perfect_mazes_are_untouched() -> None:
    walls = make_generator("backtracker", size=6).generate_walls(20, np.random.default_rng(0))
    for mode in ("connect", "perfect"):
        result = repair(walls, mode)
        assert np.array_equal(result.walls, walls)
        assert not result.cells_changed.any()


def test_perfect_follows_the_logits() -> None:
    lat = lattice(5, 6)
    rng = np.random.default_rng(1)
    logits = rng.normal(size=(10, lat.num_edges))
    noise = rng.random((10, *lat.shape)) < 0.5
    result = repair_perfect(noise, logits)
    expected = lat.walls_from_passages(maximum_spanning_tree(lat, -logits))
    assert np.array_equal(result.walls, expected)
    assert is_perfect(result.walls).all()
    assert np.array_equal(result.cells_changed, np.count_nonzero(expected != noise, axis=(1, 2)))


def test_queries_agree_with_networkx() -> None:
    rng = np.random.default_rng(2)
    grids = rng.random((40, 9, 11)) < 0.35
    grids[:, 1, 1] = grids[:, -2, -2] = False
    reach, lengths = solvable(grids), path_lengths(grids)
    for grid, ok, length in zip(grids, reach, lengths, strict=True):
        maze = Maze(grid)
        assert ok == maze.is_solvable()
        assert length == (maze.shortest_path_length() if ok else -1)


def test_none_mode_returns_a_copy() -> None:
    grids = np.random.default_rng(3).random((3, 7, 7)) < 0.5
    result = repair(grids, None)
    assert np.array_equal(result.walls, grids) and result.walls is not grids
    assert not result.cells_changed.any()


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: repair(np.zeros((1, 5, 5), bool), "fix"), "repair must be one of None, 'connect'"),
        (lambda: repair_connect(np.zeros((5, 5), bool)), r"walls must be bool\[B, H, W\]"),
        (lambda: repair_connect(np.full((1, 5, 5), 2)), "only 0/1"),
        (lambda: repair_perfect(np.zeros((1, 6, 5), bool)), "odd-sided"),
        (
            lambda: repair_perfect(np.zeros((1, 5, 5), bool), np.zeros((1, 3))),
            r"passage_logits must be float\[1, 4\]",
        ),
    ],
)
def test_bad_input_is_named(call, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()


# ---------------------------------------------------------------------- properties
odd_sides = st.integers(1, 7).map(lambda k: 2 * k + 1)


@st.composite
def lattice_grids(draw):
    height, width = draw(odd_sides), draw(odd_sides)
    if height == width == 3:
        width = 5  # a maze needs at least two cells
    return draw(arrays(np.bool_, (height, width)))


@settings(max_examples=150, deadline=None)
@given(
    grid=st.integers(3, 12)
    .flatmap(lambda h: st.integers(3, 12).flatmap(lambda w: arrays(np.bool_, (h, w))))
    .filter(lambda g: g.shape != (3, 3))
)
def test_connect_makes_any_grid_solvable(grid: np.ndarray) -> None:
    result = repair_connect(grid[None])
    fixed = result.walls[0]
    maze = Maze(fixed)
    assert maze.is_solvable()
    assert fixed[0].all() and fixed[-1].all() and fixed[:, 0].all() and fixed[:, -1].all()
    # Only the border may gain walls; everything else the repair touches is opened.
    inner = (slice(1, -1), slice(1, -1))
    assert not (fixed[inner] & ~grid[inner]).any()
    assert result.cells_changed[0] == np.count_nonzero(fixed != grid)


@settings(max_examples=150, deadline=None)
@given(grid=lattice_grids(), logits_seed=st.one_of(st.none(), st.integers(0, 2**32 - 1)))
def test_perfect_makes_any_grid_a_perfect_maze(grid: np.ndarray, logits_seed: int | None) -> None:
    lat = lattice((grid.shape[0] - 1) // 2, (grid.shape[1] - 1) // 2)
    logits = (
        None if logits_seed is None else np.random.default_rng(logits_seed).normal(size=(1, lat.num_edges))
    )
    result = repair_perfect(grid[None], logits)
    assert is_perfect(result.walls).all()
    assert Maze(result.walls[0]).is_solvable()
