"""`MazeEnv`: one agent, one generated maze, four moves -- a batch of one over `daedalus_gym.core`."""

from __future__ import annotations

from typing import Any, ClassVar, SupportsFloat

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from daedalus_gym.core import (
    DEFAULT_OBS_MODE,
    LEVEL_OPTIONS,
    MazeBatch,
    ObsMode,
    check_given_maze,
    check_options,
    check_seed,
    check_shape,
    describe,
    given_level,
    gym_make_time_limit,
    id_time_limit,
    make_settings,
    maze_hashes,
    step_budget,
    unsolvable_error,
    warn_time_limit,
)
from daedalus_gym.splits import LevelSet
from generators import Generator, Maze
from generators.maze import level_metrics

_FIRST = np.zeros(1, dtype=np.int64)  # the batch of one's sub-env index


class MazeEnv(gym.Env):
    """Navigate from the start to the goal of a generated maze.

    ## Description
    Every episode plays a fresh maze drawn in `reset` from a maze generator: a classical
    algorithm (``"backtracker"``, ``"kruskal"``, ``"prim"``, ``"wilson"``) or a learned model
    (``"ae"``, ``"vae"``) whose samples are repaired to be solvable. Before a maze is served,
    networkx BFS checks that the goal is reachable from the start; an unsolvable maze is never
    served. The maze is a grid of ``H x W`` squares (``H = 2h + 1`` for ``h`` cells), walls
    included; the current maze is ``env.unwrapped.maze``.

    ## Action Space
    ``Discrete(4)``: 0 up, 1 right, 2 down, 3 left (an int, an ``IntEnum`` member, a numpy
    integer or a 0-d integer array, as ``Discrete`` takes; a bool is not an action). A move into
    a wall leaves the agent in place (the step still counts). Squares outside the grid count as
    walls, so a maze without a wall border of its own is played correctly too.

    ## Observation Space
    Chosen by ``obs_mode``:

    - ``"image"`` (default): ``Box(0, 255, (H * t, W * t, 3), uint8)``, channels last, channels
      ``[wall, agent, goal]`` at 0 or 255, each square a ``t x t`` block of pixels. ``t =
      obs_tile_size``, by default the smallest tile that makes both sides at least 36 pixels:
      3 for a 7x7-cell maze (45 x 45), 2 for 14x14 (58 x 58), 1 for 28x28 (57 x 57). It is the
      ``"grid"`` observation drawn as an image that Stable-Baselines3's ``CnnPolicy`` takes as
      is and its env checker passes without a warning; `daedalus_gym.sb3.MazeCNN` is a small
      CNN that reads it square by square.
    - ``"grid"``: ``MultiBinary((H, W, 3))``, int8 0/1 channels ``[wall, agent, goal]``, one
      entry a square.
    - ``"egocentric"``: ``MultiBinary((k, k, 2))``, channels ``[wall, goal]`` in a ``k x k``
      window centred on the agent (``k = view_size``, odd); squares outside the maze read as wall.
    - ``"rgb"``: ``Box(0, 255, (H * t, W * t, 3), uint8)`` pixels in the render colours,
      ``t = obs_tile_size`` (default 4).

    ## Rewards
    ``1 - 0.9 * (steps / B)`` on reaching the goal, 0 otherwise (MiniGrid's convention), where
    ``B = 4 * h * w`` (``env.unwrapped.step_budget``) for the served maze's ``h x w`` cells, the
    registered ids' time limit for that size. A time limit raised above ``B`` keeps that scale,
    and reaching the goal after ``B`` steps pays 0.1.

    ## Starting State
    The agent stands on ``maze.start`` (the top-left cell unless the maze says otherwise).

    ## Episode End
    - Termination: the agent reaches ``maze.goal``. Stepping a terminated episode raises
      ``RuntimeError``: call `reset` first.
    - Truncation: Gymnasium's ``TimeLimit``, after ``max_episode_steps`` steps, the one time
      limit. Every registered id sets it to ``B = 4 * h * w`` for its ``h x w`` cells (enough
      for a wall follower to solve any perfect maze); ``gym.make(id, max_episode_steps=N)``
      changes it. The limit is the id's, for the id's size: made to serve larger mazes (a
      ``generator_kwargs`` size or a generator of another size), an id keeps it and warns; pass
      ``max_episode_steps=4 * h * w`` for the new size. The env itself never truncates: built
      directly, wrap it in ``gymnasium.wrappers.TimeLimit``. ``max_steps`` is no argument any
      more: passing it raises ``TypeError`` pointing at ``max_episode_steps``.

    ## Information
    ``reset`` and ``step`` return ``info`` with ``optimal_path_length`` (BFS steps start -> goal),
    ``generator`` (its name), ``maze_hash`` (stable across runs and machines) and ``steps``.
    ``reset``'s ``info`` also describes the level (`generators.maze.level_metrics`):
    ``dead_ends`` (count), ``dead_end_fraction`` (per cell), ``junctions``, ``n_walls`` and
    ``passable`` (open squares); computed once per level, never per step. With a level set
    (``num_levels >= 1`` or ``levels``), ``reset``'s ``info`` also has ``level_seed``: the level
    played (its seed; for ``levels="eval"`` its index in the set; -1 for a level given in
    ``options``).

    ## Arguments
    - ``generator``: a registered name or a generator instance (`generators.Generator`).
    - ``generator_kwargs``: keyword arguments for a named generator, e.g. ``{"size": 7}``. They
      update the id's own (``default_generator_kwargs``, set by the registry), so
      ``gym.make("Daedalus-Backtracker-7x7-v0", generator_kwargs={"goal": "farthest"})`` still
      serves 7x7 mazes.
    - ``default_generator_kwargs``: the id's generator keywords (the registry sets these).
    - ``obs_mode``: ``"image"`` (default), ``"grid"``, ``"egocentric"`` or ``"rgb"``.
    - ``view_size``: window side for ``"egocentric"`` (odd, >= 3). Default ``None``: 5. Given
      with another ``obs_mode`` it is refused, not ignored.
    - ``obs_tile_size``: pixels per square for ``"image"`` and ``"rgb"`` (an int >= 1). Default
      ``None``: the smallest tile giving at least 36 pixels a side for ``"image"``, 4 for ``"rgb"``.
      Given with ``"grid"`` or ``"egocentric"`` it is refused, not ignored.
    - ``render_mode``: ``"human"`` (pygame window), ``"rgb_array"`` or ``"ansi"``.
    - ``render_tile_size``: pixels per square when rendering. Default 16.
    - ``show_path``: overlay the shortest path when rendering.
    - ``max_attempts``: mazes drawn per reset before giving up on an unsolvable generator.
    - ``num_levels``, ``start_level``: Procgen's level set. ``num_levels=N >= 1`` plays only the
      levels ``S, ..., S + N - 1`` (``S = start_level``), each episode one drawn uniformly from
      the env's rng; level seed ``s`` is the maze ``reset(seed=s)`` serves without a level set.
      ``num_levels=None`` (default) plays unlimited levels; ``start_level`` then must stay 0.
      (Procgen writes unlimited as ``num_levels=0``; here 0 is refused, as is any value below 1.)
      ``start_level + num_levels <= 2**31``.
    - ``levels``: ``"train"`` (default: the levels above), ``"held-out"`` (levels from seeds
      ``>= 2**31`` whose maze is, up to rotation and reflection, none of the ``num_levels``
      training levels; needs ``num_levels >= 1``; building it generates every training level
      once) or ``"eval"`` (the newest frozen set of 200 levels shipped for this generator and
      size, ``"eval-v1"``; ``"eval-v0"`` pins the first one, see ``docs/level-sets.md``;
      ``num_levels`` stays None and ``start_level`` 0).

    Integer arguments must be ints (a bool is refused); every bad argument raises an error that
    names it. ``reset(seed=s)`` takes an int ``s >= 0`` or ``None``; ``reset(options={"level":
    level})`` plays a given level, a `generators.Maze` of the env's shape: any wall grid, lattice
    maze or not (e.g. one read with ``Maze.from_str`` or `generators.level_files.load_levels`),
    whose start and goal are open and joined. ``"maze"`` is the older name of ``"level"`` and
    still works.

    A Gymnasium trap: the env checker that ``gym.make`` adds (unless ``disable_env_checker=True``)
    marks its first ``reset`` as done before calling it. If that first ``reset`` raises (a bad
    seed or option), the first ``step`` after the next good ``reset`` fails inside Gymnasium
    (1.4) with ``TypeError: cannot unpack non-iterable NoneType object``. After such an error,
    make a new env, or make it with ``disable_env_checker=True``.

    ## Version History
    - v0: initial release. Since then, before the first release: one time limit, Gymnasium's
      ``TimeLimit`` from ``max_episode_steps`` (``max_steps`` removed; the reward's scale is the
      id's limit ``4 * h * w`` and never goes below 0.1); ``generator_kwargs`` update the id's
      instead of replacing them; stepping after termination raises; bools, floats and negative
      values are refused as ints and seeds; mazes without a wall border are played correctly;
      ``reset(options={"level": ...})`` (``"maze"`` kept as its alias) and the level's metrics
      in ``reset``'s ``info``; level sets: ``num_levels``, ``start_level`` and ``levels``
      (``"train"``, ``"held-out"``, ``"eval-v0"``), ``info["level_seed"]``. Without them the env
      serves the same mazes as before.
    - 0.3.0 (same ids): the default observation is ``obs_mode="image"``, a ``uint8`` image of at
      least 36 x 36 pixels (``[wall, agent, goal]`` at 0/255) that Stable-Baselines3's CNN
      policies take; it was ``"grid"`` (``MultiBinary``), which is still one ``obs_mode`` away.
      ``obs_tile_size`` now defaults to ``None`` (per mode, see Arguments). Mazes, moves,
      rewards and the other modes are unchanged.
    - 0.4.0 (same ids): ``Daedalus-VAE-v0`` serves the depth-first VAE (a code per cell, the
      maze's spanning tree written down by a depth-first walk whose decisions are drawn from the
      decoder; every raw maze is perfect); ``Daedalus-VAE-7x7-v0`` and ``Daedalus-VAE-28x28-v0``
      are new, each served by a VAE trained at its size. The classical ids are unchanged.
    - 0.5.0 (same ids): ``Daedalus-AE-v0`` serves the depth-first AE (the VAE's network with a
      deterministic code, sampled from a Gaussian fitted to its codes; every raw maze is
      perfect). Its frozen ``eval-v0`` levels are unchanged. ``Daedalus-AE-7x7-v0`` and
      ``Daedalus-AE-28x28-v0`` are new, each served by an AE trained at its size. The other ids
      serve the same mazes.
    - 0.6.0 (same ids): with ``generator_kwargs={"target": ...}`` or ``{"difficulty": ...}`` the
      backtracker, Kruskal, Prim and Wilson ids search for their mazes in one compiled pass per
      maze, from each maze's own random stream: a seed gives other mazes than in 0.5.0, of the
      same distribution per target. Uncontrolled mazes, the learned ids and everything else are
      unchanged.
    - 0.7.0 (same ids): the learned ids decode in float32 (``precision="float32"``, the
      generators' new default; ``generator_kwargs={"precision": "float64"}`` gives 0.6.1's
      decoding). The two decode alike all but about one maze in 10,000, so a seed nearly always
      gives the mazes of 0.6.1. The classical ids are unchanged.
    - 0.7.1 (same ids): the Kruskal ids under ``target`` or ``difficulty`` search over edge orders
      (a seed gives other mazes than in 0.7.0, of the same distribution per target). Everything
      else serves the same mazes; a ``goal="farthest"`` generator places the same goal faster.
    - 0.7.2 (same ids): the learned ids under ``target`` or ``difficulty`` draw half their walks
      after the first round as mutants of each maze's best walk: a maze the first round serves
      is the same as in 0.7.1, one served later usually differs. Everything else serves the
      same mazes.
    - 0.7.3 (same ids): ``levels="eval"`` plays ``eval-v1``, the frozen sets of what every id
      serves today; for ``Daedalus-AE-v0`` and ``Daedalus-VAE-v0`` it holds their current
      models' levels (their ``eval-v0``, still there, holds earlier models'), for the other ids
      the same levels as ``eval-v0``. Served mazes are unchanged.
    - 0.8.0 (same ids): unlimited levels are ``num_levels=None``, the default; ``num_levels=0``
      (Procgen's way to say it) is refused like any value below 1. Served mazes are unchanged.
    - 0.9.0 (same ids): ``view_size`` is refused outside ``"egocentric"`` (default ``None``: 5)
      and ``obs_tile_size`` outside ``"image"`` and ``"rgb"``, where they were ignored;
      ``levels="eval"`` refuses generator settings its set was not drawn with; a refused
      ``reset`` leaves the env's rng as it was; an id made to serve larger mazes warns that its
      time limit stays. Served mazes are unchanged.
    - 0.9.1 (same ids): with ``generator_kwargs={"path_head": True}`` a seed serves another
      maze (the head's walks are told depths spread over the target's tolerance, as the model's
      own paths are); every other setting serves the same mazes.
    - 0.9.2 (same ids): reaching the goal at or past ``4 h w`` steps pays exactly 0.1 (it was
      0.09999999999999998). Served mazes are unchanged.
    """

    metadata: ClassVar[dict[str, Any]] = {"render_modes": ["human", "rgb_array", "ansi"], "render_fps": 8}

    def __init__(
        self,
        generator: str | Generator = "backtracker",
        generator_kwargs: dict[str, Any] | None = None,
        obs_mode: ObsMode = DEFAULT_OBS_MODE,
        view_size: int | None = None,
        obs_tile_size: int | None = None,
        render_mode: str | None = None,
        render_tile_size: int = 16,
        show_path: bool = False,
        max_attempts: int = 10,
        default_generator_kwargs: dict[str, Any] | None = None,
        max_steps: None = None,
        num_levels: int | None = None,
        start_level: int = 0,
        levels: str = "train",
    ) -> None:
        settings = make_settings(
            self.metadata["render_modes"], generator, generator_kwargs, obs_mode, view_size, obs_tile_size,
            None, render_mode, render_tile_size, show_path, max_attempts, default_generator_kwargs, max_steps,
            levels, num_levels, start_level,
        )  # fmt: skip
        built, given = gym_make_time_limit()
        limit = id_time_limit(default_generator_kwargs) if built and given is None else given
        warn_time_limit(default_generator_kwargs, settings.shape, limit)
        self.settings = settings
        self.generator = settings.generator
        self.height, self.width = settings.shape
        self.obs_mode: ObsMode = settings.obs_mode
        self.step_budget = step_budget(settings.shape)
        self.render_mode = settings.render_mode
        self.action_space = spaces.Discrete(4)
        self.observation_space = settings.observation_space()
        self.maze: Maze | None = None
        self._batch = MazeBatch(settings, 1)
        self._step_one = self._batch.step_one
        self._stop: str | None = "no episode yet"  # why `step` must refuse, or None
        self._window = None
        self.level_set = LevelSet.of(settings)  # None: unlimited levels

    # ------------------------------------------------------------------ core API
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        # Every argument is checked before the env's rng or state changes: a refused reset
        # leaves the env as it was.
        seed = check_seed(seed)
        options = check_options(options, LEVEL_OPTIONS)
        level = given_level(options)
        if level is not None:
            key, maze = level
            length = check_given_maze(maze, (self.height, self.width), key)
        super().reset(seed=seed)
        if level is not None:
            level_seed = -1
        elif self.level_set is not None:
            maze, length, level_seed = self.level_set.serve_one(self.np_random)
        else:
            maze, length = self._draw_solvable_maze()
        self._load(maze, length)
        if self.render_mode == "human":
            self.render()
        # The level's metrics come with reset only: they do not change while it is played.
        metrics = {key: value[0].item() for key, value in level_metrics(maze.walls[None]).items()}
        if self.level_set is not None:
            metrics["level_seed"] = level_seed
        return self._batch.observe_one(), {**self._info, **metrics}

    def step(self, action: Any) -> tuple[np.ndarray, SupportsFloat, bool, bool, dict[str, Any]]:
        """One move. Stepping before `reset` or after termination raises ``RuntimeError``."""
        if self._stop is not None:
            raise RuntimeError(f"{self._stop}; call reset() before step()")
        if action.__class__ is not int or not 0 <= action < 4:
            action = _check_action(action)
        obs, reward, terminated, steps = self._step_one(action)
        if terminated:
            self._stop = "the episode has ended at the goal"
        info = self._info
        info["steps"] = steps
        if self.render_mode == "human":
            self.render()
        return obs, reward, terminated, False, info.copy()

    # ------------------------------------------------------------------ maze handling
    def _draw_solvable_maze(self) -> tuple[Maze, int]:
        for _ in range(self.settings.max_attempts):
            maze = self.generator.generate(self.np_random)
            check_shape(self.generator, maze.shape, (self.height, self.width))
            length = maze.shortest_path_length()  # networkx BFS
            if length is not None:
                return maze, length
        raise unsolvable_error(self.generator, self.settings.max_attempts)

    def _load(self, maze: Maze, length: int) -> None:
        self.maze = maze
        walls, start, goal = maze.walls[None], np.array([maze.start]), np.array([maze.goal])
        digest = maze_hashes(walls, start, goal)
        self._batch.load(_FIRST, walls, start, goal, np.array([length]), digest)
        self._batch.start_one()
        self._stop = None
        self._info = {
            "optimal_path_length": length,
            "generator": self.generator.name,
            "maze_hash": digest[0],
            "steps": 0,
        }

    @property
    def agent_pos(self) -> tuple[int, int]:
        """The agent's ``(row, col)``."""
        return self._batch.agent_one()

    # ------------------------------------------------------------------ rendering
    def render(self) -> np.ndarray | str | None:
        if self.render_mode is None:
            gym.logger.warn(
                "render() called without a render_mode; "
                "pass render_mode='rgb_array', 'human' or 'ansi' to gym.make"
            )
            return None
        if self.maze is None:
            raise RuntimeError("call reset() before render()")
        from daedalus_gym.rendering import Window, draw, render_ansi

        if self.render_mode == "ansi":
            return render_ansi(self.maze, self.agent_pos)
        path = self.maze.shortest_path() if self.settings.show_path else None
        frame = draw(self.maze, self.agent_pos, path, self.settings.render_tile_size)
        if self.render_mode == "rgb_array":
            return frame
        if self._window is None:
            self._window = Window(f"Daedalus-Gym: {self.generator.name}", self.metadata["render_fps"])
        self._window.show(frame)
        return None

    def close(self) -> None:
        if self._window is not None:
            self._window.close()
            self._window = None

    def __getstate__(self) -> dict[str, Any]:
        # A pygame window cannot be pickled; it reopens at the next render.
        state = self.__dict__.copy()
        state["_window"] = None
        return state


def _check_action(action: Any) -> int:
    """An action other than a plain int in ``[0, 4)``, or an error.

    Takes what ``Discrete(4).contains`` takes but bools: an int subclass (an ``IntEnum``), a
    numpy integer or a 0-d integer array, in range.
    """
    if isinstance(action, np.ndarray) and action.shape == () and action.dtype.kind in "iu":
        action = action[()]
    if isinstance(action, (int, np.integer)) and not isinstance(action, bool) and 0 <= action < 4:
        return int(action)
    raise ValueError(f"action must be an int in [0, 4), got {describe(action)}")
