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


def render_ansi(maze: Maze, agent: Cell | None = None) -> str:
    """Text picture: ``#`` wall, ``.`` floor, ``S`` start, ``G`` goal, ``A`` agent."""
    rows = [list(line) for line in maze.to_text().splitlines()]
    if agent is not None:
        rows[agent[0]][agent[1]] = "A"
    return "\n".join("".join(r) for r in rows) + "\n"


def paint_mazes(walls: np.ndarray, start: np.ndarray, goal: np.ndarray, tile: int) -> np.ndarray:
    """Tiles of a batch of mazes: ``walls: bool[B, H, W]``, ``start``/``goal: int[B, 2]`` ->
    ``uint8[B, H * tile, W * tile, 3]`` (wall, floor, start and goal colours)."""
    index = walls.astype(np.intp)
    rows = np.arange(len(walls))
    index[rows, start[:, 0], start[:, 1]] = 2
    index[rows, goal[:, 0], goal[:, 1]] = 3
    return np.repeat(np.repeat(_PALETTE[index], tile, axis=1), tile, axis=2)


def draw(
    maze: Maze, agent: Cell | None = None, path: Sequence[Cell] | None = None, tile: int = 16
) -> np.ndarray:
    """``uint8[H * tile, W * tile, 3]``: the maze, the path (a line through square centres) and
    the agent (a disc)."""
    frame = paint_mazes(maze.walls[None], np.array([maze.start]), np.array([maze.goal]), tile)[0]
    centre = tile // 2
    if path is not None and len(path) > 1:
        half = max(2, tile // 4) // 2
        for (r0, c0), (r1, c1) in itertools.pairwise(path):
            top, bottom = min(r0, r1) * tile + centre - half, max(r0, r1) * tile + centre + half
            left, right = min(c0, c1) * tile + centre - half, max(c0, c1) * tile + centre + half
            frame[max(top, 0) : bottom + 1, max(left, 0) : right + 1] = COLORS["path"]
    if agent is not None:
        radius = max(1, math.ceil(tile * 0.4))
        y, x = np.ogrid[:tile, :tile]
        disc = (y - centre) ** 2 + (x - centre) ** 2 <= radius * radius
        frame[agent[0] * tile : (agent[0] + 1) * tile, agent[1] * tile : (agent[1] + 1) * tile][disc] = (
            COLORS["agent"]
        )
    return frame


class Window:
    """The ``human`` render mode: a pygame window showing frames painted by `draw`."""

    def __init__(self, caption: str = "Daedalus-Gym", fps: int = 8) -> None:
        self.pygame = import_pygame()
        self.caption = caption
        self.fps = fps
        self._screen = None
        self._clock = None

    def show(self, frame: np.ndarray) -> None:
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
    """Several same-sized mazes side by side: ``uint8[rows * Hp, columns * Wp, 3]``."""
    if not mazes:
        raise ValueError("montage needs at least one maze")
    shapes = {m.shape for m in mazes}
    if len(shapes) != 1:
        raise ValueError(f"montage needs mazes of one shape, got {sorted(shapes)}")
    columns = columns or math.ceil(math.sqrt(len(mazes)))
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
    """Write ``uint8[H, W, 3]`` to a PNG (8-bit RGB, zlib-compressed rows)."""
    image = np.asarray(image, dtype=np.uint8)
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"image must be uint8[H, W, 3], got shape {image.shape}")
    height, width, _ = image.shape
    rows = np.concatenate([np.zeros((height, 1), np.uint8), image.reshape(height, -1)], axis=1)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows.tobytes(), 6))
    with open(os.fspath(path), "wb") as f:
        f.write(png + chunk(b"IEND", b""))
