"""Difficulty control: mazes whose path length and dead ends are asked for, from any generator.

``make_generator(name, target={"path_length": L, "dead_ends": f})`` or
``make_generator(name, difficulty=d)`` wraps the named generator in a `ControlledGenerator`.

Metrics, measured on the served maze:

- ``path_length``: start-goal shortest path in steps on the wall grid (a cell step is 2 squares);
- ``dead_ends``: fraction of cells with exactly one open neighbouring cell.

Method: search in the generator's own random input, per maze.

1. Each maze gets a 53-bit seed drawn from the caller's rng (that seed is this generator's
   "noise", so it offers the `NoiseGenerator` fast path and ``generate_batch(n) == n x
   generate``); the search for that maze draws only from ``default_rng(seed)``.
2. Round 0 draws ``ROUND`` (8) candidates from the wrapped generator (its uniforms, its latent codes,
   or whole mazes where it has neither) for every maze at once, builds them in one batched call
   and measures them in batch (`generators.shortest_paths`, numpy for dead ends).
3. A maze whose best candidate is within tolerance of every target is served (the *first* such
   candidate, not the closest: taking the extreme of many candidates would narrow the mazes
   served). The others go on for up to ``MAX_ROUNDS`` rounds of 16, then 32, half fresh draws and half
   mutations of their best candidate so far: each coordinate of its noise is replaced, with
   probability ``MUTATION``, by the same coordinate of a fresh draw (an evolution step that
   keeps every coordinate's distribution, so a learned model's codes stay in its prior). After
   the last round the closest candidate is served.

For the four classical generators this is selection over their uniforms, plus mutation of the
uniforms (Wilson's walk has no uniforms vector: fresh draws only), and a maze's whole search runs
compiled (`generators._control_kernels`): its candidates are drawn from the maze's own
xoshiro256** stream, built, measured on the cell tree and compared in one pass, candidates
taken in order and the search stopped at the first hit; backtracker and Wilson abandon a
candidate as soon as its start-goal path is fixed and misses by more than the best so far.
Kruskal's and Wilson's mazes are as likely as their mirror images, so for a path-length target
each of their trees is two candidates: itself and its mirror image (whose start-goal path is the
tree's top-right to bottom-left path).
A learned depth-first AE/VAE at its model's size draws its candidates as walks
(`ControlledGenerator.search_walks`): one code per maze a round, its embeddings computed once,
and many walks over them (from the second round half of them mutants of the maze's best walk:
its code, some of its decisions' noise redrawn), each stopped as soon as it reaches the goal at
a depth that misses. With ``path_head=True``, a path-length target with the goal in the corner
draws the walks from the model's path head (`generators.path_head`, shipped for every AE and
VAE) told depths within the target's tolerance, as many of each as the model's own paths
there, so most walks land near it: 2, then 4, 8, 16 and 32 walks a round (its
mazes are the head's, which a classifier tells from the model's own at that path). At other
sizes (tiles of a model), and for any plug-in generator, it runs in Python over batches: codes
are sampled, decoded, repaired to perfect mazes by the model's own repair pass and measured in
batch (`generators.shortest_paths`); mutations move around the best codes. Every served maze is
what the wrapped generator serves for some input, so it is as perfect as the wrapped generator's
(the learned ones must use ``repair="perfect"``); a walk drawn from a path head is a maze of the
same model told its path, as perfect as the model's own.

Cost: 1 to 472 wrapped-generator mazes per served maze (1 to 414 walks steered by a path
head; a maze's search stops at its first hit, except the learned walk search's for a dead-ends
or joint target, which draws whole rounds), each measured (a BFS; none for a dead-ends target
alone in the batched search: the wrapped mazes are perfect, so solvable);
targets near the middle of the distribution are mostly met in the first round, rare ones take
more rounds.

``difficulty=d`` in [0, 1] asks for the path length at quantile ``0.05 + 0.9 d`` of the wrapped
generator's own path lengths, calibrated from ``CALIBRATION_SAMPLES`` mazes drawn with
``default_rng(CALIBRATION_SEED)`` for that generator's settings and size, once per process.
The same sample says what targets are accepted: from its minimum divided by ``1 + MARGIN`` (never
below the start-goal Manhattan distance with the goal in the corner) to its maximum times
``1 + MARGIN``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from generators.base import (
    MazeGenerator,
    NoiseGenerator,
    UniformsGenerator,
    check_count,
    check_rng,
    check_uniforms,
)
from generators.lattice import lattice
from generators.maze import cell_degrees
from generators.shortest_paths import shortest_path_lengths

METRICS = ("path_length", "dead_ends")
ROUND = 8  # candidates per maze in the first round; later rounds draw 16, then 32
STEERED_ROUND = 2  # walks per maze in the first round of a search steered by a path head: 2, 4, ..., 32
MAX_ROUNDS = 16  # at most 8 + 16 + 14 * 32 = 472 candidates per maze
MUTATION = 0.1  # chance that a mutation redraws a given noise coordinate
TOLERANCE = 0.04  # relative; a candidate this close to every target is served at once
CALIBRATION_SAMPLES = 1024
CALIBRATION_SEED = 0
CALIBRATION_CHUNK_SQUARES = 1 << 24  # wall-grid squares per calibration batch (16 MB of walls)
MARGIN = 0.15
SLOW_REFILL_BATCH = 256  # `MazeGenerator.refill_batch` of a search that is not compiled
WALK_WINDOW = 0.25  # relative: a learned walk's first-round window before any candidate is kept
_SEED_SCALE = float(2**53)
_calibrations: dict[str, Calibration] = {}


def dead_end_fraction(walls: np.ndarray) -> np.ndarray:
    """``walls: bool[B, H, W]`` -> ``float64[B]``: fraction of cells with one open neighbour cell."""
    degree = cell_degrees(walls)
    return (degree == 1).mean(axis=(1, 2))


def measure(
    generator: MazeGenerator, walls: np.ndarray, metrics: tuple[str, ...] = METRICS
) -> dict[str, np.ndarray]:
    """``walls: bool[B, H, W]`` -> ``{"path_length": int64[B], "dead_ends": float64[B]}`` (the
    ``metrics`` asked for), with the start and goal ``generator`` places in them (-1 path length
    where the goal is cut off)."""
    out = {}
    if "path_length" in metrics:
        start, goal = generator.place_batch(walls)
        out["path_length"] = shortest_path_lengths(walls, start, goal)
    if "dead_ends" in metrics:
        out["dead_ends"] = dead_end_fraction(walls)
    return out


@dataclass(frozen=True)
class Calibration:
    """The wrapped generator's uncontrolled metrics, ``float64[CALIBRATION_SAMPLES]`` each."""

    path_length: np.ndarray
    dead_ends: np.ndarray
    lowest_path: float  # no path can be shorter (start-goal Manhattan distance), 0 if unknown

    def reachable(self, metric: str) -> tuple[float, float]:
        """The targets accepted for ``metric``: the sample's range widened by ``MARGIN``."""
        sample = getattr(self, metric)
        low, high = float(sample.min()) / (1 + MARGIN), float(sample.max()) * (1 + MARGIN)
        if metric == "path_length":
            low = max(low, self.lowest_path, 1.0)
        else:
            low, high = max(low, 1e-9), min(high, 1.0)
        return low, high

    def quantile(self, metric: str, q: float) -> float:
        return float(np.quantile(getattr(self, metric), q))


def calibrate(generator: MazeGenerator) -> Calibration:
    """The uncontrolled metrics of ``generator`` (cached per settings, once per process).

    The sample is drawn and measured in batches of at most `CALIBRATION_CHUNK_SQUARES` wall
    squares (all 1,024 mazes at once at 14x14 cells, 3 at a time at 1024x1024), so the walls of
    the whole sample are never held at once.
    Successive batches from one rng are the mazes of one large batch (the generator contract,
    ``generate_batch(n) == n x generate``), so the calibration does not depend on the batching.
    """
    key = json.dumps(generator.config(), sort_keys=True, default=str)
    if key not in _calibrations:
        height, width = generator.shape
        chunk = max(1, CALIBRATION_CHUNK_SQUARES // (height * width))
        rng = np.random.default_rng(CALIBRATION_SEED)
        path_length, dead_ends = [], []
        for first in range(0, CALIBRATION_SAMPLES, chunk):
            walls = np.asarray(generator.generate_walls(min(chunk, CALIBRATION_SAMPLES - first), rng))
            m = measure(generator, walls)
            path_length.append(m["path_length"].astype(np.float64))
            dead_ends.append(m["dead_ends"].astype(np.float64))
            del walls, m  # the next batch's walls replace these, not join them
        lowest = 0.0
        if getattr(generator, "goal_mode", "corner") == "corner":
            lowest = float((height - 3) + (width - 3))
        _calibrations[key] = Calibration(np.concatenate(path_length), np.concatenate(dead_ends), lowest)
    return _calibrations[key]


def _check_target_value(metric: str, value: object, reach: tuple[float, float]) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"target {metric!r} must be a number, got {type(value).__name__} {value!r}")
    x = float(value)
    low, high = reach
    if not (math.isfinite(x) and x > 0):
        raise ValueError(f"target {metric!r} must be a finite number > 0, got {value!r}")
    if not low <= x <= high:
        raise ValueError(
            f"target {metric!r}={value!r} is outside what this generator reaches at this size: "
            f"[{low:.4g}, {high:.4g}]"
        )
    return x


def resolve_target(
    generator: MazeGenerator, target: object = None, difficulty: object = None
) -> dict[str, float]:
    """Check ``target`` or ``difficulty`` against ``generator``'s calibration; the targets to serve.

    Raises:
        ValueError: both or neither given, an unknown metric name, a value that is not a finite
            positive number, a target outside the reachable range, a difficulty outside [0, 1].
    """
    if target is not None and difficulty is not None:
        raise ValueError(
            f"give either target or difficulty, not both (got target={target!r}, difficulty={difficulty!r})"
        )
    if target is None and difficulty is None:
        raise ValueError("give target={'path_length': ..., 'dead_ends': ...} or difficulty in [0, 1]")
    cal = calibrate(generator)
    if difficulty is not None:
        if isinstance(difficulty, (bool, np.bool_)) or not isinstance(
            difficulty, (int, float, np.integer, np.floating)
        ):
            raise ValueError(
                f"difficulty must be a number in [0, 1], got {type(difficulty).__name__} {difficulty!r}"
            )
        d = float(difficulty)
        if not (math.isfinite(d) and 0.0 <= d <= 1.0):
            raise ValueError(f"difficulty must be a number in [0, 1], got {difficulty!r}")
        return {"path_length": cal.quantile("path_length", 0.05 + 0.9 * d)}
    if not isinstance(target, Mapping) or not target:
        raise ValueError(f"target must be a non-empty dict with keys from {list(METRICS)}, got {target!r}")
    unknown = [k for k in target if k not in METRICS]
    if unknown:
        raise ValueError(f"unknown target {unknown[0]!r}; accepted: {', '.join(METRICS)}")
    return {k: _check_target_value(k, target[k], cal.reachable(k)) for k in METRICS if k in target}


class ControlledGenerator(MazeGenerator):
    """Mazes from ``base`` whose metrics are close to ``target`` (see the module notes).

    Args:
        base: the generator to steer (any `MazeGenerator`; learned ones with ``repair="perfect"``).
        target: ``{"path_length": steps, "dead_ends": fraction}``, either key or both.
        difficulty: a number in [0, 1] instead of ``target``: a path-length quantile of ``base``.
        path_head: for a learned depth-first generator at its model's size, draw a
            path-length target's walks from the model's path head (`generators.path_head`; a
            `ValueError` if it has none): fewer walks per maze, but its mazes are not the
            model's own at that path length (a classifier tells them apart; docs/control.md).
            The head is told the depth of the corner goal, so it needs ``goal="corner"`` (a
            `ValueError` otherwise); a target without ``path_length`` (dead ends alone) is
            searched with the model's own walks (`steered` says which). Default False: the
            model's own walks.
    """

    def __init__(
        self, base: MazeGenerator, target: object = None, difficulty: object = None, path_head: object = False
    ) -> None:
        if not isinstance(base, MazeGenerator):
            raise TypeError(f"base must be a MazeGenerator, got {type(base).__name__}")
        if not isinstance(path_head, bool):
            raise ValueError(f"path_head must be True or False, got {path_head!r}")
        has_head = getattr(base, "path_head", None)
        if path_head is True and (has_head is None or has_head() is None):
            raise ValueError(
                f"path_head=True needs a learned dfs-decoder generator at its model's size whose model "
                f"has a path head at its decision temperature; {base.name} at {base.cells} has none "
                "(train one with `daedalus-gym train-path-head`)"
            )
        if path_head is True and base.goal_mode != "corner":
            raise ValueError(
                f"path_head=True steers a path-length target with the goal in the corner; "
                f"{base.name} has goal={base.goal_mode!r}, where the path head does not apply "
                "(use goal='corner', or path_head=False)"
            )
        repair_mode = getattr(base, "repair_mode", "perfect")
        if repair_mode != "perfect":
            raise ValueError(
                f"difficulty control serves perfect mazes only: {base.name} needs repair='perfect', "
                f"got repair={repair_mode!r}"
            )
        super().__init__(base.cells, base.goal_mode)
        self.base = base
        self.name = base.name  # type: ignore[misc]
        self.perfect = base.perfect  # type: ignore[misc]
        self.target = resolve_target(base, target, difficulty)
        self._asked: dict[str, Any] = (
            {"difficulty": float(difficulty)} if difficulty is not None else {"target": dict(self.target)}
        )
        if path_head:
            self._asked["path_head"] = True
        self.use_path_head = path_head
        if not self.compiled():  # a learned (or plugin) search: milliseconds a maze
            self.refill_batch = SLOW_REFILL_BATCH

    def config(self) -> dict[str, Any]:
        return {**self.base.config(), **self._asked}

    def steered(self) -> bool:
        """Whether this search draws its walks from the model's path head: ``path_head=True``,
        a path-length target and the goal in the corner."""
        return (
            self.use_path_head
            and "path_length" in self.target
            and self.base.goal_mode == "corner"
            and self.walks()
            and self.base.path_head() is not None  # type: ignore[attr-defined]
        )

    # ------------------------------------------------------------------ noise fast path
    def draw_noise(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """One uniform per maze, ``float64[n, 1]``: the seed of that maze's search."""
        n, rng = check_count(n), check_rng(rng)
        return rng.random((n, 1))

    def seeds_from_noise(self, noise: np.ndarray) -> np.ndarray:
        """``noise: float[B, 1]`` in ``[0, 1)`` -> the searches' seeds ``int64[B]`` (`search_seeds`)."""
        return (check_uniforms(noise, 1, "noise")[:, 0] * _SEED_SCALE).astype(np.int64)

    def walls_from_noise(self, noise: np.ndarray) -> np.ndarray:
        """``noise: float[B, 1]`` in ``[0, 1)`` -> ``walls: bool[B, H, W]``, one search per row."""
        return self.search_seeds(self.seeds_from_noise(noise))[0]

    def generate_walls(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return self.walls_from_noise(self.draw_noise(n, rng))

    # ------------------------------------------------------------------ the search
    def _draw(self, k: int, rng: np.random.Generator) -> np.ndarray | None:
        base = self.base
        if isinstance(base, UniformsGenerator):
            return rng.random((k, base.num_draws()))
        if isinstance(base, NoiseGenerator):
            return np.asarray(base.draw_noise(k, rng))
        return None

    def _build(self, noise: np.ndarray) -> np.ndarray:
        base = self.base
        if isinstance(base, UniformsGenerator):
            return np.asarray(base.walls_from_uniforms(noise))
        return np.asarray(base.walls_from_noise(noise))  # type: ignore[attr-defined]

    def _error(self, metrics: dict[str, np.ndarray]) -> np.ndarray:
        """Largest relative miss over the targets, ``float64[B]`` (inf for an unsolvable maze; the
        wrapped generators serve perfect mazes, so with no path target no BFS is needed)."""
        err = np.zeros(len(next(iter(metrics.values()))))
        for k, t in self.target.items():
            err = np.maximum(err, np.abs(metrics[k] - t) / t)
        if "path_length" in metrics:
            err[metrics["path_length"] < 0] = np.inf
        return err

    def _tolerance(self) -> float:
        # Path lengths come in steps of 2 squares and dead-end fractions in steps of one cell:
        # a target between two reachable values is met at the nearer one.
        tol = TOLERANCE
        h, w = self.cells
        if "path_length" in self.target:
            tol = max(tol, 2.0 / self.target["path_length"])
        if "dead_ends" in self.target:
            tol = max(tol, 0.5 / (h * w) / self.target["dead_ends"])
        return tol * (1 + 1e-9)

    def compiled(self) -> bool:
        """Whether this search runs compiled, one pass per maze (`generators._control_kernels`):
        true for the four classical generators themselves (not subclasses, which may change
        what a maze is), whose every step numba can run."""
        from generators.backtracker import BacktrackerGenerator
        from generators.kruskal import KruskalGenerator
        from generators.prim import PrimGenerator
        from generators.wilson import WilsonGenerator

        return type(self.base) in (BacktrackerGenerator, KruskalGenerator, PrimGenerator, WilsonGenerator)

    def search_seeds(self, seeds: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """One maze per seed, ``int64[B]``: ``walls: bool[B, H, W]``, ``error: float64[B]``
        (relative miss), ``candidates: int64[B]`` (wrapped-generator mazes built for it)."""
        if not self.compiled():
            rngs = [np.random.default_rng(int(s)) for s in seeds]
            return self.search_walks(rngs) if self.walks() else self.search(rngs)
        from generators import _control_kernels as ck
        from generators._jit import split_rows
        from generators.backtracker import _MOVE

        h, w = self.cells
        seeds = np.ascontiguousarray(seeds, dtype=np.int64)
        b = len(seeds)
        kind = ck.KINDS[self.base.name]
        targets = np.array([self.target.get(m, 1.0) for m in METRICS])
        asked = np.array([m in self.target for m in METRICS])
        edges = step = step_sq = np.zeros(0, dtype=np.int64)
        if kind == ck.KRUSKAL:
            edges = ck.kruskal_tables(lattice(h, w))
        elif kind == ck.WILSON:
            step, step_sq = ck.wilson_tables(lattice(h, w))
        draws = self.base.num_draws() if isinstance(self.base, UniformsGenerator) else 0
        walls = np.empty((b, *self.shape), dtype=bool)
        err = np.empty(b)
        built = np.empty(b, dtype=np.int64)
        flat = walls.reshape(b, self.shape[0] * self.shape[1])

        def run(lo: int, hi: int) -> None:
            # The stream's 64-bit arithmetic wraps by design; numpy would warn about it when
            # the kernel runs as plain Python (NUMBA_DISABLE_JIT=1). Set per thread.
            with np.errstate(over="ignore"):
                ck.search_kernel(
                    kind, seeds[lo:hi], h, w, self.base.goal_mode == "farthest", targets, asked,
                    self._tolerance(), MAX_ROUNDS, ROUND, MUTATION, _MOVE, edges, step,
                    step_sq, draws, flat[lo:hi], err[lo:hi], built[lo:hi],
                )  # fmt: skip

        split_rows(run, b, min_rows=2, parts=8)
        return walls, err, built

    def walks(self) -> bool:
        """Whether the search draws its candidates as walks over shared code embeddings
        (`search_walks`): a learned ``dfs``-decoder generator at its model's size, drawing its
        decisions (`generators.learned.LearnedGenerator.walks_ready`)."""
        ready = getattr(self.base, "walks_ready", None)
        return bool(ready is not None and ready())

    def search_walks(self, rngs: list[np.random.Generator]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The search for a learned depth-first generator: one maze per rng, as `search` returns.

        Each round draws one latent code per maze and ``k`` decision noises for it (8, then 16,
        then 32 a round): the code's embeddings are computed once and its ``k`` walks drawn over
        them. From the second round on, the second half of a maze's walks are mutants of its
        best walk so far: its code, and its decision noise with each coordinate redrawn with
        probability ``MUTATION`` (a mutant repeats the best walk's decisions until a redrawn one
        goes the other way; a mutated code would change every logit, so the walks would part at
        once). The walk reaches the goal cell with the start-goal path fixed (the maze is the
        walk's depth-first tree), so a walk whose path already misses by more than the maze's
        best so far (before it has one: by more than `WALK_WINDOW`, doubling a round; none in
        the last round) stops there, or as soon as every passage its stack has still to decide
        lies too far from the goal for its path to be that short; for a path-length target alone,
        a maze's walks after its first hit (the walk it is served) are not drawn. Every candidate
        is the wrapped generator's maze for its noise ``[code, decisions]``; the served one is
        decoded from its walk exactly as the generator does it.

        Steered by the model's path head (``path_head=True``, `steered`), every walk is the
        head's, told a goal depth drawn from those within the tolerance in proportion to the
        wrapped generator's own paths there (`_told_depths`; a mutant is told its best walk's),
        and rounds draw 2, 4, 8, 16, then 32 walks a maze: most mazes are served by one of their
        first two walks.
        """
        walls, err, built, _, _ = self._search_walks(rngs)
        return walls, err, built

    def _search_walks(
        self, rngs: list[np.random.Generator]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """`search_walks`, the noise ``[code, decisions]`` of each served maze, and the goal depth
        its walk was told (``int64[B]``; 0 when the search is not steered)."""
        base = self.base
        b = len(rngs)
        latent, n_dec = base.latent_dim, base.noise_dim - base.latent_dim  # type: ignore[attr-defined]
        best_err = np.full(b, np.inf)
        best_opened = np.zeros((b, n_dec), dtype=bool)
        best_noise = np.zeros((b, latent + n_dec))
        best_told = np.zeros(b, dtype=np.int64)
        built = np.zeros(b, dtype=np.int64)
        active = np.arange(b)
        tol = self._tolerance()
        path = self.target.get("path_length")
        corner = base.goal_mode == "corner"
        steer = self.steered()
        # A path target alone: a walk is a hit when its goal depth is in this range, and the
        # walks of a maze after its first hit are not drawn (only that first hit is served).
        hits = None
        if path is not None and corner and len(self.target) == 1:
            depths = np.arange(int(np.prod(self.cells)) + 1)
            ok = np.flatnonzero(self._error({"path_length": 2 * depths}) <= tol)
            hits = (ok[0], ok[-1]) if ok.size else (1, 0)
        if steer:
            told_depths, told_p = self._told_depths(tol)
            told_cdf = np.cumsum(told_p)[:-1]
        for round_ in range(MAX_ROUNDS):
            if not active.size:
                break
            k = STEERED_ROUND << min(round_, 4) if steer else ROUND << min(round_, 2)
            told = np.zeros((len(active), k), dtype=np.int64)
            n = len(active)
            code_noise = np.empty((2 * n, latent))
            decision_noise = np.empty((n, k, n_dec))
            rows = np.repeat(np.arange(n), k).reshape(n, k)
            for j, i in enumerate(active):
                code_noise[j] = rngs[i].standard_normal(latent)
                decision_noise[j] = rngs[i].standard_normal((k, n_dec))
                if steer:
                    told[j] = told_depths[np.searchsorted(told_cdf, rngs[i].random(k), side="right")]
                if round_ and np.isfinite(best_err[i]):
                    code_noise[n + j] = best_noise[i, :latent]
                    mask = rngs[i].random((k - k // 2, n_dec)) < MUTATION
                    mutants = decision_noise[j, k // 2 :]
                    decision_noise[j, k // 2 :] = np.where(mask, mutants, best_noise[i, latent:])
                    rows[j, k // 2 :] = n + j
                    if steer:  # a mutant repeats its best walk's decisions only told the same depth
                        told[j, k // 2 :] = best_told[i]
            used = np.unique(rows)  # the fresh codes, and the best codes of mazes with mutants
            rows = np.searchsorted(used, rows).reshape(-1)
            code_noise, decision_noise = code_noise[used], decision_noise.reshape(n * k, n_dec)
            window = np.full((len(rows), 2), -1, dtype=np.int64)
            if path is not None and corner:
                # Cell steps within the maze's best miss so far (or the round's window) of the target.
                # The last round has no window for a maze that kept no walk yet.
                first = WALK_WINDOW * 2.0**round_ if round_ < MAX_ROUNDS - 1 else np.inf
                miss = np.repeat(np.where(np.isfinite(best_err[active]), best_err[active], first), k)
                finite = np.isfinite(miss)  # no window (-1) where the miss is infinite
                window[finite, 0] = np.floor(path * (1.0 - miss[finite]) / 2.0)
                window[finite, 1] = np.ceil(path * (1.0 + miss[finite]) / 2.0)
            depths = told.reshape(-1) if steer else None
            hit = None if hits is None else np.tile(hits, (len(rows), 1))
            opened, depth = base.drawn_walks(  # type: ignore[attr-defined]
                code_noise,
                decision_noise,
                rows,
                window,
                depths,
                hit=hit,
                group_size=k if hit is not None else 0,
            )
            drawn = depth >= 0
            built[active] += drawn.reshape(n, k).sum(axis=1)
            done = drawn & ((window[:, 1] < 0) | ((window[:, 0] <= depth) & (depth <= window[:, 1])))
            err = np.full(len(rows), np.inf)
            if done.any():
                err[done] = self._error(self._walk_metrics(opened[done], depth[done]))
            err = err.reshape(n, k)
            hit = err <= tol
            pick = np.where(hit.any(axis=1), hit.argmax(axis=1), err.argmin(axis=1))
            chosen = err[np.arange(n), pick]
            better = chosen < best_err[active]
            walk = (np.arange(n) * k + pick)[better]
            best_err[active[better]] = chosen[better]
            best_opened[active[better]] = opened[walk]
            best_noise[active[better]] = np.hstack([code_noise[rows[walk]], decision_noise[walk]])
            best_told[active[better]] = told.reshape(-1)[walk]
            active = active[best_err[active] > tol]
        walls = base.walls_from_walks(best_opened)  # type: ignore[attr-defined]
        return walls, best_err, built, best_noise, best_told

    def _told_depths(self, tol: float) -> tuple[np.ndarray, np.ndarray]:
        """The goal depths a steered walk is told: every cell-step depth within the tolerance of
        the target path, weighted by the generator's own density of paths there (a Gaussian
        kernel density of the calibration sample)."""
        path = self.target["path_length"]
        depths = np.arange(int(np.prod(self.cells)) + 1)
        h, w = self.cells
        # A corner-to-corner path on the lattice has the parity of the corners' distance.
        ok = depths[(np.abs(2 * depths - path) <= tol * path) & ((depths - (h + w - 2)) % 2 == 0)]
        if not ok.size:
            return np.array([max(1, round(path / 2))]), np.ones(1)
        sample = calibrate(self.base).path_length
        bandwidth = 1.06 * sample.std() * len(sample) ** -0.2  # Silverman's rule
        if not bandwidth > 0:  # every calibration maze has the same path
            return np.maximum(ok, 1), np.full(len(ok), 1.0 / len(ok))
        # Log densities, so a target far beyond the sample does not underflow to zero weights.
        z = -0.5 * ((2 * ok[:, None] - sample[None, :]) / bandwidth) ** 2
        top = z.max(axis=1)
        log_density = top + np.log(np.exp(z - top[:, None]).sum(axis=1))
        weights = np.exp(log_density - log_density.max())
        return np.maximum(ok, 1), weights / weights.sum()

    def _walk_metrics(self, opened: np.ndarray, depth: np.ndarray) -> dict[str, np.ndarray]:
        """`measure` of complete walks, from their open passages ``bool[B, E]`` and the depths
        at which they reached the goal cell, without building their walls where it can: with
        the goal in the corner the path is that depth (the maze is the walk's depth-first tree),
        and a cell's open neighbours are its open passages."""
        if self.base.goal_mode != "corner" and "path_length" in self.target:
            return measure(self, lattice(*self.cells).walls_from_passages(opened), tuple(self.target))
        metrics = {}
        if "path_length" in self.target:
            metrics["path_length"] = 2 * depth
        if "dead_ends" in self.target:
            passages = lattice(*self.cells).neighbor_edge  # -1 off the grid: the column of walls
            degree = np.pad(opened, ((0, 0), (0, 1)))[:, passages].sum(axis=2, dtype=np.int8)
            metrics["dead_ends"] = (degree == 1).mean(axis=1)
        return metrics

    def search(self, rngs: list[np.random.Generator]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """One maze per rng: ``walls: bool[B, H, W]``, ``error: float64[B]`` (relative miss),
        ``candidates: int64[B]`` (wrapped-generator mazes built for it)."""
        b = len(rngs)
        walls = np.zeros((b, *self.shape), dtype=bool)
        best_err = np.full(b, np.inf)
        best_noise: list[np.ndarray | None] = [None] * b
        built = np.zeros(b, dtype=np.int64)
        active = np.arange(b)
        tol = self._tolerance()
        for round_ in range(MAX_ROUNDS):
            if not active.size:
                break
            # Rounds grow (8, 16, 32, 32...): most mazes are served by the first, and the few left
            # after it cost a BFS pass per round whatever their number.
            k = ROUND << min(round_, 2)
            noise = [self._candidates(rngs[i], best_noise[i], round_, k) for i in active]
            if noise[0] is None:
                cand = np.concatenate([np.asarray(self.base.generate_walls(k, rngs[i])) for i in active])
            else:
                cand = self._build(np.concatenate(noise))  # type: ignore[arg-type]
            err = self._error(measure(self, cand, tuple(self.target))).reshape(len(active), k)
            built[active] += k
            hit = err <= tol
            # The first candidate within tolerance, else the closest one.
            pick = np.where(hit.any(axis=1), hit.argmax(axis=1), err.argmin(axis=1))
            chosen = err[np.arange(len(active)), pick]
            better = chosen < best_err[active]
            for j in np.flatnonzero(better):
                i = active[j]
                best_err[i] = chosen[j]
                walls[i] = cand[j * k + pick[j]]
                if noise[j] is not None:
                    best_noise[i] = noise[j][pick[j]]  # type: ignore[index]
            active = active[best_err[active] > tol]
        return walls, best_err, built

    def _candidates(
        self, rng: np.random.Generator, best: np.ndarray | None, round_: int, k: int
    ) -> np.ndarray | None:
        fresh = self._draw(k, rng)
        if fresh is None or best is None or round_ == 0:
            return fresh
        half = k // 2
        # Mutants of the best so far: each coordinate redrawn with probability MUTATION.
        mask = rng.random((half, *best.shape)) < MUTATION
        fresh[half:] = np.where(mask, fresh[half:], best)
        return fresh


def controlled(base: MazeGenerator, target: object = None, difficulty: object = None) -> ControlledGenerator:
    """``base`` steered to ``target`` or ``difficulty`` (see `ControlledGenerator`)."""
    return ControlledGenerator(base, target=target, difficulty=difficulty)
