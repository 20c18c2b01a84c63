"""Wrappers that agents need around a `MazeEnv`.

- `MazeStateInfo` hands privileged agents (wall follower, oracle) the maze and the agent's
  position through ``info``, so that every agent keeps the one interface ``act(obs, info)``.
- `LastActionObs` turns the egocentric window into the flat feature vector a PPO policy learns
  from: the window plus a one-hot of the previous action. The previous action stands in for a
  heading, which is what a memoryless policy needs to follow a wall (the right-hand rule is a
  function of the four neighbouring squares and the direction of travel).
"""

from __future__ import annotations

import math
from typing import Any, SupportsFloat

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from generators.base import check_real

N_ACTIONS = 4


def last_action_features(obs: np.ndarray, last_action: int | None) -> np.ndarray:
    """``float32[obs.size + 4]``: the observation flattened, then a one-hot of ``last_action``.

    ``last_action`` is ``None`` on the first step of an episode (all four slots 0).
    """
    features = np.zeros(obs.size + N_ACTIONS, dtype=np.float32)
    features[: obs.size] = obs.reshape(-1)
    if last_action is not None:
        if not 0 <= int(last_action) < N_ACTIONS:
            raise ValueError(f"last_action must be in [0, {N_ACTIONS}) or None, got {last_action!r}")
        features[obs.size + int(last_action)] = 1.0
    return features


class LastActionObs(gym.Wrapper):
    """Observation = flattened 0/1 observation + one-hot of the previous action.

    ``observation_space``: ``Box(0, 1, (n + 4,), float32)`` for an inner ``MultiBinary`` space of
    ``n`` entries (e.g. the ``egocentric`` view, ``n = k * k * 2``).
    """

    def __init__(self, env: gym.Env) -> None:
        super().__init__(env)
        inner = env.observation_space
        if not isinstance(inner, spaces.MultiBinary):
            raise TypeError(f"LastActionObs needs a MultiBinary observation space, got {inner}")
        size = int(np.prod(inner.shape)) + N_ACTIONS
        self.observation_space = spaces.Box(0.0, 1.0, (size,), np.float32)
        self._last_action: int | None = None

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        obs, info = self.env.reset(seed=seed, options=options)
        self._last_action = None
        return last_action_features(obs, None), info

    def step(self, action: Any) -> tuple[np.ndarray, SupportsFloat, bool, bool, dict[str, Any]]:
        obs, reward, terminated, truncated, info = self.env.step(action)
        self._last_action = int(action)
        return last_action_features(obs, self._last_action), reward, terminated, truncated, info


class MazeStateInfo(gym.Wrapper):
    """Adds ``info["maze"]`` (the `generators.Maze` being played) and ``info["agent_pos"]``
    (``(row, col)``) on every ``reset`` and ``step``. The observation is unchanged."""

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        obs, info = self.env.reset(seed=seed, options=options)
        return obs, self._add_state(info)

    def step(self, action: Any) -> tuple[Any, SupportsFloat, bool, bool, dict[str, Any]]:
        obs, reward, terminated, truncated, info = self.env.step(action)
        return obs, reward, terminated, truncated, self._add_state(info)

    def _add_state(self, info: dict[str, Any]) -> dict[str, Any]:
        base = self.env.unwrapped
        info["maze"] = base.maze
        info["agent_pos"] = base.agent_pos
        return info


class NoveltyBonus(gym.Wrapper):
    """Training-time reward shaping: ``+bonus`` the first time in an episode the agent stands on
    a square. The goal reward alone is too sparse to learn from (a random walk reaches the goal of
    a 7x7-cell backtracker maze in about 1 episode in 2000); this bonus pays for covering ground
    without revisiting, which is what wall following does. Evaluate without it."""

    def __init__(self, env: gym.Env, bonus: float = 0.01) -> None:
        super().__init__(env)
        self.bonus = check_real(bonus, "bonus", 0.0, math.inf, high_open=True)
        self._visited: set[tuple[int, int]] = set()

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        obs, info = self.env.reset(seed=seed, options=options)
        self._visited = {self.env.unwrapped.agent_pos}
        return obs, info

    def step(self, action: Any) -> tuple[Any, SupportsFloat, bool, bool, dict[str, Any]]:
        obs, reward, terminated, truncated, info = self.env.step(action)
        pos = self.env.unwrapped.agent_pos
        if pos not in self._visited:
            self._visited.add(pos)
            reward = float(reward) + self.bonus
        return obs, reward, terminated, truncated, info
