"""The maze rules, written once over a batch of mazes: `MazeEnv` plays a batch of one,
`MazeVectorEnv` a batch of ``num_envs``.

A batch of ``N`` mazes lies end to end in one flat wall array. Each maze is padded by ``pad``
wall squares on every side (at least one, and the egocentric window's reach), so a move is one
add to a flat index, never leaves its maze, and a maze without a wall border of its own is
played correctly too. `MazeBatch` holds that state and the observation buffers, and applies the
rules: a move into a wall stays put, the goal terminates, and reaching it pays
``1 - 0.9 * steps / budget`` with ``budget = 4 * h * w`` for ``h x w`` cells. Argument checks
(`make_settings`, `check_seeds`, `check_options`), the maze hash and the served-maze check live
here too, so that both envs use one answer to each question."""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from daedalus_gym.rendering import COLORS, paint_checked
from generators import Generator, Maze, MazeGenerator, make_generator
from generators._jit import compile_kernel
from generators.base import NoiseGenerator, UniformsGenerator, matching_choice, parse_size
from generators.maze import MOVES
from generators.maze import maze_hashes as maze_hashes  # the env side names it here too
from generators.shortest_paths import shortest_path_lengths

ObsMode = Literal["image", "grid", "egocentric", "rgb"]
OBS_MODES: tuple[str, ...] = ("image", "grid", "egocentric", "rgb")
DEFAULT_OBS_MODE: ObsMode = "image"

# Channels of the "image" and "grid" observations.
WALL, AGENT, GOAL = 0, 1, 2
# The "image" observation's smallest side in pixels: Stable-Baselines3's CNN policies (NatureCNN)
# and its env checker want images of at least 36x36 pixels.
MIN_IMAGE_SIDE = 36
# Pixels per square of the "rgb" observation unless obs_tile_size says otherwise.
RGB_TILE = 4
# max_episode_steps=-1: no time limit (Gymnasium's gym.make and gym.make_vec spell it so).
NO_TIME_LIMIT = -1
# The "egocentric" window's side unless view_size says otherwise.
DEFAULT_VIEW_SIZE = 5
# Reward on reaching the goal: 1 - FINISH_PENALTY * steps / budget (MiniGrid's convention).
FINISH_PENALTY = 0.9
LATEST_REWARD = 0.1  # what reaching the goal pays at or past the budget: 1 - FINISH_PENALTY


# --------------------------------------------------------------------- argument checks
def describe(value: object) -> str:
    """``value!r (type)``, for error messages."""
    return f"{value!r} ({type(value).__name__})"


def check_int(value: object, name: str, minimum: int = 1) -> int:
    """``value`` as an int ``>= minimum``; a bool or a float is not an int here."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an int >= {minimum}, got {describe(value)}")
    if value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")
    return int(value)


def check_choice(value: object, name: str, choices: Sequence[object]) -> Any:
    """The choice ``value`` is (`generators.base.matching_choice`: an array or a list is refused,
    never compared elementwise), else a ValueError naming ``name``, the value and the choices."""
    found, choice = matching_choice(value, choices)
    if not found:
        raise ValueError(f"{name} must be one of {list(choices)}, got {describe(value)}")
    return choice


def check_seed(seed: object, name: str = "seed") -> int | None:
    """A reset seed: ``None`` or an int ``>= 0`` (not a bool, a float or bytes)."""
    if seed is None:
        return None
    return check_int(seed, name, minimum=0)


def check_seeds(seed: object, n: int) -> list[int | None]:
    """A vector reset's ``seed`` -> one seed per sub-env (an int ``s`` gives ``s + i``)."""
    if seed is None:
        return [None] * n
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, (bool, np.bool_)):
        first = check_seed(seed)
        return [first + i for i in range(n)]  # type: ignore[operator]
    sequence = isinstance(seed, Sequence) and not isinstance(seed, (str, bytes, bytearray))
    if sequence or (isinstance(seed, np.ndarray) and seed.ndim == 1):
        if len(seed) != n:
            raise ValueError(f"seed must be an int, None or a list of {n} seeds, got a list of {len(seed)}")
        return [check_seed(s, f"seed[{i}]") for i, s in enumerate(seed)]
    raise ValueError(f"seed must be an int >= 0, None or a list of {n} seeds, got {describe(seed)}")


def check_options(options: object, supported: Sequence[str]) -> dict[str, Any]:
    """``reset``'s ``options``: ``None`` or a dict whose keys are ``supported``."""
    if options is None:
        return {}
    if not isinstance(options, Mapping):
        raise TypeError(f"options must be a dict (keys {sorted(supported)}) or None, got {describe(options)}")
    unknown = set(options) - set(supported)
    if unknown:
        raise ValueError(f"unknown reset options {sorted(map(str, unknown))}; supported: {sorted(supported)}")
    return dict(options)


@dataclass(frozen=True)
class Settings:
    """Validated arguments shared by `MazeEnv` and `MazeVectorEnv`."""

    generator: Generator
    obs_mode: ObsMode
    view_size: int
    obs_tile_size: int
    max_episode_steps: int
    render_mode: str | None
    render_tile_size: int
    show_path: bool
    max_attempts: int
    levels: str = "train"
    num_levels: int = 0
    start_level: int = 0

    @property
    def shape(self) -> tuple[int, int]:
        return tuple(self.generator.shape)  # type: ignore[return-value]

    def observation_space(self) -> spaces.Space:
        height, width = self.shape
        if self.obs_mode == "grid":
            return spaces.MultiBinary((height, width, 3))
        if self.obs_mode == "egocentric":
            return spaces.MultiBinary((self.view_size, self.view_size, 2))
        t = self.obs_tile_size
        return spaces.Box(0, 255, (height * t, width * t, 3), np.uint8)


def physical_memory() -> int | None:
    """Bytes of memory this machine has, or ``None`` where the platform does not say."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def _check_image_size(
    shape: tuple[int, int], tile: int, name: str = "obs_tile_size", copies: int = 6
) -> None:
    """Refuse ``tile x tile``-pixel squares that make an image this machine could not hold.

    For an observation (``copies=6``) its observation space counts too: Gymnasium's ``Box`` keeps
    bounds and masks the size of the image; a rendered frame (``copies=2``) has its copy for the
    window. More than a quarter of the memory is refused.
    """
    height, width = shape[0] * tile, shape[1] * tile
    need = copies * height * width * 3
    total = physical_memory()
    if total is not None and need > total / 4:
        most = max(1, int((total / 4 / (copies * 3 * shape[0] * shape[1])) ** 0.5))
        raise ValueError(
            f"{name}={tile} makes a {height}x{width}x3 image of a {shape[0]}x{shape[1]} grid, about "
            f"{need / 2**30:,.1f} GiB with its copies; this machine has {total / 2**30:,.1f} GiB "
            f"(at most {name}={most} here)"
        )


def _check_view_size(view: int) -> None:
    """Refuse an egocentric window (``view x view x 2`` int8, with its buffers) larger than a
    quarter of the memory."""
    need = 8 * view * view * 2
    total = physical_memory()
    if total is not None and need > total / 4:
        most = int((total / 4 / 16) ** 0.5) // 2 * 2 - 1
        raise ValueError(
            f"view_size={view} makes a {view}x{view}x2 egocentric observation, about "
            f"{need / 2**30:,.1f} GiB with its buffers; this machine has {total / 2**30:,.1f} GiB "
            f"(at most view_size={most} here)"
        )


def image_tile(shape: tuple[int, int]) -> int:
    """Pixels per square of the ``"image"`` observation of an ``H x W`` grid: the smallest tile
    that makes both sides at least `MIN_IMAGE_SIDE` pixels (3 for 15 x 15 squares, 2 for 29 x 29,
    1 for 57 x 57)."""
    return max(1, -(-MIN_IMAGE_SIDE // min(shape)))


def step_budget(shape: tuple[int, int]) -> int:
    """``4 * h * w`` for a grid of ``h x w`` cells: enough for a wall follower to solve any
    perfect maze. It is every id's time limit and the reward's scale."""
    return 4 * ((shape[0] - 1) // 2) * ((shape[1] - 1) // 2)


def make_settings(
    render_modes: Sequence[str],
    generator: object,
    generator_kwargs: object,
    obs_mode: object,
    view_size: object,
    obs_tile_size: object,
    max_episode_steps: object,
    render_mode: object,
    render_tile_size: object,
    show_path: object,
    max_attempts: object,
    default_generator_kwargs: object,
    max_steps: object,
    levels: object = "train",
    num_levels: object = None,
    start_level: object = 0,
) -> Settings:
    """Check every constructor argument once and build the generator; see `MazeEnv`.

    The arguments come in `MazeEnv`'s order, after the env's ``render_modes``.
    """
    if max_steps is not None:
        raise TypeError(
            f"max_steps was removed (got {max_steps!r}): the one time limit is max_episode_steps, "
            "e.g. gym.make(env_id, max_episode_steps=N)"
        )
    for name, value in (
        ("generator_kwargs", generator_kwargs),
        ("default_generator_kwargs", default_generator_kwargs),
    ):
        if value is not None and not isinstance(value, Mapping):
            raise TypeError(f"{name} must be a dict or None, got {describe(value)}")
    obs_mode = check_choice(obs_mode, "obs_mode", OBS_MODES)
    # Arguments of one observation mode are refused with another, not ignored.
    if view_size is None:
        view = DEFAULT_VIEW_SIZE
    elif obs_mode != "egocentric":
        raise ValueError(
            f"view_size={view_size!r} only applies to obs_mode='egocentric' (got obs_mode={obs_mode!r})"
        )
    else:
        view = check_int(view_size, "view_size", minimum=3)
        if view % 2 == 0:
            raise ValueError(f"view_size must be an odd int >= 3, got {view_size!r}")
    render_mode = check_choice(render_mode, "render_mode", [*render_modes, None])
    if not isinstance(show_path, (bool, np.bool_)):
        raise ValueError(f"show_path must be a bool, got {describe(show_path)}")
    if obs_tile_size is not None:
        if obs_mode not in ("image", "rgb"):
            raise ValueError(
                f"obs_tile_size={obs_tile_size!r} only applies to obs_mode 'image' and 'rgb' (got "
                f"obs_mode={obs_mode!r}, one entry a square)"
            )
        obs_tile_size = check_int(obs_tile_size, "obs_tile_size")
    checked = {
        "render_tile_size": check_int(render_tile_size, "render_tile_size"),
        "max_attempts": check_int(max_attempts, "max_attempts"),
    }
    if max_episode_steps is not None and not (
        isinstance(max_episode_steps, (int, np.integer))
        and not isinstance(max_episode_steps, bool)
        and max_episode_steps == NO_TIME_LIMIT
    ):
        max_episode_steps = check_int(max_episode_steps, "max_episode_steps")
    level_args = check_levels(levels, num_levels, start_level)
    # Last, once every cheap check has passed: building a generator may load a model.
    if isinstance(generator, str):
        # The id's registered kwargs, updated by the caller's: a partial generator_kwargs keeps
        # the rest of what the id serves (its size above all).
        gen = make_generator(generator, **{**(default_generator_kwargs or {}), **(generator_kwargs or {})})
    elif isinstance(generator, Generator):
        if generator_kwargs:
            raise ValueError(
                f"generator_kwargs only apply to a generator given by name, got {generator_kwargs!r} "
                f"with {type(generator).__name__}"
            )
        gen = generator
    else:
        raise TypeError(f"generator must be a registered name or a Generator, got {describe(generator)}")
    if obs_tile_size is None:
        obs_tile_size = image_tile(gen.shape) if obs_mode == "image" else RGB_TILE
    elif obs_mode in ("image", "rgb"):
        _check_image_size(gen.shape, obs_tile_size)
    if obs_mode == "egocentric":
        _check_view_size(view)
    _check_image_size(gen.shape, checked["render_tile_size"], "render_tile_size", copies=2)
    return Settings(
        generator=gen,
        obs_mode=obs_mode,  # type: ignore[arg-type]
        view_size=view,
        obs_tile_size=obs_tile_size,
        max_episode_steps=step_budget(gen.shape) if max_episode_steps is None else int(max_episode_steps),
        render_mode=render_mode,  # type: ignore[arg-type]
        show_path=bool(show_path),
        **checked,
        **level_args,
    )


def id_time_limit(id_kwargs: Mapping[str, Any] | None) -> int | None:
    """A registered id's ``max_episode_steps``, ``4 h w`` for the size in its generator kwargs
    (``None`` without one: an env built directly)."""
    if not id_kwargs or "size" not in id_kwargs:
        return None
    height, width = parse_size(id_kwargs["size"])
    return 4 * height * width


def gym_make_time_limit() -> tuple[bool, int | None]:
    """``(True, max_episode_steps)`` when ``gymnasium.make`` is building the env (the argument it
    was given: ``None`` for the id's own limit, -1 for none), else ``(False, None)``.

    Gymnasium wraps the env it builds in its ``TimeLimit`` and tells the env nothing of it, so
    this reads ``make``'s argument off the call stack, only to say when a limit does not fit.
    """
    make_code = gym.make.__code__
    frame = sys._getframe(1)
    for _ in range(8):  # gym.make -> the env class -> its __init__ -> here
        if frame is None:
            break
        if frame.f_code is make_code:
            return True, frame.f_locals.get("max_episode_steps")
        frame = frame.f_back
    return False, None


def warn_time_limit(id_kwargs: Mapping[str, Any] | None, shape: tuple[int, int], limit: int | None) -> None:
    """Warn when an env runs under its id's time limit (``limit``, ``None`` for none) with
    mazes larger than the id's, which that limit does not fit.

    A registered id's ``max_episode_steps`` is ``4 h w`` for its own size, and Gymnasium applies
    it whatever size ``generator_kwargs`` (or a generator) sets.
    """
    id_limit = id_time_limit(id_kwargs)
    fit = step_budget(shape)
    if id_limit is None or limit != id_limit or fit <= id_limit:
        return  # not an id's env, a limit the caller chose, or mazes the limit fits
    ih, iw = parse_size(id_kwargs["size"])  # type: ignore[index]
    h, w = (shape[0] - 1) // 2, (shape[1] - 1) // 2
    warnings.warn(
        f"serving {h}x{w}-cell mazes under an id registered for {ih}x{iw} cells keeps its time limit, "
        f"max_episode_steps={limit} (4 x {ih} x {iw}); {h}x{w} mazes get {fit} (4 x {h} x {w}) and "
        f"can need more than {limit} steps: pass max_episode_steps={fit}",
        UserWarning,
        stacklevel=4,  # the caller of gym.make / gym.make_vec
    )


# --------------------------------------------------------------------- level sets
# Training level seeds lie below HELD_OUT_START; levels="held-out" draws its seeds at or above it.
HELD_OUT_START = 2**31
HELD_OUT_SPAN = 2**31
# Versioned names of the shipped evaluation sets; "eval" is the newest.
EVAL_SETS: tuple[str, ...] = ("eval-v0", "eval-v1")
LEVEL_NAMES: tuple[str, ...] = ("train", "held-out", "eval", *EVAL_SETS)


def check_levels(levels: object, num_levels: object, start_level: object) -> dict[str, Any]:
    """``levels``, ``num_levels`` and ``start_level`` checked together (see `MazeEnv`).

    ``num_levels`` is ``None`` (unlimited levels) or an int >= 1; the checked settings hold it as
    an int, 0 for unlimited.
    """
    levels = check_choice(levels, "levels", LEVEL_NAMES)
    if num_levels is None:
        num = 0
    elif isinstance(num_levels, (bool, np.bool_)) or not isinstance(num_levels, (int, np.integer)):
        raise ValueError(f"num_levels must be None (unlimited) or an int >= 1, got {describe(num_levels)}")
    elif num_levels < 1:
        hint = " (Procgen's num_levels=0, unlimited, is num_levels=None here)" if num_levels == 0 else ""
        raise ValueError(f"num_levels must be None (unlimited) or an int >= 1, got {num_levels!r}{hint}")
    else:
        num = int(num_levels)
    start = check_int(start_level, "start_level", minimum=0)
    if start + num > HELD_OUT_START:
        raise ValueError(
            f"start_level + num_levels must be <= 2**31 = {HELD_OUT_START} (held-out level seeds start "
            f"there), got {start} + {num}"
        )
    if levels == "held-out" and num == 0:
        raise ValueError(
            "levels='held-out' needs the training levels to keep out: num_levels >= 1 (with start_level), "
            "got num_levels=None"
        )
    if levels not in ("train", "held-out") and (num or start):
        raise ValueError(
            f"levels={levels!r} is a fixed set: num_levels must be None and start_level 0, "
            f"got num_levels={num_levels!r}, start_level={start}"
        )
    if levels == "train" and num == 0 and start:
        raise ValueError(
            f"start_level only applies with num_levels >= 1 (num_levels=None plays unlimited levels), "
            f"got start_level={start}"
        )
    name = EVAL_SETS[-1] if levels == "eval" else levels
    return {"levels": name, "num_levels": num, "start_level": start}


# --------------------------------------------------------------------- mazes
def fast_path(generator: Generator) -> str | None:
    """How `generate_from` batches ``generator``: ``"uniforms"``, ``"noise"`` or ``None`` (per rng)."""
    if isinstance(generator, MazeGenerator):
        if isinstance(generator, UniformsGenerator):
            return "uniforms"
        if isinstance(generator, NoiseGenerator):
            return "noise"
    return None


def generate_from(
    generator: Generator, rngs: Sequence[np.random.Generator], counts: Sequence[int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``counts[j]`` mazes from ``rngs[j]``, in order, each as `Generator.generate` would draw
    them: ``walls: bool[B, H, W]``, ``start, goal: int64[B, 2]``.

    Generators that offer `generators.base.UniformsGenerator` or `generators.base.NoiseGenerator`
    have every rng's random input drawn first and all the mazes built in one call; any other
    generator runs ``generate_batch`` per rng.
    """
    pairs = list(zip(rngs, counts, strict=True))
    path = fast_path(generator)
    if path == "uniforms":
        draws = generator.num_draws()
        walls = generator.walls_from_uniforms(np.concatenate([rng.random((c, draws)) for rng, c in pairs]))
    elif path == "noise":
        walls = generator.walls_from_noise(np.concatenate([generator.draw_noise(c, rng) for rng, c in pairs]))
    else:
        mazes = [m for rng, c in pairs for m in generator.generate_batch(c, rng)]
        walls = np.stack([m.walls for m in mazes])
        start = np.array([m.start for m in mazes], dtype=np.int64).reshape(-1, 2)
        goal = np.array([m.goal for m in mazes], dtype=np.int64).reshape(-1, 2)
        return walls, start, goal
    walls = np.asarray(walls, dtype=bool)
    start, goal = generator.place_batch(walls)  # type: ignore[union-attr]
    return walls, np.asarray(start, np.int64), np.asarray(goal, np.int64)


def level_mazes(
    generator: Generator, seeds: Sequence[int], max_attempts: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The maze of each level seed: what ``MazeEnv.reset(seed=s)`` serves, i.e. the first solvable
    maze of ``generator`` drawn from ``np.random.default_rng(s)`` (up to ``max_attempts`` draws).

    Returns ``walls: bool[B, H, W]``, ``start, goal: int64[B, 2]`` and ``length: int64[B]`` (BFS
    steps start -> goal), every maze generated in batches.
    """
    rngs = [np.random.default_rng(int(s)) for s in seeds]
    walls, start, goal = generate_from(generator, rngs, [1] * len(rngs))
    check_shape(generator, walls.shape[1:], tuple(generator.shape))
    length = shortest_path_lengths(walls, start, goal)
    for _ in range(max_attempts - 1):
        redo = np.flatnonzero(length < 0)
        if redo.size == 0:
            break
        w, s, g = generate_from(generator, [rngs[i] for i in redo.tolist()], [1] * redo.size)
        walls[redo], start[redo], goal[redo] = w, s, g
        length[redo] = shortest_path_lengths(w, s, g)
    if (length < 0).any():
        raise unsolvable_error(generator, max_attempts)
    return walls, start, goal, length


def reward(terminated: Any, steps: Any, budget: int) -> Any:
    """``1 - 0.9 * steps / budget`` where ``terminated``, else 0; scalars or arrays alike.

    Past the budget (a time limit raised above it) the goal still pays 0.1.
    """
    # Floored at the literal 0.1: 1 - 0.9 is 0.09999999999999998 in floating point.
    if isinstance(steps, np.ndarray):
        return np.where(terminated, np.maximum(1.0 - FINISH_PENALTY * (steps / budget), LATEST_REWARD), 0.0)
    return max(1.0 - FINISH_PENALTY * (steps / budget), LATEST_REWARD) if terminated else 0.0


# ``reset(options=...)`` keys that give the level to play: "level", and "maze", its older name.
LEVEL_OPTIONS: tuple[str, ...] = ("level", "maze")


def given_level(options: Mapping[str, Any]) -> tuple[str, object] | None:
    """The ``(key, value)`` of the level in checked ``options``, or ``None`` when none is given."""
    keys = [key for key in LEVEL_OPTIONS if key in options]
    if len(keys) > 1:
        raise ValueError(
            "options['level'] and options['maze'] name the same thing ('maze' is the older name); "
            "give one of them"
        )
    return (keys[0], options[keys[0]]) if keys else None


def check_given_maze(maze: object, shape: tuple[int, int], key: str = "level") -> int:
    """Validate ``reset(options={key: maze})`` for mazes of ``shape``; its BFS path length.

    Any wall grid of ``shape`` plays, lattice maze or not, when its start and goal are joined.
    """
    if not isinstance(maze, Maze):
        raise TypeError(f"options[{key!r}] must be a generators.Maze, got {describe(maze)}")
    if maze.shape != shape:
        raise ValueError(f"options[{key!r}] has shape {maze.shape}, this env plays {shape}")
    length = maze.shortest_path_length()  # networkx BFS
    if length is None:
        raise ValueError(f"options[{key!r}] is unsolvable: no path from {maze.start} to {maze.goal}")
    return length


def path_lengths(walls: np.ndarray, start: np.ndarray, goal: np.ndarray, check: str) -> np.ndarray:
    """The served-maze check for a batch: BFS steps start -> goal, ``-1`` where unsolvable.

    ``check="bfs"``: the batched BFS of `generators.shortest_paths`; ``"networkx"``: networkx BFS
    per maze (`Maze.shortest_path_length`, the single env's check). The two agree (tested).
    """
    if check == "bfs":
        return shortest_path_lengths(walls, start, goal)
    lengths = [
        Maze(w, tuple(s), tuple(g)).shortest_path_length() for w, s, g in zip(walls, start, goal, strict=True)
    ]
    return np.array([-1 if d is None else d for d in lengths], dtype=np.int64)


def unsolvable_error(generator: Generator, attempts: int) -> RuntimeError:
    return RuntimeError(
        f"generator {generator!r} made {attempts} unsolvable mazes in a row; "
        "use a repair mode (e.g. repair='connect') or raise max_attempts"
    )


def check_shape(generator: Generator, shape: tuple[int, ...], expected: tuple[int, int]) -> None:
    if tuple(shape) != tuple(expected):
        raise RuntimeError(f"generator {generator!r} made mazes of shape {tuple(shape)}, expected {expected}")


# --------------------------------------------------------------------- the batch
def _step_kernel(
    pos: np.ndarray,
    steps: np.ndarray,
    goal: np.ndarray,
    walls: np.ndarray,
    moves: np.ndarray,
    actions: np.ndarray,
    frozen: np.ndarray,
    grid: np.ndarray,
    agent_local: np.ndarray,
    agent_base: np.ndarray,
    base: np.ndarray,
    budget: int,
    terminated: np.ndarray,
    rewards: np.ndarray,
) -> None:
    """`MazeBatch.step` for every sub-env ``i``, in place: move ``pos[i]`` by ``moves[actions[i]]``
    unless a wall is there or the sub-env is ``frozen``, move its byte in the ``grid`` buffer's
    agent channel (an empty ``grid``: none to update), count the step, and write
    ``terminated[i]`` and ``rewards[i]`` (`reward`'s formula, the same float operations).
    Compiled by numba on first use (`generators._jit.compile_kernel`)."""
    update_grid = grid.size > 0
    for i in range(pos.shape[0]):
        old = pos[i]
        new = old + moves[actions[i]]
        if walls[new] or frozen[i]:
            new = old
        if update_grid:
            grid[agent_local[old - base[i]] + agent_base[i]] = 0
            grid[agent_local[new - base[i]] + agent_base[i]] = 1
        pos[i] = new
        count = steps[i] + 1
        steps[i] = count
        at_goal = new == goal[i]
        terminated[i] = at_goal
        rewards[i] = max(1.0 - FINISH_PENALTY * (count / budget), LATEST_REWARD) if at_goal else 0.0


class MazeBatch:
    """``num`` mazes, their agents and their observation buffers; the rules over them.

    `step` moves every agent in one compiled loop (`_step_kernel`); `step_one` is the same rule
    for a batch of one written with Python scalars, which is what makes the single env fast (a
    Python step costs less than even one compiled call's argument checks at ``num = 1``).
    """

    def __init__(self, settings: Settings, num: int) -> None:
        self.settings = settings
        self.num = n = num
        self.height, self.width = h, w = settings.shape
        self.obs_mode = settings.obs_mode
        self.budget = step_budget(settings.shape)
        self.pad = p = max(1, settings.view_size // 2) if self.obs_mode == "egocentric" else 1
        self.row = w + 2 * p
        self.size = (h + 2 * p) * self.row
        self.moves = MOVES[:, 0] * self.row + MOVES[:, 1]
        self._moves_list = self.moves.tolist()
        self.walls = np.ones(n * self.size, dtype=bool)
        self.pos = np.zeros(n, dtype=np.int64)
        self.goal = np.zeros(n, dtype=np.int64)
        self.start = np.zeros(n, dtype=np.int64)
        self.steps = np.zeros(n, dtype=np.int64)
        self.length = np.zeros(n, dtype=np.int64)
        self.hash = np.full(n, "", dtype=object)
        # Flat index of each square's (row, col) in one maze's H x W grid; -1 on the padding.
        local = np.full((h + 2 * p, self.row), -1, dtype=np.int64)
        local[p : p + h, p : p + w] = np.arange(h * w).reshape(h, w)
        self._local = local.ravel()
        self._local_list = self._local.tolist()
        self._base = np.arange(n, dtype=np.int64) * self.size  # each maze's first square ...
        self._cell_base = np.arange(n, dtype=np.int64) * (h * w)  # ... and first grid cell
        # The same two for the agent channel of the flat grid buffer (`step`).
        self._agent_local = self._local * 3 + AGENT
        self._agent_base = self._cell_base * 3
        self._never = np.zeros(n, dtype=bool)  # `step`'s frozen sub-envs when none are
        self._no_bytes = np.zeros(0, dtype=np.int8)  # no grid buffer to update
        # "image" and "rgb" are both painted in t x t pixel tiles, and both step the same way.
        self._grid_mode, self._pixel_mode = self.obs_mode == "grid", self.obs_mode in ("image", "rgb")
        self._marks_start = self.obs_mode == "rgb"  # only "rgb" paints the start square apart
        self._whole_grid = self.obs_mode != "egocentric"
        self._build_obs_buffers()

    # ------------------------------------------------------------------ buffers
    def _build_obs_buffers(self) -> None:
        n, h, w, p = self.num, self.height, self.width, self.pad
        if self.obs_mode == "grid":
            self.obs = np.zeros((n, h, w, 3), dtype=np.int8)
        elif self.obs_mode == "egocentric":
            k = self.settings.view_size
            # [wall, goal] pairs read as one int16 so that a window is one gather of k*k values.
            self.cells = np.zeros((n, h + 2 * p, self.row, 2), dtype=np.int8)
            self.cells[..., 0] = 1
            self._blank_cells = self.cells[0].copy()  # all wall, no goal: what a load starts from
            self.obs = np.zeros((n, k, k, 2), dtype=np.int8)
            d = np.arange(k) - k // 2
            self._window = (d[:, None] * self.row + d[None, :]).ravel()
        else:
            t = self.settings.obs_tile_size
            self.obs = np.zeros((n, h * t, w * t, 3), dtype=np.uint8)
            # The pixels a move repaints, from a square's corner: all three channels in "rgb", the
            # agent channel alone in "image" (its wall and goal channels never change).
            channels = np.arange(3) if self.obs_mode == "rgb" else np.array([AGENT])
            y, x, c = np.meshgrid(np.arange(t), np.arange(t), channels, indexing="ij")
            self._tile = (y * (w * t * 3) + x * 3 + c).ravel()
            # A padded square's first pixel in its frame (the padding, never stood on, maps outside).
            row, col = np.divmod(np.arange(self.size), self.row)
            self._pixel_local = (row - p) * (t * w * t * 3) + (col - p) * (t * 3)
            self._pixel_base = np.arange(n, dtype=np.int64) * (h * t * w * t * 3)
            if self.obs_mode == "rgb":
                self._agent_px = np.tile(np.array(COLORS["agent"], np.uint8), t * t)
                self._floor_px = np.tile(np.array(COLORS["floor"], np.uint8), t * t)
                self._start_px = np.tile(np.array(COLORS["start"], np.uint8), t * t)
            else:
                self._agent_px = np.full(t * t, 255, np.uint8)
                self._floor_px = self._start_px = np.zeros(t * t, np.uint8)
        self._views()

    def _views(self) -> None:
        # Views into the buffers; rebuilt after unpickling, which does not preserve views.
        self._obs_flat = self.obs.reshape(-1)
        self._obs0 = self.obs[0]
        if self.obs_mode == "egocentric":
            self._cells16 = self.cells.view(np.int16).reshape(-1)
            self._obs16 = self.obs.view(np.int16).reshape(self.num, -1)

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        for key in ("_obs_flat", "_obs0", "_cells16", "_obs16"):
            state.pop(key, None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._views()

    # ------------------------------------------------------------------ coordinates
    def square(self, envs: np.ndarray, rc: np.ndarray) -> np.ndarray:
        """Global square index of ``(row, col)`` pairs ``rc: int[k, 2]`` in sub-envs ``envs``."""
        return envs * self.size + (rc[:, 0] + self.pad) * self.row + rc[:, 1] + self.pad

    def cell(self, pos: np.ndarray) -> np.ndarray:
        """Global square index -> index into the batch of ``H x W`` grids (``env * H * W + ...``)."""
        env, local = np.divmod(pos, self.size)
        return env * (self.height * self.width) + self._local.take(local)

    def rc(self, pos: np.ndarray) -> np.ndarray:
        """Global square index -> ``int[k, 2]`` of ``(row, col)`` in its maze."""
        row, col = np.divmod(pos % self.size, self.row)
        return np.stack([row - self.pad, col - self.pad], axis=1)

    # ------------------------------------------------------------------ episodes
    def load(
        self,
        envs: np.ndarray,
        walls: np.ndarray,
        start: np.ndarray,
        goal: np.ndarray,
        length: np.ndarray,
        digest: np.ndarray,
    ) -> None:
        """Start new episodes in sub-envs ``envs``.

        ``envs``: ascending, no repeats. ``walls: bool[k, H, W]``, ``start``/``goal: int[k, 2]``,
        ``length: int[k]`` (BFS steps),
        ``digest: object[k]`` (`maze_hashes`).
        """
        p, h, w = self.pad, self.height, self.width
        # Consecutive sub-envs (every one, at a full reset) are written through views, in place.
        # ``envs`` ascend without repeats (`np.flatnonzero` of a mask, or a range), so a span as
        # long as the count is a run.
        sel: slice | np.ndarray = envs
        if len(envs) and envs[-1] - envs[0] == len(envs) - 1:
            sel = slice(int(envs[0]), int(envs[-1]) + 1)
        grid = self.walls.reshape(self.num, h + 2 * p, self.row)
        grid[sel, p : p + h, p : p + w] = walls
        self.start[envs] = self.square(envs, start)
        self.goal[envs] = self.square(envs, goal)
        self.pos[envs] = self.start[envs]
        self.steps[envs] = 0
        self.length[envs] = length
        self.hash[envs] = digest
        rows = np.arange(len(envs))
        if self.obs_mode in ("grid", "image"):
            block = np.zeros((len(envs), h, w, 3), dtype=np.int8)
            block[..., WALL] = walls
            block[rows, goal[:, 0], goal[:, 1], GOAL] = 1
            block[rows, start[:, 0], start[:, 1], AGENT] = 1
            if self.obs_mode == "image":
                t = self.settings.obs_tile_size
                block = np.repeat(np.repeat(block.view(np.uint8) * np.uint8(255), t, axis=1), t, axis=2)
            self.obs[envs] = block
        elif self.obs_mode == "egocentric":
            view = isinstance(sel, slice)
            block = self.cells[sel] if view else np.empty((len(envs), h + 2 * p, self.row, 2), dtype=np.int8)
            block[...] = self._blank_cells
            block[:, p : p + h, p : p + w, 0] = walls.view(np.int8) if walls.dtype == np.bool_ else walls
            block[rows, goal[:, 0] + p, goal[:, 1] + p, 1] = 1
            if not view:
                self.cells[envs] = block
        else:
            self.obs[envs] = paint_checked(walls, start, goal, self.settings.obs_tile_size)
            self._obs_flat[self._pixel(self.pos[envs])[:, None] + self._tile] = self._agent_px

    def _pixel(self, pos: np.ndarray) -> np.ndarray:
        """Flat index of the top-left pixel of each square ``pos`` in the rgb buffer."""
        env, local = np.divmod(pos, self.size)
        return env * self.obs[0].size + self._pixel_local.take(local)

    def _agent_pixels(self, pos: np.ndarray) -> np.ndarray:
        """`_pixel` of ``pos: int[num]``, one square per sub-env in order (no division needed)."""
        return self._pixel_base + self._pixel_local.take(pos - self._base)

    def step(self, actions: np.ndarray, frozen: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Move every agent (``actions: int[num]``, already checked); ``frozen`` ones stay put.

        Returns ``(terminated, reward)``.
        """
        old = self.pos.copy() if self._pixel_mode else self.pos
        terminated = np.empty(self.num, dtype=bool)
        rewards = np.empty(self.num, dtype=np.float64)
        # One compiled call for the moves, the grid's agent channel, the step counts, the flags
        # and the rewards: up to a few hundred envs a step costs numpy's per-call overhead more
        # than its arithmetic, and this is one call where numpy made about twenty.
        compile_kernel(_step_kernel)(
            self.pos,
            self.steps,
            self.goal,
            self.walls,
            self.moves,
            np.ascontiguousarray(actions, dtype=np.int64),
            self._never if frozen is None else frozen,
            self._obs_flat if self._grid_mode else self._no_bytes,
            self._agent_local,
            self._agent_base,
            self._base,
            self.budget,
            terminated,
            rewards,
        )
        if self._pixel_mode:
            new = self.pos
            background = (
                np.where((old == self.start)[:, None], self._start_px, self._floor_px)
                if self._marks_start
                else self._floor_px  # "image": the agent leaves a 0 behind wherever it was
            )
            self._obs_flat[self._agent_pixels(old)[:, None] + self._tile] = background
            self._obs_flat[self._agent_pixels(new)[:, None] + self._tile] = self._agent_px
        return terminated, rewards

    def observe(self) -> np.ndarray:
        """The observation buffer, current (egocentric windows are gathered here)."""
        if self.obs_mode == "egocentric":
            np.take(self._cells16, self.pos[:, None] + self._window, out=self._obs16, mode="clip")
        return self.obs

    # ------------------------------------------------------------------ a batch of one, in scalars
    def start_one(self) -> None:
        """Prepare `step_one`/`observe_one` for sub-env 0 after a `load`."""
        self._walls_list = self.walls.tolist()
        self._pos1, self._goal1, self._start1 = int(self.pos[0]), int(self.goal[0]), int(self.start[0])
        self._steps1 = 0

    def step_one(self, action: int) -> tuple[np.ndarray, float, bool, int]:
        """`step` for a batch of one with a valid ``action``: ``(obs, reward, terminated, steps)``,
        the observation a fresh array."""
        pos = self._pos1
        new = pos + self._moves_list[action]
        if not self._walls_list[new]:
            if self._grid_mode:  # the agent channel, updated in place
                flat = self._obs_flat
                flat[3 * self._local_list[pos] + AGENT] = 0
                flat[3 * self._local_list[new] + AGENT] = 1
            elif self._pixel_mode:
                self._paint_one(pos, self._start_px if pos == self._start1 else self._floor_px)
                self._paint_one(new, self._agent_px)
            self._pos1 = pos = new
        steps = self._steps1 = self._steps1 + 1
        obs = self._obs0.copy() if self._whole_grid else self._window_one()
        if pos == self._goal1:
            return obs, reward(True, steps, self.budget), True, steps
        return obs, 0.0, False, steps

    def _paint_one(self, pos: int, pixels: np.ndarray) -> None:
        self._obs_flat[self._pixel(np.array([pos]))[0] + self._tile] = pixels

    def observe_one(self) -> np.ndarray:
        """Sub-env 0's observation, a fresh array."""
        return self._obs0.copy() if self._whole_grid else self._window_one()

    def _window_one(self) -> np.ndarray:
        k = self.settings.view_size
        row, col = divmod(self._pos1, self.row)
        top, left = row - k // 2, col - k // 2  # inside the padding: pad >= k // 2
        return self.cells[0, top : top + k, left : left + k].copy()

    def agent_one(self) -> tuple[int, int]:
        row, col = divmod(self._pos1, self.row)
        return (row - self.pad, col - self.pad)

    # ------------------------------------------------------------------ inspection
    def maze(self, index: int) -> Maze:
        """The maze sub-env ``index`` is playing."""
        p, h, w = self.pad, self.height, self.width
        walls = self.walls.reshape(self.num, h + 2 * p, self.row)[index, p : p + h, p : p + w]
        (start,), (goal,) = self.rc(self.start[index : index + 1]), self.rc(self.goal[index : index + 1])
        return Maze(walls.copy(), tuple(start.tolist()), tuple(goal.tolist()))
