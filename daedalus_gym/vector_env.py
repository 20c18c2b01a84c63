"""`MazeVectorEnv`: ``num_envs`` mazes stepped at once -- a batch of N over `daedalus_gym.core`,
plus autoreset and a pool of ready mazes."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import numpy as np
from gymnasium.spaces import Discrete
from gymnasium.utils import seeding
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from daedalus_gym.core import (
    DEFAULT_OBS_MODE,
    LEVEL_OPTIONS,
    NO_TIME_LIMIT,
    MazeBatch,
    ObsMode,
    check_choice,
    check_given_maze,
    check_int,
    check_options,
    check_seeds,
    check_shape,
    describe,
    fast_path,
    generate_from,
    given_level,
    id_time_limit,
    make_settings,
    maze_hashes,
    path_lengths,
    physical_memory,
    unsolvable_error,
    warn_time_limit,
)
from daedalus_gym.splits import HELD_OUT_TRIES, LevelSet
from generators import Generator, Maze
from generators.maze import MazeArrays, level_metrics

CHECKS: tuple[str, ...] = ("bfs", "networkx")
# Mazes kept ready per sub-env: enough that a refill is one batch of about the generator's
# ``refill_batch`` mazes (this, for a generator without one) for any num_envs, never fewer than
# 2 so that a refill tops up many envs at once.
_POOL_TARGET_BATCH = 4096
_POOL_MIN, _POOL_MAX = 2, 64
_INFO_KEYS = ("optimal_path_length", "generator", "maze_hash", "steps")
_UNSIGNED = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}
# A level's metrics (`level_metrics`): integer counts, then the one fraction.
_COUNT_KEYS = ("dead_ends", "junctions", "n_walls", "passable")
_FRACTION_KEY = "dead_end_fraction"


class MazeVectorEnv(VectorEnv):
    """``num_envs`` independent `MazeEnv` games stepped together, by array operations and one compiled loop.

    ## Description
    The natively batched counterpart of `MazeEnv`: the same mazes, moves, observations, rewards
    and episode ends, for ``num_envs`` sub-environments at once, with no Python loop over the
    sub-environments in `step`. Every registered ``Daedalus-*`` id serves it through gymnasium's
    ``vector_entry_point``::

        envs = gym.make_vec("Daedalus-Backtracker-v0", num_envs=1024, vectorization_mode="vector_entry_point")

    (``vectorization_mode=None`` picks it too; ``"sync"``/``"async"`` still build
    `gymnasium.vector.SyncVectorEnv`/`AsyncVectorEnv` around single `MazeEnv` copies.)

    ## Action Space
    ``MultiDiscrete([4] * num_envs)``: per sub-env 0 up, 1 right, 2 down, 3 left. Integer
    arrays of shape ``(num_envs,)``; anything else raises ``ValueError``.

    ## Observation Space
    ``single_observation_space`` is `MazeEnv`'s for the same ``obs_mode`` (``"image"``, the
    default: ``Box(0, 255, (H t, W t, 3), uint8)`` wall/agent/goal at 0/255, ``t x t`` pixels a
    square, at least 36 pixels a side; ``"grid"``: ``MultiBinary((H, W, 3))`` int8 wall/agent/goal;
    ``"egocentric"``: ``MultiBinary((k, k, 2))`` wall/goal; ``"rgb"``: ``Box(0, 255, (H t, W t, 3),
    uint8)``); ``observation_space`` stacks ``num_envs`` of them.

    **Returned arrays.** With ``copy=True`` (the default, as gymnasium's `SyncVectorEnv` and
    `AsyncVectorEnv`) `reset` and `step` return a fresh observation array each call.
    ``copy=False`` returns the env's own observation buffer, which the next `step` updates in
    place -- only the squares an agent left and entered change, which makes ``grid`` stepping
    about 3x faster at 1,024 envs (``egocentric`` and ``rgb`` gain less). Consume or copy such an
    observation before the next call (``torch.as_tensor(obs)`` copies on its way to a device;
    storing ``obs`` itself in a list does not).
    Rewards, terminations, truncations and infos are always fresh arrays.

    ## Rewards, Starting State, Episode End
    As `MazeEnv`, by the same code (`daedalus_gym.core`): ``1 - 0.9 * steps / (4 h w)`` on
    reaching the goal, else 0; the agent starts on ``maze.start``; terminated at the goal;
    truncated after ``max_episode_steps`` steps (the id's time limit), as ``gym.make``'s
    ``TimeLimit`` does for the single env: a goal reached on the last step sets both flags.

    ## Autoreset
    ``metadata["autoreset_mode"]``: `gymnasium.vector.AutoresetMode.NEXT_STEP` by default,
    gymnasium's documented convention: the step after a sub-env terminates or truncates resets
    it, ignoring its action, and returns its first observation with reward 0 and both flags
    ``False``. ``autoreset_mode="SameStep"`` (reset in the same step, the last observation and
    info in ``info["final_obs"]``/``info["final_info"]``) and ``"Disabled"`` (reset finished envs
    yourself with ``reset(options={"reset_mask": mask})``) work as in `SyncVectorEnv`.

    ## Seeding
    Identical to ``num_envs`` single envs seeded the same way, i.e. to ``gym.make_vec(id,
    num_envs, vectorization_mode="sync")``: ``reset(seed=s)`` seeds sub-env ``i`` with
    ``s + i`` (a list gives one seed per sub-env, ``None`` keeps each stream going), and each
    sub-env draws its mazes from its own `numpy.random.Generator` in the same order as
    `MazeEnv` -- so the same seeds give the same mazes and the same trajectories (tested).
    The rngs themselves (``np_random``) run ahead of a single env's: the pool has already drawn
    the mazes it keeps ready.

    ## Maze supply
    Mazes come from a pool refilled in batches: each sub-env keeps its next ``pool_size`` mazes
    ready, and when one runs dry every sub-env below ``pool_size`` is topped up in one batched
    generation. Generators that offer `generators.base.UniformsGenerator` (backtracker,
    Kruskal, Prim) or `generators.base.NoiseGenerator` (any noise, e.g. a learned model's latent
    codes) have each sub-env's random input drawn from its own rng and all the mazes built in
    one call; any other generator falls back to ``generate_batch`` per sub-env -- still exactly
    the single env's mazes, only slower.

    Every maze is checked before it is served, in the refill batch: ``check="bfs"`` (default)
    runs `generators.shortest_paths.shortest_path_lengths`, a batched BFS that gives the same
    answers as networkx (tested) about 200x faster; ``check="networkx"`` runs networkx BFS per
    maze like `MazeEnv` (about 1.5 ms a maze at 14x14). An unsolvable maze is skipped, as
    `MazeEnv` skips it; ``max_attempts`` unsolvable mazes in a row raise ``RuntimeError``
    (raised at refill, possibly a few episodes before the single env would raise).

    ## Information
    Per step and reset, gymnasium's vector info layout: ``optimal_path_length`` (int64),
    ``generator`` and ``maze_hash`` (object arrays of str), ``steps`` (int64), each with its
    ``_key`` mask -- the same as `SyncVectorEnv` over `MazeEnv`. The sub-envs that start a
    level (at `reset`, or an autoreset within `step`) also report its metrics, as `MazeEnv`'s
    ``reset`` does: ``dead_ends``, ``junctions``, ``n_walls``, ``passable`` (int64) and
    ``dead_end_fraction`` (float64), masked to those sub-envs. They are computed in the pool's
    refill batch, so a step pays only for gathering them.

    ## Arguments
    - ``num_envs``: number of sub-environments (an int >= 1).
    - ``generator``, ``generator_kwargs``, ``default_generator_kwargs``, ``obs_mode``,
      ``view_size``, ``obs_tile_size``, ``render_tile_size``, ``show_path``, ``max_attempts``:
      as `MazeEnv` (checked by the same function).
    - ``max_episode_steps``: the time limit (``gym.make_vec`` passes the id's, and ``None``
      means the id's too, as for ``gym.make``; without an id, ``4 * h * w``); -1, as Gymnasium
      spells it, for none: episodes end only at the goal. The
      id's limit is for the id's size: with larger mazes it warns; pass
      ``max_episode_steps=4 * h * w`` for theirs.
    - ``render_mode``: ``"rgb_array"`` or ``"ansi"``: `render` returns one frame per sub-env.
    - ``autoreset_mode``: ``"NextStep"`` (default), ``"SameStep"`` or ``"Disabled"``.
    - ``copy``: return a fresh observation array from `reset`/`step` (default ``True``);
      ``False``: the env's buffer, see Returned arrays.
    - ``pool_size``: mazes kept ready per sub-env (default: about the generator's
      ``refill_batch`` / ``num_envs``, between 2 and 64: 4,096 / ``num_envs`` for most
      generators, 256 / ``num_envs`` under a difficulty target whose search is not compiled,
      the learned generators', where a maze costs milliseconds). It does not change which
      mazes a sub-env plays.
    - ``check``: ``"bfs"`` or ``"networkx"``, see Maze supply.
    - ``num_levels``, ``start_level``, ``levels``: the level set, as `MazeEnv` (checked by the
      same function, served by the same `daedalus_gym.splits.LevelSet`). Each sub-env draws its
      levels from its own rng, exactly as a single env seeded the same way; a refill generates
      the drawn levels' mazes in one batch, and a set small enough (up to about 32 MB of walls)
      keeps each training level's maze once generated. ``info["level_seed"]`` (int64, masked)
      names the level where one starts.

    ``reset(seed=...)`` takes ``None``, an int ``>= 0`` or one such int (or ``None``) per sub-env;
    ``reset(options=...)`` a dict or ``None``. Anything else raises an error naming the value.

    ## Version History
    - v0: initial release. Since then, before the first release: ``max_steps`` removed, the time
      limit ``max_episode_steps`` is the only one (the reward keeps the scale ``4 h w``, as
      `MazeEnv`); ``generator_kwargs``
      update the id's; a maze without a wall border is played within its own grid; bools, floats
      and bytes are refused as ints and seeds; ``reset(options={"level": ...})`` (``"maze"`` kept
      as its alias) and the level metrics in ``info`` where a level starts; level sets
      (``num_levels``, ``start_level``, ``levels``) and ``info["level_seed"]``.
    - 0.3.0 (same ids): the default ``obs_mode`` is ``"image"`` (it was ``"grid"``), as `MazeEnv`.
    - 0.4.0 (same ids): ``Daedalus-VAE-v0`` serves the depth-first VAE; ``Daedalus-VAE-7x7-v0``
      and ``Daedalus-VAE-28x28-v0`` are new (see `MazeEnv`).
    - 0.5.0 (same ids): ``Daedalus-AE-v0`` serves the depth-first AE; ``Daedalus-AE-7x7-v0``
      and ``Daedalus-AE-28x28-v0`` are new (see `MazeEnv`).
    - 0.6.0 (same ids): a classical generator under ``target`` or ``difficulty`` draws its mazes
      from a compiled search (see `MazeEnv`); uncontrolled mazes are unchanged.
    - 0.7.0 (same ids): the learned ids decode in float32, which gives 0.6.1's float64 mazes all
      but about one in 10,000 (see `MazeEnv`).
    - 0.7.1 (same ids): the Kruskal ids under ``target`` or ``difficulty`` search over edge
      orders, so a seed gives other controlled Kruskal mazes (see `MazeEnv`).
    - 0.7.2 (same ids): the learned ids under ``target`` or ``difficulty`` mutate their best
      walks, so a seed can give other controlled learned mazes (see `MazeEnv`).
    - 0.7.3 (same ids): ``levels="eval"`` plays ``eval-v1``, which for the 14x14 AE and VAE ids
      holds their current models' levels (see `MazeEnv`).
    - 0.8.0 (same ids): unlimited levels are ``num_levels=None``, the default; ``num_levels=0``
      is refused (see `MazeEnv`).
    - 0.9.0 (same ids): one observation mode's arguments are refused with another, ``copy``
      must be a bool, bools among int actions are refused (see `MazeEnv`);
      ``max_episode_steps=-1`` means no time limit, as in Gymnasium.
    - 0.9.1 (same ids): with ``generator_kwargs={"path_head": True}`` a seed serves another
      maze (see `MazeEnv`).
    - 0.9.2 (same ids): a goal reached on the time limit's last step is truncated as well as
      terminated, as gymnasium's ``TimeLimit`` and ``SyncVectorEnv`` report it (it was
      terminated only); ``max_episode_steps=None`` from ``gym.make_vec`` is the id's limit, as
      ``gym.make`` reads it; the goal's reward at or past ``4 h w`` steps is exactly 0.1.
    """

    metadata: ClassVar[dict[str, Any]] = {
        "render_modes": ["rgb_array", "ansi"],
        "render_fps": 8,
        "autoreset_mode": AutoresetMode.NEXT_STEP,
    }

    def __init__(
        self,
        num_envs: int = 1,
        generator: str | Generator = "backtracker",
        generator_kwargs: dict[str, Any] | None = None,
        obs_mode: ObsMode = DEFAULT_OBS_MODE,
        view_size: int | None = None,
        obs_tile_size: int | None = None,
        max_episode_steps: int | None = None,
        render_mode: str | None = None,
        render_tile_size: int = 16,
        show_path: bool = False,
        max_attempts: int = 10,
        autoreset_mode: str | AutoresetMode = AutoresetMode.NEXT_STEP,
        copy: bool = True,
        pool_size: int | None = None,
        check: str = "bfs",
        default_generator_kwargs: dict[str, Any] | None = None,
        max_steps: None = None,
        num_levels: int | None = None,
        start_level: int = 0,
        levels: str = "train",
    ) -> None:
        n = check_int(num_envs, "num_envs")
        try:
            mode = (
                autoreset_mode if isinstance(autoreset_mode, AutoresetMode) else AutoresetMode(autoreset_mode)
            )
        except ValueError:
            valid = [m.value for m in AutoresetMode]
            raise ValueError(
                f"autoreset_mode must be one of {valid}, got {describe(autoreset_mode)}"
            ) from None
        check = check_choice(check, "check", CHECKS)
        if not isinstance(copy, (bool, np.bool_)):
            raise TypeError(f"copy must be a bool, got {describe(copy)}")
        if pool_size is not None:
            pool_size = check_int(pool_size, "pool_size")
        if max_episode_steps is None:  # gym.make_vec(id, max_episode_steps=None): the id's, as gym.make
            max_episode_steps = id_time_limit(default_generator_kwargs)
        settings = make_settings(
            self.metadata["render_modes"], generator, generator_kwargs, obs_mode, view_size, obs_tile_size,
            max_episode_steps, render_mode, render_tile_size, show_path, max_attempts,
            default_generator_kwargs, max_steps, levels, num_levels, start_level,
        )  # fmt: skip
        warn_time_limit(default_generator_kwargs, settings.shape, settings.max_episode_steps)
        self.num_envs = n
        self.settings = settings
        self.generator = settings.generator
        if pool_size is None:  # about one refill batch of the generator's over all sub-envs
            batch = check_int(getattr(self.generator, "refill_batch", _POOL_TARGET_BATCH), "refill_batch")
            pool_size = min(_POOL_MAX, max(_POOL_MIN, math.ceil(batch / n)))
        self.pool_size: int = pool_size
        self.height, self.width = h, w = settings.shape
        _check_memory(n, self.pool_size, h, w, settings.observation_space())
        self.obs_mode: ObsMode = settings.obs_mode
        self.max_episode_steps = settings.max_episode_steps  # NO_TIME_LIMIT (-1): never truncated
        unlimited = self.max_episode_steps == NO_TIME_LIMIT
        self._limit = np.iinfo(np.int64).max if unlimited else self.max_episode_steps
        self.render_mode = settings.render_mode
        self.autoreset_mode = mode
        self.copy = bool(copy)
        self.check = check
        self.metadata = {**self.metadata, "autoreset_mode": mode}
        self.single_action_space = Discrete(4)
        self.action_space = batch_space(self.single_action_space, n)
        self.single_observation_space = settings.observation_space()
        self.observation_space = batch_space(self.single_observation_space, n)
        self._fast_path = fast_path(self.generator)  # how a refill batches generation
        self.level_set = LevelSet.of(settings)  # None: unlimited levels

        self._batch = MazeBatch(settings, n)
        self._names = np.full(n, self.generator.name, dtype=object)
        self._all = np.ones(n, dtype=bool)
        self._autoreset = np.zeros(n, dtype=bool)
        self._loaded = False
        # Per sub-env rng and ring buffer of ready mazes.
        k = self.pool_size
        self._rngs: list[np.random.Generator | None] = [None] * n
        self._seeds: list[int | None] = [None] * n
        self._pool_walls = np.zeros((n, k, h, w), dtype=bool)
        self._pool_start = np.zeros((n, k, 2), dtype=np.int64)
        self._pool_goal = np.zeros((n, k, 2), dtype=np.int64)
        self._pool_length = np.zeros((n, k), dtype=np.int64)
        self._pool_hash = np.full((n, k), "", dtype=object)
        self._pool_counts = np.zeros((n, k, len(_COUNT_KEYS)), dtype=np.int64)
        self._pool_fraction = np.zeros((n, k), dtype=np.float64)
        self._pool_level = np.full((n, k), -1, dtype=np.int64)
        self._level = np.full(n, -1, dtype=np.int64)  # the level seed each sub-env plays
        # The metrics of the level each sub-env plays.
        self._counts = np.zeros((len(_COUNT_KEYS), n), dtype=np.int64)
        self._fraction = np.zeros(n, dtype=np.float64)
        self._pool_head = np.zeros(n, dtype=np.int64)
        self._pool_count = np.zeros(n, dtype=np.int64)
        self._unsolvable_run = np.zeros(n, dtype=np.int64)

    def _observe(self) -> np.ndarray:
        obs = self._batch.observe()
        return obs.copy() if self.copy else obs

    # ------------------------------------------------------------------ core API
    def reset(
        self,
        *,
        seed: int | list[int | None] | None = None,
        options: dict[str, Any] | None = None,
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Reset every sub-env, or those in ``options["reset_mask"]``.

        Args:
            seed: ``None`` (keep each stream; fresh entropy the first time), an int ``s >= 0``
                (sub-env ``i`` gets ``s + i``) or one int ``>= 0``/``None`` per sub-env.
            options: ``{"reset_mask": bool[num_envs]}`` resets only the masked sub-envs (seeds of
                the others are ignored); ``{"level": Maze}`` plays that level in every reset
                sub-env, ``{"level": [Maze, ...]}`` one level per reset sub-env, in order (what a
                curriculum hands out; a `generators.MazeArrays` is the fastest such sequence:
                its arrays load without a `Maze` per level); ``"maze"``, the older name, still
                works.
        """
        n = self.num_envs
        seeds = check_seeds(seed, n)
        options = check_options(options, [*LEVEL_OPTIONS, "reset_mask"])
        mask = options.get("reset_mask")
        if mask is None:
            envs = np.arange(n)
        else:
            if not isinstance(mask, np.ndarray) or mask.shape != (n,) or mask.dtype != np.bool_:
                got = (
                    f"{mask.dtype} of shape {mask.shape}" if isinstance(mask, np.ndarray) else describe(mask)
                )
                raise ValueError(
                    f"options['reset_mask'] must be a bool numpy array of shape ({n},), got {got}"
                )
            if not mask.any():
                raise ValueError("options['reset_mask'] must select at least one sub-env")
            if not self._loaded and not mask.all():
                raise RuntimeError("the first reset must reset every sub-env (no reset_mask)")
            envs = np.flatnonzero(mask)

        given = None
        level = given_level(options)
        if level is not None:  # checked before any state changes
            given = self._given_maze(*level, len(envs))
        for i in envs.tolist():
            if seeds[i] is not None or self._rngs[i] is None:
                self._rngs[i], self._seeds[i] = seeding.np_random(seeds[i])
                self._pool_count[i] = 0  # mazes drawn from the old stream no longer apply
                self._unsolvable_run[i] = 0
        self._load(envs, *(given if given is not None else self._serve(envs)))
        self._loaded = True
        self._autoreset[envs] = False
        return self._observe(), {**self._info(envs), **self._level_info(envs)}

    def step(self, actions: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        if not self._loaded:
            raise RuntimeError("call reset() before step()")
        actions = self._check_actions(actions)
        resetting = self._autoreset
        if self.autoreset_mode == AutoresetMode.DISABLED and resetting.any():
            raise RuntimeError(
                f"sub-envs {np.flatnonzero(resetting).tolist()} have finished and autoreset_mode is "
                "Disabled; reset them with reset(options={'reset_mask': mask})"
            )
        # np.count_nonzero, not .any(): the same answer at a fraction of the per-call cost, which
        # is what a step at a few envs is made of.
        any_reset = self.autoreset_mode == AutoresetMode.NEXT_STEP and np.count_nonzero(resetting) > 0
        batch = self._batch
        # Sub-envs resetting this step ignore their action: they start a new maze.
        terminated, rewards = batch.step(actions, resetting if any_reset else None)
        # As gymnasium's TimeLimit: truncated at the limit, also where the goal is reached on
        # that very step (then both flags are set).
        truncated = batch.steps >= self._limit

        final: dict[str, Any] | None = None
        started: np.ndarray | None = None  # sub-envs that start a level in this step
        if any_reset:
            envs = started = np.flatnonzero(resetting)
            self._load(envs, *self._serve(envs))
            rewards[envs] = 0.0
            terminated[envs] = False
            truncated[envs] = False
        elif self.autoreset_mode == AutoresetMode.SAME_STEP:
            done = terminated | truncated
            if np.count_nonzero(done):
                envs = started = np.flatnonzero(done)
                final = self._final(envs)
                self._load(envs, *self._serve(envs))

        self._autoreset = terminated | truncated
        obs = self._observe()
        info = self._info()
        if started is not None:
            info.update(self._level_info(started))
        if final is not None:
            info = {**final, **info}
        return obs, rewards, terminated, truncated, info

    def _check_actions(self, actions: Any) -> np.ndarray:
        try:
            a = np.asarray(actions)
        except (ValueError, TypeError):  # ragged lists, bytes next to str, ...
            raise ValueError(
                f"actions must be an int array of shape ({self.num_envs},), got {actions!r:.80}"
            ) from None
        if a.shape != (self.num_envs,):
            raise ValueError(f"actions must have shape ({self.num_envs},), got {a.shape}")
        if a.dtype.kind not in "iu" or (
            not isinstance(actions, np.ndarray) and any(isinstance(x, (bool, np.bool_)) for x in actions)
        ):
            got = f"dtype {a.dtype}" if a.dtype.kind not in "iu" else f"bools in {actions!r:.80}"
            raise ValueError(f"actions must be integers in [0, 4), got {got}")
        # One pass instead of min() and max(): viewed unsigned, a negative action is above 3 too.
        unsigned = a.view(_UNSIGNED[a.itemsize]) if a.dtype.kind == "i" else a
        if np.count_nonzero(unsigned > 3):
            bad = np.flatnonzero((a < 0) | (a > 3))
            raise ValueError(
                f"actions must be in [0, 4), got {a[bad[:5]].tolist()} at sub-envs {bad[:5].tolist()}"
            )
        return a

    # ------------------------------------------------------------------ info
    def _info(self, envs: np.ndarray | None = None) -> dict[str, Any]:
        batch = self._batch
        if envs is None:  # every sub-env, the per-step case: written out, no loop
            mask = self._all
            return {
                "optimal_path_length": batch.length.copy(),
                "_optimal_path_length": mask.copy(),
                "generator": self._names.copy(),
                "_generator": mask.copy(),
                "maze_hash": batch.hash.copy(),
                "_maze_hash": mask.copy(),
                "steps": batch.steps.copy(),
                "_steps": mask.copy(),
            }
        mask = np.zeros(self.num_envs, dtype=bool)
        mask[envs] = True
        values = {
            "optimal_path_length": batch.length,
            "generator": self._names,
            "maze_hash": batch.hash,
            "steps": batch.steps,
        }
        info: dict[str, Any] = {}
        for key in _INFO_KEYS:
            value = values[key].copy()
            value[~mask] = None if value.dtype == object else 0  # like SyncVectorEnv: blank if not reset
            info[key] = value
            info[f"_{key}"] = mask.copy()
        return info

    def _level_info(self, envs: np.ndarray) -> dict[str, Any]:
        """The metrics of the levels sub-envs ``envs`` have just started, masked to them."""
        mask = np.zeros(self.num_envs, dtype=bool)
        mask[envs] = True
        counts = np.where(mask, self._counts, 0)  # one call for every count: a step pays little
        info: dict[str, Any] = {_FRACTION_KEY: np.where(mask, self._fraction, 0.0), f"_{_FRACTION_KEY}": mask}
        for key, value in zip(_COUNT_KEYS, counts, strict=True):
            info[key], info[f"_{key}"] = value, mask.copy()
        if self.level_set is not None:
            info["level_seed"], info["_level_seed"] = np.where(mask, self._level, 0), mask.copy()
        return info

    def _final(self, envs: np.ndarray) -> dict[str, Any]:
        """SAME_STEP's ``final_obs``/``final_info`` for the finished sub-envs ``envs``."""
        obs = self._batch.observe()
        final_obs = np.full(self.num_envs, None, dtype=object)
        for i in envs.tolist():
            final_obs[i] = obs[i].copy()
        mask = np.zeros(self.num_envs, dtype=bool)
        mask[envs] = True
        return {
            "final_obs": final_obs,
            "_final_obs": mask,
            "final_info": self._info(envs),
            "_final_info": mask.copy(),
        }

    # ------------------------------------------------------------------ maze supply
    def _given_maze(self, key: str, maze: Any, count: int) -> tuple[np.ndarray, ...]:
        """The level arrays of ``options[key]``: one `Maze` for all ``count`` reset sub-envs, or a
        list or tuple of ``count`` mazes, one per reset sub-env in order (checked in one batch)."""
        if isinstance(maze, (list, tuple, MazeArrays)):
            return self._given_mazes(key, maze, count)
        length = check_given_maze(maze, (self.height, self.width), key)
        start, goal = np.array([maze.start]), np.array([maze.goal])
        counts, fraction = _metrics(maze.walls[None])
        return (
            np.broadcast_to(maze.walls, (count, *maze.shape)),
            np.repeat(start, count, axis=0),
            np.repeat(goal, count, axis=0),
            np.full(count, length, dtype=np.int64),
            np.repeat(maze_hashes(maze.walls[None], start, goal), count),
            np.repeat(counts, count, axis=0),
            np.repeat(fraction, count),
            np.full(count, -1, dtype=np.int64),
        )

    def _given_mazes(self, key: str, mazes: Sequence[Any], count: int) -> tuple[np.ndarray, ...]:
        if len(mazes) != count:
            raise ValueError(
                f"options[{key!r}] is a sequence of {len(mazes)} mazes; it needs one per reset "
                f"sub-env: {count}"
            )
        shape = (self.height, self.width)
        if not isinstance(mazes, MazeArrays):
            for i, maze in enumerate(mazes):
                if not isinstance(maze, Maze):
                    raise TypeError(f"options[{key!r}][{i}] must be a generators.Maze, got {describe(maze)}")
                if maze.shape != shape:
                    raise ValueError(f"options[{key!r}][{i}] has shape {maze.shape}, this env plays {shape}")
            mazes = MazeArrays.of(mazes)
        elif mazes.shape != shape:
            raise ValueError(f"options[{key!r}] holds mazes of shape {mazes.shape}, this env plays {shape}")
        walls, start, goal = mazes.walls, mazes.start, mazes.goal
        # The batched search runs once per level (a replayed level keeps its answer).
        length = mazes.path_lengths() if self.check == "bfs" else path_lengths(walls, start, goal, self.check)
        if (length < 0).any():
            i = int(np.flatnonzero(length < 0)[0])
            raise ValueError(
                f"options[{key!r}][{i}] is unsolvable: no path from {tuple(start[i].tolist())} to "
                f"{tuple(goal[i].tolist())}"
            )
        counts, fraction = _metrics(walls, mazes.on_lattice())
        return (
            walls,
            start,
            goal,
            length,
            mazes.maze_hashes(),
            counts,
            fraction,
            np.full(count, -1, dtype=np.int64),
        )

    def _load(self, envs: np.ndarray, *level: np.ndarray) -> None:
        """Start the levels ``level`` (`_serve`'s arrays) in sub-envs ``envs``."""
        *arrays, counts, fraction, seed = level
        self._batch.load(envs, *arrays)
        self._level[envs] = seed
        self._counts[:, envs] = counts.T
        self._fraction[envs] = fraction

    def _serve(self, envs: np.ndarray) -> tuple[np.ndarray, ...]:
        """Pop the next ready maze of each sub-env in ``envs``, refilling the pool if one is dry."""
        if (self._pool_count[envs] == 0).any():
            self._refill()
        slot = self._pool_head[envs]
        self._pool_head[envs] = (slot + 1) % self.pool_size
        self._pool_count[envs] -= 1
        return (
            self._pool_walls[envs, slot],
            self._pool_start[envs, slot],
            self._pool_goal[envs, slot],
            self._pool_length[envs, slot],
            self._pool_hash[envs, slot],
            self._pool_counts[envs, slot],
            self._pool_fraction[envs, slot],
            self._pool_level[envs, slot],
        )

    def _refill(self) -> None:
        """Top up every seeded sub-env's pool to ``pool_size`` solvable mazes in batches."""
        while True:
            want = self.pool_size - self._pool_count
            want[[i for i, rng in enumerate(self._rngs) if rng is None]] = 0
            envs = np.flatnonzero(want)
            if envs.size == 0:
                return
            owner = np.repeat(envs, want[envs])
            if self.level_set is None:
                walls, start, goal = self._generate(envs, want[envs])
                length = path_lengths(walls, start, goal, self.check)
                keep = length >= 0
                self._check_runs(
                    owner, keep, lambda: unsolvable_error(self.generator, self.settings.max_attempts)
                )
                seeds = np.full(len(owner), -1, dtype=np.int64)
            else:
                # Each sub-env's levels drawn from its own rng, in order; their mazes in one batch.
                levels = self.level_set
                seeds = np.concatenate(
                    [
                        levels.draw(self._rngs[i], c)
                        for i, c in zip(envs.tolist(), want[envs].tolist(), strict=True)
                    ]
                )
                walls, start, goal, length, keep = levels.serve(seeds)
                self._check_runs(owner, keep, levels.rejection_error, HELD_OUT_TRIES)
            owner, walls, start, goal, length, seeds = (
                owner[keep],
                walls[keep],
                start[keep],
                goal[keep],
                length[keep],
                seeds[keep],
            )
            # The j-th kept maze of an env goes to the j-th free slot after its queue's tail.
            rank = np.arange(len(owner)) - np.searchsorted(owner, owner)
            slot = (self._pool_head[owner] + self._pool_count[owner] + rank) % self.pool_size
            self._pool_walls[owner, slot] = walls
            self._pool_start[owner, slot] = start
            self._pool_goal[owner, slot] = goal
            self._pool_length[owner, slot] = length
            self._pool_hash[owner, slot] = maze_hashes(walls, start, goal)
            self._pool_counts[owner, slot], self._pool_fraction[owner, slot] = _metrics(walls)
            self._pool_level[owner, slot] = seeds
            self._pool_count += np.bincount(owner, minlength=self.num_envs)

    def _generate(self, envs: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``counts[j]`` mazes from sub-env ``envs[j]``'s rng, in order: walls, start, goal."""
        walls, start, goal = generate_from(
            self.generator, [self._rngs[i] for i in envs.tolist()], counts.tolist()
        )
        check_shape(self.generator, walls.shape[1:], (self.height, self.width))
        return walls, start, goal

    def _check_runs(
        self, owner: np.ndarray, kept: np.ndarray, error: Callable[[], Exception], limit: int | None = None
    ) -> None:
        """Raise ``error()`` once a sub-env has drawn ``limit`` (default ``max_attempts``) mazes in a
        row that are not ``kept`` (unsolvable, or a training level where levels are held out)."""
        if kept.all():
            self._unsolvable_run[np.unique(owner)] = 0
            return
        attempts = self.settings.max_attempts if limit is None else limit
        for i in np.unique(owner).tolist():
            run = self._unsolvable_run[i]
            for ok in kept[owner == i].tolist():
                run = 0 if ok else run + 1
                if run >= attempts:
                    raise error()
            self._unsolvable_run[i] = run

    # ------------------------------------------------------------------ inspection, seeding
    def maze(self, index: int) -> Maze:
        """The maze sub-env ``index`` is playing."""
        if not self._loaded:
            raise RuntimeError("call reset() before maze()")
        if isinstance(index, (bool, np.bool_)) or not (
            isinstance(index, (int, np.integer)) and 0 <= index < self.num_envs
        ):
            raise ValueError(f"index must be an int in [0, {self.num_envs}), got {describe(index)}")
        return self._batch.maze(int(index))

    @property
    def agent_pos(self) -> np.ndarray:
        """``int[num_envs, 2]``: every agent's ``(row, col)``."""
        return self._batch.rc(self._batch.pos)

    @property
    def np_random(self) -> tuple[np.random.Generator, ...]:
        """Each sub-env's rng (as `SyncVectorEnv`): sub-env ``i`` draws its mazes from ``np_random[i]``."""
        for i, rng in enumerate(self._rngs):
            if rng is None:
                self._rngs[i], self._seeds[i] = seeding.np_random()
        return tuple(self._rngs)  # type: ignore[arg-type]

    @property
    def np_random_seed(self) -> tuple[int | None, ...]:
        """Each sub-env's seed (as `SyncVectorEnv`)."""
        self.np_random  # noqa: B018 -- creates the missing rngs
        return tuple(self._seeds)

    # ------------------------------------------------------------------ rendering
    def render(self) -> tuple[Any, ...] | None:
        """One frame per sub-env: ``uint8[h, w, 3]`` pixels (``rgb_array``) or text (``ansi``)."""
        if self.render_mode is None:
            from gymnasium import logger

            logger.warn("render() called without a render_mode; pass render_mode='rgb_array' or 'ansi'")
            return None
        if not self._loaded:
            raise RuntimeError("call reset() before render()")
        from daedalus_gym.rendering import draw, render_ansi

        mazes = [self.maze(i) for i in range(self.num_envs)]
        agents = [tuple(rc) for rc in self.agent_pos.tolist()]
        if self.render_mode == "ansi":
            return tuple(render_ansi(m, a) for m, a in zip(mazes, agents, strict=True))
        tile, show_path = self.settings.render_tile_size, self.settings.show_path
        return tuple(
            draw(m, a, m.shortest_path() if show_path else None, tile)
            for m, a in zip(mazes, agents, strict=True)
        )


def _check_memory(n: int, pool_size: int, height: int, width: int, obs_space: Any) -> None:
    """Refuse, before allocating anything, a vector env larger than this machine's memory."""
    # Per sub-env: the pool (walls, start, goal, length, hash, metrics, level seed), the padded
    # wall grid, and two observation buffers (the batch's own and a fresh copy per step).
    per_env = pool_size * (height * width + 8 * (2 + 2 + 1 + 1 + len(_COUNT_KEYS) + 1 + 1))
    per_env += (height + 16) * (width + 16) + 2 * int(np.prod(obs_space.shape)) + 256
    need = n * per_env
    total = physical_memory()
    if total is None:
        return
    if need > total / 2:  # past half, the first refill or a copy of the batch would exhaust it
        raise ValueError(
            f"num_envs={n} needs about {need / 2**30:,.1f} GiB for its buffers and maze pool "
            f"(pool_size={pool_size}, {height}x{width} grids), more than half of this machine's "
            f"{total / 2**30:,.1f} GiB"
        )


def _metrics(walls: np.ndarray, lattice: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """`level_metrics` of ``walls: bool[B, H, W]`` as ``(int64[B, 4] counts, float64[B] fraction)``."""
    metrics = level_metrics(walls, lattice)
    return np.stack([metrics[key] for key in _COUNT_KEYS], axis=1), metrics[_FRACTION_KEY]


__all__ = ["CHECKS", "MazeVectorEnv"]
