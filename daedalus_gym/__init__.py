"""Daedalus-Gym: generated mazes -- classical and learned -- as Gymnasium environments.

Importing this package registers every ``Daedalus-*`` id with gymnasium::

    import gymnasium as gym
    import daedalus_gym  # noqa: F401

    env = gym.make("Daedalus-Backtracker-v0", render_mode="rgb_array")
"""

from daedalus_gym.env import MazeEnv
from daedalus_gym.registration import register_envs, registered_ids
from daedalus_gym.vector_env import MazeVectorEnv

__version__ = "0.2.0"

register_envs()

__all__ = ["MazeEnv", "MazeVectorEnv", "__version__", "register_envs", "registered_ids"]
