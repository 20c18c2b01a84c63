"""Sampling For Learnability (SFL; Rutherford et al. 2024, "No Regrets: Investigating and
Improving Regret Approximations for Curriculum Discovery").

Regret estimates such as positive value loss track the agent's value error more than what it can
learn; SFL scores a level by its *learnability* ``p (1 - p)``, with ``p`` the agent's success
rate on it: 0 on levels always or never solved, highest (0.25) at ``p = 0.5``.

The loop:

1. *Evaluate* (at the start and after every ``refresh_every`` training rollouts): draw fresh
   candidate levels, ``ceil(n / envs_per_level)`` per rollout, each played by ``envs_per_level``
   envs (``kind="evaluate"``, no policy update), until ``n_candidates`` are scored; each
   candidate's success rate ``p`` pools its envs' episodes. Several envs per candidate are what
   make ``p`` a rate: one env replays a level it solves until the rollout ends and fails one only
   by timing out, so alone it measures ``p`` as 0 or 1, whose learnability is 0. Rollouts come
   in whole batches, so the last one may score a few more than ``n_candidates``. A candidate
   drawn twice is kept once, its successes and episodes pooled.
2. Keep the ``buffer_size`` candidates of highest learnability (ties: the earlier drawn).
3. *Train* (``kind="train"``, policy update): a ``buffer_ratio`` share of the envs (rounded to
   the nearest whole env) play buffer levels drawn uniformly, with replacement only when more are
   asked for than the buffer holds; the others play fresh levels from the generator.

The paper evaluates thousands of candidates on an accelerator; the defaults here (256 candidates,
a buffer of 64, half the envs from the buffer, a refresh every 20 training rollouts) are scaled
for a CPU.

Cost: one ``generate_batch(n)`` per rollout; a refresh costs ``ceil(n_candidates / n)`` rollouts
that take no gradient step.
"""

from __future__ import annotations

import math

import numpy as np

from daedalus_gym.curriculum.base import Assignment, LevelSampler, RolloutStats, no_buffer
from generators.base import Generator, check_int, check_real
from generators.maze import Maze

MAX_CANDIDATES = 1_000_000


class SFL(LevelSampler):
    """Sampling For Learnability: train on the most learnable of periodically evaluated levels.

    Args:
        generator: the source of candidates and fresh training levels.
        rng: the randomness.
        n_candidates: fresh levels scored per refresh, an int in ``[1, 1000000]`` (256).
        buffer_size: levels kept, an int in ``[1, n_candidates]`` (64).
        buffer_ratio: share of each training rollout's envs drawn from the buffer, in ``[0, 1]``
            (0.5).
        refresh_every: training rollouts between refreshes, an int ``>= 1`` (20).
        envs_per_level: envs that play each candidate of an evaluation rollout, an int ``>= 1``
            (4): one env alone measures ``p`` as 0 or 1 (see the module notes).
    """

    name = "sfl"
    kinds = ("evaluate", "train")

    def __init__(
        self,
        generator: Generator,
        rng: np.random.Generator,
        *,
        n_candidates: int = 256,
        buffer_size: int = 64,
        buffer_ratio: float = 0.5,
        refresh_every: int = 20,
        envs_per_level: int = 4,
    ) -> None:
        super().__init__(generator, rng)
        self.n_candidates = check_int(n_candidates, "n_candidates", 1, MAX_CANDIDATES)
        self.buffer_size = check_int(buffer_size, "buffer_size", 1, self.n_candidates)
        self.buffer_ratio = check_real(buffer_ratio, "buffer_ratio", 0.0, 1.0)
        self.refresh_every = check_int(refresh_every, "refresh_every", 1)
        self.envs_per_level = check_int(envs_per_level, "envs_per_level", 1)
        self.buffer: tuple[Maze, ...] = ()
        self.learnability = np.zeros(0)  # float64[len(buffer)]: the buffer levels' scores
        self.success_rate = np.zeros(0)  # float64[len(buffer)]
        # The refresh in progress: maze_hash -> [maze, solved, episodes], in drawing order.
        self._candidates: dict[str, list] = {}
        self._scored = 0
        self._evaluating = True
        self._since_refresh = 0
        self._refreshes = 0

    @property
    def evaluating(self) -> bool:
        """Whether the next rollouts score candidates (a refresh is due or in progress)."""
        return self._evaluating

    def _next_levels(self, n: int) -> Assignment:
        if self._evaluating:  # env i plays candidate i // envs_per_level
            candidates = self.generator.generate_batch(math.ceil(n / self.envs_per_level), self.rng)
            mazes = tuple(candidates[i // self.envs_per_level] for i in range(n))
            return Assignment(mazes, no_buffer(n), update_policy=False, kind="evaluate")
        k = min(n, math.floor(self.buffer_ratio * n + 0.5))
        size = len(self.buffer)
        picks = self.rng.choice(size, size=k, replace=k > size).astype(np.int64)
        fresh = tuple(self.generator.generate_batch(n - k, self.rng)) if n > k else ()
        mazes = tuple(self.buffer[i] for i in picks) + fresh
        slots = np.concatenate([picks, no_buffer(n - k)])
        return Assignment(mazes, slots, update_policy=True, kind="train")

    def _update(self, assignment: Assignment, stats: RolloutStats) -> None:
        if assignment.kind == "evaluate":
            for maze, solved, episodes in zip(assignment.mazes, stats.solved, stats.episodes, strict=True):
                entry = self._candidates.setdefault(maze.maze_hash, [maze, 0, 0])
                entry[1] += int(solved)
                entry[2] += int(episodes)
            self._scored += math.ceil(len(assignment) / self.envs_per_level)  # candidates drawn
            if self._scored >= self.n_candidates:
                self._select()
        else:
            self._since_refresh += 1
            if self._since_refresh >= self.refresh_every:
                self._evaluating = True

    def _select(self) -> None:
        """Keep the ``buffer_size`` scored candidates of highest learnability; end the refresh."""
        entries = list(self._candidates.values())
        solved = np.array([e[1] for e in entries], dtype=np.float64)
        episodes = np.array([e[2] for e in entries], dtype=np.float64)
        p = np.divide(solved, episodes, out=np.zeros_like(solved), where=episodes > 0)
        learnability = p * (1.0 - p)
        keep = np.argsort(-learnability, kind="stable")[: self.buffer_size]
        self.buffer = tuple(entries[i][0] for i in keep)
        self.learnability = learnability[keep]
        self.success_rate = p[keep]
        self._candidates, self._scored = {}, 0
        self._evaluating, self._since_refresh = False, 0
        self._refreshes += 1

    def _summary(self) -> dict[str, float]:
        filled = len(self.buffer) > 0
        return {
            "buffer_size": float(len(self.buffer)),
            "learnability_mean": float(self.learnability.mean()) if filled else math.nan,
            "success_rate_mean": float(self.success_rate.mean()) if filled else math.nan,
            "refreshes": float(self._refreshes),
            "candidates_scored": float(self._scored),
        }
