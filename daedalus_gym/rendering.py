"""Drawing mazes: pygame for pictures and windows, plain text for terminals.

pygame is imported lazily, so environments that never render do not need a display (or pygame
itself); headless machines render with ``SDL_VIDEODRIVER=dummy``.
"""

from __future__ import annotations

import math
import os
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


class MazeRenderer:
    """Draws a maze, the agent and optionally a path with pygame.

    Args:
        tile_size: pixels per grid square.
        window: open a window (``render_mode="human"``) instead of drawing off-screen.
        fps: frame-rate cap for the window.
        caption: window title.
    """

    def __init__(
        self, tile_size: int = 16, window: bool = False, fps: int = 8, caption: str = "Daedalus-Gym"
    ):
        if not (isinstance(tile_size, int) and tile_size >= 2):
            raise ValueError(f"tile_size must be an int >= 2, got {tile_size!r}")
        self.pygame = import_pygame()
        self.tile_size = tile_size
        self.window = window
        self.fps = fps
        self.caption = caption
        self._screen = None
        self._clock = None

    def draw(self, maze: Maze, agent: Cell | None = None, path: Sequence[Cell] | None = None) -> Any:
        """A pygame ``Surface`` of the maze."""
        pg, t = self.pygame, self.tile_size
        height, width = maze.shape
        surface = pg.Surface((width * t, height * t))
        surface.fill(COLORS["floor"])
        for row, col in np.argwhere(maze.walls).tolist():
            surface.fill(COLORS["wall"], (col * t, row * t, t, t))
        surface.fill(COLORS["start"], (maze.start[1] * t, maze.start[0] * t, t, t))
        surface.fill(COLORS["goal"], (maze.goal[1] * t, maze.goal[0] * t, t, t))
        if path is not None and len(path) > 1:
            points = [(c * t + t // 2, r * t + t // 2) for r, c in path]
            pg.draw.lines(surface, COLORS["path"], False, points, max(2, t // 4))
        if agent is not None:
            centre = (agent[1] * t + t // 2, agent[0] * t + t // 2)
            pg.draw.circle(surface, COLORS["agent"], centre, max(1, math.ceil(t * 0.4)))
        return surface

    def render(
        self, maze: Maze, agent: Cell | None = None, path: Sequence[Cell] | None = None
    ) -> np.ndarray | None:
        """``uint8[H * t, W * t, 3]`` off-screen, or draw to the window and return ``None``."""
        surface = self.draw(maze, agent, path)
        if not self.window:
            return surface_to_array(self.pygame, surface)
        pg = self.pygame
        if self._screen is None:
            pg.display.init()
            pg.display.set_caption(self.caption)
            self._screen = pg.display.set_mode(surface.get_size())
            self._clock = pg.time.Clock()
        elif self._screen.get_size() != surface.get_size():
            self._screen = pg.display.set_mode(surface.get_size())
        pg.event.pump()
        self._screen.blit(surface, (0, 0))
        pg.display.flip()
        self._clock.tick(self.fps)
        return None

    def close(self) -> None:
        if self._screen is not None:
            self.pygame.display.quit()
            self._screen = None


def surface_to_array(pygame: Any, surface: Any) -> np.ndarray:
    """pygame surfaces are (x, y)-indexed; arrays here are (row, col)."""
    return np.ascontiguousarray(np.transpose(pygame.surfarray.array3d(surface), (1, 0, 2)))


def montage(
    mazes: Sequence[Maze], columns: int | None = None, tile_size: int = 6, gap: int = 1, paths: bool = False
) -> np.ndarray:
    """Several same-sized mazes side by side: ``uint8[rows * Hp, columns * Wp, 3]``."""
    if not mazes:
        raise ValueError("montage needs at least one maze")
    shapes = {m.shape for m in mazes}
    if len(shapes) != 1:
        raise ValueError(f"montage needs mazes of one shape, got {sorted(shapes)}")
    renderer = MazeRenderer(tile_size=tile_size)
    columns = columns or math.ceil(math.sqrt(len(mazes)))
    rows = math.ceil(len(mazes) / columns)
    tiles = [renderer.render(m, None, m.shortest_path() if paths else None) for m in mazes]
    th, tw, _ = tiles[0].shape
    gap_px = gap * tile_size
    out = np.full((rows * (th + gap_px) - gap_px, columns * (tw + gap_px) - gap_px, 3), 255, np.uint8)
    for i, tile in enumerate(tiles):
        r, c = divmod(i, columns)
        out[r * (th + gap_px) : r * (th + gap_px) + th, c * (tw + gap_px) : c * (tw + gap_px) + tw] = tile
    return out


def save_png(path: str | os.PathLike[str], image: np.ndarray) -> None:
    """Write ``uint8[H, W, 3]`` to a PNG with pygame."""
    pygame = import_pygame()
    image = np.asarray(image, dtype=np.uint8)
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"image must be uint8[H, W, 3], got shape {image.shape}")
    surface = pygame.surfarray.make_surface(np.ascontiguousarray(np.transpose(image, (1, 0, 2))))
    pygame.image.save(surface, os.fspath(path))
