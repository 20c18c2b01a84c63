"""Curricula for stable-baselines3: a level wrapper and a callback.

SB3's on-policy loop (PPO, A2C) collects a rollout of ``n_steps`` in each env, then trains on it.
`CurriculumCallback` fits a `LevelSampler` into that loop the way the native trainer
(`daedalus_gym.curriculum.trainer`) does: before each rollout every env gets one level from the
sampler, and replays it whenever an episode ends (`LevelWrapper` passes it to every ``reset``);
after the rollout the callback reads the rollout buffer (GAE advantages and values) and the
episodes it saw, and hands the sampler its `RolloutStats`::

    from stable_baselines3 import PPO
    from stable_baselines3.common.env_util import make_vec_env

    env = make_vec_env(
        "Daedalus-Backtracker-v0", n_envs=8,
        env_kwargs={"obs_mode": "egocentric"},
        wrapper_class=lambda e: LevelWrapper(LastActionObs(e)),
    )
    generator = make_generator("backtracker", size=14)
    sampler = make_sampler("plr", generator, np.random.default_rng(0), capacity=256)
    model = PPO("MlpPolicy", env, n_steps=512)
    model.learn(1_000_000, callback=CurriculumCallback(sampler))

A rollout the sampler marks as scoring only (``update_policy=False``: robust PLR's new levels,
ACCEL's edits, SFL's candidates) cannot be skipped inside SB3's loop, which always trains after
collecting. The callback makes that update a no-op for the weights instead: the learning rate is
0 for it (Adam's moment estimates still see its gradients). The native trainer skips the update
outright.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np

from daedalus_gym.core import check_int
from daedalus_gym.curriculum.base import Assignment, LevelSampler, RolloutStats
from generators import Maze

SB3_HINT = 'CurriculumCallback needs stable-baselines3: pip install "daedalus-gym[rl]"'

try:
    from stable_baselines3.common.callbacks import BaseCallback
except ImportError:  # the class below still imports; building it says what to install
    BaseCallback = object  # type: ignore[assignment,misc]


class LevelWrapper(gym.Wrapper):
    """Plays the level last given by `set_level` on every reset (``reset(options={"level": ...})``).

    Without a level it resets as the env does. SB3 calls its vector env's ``env_method``
    (``set_level``) through this wrapper whatever wraps it further out.

    Args:
        env: a Daedalus maze env (`daedalus_gym.MazeEnv`, e.g. ``gym.make("Daedalus-Backtracker-v0")``),
            possibly wrapped.

    Raises:
        TypeError: ``env`` is not a maze env (another env would ignore the level).
    """

    def __init__(self, env: gym.Env) -> None:
        from daedalus_gym.env import MazeEnv

        if not isinstance(env, gym.Env) or not isinstance(env.unwrapped, MazeEnv):
            raise TypeError(
                "env must be a Daedalus maze env (a MazeEnv, possibly wrapped), got "
                f"{env.unwrapped if isinstance(env, gym.Env) else env!r:.200}"
            )
        super().__init__(env)
        self.level: Maze | None = None

    def level_shape(self) -> tuple[int, int]:
        """The grid shape ``(H, W)`` of the levels this env plays."""
        maze_env = self.env.unwrapped
        return (maze_env.height, maze_env.width)

    def set_level(self, level: Maze | None) -> None:
        """The level every later reset plays (``None``: the env's own mazes again).

        Raises:
            TypeError: ``level`` is neither a `generators.Maze` nor ``None``.
            ValueError: ``level`` has another grid shape than the env's.
        """
        if level is not None and not isinstance(level, Maze):
            raise TypeError(f"level must be a generators.Maze or None, got {type(level).__name__}")
        if level is not None and level.shape != self.level_shape():
            raise ValueError(f"level has shape {level.shape}, this env plays {self.level_shape()}")
        self.level = level

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        if self.level is not None:
            options = {**(options or {}), "level": self.level}
        return self.env.reset(seed=seed, options=options)


class CurriculumCallback(BaseCallback):  # type: ignore[misc,valid-type]
    """Gives each env of an SB3 on-policy model its level from ``sampler`` before every rollout
    and reports the rollout back to it (see the module notes).

    The model's envs must be wrapped in `LevelWrapper`; the levels' shape must be the envs'.

    Args:
        sampler: the curriculum.
        verbose: SB3's verbosity, an int ``>= 0``; at 1 the sampler's `summary` is logged after
            every rollout (``curriculum/...`` keys).

    Raises:
        TypeError: ``sampler`` is not a `LevelSampler`; at the start of training, a model without
            a rollout buffer, envs without `LevelWrapper`.
        ValueError: a bad ``verbose``; at the start of training, a sampler whose generator makes
            mazes of another shape than the envs play.
    """

    def __init__(self, sampler: LevelSampler, verbose: int = 0) -> None:
        if BaseCallback is object:
            raise ImportError(SB3_HINT)
        if not isinstance(sampler, LevelSampler):
            raise TypeError(
                f"sampler must be a LevelSampler (make_sampler(...)), got {type(sampler).__name__}"
            )
        verbose = check_int(verbose, "verbose", minimum=0)
        super().__init__(verbose)
        self.sampler = sampler
        self.assignment: Assignment | None = None
        self._lr_schedule: Any = None

    # ------------------------------------------------------------------ SB3 hooks
    def _on_training_start(self) -> None:
        if not hasattr(self.model, "rollout_buffer"):
            raise TypeError(
                f"CurriculumCallback needs an on-policy model with a rollout buffer (PPO, A2C), got "
                f"{type(self.model).__name__}"
            )
        wrapped = self.training_env.env_is_wrapped(LevelWrapper)
        if not all(wrapped):
            raise TypeError(
                "CurriculumCallback needs every env wrapped in LevelWrapper (make_vec_env(..., "
                "wrapper_class=LevelWrapper)); envs without it: "
                f"{[i for i, ok in enumerate(wrapped) if not ok]}"
            )
        shapes = set(self.training_env.env_method("level_shape"))
        shape = getattr(self.sampler.generator, "shape", None)
        if shape is not None and {tuple(shape)} != shapes:
            # Checked before any level is handed out: a level of the wrong shape would stay set
            # in the wrappers and break every later reset.
            raise ValueError(
                f"the sampler's generator makes mazes of shape {tuple(shape)}, but the envs play "
                f"{sorted(shapes)}; build the generator with the envs' size"
            )
        self._lr_schedule = self.model.lr_schedule
        self._assign(resume=True)

    def _on_rollout_start(self) -> None:
        self.model.lr_schedule = self._lr_schedule  # the last rollout's update is over
        n = self.training_env.num_envs
        self._return = np.zeros(n)
        self._returns: list[list[float]] = [[] for _ in range(n)]
        self._solved = np.zeros(n, dtype=np.int64)
        self._episodes = np.zeros(n, dtype=np.int64)

    def _on_step(self) -> bool:
        rewards, dones, infos = self.locals["rewards"], self.locals["dones"], self.locals["infos"]
        self._return += rewards
        for i in np.flatnonzero(dones).tolist():
            self._episodes[i] += 1
            self._solved[i] += not infos[i].get("TimeLimit.truncated", False)
            self._returns[i].append(float(self._return[i]))
            self._return[i] = 0.0
        return True

    def _on_rollout_end(self) -> None:
        buffer = self.model.rollout_buffer
        advantages = np.asarray(buffer.advantages, dtype=np.float64)
        values = np.asarray(buffer.values, dtype=np.float64)
        stats = RolloutStats(
            positive_value_loss=np.maximum(advantages, 0.0).mean(axis=0),
            mean_value=values.mean(axis=0),
            max_return=np.array([max(r) if r else np.nan for r in self._returns]),
            solved=self._solved,
            episodes=self._episodes,
        )
        assert self.assignment is not None
        self.sampler.update(self.assignment, stats)
        if not self.assignment.update_policy:  # the update that follows must not move the weights
            self.model.lr_schedule = _zero
        if self.verbose:
            for key, value in self.sampler.summary().items():
                self.logger.record(f"curriculum/{key}", value)
        self._assign()

    def _on_training_end(self) -> None:
        if self._lr_schedule is not None:
            self.model.lr_schedule = self._lr_schedule

    # ------------------------------------------------------------------ levels
    def _assign(self, resume: bool = False) -> None:
        """Next levels into every env, and a fresh start on them for the next rollout.

        With ``resume`` (a new ``learn`` call), an assignment the sampler still waits on (the one
        handed out after the last rollout of an earlier ``learn``, never played) is played now.
        """
        env = self.training_env
        pending = self.sampler.pending
        if resume and pending is not None:
            if len(pending) != env.num_envs:
                raise ValueError(
                    f"the sampler waits for the scores of {len(pending)} levels handed out for an "
                    f"earlier run, but the model has {env.num_envs} envs; use a new sampler"
                )
            self.assignment = pending
        else:
            self.assignment = self.sampler.next_levels(env.num_envs)
        for i, maze in enumerate(self.assignment.mazes):
            env.env_method("set_level", maze, indices=[i])
        self.model._last_obs = env.reset()
        self.model._last_episode_starts = np.ones(env.num_envs, dtype=bool)


def _zero(_: float) -> float:
    return 0.0
