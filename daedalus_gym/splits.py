"""Procgen-style level splits: train on a range of level seeds, evaluate on mazes outside it.

A *level* is a reset seed: ``MazeEnv.reset(seed=s)`` serves a maze that depends on ``s`` alone.
As in Procgen (Cobbe et al., 2020), training plays the ``num_levels`` levels
``[start_level, start_level + num_levels)`` (`TrainLevels` draws one uniformly per episode), and
generalisation is measured on levels outside that range. Two different seeds can draw the same
maze (small grids have few of them), so a split by seed alone could leak training mazes into
evaluation: `HeldOut` also rejects every maze whose `Maze.maze_hash` a training level serves.

Cost: building a `HeldOut` resets the env once per training level (one maze generation and one
BFS each), e.g. about 0.3 s per 1000 levels of 7x7 cells.

`LevelSet` is the same idea as env arguments (``gym.make(id, num_levels=N, start_level=S)``,
``levels="held-out"``, ``levels="eval"``), disjoint by maze *content up to symmetry*: a held-out
level is never a rotation or reflection of a training level (`generators.symmetry`). The shipped
evaluation sets (`load_level_set`) are level files in ``daedalus_gym/level_sets/``; see
``docs/level-sets.md``.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from daedalus_gym.core import (
    EVAL_SETS,
    HELD_OUT_SPAN,
    HELD_OUT_START,
    LEVEL_OPTIONS,
    Settings,
    check_int,
    check_options,
    check_seed,
    describe,
    given_level,
    level_mazes,
)
from generators import Generator, Maze, make_generator
from generators.level_files import levels_from_text, levels_to_text
from generators.shortest_paths import shortest_path_lengths
from generators.symmetry import canonical_hashes


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
        if self.start_level + self.num_levels > HELD_OUT_START:
            raise ValueError(
                f"start_level + num_levels must be <= 2**31 = {HELD_OUT_START} (held-out and evaluation "
                f"level seeds start there), got {self.start_level} + {self.num_levels}"
            )

    @classmethod
    def parse(cls, text: str) -> LevelRange:
        """``"START:NUM"`` -> ``LevelRange(START, NUM)``."""
        start, sep, num = text.partition(":")
        try:
            if not sep:
                raise ValueError
            start_level, num_levels = int(start), int(num)
        except ValueError:
            raise ValueError(
                f"levels must be START:NUM with ints START >= 0, NUM >= 1, got {text!r}"
            ) from None
        return cls(start_level, num_levels)

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
        if not isinstance(levels, LevelRange):
            raise TypeError(f"levels must be a LevelRange(start_level, num_levels), got {describe(levels)}")
        super().__init__(env)
        self.levels = levels
        self._rng = np.random.default_rng()

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        """A level drawn from ``levels``; a level given in ``options`` is played as it is (no
        draw, ``info["level_seed"] = -1``, as `MazeEnv` reports it)."""
        seed = check_seed(seed)
        if seed is not None:
            self._rng = np.random.default_rng(seed)
        if options and given_level(check_options(options, LEVEL_OPTIONS)) is not None:
            obs, info = self.env.reset(options=options)
            info["level_seed"] = -1
            return obs, info
        level = self.levels.start_level + int(self._rng.integers(self.levels.num_levels))
        obs, info = self.env.reset(seed=level, options=options)
        info["level_seed"] = level
        return obs, info


def _check_seed_env(env: gym.Env | str) -> None:
    """Refuse an env whose ``reset(seed=s)`` does not serve level ``s``: one that draws its levels
    from a level set (``num_levels``, ``levels=...``, or a `TrainLevels` wrapper), where the seed
    only seeds that draw."""
    if isinstance(env, str):
        return
    layer = env
    while isinstance(layer, gym.Wrapper):
        if isinstance(layer, TrainLevels):
            raise ValueError(
                "env is wrapped in TrainLevels: its reset(seed=s) plays a level drawn from "
                f"{layer.levels}, not level s; pass the env id or the env it wraps"
            )
        layer = layer.env
    level_set = getattr(env.unwrapped, "level_set", None)
    if level_set is not None:
        raise ValueError(
            f"env draws its levels from a level set (levels={level_set.kind!r}): its reset(seed=s) "
            "plays a level drawn from that set, not level s; pass the env id or an env made without "
            "num_levels and levels"
        )


def level_hashes(env: gym.Env | str, seeds: Iterable[int]) -> frozenset[str]:
    """The `Maze.maze_hash` of the maze each seed serves (``env`` is an env or an id; an env that
    draws its levels from a level set is refused, its seeds do not name levels)."""
    _check_seed_env(env)
    own = isinstance(env, str)
    env = gym.make(env) if isinstance(env, str) else env
    try:
        checked = [check_int(seed, f"seeds[{i}]", minimum=0) for i, seed in enumerate(seeds)]
        return frozenset(env.reset(seed=seed)[1]["maze_hash"] for seed in checked)
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
    _check_seed_env(env)
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


# --------------------------------------------------------------------- level sets as env arguments
LEVEL_SET_DIR = Path(__file__).parent / "level_sets"
# The shipped evaluation sets hold no level that training levels [0, EVAL_TRAIN_LEVELS) serve,
# up to symmetry: train with start_level + num_levels <= this and the evaluation is clean.
EVAL_TRAIN_LEVELS = 10_000
# Training mazes kept in memory at most (squares: levels x H x W), about 32 MB of walls.
CACHE_SQUARES = 2**25
# Held-out draws in a row that may land on training levels before giving up.
HELD_OUT_TRIES = 1000
_CHUNK = 4096


def _version(name: str) -> str:
    """The version a set name means: ``"eval"`` is the newest."""
    version = EVAL_SETS[-1] if name == "eval" else name
    if version not in EVAL_SETS:
        raise ValueError(f"level set name must be 'eval' or one of {list(EVAL_SETS)}, got {name!r}")
    return version


def level_set_path(env_id: str, name: str = "eval") -> Path:
    """The level file of the shipped set ``name`` (``"eval"`` or a version, e.g. ``"eval-v1"``).

    A version whose levels for ``env_id`` are an earlier version's, level for level, ships no
    file of its own: its manifest names the earlier file (``"file"``), and this is that file.
    """
    version = _version(name)
    entry = level_set_manifest(version).get(env_id, {})
    return LEVEL_SET_DIR / entry.get("file", f"{env_id}.{version}.txt.gz")


def shipped_level_sets(name: str = "eval") -> list[str]:
    """The env ids that have a shipped set ``name``."""
    return sorted(level_set_manifest(name))


def read_level_set_text(env_id: str, name: str = "eval") -> str:
    """The level strings of a shipped set (uncompressed); its `level_set_digest` is of this text."""
    path = level_set_path(env_id, name)
    if not path.is_file():
        raise ValueError(
            f"no level set {name!r} for {env_id!r}; shipped sets exist for {shipped_level_sets(name)}"
        )
    try:
        return gzip.decompress(path.read_bytes()).decode("utf-8")
    except (OSError, EOFError, UnicodeDecodeError) as err:
        raise ValueError(f"{path} is not a gzip-compressed UTF-8 level file: {err}") from None


def load_level_set(env_id: str, name: str = "eval") -> list[Maze]:
    """The mazes of a shipped evaluation set, e.g. ``load_level_set("Daedalus-Backtracker-v0")``.

    Raises:
        ValueError: an unknown id or set name (naming the ids with a set), or a level file that
            does not parse or holds an unsolvable maze (naming the file, level and line).
    """
    if not isinstance(env_id, str):
        raise TypeError(f"env_id must be a str, got {type(env_id).__name__}")
    path = level_set_path(env_id, name)
    text = read_level_set_text(env_id, name)
    expected = level_set_manifest(name).get(env_id, {}).get("sha256")
    if level_set_digest(text) != expected:
        raise ValueError(
            f"{path} has sha256 {level_set_digest(text)}, its manifest says {expected}: "
            "a shipped level set is frozen; make a new version instead of editing one"
        )
    return levels_from_text(text, str(path))


def level_set_manifest(name: str = "eval") -> dict[str, dict[str, Any]]:
    """The manifest of the shipped sets ``name``: per id its ``levels``, ``shape``, ``sha256``,
    the level seeds it was drawn from (``first_seed``, ``last_seed``) and, where an earlier
    version's file holds the same levels, that ``file``."""
    path = LEVEL_SET_DIR / f"{_version(name)}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def level_set_digest(text: str) -> str:
    """The sha256 of a level set's text (its uncompressed level strings): the digest in the docs."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def env_id_of(generator: Generator) -> str | None:
    """The registered id that serves ``generator``'s name at its size, or ``None``."""
    from daedalus_gym.registration import env_specs

    height, width = generator.shape
    cells = ((height - 1) // 2, (width - 1) // 2)
    for spec in env_specs():
        kwargs = spec["kwargs"]
        size = kwargs["default_generator_kwargs"]["size"]
        if kwargs["generator"] == generator.name and cells == (size, size):
            return spec["id"]
    return None


# Generator settings that change how fast mazes come, not which: a shipped set stands for them all.
_SPEED_ONLY = frozenset({"batch_size"})


def check_set_generator(generator: Generator, env_id: str, name: str) -> None:
    """Refuse a generator whose settings differ from what ``env_id`` serves: the shipped set
    ``name`` holds that id's levels, not this generator's."""
    from daedalus_gym.registration import env_specs

    kwargs = next(spec["kwargs"] for spec in env_specs() if spec["id"] == env_id)
    reference = make_generator(kwargs["generator"], **kwargs["default_generator_kwargs"]).config()
    config = generator.config()
    keys = (set(reference) | set(config)) - _SPEED_ONLY
    differ = sorted(k for k in keys if reference.get(k) != config.get(k))
    if differ:
        got = ", ".join(f"{k}={config.get(k)!r}" for k in differ)
        held = ", ".join(f"{k}={reference.get(k)!r}" for k in differ)
        raise ValueError(
            f"levels={name!r} plays the shipped levels of {env_id}, drawn with its own generator "
            f"settings ({held}); this env's generator has {got}. Drop those generator settings, or "
            "draw a held-out set of your own with levels='held-out'"
        )


def training_hashes(generator: Generator, train: LevelRange, max_attempts: int = 10) -> frozenset[str]:
    """The `generators.symmetry.canonical_hash` of every maze the levels ``train`` serve."""
    out: set[str] = set()
    seeds = train.seeds
    for first in range(0, len(seeds), _CHUNK):
        walls, start, goal, _ = level_mazes(generator, seeds[first : first + _CHUNK], max_attempts)
        out.update(canonical_hashes(walls, start, goal).tolist())
    return frozenset(out)


def make_eval_set(
    generator: Generator, n: int, train: LevelRange | None = None, max_attempts: int = 10
) -> tuple[list[Maze], list[int]]:
    """``n`` held-out levels, distinct up to symmetry, and their level seeds.

    Seeds count up from ``2**31`` (`daedalus_gym.core.HELD_OUT_START`); a seed is kept when its
    maze, up to symmetry, is neither a level of ``train`` (default: levels
    ``[0, EVAL_TRAIN_LEVELS)``) nor a level already kept. At most ``100 * n`` seeds are tried.
    """
    n = check_int(n, "n")
    train = LevelRange(0, EVAL_TRAIN_LEVELS) if train is None else train
    seen = set(training_hashes(generator, train, max_attempts))
    mazes: list[Maze] = []
    seeds: list[int] = []
    tried = 0
    while len(mazes) < n and tried < 100 * n:
        batch = range(HELD_OUT_START + tried, HELD_OUT_START + tried + min(_CHUNK, 100 * n - tried))
        tried += len(batch)
        walls, start, goal, _ = level_mazes(generator, batch, max_attempts)
        for i, digest in enumerate(canonical_hashes(walls, start, goal).tolist()):
            if digest not in seen and len(mazes) < n:
                seen.add(digest)
                mazes.append(Maze(walls[i], tuple(start[i].tolist()), tuple(goal[i].tolist())))
                seeds.append(batch[i])
    if len(mazes) < n:
        raise RuntimeError(f"found {len(mazes)} of {n} distinct held-out levels in {tried} seeds")
    return mazes, seeds


def write_level_set(path: Path, mazes: list[Maze]) -> str:
    """Write ``mazes`` as gzip-compressed level strings (reproducible bytes); their digest."""
    text = levels_to_text(mazes)
    path.write_bytes(gzip.compress(text.encode("utf-8"), mtime=0))
    return level_set_digest(text)


class LevelSet:
    """The levels an env plays: built from `MazeEnv`'s ``levels``, ``num_levels``, ``start_level``.

    A level is an int: a level seed for ``"train"`` and ``"held-out"`` (level seed ``s`` plays
    the maze ``MazeEnv.reset(seed=s)`` serves, see `daedalus_gym.core.level_mazes`), an index
    into the shipped set for ``"eval-vN"``. `draw` picks levels from an env's rng (one uniform
    float each, so a batch draw equals the same number of single draws); `serve` gives their
    mazes in batches, and ``keep`` marks the held-out draws that are no training level.
    """

    def __init__(self, settings: Settings) -> None:
        gen = settings.generator
        self.generator = gen
        self.kind = settings.levels
        self.max_attempts = settings.max_attempts
        self.train = LevelRange(settings.start_level, settings.num_levels) if settings.num_levels else None
        self.shape = tuple(gen.shape)
        self._train_hashes: frozenset[str] = frozenset()
        self._filled: np.ndarray | None = None  # which levels' mazes are kept; None: none kept
        height, width = self.shape
        if self.kind in EVAL_SETS:
            env_id = env_id_of(gen)
            if env_id is None:
                raise ValueError(
                    f"levels={self.kind!r} plays a shipped set, which exists for the registered ids "
                    f"{shipped_level_sets(self.kind)}; generator {gen!r} is none of them"
                )
            check_set_generator(gen, env_id, self.kind)
            mazes = load_level_set(env_id, self.kind)
            self.count = len(mazes)
            self._walls = np.stack([m.walls for m in mazes])
            self._start = np.array([m.start for m in mazes], dtype=np.int64)
            self._goal = np.array([m.goal for m in mazes], dtype=np.int64)
            self._length = shortest_path_lengths(self._walls, self._start, self._goal)
            self._filled = np.ones(self.count, dtype=bool)
            if self._walls.shape[1:] != self.shape:
                raise ValueError(
                    f"level set {env_id}.{self.kind} holds {self._walls.shape[1:]} grids, "
                    f"this env plays {self.shape}"
                )
            return
        assert self.train is not None
        if self.kind == "held-out":
            self.count = HELD_OUT_SPAN
            self._train_hashes = training_hashes(gen, self.train, self.max_attempts)
            return
        self.count = self.train.num_levels
        if self.count * height * width <= CACHE_SQUARES:  # filled as levels are first drawn
            self._walls = np.zeros((self.count, height, width), dtype=bool)
            self._start = np.zeros((self.count, 2), dtype=np.int64)
            self._goal = np.zeros((self.count, 2), dtype=np.int64)
            self._length = np.zeros(self.count, dtype=np.int64)
            self._filled = np.zeros(self.count, dtype=bool)

    @classmethod
    def of(cls, settings: Settings) -> LevelSet | None:
        """The env's level set, or ``None`` for unlimited levels (the default)."""
        if settings.levels == "train" and settings.num_levels == 0:
            return None
        return cls(settings)

    @property
    def first(self) -> int:
        if self.kind == "held-out":
            return HELD_OUT_START
        return self.train.start_level if self.train is not None else 0

    def draw(self, rng: np.random.Generator, count: int) -> np.ndarray:
        """``int64[count]`` levels drawn uniformly from ``rng``."""
        return self.first + np.floor(rng.random(count) * self.count).astype(np.int64)

    def serve(self, levels: np.ndarray) -> tuple[np.ndarray, ...]:
        """The mazes of ``levels``: ``walls``, ``start``, ``goal``, ``length`` and ``keep``
        (``bool[B]``: ``False`` for a held-out draw that is a training level up to symmetry)."""
        index = np.asarray(levels, dtype=np.int64) - self.first
        if self._filled is None:
            walls, start, goal, length = level_mazes(self.generator, levels.tolist(), self.max_attempts)
            keep = np.ones(len(levels), dtype=bool)
            if self.kind == "held-out":
                hashes = canonical_hashes(walls, start, goal).tolist()
                keep = np.array([h not in self._train_hashes for h in hashes], dtype=bool)
            return walls, start, goal, length, keep
        missing = np.unique(index[~self._filled[index]])
        if missing.size:
            w, s, g, n = level_mazes(self.generator, (missing + self.first).tolist(), self.max_attempts)
            self._walls[missing], self._start[missing], self._goal[missing] = w, s, g
            self._length[missing] = n
            self._filled[missing] = True
        keep = np.ones(len(index), dtype=bool)
        return self._walls[index], self._start[index], self._goal[index], self._length[index], keep

    def allows(self, maze: Maze) -> bool:
        """Whether ``maze`` may be played as a held-out level: no training level up to symmetry."""
        digest = canonical_hashes(maze.walls[None], np.array([maze.start]), np.array([maze.goal]))[0]
        return digest not in self._train_hashes

    def rejection_error(self) -> RuntimeError:
        return RuntimeError(
            f"levels='held-out' drew {HELD_OUT_TRIES} training levels in a row: the training levels "
            f"({self.train}) cover almost every maze {self.generator!r} makes; lower num_levels"
        )

    def serve_one(self, rng: np.random.Generator) -> tuple[Maze, int, int]:
        """One level for a single env: ``(maze, path length, level)``."""
        for _ in range(HELD_OUT_TRIES):
            level = self.draw(rng, 1)
            walls, start, goal, length, keep = self.serve(level)
            if keep[0]:
                maze = Maze(walls[0], tuple(start[0].tolist()), tuple(goal[0].tolist()))
                return maze, int(length[0]), int(level[0])
        raise self.rejection_error()
