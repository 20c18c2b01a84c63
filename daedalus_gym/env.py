"""`MazeEnv`: one agent, one generated maze, four moves."""

from __future__ import annotations

from typing import Any, ClassVar, Literal, SupportsFloat

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from daedalus_gym.rendering import COLORS
from generators import Generator, Maze, make_generator

ObsMode = Literal["grid", "egocentric", "rgb"]
OBS_MODES: tuple[str, ...] = ("grid", "egocentric", "rgb")

# Grid channels of the "grid" observation.
WALL, AGENT, GOAL = 0, 1, 2


def check_given_maze(maze: object, shape: tuple[int, int]) -> int:
    """Validate ``reset(options={"maze": maze})`` for an env of grid ``shape``; the BFS path length."""
    if not isinstance(maze, Maze):
        raise TypeError(f"options['maze'] must be a generators.Maze, got {type(maze).__name__}")
    if maze.shape != shape:
        raise ValueError(f"options['maze'] has shape {maze.shape}, this env plays {shape}")
    length = maze.shortest_path_length()  # networkx BFS
    if length is None:
        raise ValueError(f"options['maze'] is unsolvable: no path from {maze.start} to {maze.goal}")
    return length


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
    ``Discrete(4)``: 0 up, 1 right, 2 down, 3 left. A move into a wall leaves the agent in place
    (the step still counts).

    ## Observation Space
    Chosen by ``obs_mode``:

    - ``"grid"`` (default): ``MultiBinary((H, W, 3))``, int8 0/1 channels ``[wall, agent, goal]``.
      A 0/1 array rather than a 0-255 image so that Stable-Baselines3 takes it as a feature map
      (its image checks want at least 36x36 pixels; a 14x14-cell maze is 29x29).
    - ``"egocentric"``: ``MultiBinary((k, k, 2))``, channels ``[wall, goal]`` in a ``k x k``
      window centred on the agent (``k = view_size``, odd); squares outside the maze read as wall.
    - ``"rgb"``: ``Box(0, 255, (H * t, W * t, 3), uint8)`` pixels, ``t = obs_tile_size``.

    ## Rewards
    ``1 - 0.9 * (steps / max_steps)`` on reaching the goal, 0 otherwise (MiniGrid's convention).

    ## Starting State
    The agent stands on ``maze.start`` (the top-left cell unless the maze says otherwise).

    ## Episode End
    - Termination: the agent reaches ``maze.goal``.
    - Truncation: ``max_steps`` steps have been taken (default ``4 * h * w``: enough for a
      wall follower to solve any perfect maze).

    ## Information
    ``reset`` and ``step`` return ``info`` with ``optimal_path_length`` (BFS steps start -> goal),
    ``generator`` (its name), ``maze_hash`` (stable across runs and machines) and ``steps``.

    ## Arguments
    - ``generator``: a registered name or a generator instance (`generators.Generator`).
    - ``generator_kwargs``: keyword arguments for a named generator, e.g. ``{"size": 7}``.
    - ``obs_mode``: ``"grid"``, ``"egocentric"`` or ``"rgb"``.
    - ``view_size``: window side for ``"egocentric"`` (odd, >= 3). Default 5.
    - ``obs_tile_size``: pixels per square for ``"rgb"``. Default 4.
    - ``max_steps``: step limit (default ``4 * h * w``).
    - ``render_mode``: ``"human"`` (pygame window), ``"rgb_array"`` or ``"ansi"``.
    - ``render_tile_size``: pixels per square when rendering. Default 16.
    - ``show_path``: overlay the shortest path when rendering.
    - ``max_attempts``: mazes drawn per reset before giving up on an unsolvable generator.

    ``reset(options={"maze": maze})`` plays a given `generators.Maze` of the env's shape.

    ## Version History
    - v0: initial release.
    """

    metadata: ClassVar[dict[str, Any]] = {"render_modes": ["human", "rgb_array", "ansi"], "render_fps": 8}

    def __init__(
        self,
        generator: str | Generator = "backtracker",
        generator_kwargs: dict[str, Any] | None = None,
        obs_mode: ObsMode = "grid",
        view_size: int = 5,
        obs_tile_size: int = 4,
        max_steps: int | None = None,
        render_mode: str | None = None,
        render_tile_size: int = 16,
        show_path: bool = False,
        max_attempts: int = 10,
    ) -> None:
        if isinstance(generator, str):
            self.generator = make_generator(generator, **(generator_kwargs or {}))
        elif isinstance(generator, Generator):
            if generator_kwargs:
                raise ValueError("generator_kwargs only apply to a generator given by name")
            self.generator = generator
        else:
            raise TypeError(
                f"generator must be a registered name or a Generator, got {type(generator).__name__}"
            )
        if obs_mode not in OBS_MODES:
            raise ValueError(f"obs_mode must be one of {OBS_MODES}, got {obs_mode!r}")
        if not (isinstance(view_size, int) and view_size >= 3 and view_size % 2 == 1):
            raise ValueError(f"view_size must be an odd int >= 3, got {view_size!r}")
        if not (isinstance(obs_tile_size, int) and obs_tile_size >= 1):
            raise ValueError(f"obs_tile_size must be a positive int, got {obs_tile_size!r}")
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(
                f"render_mode must be one of {self.metadata['render_modes']} or None, got {render_mode!r}"
            )
        if not (isinstance(max_attempts, int) and max_attempts >= 1):
            raise ValueError(f"max_attempts must be a positive int, got {max_attempts!r}")

        self.height, self.width = self.generator.shape
        cells = ((self.height - 1) // 2) * ((self.width - 1) // 2)
        if max_steps is None:
            max_steps = 4 * cells
        if not (isinstance(max_steps, (int, np.integer)) and max_steps >= 1):
            raise ValueError(f"max_steps must be a positive int, got {max_steps!r}")
        self.max_steps = int(max_steps)
        self.obs_mode: ObsMode = obs_mode
        self.view_size = view_size
        self.obs_tile_size = obs_tile_size
        self.render_mode = render_mode
        self.render_tile_size = render_tile_size
        self.show_path = show_path
        self.max_attempts = max_attempts

        self.action_space = spaces.Discrete(4)
        if obs_mode == "grid":
            self.observation_space = spaces.MultiBinary((self.height, self.width, 3))
        elif obs_mode == "egocentric":
            self.observation_space = spaces.MultiBinary((view_size, view_size, 2))
        else:
            shape = (self.height * obs_tile_size, self.width * obs_tile_size, 3)
            self.observation_space = spaces.Box(0, 255, shape, np.uint8)

        # Flat-index moves: the maze border guarantees a move never leaves the grid.
        self._offsets = {0: -self.width, 1: 1, 2: self.width, 3: -1}
        self.maze: Maze | None = None
        self._grid_flat: np.ndarray | None = None  # the "grid" observation, flat, updated in place
        self._renderer = None

    # ------------------------------------------------------------------ core API
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed)
        options = options or {}
        unknown = set(options) - {"maze"}
        if unknown:
            raise ValueError(f"unknown reset options {sorted(unknown)}; supported: ['maze']")
        if "maze" in options:
            maze = options["maze"]
            length = check_given_maze(maze, (self.height, self.width))
        else:
            maze, length = self._draw_solvable_maze()
        self._load(maze, length)
        if self.render_mode == "human":
            self.render()
        return self._obs(), dict(self._info)

    def step(self, action: Any) -> tuple[np.ndarray, SupportsFloat, bool, bool, dict[str, Any]]:
        if self.maze is None:
            raise RuntimeError("call reset() before step()")
        try:
            offset = self._offsets[action]
        except (KeyError, TypeError):
            raise ValueError(f"action must be an int in [0, 4), got {action!r}") from None
        pos = self._pos
        new = pos + offset
        grid = self._grid_flat  # None unless obs_mode == "grid"
        if not self._flat_walls[new]:
            if grid is not None:  # the agent channel is updated in place and copied below
                grid[3 * pos + AGENT] = 0
                grid[3 * new + AGENT] = 1
            self._pos = pos = new
        steps = self._steps = self._steps + 1
        terminated = pos == self._goal_pos
        truncated = not terminated and steps >= self.max_steps
        reward = 1.0 - 0.9 * (steps / self.max_steps) if terminated else 0.0
        info = self._info
        info["steps"] = steps
        if self.render_mode == "human":
            self.render()
        obs = self._grid.copy() if grid is not None else self._obs()
        return obs, reward, terminated, truncated, info.copy()

    # ------------------------------------------------------------------ maze handling
    def _draw_solvable_maze(self) -> tuple[Maze, int]:
        for _ in range(self.max_attempts):
            maze = self.generator.generate(self.np_random)
            if maze.shape != (self.height, self.width):
                raise RuntimeError(
                    f"generator {self.generator!r} made a maze of shape {maze.shape}, "
                    f"expected {(self.height, self.width)}"
                )
            length = maze.shortest_path_length()  # networkx BFS
            if length is not None:
                return maze, length
        raise RuntimeError(
            f"generator {self.generator!r} made {self.max_attempts} unsolvable mazes in a row; "
            "use a repair mode (e.g. repair='connect') or raise max_attempts"
        )

    def _load(self, maze: Maze, length: int) -> None:
        self.maze = maze
        self._flat_walls = maze.walls.ravel().tolist()
        self._goal_pos = maze.goal[0] * self.width + maze.goal[1]
        self._pos = maze.start[0] * self.width + maze.start[1]
        self._steps = 0
        self._info = {
            "optimal_path_length": length,
            "generator": self.generator.name,
            "maze_hash": maze.maze_hash,
            "steps": 0,
        }
        if self.obs_mode == "grid":
            grid = np.zeros((self.height, self.width, 3), dtype=np.int8)
            grid[..., WALL] = maze.walls
            grid[(*maze.goal, GOAL)] = 1
            grid[(*maze.start, AGENT)] = 1
            self._grid = grid
            self._grid_flat = grid.reshape(-1)
        elif self.obs_mode == "egocentric":
            pad = self.view_size // 2
            padded = np.ones((self.height + 2 * pad, self.width + 2 * pad, 2), dtype=np.int8)
            padded[..., 1] = 0
            padded[pad:-pad, pad:-pad, 0] = maze.walls
            padded[maze.goal[0] + pad, maze.goal[1] + pad, 1] = 1
            self._padded = padded
        else:
            self._background = self._paint_background(maze)

    # ------------------------------------------------------------------ observations
    @property
    def agent_pos(self) -> tuple[int, int]:
        """The agent's ``(row, col)``."""
        return divmod(self._pos, self.width)

    def _obs(self) -> np.ndarray:
        if self.obs_mode == "grid":
            return self._grid.copy()
        row, col = divmod(self._pos, self.width)
        if self.obs_mode == "egocentric":
            k = self.view_size
            return self._padded[row : row + k, col : col + k].copy()
        t = self.obs_tile_size
        frame = self._background.copy()
        frame[row * t : (row + 1) * t, col * t : (col + 1) * t] = COLORS["agent"]
        return frame

    def _paint_background(self, maze: Maze) -> np.ndarray:
        palette = np.array([COLORS["floor"], COLORS["wall"], COLORS["start"], COLORS["goal"]], np.uint8)
        index = maze.walls.astype(np.int64)
        index[maze.start] = 2
        index[maze.goal] = 3
        t = self.obs_tile_size
        return np.ascontiguousarray(np.repeat(np.repeat(palette[index], t, axis=0), t, axis=1))

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
        if self.render_mode == "ansi":
            from daedalus_gym.rendering import render_ansi

            return render_ansi(self.maze, self.agent_pos)
        if self._renderer is None:
            from daedalus_gym.rendering import MazeRenderer

            self._renderer = MazeRenderer(
                tile_size=self.render_tile_size,
                window=self.render_mode == "human",
                fps=self.metadata["render_fps"],
                caption=f"Daedalus-Gym: {self.generator.name}",
            )
        path = self.maze.shortest_path() if self.show_path else None
        return self._renderer.render(self.maze, self.agent_pos, path)

    def close(self) -> None:
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None

    def __getstate__(self) -> dict[str, Any]:
        # The pygame renderer holds a window/surfaces that cannot be pickled; it is rebuilt lazily.
        state = self.__dict__.copy()
        state["_renderer"] = None
        state["_grid_flat"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        if self._grid_flat is None and "_grid" in state:
            self._grid_flat = self._grid.reshape(-1)  # a view, which pickling does not preserve
