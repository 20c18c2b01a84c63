"""The level-sampler protocol: what a curriculum hands the trainer, and what it reads back.

A trainer and a `LevelSampler` alternate::

    assignment = sampler.next_levels(num_envs)   # one level per env
    stats = ...                                  # play one rollout, measure each env
    sampler.update(assignment, stats)
    if assignment.update_policy:
        ...                                      # PPO step on that rollout

Each env replays its assigned level whenever an episode ends, so it plays that one level for the
whole rollout. `RolloutStats` holds what the trainer measured per env; the samplers score levels
from it (positive value loss, MaxMC, learnability). A sampler serves one assignment at a time:
`update` must be given the assignment the last `next_levels` call returned before the next one
is asked for, which keeps a sampler's plan (replay, then edit; evaluate, then train) in step with
the rollouts that were actually played.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from generators.base import Generator, MazeGenerator, check_int, check_reals, check_rng
from generators.maze import Maze, MazeArrays

# The largest count `RolloutStats` takes: 2**53, the last whole number float64 holds exactly.
MAX_COUNT = 2**53
# The most envs one assignment serves.
MAX_ENVS = 1_000_000


def _as_vector(value: object, name: str) -> np.ndarray:
    """``value`` as a read-only ``float64[n]`` of real numbers (NaN and inf still possible)."""
    x = np.array(check_reals(value, name, "env"), copy=True)
    x.setflags(write=False)
    return x


def _as_counts(value: object, name: str) -> np.ndarray:
    """``value`` as a read-only ``int64[n]`` of whole numbers ``>= 0`` (float input must be whole)."""
    x = _as_vector(value, name)
    bad = ~np.isfinite(x) | (x < 0) | (x != np.round(x))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{name} must hold whole numbers >= 0, got {float(x[i])!r} at index {i}")
    if (x > MAX_COUNT).any():  # beyond it a float64 count is not exact, and int64 overflows
        i = int(np.flatnonzero(x > MAX_COUNT)[0])
        raise ValueError(f"{name} must hold counts <= {MAX_COUNT}, got {float(x[i])!r} at index {i}")
    counts = x.astype(np.int64)
    counts.setflags(write=False)
    return counts


def new_levels(generator: Generator, n: int, rng: np.random.Generator) -> MazeArrays:
    """``n`` fresh levels from ``generator`` as one `MazeArrays` (`MazeGenerator.generate_arrays`;
    any other generator's ``generate_batch``, stacked): the same mazes from the same draws."""
    if isinstance(generator, MazeGenerator):
        return generator.generate_arrays(n, rng)
    return MazeArrays.of(generator.generate_batch(n, rng))


@dataclass(frozen=True, eq=False)
class Assignment:
    """The levels of one rollout: one per env.

    Attributes:
        mazes: the level of each env, ``n`` of them: a ``tuple[Maze, ...]``, or a
            `generators.MazeArrays` (fresh and edited levels: loaded into the vector env as
            arrays, without a `Maze` per level).
        slots: ``int64[n]``, read-only: the buffer slot each level came from, ``-1`` if it did
            not come from a buffer.
        update_policy: ``False`` when this rollout only scores levels (robust PLR's new levels,
            ACCEL's edited levels, SFL's candidate evaluation): the trainer collects it but takes
            no gradient step.
        kind: what the rollout is, for logging: ``"new"``, ``"replay"``, ``"edit"``,
            ``"evaluate"``, ``"train"``.

    Equality is identity: two assignments are the same only if they are the same object.
    """

    mazes: Sequence[Maze]
    slots: np.ndarray
    update_policy: bool
    kind: str

    def __post_init__(self) -> None:
        if isinstance(self.mazes, (Maze, str, bytes)) or not isinstance(self.mazes, (Sequence, MazeArrays)):
            raise TypeError(
                "mazes must be a sequence of generators.Maze or a MazeArrays, got "
                f"{type(self.mazes).__name__}"
            )
        mazes = self.mazes if isinstance(self.mazes, MazeArrays) else tuple(self.mazes)
        if not len(mazes):
            raise ValueError("an assignment needs at least one maze, got none")
        if not isinstance(mazes, MazeArrays):
            for i, maze in enumerate(mazes):
                if not isinstance(maze, Maze):
                    raise TypeError(f"mazes[{i}] must be a generators.Maze, got {type(maze).__name__}")
        slots = np.asarray(self.slots)
        if not np.issubdtype(slots.dtype, np.integer) or slots.shape != (len(mazes),):
            raise ValueError(
                f"slots must be int64[{len(mazes)}] (one per maze), got {slots.dtype} of shape {slots.shape}"
            )
        if (slots < -1).any():
            raise ValueError(f"slots must be buffer slots >= 0 or -1, got {int(slots.min())}")
        slots = np.array(slots, dtype=np.int64, copy=True)
        slots.setflags(write=False)
        if not isinstance(self.update_policy, (bool, np.bool_)):
            raise TypeError(f"update_policy must be a bool, got {type(self.update_policy).__name__}")
        if not isinstance(self.kind, str) or not self.kind:
            raise ValueError(f"kind must be a non-empty string, got {self.kind!r}")
        object.__setattr__(self, "mazes", mazes)
        object.__setattr__(self, "slots", slots)
        object.__setattr__(self, "update_policy", bool(self.update_policy))

    def __len__(self) -> int:
        return len(self.mazes)


@dataclass(frozen=True, eq=False)
class RolloutStats:
    """What the trainer measured per env over the rollout that played an assignment.

    Every field is one value per env, in the assignment's order; arrays are copied read-only.

    Attributes:
        positive_value_loss: ``float64[n]``, finite, ``>= 0``: the mean over the env's rollout
            steps of ``max(GAE advantage, 0)``.
        mean_value: ``float64[n]``, finite: the mean of ``V(s_t)`` over the env's rollout steps.
        max_return: ``float64[n]``: the best episodic return in this rollout on that env; NaN
            exactly where no episode ended (``episodes == 0``), finite elsewhere.
        solved: ``int64[n]``: episodes that reached the goal.
        episodes: ``int64[n]``: episodes that ended (solved or timed out), ``>= solved``.
    """

    positive_value_loss: np.ndarray
    mean_value: np.ndarray
    max_return: np.ndarray
    solved: np.ndarray
    episodes: np.ndarray

    def __post_init__(self) -> None:
        pvl = _as_vector(self.positive_value_loss, "positive_value_loss")
        value = _as_vector(self.mean_value, "mean_value")
        best = _as_vector(self.max_return, "max_return")
        solved = _as_counts(self.solved, "solved")
        episodes = _as_counts(self.episodes, "episodes")
        lengths = {len(a) for a in (pvl, value, best, solved, episodes)}
        if len(lengths) != 1:
            raise ValueError(
                "stats arrays must all have one value per env, got lengths "
                f"positive_value_loss={len(pvl)}, mean_value={len(value)}, max_return={len(best)}, "
                f"solved={len(solved)}, episodes={len(episodes)}"
            )
        for name, x in (("positive_value_loss", pvl), ("mean_value", value)):
            if not np.isfinite(x).all():
                i = int(np.flatnonzero(~np.isfinite(x))[0])
                raise ValueError(f"{name} must be finite, got {float(x[i])!r} at index {i}")
        if (pvl < 0).any():
            i = int(np.flatnonzero(pvl < 0)[0])
            raise ValueError(f"positive_value_loss must be >= 0, got {float(pvl[i])!r} at index {i}")
        ended = episodes > 0
        bad = (ended & ~np.isfinite(best)) | (~ended & ~np.isnan(best))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"max_return must be finite where an episode ended and NaN where none did, got "
                f"{float(best[i])!r} at index {i} with episodes={int(episodes[i])}"
            )
        if (solved > episodes).any():
            i = int(np.flatnonzero(solved > episodes)[0])
            raise ValueError(
                f"solved must be <= episodes, got solved={int(solved[i])} > episodes={int(episodes[i])} "
                f"at index {i}"
            )
        for name, x in (
            ("positive_value_loss", pvl),
            ("mean_value", value),
            ("max_return", best),
            ("solved", solved),
            ("episodes", episodes),
        ):
            object.__setattr__(self, name, x)

    def __len__(self) -> int:
        return len(self.episodes)

    @property
    def success_rate(self) -> np.ndarray:
        """``float64[n]``: ``solved / episodes``, 0 where no episode ended (unsolved in the rollout)."""
        return np.divide(
            self.solved, self.episodes, out=np.zeros(len(self), dtype=np.float64), where=self.episodes > 0
        )

    @property
    def learnability(self) -> np.ndarray:
        """``float64[n]``: ``p (1 - p)`` with ``p`` the success rate; highest (0.25) at ``p = 0.5``."""
        p = self.success_rate
        return p * (1.0 - p)

    def check_length(self, n: int) -> None:
        """Raise a ValueError unless the stats hold one value per env of an ``n``-env assignment."""
        if len(self) != n:
            raise ValueError(
                f"stats must hold one value per env of the assignment: length {n}, got length {len(self)}"
            )


def check_generator(generator: object) -> Generator:
    """``generator`` if it makes mazes (``generate_batch(n, rng)``), else a TypeError naming it."""
    if not isinstance(generator, Generator):
        raise TypeError(
            "generator must be a maze generator with generate_batch(n, rng) "
            f"(e.g. make_generator('backtracker')), got {type(generator).__name__}"
        )
    return generator


def no_buffer(n: int) -> np.ndarray:
    """``int64[n]`` of ``-1``: the slots of levels that did not come from a buffer."""
    return np.full(n, -1, dtype=np.int64)


class LevelSampler(ABC):
    """Base class of the curricula: decides which level each env plays next.

    Subclasses implement `_next_levels` and `_update` (and may add `_summary`); this class
    checks arguments and keeps the one-assignment-at-a-time protocol.

    Args:
        generator: the source of fresh levels (any maze generator).
        rng: all the sampler's randomness; the same seed gives the same assignments.
    """

    name: ClassVar[str] = "base"
    kinds: ClassVar[tuple[str, ...]] = ()  # the assignment kinds it serves, for `summary`

    def __init__(self, generator: Generator, rng: np.random.Generator) -> None:
        self.generator = check_generator(generator)
        self.rng = check_rng(rng)
        self._pending: Assignment | None = None
        self._rollouts: dict[str, int] = {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(generator={self.generator!r})"

    @property
    def pending(self) -> Assignment | None:
        """The assignment waiting for its scores (handed out by `next_levels`, not yet passed to
        `update`), or ``None``."""
        return self._pending

    def next_levels(self, n: int) -> Assignment:
        """The levels of the next rollout, one per env.

        Args:
            n: envs, an int in ``[1, 1000000]``.

        Raises:
            TypeError: ``n`` is not an int.
            ValueError: ``n`` is outside ``[1, 1000000]``, or more than the sampler can serve (robust PLR and
                ACCEL: more than the buffer capacity).
            RuntimeError: the previous assignment has not been passed to `update` yet.
        """
        n = check_int(n, "n", 1, MAX_ENVS)
        if self._pending is not None:
            raise RuntimeError(
                f"the last {self._pending.kind!r} assignment has not been scored: call "
                "update(assignment, stats) for it before asking for the next levels"
            )
        assignment = self._next_levels(n)
        if assignment.kind not in self.kinds:  # a subclass bug: summary() would not report it
            raise RuntimeError(
                f"{type(self).__name__} served kind {assignment.kind!r}, not one of {self.kinds}"
            )
        self._pending = assignment
        return assignment

    def update(self, assignment: Assignment, stats: RolloutStats) -> None:
        """Score the levels of ``assignment`` from what its rollout measured.

        Raises:
            TypeError: ``assignment`` or ``stats`` has the wrong type.
            ValueError: ``assignment`` is not the one the last `next_levels` call returned, or
                ``stats`` does not hold one value per env.
            RuntimeError: there is no assignment waiting for its scores.
        """
        if not isinstance(assignment, Assignment):
            raise TypeError(f"assignment must be an Assignment, got {type(assignment).__name__}")
        if not isinstance(stats, RolloutStats):
            raise TypeError(f"stats must be a RolloutStats, got {type(stats).__name__}")
        if self._pending is None:
            raise RuntimeError("no assignment is waiting for its scores: call next_levels first")
        if assignment is not self._pending:
            raise ValueError(
                "assignment must be the one the last next_levels call returned "
                f"(a {self._pending.kind!r} assignment of {len(self._pending)} levels), got another one"
            )
        stats.check_length(len(assignment))
        self._update(assignment, stats)
        self._pending = None
        self._rollouts[assignment.kind] = self._rollouts.get(assignment.kind, 0) + 1

    def summary(self) -> dict[str, float]:
        """Numbers worth logging, the same keys every call: ``rollouts`` scored, ``share_<kind>``
        for each kind the sampler serves (NaN before the first rollout), and the sampler's own."""
        total = sum(self._rollouts.values())
        out = {"rollouts": float(total)}
        for kind in self.kinds:
            out[f"share_{kind}"] = self._rollouts.get(kind, 0) / total if total else math.nan
        out.update(self._summary())
        return out

    @abstractmethod
    def _next_levels(self, n: int) -> Assignment:
        """The next assignment of ``n`` levels (``n`` checked)."""

    @abstractmethod
    def _update(self, assignment: Assignment, stats: RolloutStats) -> None:
        """Score ``assignment`` (checked: the pending one, stats of its length)."""

    def _summary(self) -> dict[str, float]:
        return {}
