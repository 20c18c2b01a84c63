"""`MazeVectorEnv`: ``num_envs`` mazes stepped at once with array operations."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
from gymnasium.utils import seeding
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from daedalus_gym.env import AGENT, GOAL, WALL, MazeEnv, ObsMode, check_given_maze
from daedalus_gym.rendering import COLORS
from generators.shortest_paths import shortest_path_lengths
from generators import Generator, Maze, MazeGenerator
from generators.base import NoiseGenerator, UniformsGenerator

CHECKS: tuple[str, ...] = ("bfs", "networkx")
# Mazes kept ready per sub-env: enough that a refill is one big batch (about 4,096 mazes) for any
# num_envs, never fewer than 2 so that a refill tops up many envs at once.
_POOL_TARGET_BATCH = 4096
_POOL_MIN, _POOL_MAX = 2, 64
_INFO_KEYS = ("optimal_path_length", "generator", "maze_hash", "steps")


class MazeVectorEnv(VectorEnv):
    """``num_envs`` independent `MazeEnv` games stepped together with numpy array operations.

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
    ``single_observation_space`` is `MazeEnv`'s for the same ``obs_mode`` (``"grid"``:
    ``MultiBinary((H, W, 3))`` int8 wall/agent/goal, ``"egocentric"``: ``MultiBinary((k, k, 2))``
    wall/goal, ``"rgb"``: ``Box(0, 255, (H t, W t, 3), uint8)``); ``observation_space`` stacks
    ``num_envs`` of them.

    **Returned arrays.** With ``copy=True`` (the default, as gymnasium's `SyncVectorEnv` and
    `AsyncVectorEnv`) `reset` and `step` return a fresh observation array each call.
    ``copy=False`` returns the env's own observation buffer, which the next `step` updates in
    place -- only the squares an agent left and entered change, which makes ``grid`` stepping
    about 3x faster at 1,024 envs (``egocentric`` and ``rgb`` gain less). Consume or copy such an
    observation before the next call (``torch.as_tensor(obs)`` copies on its way to a device;
    storing ``obs`` itself in a list does not).
    Rewards, terminations, truncations and infos are always fresh arrays.

    ## Rewards, Starting State, Episode End
    As `MazeEnv`: ``1 - 0.9 * steps / max_steps`` on reaching the goal, else 0; the agent starts
    on ``maze.start``; terminated at the goal; truncated after ``max_episode_steps`` steps (the
    id's time limit, what ``gym.make``'s ``TimeLimit`` does) and, when not terminated, after
    ``max_steps``.

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
    ``_key`` mask -- the same as `SyncVectorEnv` over `MazeEnv`.

    ## Arguments
    - ``num_envs``: number of sub-environments.
    - ``generator``, ``generator_kwargs``, ``obs_mode``, ``view_size``, ``obs_tile_size``,
      ``max_steps``, ``render_tile_size``, ``show_path``, ``max_attempts``: as `MazeEnv`.
    - ``max_episode_steps``: time limit (``gym.make_vec`` passes the id's); ``None``: none.
    - ``render_mode``: ``"rgb_array"`` or ``"ansi"``: `render` returns one frame per sub-env.
    - ``autoreset_mode``: ``"NextStep"`` (default), ``"SameStep"`` or ``"Disabled"``.
    - ``copy``: return a fresh observation array from `reset`/`step` (default ``True``);
      ``False``: the env's buffer, see Returned arrays.
    - ``pool_size``: mazes kept ready per sub-env (default: about 4,096 / ``num_envs``,
      between 2 and 64).
    - ``check``: ``"bfs"`` or ``"networkx"``, see Maze supply.

    ## Version History
    - v0: initial release.
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
        obs_mode: ObsMode = "grid",
        view_size: int = 5,
        obs_tile_size: int = 4,
        max_steps: int | None = None,
        max_episode_steps: int | None = None,
        render_mode: str | None = None,
        render_tile_size: int = 16,
        show_path: bool = False,
        max_attempts: int = 10,
        autoreset_mode: str | AutoresetMode = AutoresetMode.NEXT_STEP,
        copy: bool = True,
        pool_size: int | None = None,
        check: str = "bfs",
    ) -> None:
        if not isinstance(num_envs, (int, np.integer)) or isinstance(num_envs, bool) or num_envs < 1:
            raise ValueError(f"num_envs must be a positive int, got {num_envs!r}")
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(
                f"render_mode must be one of {self.metadata['render_modes']} or None, got {render_mode!r}"
            )
        try:
            mode = (
                autoreset_mode if isinstance(autoreset_mode, AutoresetMode) else AutoresetMode(autoreset_mode)
            )
        except ValueError:
            valid = [m.value for m in AutoresetMode]
            raise ValueError(f"autoreset_mode must be one of {valid}, got {autoreset_mode!r}") from None
        if max_episode_steps is not None and not (
            isinstance(max_episode_steps, (int, np.integer)) and max_episode_steps >= 1
        ):
            raise ValueError(f"max_episode_steps must be a positive int or None, got {max_episode_steps!r}")
        if check not in CHECKS:
            raise ValueError(f"check must be one of {CHECKS}, got {check!r}")
        # One single env, never reset, validates the shared arguments and defines the spaces, so
        # the two can never disagree.
        template = MazeEnv(
            generator=generator,
            generator_kwargs=generator_kwargs,
            obs_mode=obs_mode,
            view_size=view_size,
            obs_tile_size=obs_tile_size,
            max_steps=max_steps,
            max_attempts=max_attempts,
        )
        self.num_envs = int(num_envs)
        self.generator = template.generator
        self.obs_mode: ObsMode = obs_mode
        self.view_size = view_size
        self.obs_tile_size = obs_tile_size
        self.max_steps = template.max_steps
        self.max_episode_steps = None if max_episode_steps is None else int(max_episode_steps)
        self.max_attempts = max_attempts
        self.render_mode = render_mode
        self.render_tile_size = render_tile_size
        self.show_path = show_path
        self.autoreset_mode = mode
        self.copy = bool(copy)
        self.check = check
        self.metadata = {**self.metadata, "autoreset_mode": mode}
        self.height, self.width = template.height, template.width
        self.single_action_space = template.action_space
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        self.single_observation_space = template.observation_space
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)

        if pool_size is None:
            pool_size = min(_POOL_MAX, max(_POOL_MIN, math.ceil(_POOL_TARGET_BATCH / self.num_envs)))
        if not (isinstance(pool_size, (int, np.integer)) and pool_size >= 1):
            raise ValueError(f"pool_size must be a positive int or None, got {pool_size!r}")
        self.pool_size = int(pool_size)
        # How a refill batches generation across sub-envs (see `_generate`).
        self._fast_path: str | None = None
        if isinstance(self.generator, MazeGenerator):
            if isinstance(self.generator, UniformsGenerator):
                self._fast_path = "uniforms"
            elif isinstance(self.generator, NoiseGenerator):
                self._fast_path = "noise"

        n, h, w = self.num_envs, self.height, self.width
        # Squares are addressed by one global index into a flat array of all sub-envs' grids, padded
        # by `pad` wall squares per side (the egocentric window's reach), so a move is one add.
        self._pad = view_size // 2 if obs_mode == "egocentric" else 0
        self._row = w + 2 * self._pad
        self._size = (h + 2 * self._pad) * self._row
        self._moves = np.array([-self._row, 1, self._row, -1], dtype=np.int64)
        self._walls = np.ones(n * self._size, dtype=bool)
        self._pos = np.zeros(n, dtype=np.int64)
        self._goal = np.zeros(n, dtype=np.int64)
        self._start = np.zeros(n, dtype=np.int64)
        self._steps = np.zeros(n, dtype=np.int64)
        self._length = np.zeros(n, dtype=np.int64)
        self._hash = np.full(n, "", dtype=object)
        self._names = np.full(n, self.generator.name, dtype=object)
        self._all = np.ones(n, dtype=bool)
        self._autoreset = np.zeros(n, dtype=bool)
        self._loaded = False
        self._build_obs_buffers()

        # Per sub-env rng and ring buffer of ready mazes.
        k = self.pool_size
        self._rngs: list[np.random.Generator | None] = [None] * n
        self._seeds: list[int | None] = [None] * n
        self._pool_walls = np.zeros((n, k, h, w), dtype=bool)
        self._pool_start = np.zeros((n, k, 2), dtype=np.int64)
        self._pool_goal = np.zeros((n, k, 2), dtype=np.int64)
        self._pool_length = np.zeros((n, k), dtype=np.int64)
        self._pool_hash = np.full((n, k), "", dtype=object)
        self._pool_head = np.zeros(n, dtype=np.int64)
        self._pool_count = np.zeros(n, dtype=np.int64)
        self._unsolvable_run = np.zeros(n, dtype=np.int64)
        self._renderer = None

    # ------------------------------------------------------------------ observation buffers
    def _build_obs_buffers(self) -> None:
        n, h, w = self.num_envs, self.height, self.width
        if self.obs_mode == "grid":
            self._obs = np.zeros((n, h, w, 3), dtype=np.int8)
            self._obs_flat = self._obs.reshape(-1)
        elif self.obs_mode == "egocentric":
            k, p = self.view_size, self._pad
            # [wall, goal] pairs read as one int16 so a window is one gather of k*k values.
            self._cells = np.zeros((n, h + 2 * p, self._row, 2), dtype=np.int8)
            self._cells[..., 0] = 1
            self._cells16 = self._cells.view(np.int16).reshape(-1)
            self._obs = np.zeros((n, k, k, 2), dtype=np.int8)
            self._obs16 = self._obs.view(np.int16).reshape(n, k * k)
            d = np.arange(k) - p
            self._window = (d[:, None] * self._row + d[None, :]).ravel()
        else:
            t = self.obs_tile_size
            self._obs = np.zeros((n, h * t, w * t, 3), dtype=np.uint8)
            self._obs_flat = self._obs.reshape(-1)
            pixel_row = w * t * 3
            y, x, c = np.meshgrid(np.arange(t), np.arange(t), np.arange(3), indexing="ij")
            self._tile = (y * pixel_row + x * 3 + c).ravel()  # a square's pixels, from its corner
            self._tile_of_square = t * pixel_row  # pixel offset of one grid row ...
            self._tile_of_col = t * 3  # ... and of one grid column
            self._agent_px = np.tile(np.array(COLORS["agent"], np.uint8), t * t)
            self._floor_px = np.tile(np.array(COLORS["floor"], np.uint8), t * t)
            self._start_px = np.tile(np.array(COLORS["start"], np.uint8), t * t)
            self._palette = np.array(
                [COLORS["floor"], COLORS["wall"], COLORS["start"], COLORS["goal"]], np.uint8
            )

    def _square_rc(self, pos: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Global square index -> (env, row, col) in maze coordinates."""
        env, local = np.divmod(pos, self._size)
        row, col = np.divmod(local, self._row)
        return env, row - self._pad, col - self._pad

    def _pixel_of(self, pos: np.ndarray) -> np.ndarray:
        """Flat index of the top-left pixel of each square ``pos`` in the rgb buffer."""
        env, row, col = self._square_rc(pos)
        t = self.obs_tile_size
        return (
            env * (self.height * t * self.width * t * 3)
            + row * self._tile_of_square
            + col * self._tile_of_col
        )

    def _observe(self) -> np.ndarray:
        if self.obs_mode == "egocentric":
            np.take(self._cells16, self._pos[:, None] + self._window, out=self._obs16, mode="clip")
        return self._obs.copy() if self.copy else self._obs

    # ------------------------------------------------------------------ core API
    def reset(
        self,
        *,
        seed: int | Sequence[int | None] | None = None,
        options: dict[str, Any] | None = None,
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Reset every sub-env, or those in ``options["reset_mask"]``.

        Args:
            seed: ``None`` (keep each stream; fresh entropy the first time), an int ``s`` (sub-env
                ``i`` gets ``s + i``) or one int/``None`` per sub-env.
            options: ``{"reset_mask": bool[num_envs]}`` resets only the masked sub-envs (seeds of
                the others are ignored); ``{"maze": Maze}`` plays that maze in every reset sub-env.
        """
        n = self.num_envs
        if seed is None:
            seeds: list[int | None] = [None] * n
        elif isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
            seeds = [int(seed) + i for i in range(n)]
        elif isinstance(seed, (Sequence, np.ndarray)) and not isinstance(seed, str):
            seeds = [None if s is None else int(s) for s in seed]
            if len(seeds) != n:
                raise ValueError(
                    f"seed must be an int, None or a list of {n} seeds, got a list of {len(seeds)}"
                )
        else:
            raise ValueError(f"seed must be an int, None or a list of {n} seeds, got {seed!r}")
        options = dict(options or {})
        unknown = set(options) - {"reset_mask", "maze"}
        if unknown:
            raise ValueError(f"unknown reset options {sorted(unknown)}; supported: ['maze', 'reset_mask']")
        mask = options.get("reset_mask")
        if mask is None:
            envs = np.arange(n)
        else:
            if not isinstance(mask, np.ndarray) or mask.shape != (n,) or mask.dtype != np.bool_:
                got = (
                    f"{mask.dtype} of shape {mask.shape}"
                    if isinstance(mask, np.ndarray)
                    else type(mask).__name__
                )
                raise ValueError(
                    f"options['reset_mask'] must be a bool numpy array of shape ({n},), got {got}"
                )
            if not mask.any():
                raise ValueError("options['reset_mask'] must select at least one sub-env")
            if not self._loaded and not mask.all():
                raise RuntimeError("the first reset must reset every sub-env (no reset_mask)")
            envs = np.flatnonzero(mask)

        for i in envs.tolist():
            if seeds[i] is not None or self._rngs[i] is None:
                self._rngs[i], self._seeds[i] = seeding.np_random(seeds[i])
                self._pool_count[i] = 0  # mazes drawn from the old stream no longer apply
                self._unsolvable_run[i] = 0

        if "maze" in options:
            self._load(envs, self._given_maze(options["maze"], len(envs)))
        else:
            self._load(envs, self._serve(envs))
        self._loaded = True
        self._autoreset[envs] = False
        info = self._info(envs)
        return self._observe(), info

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
        any_reset = self.autoreset_mode == AutoresetMode.NEXT_STEP and resetting.any()

        old = self._pos
        new = old + self._moves.take(actions)
        new = np.where(self._walls.take(new), old, new)
        if any_reset:
            new[resetting] = old[resetting]  # their action is ignored: they start a new maze
        self._move(old, new)
        self._pos = new
        self._steps += 1

        terminated = new == self._goal
        truncated = ~terminated & (self._steps >= self.max_steps)
        if self.max_episode_steps is not None:
            truncated |= self._steps >= self.max_episode_steps
        rewards = np.where(terminated, 1.0 - 0.9 * (self._steps / self.max_steps), 0.0)

        final: dict[str, Any] | None = None
        if any_reset:
            envs = np.flatnonzero(resetting)
            self._load(envs, self._serve(envs))
            rewards[envs] = 0.0
            terminated[envs] = False
            truncated[envs] = False
        elif self.autoreset_mode == AutoresetMode.SAME_STEP:
            done = terminated | truncated
            if done.any():
                envs = np.flatnonzero(done)
                final = self._final(envs)
                self._load(envs, self._serve(envs))

        self._autoreset = terminated | truncated
        obs = self._observe()
        info = self._info()
        if final is not None:
            info = {**final, **info}
        return obs, rewards, terminated, truncated, info

    def _check_actions(self, actions: Any) -> np.ndarray:
        a = np.asarray(actions)
        if a.shape != (self.num_envs,):
            raise ValueError(f"actions must have shape ({self.num_envs},), got {a.shape}")
        if a.dtype.kind not in "iu":
            raise ValueError(f"actions must be integers in [0, 4), got dtype {a.dtype}")
        if a.min() < 0 or a.max() > 3:
            bad = np.flatnonzero((a < 0) | (a > 3))
            raise ValueError(
                f"actions must be in [0, 4), got {a[bad[:5]].tolist()} at sub-envs {bad[:5].tolist()}"
            )
        return a

    def _move(self, old: np.ndarray, new: np.ndarray) -> None:
        """Update the observation buffer for agents going from ``old`` to ``new`` squares."""
        if self.obs_mode == "grid":
            self._obs_flat[old * 3 + AGENT] = 0
            self._obs_flat[new * 3 + AGENT] = 1
        elif self.obs_mode == "rgb":
            background = np.where((old == self._start)[:, None], self._start_px, self._floor_px)
            self._obs_flat[self._pixel_of(old)[:, None] + self._tile] = background
            self._obs_flat[self._pixel_of(new)[:, None] + self._tile] = self._agent_px
        # egocentric: the window is gathered afresh in `_observe`

    # ------------------------------------------------------------------ info
    def _info(self, envs: np.ndarray | None = None) -> dict[str, Any]:
        if envs is None:
            mask = self._all
        else:
            mask = np.zeros(self.num_envs, dtype=bool)
            mask[envs] = True
        values = {
            "optimal_path_length": self._length,
            "generator": self._names,
            "maze_hash": self._hash,
            "steps": self._steps,
        }
        info: dict[str, Any] = {}
        for key in _INFO_KEYS:
            value = values[key].copy()
            if envs is not None:  # like SyncVectorEnv: entries of envs that were not reset are blank
                value[~mask] = None if value.dtype == object else 0
            info[key] = value
            info[f"_{key}"] = mask.copy()
        return info

    def _final(self, envs: np.ndarray) -> dict[str, Any]:
        """SAME_STEP's ``final_obs``/``final_info`` for the finished sub-envs ``envs``."""
        obs = self._observe()
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
    def _given_maze(self, maze: Any, count: int) -> tuple[np.ndarray, ...]:
        length = check_given_maze(maze, (self.height, self.width))
        return (
            np.broadcast_to(maze.walls, (count, *maze.shape)),
            np.tile(np.array(maze.start, np.int64), (count, 1)),
            np.tile(np.array(maze.goal, np.int64), (count, 1)),
            np.full(count, length, dtype=np.int64),
            np.full(count, maze.maze_hash, dtype=object),
        )

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
            walls, start, goal = self._generate(envs, want[envs])
            if self.check == "bfs":
                length = shortest_path_lengths(walls, start, goal)
            else:
                length = np.array(
                    [
                        -1 if (d := Maze(w, tuple(s), tuple(g)).shortest_path_length()) is None else d
                        for w, s, g in zip(walls, start, goal, strict=True)
                    ],
                    dtype=np.int64,
                )
            self._check_runs(owner, length >= 0)
            keep = length >= 0
            owner, walls, start, goal, length = (
                owner[keep],
                walls[keep],
                start[keep],
                goal[keep],
                length[keep],
            )
            # The j-th kept maze of an env goes to the j-th free slot after its queue's tail.
            first = np.searchsorted(owner, owner)
            rank = np.arange(len(owner)) - first
            slot = (self._pool_head[owner] + self._pool_count[owner] + rank) % self.pool_size
            self._pool_walls[owner, slot] = walls
            self._pool_start[owner, slot] = start
            self._pool_goal[owner, slot] = goal
            self._pool_length[owner, slot] = length
            self._pool_hash[owner, slot] = _maze_hashes(walls, start, goal)
            self._pool_count += np.bincount(owner, minlength=self.num_envs)

    def _generate(self, envs: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``counts[j]`` mazes from sub-env ``envs[j]``'s rng, in order: walls, start, goal."""
        gen = self.generator
        pairs = list(zip(envs.tolist(), counts.tolist(), strict=True))
        if self._fast_path is not None:
            # Each sub-env's random input from its own rng, in order; every maze in one call.
            if self._fast_path == "uniforms":
                draws = gen.num_draws()
                noise = np.concatenate([self._rngs[i].random((c, draws)) for i, c in pairs])
                walls = gen.walls_from_uniforms(noise)
            else:
                noise = np.concatenate([gen.draw_noise(c, self._rngs[i]) for i, c in pairs])
                walls = gen.walls_from_noise(noise)
            walls = np.asarray(walls, dtype=bool)
            start, goal = gen.place_batch(walls)
        else:
            mazes = [m for i, c in pairs for m in gen.generate_batch(c, self._rngs[i])]
            walls = np.stack([m.walls for m in mazes])
            start = np.array([m.start for m in mazes], dtype=np.int64).reshape(-1, 2)
            goal = np.array([m.goal for m in mazes], dtype=np.int64).reshape(-1, 2)
        if walls.shape[1:] != (self.height, self.width):
            raise RuntimeError(
                f"generator {gen!r} made mazes of shape {walls.shape[1:]}, "
                f"expected {(self.height, self.width)}"
            )
        return walls, np.asarray(start, np.int64), np.asarray(goal, np.int64)

    def _check_runs(self, owner: np.ndarray, solvable: np.ndarray) -> None:
        """Raise once a sub-env's generator has drawn ``max_attempts`` unsolvable mazes in a row."""
        if solvable.all():
            self._unsolvable_run[np.unique(owner)] = 0
            return
        for i in np.unique(owner).tolist():
            run = self._unsolvable_run[i]
            for ok in solvable[owner == i].tolist():
                run = 0 if ok else run + 1
                if run >= self.max_attempts:
                    raise RuntimeError(
                        f"generator {self.generator!r} made {self.max_attempts} unsolvable mazes in a row; "
                        "use a repair mode (e.g. repair='connect') or raise max_attempts"
                    )
            self._unsolvable_run[i] = run

    def _load(self, envs: np.ndarray, maze: tuple[np.ndarray, ...]) -> None:
        """Start new episodes in ``envs`` on mazes ``(walls, start, goal, length, hash)``."""
        walls, start, goal, length, digest = maze
        p, h, w = self._pad, self.height, self.width
        grid = self._walls.reshape(self.num_envs, h + 2 * p, self._row)
        grid[envs, p : p + h, p : p + w] = walls
        base = envs * self._size
        self._start[envs] = base + (start[:, 0] + p) * self._row + start[:, 1] + p
        self._goal[envs] = base + (goal[:, 0] + p) * self._row + goal[:, 1] + p
        self._pos[envs] = self._start[envs]
        self._steps[envs] = 0
        self._length[envs] = length
        self._hash[envs] = digest
        k = len(envs)
        rows = np.arange(k)
        if self.obs_mode == "grid":
            block = np.zeros((k, h, w, 3), dtype=np.int8)
            block[..., WALL] = walls
            block[rows, goal[:, 0], goal[:, 1], GOAL] = 1
            block[rows, start[:, 0], start[:, 1], AGENT] = 1
            self._obs[envs] = block
        elif self.obs_mode == "egocentric":
            block = np.zeros((k, h + 2 * p, self._row, 2), dtype=np.int8)
            block[..., 0] = 1
            block[:, p : p + h, p : p + w, 0] = walls
            block[rows, goal[:, 0] + p, goal[:, 1] + p, 1] = 1
            self._cells[envs] = block
        else:
            t = self.obs_tile_size
            index = walls.astype(np.intp)
            index[rows, start[:, 0], start[:, 1]] = 2
            index[rows, goal[:, 0], goal[:, 1]] = 3
            self._obs[envs] = np.repeat(np.repeat(self._palette[index], t, axis=1), t, axis=2)
            self._obs_flat[self._pixel_of(self._pos[envs])[:, None] + self._tile] = self._agent_px

    # ------------------------------------------------------------------ inspection, seeding
    def maze(self, index: int) -> Maze:
        """The maze sub-env ``index`` is playing."""
        if not self._loaded:
            raise RuntimeError("call reset() before maze()")
        if not (isinstance(index, (int, np.integer)) and 0 <= index < self.num_envs):
            raise ValueError(f"index must be an int in [0, {self.num_envs}), got {index!r}")
        p, h, w = self._pad, self.height, self.width
        walls = self._walls.reshape(self.num_envs, h + 2 * p, self._row)[index, p : p + h, p : p + w]
        _, sr, sc = self._square_rc(self._start[index])
        _, gr, gc = self._square_rc(self._goal[index])
        return Maze(walls.copy(), (int(sr), int(sc)), (int(gr), int(gc)))

    @property
    def agent_pos(self) -> np.ndarray:
        """``int[num_envs, 2]``: every agent's ``(row, col)``."""
        _, row, col = self._square_rc(self._pos)
        return np.stack([row, col], axis=1)

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
        mazes = [self.maze(i) for i in range(self.num_envs)]
        cells = [tuple(int(v) for v in rc) for rc in self.agent_pos]
        if self.render_mode == "ansi":
            from daedalus_gym.rendering import render_ansi

            return tuple(render_ansi(m, c) for m, c in zip(mazes, cells, strict=True))
        if self._renderer is None:
            from daedalus_gym.rendering import MazeRenderer

            self._renderer = MazeRenderer(tile_size=self.render_tile_size)
        return tuple(
            self._renderer.render(m, c, m.shortest_path() if self.show_path else None)
            for m, c in zip(mazes, cells, strict=True)
        )

    def close_extras(self, **kwargs: Any) -> None:
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_renderer"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        # Views into the buffers must point at the unpickled arrays, not at copies.
        if self.obs_mode == "egocentric":
            self._cells16 = self._cells.view(np.int16).reshape(-1)
            self._obs16 = self._obs.view(np.int16).reshape(self.num_envs, -1)
        else:
            self._obs_flat = self._obs.reshape(-1)


def _maze_hashes(walls: np.ndarray, start: np.ndarray, goal: np.ndarray) -> np.ndarray:
    """`Maze.maze_hash` of each ``(walls[i], start[i], goal[i])``, as an object array of str."""
    shape = np.asarray(walls.shape[1:], dtype="<i8").tobytes()
    packed = np.packbits(walls.reshape(len(walls), walls[0].size if len(walls) else 0), axis=1)
    ends = np.concatenate([start, goal], axis=1).astype("<i8")
    out = np.empty(len(walls), dtype=object)
    for i in range(len(walls)):
        h = hashlib.blake2b(shape, digest_size=12)
        h.update(packed[i].tobytes())
        h.update(ends[i].tobytes())
        out[i] = h.hexdigest()
    return out


__all__ = ["CHECKS", "MazeVectorEnv"]
