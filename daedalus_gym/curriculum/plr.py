"""Robust Prioritized Level Replay (PLR-perp; Jiang et al. 2021, "Replay-Guided Adversarial
Environment Design"), after JaxUED's ``LevelSampler`` and ``examples/maze_plr.py``.

Before each rollout the sampler decides: *replay* with probability ``replay_prob``, once the
buffer holds at least ``max(minimum_fill_ratio * capacity, n)`` levels, else *new*.

- A replay rollout plays ``n`` slots drawn from the buffer's replay distribution (rank
  prioritization mixed with staleness, `LevelBuffer`), trains the policy, and re-scores the
  replayed slots.
- A new rollout plays fresh levels from the generator and does **not** train the policy (the
  "robust" part: gradients only come from curated levels). After it, each level is offered to the
  buffer with its score: a level already there updates its slot, otherwise it enters while the
  buffer has room, and then only by beating the lowest score, which it replaces.

Scores (``score=``):

- ``"pvl"`` (positive value loss): the mean over the rollout of ``max(GAE advantage, 0)``.
- ``"maxmc"`` (MaxMC): ``best return ever seen on the level - mean V(s_t)``. The buffer keeps
  each level's best return across all its rollouts. A level on which no episode has ended yet
  counts a best return of 0: the env's return of an unsolved episode (its rewards are paid on
  reaching the goal only), and a lower bound on the return with the trainer's novelty bonus,
  which is never negative. With the trainer's defaults every rollout ends an episode on every
  env (its rollout is as long as the time limit); a shorter rollout, as with SB3's ``n_steps``,
  can score a level before any of its episodes ends.

Cost per rollout: ``n`` weighted draws (``O(n log size)``) and one vectorised re-scoring, or ``n``
insertions.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

import numpy as np

from daedalus_gym.curriculum.base import Assignment, LevelSampler, RolloutStats, new_levels, no_buffer
from daedalus_gym.curriculum.buffer import LevelBuffer, Prioritization
from generators.base import Generator, check_choice, check_real
from generators.maze import Maze, MazeArrays

PlrScore = Literal["pvl", "maxmc"]
PLR_SCORES: tuple[str, ...] = ("pvl", "maxmc")


class RobustPLR(LevelSampler):
    """Robust PLR: replay high-regret levels from a buffer, score new ones without training on them.

    Defaults are the settings of JaxUED's maze example, except the score: it defaults to MaxMC,
    this class to positive value loss.

    Args:
        generator: the source of new levels.
        rng: the randomness (replay decisions, replay draws, new levels).
        capacity: buffer slots, an int in ``[1, 1000000]`` (4000).
        replay_prob: chance of a replay rollout once replay is possible, in ``[0, 1]`` (0.8).
        staleness_coef: weight of staleness in the replay distribution, in ``[0, 1]`` (0.3).
        minimum_fill_ratio: share of ``capacity`` the buffer must hold before any replay, in
            ``[0, 1]`` (0.5). Replay also needs at least ``n`` levels in the buffer, so that a
            small run with a small fill ratio never replays a handful of levels on every env.
        prioritization: ``"rank"`` (default) or ``"topk"``.
        temperature: rank prioritization's temperature, ``> 0`` (0.3); ``"rank"`` only: refused
            with ``"topk"``, which does not read it.
        top_k: levels ``"topk"`` draws from, an int ``>= 1`` (4); ``"topk"`` only: refused with
            ``"rank"``.
        score: ``"pvl"`` (default) or ``"maxmc"``.
    """

    name = "plr"
    kinds = ("new", "replay")

    def __init__(
        self,
        generator: Generator,
        rng: np.random.Generator,
        *,
        capacity: int = 4000,
        replay_prob: float = 0.8,
        staleness_coef: float = 0.3,
        minimum_fill_ratio: float = 0.5,
        prioritization: Prioritization = "rank",
        temperature: float | None = None,
        top_k: int | None = None,
        score: PlrScore = "pvl",
    ) -> None:
        super().__init__(generator, rng)
        self.buffer = LevelBuffer(capacity, prioritization, temperature, top_k, staleness_coef)
        self.replay_prob = check_real(replay_prob, "replay_prob", 0.0, 1.0)
        self.minimum_fill_ratio = check_real(minimum_fill_ratio, "minimum_fill_ratio", 0.0, 1.0)
        self.score: PlrScore = check_choice(score, "score", PLR_SCORES)
        self._offered = 0
        self._accepted = 0

    @property
    def capacity(self) -> int:
        """Buffer slots."""
        return self.buffer.capacity

    # ------------------------------------------------------------------ decisions
    def replay_possible(self, n: int) -> bool:
        """Whether the buffer holds enough levels to replay ``n`` of them: at least
        ``minimum_fill_ratio * capacity``, and at least ``n``."""
        minimum = max(math.ceil(self.minimum_fill_ratio * self.capacity - 1e-9), n)
        return self.buffer.size >= minimum

    def _next_levels(self, n: int) -> Assignment:
        if n > self.capacity:
            # The buffer could never hold n levels, so it would never replay: no rollout would
            # train the policy.
            raise ValueError(
                f"n={n} envs is more than the buffer capacity {self.capacity}: replay needs n levels in "
                "the buffer; use a capacity >= n"
            )
        if self.replay_possible(n) and self.rng.random() < self.replay_prob:
            slots = self.buffer.sample(n, self.rng)
            # One stacked batch of the replayed `Maze`s (indexing it gives them back): the env
            # loads it, and ACCEL edits it, without stacking their walls again.
            mazes = MazeArrays.of([self.buffer.levels[s] for s in slots.tolist()])
            return Assignment(mazes, slots, update_policy=True, kind="replay")
        return Assignment(
            new_levels(self.generator, n, self.rng), no_buffer(n), update_policy=False, kind="new"
        )

    # ------------------------------------------------------------------ scoring
    def _score(self, i: int, best_return: float, stats: RolloutStats) -> float:
        if self.score == "pvl":
            return float(stats.positive_value_loss[i])
        best = 0.0 if math.isnan(best_return) else best_return
        return best - float(stats.mean_value[i])

    def _update(self, assignment: Assignment, stats: RolloutStats) -> None:
        if assignment.kind == "replay":
            self._rescore(assignment.slots, stats)
        else:
            self._insert(assignment.mazes, stats)

    def _rescore(self, slots: np.ndarray, stats: RolloutStats) -> None:
        """Score the replayed ``slots`` (one per env), as if env by env: a slot replayed on several
        envs ends with the last env's score, taken with the best return over all of them."""
        best = self.buffer.max_returns.copy()
        np.fmax.at(best, slots, stats.max_return)
        best = best[slots]
        if self.score == "pvl":
            scores = stats.positive_value_loss
        else:
            scores = np.where(np.isnan(best), 0.0, best) - stats.mean_value
        self.buffer.update_many(slots, scores, best)

    def _insert(self, mazes: Sequence[Maze], stats: RolloutStats) -> None:
        """Offer each scored level to the buffer (a level already there updates its slot)."""
        slots = self.buffer.insert_batch(mazes, lambda i, best: self._score(i, best, stats), stats.max_return)
        self._offered += len(slots)
        self._accepted += int((slots >= 0).sum())

    def _summary(self) -> dict[str, float]:
        size = self.buffer.size
        scores = self.buffer.scores[:size]
        return {
            "buffer_size": float(size),
            "buffer_fill": size / self.capacity,
            "score_mean": float(scores.mean()) if size else math.nan,
            "score_max": float(scores.max()) if size else math.nan,
            "score_min": float(scores.min()) if size else math.nan,
            # The share of offered levels that entered the buffer (or updated their slot).
            "insert_rate": self._accepted / self._offered if self._offered else math.nan,
        }
