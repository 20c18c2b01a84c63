"""The level buffer of Prioritized Level Replay: levels with scores, timestamps and best returns.

A fixed-capacity store (as JaxUED's ``LevelSampler``). Each slot holds a level, its score (the
higher, the more worth replaying), the clock time it was last sampled or inserted, and the best
episodic return ever seen on it (for the MaxMC score).

Replay draws slots from ``P = (1 - staleness_coef) P_score + staleness_coef P_staleness``:

- ``P_score``, rank prioritization: ``h_i = (1 / rank_i) ** (1 / temperature)`` normalised,
  rank 1 the highest score (ties ranked by slot). Or ``"topk"``: a softmax of the ``top_k``
  highest scores, 0 elsewhere (JaxUED's ``"topk"``).
- ``P_staleness`` proportional to ``clock - timestamp_i`` (uniform while every staleness is 0).

The clock counts levels, as JaxUED's ``episode_count``: it advances by one for every level drawn
for replay and every level offered for insertion, and a slot's timestamp is the clock at its last
draw or insertion. Draws are one at a time, with replacement, the staleness updated after each.

Insertion (a level offered after a rollout scored it): a level already in the buffer (same
`Maze.maze_hash`) updates its slot's score and timestamp; otherwise it takes a free slot while
the buffer is not full, and then replaces the lowest-scoring level only if its score is higher.

Cost: a draw is ``O(size)`` (rank weights ``O(size log size)`` once per batch); an insertion is a
hash look-up plus, when full, an ``O(size)`` minimum.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np

from generators._jit import compile_kernel
from generators.base import check_choice, check_int, check_real
from generators.maze import Maze

Prioritization = Literal["rank", "topk"]
PRIORITIZATIONS: tuple[str, ...] = ("rank", "topk")
MAX_CAPACITY = 1_000_000


class LevelBuffer:
    """Fixed-capacity prioritized store of levels (see the module notes).

    Args:
        capacity: slots, an int in ``[1, 1000000]``.
        prioritization: ``"rank"`` or ``"topk"``.
        temperature: rank prioritization's temperature, a number ``> 0``.
        top_k: levels the ``"topk"`` prioritization draws from, an int ``>= 1`` (4).
        staleness_coef: weight of the staleness distribution, in ``[0, 1]``.
    """

    def __init__(
        self,
        capacity: int,
        prioritization: Prioritization = "rank",
        temperature: float = 0.3,
        top_k: int = 4,
        staleness_coef: float = 0.3,
    ) -> None:
        self.capacity = check_int(capacity, "capacity", 1, MAX_CAPACITY)
        self.prioritization: Prioritization = check_choice(prioritization, "prioritization", PRIORITIZATIONS)
        self.temperature = check_real(temperature, "temperature", 0.0, math.inf, low_open=True)
        self.top_k = check_int(top_k, "top_k", 1)
        self.staleness_coef = check_real(staleness_coef, "staleness_coef", 0.0, 1.0)
        self.levels: list[Maze] = []
        self.scores = np.full(self.capacity, -np.inf)
        self.timestamps = np.zeros(self.capacity, dtype=np.int64)
        self.max_returns = np.full(self.capacity, np.nan)
        self.clock = 0
        self._slot_of: dict[str, int] = {}

    @property
    def size(self) -> int:
        """Levels held."""
        return len(self.levels)

    def __len__(self) -> int:
        return self.size

    def find(self, maze: Maze) -> int:
        """The slot holding ``maze`` (same `Maze.maze_hash`), or ``-1``."""
        return self._slot_of.get(maze.maze_hash, -1)

    # ------------------------------------------------------------------ writing
    def insert(self, maze: Maze, score: float, max_return: float = math.nan) -> int:
        """Offer a scored level; its slot, or ``-1`` if the buffer is full of higher scores.

        Args:
            maze: the level.
            score: its score, a finite number.
            max_return: the best return seen on it (NaN: none), kept with `numpy.fmax` when the
                level is already in the buffer.
        """
        score = check_real(score, "score", -math.inf, math.inf)
        self.clock += 1
        key = maze.maze_hash
        slot = self._slot_of.get(key, -1)
        if slot >= 0:
            self.scores[slot] = score
            self.max_returns[slot] = np.fmax(self.max_returns[slot], max_return)
            self.timestamps[slot] = self.clock
            return slot
        if self.size < self.capacity:
            slot = self.size
            self.levels.append(maze)
        else:
            slot = int(np.argmin(self.scores))
            if not score > self.scores[slot]:
                return -1
            del self._slot_of[self.levels[slot].maze_hash]
            self.levels[slot] = maze
        self._slot_of[key] = slot
        self.scores[slot] = score
        self.max_returns[slot] = max_return
        self.timestamps[slot] = self.clock
        return slot

    def update(self, slot: int, score: float, max_return: float = math.nan) -> None:
        """Set the score of a replayed slot and fold ``max_return`` into its best return."""
        slot = check_int(slot, "slot", 0, self.size - 1)
        self.scores[slot] = check_real(score, "score", -math.inf, math.inf)
        self.max_returns[slot] = np.fmax(self.max_returns[slot], max_return)

    # ------------------------------------------------------------------ sampling
    def score_weights(self) -> np.ndarray:
        """``P_score``: ``float64[size]``, summing to 1 (empty while the buffer is)."""
        scores = self.scores[: self.size]
        if not self.size:
            return np.zeros(0)
        order = np.argsort(-scores, kind="stable")
        if self.prioritization == "rank":
            ranks = np.empty(self.size, dtype=np.float64)
            ranks[order] = np.arange(1, self.size + 1)
            w = (1.0 / ranks) ** (1.0 / self.temperature)
        else:
            top = order[: self.top_k]
            w = np.zeros(self.size)
            w[top] = np.exp(scores[top] - scores[top].max())
        return w / w.sum()

    def staleness_weights(self) -> np.ndarray:
        """``P_staleness``: ``float64[size]`` proportional to ``clock - timestamp`` (uniform if all 0)."""
        if not self.size:
            return np.zeros(0)
        stale = (self.clock - self.timestamps[: self.size]).astype(np.float64)
        total = stale.sum()
        return stale / total if total > 0 else np.full(self.size, 1.0 / self.size)

    def weights(self) -> np.ndarray:
        """The replay distribution ``P``: ``float64[size]``, summing to 1."""
        c = self.staleness_coef
        return (1.0 - c) * self.score_weights() + c * self.staleness_weights()

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Draw ``n`` slots for replay (with replacement), stamping each with the clock.

        Returns:
            ``int64[n]`` slots.

        Raises:
            ValueError: the buffer is empty.
        """
        n = check_int(n, "n", 1)
        if not self.size:
            raise ValueError("cannot replay from an empty level buffer")
        slots = np.empty(n, dtype=np.int64)
        # One uniform per draw, the same stream as n calls of rng.random().
        self.clock = compile_kernel(_draw)(
            self.score_weights(),
            self.timestamps,
            self.size,
            self.clock,
            self.staleness_coef,
            rng.random(n),
            slots,
        )
        return slots


def _draw(
    w_score: np.ndarray,
    timestamps: np.ndarray,
    size: int,
    clock: int,
    c: float,
    uniforms: np.ndarray,
    out: np.ndarray,
) -> int:
    """`LevelBuffer.sample`'s loop: each draw from ``P = (1 - c) P_score + c P_staleness`` by
    inverse CDF, then the drawn slot stamped with the advanced clock; returns the clock."""
    p = np.empty(size)
    for k in range(uniforms.shape[0]):
        stale_total = 0.0
        for i in range(size):
            stale_total += clock - timestamps[i]
        total = 0.0
        for i in range(size):
            stale = (clock - timestamps[i]) / stale_total if stale_total > 0 else 1.0 / size
            p[i] = (1.0 - c) * w_score[i] + c * stale
            total += p[i]
        u = uniforms[k] * total
        slot = size - 1  # guards the rounding of the last cumulative sum
        running = 0.0
        for i in range(size):
            running += p[i]
            if running > u:
                slot = i
                break
        clock += 1
        timestamps[slot] = clock
        out[k] = slot
    return clock
