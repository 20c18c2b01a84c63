"""Maze generators: classical algorithms, learned models and the repair pass.

This package knows how mazes are made and nothing about environments (it never imports
`daedalus_gym`).
"""

__daedalus_gym__ = True  # `import daedalus_gym` checks this: another top-level `generators` may shadow ours

from generators.base import Generator, MazeGenerator, parse_size
from generators.level_files import load_levels, save_levels
from generators.maze import Maze, MazeArrays, is_perfect, load_mazes, save_mazes
from generators.mutators import latent_edit, move_goal, tree_edit, tree_edits
from generators.registry import (
    generator_class,
    make_generator,
    register_generator,
    registered_generators,
)

register_generator("backtracker", "generators.backtracker:BacktrackerGenerator")
register_generator("ae", "generators.learned:AEGenerator")
register_generator("vae", "generators.learned:VAEGenerator")
register_generator("kruskal", "generators.kruskal:KruskalGenerator")
register_generator("prim", "generators.prim:PrimGenerator")
register_generator("wilson", "generators.wilson:WilsonGenerator")

__all__ = [
    "Generator",
    "Maze",
    "MazeArrays",
    "MazeGenerator",
    "generator_class",
    "is_perfect",
    "latent_edit",
    "load_levels",
    "load_mazes",
    "make_generator",
    "move_goal",
    "parse_size",
    "register_generator",
    "registered_generators",
    "save_levels",
    "save_mazes",
    "tree_edit",
    "tree_edits",
]
