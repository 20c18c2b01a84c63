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

Cost: a draw is ``O(log size)`` (rank weights ``O(size log size)`` once per batch); an insertion is a
hash look-up plus, when full, ``O(log size)`` on a heap of scores (built once per batch).
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Sequence
from typing import Literal

import numpy as np

from generators._jit import compile_kernel
from generators.base import check_choice, check_int, check_real, check_rng
from generators.maze import Maze, MazeArrays

Prioritization = Literal["rank", "topk"]
PRIORITIZATIONS: tuple[str, ...] = ("rank", "topk")
MAX_CAPACITY = 1_000_000
DEFAULT_TEMPERATURE = 0.3  # rank prioritization's
DEFAULT_TOP_K = 4  # "topk" prioritization's


def _check_maze(maze: object) -> Maze:
    if not isinstance(maze, Maze):
        raise TypeError(f"maze must be a generators.Maze, got {type(maze).__name__}")
    return maze


def _check_return(value: object, name: str = "max_return") -> float:
    """A best return: a finite number, or NaN for none seen."""
    if isinstance(value, (float, np.floating)) and math.isnan(value):
        return math.nan
    return check_real(value, name, -math.inf, math.inf)


def _check_returns(values: object, n: int, name: str = "max_returns") -> np.ndarray:
    """``float64[n]`` best returns: finite, or NaN for none seen."""
    x = np.asarray(values)
    if x.dtype == np.bool_ or x.dtype.kind not in "iuf":
        raise ValueError(f"{name} must be float[{n}] (NaN: no return seen), got dtype {x.dtype}")
    if x.shape != (n,):
        raise ValueError(f"{name} must be float[{n}], got shape {x.shape}")
    x = x.astype(np.float64)
    if np.isinf(x).any():
        i = int(np.flatnonzero(np.isinf(x))[0])
        raise ValueError(f"{name} must be finite or NaN (no return seen), got {float(x[i])!r} at index {i}")
    return x


class LevelBuffer:
    """Fixed-capacity prioritized store of levels (see the module notes).

    Args:
        capacity: slots, an int in ``[1, 1000000]``.
        prioritization: ``"rank"`` or ``"topk"``.
        temperature: rank prioritization's temperature, a number ``> 0`` (0.3); ``"rank"`` only.
        top_k: levels the ``"topk"`` prioritization draws from, an int ``>= 1`` (4); ``"topk"``
            only.
        staleness_coef: weight of the staleness distribution, in ``[0, 1]``.

    Raises:
        ValueError: a bad setting, or ``temperature`` with ``"topk"`` or ``top_k`` with
            ``"rank"`` (a setting the prioritization does not read).
    """

    def __init__(
        self,
        capacity: int,
        prioritization: Prioritization = "rank",
        temperature: float | None = None,
        top_k: int | None = None,
        staleness_coef: float = 0.3,
    ) -> None:
        self.capacity = check_int(capacity, "capacity", 1, MAX_CAPACITY)
        self.prioritization: Prioritization = check_choice(prioritization, "prioritization", PRIORITIZATIONS)
        # Each prioritization reads one of the two settings; the other one is refused, not ignored.
        unused = ("top_k", top_k) if self.prioritization == "rank" else ("temperature", temperature)
        if unused[1] is not None:
            raise ValueError(
                f"{unused[0]} has no effect with prioritization={self.prioritization!r}, got "
                f"{unused[0]}={unused[1]!r}; leave it out (temperature is for 'rank', top_k for 'topk')"
            )
        self.temperature: float | None = None
        self.top_k: int | None = None
        if self.prioritization == "rank":
            temperature = DEFAULT_TEMPERATURE if temperature is None else temperature
            self.temperature = check_real(temperature, "temperature", 0.0, math.inf, low_open=True)
        else:
            self.top_k = check_int(DEFAULT_TOP_K if top_k is None else top_k, "top_k", 1)
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
        return self._slot_of.get(_check_maze(maze).maze_hash, -1)

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
        best = _check_return(max_return)
        return int(self.insert_batch([_check_maze(maze)], lambda i, best: score, np.array([best]))[0])

    def insert_batch(
        self, mazes: Sequence[Maze], score: Callable[[int, float], float], max_returns: np.ndarray
    ) -> np.ndarray:
        """Offer ``mazes`` in order, as `insert` one at a time: returns each one's slot (``-1``:
        turned away).

        Args:
            mazes: the levels (a `generators.MazeArrays` is digested in one batch, and a `Maze`
                is only built for the levels the buffer keeps).
            score: ``score(i, best)``, the score of ``mazes[i]`` given ``best``, its best return
                so far (``max_returns[i]`` folded with the one already in the buffer for that
                level, also for a level offered twice in this batch; NaN: none). A finite number.
            max_returns: ``float[len(mazes)]``, the best return seen on each (NaN: none).
        """
        batch = MazeArrays.of(mazes)
        keys = batch.maze_hashes().tolist()
        max_returns = _check_returns(max_returns, len(keys))
        slots = [-1] * len(keys)
        # The loop works on lists (far cheaper per item than numpy scalars) and writes them back
        # at the end, also when a score is refused midway, so the state is that of `insert`
        # having taken the levels before the refused one.
        scores, best_returns = self.scores.tolist(), self.max_returns.tolist()
        stamps = self.timestamps.tolist()
        filled = self.size
        landed: dict[int, int] = {}  # slot -> the batch row now in it (its `Maze` built at the end)
        # Once the buffer is full, the lowest score (first slot among equals, as `np.argmin`)
        # comes from a heap of (score, slot): entries whose score has changed since are skipped.
        heap: list[tuple[float, int]] | None = None
        slot_of, capacity, clock = self._slot_of, self.capacity, self.clock
        isnan, isfinite, heappush, heappop = math.isnan, math.isfinite, heapq.heappush, heapq.heappop
        try:
            for i, (key, offered) in enumerate(zip(keys, max_returns.tolist(), strict=True)):
                clock += 1
                slot = slot_of.get(key, -1)
                prior = best_returns[slot] if slot >= 0 else math.nan
                best = offered if isnan(prior) else prior if isnan(offered) else max(prior, offered)
                value = score(i, best)
                if type(value) is not float or not isfinite(value):
                    value = check_real(value, "score", -math.inf, math.inf)
                if slot < 0:
                    if filled < capacity:
                        slot = filled
                        filled += 1
                    else:
                        if heap is None:
                            heap = list(zip(scores, range(capacity), strict=True))
                            heapq.heapify(heap)
                        while heap[0][0] != scores[heap[0][1]]:
                            heappop(heap)
                        lowest, slot = heap[0]
                        if not value > lowest:
                            continue
                        heappop(heap)
                        # Its level: one from this batch, or one built before.
                        gone = keys[landed[slot]] if slot in landed else self.levels[slot].maze_hash
                        del slot_of[gone]
                    slot_of[key] = slot
                    landed[slot] = i
                if heap is not None:
                    heappush(heap, (value, slot))
                scores[slot] = value
                best_returns[slot] = best
                stamps[slot] = clock
                slots[i] = slot
        finally:
            self.clock = clock
            self.scores[:] = scores
            self.max_returns[:] = best_returns
            self.timestamps[:] = stamps
            self.levels.extend([None] * (filled - len(self.levels)))  # type: ignore[list-item]
            for slot, maze in zip(landed, batch.mazes(list(landed.values())), strict=True):
                self.levels[slot] = maze
        return np.array(slots, dtype=np.int64)

    def update(self, slot: int, score: float, max_return: float = math.nan) -> None:
        """Set the score of a replayed slot and fold ``max_return`` into its best return."""
        if not self.size:
            raise ValueError("cannot update a slot of an empty level buffer")
        slot = check_int(slot, "slot", 0, self.size - 1)
        score = check_real(score, "score", -math.inf, math.inf)
        best = _check_return(max_return)
        self.scores[slot] = score
        self.max_returns[slot] = np.fmax(self.max_returns[slot], best)

    def update_many(self, slots: np.ndarray, scores: np.ndarray, max_returns: np.ndarray) -> None:
        """`update` for each ``(slots[i], scores[i], max_returns[i])`` in order, in one go: a slot
        given twice keeps its last score and the best of its returns.

        Args:
            slots: ``int[n]``, each in ``[0, size)``.
            scores: ``float[n]``, finite.
            max_returns: ``float[n]``, finite, or NaN where no return was seen.
        """
        slots = np.asarray(slots)
        scores = np.asarray(scores)
        if not np.issubdtype(slots.dtype, np.integer) or slots.ndim != 1:
            raise ValueError(f"slots must be int[n], got {slots.dtype} of shape {slots.shape}")
        if scores.dtype == np.bool_ or scores.dtype.kind not in "iuf":
            raise ValueError(f"scores must be float[{len(slots)}], got dtype {scores.dtype}")
        if scores.shape != slots.shape:
            raise ValueError(
                f"slots, scores and max_returns need one value each per update, got shapes "
                f"{slots.shape}, {scores.shape}, {np.shape(max_returns)}"
            )
        scores = scores.astype(np.float64)
        max_returns = _check_returns(max_returns, len(slots))
        bad = (slots < 0) | (slots >= self.size)
        if bad.any():
            raise ValueError(f"slot must be in [0, {self.size - 1}], got {int(slots[bad][0])}")
        if not np.isfinite(scores).all():
            i = int(np.flatnonzero(~np.isfinite(scores))[0])
            raise ValueError(f"score must be a finite number, got {float(scores[i])!r} at index {i}")
        # The last occurrence of each slot sets its score (numpy leaves repeated writes unordered).
        unique, first_from_end = np.unique(slots[::-1], return_index=True)
        self.scores[unique] = scores[len(slots) - 1 - first_from_end]
        np.fmax.at(self.max_returns, slots, max_returns)

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
        rng = check_rng(rng)
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
    inverse CDF, then the drawn slot stamped with the advanced clock; returns the clock.

    The CDF is searched in two Fenwick trees (prefix sums of the score weights and of the
    timestamps), so a draw costs ``O(log size)`` after an ``O(size)`` set-up: slot ``i``'s
    staleness is ``clock - timestamps[i]``, so a block of ``m`` slots has staleness
    ``m clock - (sum of their timestamps)`` whatever the clock.
    """
    tree_w = np.zeros(size + 1)
    tree_t = np.zeros(size + 1, dtype=np.int64)
    stamped = 0  # the sum of the timestamps
    for i in range(1, size + 1):
        tree_w[i] += w_score[i - 1]
        tree_t[i] += timestamps[i - 1]
        stamped += timestamps[i - 1]
        j = i + (i & -i)
        if j <= size:
            tree_w[j] += tree_w[i]
            tree_t[j] += tree_t[i]
    total_w = 0.0
    for i in range(size):
        total_w += w_score[i]
    top = 1
    while top * 2 <= size:
        top *= 2
    for k in range(uniforms.shape[0]):
        stale_total = size * clock - stamped  # exact: whole numbers
        u = uniforms[k] * ((1.0 - c) * total_w + c)
        pos = 0
        below = 0.0  # the probability mass of slots [0, pos)
        step = top
        while step > 0:
            nxt = pos + step
            if nxt <= size:
                stale = step * clock - tree_t[nxt]
                mass = (1.0 - c) * tree_w[nxt] + c * (stale / stale_total if stale_total > 0 else step / size)
                if below + mass <= u:
                    pos = nxt
                    below += mass
            step //= 2
        slot = min(pos, size - 1)  # guards the rounding of the last prefix sum
        clock += 1
        change = clock - timestamps[slot]
        timestamps[slot] = clock
        stamped += change
        i = slot + 1
        while i <= size:
            tree_t[i] += change
            i += i & -i
        out[k] = slot
    return clock
