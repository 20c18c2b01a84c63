"""Drawing mazes: one numpy painter for pixels, plain text for terminals, pygame for the window.

Every picture -- the ``rgb`` observation, ``rgb_array`` frames, montages, PNG files -- is painted
here in numpy: each grid square becomes a ``t x t`` tile of its colour, then the shortest path
and the agent are drawn on top. pygame only opens the ``human`` window and shows those frames;
it is imported lazily, so environments that never open a window do not need a display.
"""

from __future__ import annotations

import itertools
import math
import os
import struct
import zlib
from collections.abc import Sequence
from typing import Any

import numpy as np

from generators import Maze
from generators.base import check_int

Cell = tuple[int, int]

COLORS: dict[str, tuple[int, int, int]] = {
    "wall": (40, 44, 62),
    "floor": (236, 232, 220),
    "start": (160, 214, 160),
    "goal": (232, 90, 79),
    "agent": (47, 111, 222),
    "path": (246, 178, 60),
}
_PALETTE = np.array([COLORS["floor"], COLORS["wall"], COLORS["start"], COLORS["goal"]], np.uint8)


def import_pygame() -> Any:
    """Import pygame, with an install hint when it is missing."""
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    try:
        import pygame
    except ImportError as err:  # pragma: no cover - pygame is a core dependency
        raise ImportError('rendering needs pygame: pip install "pygame>=2.5"') from err
    return pygame


def _describe(value: object) -> str:
    # Imported here: `daedalus_gym.core` imports this module.
    from daedalus_gym.core import describe

    text = describe(value)
    return (
        text
        if len(text) <= 120
        else f"{type(value).__name__} {np.shape(value) if isinstance(value, np.ndarray) else ''}".rstrip()
    )


def _check_maze(maze: object, name: str = "maze") -> Maze:
    if not isinstance(maze, Maze):
        raise TypeError(f"{name} must be a generators.Maze, got {_describe(maze)}")
    return maze


def _check_tile(tile: object, shape: tuple[int, int], name: str, copies: int) -> int:
    """``tile`` as an int ``>= 1`` whose ``copies`` images of a ``shape`` grid fit in memory."""
    from daedalus_gym.core import _check_image_size

    tile = check_int(tile, name, 1)
    _check_image_size(shape, tile, name, copies=copies)
    return tile


def _check_cells(cells: object, name: str, shape: tuple[int, int]) -> np.ndarray:
    """``cells`` as ``int64[k, 2]`` ``(row, col)`` pairs inside a grid of ``shape``, or an error
    naming ``name`` and the bad value."""
    try:
        array = np.asarray(cells)
    except ValueError:  # ragged: pairs of different lengths
        raise TypeError(
            f"{name} must be (row, col) pairs of ints, int[k, 2], got {_describe(cells)}"
        ) from None
    if array.size == 0:  # no squares: an empty path
        array = np.zeros((0, 2), dtype=np.int64)
    if array.dtype.kind not in "iu" or array.ndim != 2 or array.shape[1] != 2:
        raise TypeError(
            f"{name} must be (row, col) pairs of ints, int[k, 2], got {array.dtype} of shape {array.shape}"
        )
    height, width = shape
    outside = (array[:, 0] < 0) | (array[:, 0] >= height) | (array[:, 1] < 0) | (array[:, 1] >= width)
    if outside.any():
        i = int(np.flatnonzero(outside)[0])
        raise ValueError(
            f"{name} must lie inside the {height}x{width} grid (rows 0..{height - 1}, cols 0..{width - 1}), "
            f"got {tuple(array[i].tolist())} at index {i}"
        )
    return array.astype(np.int64, copy=False)


def _check_agent(agent: object, maze: Maze) -> Cell:
    """``agent`` as a ``(row, col)`` of ints on a floor square of ``maze``."""
    pair = isinstance(agent, (tuple, list, np.ndarray)) and np.shape(agent) == (2,)
    if (
        not pair
        or any(isinstance(x, (bool, np.bool_)) for x in agent)  # type: ignore[union-attr]
        or np.asarray(agent).dtype.kind not in "iu"
    ):
        raise TypeError(f"agent must be a (row, col) pair of ints or None, got {_describe(agent)}")
    row, col = _check_cells([agent], "agent", maze.shape)[0].tolist()
    if maze.walls[row, col]:
        raise ValueError(f"agent must stand on a floor square, got {(row, col)}, which is a wall")
    return row, col


def render_ansi(maze: Maze, agent: Cell | None = None) -> str:
    """Text picture: ``#`` wall, ``.`` floor, ``S`` start, ``G`` goal, ``A`` agent.

    Raises:
        TypeError: ``maze`` is not a `generators.Maze`, or ``agent`` is not a ``(row, col)`` pair
            of ints.
        ValueError: ``agent`` is outside the grid or on a wall.
    """
    maze = _check_maze(maze)
    rows = [list(line) for line in maze.to_text().splitlines()]
    if agent is not None:
        row, col = _check_agent(agent, maze)
        rows[row][col] = "A"
    return "\n".join("".join(r) for r in rows) + "\n"


def paint_mazes(walls: np.ndarray, start: np.ndarray, goal: np.ndarray, tile: int) -> np.ndarray:
    """Tiles of a batch of mazes: ``walls: bool[B, H, W]``, ``start``/``goal: int[B, 2]`` ->
    ``uint8[B, H * tile, W * tile, 3]`` (wall, floor, start and goal colours).

    Raises:
        TypeError: ``walls`` is not bool, ``start`` or ``goal`` not ints, ``tile`` not an int.
        ValueError: a shape that does not match (one start and one goal per maze), a start or
            goal outside its grid, or a ``tile`` below 1 or too large for this machine's memory.
    """
    walls = np.asarray(walls)
    if walls.dtype != np.bool_ or walls.ndim != 3:
        raise TypeError(f"walls must be bool[B, H, W], got {walls.dtype} of shape {walls.shape}")
    batch, height, width = walls.shape
    cells = {}
    for name, value in (("start", start), ("goal", goal)):
        array = np.asarray(value)
        if array.shape != (batch, 2):
            raise ValueError(f"{name} must be int[{batch}, 2] (one per maze), got shape {array.shape}")
        cells[name] = _check_cells(array, name, (height, width))
    tile = _check_tile(tile, (height, width), "tile", copies=1)
    return paint_checked(walls, cells["start"], cells["goal"], tile)


def paint_checked(walls: np.ndarray, start: np.ndarray, goal: np.ndarray, tile: int) -> np.ndarray:
    """`paint_mazes` of arguments already checked (the envs' own, at every reset)."""
    index = walls.astype(np.intp)
    rows = np.arange(len(walls))
    index[rows, start[:, 0], start[:, 1]] = 2
    index[rows, goal[:, 0], goal[:, 1]] = 3
    return np.repeat(np.repeat(_PALETTE[index], tile, axis=1), tile, axis=2)


def draw(
    maze: Maze, agent: Cell | None = None, path: Sequence[Cell] | None = None, tile: int = 16
) -> np.ndarray:
    """``uint8[H * tile, W * tile, 3]``: the maze, the path (a line through square centres) and
    the agent (a disc).

    Args:
        maze: the level.
        agent: the agent's ``(row, col)``, a floor square; ``None``: no agent.
        path: ``(row, col)`` squares inside the grid, each in the row or the column of the one
            before (straight segments, as `generators.Maze.shortest_path` gives); ``None``: none.
        tile: pixels per square, an int ``>= 1``.

    Raises:
        TypeError: an argument of the wrong type (naming it).
        ValueError: an agent or path square outside the grid, an agent on a wall, a diagonal
            path step, or a ``tile`` below 1 or too large for this machine's memory.
    """
    maze = _check_maze(maze)
    at = _check_agent(agent, maze) if agent is not None else None
    squares = None
    if path is not None:
        if isinstance(path, (str, bytes)):
            raise TypeError(f"path must be a sequence of (row, col) pairs or None, got {_describe(path)}")
        squares = _check_cells(path, "path", maze.shape)
        diagonal = (np.diff(squares, axis=0) != 0).all(axis=1)
        if diagonal.any():
            i = int(np.flatnonzero(diagonal)[0])
            raise ValueError(
                "path steps must stay in a row or a column, got "
                f"{tuple(squares[i].tolist())} -> {tuple(squares[i + 1].tolist())} at index {i}"
            )
    tile = _check_tile(tile, maze.shape, "tile", copies=2)
    frame = paint_checked(maze.walls[None], np.array([maze.start]), np.array([maze.goal]), tile)[0]
    centre = tile // 2
    if squares is not None and len(squares) > 1:
        half = max(2, tile // 4) // 2
        for (r0, c0), (r1, c1) in itertools.pairwise(squares.tolist()):
            top, bottom = min(r0, r1) * tile + centre - half, max(r0, r1) * tile + centre + half
            left, right = min(c0, c1) * tile + centre - half, max(c0, c1) * tile + centre + half
            frame[max(top, 0) : bottom + 1, max(left, 0) : right + 1] = COLORS["path"]
    if at is not None:
        radius = max(1, math.ceil(tile * 0.4))
        y, x = np.ogrid[:tile, :tile]
        disc = (y - centre) ** 2 + (x - centre) ** 2 <= radius * radius
        frame[at[0] * tile : (at[0] + 1) * tile, at[1] * tile : (at[1] + 1) * tile][disc] = COLORS["agent"]
    return frame


def _check_frame(frame: object, name: str) -> np.ndarray:
    """``frame`` as ``uint8[H, W, 3]`` with ``H, W >= 1``, or an error naming ``name``."""
    array = np.asarray(frame)
    if array.dtype != np.uint8 or array.ndim != 3 or array.shape[2] != 3 or 0 in array.shape:
        raise ValueError(
            f"{name} must be uint8[H, W, 3] with H, W >= 1 (as draw gives), got {array.dtype} of shape "
            f"{array.shape}"
        )
    return array


class Window:
    """The ``human`` render mode: a pygame window showing frames painted by `draw`.

    Args:
        caption: the window's title, a str.
        fps: frames shown per second at most, an int ``>= 0`` (0: as fast as they come, no
            pacing, as pygame's ``Clock.tick(0)``).
    """

    def __init__(self, caption: str = "Daedalus-Gym", fps: int = 8) -> None:
        if not isinstance(caption, str):
            raise TypeError(f"caption must be a str, got {_describe(caption)}")
        self.fps = check_int(fps, "fps", 0)
        self.pygame = import_pygame()
        self.caption = caption
        self._screen = None
        self._clock = None

    def show(self, frame: np.ndarray) -> None:
        """Show ``frame: uint8[H, W, 3]`` (resizing the window to it)."""
        frame = _check_frame(frame, "frame")
        pg = self.pygame
        surface = pg.surfarray.make_surface(np.ascontiguousarray(np.transpose(frame, (1, 0, 2))))
        if self._screen is None:
            pg.display.init()
            pg.display.set_caption(self.caption)
            self._clock = pg.time.Clock()
        if self._screen is None or self._screen.get_size() != surface.get_size():
            self._screen = pg.display.set_mode(surface.get_size())
        pg.event.pump()
        self._screen.blit(surface, (0, 0))
        pg.display.flip()
        self._clock.tick(self.fps)

    def close(self) -> None:
        if self._screen is not None:
            self.pygame.display.quit()
            self._screen = None


def montage(
    mazes: Sequence[Maze], columns: int | None = None, tile_size: int = 6, gap: int = 1, paths: bool = False
) -> np.ndarray:
    """Several same-sized mazes side by side: ``uint8[rows * Hp, columns * Wp, 3]``.

    Args:
        mazes: the mazes, at least one, all of one shape.
        columns: mazes per row, an int ``>= 1``; ``None``: about the square root of their number.
        tile_size: pixels per square, an int ``>= 1``.
        gap: squares of white between mazes, an int ``>= 0``.
        paths: draw each maze's shortest path, a bool.
    """
    if isinstance(mazes, (Maze, str, bytes)) or not isinstance(mazes, Sequence):
        raise TypeError(f"mazes must be a sequence of generators.Maze, got {_describe(mazes)}")
    if not mazes:
        raise ValueError("montage needs at least one maze")
    for i, maze in enumerate(mazes):
        _check_maze(maze, f"mazes[{i}]")
    shapes = {m.shape for m in mazes}
    if len(shapes) != 1:
        raise ValueError(f"montage needs mazes of one shape, got {sorted(shapes)}")
    columns = math.ceil(math.sqrt(len(mazes))) if columns is None else check_int(columns, "columns", 1)
    tile_size = check_int(tile_size, "tile_size", 1)
    gap = check_int(gap, "gap", 0)
    if not isinstance(paths, (bool, np.bool_)):
        raise TypeError(f"paths must be a bool, got {_describe(paths)}")
    rows = math.ceil(len(mazes) / columns)
    tiles = [draw(m, None, m.shortest_path() if paths else None, tile_size) for m in mazes]
    th, tw, _ = tiles[0].shape
    gap_px = gap * tile_size
    out = np.full((rows * (th + gap_px) - gap_px, columns * (tw + gap_px) - gap_px, 3), 255, np.uint8)
    for i, tile in enumerate(tiles):
        r, c = divmod(i, columns)
        out[r * (th + gap_px) : r * (th + gap_px) + th, c * (tw + gap_px) : c * (tw + gap_px) + tw] = tile
    return out


def save_png(path: str | os.PathLike[str], image: np.ndarray) -> None:
    """Write ``image: uint8[H, W, 3]`` (``H, W >= 1``; other ints in ``[0, 255]`` are taken as
    uint8) to a PNG (8-bit RGB, zlib-compressed rows).

    Raises:
        ValueError: ``image`` is not ``[H, W, 3]`` with ``H, W >= 1`` of ints in ``[0, 255]``.
    """
    array = np.asarray(image)
    if array.dtype.kind in "iu" and array.dtype != np.uint8 and array.size:
        if array.min() < 0 or array.max() > 255:
            raise ValueError(
                f"image must hold values in [0, 255], got {int(array.min())}..{int(array.max())}"
            )
        array = array.astype(np.uint8)
    image = _check_frame(array, "image")
    height, width, _ = image.shape
    rows = np.concatenate([np.zeros((height, 1), np.uint8), image.reshape(height, -1)], axis=1)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows.tobytes(), 6))
    with open(os.fspath(path), "wb") as f:
        f.write(png + chunk(b"IEND", b""))
