"""Daedalus-Gym: generated mazes -- classical and learned -- as Gymnasium environments.

Importing this package registers every ``Daedalus-*`` id with gymnasium::

    import gymnasium as gym
    import daedalus_gym  # noqa: F401

    env = gym.make("Daedalus-Backtracker-v0", render_mode="rgb_array")
"""

import generators as _generators

if not getattr(_generators, "__daedalus_gym__", False):
    # Our maze generators install as the top-level `generators` package; another one earlier on
    # sys.path would otherwise fail later with a puzzling "No module named 'generators.base'".
    raise ImportError(
        f"the 'generators' package at {getattr(_generators, '__file__', None) or _generators.__path__} "
        "is not Daedalus-Gym's: another package named 'generators' shadows it on sys.path; "
        "uninstall or rename it, or move it after daedalus-gym on sys.path"
    )

from daedalus_gym.env import MazeEnv
from daedalus_gym.registration import register_envs, registered_ids
from daedalus_gym.splits import load_level_set
from daedalus_gym.vector_env import MazeVectorEnv

__version__ = "0.9.2"

register_envs()

__all__ = ["MazeEnv", "MazeVectorEnv", "__version__", "load_level_set", "register_envs", "registered_ids"]
