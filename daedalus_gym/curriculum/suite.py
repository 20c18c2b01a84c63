"""A frozen zero-shot evaluation suite for curricula, and the evaluator that plays it.

A curriculum is judged by how its agent does on levels it never trained on. `zero_shot_suite`
returns the suite ``zero-shot-v0``: groups of held-out levels, fixed forever, each a
`SuiteGroup` of mazes:

- ``backtracker-14x14``, ``backtracker-28x28``, ``kruskal-14x14``, ``prim-14x14``,
  ``wilson-14x14``, ``vae-14x14``: the shipped ``eval-v0`` set of the matching id (200 levels
  each, none a training level ``[0, 10000)`` of that id up to symmetry);
- ``backtracker-21x21``: 200 levels of a size no id serves, made the same way (held out from the
  levels ``[0, 10000)`` that ``Daedalus-Backtracker-v0`` serves at 21x21 cells);
- ``named``: 12 hand-designed mazes of 7x7 to 14x14 cells with names (``long-corridor``,
  ``spiral``, ``comb``, ``open-room``, ``two-rooms``, ``cross``, ``zigzag``,
  ``dead-end-forest``, ``ring``, ``goal-behind-start``, ``bottleneck``, ``big-hall``), most of
  them unlike any generator's mazes (open rooms, loops, long corridors).

The manifest ``daedalus_gym/level_sets/zero-shot-v0.json`` lists the groups, their level counts,
shapes and the sha256 of their level strings; loading checks every digest and refuses a changed
file. ``scripts/make_zero_shot_suite.py`` writes the suite's own files (see ``docs/level-sets.md``).

`evaluate_suite` plays every level of every group with a batched policy in `MazeVectorEnv`
(one vector env per grid shape, levels handed out with ``reset(options={"level": [...]})``) and
returns a `SuiteResult`: per group and over all levels, the success rate with a 95% Wilson
interval over levels, the mean SPL (success weighted by path length) with a 95% normal-approximation
interval over levels, and the CVaR at 10% of per-level success (the mean success of the worst
10% of levels). Cost: per grid shape, one batched env step and one policy call per step; a
policy that never reaches the goal plays each level to its time limit ``4 h w`` (784 steps at
14x14 cells): about 3 s for the whole suite with numpy policies on two CPU cores.
"""

from __future__ import annotations

import functools
import gzip
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from daedalus_gym import splits
from daedalus_gym.core import check_choice, check_int, describe, step_budget
from daedalus_gym.vector_env import MazeVectorEnv
from generators import Maze
from generators.base import check_real
from generators.level_files import levels_from_text
from generators.shortest_paths import shortest_path_lengths
from generators.two_sample import wilson_score

SUITES: tuple[str, ...] = ("zero-shot-v0",)
# The normal quantile of a two-sided 95% interval.
Z95 = 1.959963984540054
# CVaR's share of worst levels.
CVAR_ALPHA = 0.1

Policy = Callable[[np.ndarray, np.ndarray], np.ndarray]


# --------------------------------------------------------------------- the suite
@dataclass(frozen=True)
class SuiteGroup:
    """A named group of levels.

    Attributes:
        name: the group's name, e.g. ``"backtracker-21x21"``.
        mazes: the levels; each grid of odd shape ``(2h+1, 2w+1)`` (what the env plays).
        level_names: one name per maze (the ``named`` group), or ``None``.
    """

    name: str
    mazes: tuple[Maze, ...]
    level_names: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"SuiteGroup name must be a non-empty str, got {describe(self.name)}")
        mazes = self.mazes
        if isinstance(mazes, Maze) or not isinstance(mazes, Sequence) or isinstance(mazes, str):
            raise TypeError(
                f"SuiteGroup {self.name!r}: mazes must be a sequence of generators.Maze, "
                f"got {describe(mazes)}"
            )
        if not mazes:
            raise ValueError(f"SuiteGroup {self.name!r}: mazes must hold at least one maze, got none")
        for i, maze in enumerate(mazes):
            if not isinstance(maze, Maze):
                raise TypeError(
                    f"SuiteGroup {self.name!r}: mazes[{i}] must be a generators.Maze, got {describe(maze)}"
                )
            height, width = maze.shape
            if height % 2 == 0 or width % 2 == 0:
                raise ValueError(
                    f"SuiteGroup {self.name!r}: mazes[{i}] has shape {maze.shape}; the env plays grids "
                    "of odd shape (2h+1, 2w+1)"
                )
        object.__setattr__(self, "mazes", tuple(mazes))
        if self.level_names is not None:
            names = tuple(self.level_names)
            if len(names) != len(mazes) or not all(isinstance(n, str) for n in names):
                raise ValueError(
                    f"SuiteGroup {self.name!r}: level_names must be {len(mazes)} strs (one per maze), "
                    f"got {self.level_names!r:.200}"
                )
            object.__setattr__(self, "level_names", names)

    def __len__(self) -> int:
        return len(self.mazes)


def suite_manifest(name: str = "zero-shot-v0") -> dict[str, dict[str, Any]]:
    """The manifest of suite ``name``: per group, in order, its ``levels``, ``shape`` (or
    ``shapes``), ``sha256`` and its source (``env_id`` and ``set``, or its own ``file``).

    Raises:
        ValueError: an unknown suite name (naming the known ones).
    """
    name = check_choice(name, "suite name", SUITES)
    return json.loads((splits.LEVEL_SET_DIR / f"{name}.json").read_text(encoding="utf-8"))


def zero_shot_suite(name: str = "zero-shot-v0") -> tuple[SuiteGroup, ...]:
    """The groups of the frozen suite ``name`` (see the module notes), loaded once per process.

    Raises:
        ValueError: an unknown suite name (naming the known ones), or a level file whose digest
            differs from the manifest's or that does not parse.
    """
    name = check_choice(name, "suite name", SUITES)
    return _load_suite(name, str(splits.LEVEL_SET_DIR))


@functools.lru_cache(maxsize=4)
def _load_suite(name: str, directory: str) -> tuple[SuiteGroup, ...]:
    manifest = suite_manifest(name)
    texts: dict[str, tuple[str, str]] = {}  # group: (level strings, source)
    for group, entry in manifest.items():  # every digest first: refuse a changed file before parsing
        if "env_id" in entry:
            text = splits.read_level_set_text(entry["env_id"], entry["set"])
            source = str(splits.level_set_path(entry["env_id"], entry["set"]))
        else:
            path = Path(directory) / entry["file"]
            text, source = _read_gzip(path), str(path)
        digest = splits.level_set_digest(text)
        if digest != entry["sha256"]:
            raise ValueError(
                f"{source} has sha256 {digest}, suite {name!r} (group {group!r}) says {entry['sha256']}: "
                "a shipped suite is frozen; make a new version instead of editing one"
            )
        texts[group] = (text, source)
    groups = []
    for group, entry in manifest.items():
        mazes = levels_from_text(*texts[group])
        if len(mazes) != entry["levels"]:
            raise ValueError(
                f"{texts[group][1]} holds {len(mazes)} levels, suite {name!r} says {entry['levels']}"
            )
        names = entry.get("names")
        groups.append(SuiteGroup(group, tuple(mazes), tuple(names) if names is not None else None))
    return tuple(groups)


def _read_gzip(path: Path) -> str:
    try:
        return gzip.decompress(path.read_bytes()).decode("utf-8")
    except (OSError, EOFError, UnicodeDecodeError) as err:
        raise ValueError(f"{path} is not a gzip-compressed UTF-8 level file: {err}") from None


# --------------------------------------------------------------------- statistics
def wilson_interval(successes: int, trials: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of a success rate ``successes / trials`` (95% by default).

    ``(p + z²/2n ± z sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n)``: unlike the normal approximation it
    stays inside ``[0, 1]`` and is not empty at 0 or ``n`` successes. ``z``: a finite number ``> 0``.
    """
    z = check_real(z, "z", 0.0, math.inf, low_open=True, high_open=True)
    n = check_int(trials, "trials")
    k = check_int(successes, "successes", minimum=0)
    if k > n:
        raise ValueError(f"successes must be <= trials = {n}, got {k}")
    return wilson_score(k / n, n, z)


def _values(values: object) -> np.ndarray:
    """``values`` as ``float64[n]``, or a ValueError naming its dtype or shape: a 2-D array such
    as ``[levels, episodes]`` is refused, not flattened into ``levels * episodes`` samples."""
    array = np.asarray(values)
    if array.dtype.kind not in "biuf":
        raise ValueError(f"values must be real numbers float64[n], got dtype {array.dtype}")
    if array.ndim != 1:
        raise ValueError(f"values must be float64[n], one value per level, got shape {array.shape}")
    return array.astype(np.float64)


def mean_interval(values: np.ndarray, z: float = Z95) -> tuple[float, float]:
    """The normal-approximation interval ``mean ± z s / sqrt(n)`` of ``values: float[n]`` in
    ``[0, 1]`` (rates, such as each level's SPL; ``s`` the sample standard deviation), clipped to
    ``[0, 1]``; ``(nan, nan)`` for ``n < 2``. ``z``: a finite number ``> 0``.

    Raises:
        ValueError: ``values`` is not 1-D, or holds NaN, an infinity or a number outside ``[0, 1]``
            (naming the first and its index).
    """
    z = check_real(z, "z", 0.0, math.inf, low_open=True, high_open=True)
    values = _values(values)
    bad = np.flatnonzero(~((values >= 0) & (values <= 1)))  # NaN fails both comparisons
    if bad.size:
        raise ValueError(f"values must be numbers in [0, 1], got {values[bad[0]]} at index {int(bad[0])}")
    if len(values) < 2:
        return (math.nan, math.nan)
    mean = float(values.mean())
    half = z * float(values.std(ddof=1)) / math.sqrt(len(values))
    return max(0.0, mean - half), min(1.0, mean + half)


def cvar(values: np.ndarray, alpha: float = CVAR_ALPHA) -> float:
    """The conditional value at risk: the mean of the worst (smallest) ``ceil(alpha n)`` of
    ``values: float[n]`` (not NaN), at least one; ``alpha`` in ``(0, 1]``."""
    alpha = check_real(alpha, "alpha", 0.0, 1.0, low_open=True)
    values = _values(values)
    if len(values) == 0:
        raise ValueError("cvar needs at least one value, got none")
    if np.isnan(values).any():  # a NaN would sort last and drop out of the worst share unseen
        raise ValueError(
            f"values must be numbers, got nan at index {int(np.flatnonzero(np.isnan(values))[0])}"
        )
    count = max(1, math.ceil(alpha * len(values) - 1e-9))  # 1e-9: 0.1 * 30 is 3.0000000000000004
    return float(np.sort(values)[:count].mean())


# --------------------------------------------------------------------- results
@dataclass(frozen=True, eq=False)
class GroupResult:
    """What a policy did on one group's levels (or on all of them: ``name == "all"``).

    Attributes:
        name: the group's name.
        success: ``bool[levels, episodes_per_level]``, whether each episode reached the goal.
        length: ``int64[levels, episodes_per_level]``, each episode's steps (the time limit where
            it did not reach the goal).
        optimal: ``int64[levels]``, each level's shortest path (``info["optimal_path_length"]``).
        level_names: the group's level names, or ``None``.
    """

    name: str
    success: np.ndarray
    length: np.ndarray
    optimal: np.ndarray
    level_names: tuple[str, ...] | None = field(default=None)

    def __post_init__(self) -> None:
        for name in ("success", "length", "optimal"):
            value = np.array(getattr(self, name), copy=True)
            value.setflags(write=False)  # a result is a record: frozen like the dataclass
            object.__setattr__(self, name, value)
        if self.success.ndim != 2 or self.length.shape != self.success.shape:
            raise ValueError(
                f"success and length must be [levels, episodes_per_level] arrays of one shape, "
                f"got {self.success.shape} and {self.length.shape}"
            )
        if self.optimal.shape != self.success.shape[:1]:
            raise ValueError(f"optimal must be [levels] = {self.success.shape[:1]}, got {self.optimal.shape}")

    @property
    def levels(self) -> int:
        return int(self.success.shape[0])

    @property
    def episodes(self) -> int:
        return int(self.success.size)

    @property
    def episode_spl(self) -> np.ndarray:
        """``float64[levels, episodes_per_level]``: ``success * optimal / max(length, optimal)``."""
        optimal = self.optimal[:, None].astype(np.float64)
        return self.success * optimal / np.maximum(self.length, optimal)

    @property
    def level_success(self) -> np.ndarray:
        """``float64[levels]``: each level's success rate over its episodes."""
        return self.success.mean(axis=1)

    @property
    def level_spl(self) -> np.ndarray:
        """``float64[levels]``: each level's mean SPL over its episodes."""
        return self.episode_spl.mean(axis=1)

    @property
    def success_rate(self) -> float:
        return float(self.success.mean())

    @property
    def success_ci(self) -> tuple[float, float]:
        """The 95% Wilson interval of the success rate, over levels: each level counts as one
        trial at its success rate over its episodes (episodes of one level are not independent
        draws: a policy that solves a level tends to solve it every time). With one episode a
        level this is the plain Wilson interval of the episodes; with more it is exact where a
        level's episodes agree and conservative (wider) where they do not."""
        return wilson_score(self.success_rate, self.levels, Z95)

    @property
    def spl(self) -> float:
        return float(self.episode_spl.mean())

    @property
    def spl_ci(self) -> tuple[float, float]:
        """The 95% normal-approximation interval of the mean SPL, over levels (each level's mean
        over its episodes is one sample: episodes of one level are not independent draws)."""
        return mean_interval(self.level_spl)

    @property
    def cvar(self) -> float:
        """CVaR at 10% of per-level success: the mean success rate of the worst 10% of levels
        (``ceil(0.1 levels)``, at least one)."""
        return cvar(self.level_success, CVAR_ALPHA)

    def row(self) -> dict[str, Any]:
        """The summary as a flat dict (one table row)."""
        success_lo, success_hi = self.success_ci
        spl_lo, spl_hi = self.spl_ci
        return {
            "group": self.name,
            "levels": self.levels,
            "episodes": self.episodes,
            "success": self.success_rate,
            "success_lo": success_lo,
            "success_hi": success_hi,
            "spl": self.spl,
            "spl_lo": spl_lo,
            "spl_hi": spl_hi,
            "cvar10_success": self.cvar,
        }


@dataclass(frozen=True, eq=False)
class SuiteResult:
    """What a policy did on a suite: one `GroupResult` per group and ``overall`` for all levels.

    ``result["named"]`` is a group's result; `to_rows` and `markdown` make a table.
    """

    groups: tuple[GroupResult, ...]
    overall: GroupResult

    def __getitem__(self, name: str) -> GroupResult:
        for group in (*self.groups, self.overall):
            if group.name == name:
                return group
        known = [g.name for g in self.groups]
        raise KeyError(f"no group {name!r} in this result; groups are {known} and 'all'")

    def to_rows(self) -> list[dict[str, Any]]:
        """One `GroupResult.row` per group, then the row ``"all"``."""
        return [group.row() for group in (*self.groups, self.overall)]

    def markdown(self) -> str:
        """The rows as a markdown table: success and SPL with their 95% intervals."""

        def cell(value: float, lo: float, hi: float) -> str:
            return f"{value:.3f} [{lo:.3f}, {hi:.3f}]"

        lines = [
            "| group | levels | episodes | success [95% Wilson] | SPL [95% normal] | CVaR 10% success |",
            "|---|---:|---:|---|---|---:|",
        ]
        for row in self.to_rows():
            lines.append(
                f"| {row['group']} | {row['levels']} | {row['episodes']} "
                f"| {cell(row['success'], row['success_lo'], row['success_hi'])} "
                f"| {cell(row['spl'], row['spl_lo'], row['spl_hi'])} | {row['cvar10_success']:.3f} |"
            )
        return "\n".join(lines)


# --------------------------------------------------------------------- the evaluator
class RandomPolicy:
    """Uniform random actions from its own ``np.random.default_rng(seed)``: a reference row."""

    def __init__(self, seed: int = 0) -> None:
        self.seed = check_int(seed, "seed", minimum=0)
        self.rng = np.random.default_rng(self.seed)

    def __call__(self, obs: np.ndarray, prev_action: np.ndarray) -> np.ndarray:
        return self.rng.integers(4, size=len(prev_action), dtype=np.int64)

    def __repr__(self) -> str:
        return f"RandomPolicy(seed={self.seed})"


def random_policy(seed: int = 0) -> RandomPolicy:
    """A policy of uniform random actions, seeded: the same seed gives the same evaluation."""
    return RandomPolicy(seed)


def evaluate_suite(
    policy: Policy,
    groups: Sequence[SuiteGroup] | str | None = None,
    *,
    obs_mode: str = "egocentric",
    view_size: int | None = None,
    episodes_per_level: int = 1,
    seed: int = 0,
    max_envs: int = 256,
) -> SuiteResult:
    """Play every level of ``groups`` ``episodes_per_level`` times with ``policy``.

    Levels of one grid shape play together in one `MazeVectorEnv` of at most ``max_envs``
    sub-envs, with that shape's time limit (``4 h w`` steps for ``h x w`` cells, as every
    registered id). Each sub-env plays a level given by ``reset(options={"level": ...})``; when
    its episode ends (goal reached: success; time limit: failure) it is reset onto the next
    level waiting, so every episode is a level's first episode in a fresh start.

    Args:
        policy: ``policy(obs, prev_action) -> actions``, batched: ``obs`` is the vector env's
            observation (``num_envs`` first), ``prev_action`` ``int64[num_envs]`` each sub-env's
            previous action, ``-1`` at an episode's first step; it returns ``int[num_envs]``
            actions in ``[0, 4)`` (0 up, 1 right, 2 down, 3 left). Once no level is waiting,
            idle sub-envs replay a finished level and their actions are ignored.
        groups: the groups to play; ``None`` plays `zero_shot_suite`, a str the suite of that name.
        obs_mode: the env's observation (``"egocentric"``, ``"grid"`` or ``"rgb"``).
        view_size: the egocentric view's side (``None``: 5); ``"egocentric"`` only, refused
            with another ``obs_mode``.
        episodes_per_level: episodes per level (an int >= 1); more only help a stochastic policy.
        seed: the vector envs' reset seed. A given level plays the same under any seed, so
            seed a stochastic policy itself (as `random_policy` does).
        max_envs: the most sub-envs in one vector env.

    Returns:
        A `SuiteResult`, its groups in the order given.

    Raises:
        ValueError: an unknown suite name, groups that are empty or share a name, an
            unsolvable level, a bad ``episodes_per_level``, ``max_envs`` or ``seed``, a
            ``view_size`` with an ``obs_mode`` other than ``"egocentric"``, or a policy
            that returns actions of the wrong shape, dtype or range (each naming the value).
    """
    if not callable(policy):
        raise TypeError(f"policy must be callable as policy(obs, prev_action), got {describe(policy)}")
    episodes = check_int(episodes_per_level, "episodes_per_level")
    max_envs = check_int(max_envs, "max_envs")
    seed = check_int(seed, "seed", minimum=0)
    if view_size is not None and obs_mode != "egocentric":
        raise ValueError(
            f"view_size has no effect with obs_mode={obs_mode!r}, got view_size={view_size!r}; "
            "it sets the egocentric view's side (obs_mode='egocentric')"
        )
    groups = _check_groups(groups)

    # Every episode to play, grouped by grid shape: (group index, level index).
    by_shape: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for g, group in enumerate(groups):
        for level, maze in enumerate(group.mazes):
            by_shape.setdefault(maze.shape, []).append((g, level))
    success = [np.zeros((len(group), episodes), dtype=bool) for group in groups]
    length = [np.zeros((len(group), episodes), dtype=np.int64) for group in groups]
    optimal = [np.zeros(len(group), dtype=np.int64) for group in groups]
    for shape, levels in by_shape.items():
        mazes = [groups[g].mazes[level] for g, level in levels]
        bfs = _optimal_lengths(mazes)
        for (g, level), steps in zip(levels, bfs.tolist(), strict=True):
            if steps < 0:
                raise ValueError(
                    f"group {groups[g].name!r} level {level} is unsolvable: no path from "
                    f"{groups[g].mazes[level].start} to {groups[g].mazes[level].goal}"
                )
            optimal[g][level] = steps
        won, steps = _play(policy, shape, [m for m in mazes for _ in range(episodes)], obs_mode, view_size,
                           seed, max_envs)  # fmt: skip
        won, steps = won.reshape(-1, episodes), steps.reshape(-1, episodes)
        for k, (g, level) in enumerate(levels):
            success[g][level], length[g][level] = won[k], steps[k]

    results = tuple(
        GroupResult(group.name, success[g], length[g], optimal[g], group.level_names)
        for g, group in enumerate(groups)
    )
    overall = GroupResult(
        "all",
        np.concatenate([r.success for r in results]),
        np.concatenate([r.length for r in results]),
        np.concatenate([r.optimal for r in results]),
    )
    return SuiteResult(results, overall)


def _check_groups(groups: object) -> tuple[SuiteGroup, ...]:
    if groups is None:
        return zero_shot_suite()
    if isinstance(groups, str):
        return zero_shot_suite(groups)
    if isinstance(groups, SuiteGroup):
        groups = (groups,)
    if not isinstance(groups, Sequence) or not groups:
        raise ValueError(f"groups must be a non-empty sequence of SuiteGroup, a suite name or None, "
                         f"got {describe(groups)}")  # fmt: skip
    for i, group in enumerate(groups):
        if not isinstance(group, SuiteGroup):
            raise TypeError(f"groups[{i}] must be a SuiteGroup, got {describe(group)}")
    names = [group.name for group in groups]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ValueError(f"group names must be unique, got {twice} more than once")
    return tuple(groups)


def _optimal_lengths(mazes: list[Maze]) -> np.ndarray:
    """``int64[B]``: each maze's BFS path length (``-1``: unsolvable), the env's own check."""
    walls = np.stack([m.walls for m in mazes])
    start = np.array([m.start for m in mazes], dtype=np.int64)
    goal = np.array([m.goal for m in mazes], dtype=np.int64)
    return shortest_path_lengths(walls, start, goal)


def _play(
    policy: Policy,
    shape: tuple[int, int],
    mazes: list[Maze],
    obs_mode: str,
    view_size: int | None,
    seed: int,
    max_envs: int,
) -> tuple[np.ndarray, np.ndarray]:
    """One episode on each of ``mazes`` (all of grid ``shape``): ``bool[N]`` success and
    ``int64[N]`` steps, in the order given."""
    total = len(mazes)
    n = min(max_envs, total)
    height, width = shape
    env = MazeVectorEnv(
        n,
        generator_kwargs={"size": ((height - 1) // 2, (width - 1) // 2)},
        obs_mode=obs_mode,
        view_size=view_size,
        max_episode_steps=step_budget(shape),
    )
    won = np.zeros(total, dtype=bool)
    steps_taken = np.zeros(total, dtype=np.int64)
    job = np.arange(n)  # the episode each sub-env plays; -1: none left, replaying a finished one
    obs, _ = env.reset(seed=seed, options={"level": mazes[:n]})
    waiting = n  # the next episode to hand out
    remaining = total
    steps = np.zeros(n, dtype=np.int64)
    prev = np.full(n, -1, dtype=np.int64)
    try:
        while remaining:
            actions = _check_policy_actions(policy(obs, prev.copy()), n)
            obs, _, terminated, truncated, _ = env.step(actions)
            steps += 1
            prev = actions
            done = terminated | truncated
            finished = np.flatnonzero(done & (job >= 0))
            won[job[finished]] = terminated[finished]
            steps_taken[job[finished]] = steps[finished]
            remaining -= len(finished)
            job[finished] = -1
            ended = np.flatnonzero(done)
            if remaining and ended.size:
                # Every ended sub-env is given a level (the next waiting one, else a replay of
                # the first), so the env never draws a maze of its own.
                levels = []
                for i in ended.tolist():
                    if waiting < total:
                        job[i] = waiting
                        levels.append(mazes[waiting])
                        waiting += 1
                    else:
                        levels.append(mazes[0])
                mask = np.zeros(n, dtype=bool)
                mask[ended] = True
                obs, _ = env.reset(options={"reset_mask": mask, "level": levels})
                steps[ended] = 0
                prev[ended] = -1
    finally:
        env.close()
    return won, steps_taken


def _check_policy_actions(actions: object, n: int) -> np.ndarray:
    try:
        a = np.asarray(actions)
    except (TypeError, ValueError):
        raise ValueError(
            f"policy must return int actions of shape ({n},) in [0, 4), got {actions!r:.80}"
        ) from None
    if a.shape != (n,) or a.dtype.kind not in "iu":
        raise ValueError(
            f"policy must return int actions of shape ({n},) in [0, 4), got {a.dtype} of shape {a.shape}"
        )
    if n and (a.min() < 0 or a.max() > 3):
        bad = np.flatnonzero((a < 0) | (a > 3))
        raise ValueError(
            f"policy must return actions in [0, 4), got {a[bad[:5]].tolist()} at sub-envs {bad[:5].tolist()}"
        )
    return a.astype(np.int64)


__all__ = [
    "SUITES",
    "GroupResult",
    "RandomPolicy",
    "SuiteGroup",
    "SuiteResult",
    "cvar",
    "evaluate_suite",
    "mean_interval",
    "random_policy",
    "suite_manifest",
    "wilson_interval",
    "zero_shot_suite",
]
