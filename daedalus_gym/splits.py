"""Procgen-style level splits: train on a range of level seeds, evaluate on mazes outside it.

A *level* is a reset seed: ``MazeEnv.reset(seed=s)`` serves a maze that depends on ``s`` alone.
As in Procgen (Cobbe et al., 2020), training plays the ``num_levels`` levels
``[start_level, start_level + num_levels)`` (`TrainLevels` draws one uniformly per episode), and
generalisation is measured on levels outside that range. Two different seeds can draw the same
maze (small grids have few of them), so a split by seed alone could leak training mazes into
evaluation: `HeldOut` also rejects every maze whose `Maze.maze_hash` a training level serves.

Cost: building a `HeldOut` resets the env once per training level (one maze generation and one
BFS each), e.g. about 0.3 s per 1000 levels of 7x7 cells.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np

from daedalus_gym.core import check_int


@dataclass(frozen=True)
class LevelRange:
    """The level seeds ``[start_level, start_level + num_levels)``."""

    start_level: int = 0
    num_levels: int = 1000

    def __post_init__(self) -> None:
        for name in ("start_level", "num_levels"):
            value = getattr(self, name)
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool):
                raise ValueError(f"{name} must be an int, got {value!r}")
        if self.start_level < 0:
            raise ValueError(f"start_level must be >= 0, got {self.start_level}")
        if self.num_levels < 1:
            raise ValueError(f"num_levels must be >= 1, got {self.num_levels}")

    @classmethod
    def parse(cls, text: str) -> LevelRange:
        """``"START:NUM"`` -> ``LevelRange(START, NUM)``."""
        start, sep, num = text.partition(":")
        try:
            if not sep:
                raise ValueError
            return cls(int(start), int(num))
        except ValueError:
            raise ValueError(
                f"levels must be START:NUM with ints START >= 0, NUM >= 1, got {text!r}"
            ) from None

    @property
    def seeds(self) -> range:
        return range(self.start_level, self.start_level + self.num_levels)

    def __contains__(self, seed: object) -> bool:
        return (
            isinstance(seed, (int, np.integer))
            and self.start_level <= seed < self.start_level + self.num_levels
        )

    def __str__(self) -> str:
        return f"{self.start_level}:{self.num_levels}"


class TrainLevels(gym.Wrapper):
    """Each episode plays a level drawn uniformly from ``levels``.

    ``reset(seed=s)`` seeds the wrapper's level sampler (not the maze); later unseeded resets
    keep drawing from it. ``info["level_seed"]`` names the level played.
    """

    def __init__(self, env: gym.Env, levels: LevelRange) -> None:
        super().__init__(env)
        self.levels = levels
        self._rng = np.random.default_rng()

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        if seed is not None:
            self._rng = np.random.default_rng(seed)
        level = self.levels.start_level + int(self._rng.integers(self.levels.num_levels))
        obs, info = self.env.reset(seed=level, options=options)
        info["level_seed"] = level
        return obs, info


def level_hashes(env: gym.Env | str, seeds: Iterable[int]) -> frozenset[str]:
    """The `Maze.maze_hash` of the maze each seed serves (``env`` is an env or an id)."""
    own = isinstance(env, str)
    env = gym.make(env) if isinstance(env, str) else env
    try:
        return frozenset(env.reset(seed=int(seed))[1]["maze_hash"] for seed in seeds)
    finally:
        if own:
            env.close()


@dataclass(frozen=True)
class HeldOut:
    """The mazes an evaluation may play: no training seed and no maze a training seed serves.

    Build it with `HeldOut.of`; ``hashes`` holds the training mazes' hashes.
    """

    train: LevelRange
    hashes: frozenset[str]

    @classmethod
    def of(cls, env: gym.Env | str, train: LevelRange) -> HeldOut:
        """The held-out set for agents trained on ``train`` levels of ``env`` (an env or an id)."""
        return cls(train, level_hashes(env, train.seeds))

    def allows(self, seed: int, maze_hash: str) -> bool:
        return seed not in self.train and maze_hash not in self.hashes


def held_out_seeds(
    env: gym.Env | str,
    held_out: HeldOut,
    n: int,
    first_seed: int | None = None,
    max_candidates: int | None = None,
) -> list[int]:
    """The first ``n`` seeds, counting up from ``first_seed``, that serve held-out mazes.

    ``first_seed`` defaults to the first seed after the training range. At most
    ``max_candidates`` seeds (default ``10 * n + len(train)``) are tried before giving up.
    """
    n = check_int(n, "n", minimum=0)
    train = held_out.train
    seed = (
        train.start_level + train.num_levels if first_seed is None else check_int(first_seed, "first_seed", 0)
    )
    limit = (
        10 * n + train.num_levels if max_candidates is None else check_int(max_candidates, "max_candidates")
    )
    own = isinstance(env, str)
    env = gym.make(env) if isinstance(env, str) else env
    seeds: list[int] = []
    try:
        for _ in range(limit):
            if len(seeds) == n:
                break
            if seed not in train and held_out.allows(seed, env.reset(seed=seed)[1]["maze_hash"]):
                seeds.append(seed)
            seed += 1
    finally:
        if own:
            env.close()
    if len(seeds) < n:
        raise RuntimeError(
            f"found {len(seeds)} of {n} held-out seeds in {limit} candidates; too few distinct mazes"
        )
    return seeds
