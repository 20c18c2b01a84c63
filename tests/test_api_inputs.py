"""Bad input to the rendering functions and the suite's statistics: each refused with an error
that names the argument, the value and what is expected."""

from __future__ import annotations

import numpy as np
import pytest

from daedalus_gym.curriculum.suite import (
    SuiteGroup,
    cvar,
    evaluate_suite,
    mean_interval,
    random_policy,
    zero_shot_suite,
)
from daedalus_gym.curriculum.suite import wilson_interval as suite_wilson
from daedalus_gym.rendering import Window, draw, montage, paint_mazes, render_ansi, save_png
from generators import Maze, make_generator


@pytest.fixture(scope="module")
def maze() -> Maze:
    # #####
    # #S#.#
    # #.#.#
    # #..G#
    # #####
    return make_generator("backtracker", size=2).generate(np.random.default_rng(0))


# --------------------------------------------------------------------- draw and render_ansi
@pytest.mark.parametrize(
    ("agent", "error", "match"),
    [
        ((10, 10), ValueError, r"agent must lie inside the 5x5 grid .*got \(10, 10\)"),
        ((-1, 1), ValueError, r"agent must lie inside the 5x5 grid .*got \(-1, 1\)"),
        ((0, 0), ValueError, r"agent must stand on a floor square, got \(0, 0\), which is a wall"),
        ((1.0, 1), TypeError, r"agent must be a \(row, col\) pair of ints or None, got \(1.0, 1\)"),
        ((True, 1), TypeError, r"agent must be a \(row, col\) pair of ints or None, got \(True, 1\)"),
        ((1, 1, 1), TypeError, r"agent must be a \(row, col\) pair of ints or None, got \(1, 1, 1\)"),
    ],
)
def test_an_agent_off_the_floor_is_refused(maze, agent, error, match):
    with pytest.raises(error, match=match):
        draw(maze, agent, None, 4)
    with pytest.raises(error, match=match):
        render_ansi(maze, agent)


def test_an_agent_on_the_floor_is_drawn(maze):
    assert render_ansi(maze, np.array([1, 1])).splitlines()[1] == "#A#.#"
    assert draw(maze, (3, 2), maze.shortest_path(), 4).shape == (20, 20, 3)


@pytest.mark.parametrize(
    ("tile", "error", "match"),
    [
        (0, ValueError, "tile must be an int >= 1, got 0"),
        (-1, ValueError, "tile must be an int >= 1, got -1"),
        (2.5, TypeError, "tile must be an int, got float 2.5"),
        (True, TypeError, "tile must be an int, got bool True"),
        (10**6, ValueError, r"tile=1000000 makes a 5000000x5000000x3 image of a 5x5 grid"),
    ],
)
def test_bad_tiles_are_refused(maze, tile, error, match):
    with pytest.raises(error, match=match):
        draw(maze, None, None, tile)


@pytest.mark.parametrize(
    ("path", "error", "match"),
    [
        ([(1, 1), (1, 20)], ValueError, r"path must lie inside the 5x5 grid .*got \(1, 20\) at index 1"),
        ([(1, 1), (-3, 1)], ValueError, r"path must lie inside the 5x5 grid .*got \(-3, 1\) at index 1"),
        (
            [(1, 1), (3, 3)],
            ValueError,
            r"path steps must stay in a row or a column, got \(1, 1\) -> \(3, 3\)",
        ),
        ("ab", TypeError, r"path must be a sequence of \(row, col\) pairs or None, got 'ab'"),
        ([(1,), (1, 2)], TypeError, r"path must be \(row, col\) pairs of ints"),
        ([(1.5, 1), (1, 1)], TypeError, r"path must be \(row, col\) pairs of ints, int\[k, 2\], got float64"),
    ],
)
def test_paths_that_leave_the_grid_are_refused(maze, path, error, match):
    with pytest.raises(error, match=match):
        draw(maze, None, path, 4)


def test_an_empty_path_draws_nothing(maze):
    assert np.array_equal(draw(maze, None, [], 4), draw(maze, None, None, 4))


def test_a_maze_of_the_wrong_type_is_refused(maze):
    with pytest.raises(TypeError, match=r"maze must be a generators\.Maze, got ndarray \(5, 5\)"):
        draw(maze.walls)
    with pytest.raises(TypeError, match=r"maze must be a generators\.Maze, got 'x' \(str\)"):
        render_ansi("x")


# --------------------------------------------------------------------- paint_mazes
def test_paint_mazes_refuses_bad_batches(maze):
    walls, start, goal = maze.walls[None], np.array([maze.start]), np.array([maze.goal])
    assert paint_mazes(walls, start, goal, 2).shape == (1, 10, 10, 3)
    with pytest.raises(TypeError, match=r"walls must be bool\[B, H, W\], got bool of shape \(5, 5\)"):
        paint_mazes(maze.walls, start, goal, 2)
    with pytest.raises(TypeError, match=r"walls must be bool\[B, H, W\], got int64 of shape \(1, 5, 5\)"):
        paint_mazes(walls.astype(np.int64) * 5, start, goal, 2)
    with pytest.raises(ValueError, match=r"start must lie inside the 5x5 grid .*got \(9, 9\)"):
        paint_mazes(walls, np.array([[9, 9]]), goal, 2)
    with pytest.raises(ValueError, match=r"goal must lie inside the 5x5 grid .*got \(-1, -1\)"):
        paint_mazes(walls, start, np.array([[-1, -1]]), 2)
    with pytest.raises(ValueError, match=r"start must be int\[2, 2\] \(one per maze\), got shape \(1, 2\)"):
        paint_mazes(np.concatenate([walls, walls]), start, np.concatenate([goal, goal]), 2)
    with pytest.raises(
        TypeError, match=r"start must be \(row, col\) pairs of ints, int\[k, 2\], got float64"
    ):
        paint_mazes(walls, start.astype(float), goal, 2)
    with pytest.raises(TypeError, match=r"tile must be an int, got float 2\.0"):
        paint_mazes(walls, start, goal, 2.0)


# --------------------------------------------------------------------- Window, montage, save_png
def test_window_refuses_bad_settings_and_frames(monkeypatch, maze):
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    with pytest.raises(ValueError, match="fps must be an int >= 0, got -1"):
        Window(fps=-1)
    Window(fps=0).close()  # 0: no pacing
    with pytest.raises(TypeError, match=r"caption must be a str, got 3 \(int\)"):
        Window(caption=3)
    window = Window()
    try:
        with pytest.raises(
            ValueError, match=r"frame must be uint8\[H, W, 3\] .*got float64 of shape \(5, 5, 3\)"
        ):
            window.show(np.zeros((5, 5, 3)))
        with pytest.raises(
            ValueError, match=r"frame must be uint8\[H, W, 3\] .*got uint8 of shape \(0, 5, 3\)"
        ):
            window.show(np.zeros((0, 5, 3), np.uint8))
        window.show(draw(maze, (1, 1), None, 4))
    finally:
        window.close()


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"columns": 0}, ValueError, "columns must be an int >= 1, got 0"),
        ({"tile_size": 0}, ValueError, "tile_size must be an int >= 1, got 0"),
        ({"gap": -1}, ValueError, "gap must be an int >= 0, got -1"),
        ({"paths": "yes"}, TypeError, r"paths must be a bool, got 'yes' \(str\)"),
    ],
)
def test_montage_refuses_bad_settings(maze, kwargs, error, match):
    with pytest.raises(error, match=match):
        montage([maze, maze], **kwargs)


def test_montage_and_save_png_refuse_bad_input(tmp_path, maze):
    with pytest.raises(TypeError, match=r"mazes must be a sequence of generators\.Maze, got 'ab' \(str\)"):
        montage("ab")
    with pytest.raises(TypeError, match=r"mazes\[1\] must be a generators\.Maze, got 3 \(int\)"):
        montage([maze, 3])
    with pytest.raises(
        ValueError, match=r"image must be uint8\[H, W, 3\] .*got float64 of shape \(4, 4, 3\)"
    ):
        save_png(tmp_path / "a.png", np.full((4, 4, 3), 300.0))
    with pytest.raises(ValueError, match=r"image must hold values in \[0, 255\], got -1..-1"):
        save_png(tmp_path / "a.png", np.full((4, 4, 3), -1))
    with pytest.raises(ValueError, match=r"image must be uint8\[H, W, 3\] .*got uint8 of shape \(0, 4, 3\)"):
        save_png(tmp_path / "a.png", np.zeros((0, 4, 3), np.uint8))
    save_png(tmp_path / "ok.png", np.full((2, 2, 3), 7))  # ints in [0, 255] are taken as uint8
    assert (tmp_path / "ok.png").read_bytes().startswith(b"\x89PNG")


# --------------------------------------------------------------------- the suite's statistics
def test_suite_statistics_refuse_bad_arguments():
    with pytest.raises(ValueError, match=r"z must be a finite number in \(0.0, inf\), got nan"):
        suite_wilson(1, 3, float("nan"))
    with pytest.raises(ValueError, match=r"z must be a finite number in \(0.0, inf\), got -1"):
        mean_interval(np.array([0.1, 0.2]), -1)
    with pytest.raises(TypeError, match="alpha must be a real number, got bool True"):
        cvar(np.array([1.0, 0.0]), True)
    with pytest.raises(ValueError, match="values must be numbers, got nan at index 0"):
        cvar(np.array([np.nan, 0.0]))
    with pytest.raises(ValueError, match=r"suite name must be one of \['zero-shot-v0'\], got array"):
        zero_shot_suite(np.array(["a", "b"]))


def test_a_view_size_the_observation_does_not_use_is_refused(maze):
    group = SuiteGroup("one", (maze,))
    with pytest.raises(ValueError, match="view_size has no effect with obs_mode='grid', got view_size=7"):
        evaluate_suite(random_policy(0), [group], obs_mode="grid", view_size=7)
    egocentric = evaluate_suite(random_policy(0), [group])  # view_size None: the 5x5 window
    assert egocentric["one"].success.shape == (1, 1)
    grid = evaluate_suite(random_policy(0), [group], obs_mode="grid")
    assert grid["one"].success.shape == (1, 1)
