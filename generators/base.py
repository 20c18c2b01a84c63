"""The generator protocol every maze source implements.

A generator is a value: it is built once with its size (in cells) and settings, and then makes
mazes from a `numpy.random.Generator` it is handed. It keeps no random state of its own, so the
same rng state always gives the same maze, and

    generate_batch(n, rng) == [generate(rng) for _ in range(n)]

holds for every registered generator (the contract tests check it). That lets a vector env draw
each sub-env's maze from its own rng while still generating in batches.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any, ClassVar, Literal, Protocol, TypeVar, runtime_checkable

import numpy as np

from generators.maze import Maze, MazeArrays, farthest_cells

GoalMode = Literal["corner", "farthest"]
C = TypeVar("C")
MAX_CELLS_PER_SIDE = 1024


@runtime_checkable
class Generator(Protocol):
    """What `MazeEnv` needs from a maze source."""

    name: str

    @property
    def shape(self) -> tuple[int, int]: ...

    def generate(self, rng: np.random.Generator) -> Maze: ...

    def generate_batch(self, n: int, rng: np.random.Generator) -> Sequence[Maze]: ...


@runtime_checkable
class UniformsGenerator(Protocol):
    """Optional fast path: a maze is a deterministic function of uniforms drawn up front.

    A generator offering it promises, for every ``n`` and rng state::

        generate_walls(n, rng) == walls_from_uniforms(rng.random((n, num_draws())))

    and draws nothing else from ``rng``. A consumer holding many rngs (the vector env keeps one
    per sub-environment) can then draw each rng's uniforms itself and build every maze in one
    batched call, with exactly the mazes that per-rng generation gives.
    """

    def num_draws(self) -> int:
        """Uniforms consumed per maze."""
        ...

    def walls_from_uniforms(self, u: np.ndarray) -> np.ndarray:
        """``u: float[B, num_draws()]`` in ``[0, 1)`` -> ``walls: bool[B, H, W]``."""
        ...


@runtime_checkable
class NoiseGenerator(Protocol):
    """The same fast path for any noise, e.g. a learned model's latent codes.

    A generator offering it promises, for every ``n`` and rng state::

        generate_walls(n, rng) == walls_from_noise(draw_noise(n, rng))
        draw_noise(n, rng) == np.concatenate([draw_noise(1, rng) for _ in range(n)])

    and draws nothing else from ``rng`` (``rng.standard_normal((n, latent))`` has both
    properties). `UniformsGenerator` is the case ``draw_noise = rng.random((n, num_draws()))``.
    """

    def draw_noise(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """The random input of ``n`` mazes, ``float[n, ...]``, one row per maze in order."""
        ...

    def walls_from_noise(self, noise: np.ndarray) -> np.ndarray:
        """``noise: float[B, ...]`` -> ``walls: bool[B, H, W]``, deterministic."""
        ...


def parse_size(size: object) -> tuple[int, int]:
    """``14`` -> ``(14, 14)``; ``(7, 9)`` -> ``(7, 9)`` (height, width in cells), validated."""
    if isinstance(size, (int, np.integer)) and not isinstance(size, bool):
        hw = (int(size), int(size))
    elif (
        isinstance(size, (tuple, list))
        and len(size) == 2
        and all(isinstance(s, (int, np.integer)) and not isinstance(s, bool) for s in size)
    ):
        hw = (int(size[0]), int(size[1]))
    else:
        raise ValueError(f"size must be an int or a (height, width) pair of ints in cells, got {size!r}")
    if not all(1 <= s <= MAX_CELLS_PER_SIDE for s in hw):
        raise ValueError(f"size must be between 1 and {MAX_CELLS_PER_SIDE} cells a side, got {size!r}")
    if hw == (1, 1):
        raise ValueError(
            f"size {size!r} is a single cell; a maze needs at least 2 cells (its start and goal "
            "differ), e.g. (1, 2)"
        )
    return hw


def config_to_dict(config: Any) -> dict[str, Any]:
    """A settings dataclass with a ``size`` pair as a JSON-ready dict (``size`` as a list)."""
    d = asdict(config)
    d["size"] = list(config.size)
    return d


def config_from_dict(cls: type[C], d: dict[str, Any], what: str) -> C:
    """Inverse of `config_to_dict`: unknown keys are an error naming ``what`` and the known ones."""
    if not isinstance(d, dict):
        raise ValueError(f"{what} config must be a JSON object, got {type(d).__name__}")
    known = set(cls.__dataclass_fields__)  # type: ignore[attr-defined]
    unknown = set(d) - known
    if unknown:
        raise ValueError(f"unknown {what} config keys {sorted(unknown)}; expected {sorted(known)}")
    return cls(**{**d, "size": tuple(d.get("size", (14, 14)))})


def check_rng(rng: object) -> np.random.Generator:
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"rng must be a numpy.random.Generator (e.g. np.random.default_rng(0)), got {type(rng).__name__}"
        )
    return rng


def check_rows(x: object, width: int, name: str, *, finite: bool = True) -> np.ndarray:
    """``x`` as ``float64[B, width]`` of real numbers (finite unless ``finite=False``), or a
    ValueError naming ``name`` and its bad dtype, shape or value."""
    x = np.asarray(x)
    if x.dtype == np.bool_ or not (np.issubdtype(x.dtype, np.floating) or np.issubdtype(x.dtype, np.integer)):
        raise ValueError(f"{name} must be real numbers float[B, {width}], got dtype {x.dtype}")
    x = x.astype(np.float64, copy=False)
    if x.ndim != 2 or x.shape[1] != width:
        raise ValueError(f"{name} must be float[B, {width}], got shape {x.shape}")
    if finite and not np.isfinite(x).all():
        raise ValueError(f"{name} must be finite, got {float(x[~np.isfinite(x)][0])!r}")
    return x


def check_uniforms(u: object, draws: int, name: str = "u") -> np.ndarray:
    """``u`` as ``float64[B, draws]`` with every value in ``[0, 1)`` (a `UniformsGenerator`'s
    input), or a ValueError naming the argument ``name`` and the bad dtype, shape or value.

    Checked once at the public entry: the compiled kernels index tables and grids with
    ``int(u * k)`` and trust it to lie in ``0..k-1``; a value outside ``[0, 1)`` would read or
    write outside them (or silently give a maze that is not perfect).
    """
    u = check_rows(u, draws, name, finite=False)
    # Two reductions without temporaries; min and max propagate NaN, which fails both tests.
    if u.size and not (u.min() >= 0.0 and u.max() < 1.0):
        inside = (u >= 0.0) & (u < 1.0)
        where = tuple(int(i) for i in np.argwhere(~inside)[0])
        raise ValueError(f"{name} must hold uniforms in [0, 1), got {float(u[where])!r} at index {where}")
    return u


def check_real(
    value: object, name: str, low: float, high: float, *, low_open: bool = False, high_open: bool = False
) -> float:
    """``value`` as a finite float in ``[low, high]`` (either end open on request), or an error
    naming ``name``, the value and the accepted range. A bool is not a number here."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} {value!r}")
    x = float(value)
    ok = math.isfinite(x) and (x > low if low_open else x >= low) and (x < high if high_open else x <= high)
    if not ok:
        span = f"{'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
        raise ValueError(f"{name} must be a finite number in {span}, got {value!r}")
    return x


def check_reals(value: object, name: str, each: str) -> np.ndarray:
    """``value`` as ``float64[n]`` real numbers, one per ``each`` (ints or floats; bools are not
    numbers here; NaN and inf are the caller's to judge), or a ValueError naming ``name``."""
    x = np.asarray(value)
    if x.dtype.kind not in "iuf":
        raise ValueError(f"{name} must be real numbers float64[n], got dtype {x.dtype}")
    if x.ndim != 1:
        raise ValueError(f"{name} must be float64[n], one value per {each}, got shape {x.shape}")
    return x.astype(np.float64, copy=False)


def matching_choice(value: object, choices: Sequence[object]) -> tuple[bool, Any]:
    """``(True, choice)`` for the choice ``value`` is, else ``(False, None)``: compared by type
    and value (a string subclass such as numpy's ``str_`` as a string, ``None`` as ``None``), so
    an array or a list is refused, never compared elementwise."""
    for choice in choices:
        if ((isinstance(value, str) and isinstance(choice, str)) or type(value) is type(choice)) and (
            value == choice
        ):
            return True, choice
    return False, None


def check_choice(value: object, name: str, choices: tuple[object, ...]) -> Any:
    """The choice ``value`` is (`matching_choice`), else a ValueError naming ``name``, the value
    and the choices."""
    found, choice = matching_choice(value, choices)
    if not found:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}; got {value!r}")
    return choice


def check_int(value: object, name: str, low: int, high: int | None = None) -> int:
    """``value`` as an int in ``[low, high]``, or an error naming ``name`` and the accepted range."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if value < low or (high is not None and value > high):
        accepted = f">= {low}" if high is None else f"in [{low}, {high}]"
        raise ValueError(f"{name} must be an int {accepted}, got {value!r}")
    return int(value)


def check_count(n: object) -> int:
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 0:
        raise ValueError(f"n must be a non-negative int, got {n!r}")
    return int(n)


class MazeGenerator(ABC):
    """Base class for generators that draw wall grids in batches.

    Subclasses implement `generate_walls`; this class adds start/goal placement and `Maze`
    construction.

    Args:
        size: cells per side, an int or ``(height, width)``.
        goal: ``"corner"`` (bottom-right cell) or ``"farthest"`` (open cell farthest from start).
    """

    name: ClassVar[str] = "base"
    perfect: ClassVar[bool] = False  # True: every maze is a spanning tree (one path between cells)
    # Mazes a batched consumer (the vector env's pool refill) should ask for in one call: many
    # where a call's fixed cost dominates, fewer where every maze costs milliseconds, so that
    # the first reset does not wait for thousands of them.
    refill_batch: int = 4096

    def __init__(self, size: int | tuple[int, int] = 14, goal: GoalMode = "corner") -> None:
        self.cells = parse_size(size)
        self.goal_mode: GoalMode = check_choice(goal, "goal", ("corner", "farthest"))

    @property
    def shape(self) -> tuple[int, int]:
        """``(H, W)`` of the wall grids this generator makes."""
        h, w = self.cells
        return (2 * h + 1, 2 * w + 1)

    def config(self) -> dict[str, Any]:
        """JSON-serialisable settings that rebuild this generator with `make_generator`."""
        return {"name": self.name, "size": list(self.cells), "goal": self.goal_mode}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.config().items() if k != "name")
        return f"{type(self).__name__}({args})"

    @abstractmethod
    def generate_walls(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` wall grids, ``bool[n, H, W]``, with cells ``(1, 1)`` and ``(H-2, W-2)`` open."""

    def generate_batch(self, n: int, rng: np.random.Generator) -> list[Maze]:
        """``n`` mazes; equal to ``n`` successive `generate` calls on the same rng."""
        n, rng = check_count(n), check_rng(rng)
        walls = self.generate_walls(n, rng)
        return Maze.from_arrays(walls, *self.place_batch(walls))

    def generate_arrays(self, n: int, rng: np.random.Generator) -> MazeArrays:
        """The mazes of `generate_batch` as one `MazeArrays` (no `Maze` built per maze)."""
        n, rng = check_count(n), check_rng(rng)
        walls = self.generate_walls(n, rng)
        return MazeArrays.owning(walls, *self.place_batch(walls))

    def generate(self, rng: np.random.Generator) -> Maze:
        """One maze drawn from ``rng``."""
        return self.generate_batch(1, rng)[0]

    def place_batch(self, walls: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``start, goal: int[B, 2]`` that `generate_batch` gives the grids ``walls: bool[B, H, W]``."""
        walls = np.asarray(walls)
        if walls.dtype != np.bool_ or walls.ndim != 3 or walls.shape[1:] != self.shape:
            raise ValueError(
                f"walls must be bool[B, {self.shape[0]}, {self.shape[1]}], "
                f"got {walls.dtype} of shape {walls.shape}"
            )
        start = np.ones((len(walls), 2), dtype=np.int64)
        if self.goal_mode == "farthest":
            goal = farthest_cells(walls, (1, 1))
        else:
            goal = np.tile(np.array(walls.shape[1:], dtype=np.int64) - 2, (len(walls), 1))
        return start, goal


class UniformsMazeGenerator(MazeGenerator):
    """A `MazeGenerator` whose mazes are a deterministic function of uniforms drawn up front (the
    `UniformsGenerator` fast path): subclasses give `num_draws` and `_walls`.

    `walls_from_uniforms` checks its input once, here; `_walls` trusts it (the compiled kernels
    behind it index with ``int(u * k)``).
    """

    @abstractmethod
    def num_draws(self) -> int:
        """Uniforms consumed per maze."""

    @abstractmethod
    def _walls(self, u: np.ndarray) -> np.ndarray:
        """Checked ``u: float64[B, num_draws()]`` in ``[0, 1)`` -> ``walls: bool[B, H, W]``."""

    def walls_from_uniforms(self, u: np.ndarray) -> np.ndarray:
        """``u: float[B, num_draws()]`` in ``[0, 1)`` -> ``walls: bool[B, H, W]``; deterministic.

        Raises:
            ValueError: ``u`` has the wrong shape, or a value that is not finite or not in ``[0, 1)``.
        """
        return self._walls(check_uniforms(u, self.num_draws()))

    def generate_walls(self, n: int, rng: np.random.Generator) -> np.ndarray:
        n, rng = check_count(n), check_rng(rng)
        return self._walls(rng.random((n, self.num_draws())))
