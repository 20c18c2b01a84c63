"""The peers we compare against, imported only when measured.

- MiniGrid (``MiniGrid-Empty-16x16-v0``): the reference gridworld for single-env speed.
- mazelib (Cython): the reference maze generators, one maze per ``generate()`` call.

Both come from the ``bench`` extra. A missing peer raises `PeerMissing` with the install hint;
the suite records it and carries on.
"""

from __future__ import annotations

from typing import Any

INSTALL_HINT = 'pip install -e ".[bench]"'
MINIGRID_ID = "MiniGrid-Empty-16x16-v0"
# Our generator name -> mazelib's class (module mazelib.generate.<class>).
MAZELIB_GENERATORS = {
    "backtracker": "BacktrackingGenerator",
    "kruskal": "Kruskal",
    "prim": "Prims",
    "wilson": "Wilsons",
}


class PeerMissing(ImportError):
    """A peer library is not installed."""


def minigrid_env() -> Any:
    """``gym.make("MiniGrid-Empty-16x16-v0")``, the default wrappers included."""
    try:
        import minigrid  # noqa: F401 -- registers the MiniGrid ids
    except ImportError as err:
        raise PeerMissing(f"MiniGrid is not installed: {INSTALL_HINT}") from err
    import gymnasium as gym

    return gym.make(MINIGRID_ID)


def mazelib_maze(name: str, size: int) -> Any:
    """A mazelib ``Maze`` set up with the generator matching ours; ``.generate()`` makes one."""
    try:
        import importlib

        from mazelib import Maze
    except ImportError as err:
        raise PeerMissing(f"mazelib is not installed: {INSTALL_HINT}") from err
    cls_name = MAZELIB_GENERATORS[name]
    cls = getattr(importlib.import_module(f"mazelib.generate.{cls_name}"), cls_name)
    maze = Maze()
    maze.generator = cls(size, size)
    return maze
