"""Mazes up to symmetry: the rotations and reflections of the grid, and a hash that ignores them.

A square grid has 8 symmetries (the dihedral group of the square: 4 rotations, 4 reflections); a
grid that is not square keeps its shape under 4 of them (identity, half turn, the two mirror
flips). Two mazes are the same level up to symmetry when one symmetry maps the walls, the start
and the goal of one onto the other's. Start and goal keep their roles: a maze walked from goal
back to start is another level.

`canonical_hash` is the smallest `Maze.maze_hash` over the maze's images, so equal levels up to
symmetry share it. Cost: 8 transposed copies and 8 blake2b digests a maze (a few microseconds at
14x14 cells); `canonical_hashes` does a batch with array operations and one digest loop.
"""

from __future__ import annotations

import hashlib

import numpy as np

from generators.base import matching_choice
from generators.maze import Maze, check_maze_arrays

# name -> (transform of an array's last two axes, transform of (row, col) in an H x W grid)
_SQUARE_ONLY = ("transpose", "anti_transpose", "rot90", "rot270")
SYMMETRIES: tuple[str, ...] = ("identity", "rot180", "flip_rows", "flip_cols", *_SQUARE_ONLY)


def symmetries(shape: tuple[int, int]) -> tuple[str, ...]:
    """The symmetries that keep a grid of ``shape = (H, W)``: 8 when square, else 4.

    Raises:
        TypeError: ``shape`` is not a ``(height, width)`` pair of ints.
        ValueError: a side is below 1.
    """
    if not (
        isinstance(shape, (tuple, list))
        and len(shape) == 2
        and all(isinstance(s, (int, np.integer)) and not isinstance(s, (bool, np.bool_)) for s in shape)
    ):
        raise TypeError(f"shape must be a (height, width) pair of ints, got {type(shape).__name__} {shape!r}")
    if min(shape) < 1:
        raise ValueError(f"shape must have sides of at least 1, got {tuple(shape)!r}")
    return SYMMETRIES if shape[0] == shape[1] else SYMMETRIES[:4]


def transform_walls(walls: np.ndarray, name: str) -> np.ndarray:
    """``walls: bool[..., H, W]`` under the symmetry ``name`` (a view where numpy allows)."""
    if name == "identity":
        return walls
    if name == "rot180":
        return walls[..., ::-1, ::-1]
    if name == "flip_rows":
        return walls[..., ::-1, :]
    if name == "flip_cols":
        return walls[..., :, ::-1]
    if name == "transpose":
        return np.swapaxes(walls, -1, -2)
    if name == "anti_transpose":
        return np.swapaxes(walls, -1, -2)[..., ::-1, ::-1]
    if name == "rot90":  # np.rot90, counter-clockwise
        return np.swapaxes(walls, -1, -2)[..., ::-1, :]
    if name == "rot270":
        return np.swapaxes(walls, -1, -2)[..., :, ::-1]
    raise ValueError(f"symmetry must be one of {list(SYMMETRIES)}, got {name!r}")


def transform_cells(cells: np.ndarray, shape: tuple[int, int], name: str) -> np.ndarray:
    """``cells: int[..., 2]`` (row, col) in a grid of ``shape`` -> where ``name`` moves them."""
    height, width = shape
    r, c = cells[..., 0], cells[..., 1]
    out = {
        "identity": (r, c),
        "rot180": (height - 1 - r, width - 1 - c),
        "flip_rows": (height - 1 - r, c),
        "flip_cols": (r, width - 1 - c),
        "transpose": (c, r),
        "anti_transpose": (width - 1 - c, height - 1 - r),
        "rot90": (width - 1 - c, r),
        "rot270": (c, height - 1 - r),
    }.get(name)
    if out is None:
        raise ValueError(f"symmetry must be one of {list(SYMMETRIES)}, got {name!r}")
    return np.stack(out, axis=-1)


def transform(maze: Maze, name: str) -> Maze:
    """``maze`` under the symmetry ``name``: walls, start and goal moved together.

    Raises:
        TypeError: ``maze`` is not a `Maze`.
        ValueError: ``name`` is not a symmetry of the maze's grid (`symmetries`).
    """
    if not isinstance(maze, Maze):
        raise TypeError(f"maze must be a generators.Maze, got {type(maze).__name__}")
    found, choice = matching_choice(name, symmetries(maze.shape))
    if not found:
        raise ValueError(
            f"symmetry for a {maze.shape} grid must be one of {list(symmetries(maze.shape))}, got {name!r}"
        )
    ends = transform_cells(np.array([maze.start, maze.goal]), maze.shape, choice)
    return Maze(transform_walls(maze.walls, choice), tuple(ends[0].tolist()), tuple(ends[1].tolist()))


def canonical_hashes(walls: np.ndarray, start: np.ndarray, goal: np.ndarray) -> np.ndarray:
    """The `canonical_hash` of each ``(walls[i], start[i], goal[i])``: ``object[B]`` of str.

    Args:
        walls: ``bool[B, H, W]``; start, goal: ``int[B, 2]`` (row, col).

    Raises:
        TypeError / ValueError: the arrays are not mazes as `Maze` accepts them
            (`generators.maze.check_maze_arrays`), naming the first bad row.
    """
    walls, start, goal = check_maze_arrays(walls, start, goal)
    shape = walls.shape[1:]
    best = np.full(len(walls), "~", dtype=object)  # "~" sorts after every hex digit
    for name in symmetries(shape):
        image = transform_walls(walls, name)
        ends = np.concatenate(
            [transform_cells(start, shape, name), transform_cells(goal, shape, name)], axis=1
        ).astype("<i8")
        size = np.asarray(image.shape[1:], dtype="<i8").tobytes()
        packed = np.packbits(np.ascontiguousarray(image).reshape(len(walls), -1), axis=1)
        for i in range(len(walls)):
            # The same digest as Maze.maze_hash of the image.
            h = hashlib.blake2b(size, digest_size=12)
            h.update(packed[i].tobytes())
            h.update(ends[i].tobytes())
            digest = h.hexdigest()
            if digest < best[i]:
                best[i] = digest
    return best


def canonical_hash(maze: Maze) -> str:
    """The smallest `Maze.maze_hash` over the maze's symmetric images (see the module notes):
    equal for two mazes of the same shape exactly when one is the other's image under the
    symmetries that keep that shape (a non-square maze and its quarter turn hash apart)."""
    if not isinstance(maze, Maze):
        raise TypeError(f"maze must be a generators.Maze, got {type(maze).__name__}")
    return canonical_hashes(maze.walls[None], np.array([maze.start]), np.array([maze.goal]))[0]


__all__ = [
    "SYMMETRIES",
    "canonical_hash",
    "canonical_hashes",
    "symmetries",
    "transform",
    "transform_cells",
    "transform_walls",
]
