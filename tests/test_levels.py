"""Levels: JaxUED / minimax level strings, the text format, metrics, reset(options={"level": ...})
and level files, over every registered generator."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

from daedalus_gym import MazeEnv
from daedalus_gym.vector_env import MazeVectorEnv
from generators import Maze, load_levels, make_generator, registered_generators, save_levels
from generators.level_files import (
    from_minimax,
    levels_from_text,
    levels_to_text,
    load_minimax,
    save_minimax,
    to_minimax,
)
from generators.maze import MOVES, level_metrics, read_level_string

GENERATORS = sorted(registered_generators())
METRIC_KEYS = {"dead_ends", "dead_end_fraction", "junctions", "n_walls", "passable"}

# Levels from JaxUED's maze prefabs (13x13, no border); only LabyrinthFlipped is on our lattice.
STANDARD_MAZE = """
.....#>...#..
.###.####.##.
.#...........
.########.###
........#....
######.#####.
....#..#.....
.##...##.####
..#.#..#...#.
#.#.##.###.#.
#.#..#...#...
#.##.###.###.
...#..G#.#...
"""
SIXTEEN_ROOMS = """
...#..#..#...
.>.......#...
...#..#......
#.###.##.###.
...#.........
......#..#...
##.#.##.###.#
...#.....#...
...#..#......
.####.##.#.##
...#..#..#...
......#....G.
...#.....#...
"""
LABYRINTH_FLIPPED = """
.............
.###########.
.#.........#.
.#.#######.#.
.#.#.....#.#.
.#.#.###.#.#.
.#.#.#G#.#.#.
.#.#.#.#.#.#.
.#.#...#...#.
.#.#########.
.#.....#.....
.#####.#.####
.......#....<
"""
# minimax's SixteenRooms (envs/maze/maze_ood.py), the same level as JaxUED's.
MINIMAX_SIXTEEN_ROOMS = {
    "wall_map": [
        "0 0 0 1 0 0 1 0 0 1 0 0 0",
        "0 0 0 0 0 0 0 0 0 1 0 0 0",
        "0 0 0 1 0 0 1 0 0 0 0 0 0",
        "1 0 1 1 1 0 1 1 0 1 1 1 0",
        "0 0 0 1 0 0 0 0 0 0 0 0 0",
        "0 0 0 0 0 0 1 0 0 1 0 0 0",
        "1 1 0 1 0 1 1 0 1 1 1 0 1",
        "0 0 0 1 0 0 0 0 0 1 0 0 0",
        "0 0 0 1 0 0 1 0 0 0 0 0 0",
        "0 1 1 1 1 0 1 1 0 1 0 1 1",
        "0 0 0 1 0 0 1 0 0 1 0 0 0",
        "0 0 0 0 0 0 1 0 0 0 0 0 0",
        "0 0 0 1 0 0 0 0 0 1 0 0 0",
    ],
    "goal_pos": (11, 11),
    "agent_pos": (1, 1),
    "agent_dir_idx": 0,
}


@pytest.fixture(scope="module")
def mazes() -> dict[tuple[str, int], list[Maze]]:
    return {
        (name, size): make_generator(name, size=size).generate_batch(4, np.random.default_rng(size))
        for name in GENERATORS
        for size in (7, 14)
    }


def walk_shortest_path(env: MazeEnv) -> tuple[bool, int]:
    """Step along the maze's BFS path; ``(terminated, steps)``."""
    path = env.unwrapped.maze.shortest_path()
    terminated = False
    for (r0, c0), (r1, c1) in itertools.pairwise(path):
        action = MOVES.tolist().index([r1 - r0, c1 - c0])
        _, _, terminated, _, _ = env.step(action)
    return terminated, len(path) - 1


# --------------------------------------------------------------------- strings
@pytest.mark.parametrize("size", [7, 14])
@pytest.mark.parametrize("name", GENERATORS)
def test_level_string_and_text_round_trip(mazes, name, size):
    for maze in mazes[(name, size)]:
        level = maze.to_str()
        lines = level.split("\n")
        # The border is left out: 2h-1 lines of 2w-1 characters, one agent (facing right), one goal.
        assert len(lines) == 2 * size - 1 and {len(line) for line in lines} == {2 * size - 1}
        assert level.count(">") == 1 and level.count("G") == 1 and set(level) <= set("#.G>\n")
        assert Maze.from_str(level) == maze
        assert Maze.from_text(maze.to_text()) == maze


def test_level_string_coordinates():
    maze = Maze.from_text("#####\n#S..#\n###.#\n#G..#\n#####")
    assert maze.to_str() == ">..\n##.\nG.."
    assert Maze.from_str(">..\n##.\nG..") == maze
    # Every direction reads as the start; the direction is dropped.
    for agent in ">v<^":
        assert Maze.from_str(f"\n{agent}..\n##.\nG..\n\n") == maze


@pytest.mark.parametrize("text", [STANDARD_MAZE, SIXTEEN_ROOMS, LABYRINTH_FLIPPED])
def test_jaxued_levels_play_here(text):
    level = Maze.from_str(text)
    assert level.shape == (15, 15) and level.walls[0].all() and level.walls[:, -1].all()
    assert level.is_lattice() == (text is LABYRINTH_FLIPPED)
    assert level.to_str() == text.strip().replace("<", ">")
    env = MazeEnv(generator_kwargs={"size": 7})
    _, info = env.reset(seed=0, options={"level": level})
    assert env.maze == level and info["optimal_path_length"] == level.shortest_path_length()
    terminated, steps = walk_shortest_path(env)
    assert terminated and steps == info["optimal_path_length"]


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("", "non-empty rectangle of characters, got no lines"),
        ("\n\n>.G\n...\n..", r"line 5 has 2 characters, line 3 has 3; line 5, column 3 is missing"),
        (">.G\n....", r"line 2 has 4 characters, line 1 has 3; line 2, column 4 \('\.'\) is past the end"),
        (">.G\n.x.", r"unexpected characters \['x'\]: 'x' at line 2, column 2"),
        (">.G\n.S.", r"'S' at line 2, column 2"),
        (">.G\n..v", r"second agent start at line 2, column 3 \(the first is at line 1, column 1\)"),
        (">.G\nG..", r"second 'G' at line 2, column 1"),
        ("..G", r"no agent start \(one of '>v<\^'\)"),
        (">..", "no goal 'G'"),
        ("#>G", None),  # valid
        (">#G", None),  # parses; unsolvable is the env's (and the level file's) business
    ],
)
def test_bad_level_strings(text, match):
    if match is None:
        assert Maze.from_str(text).shape == (3, 5)
        return
    with pytest.raises(ValueError, match=match):
        Maze.from_str(text)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("#####\n#S.G#\n#x###", r"unexpected characters \['x'\]: 'x' at line 3, column 2"),
        ("#####\n#S.S#\n#G###", r"got 2 and 1: a second 'S' at line 2, column 4"),
        ("#####\n#S.G#\n####", r"line 3 has 4 characters, line 1 has 5; line 3, column 5 is missing"),
        ("#####\n#S.G##\n#####", r"line 2 has 6 characters, line 1 has 5; line 2, column 6 \('#'\) is past"),
    ],
)
def test_bad_text_names_line_and_column(text, match):
    with pytest.raises(ValueError, match=match):
        Maze.from_text(text)


def test_level_strings_refuse_what_they_cannot_hold():
    walls = Maze.from_text("#####\n#S..#\n###.#\n#G..#\n#####").walls.copy()
    walls[0, 2] = False
    with pytest.raises(ValueError, match=r"border is open at \(0, 2\)"):
        Maze(walls, (1, 1), (3, 1)).to_str()
    with pytest.raises(TypeError, match="must be a str, got bytes"):
        Maze.from_str(b">.G")
    with pytest.raises(ValueError, match="first_line must be an int >= 1, got 0"):
        read_level_string(">.G", first_line=0)
    with pytest.raises(ValueError, match=r"mazes\[0\]: to_str writes mazes walled all round"):
        levels_to_text([Maze(walls, (1, 1), (3, 1))])


# --------------------------------------------------------------------- metrics
def test_metrics_of_a_hand_made_maze():
    # A 2x4-cell lattice grid; the cell (3, 7) is walled in, so it is no dead end (no open
    # neighbour) and the maze is not perfect.
    maze = Maze.from_text("#########\n#S......#\n#####.###\n#G....#.#\n#########")
    assert maze.is_lattice() and not maze.is_perfect()
    metrics = maze.metrics()
    assert metrics == {
        "shortest_path_length": 10,
        "dead_ends": 3,  # S, (1, 7) and G
        "dead_end_fraction": 3 / 8,  # per cell of the 2x4 lattice
        "junctions": 1,  # (1, 5): left, right and down
        "n_walls": 31,
        "passable": 14,
    }
    assert metrics["dead_ends"] == maze.dead_ends() and metrics["junctions"] == maze.junctions()
    # Off the lattice the fraction is per open square.
    room = Maze.from_str(">..\n...\n..G")
    assert room.metrics()["dead_end_fraction"] == 0.0 and room.metrics()["junctions"] == 5


@pytest.mark.parametrize("name", GENERATORS)
def test_metrics_of_generated_mazes(mazes, name):
    batch = mazes[(name, 7)]
    counts = level_metrics(np.stack([m.walls for m in batch]))
    for i, maze in enumerate(batch):
        metrics = maze.metrics()
        assert metrics["shortest_path_length"] == maze.shortest_path_length()
        assert metrics["passable"] + metrics["n_walls"] == maze.walls.size
        if maze.is_perfect():  # dead ends per cell of the 7x7 lattice
            assert metrics["dead_end_fraction"] == metrics["dead_ends"] / 49
        for key in METRIC_KEYS:
            assert counts[key][i] == metrics[key]


def test_level_metrics_of_a_mixed_batch():
    # Lattice grids take a faster path than other grids; a batch may hold both, or nothing.
    levels = [Maze.from_str(t) for t in (LABYRINTH_FLIPPED, SIXTEEN_ROOMS, STANDARD_MAZE)]
    batch = level_metrics(np.stack([m.walls for m in levels]))
    for i, level in enumerate(levels):
        assert {key: batch[key][i] for key in METRIC_KEYS} == {
            key: value for key, value in level.metrics().items() if key in METRIC_KEYS
        }
    assert all(len(value) == 0 for value in level_metrics(np.zeros((0, 15, 15), dtype=bool)).values())


def test_level_metrics_checks_its_input():
    with pytest.raises(ValueError, match=r"walls must be bool\[B, H, W\], got float64 of shape \(3, 3\)"):
        level_metrics(np.zeros((3, 3)))
    # A lattice flag per grid: one flag for two grids would broadcast to both.
    with pytest.raises(ValueError, match=r"lattice must be bool\[2\], one per grid, got shape \(1,\)"):
        level_metrics(np.ones((2, 5, 5), dtype=bool), lattice=np.array([True]))


# --------------------------------------------------------------------- reset options
def test_reset_level_option_and_its_alias():
    env = MazeEnv(generator_kwargs={"size": 7})
    level = Maze.from_str(SIXTEEN_ROOMS)
    _, info = env.reset(seed=0, options={"level": level})
    _, alias_info = env.reset(seed=0, options={"maze": level})
    assert info == alias_info and env.maze == level
    metrics = level.metrics()
    assert info["optimal_path_length"] == metrics.pop("shortest_path_length")
    assert {key: info[key] for key in METRIC_KEYS} == metrics
    _, _, _, _, step_info = env.step(0)
    assert not METRIC_KEYS & set(step_info)  # the level's metrics come with reset only
    _, drawn_info = env.reset(seed=3)
    assert {key: drawn_info[key] for key in METRIC_KEYS} == {
        key: value for key, value in env.maze.metrics().items() if key in METRIC_KEYS
    }


def test_reset_level_option_errors():
    env = MazeEnv(generator_kwargs={"size": 7})
    level = Maze.from_str(STANDARD_MAZE)
    with pytest.raises(ValueError, match=r"options\['level'\] and options\['maze'\] name the same thing"):
        env.reset(options={"level": level, "maze": level})
    with pytest.raises(TypeError, match=r"options\['level'\] must be a generators\.Maze, got '#' \(str\)"):
        env.reset(options={"level": "#"})
    with pytest.raises(ValueError, match=r"options\['level'\] has shape \(5, 5\), this env plays \(15, 15\)"):
        env.reset(options={"level": Maze.from_str(">..\n##.\nG..")})
    walls = level.walls.copy()
    walls[level.goal[0], level.goal[1] - 1] = walls[level.goal[0] - 1, level.goal[1]] = True
    walls[level.goal[0], level.goal[1] + 1] = walls[level.goal[0] + 1, level.goal[1]] = True
    with pytest.raises(ValueError, match=r"options\['maze'\] is unsolvable"):
        env.reset(options={"maze": Maze(walls, level.start, level.goal)})


def test_vector_env_plays_a_given_level():
    vec = MazeVectorEnv(3, generator_kwargs={"size": 7})
    level = Maze.from_str(LABYRINTH_FLIPPED)
    _, info = vec.reset(seed=0, options={"level": level})
    metrics = level.metrics()
    assert all(vec.maze(i) == level for i in range(3))
    assert (info["optimal_path_length"] == metrics["shortest_path_length"]).all()
    for key in METRIC_KEYS:
        assert (info[key] == metrics[key]).all() and info[f"_{key}"].all()
    mask = np.array([False, True, False])
    _, info = vec.reset(options={"reset_mask": mask, "maze": Maze.from_str(STANDARD_MAZE)})
    assert vec.maze(1) == Maze.from_str(STANDARD_MAZE) and vec.maze(0) == level
    assert (info["_passable"] == mask).all() and info["passable"][0] == 0
    with pytest.raises(ValueError, match="name the same thing"):
        vec.reset(options={"level": level, "maze": level})


def test_vector_env_plays_one_given_level_per_sub_env():
    """A curriculum hands each reset sub-env its own level: a list, one per masked sub-env."""
    vec = MazeVectorEnv(4, generator_kwargs={"size": 7})
    vec.reset(seed=0)
    levels = make_generator("backtracker", size=7).generate_batch(2, np.random.default_rng(3))
    mask = np.array([False, True, False, True])
    before = [vec.maze(0), vec.maze(2)]
    _, info = vec.reset(options={"reset_mask": mask, "level": levels})
    assert [vec.maze(1), vec.maze(3)] == levels and [vec.maze(0), vec.maze(2)] == before
    assert info["optimal_path_length"][1] == levels[0].shortest_path_length()
    assert info["optimal_path_length"][3] == levels[1].shortest_path_length()
    for key in METRIC_KEYS:
        assert info[key][3] == levels[1].metrics()[key]
    with pytest.raises(ValueError, match="sequence of 1 mazes; it needs one per reset sub-env: 2"):
        vec.reset(options={"reset_mask": mask, "level": levels[:1]})
    with pytest.raises(TypeError, match=r"options\['level'\]\[1\] must be a generators.Maze"):
        vec.reset(options={"reset_mask": mask, "level": [levels[0], "x"]})
    big = make_generator("backtracker", size=9).generate(np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"options\['level'\]\[0\] has shape \(19, 19\)"):
        vec.reset(options={"reset_mask": mask, "level": [big, levels[0]]})
    walls = np.ones((15, 15), dtype=bool)
    walls[1, 1] = walls[13, 13] = False
    with pytest.raises(ValueError, match=r"options\['level'\]\[1\] is unsolvable"):
        vec.reset(options={"reset_mask": mask, "level": (levels[0], Maze(walls))})
    assert [vec.maze(1), vec.maze(3)] == levels  # a refused reset changes nothing


# --------------------------------------------------------------------- level files
def test_level_file_round_trip(tmp_path, mazes):
    levels = [m for name in GENERATORS for size in (7, 14) for m in mazes[(name, size)][:2]]
    levels.append(Maze.from_str(SIXTEEN_ROOMS))
    path = tmp_path / "levels.txt"
    save_levels(path, levels)
    assert load_levels(path) == levels
    # JaxUED reads the file by splitting it at blank lines and parsing each block.
    blocks = [b for b in path.read_text().split("\n\n") if b.strip()]
    assert [Maze.from_str(b) for b in blocks] == levels


def test_jaxued_levels_load_from_a_file(tmp_path):
    path = tmp_path / "prefabs.txt"
    path.write_text("\n\n".join([STANDARD_MAZE, SIXTEEN_ROOMS, LABYRINTH_FLIPPED]).replace("\n", "\r\n"))
    levels = load_levels(path)
    assert levels == [Maze.from_str(t) for t in (STANDARD_MAZE, SIXTEEN_ROOMS, LABYRINTH_FLIPPED)]


def test_bad_level_files(tmp_path):
    path = tmp_path / "bad.txt"
    good = ">..\n##.\nG.."
    path.write_text(f"{good}\n\n{good}\n\n>..\n#x.\nG..\n")
    with pytest.raises(ValueError, match=r"bad\.txt: level 2 \(lines 9-11\): .*'x' at line 10, column 2"):
        load_levels(path)
    path.write_text(f"{good}\n\n>..\n###\nG..\n")
    with pytest.raises(ValueError, match=r"bad\.txt: level 1 \(lines 5-7\) is unsolvable: no path from"):
        load_levels(path)
    path.write_text("\n \n")
    with pytest.raises(ValueError, match=r"bad\.txt holds no levels"):
        load_levels(path)
    path.write_bytes(b"\xff\xfe>.G")
    with pytest.raises(ValueError, match=r"bad\.txt is not a UTF-8 text file"):
        load_levels(path)
    with pytest.raises(ValueError, match="at least one maze"):
        save_levels(path, [])
    with pytest.raises(TypeError, match=r"mazes\[1\] must be a generators\.Maze, got str"):
        save_levels(path, [Maze.from_str(good), good])
    with pytest.raises(TypeError, match=r"path must be a str or pathlib\.Path, got int"):
        load_levels(3)
    assert levels_from_text(levels_to_text([Maze.from_str(good)])) == [Maze.from_str(good)]


def test_minimax_round_trip_and_prefab(tmp_path, mazes):
    levels = [mazes[(name, 7)][0] for name in GENERATORS]
    path = tmp_path / "levels.json"
    save_minimax(path, levels)
    assert load_minimax(path) == levels
    written = json.loads(path.read_text())[0]
    assert set(written) == {"wall_map", "goal_pos", "agent_pos", "agent_dir_idx"}
    assert written["agent_pos"] == [0, 0] and written["goal_pos"] == [12, 12]  # [x, y], no border
    assert from_minimax(MINIMAX_SIXTEEN_ROOMS) == Maze.from_str(SIXTEEN_ROOMS)
    assert from_minimax(to_minimax(Maze.from_str(SIXTEEN_ROOMS))) == Maze.from_str(SIXTEEN_ROOMS)


def test_bad_minimax_levels(tmp_path):
    bad_token = {**MINIMAX_SIXTEEN_ROOMS, "wall_map": ["0 0 2", "0 0 0"], "goal_pos": (2, 1)}
    with pytest.raises(ValueError, match=r"level: wall_map row 1, column 3: expected 0 or 1, got '2'"):
        from_minimax(bad_token)
    with pytest.raises(ValueError, match=r"goal_pos must be \[x, y\] ints with 0 <= x < 13"):
        from_minimax({**MINIMAX_SIXTEEN_ROOMS, "goal_pos": (13, 0)})
    with pytest.raises(ValueError, match=r"must have keys \['agent_pos', 'goal_pos', 'wall_map'\]"):
        from_minimax({"wall_map": ["0 0"]})
    with pytest.raises(ValueError, match="agent_dir_idx must be 0, 1, 2, 3 or None, got 7"):
        from_minimax({**MINIMAX_SIXTEEN_ROOMS, "agent_dir_idx": 7})
    # 1.0 == 1, but minimax indexes its directions with the int.
    with pytest.raises(ValueError, match=r"got 1\.0 \(a float; it must be an int\)"):
        from_minimax({**MINIMAX_SIXTEEN_ROOMS, "agent_dir_idx": 1.0})
    assert from_minimax({**MINIMAX_SIXTEEN_ROOMS, "agent_dir_idx": 1}) == Maze.from_str(SIXTEEN_ROOMS)
    path = tmp_path / "bad.json"
    walled = {"wall_map": ["0 1 0"], "agent_pos": [0, 0], "goal_pos": [2, 0]}
    path.write_text(json.dumps([MINIMAX_SIXTEEN_ROOMS, walled]))
    with pytest.raises(ValueError, match=r"bad\.json: level 1 is unsolvable"):
        load_minimax(path)
    path.write_text("[{")
    with pytest.raises(ValueError, match=r"bad\.json is not JSON: .* at line 1, column 3"):
        load_minimax(path)
