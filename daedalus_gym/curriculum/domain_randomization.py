"""Domain randomization: every rollout plays fresh levels from the generator.

The baseline curriculum: no buffer and no scores, every rollout trains the policy.
Cost: one batch of ``n`` levels per rollout, handed out as arrays (`generators.MazeArrays`).
"""

from __future__ import annotations

import math

import numpy as np

from daedalus_gym.curriculum.base import Assignment, LevelSampler, RolloutStats, new_levels, no_buffer
from generators.base import Generator


class DomainRandomization(LevelSampler):
    """Fresh levels from the generator every rollout (``kind="new"``, ``update_policy=True``).

    Args:
        generator: the source of levels.
        rng: the randomness.
    """

    name = "dr"
    kinds = ("new",)

    def __init__(self, generator: Generator, rng: np.random.Generator) -> None:
        super().__init__(generator, rng)
        self._last_success = math.nan

    def _next_levels(self, n: int) -> Assignment:
        return Assignment(
            new_levels(self.generator, n, self.rng), no_buffer(n), update_policy=True, kind="new"
        )

    def _update(self, assignment: Assignment, stats: RolloutStats) -> None:
        self._last_success = float(stats.success_rate.mean())

    def _summary(self) -> dict[str, float]:
        # The mean success rate over the envs of the last rollout (NaN before the first).
        return {"success_rate": self._last_success}
