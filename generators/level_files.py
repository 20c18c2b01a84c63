"""Level files: lists of mazes in the level formats of JaxUED and minimax's maze environments.

Two formats, both without the wall border (those libraries wall a level in themselves; here
`Maze.from_str` adds the border back):

- **Level strings** (`save_levels` / `load_levels`, any suffix, ``.txt`` by habit): one JaxUED
  level string per level (`Maze.to_str`: ``#`` wall, ``.`` free, ``G`` goal, ``>``/``v``/``<``/``^``
  the agent), levels separated by a blank line. Each block is what JaxUED's
  ``Level.from_str`` reads, so in JaxUED::

      levels = [Level.from_str(block) for block in open(path).read().split("\\n\\n") if block.strip()]

- **minimax JSON** (`save_minimax` / `load_minimax`): a JSON list with one object per level
  holding the arguments of minimax's ``MazeSingleton``: ``wall_map`` (rows of ``"0 1 0 ..."``,
  1 = wall), ``goal_pos`` and ``agent_pos`` as ``[x, y]`` (column first, as minimax writes
  them) and ``agent_dir_idx`` (0 right, 1 down, 2 left, 3 up)::

      envs = [MazeSingleton(**level) for level in json.load(open(path))]

Loading checks every level: a character or token that does not parse is a ``ValueError``
naming the file, the level (counted from 0), the line and the column; a level whose goal cannot
be reached from its start is refused, naming the level. A level need not be a lattice maze: any
wall grid with an open, joined start and goal loads, and the env plays it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from generators.maze import AGENT_CHARS, Maze, check_file_path, check_maze_list, read_level_string

# minimax's agent direction written for our mazes: right, its default (our agent has no heading).
AGENT_DIR = 0


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise ValueError(f"{path} is not a UTF-8 text file ({err.reason} at byte {err.start})") from None


def _solvable(maze: Maze, where: str) -> Maze:
    if not maze.is_solvable():
        raise ValueError(f"{where} is unsolvable: no path from start {maze.start} to goal {maze.goal}")
    return maze


# --------------------------------------------------------------------- level strings
def levels_to_text(mazes: Sequence[Maze]) -> str:
    """The level-string file's text: `Maze.to_str` of each maze, separated by a blank line."""
    mazes = check_maze_list(mazes)
    blocks = []
    for i, maze in enumerate(mazes):
        try:
            blocks.append(maze.to_str())
        except ValueError as err:
            raise ValueError(f"mazes[{i}]: {err}") from None
    return "\n\n".join(blocks) + "\n"


def levels_from_text(text: str, source: str = "<text>") -> list[Maze]:
    """Inverse of `levels_to_text`. ``source`` names the text in errors (a file's path).

    Raises:
        ValueError: no level, a level that does not parse (the message names ``source``, the
            level from 0, its lines and the line and column at fault) or an unsolvable level.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    lines = text.split("\n")
    blocks: list[tuple[int, int]] = []  # (first, last) line index of each level
    first = None
    for i, line in enumerate([*lines, ""]):
        if line.strip() and first is None:
            first = i
        elif not line.strip() and first is not None:
            blocks.append((first, i - 1))
            first = None
    if not blocks:
        raise ValueError(f"{source} holds no levels (expected level strings separated by blank lines)")
    mazes = []
    for index, (top, bottom) in enumerate(blocks):
        where = f"{source}: level {index} (lines {top + 1}-{bottom + 1})"
        try:
            maze = read_level_string("\n".join(lines[top : bottom + 1]), first_line=top + 1)
        except ValueError as err:
            raise ValueError(f"{where}: {err}") from None
        mazes.append(_solvable(maze, where))
    return mazes


def save_levels(path: str | Path, mazes: Sequence[Maze]) -> None:
    """Write ``mazes`` to ``path`` as level strings (see the module notes); mazes of any shapes."""
    path = check_file_path(path)
    path.write_text(levels_to_text(mazes), encoding="utf-8")


def load_levels(path: str | Path) -> list[Maze]:
    """Read a level-string file (ours, or JaxUED level strings separated by blank lines)."""
    path = check_file_path(path)
    return levels_from_text(_read(path), str(path))


# --------------------------------------------------------------------- minimax
def to_minimax(maze: Maze) -> dict[str, Any]:
    """``maze`` as the arguments of minimax's ``MazeSingleton`` (JSON-ready; border left out)."""
    if not isinstance(maze, Maze):
        raise TypeError(f"maze must be a generators.Maze, got {type(maze).__name__}")
    level = Maze.from_str(maze.to_str())  # raises for an open border, as to_str does
    inner = level.walls[1:-1, 1:-1]
    (sr, sc), (gr, gc) = level.start, level.goal
    return {
        "wall_map": [" ".join("1" if wall else "0" for wall in row) for row in inner.tolist()],
        "goal_pos": [gc - 1, gr - 1],
        "agent_pos": [sc - 1, sr - 1],
        "agent_dir_idx": AGENT_DIR,
    }


def _xy(value: object, key: str, height: int, width: int, where: str) -> tuple[int, int]:
    """A minimax ``[x, y]`` inside a ``height x width`` level -> our ``(row, col)`` (border added)."""
    ok = (
        isinstance(value, (list, tuple))
        and len(value) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    )
    if not ok or not (0 <= value[0] < width and 0 <= value[1] < height):  # type: ignore[index]
        raise ValueError(
            f"{where}: {key} must be [x, y] ints with 0 <= x < {width} and 0 <= y < {height}, got {value!r}"
        )
    return (value[1] + 1, value[0] + 1)  # type: ignore[index]


def from_minimax(level: dict[str, Any], where: str = "level") -> Maze:
    """Inverse of `to_minimax`: a ``MazeSingleton``'s ``wall_map``, ``goal_pos``, ``agent_pos``
    (and optional ``agent_dir_idx``, an int 0-3 or ``None``, dropped: the env has no heading).

    Raises:
        ValueError: a missing or unknown key, a token other than 0/1 (naming ``where``, the row
            and the column, from 1), ragged rows, a position outside the level or on a wall.
    """
    if not isinstance(level, dict):
        raise TypeError(f"{where} must be a dict of MazeSingleton arguments, got {type(level).__name__}")
    known, required = (
        {"wall_map", "goal_pos", "agent_pos", "agent_dir_idx"},
        {"wall_map", "goal_pos", "agent_pos"},
    )
    if set(level) - known or required - set(level):
        raise ValueError(
            f"{where} must have keys {sorted(required)} (and optionally 'agent_dir_idx'), got {sorted(level)}"
        )
    rows = level["wall_map"]
    if not isinstance(rows, list) or not rows or not all(isinstance(r, str) for r in rows):
        raise ValueError(
            f"{where}: wall_map must be a non-empty list of strings like '0 1 0', got {rows!r:.80}"
        )
    grid = []
    for r, row in enumerate(rows):
        tokens = row.split()
        if not tokens:
            raise ValueError(f"{where}: wall_map row {r + 1} is empty; expected values 0 or 1")
        for c, token in enumerate(tokens):
            if token not in ("0", "1"):
                raise ValueError(
                    f"{where}: wall_map row {r + 1}, column {c + 1}: expected 0 or 1, got {token!r}"
                )
        if len(tokens) != len(grid[0] if grid else tokens):
            raise ValueError(
                f"{where}: wall_map row {r + 1} has {len(tokens)} values, row 1 has {len(grid[0])}"
            )
        grid.append(tokens)
    direction = level.get("agent_dir_idx")
    if direction is not None:
        is_int = isinstance(direction, (int, np.integer)) and not isinstance(direction, (bool, np.bool_))
        if not is_int or direction not in range(len(AGENT_CHARS)):
            kind = "" if is_int else f" (a {type(direction).__name__}; it must be an int)"
            raise ValueError(f"{where}: agent_dir_idx must be 0, 1, 2, 3 or None, got {direction!r}{kind}")
    height, width = len(grid), len(grid[0])
    walls = np.ones((height + 2, width + 2), dtype=bool)
    walls[1:-1, 1:-1] = np.array(grid) == "1"
    start = _xy(level["agent_pos"], "agent_pos", height, width, where)
    goal = _xy(level["goal_pos"], "goal_pos", height, width, where)
    try:
        return Maze(walls, start, goal)
    except ValueError as err:
        raise ValueError(
            f"{where}: {err} (positions here count the border: [x, y] -> (y + 1, x + 1))"
        ) from None


def save_minimax(path: str | Path, mazes: Sequence[Maze]) -> None:
    """Write ``mazes`` to ``path`` as minimax JSON (see the module notes)."""
    path = check_file_path(path)
    levels = []
    for i, maze in enumerate(check_maze_list(mazes)):
        try:
            levels.append(to_minimax(maze))
        except ValueError as err:
            raise ValueError(f"mazes[{i}]: {err}") from None
    path.write_text(json.dumps(levels, indent=1) + "\n", encoding="utf-8")


def load_minimax(path: str | Path) -> list[Maze]:
    """Read a minimax JSON level file (a list of ``MazeSingleton`` argument dicts)."""
    path = check_file_path(path)
    try:
        levels = json.loads(_read(path))
    except json.JSONDecodeError as err:
        raise ValueError(f"{path} is not JSON: {err.msg} at line {err.lineno}, column {err.colno}") from None
    if not isinstance(levels, list) or not levels:
        raise ValueError(f"{path} must hold a non-empty JSON list of levels, got {type(levels).__name__}")
    return [
        _solvable(from_minimax(level, f"{path}: level {i}"), f"{path}: level {i}")
        for i, level in enumerate(levels)
    ]


__all__ = [
    "from_minimax",
    "levels_from_text",
    "levels_to_text",
    "load_levels",
    "load_minimax",
    "save_levels",
    "save_minimax",
    "to_minimax",
]
