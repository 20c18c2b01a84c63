"""The `Maze` value: an immutable wall grid with a start and a goal.

A maze of ``h x w`` cells lives on the canonical lattice of shape ``(2h+1, 2w+1)``: a full border
of walls, cells at odd ``(row, col)`` coordinates, pillars (always walls) at even-even coordinates,
and the cells between two neighbouring cells ("passages") either open or walled. ``True`` means
wall everywhere in this code base.

`Maze` accepts any 2-D bool grid (learned generators may draw grids that are not on the lattice);
the structure queries (`is_perfect`, ...) say whether a grid is a proper lattice maze.
Graph queries use networkx: the open cells are nodes, 4-neighbours are edges, and shortest paths
are breadth-first searches. `Maze.shortest_path_length`, the check every served maze passes, runs
its BFS over the junction graph (corridors contracted into weighted edges) where that is exact.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import Literal, overload

import networkx as nx
import numpy as np

from generators._jit import compile_kernel
from generators.lattice import lattice
from generators.lattice import on_lattice as _on_lattice
from generators.shortest_paths import farthest_squares, shortest_path_lengths

Cell = tuple[int, int]

WALL_CHAR = "#"
FLOOR_CHAR = "."
START_CHAR = "S"
GOAL_CHAR = "G"
# JaxUED / minimax's agent, by direction index: 0 right, 1 down, 2 left, 3 up.
AGENT_CHARS: tuple[str, ...] = (">", "v", "<", "^")

# The four moves in (d_row, d_col), in the env's action order: up, right, down, left.
MOVES: np.ndarray = np.array([(-1, 0), (0, 1), (1, 0), (0, -1)], dtype=np.int64)


def _as_cell(value: object, name: str) -> Cell:
    if (
        value.__class__ is tuple
        and len(value) == 2
        and value[0].__class__ is int
        and value[1].__class__ is int
    ):
        return value  # type: ignore[return-value]  # the common case, already a pair of ints
    try:
        row, col = value  # type: ignore[misc]
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a (row, col) pair of ints, got {value!r}") from None
    if not all(isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)) for v in (row, col)):
        raise ValueError(f"{name} must be a (row, col) pair of ints, got {value!r}")
    return (int(row), int(col))


def _check_walls(walls: object) -> np.ndarray:
    if not isinstance(walls, np.ndarray):
        raise TypeError(f"walls must be a numpy array, got {type(walls).__name__}")
    if walls.ndim != 2 or walls.dtype != np.bool_:
        raise ValueError(f"walls must be 2-D bool, got {walls.dtype} of shape {walls.shape}")
    if walls.shape[0] < 3 or walls.shape[1] < 3:
        raise ValueError(f"walls must be at least 3x3, got shape {walls.shape}")
    return walls


@dataclass(frozen=True, eq=False)
class Maze:
    """An immutable maze.

    Attributes:
        walls: ``bool[H, W]``, ``True`` = wall. Stored as a read-only copy.
        start: ``(row, col)`` of the start cell; must be open.
        goal: ``(row, col)`` of the goal cell; must be open.
    """

    walls: np.ndarray
    start: Cell = (1, 1)
    goal: Cell | None = None
    # Values derived from walls, start and goal, computed once when first asked for (the graphs
    # "squares" and "junctions", the digest "hash"); excluded from equality.
    _derived: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        walls = np.array(_check_walls(self.walls), dtype=bool, copy=True)
        walls.setflags(write=False)
        object.__setattr__(self, "walls", walls)
        height, width = walls.shape
        start = _as_cell(self.start, "start")
        goal = _as_cell(self.goal if self.goal is not None else (height - 2, width - 2), "goal")
        for name, (row, col) in (("start", start), ("goal", goal)):
            if not (0 <= row < height and 0 <= col < width):
                raise ValueError(f"{name} {(row, col)} is outside the {height}x{width} grid")
            if walls[row, col]:
                raise ValueError(f"{name} {(row, col)} is a wall; it must be an open cell")
        if start == goal:
            raise ValueError(f"start and goal must differ, both are {start}")
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "goal", goal)

    # ----------------------------------------------------------------- construction
    @classmethod
    def from_walls(
        cls,
        walls: np.ndarray,
        start: Cell | None = None,
        goal: Cell | Literal["corner", "farthest"] = "corner",
    ) -> Maze:
        """Build a maze from a wall grid.

        Args:
            walls: ``bool[H, W]``.
            start: defaults to the top-left cell ``(1, 1)``.
            goal: a ``(row, col)``, ``"corner"`` (bottom-right cell ``(H-2, W-2)``, the blog's
                convention) or ``"farthest"`` (the open cell farthest from start by BFS).

        Raises:
            ValueError: as `Maze`; for ``goal="farthest"``, also a start outside the grid or one
                from which no other open square is reachable.
        """
        walls = _check_walls(walls)
        start = (1, 1) if start is None else start
        if isinstance(goal, str):
            if goal == "corner":
                goal = (walls.shape[0] - 2, walls.shape[1] - 2)
            elif goal == "farthest":
                start = _as_cell(start, "start")
                goal = farthest_cell(walls, start)
                if goal == start:
                    raise ValueError(
                        f"no other open square is reachable from start {start}: goal='farthest' "
                        "has no goal to place"
                    )
            else:
                raise ValueError(f"goal must be a (row, col), 'corner' or 'farthest', got {goal!r}")
        return cls(walls, start, goal)

    @classmethod
    def from_arrays(cls, walls: np.ndarray, start: np.ndarray, goal: np.ndarray) -> list[Maze]:
        """One maze per row of ``walls: bool[B, H, W]``, ``start``/``goal: int[B, 2]``.

        The same mazes as ``[Maze(walls[i], tuple(start[i]), tuple(goal[i])) for i in range(B)]``,
        checked once for the whole batch rather than maze by maze. Each maze holds its own
        read-only copy of its walls. `MazeArrays` keeps a batch as arrays instead.

        Raises:
            TypeError / ValueError: as `Maze`, naming the first bad row.
        """
        walls, start, goal = check_maze_arrays(walls, start, goal)
        return [_trusted(grid, s, g) for grid, s, g in zip(walls, start.tolist(), goal.tolist(), strict=True)]

    # ----------------------------------------------------------------- identity
    @property
    def shape(self) -> tuple[int, int]:
        """``(H, W)`` of the wall grid."""
        return self.walls.shape  # type: ignore[return-value]

    @property
    def cells(self) -> tuple[int, int]:
        """``(h, w)`` in lattice cells, for a grid of shape ``(2h+1, 2w+1)``."""
        return ((self.walls.shape[0] - 1) // 2, (self.walls.shape[1] - 1) // 2)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Maze):
            return NotImplemented
        return (
            self.start == other.start and self.goal == other.goal and np.array_equal(self.walls, other.walls)
        )

    def __hash__(self) -> int:
        return hash((self.walls.shape, self.walls.tobytes(), self.start, self.goal))

    @property
    def maze_hash(self) -> str:
        """A stable hex digest of walls, start and goal (the same on every machine and run).

        Computed once per maze (`maze_hashes` gives the same digests for a whole batch).
        """
        digest = self._derived.get("hash")
        if digest is None:
            digest = self._derived["hash"] = _digest(
                np.asarray(self.walls.shape, dtype="<i8").tobytes()
                + np.packbits(self.walls).tobytes()
                + np.asarray(self.start + self.goal, dtype="<i8").tobytes()
            )
        return digest

    def __repr__(self) -> str:
        return f"Maze(shape={self.shape}, start={self.start}, goal={self.goal})"

    # ----------------------------------------------------------------- text
    def to_text(self) -> str:
        """ASCII art: ``#`` wall, ``.`` floor, ``S`` start, ``G`` goal; one line per row."""
        chars = np.where(self.walls, WALL_CHAR, FLOOR_CHAR).astype("<U1")
        chars[self.start] = START_CHAR
        chars[self.goal] = GOAL_CHAR
        return "\n".join("".join(row) for row in chars)

    @classmethod
    def from_text(cls, text: str) -> Maze:
        """Inverse of `to_text`. Exactly one ``S`` and one ``G`` are required.

        Raises:
            ValueError: naming the line and column (both from 1) where the text stops being a
                rectangle, of an unexpected character or of a second ``S`` or ``G``.
        """
        walls, starts, goals = _read_grid(text, (START_CHAR,), "maze text")
        if len(starts) != 1 or len(goals) != 1:
            where = _second(starts, repr(START_CHAR)) or _second(goals, repr(GOAL_CHAR))
            raise ValueError(
                f"maze text needs exactly one {START_CHAR!r} and one {GOAL_CHAR!r}, "
                f"got {len(starts)} and {len(goals)}{where}"
            )
        return cls(walls, starts[0][:2], goals[0][:2])

    def to_str(self) -> str:
        """The level string of JaxUED and minimax's maze: ``#`` wall, ``.`` free, ``G`` goal and
        ``>`` the agent, one line per row, *without* the wall border.

        Those libraries surround a level with walls themselves, so a ``(2h+1, 2w+1)`` grid is
        written as ``2h-1`` lines of ``2w-1`` characters (7x7 cells: JaxUED's default 13x13
        level). Our agent has no heading; it is written facing right (``>``, direction 0 in
        JaxUED and minimax, and minimax's ``MazeSingleton`` default).

        Raises:
            ValueError: the border has an open square (the format has no way to write it).
        """
        border = np.ones(self.shape, dtype=bool)
        border[1:-1, 1:-1] = False
        open_border = np.argwhere(border & ~self.walls)
        if len(open_border):
            raise ValueError(
                f"to_str writes mazes walled all round (the level format leaves the border out); "
                f"this maze's border is open at {tuple(open_border[0].tolist())}"
            )
        chars = np.where(self.walls, WALL_CHAR, FLOOR_CHAR).astype("<U1")
        chars[self.start] = AGENT_CHARS[0]
        chars[self.goal] = GOAL_CHAR
        return "\n".join("".join(row) for row in chars[1:-1, 1:-1])

    @classmethod
    def from_str(cls, text: str) -> Maze:
        """Inverse of `to_str`: a JaxUED / minimax level string, walled all round.

        Any of ``>``, ``v``, ``<``, ``^`` marks the start (the direction is dropped: the env
        has no heading); exactly one start and one ``G``. A level of ``R`` lines of ``C``
        characters becomes a ``(R + 2, C + 2)`` grid; it need not be a lattice maze. Blank lines
        around the level are ignored, as JaxUED's ``Level.from_str`` ignores them.

        Raises:
            ValueError: naming the line and column (both from 1) where the string stops being a
                rectangle, of an unexpected character or of a second start or goal, or saying
                which is missing.
        """
        return read_level_string(text)

    # ----------------------------------------------------------------- metrics
    def metrics(self) -> dict[str, int | float | None]:
        """Per-level numbers: see `level_metrics`, plus ``shortest_path_length`` (BFS steps start
        -> goal, ``None`` when unsolvable)."""
        counts = level_metrics(self.walls[None])
        out: dict[str, int | float | None] = {"shortest_path_length": self.shortest_path_length()}
        out.update({key: value[0].item() for key, value in counts.items()})
        return out

    # ----------------------------------------------------------------- blog format
    def to_blog(self) -> np.ndarray:
        """The blog's float format: ``float32[H-1, W-1]``, 1 = path, 0 = wall, -1 = exit.

        The blog's 28x28 grid of a 14x14-cell maze is our 29x29 lattice without its top row and
        left column (those are border walls): the blog's cells sit at even coordinates, its start
        is ``(0, 0)`` and its exit ``(26, 26)``. Only mazes whose start is ``(1, 1)`` map there.
        """
        if self.start != (1, 1):
            raise ValueError(f"the blog format fixes start at (1, 1), this maze starts at {self.start}")
        grid = np.where(self.walls, 0.0, 1.0).astype(np.float32)
        grid[self.goal] = -1.0
        return grid[1:, 1:].copy()

    @classmethod
    def from_blog(cls, grid: np.ndarray) -> Maze:
        """Inverse of `to_blog`: 1 path, 0 wall, -1 exit (exactly one)."""
        grid = np.asarray(grid)
        if grid.ndim != 2:
            raise ValueError(f"blog grid must be 2-D, got shape {grid.shape}")
        values = set(np.unique(grid).tolist())
        if not values <= {-1.0, 0.0, 1.0}:
            raise ValueError(
                f"blog grid values must be 1 (path), 0 (wall) or -1 (exit), got {sorted(values)}"
            )
        exits = np.argwhere(grid == -1)
        if len(exits) != 1:
            raise ValueError(f"blog grid needs exactly one exit (-1), got {len(exits)}")
        walls = np.ones((grid.shape[0] + 1, grid.shape[1] + 1), dtype=bool)
        walls[1:, 1:] = grid == 0
        return cls(walls, (1, 1), (int(exits[0][0]) + 1, int(exits[0][1]) + 1))

    # ----------------------------------------------------------------- graph queries
    def to_graph(self) -> nx.Graph:
        """The open cells as a networkx graph, 4-neighbour edges. Cached; do not mutate it."""
        if "squares" not in self._derived:
            self._derived["squares"] = walls_to_graph(self.walls)
        return self._derived["squares"]

    def _junction_route(self) -> tuple[nx.Graph, int, int] | None:
        """The maze's junction graph, where a BFS over it is exact; ``None`` if the maze has loops.

        Nodes are the open squares that are not plain corridor (fewer or more than two open
        neighbours), plus the start and the goal; each corridor between two of them becomes one
        edge, its ``length`` the steps along it. Contracting corridors keeps connectivity, so a
        BFS over this graph answers the same solvability question as one over the squares; where
        no loop is reachable from a node (every perfect maze), the path it finds is the only one,
        and its summed ``length`` is the shortest path. It is a few dozen nodes for a 14x14-cell
        maze instead of a few hundred squares: this is the check `MazeEnv.reset` runs on every
        maze. Grids with loops take the squares graph instead.
        """
        width = self.walls.shape[1]
        source, target = self.start[0] * width + self.start[1], self.goal[0] * width + self.goal[1]
        if "junctions" not in self._derived:
            edges, forest = junction_edges(self.walls, self.start, self.goal)
            graph = None
            if forest:  # nodes are flat square indices, row * W + col
                graph = nx.Graph()
                graph.add_nodes_from((source, target))
                graph.add_weighted_edges_from(edges.tolist(), weight="length")
            self._derived["junctions"] = graph
        graph = self._derived["junctions"]
        return None if graph is None else (graph, source, target)

    def is_solvable(self) -> bool:
        """Whether the goal is reachable from the start (networkx BFS)."""
        return self.shortest_path_length() is not None

    def shortest_path(self) -> list[Cell] | None:
        """The BFS shortest path start -> goal as a list of cells, or ``None`` if unsolvable."""
        try:
            return nx.shortest_path(self.to_graph(), self.start, self.goal)
        except nx.NetworkXNoPath:
            return None

    def shortest_path_length(self) -> int | None:
        """Steps on the shortest path start -> goal (networkx BFS), or ``None`` if unsolvable."""
        route = self._junction_route()
        if route is None:
            try:
                return nx.shortest_path_length(self.to_graph(), self.start, self.goal)
            except nx.NetworkXNoPath:
                return None
        graph, source, target = route
        try:
            path = nx.bidirectional_shortest_path(graph, source, target)
        except nx.NetworkXNoPath:
            return None
        return nx.path_weight(graph, path, weight="length")

    def distances_to_goal(self) -> dict[Cell, int]:
        """BFS distance from every cell connected to the goal."""
        return nx.single_source_shortest_path_length(self.to_graph(), self.goal)

    # ----------------------------------------------------------------- structure
    def is_lattice(self) -> bool:
        """Border and pillars are walls, every cell is open: the canonical layout."""
        return is_lattice(self.walls)

    def is_perfect(self) -> bool:
        """On the lattice, and the open passages form a spanning tree of the cells."""
        return bool(is_perfect(self.walls[None])[0])

    def dead_ends(self) -> int:
        """Open cells with exactly one open 4-neighbour."""
        return int(np.count_nonzero((open_degree(self.walls[None])[0] == 1) & ~self.walls))

    def junctions(self) -> int:
        """Open cells with three or more open 4-neighbours."""
        return int(np.count_nonzero((open_degree(self.walls[None])[0] >= 3) & ~self.walls))

    def components(self) -> int:
        """Connected components of open cells."""
        return nx.number_connected_components(self.to_graph())


# --------------------------------------------------------------------- free functions
def _trusted(walls: np.ndarray, start: Sequence[int], goal: Sequence[int], digest: str | None = None) -> Maze:
    """The `Maze` of already checked values: a read-only copy of ``walls``, no other check."""
    walls = walls.copy()
    walls.setflags(write=False)
    return _new_maze(walls, (int(start[0]), int(start[1])), (int(goal[0]), int(goal[1])), digest)


def _new_maze(walls: np.ndarray, start: Cell, goal: Cell, digest: str | None) -> Maze:
    """A `Maze` of its fields as they are: a read-only grid of its own, int pairs, a digest."""
    maze = object.__new__(Maze)
    # The fields `Maze.__post_init__` would set (the dataclass is frozen: set them directly).
    derived = {} if digest is None else {"hash": digest}
    maze.__dict__.update(walls=walls, start=start, goal=goal, _derived=derived)
    return maze


def check_maze_arrays(
    walls: object, start: object, goal: object
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Check a batch of mazes given as arrays, as `Maze` checks one: ``walls: bool[B, H, W]`` at
    least 3x3, ``start``/``goal: int[B, 2]`` open squares inside the grid, different.

    Returns:
        ``(walls, start, goal)``, the ends as ``int64[B, 2]``.

    Raises:
        TypeError / ValueError: naming the first bad row.
    """
    if not isinstance(walls, np.ndarray):
        raise TypeError(f"walls must be a numpy array, got {type(walls).__name__}")
    if walls.ndim != 3 or walls.dtype != np.bool_:
        raise ValueError(f"walls must be bool[B, H, W], got {walls.dtype} of shape {walls.shape}")
    n, height, width = walls.shape
    if height < 3 or width < 3:
        raise ValueError(f"walls must be at least 3x3, got shape {walls.shape[1:]}")
    ends = []
    for name, value in (("start", start), ("goal", goal)):
        cells = np.asarray(value)
        if cells.shape != (n, 2) or not np.issubdtype(cells.dtype, np.integer):
            raise ValueError(f"{name} must be int[{n}, 2], got {cells.dtype} of shape {cells.shape}")
        cells = cells.astype(np.int64, copy=False)
        inside = (cells >= 0).all(axis=1) & (cells[:, 0] < height) & (cells[:, 1] < width)
        if not inside.all():
            i = int(np.flatnonzero(~inside)[0])
            raise ValueError(
                f"{name} {tuple(cells[i].tolist())} of row {i} is outside the {height}x{width} grid"
            )
        blocked = walls[np.arange(n), cells[:, 0], cells[:, 1]]
        if blocked.any():
            i = int(np.flatnonzero(blocked)[0])
            raise ValueError(
                f"{name} {tuple(cells[i].tolist())} of row {i} is a wall; it must be an open cell"
            )
        ends.append(cells)
    same = (ends[0] == ends[1]).all(axis=1)
    if same.any():
        i = int(np.flatnonzero(same)[0])
        raise ValueError(f"start and goal must differ, both are {tuple(ends[0][i].tolist())} in row {i}")
    return walls, ends[0], ends[1]


class MazeArrays(Sequence[Maze]):
    """Same-shaped mazes held as arrays: a read-only sequence of `Maze` for batched code.

    ``walls: bool[B, H, W]``, ``start``/``goal: int64[B, 2]`` (read-only copies, checked once for
    the whole batch as `Maze` checks one). Indexing gives the row's `Maze` (built on first access,
    with its own copy of the walls); batched code (the vector env loading levels, `tree_edits`,
    the curricula) reads the arrays directly and never builds one. ``maze_hashes()`` digests every
    row once, ``path_lengths()`` searches every row once.

    Args:
        walls: ``bool[B, H, W]``, the wall grids.
        start: ``int[B, 2]``, each maze's start square.
        goal: ``int[B, 2]``, each maze's goal square.

    Raises:
        TypeError / ValueError: as `check_maze_arrays`.
    """

    def __init__(self, walls: np.ndarray, start: np.ndarray, goal: np.ndarray) -> None:
        walls, start, goal = check_maze_arrays(walls, start, goal)
        self._set(walls.copy(), start.copy(), goal.copy(), None)

    @classmethod
    def owning(
        cls, walls: np.ndarray, start: np.ndarray, goal: np.ndarray, path_lengths: np.ndarray | None = None
    ) -> MazeArrays:
        """As the constructor, but keeping ``walls`` itself (made read-only) instead of a copy: for
        a caller that has just made the arrays and hands them over. ``path_lengths``: their
        `path_lengths`, when the caller has them exactly from making the mazes (no search then)."""
        walls, start, goal = check_maze_arrays(walls, start, goal)
        out = object.__new__(cls)
        out._set(walls, start.copy(), goal.copy(), None)
        if path_lengths is not None:
            lengths = np.array(path_lengths, dtype=np.int64)
            if lengths.shape != (len(walls),):
                raise ValueError(f"path_lengths must be int[{len(walls)}], got shape {lengths.shape}")
            lengths.setflags(write=False)
            out._lengths = lengths
        return out

    def _set(
        self, walls: np.ndarray, start: np.ndarray, goal: np.ndarray, digests: np.ndarray | None
    ) -> None:
        for array in (walls, start, goal):
            array.setflags(write=False)
        self.walls, self.start, self.goal = walls, start, goal
        self._digests = digests
        self._lengths: np.ndarray | None = None
        self._lattice: np.ndarray | None = None
        self._mazes: list[Maze | None] = [None] * len(walls)

    @classmethod
    def of(cls, mazes: Sequence[Maze]) -> MazeArrays:
        """``mazes`` as arrays (``mazes`` itself if it is a `MazeArrays`).

        Raises:
            ValueError: no mazes, or mazes of different shapes.
            TypeError: an item is not a `Maze`.
        """
        if isinstance(mazes, MazeArrays):
            return mazes
        mazes = list(mazes)
        if not mazes:
            raise ValueError("MazeArrays needs at least one maze, got none")
        for i, maze in enumerate(mazes):
            if not isinstance(maze, Maze):
                raise TypeError(f"mazes[{i}] must be a generators.Maze, got {type(maze).__name__}")
            if maze.shape != mazes[0].shape:
                raise ValueError(f"mazes[{i}] has shape {maze.shape}, mazes[0] has {mazes[0].shape}")
        out = object.__new__(cls)
        walls = np.stack([m.walls for m in mazes])
        ends = np.fromiter(chain.from_iterable(m.start + m.goal for m in mazes), np.int64, 4 * len(mazes))
        ends = ends.reshape(-1, 4)
        out._set(walls, ends[:, :2].copy(), ends[:, 2:].copy(), None)
        out._mazes = list(mazes)
        return out

    @property
    def shape(self) -> tuple[int, int]:
        """``(H, W)`` of every wall grid."""
        return self.walls.shape[1:]  # type: ignore[return-value]

    def __len__(self) -> int:
        return len(self.walls)

    @overload
    def __getitem__(self, index: int) -> Maze: ...
    @overload
    def __getitem__(self, index: slice) -> MazeArrays: ...
    def __getitem__(self, index: int | slice) -> Maze | MazeArrays:
        if isinstance(index, slice):
            return self.take(np.arange(len(self))[index])
        if not isinstance(index, (int, np.integer)) or isinstance(index, (bool, np.bool_)):
            raise TypeError(f"MazeArrays indices must be ints or slices, got {type(index).__name__}")
        i = int(index)
        if not -len(self) <= i < len(self):
            raise IndexError(f"index {index} is out of range for {len(self)} mazes")
        i %= len(self)
        maze = self._mazes[i]
        if maze is None:
            walls = self.walls[i].copy()
            walls.setflags(write=False)
            (r0, c0), (r1, c1) = self.start[i].tolist(), self.goal[i].tolist()
            maze = self._build(i, walls, (r0, c0), (r1, c1))
        return maze

    def _build(self, i: int, walls: np.ndarray, start: Cell, goal: Cell) -> Maze:
        """Row ``i``'s `Maze`: ``walls`` a read-only copy of its grid for it alone, ``start`` and
        ``goal`` int pairs; the digest and search already known for the row go with it. Kept,
        so the row is built once."""
        digest = None if self._digests is None else self._digests[i]
        maze = self._mazes[i] = _new_maze(walls, start, goal, digest)
        if self._lengths is not None:
            maze._derived["bfs_length"] = int(self._lengths[i])
        return maze

    def mazes(self, rows: Sequence[int]) -> list[Maze]:
        """The `Maze` of each of ``rows`` (ints in ``[0, len)``), as indexing gives them, built
        in one batch: their walls are copied together (each `Maze` reads its own rows of that
        read-only copy)."""
        rows = list(rows)
        if not rows:
            return []
        index = np.asarray(rows, dtype=np.int64)
        if index.min() < -len(self) or index.max() >= len(self):
            raise IndexError(f"rows must be in [0, {len(self)}), got {int(index.min())}..{int(index.max())}")
        index %= len(self)
        missing = np.unique(index[[self._mazes[i] is None for i in index.tolist()]])
        if missing.size:
            copies = self.walls[missing]  # fancy indexing: one fresh array for them all
            copies.setflags(write=False)
            ends = np.concatenate([self.start[missing], self.goal[missing]], axis=1).tolist()
            for i, walls, (r0, c0, r1, c1) in zip(missing.tolist(), copies, ends, strict=True):
                self._build(i, walls, (r0, c0), (r1, c1))
        return [self._mazes[i] for i in index.tolist()]

    def take(self, rows: Sequence[int] | np.ndarray) -> MazeArrays:
        """The mazes of ``rows`` (ints in ``[0, len)``), in that order, as a new `MazeArrays`."""
        rows = np.asarray(rows)
        if rows.ndim != 1 or (rows.size and not np.issubdtype(rows.dtype, np.integer)):
            raise ValueError(f"rows must be int[k], got {rows.dtype} of shape {rows.shape}")
        rows = rows.astype(np.int64, copy=False)
        if rows.size and (rows.min() < 0 or rows.max() >= len(self)):
            raise IndexError(f"rows must be in [0, {len(self)}), got {int(rows.min())}..{int(rows.max())}")
        out = object.__new__(MazeArrays)
        digests = None if self._digests is None else self._digests[rows]
        out._set(self.walls[rows], self.start[rows], self.goal[rows], digests)
        if self._lengths is not None:
            out._lengths = self._lengths[rows]
        if self._lattice is not None:
            out._lattice = self._lattice[rows]
        out._mazes = [self._mazes[i] for i in rows.tolist()]
        return out

    def maze_hashes(self) -> np.ndarray:
        """`Maze.maze_hash` of every row, ``object[B]`` of str, read-only: computed once, in one
        batch for the rows whose `Maze` has not computed it yet (and kept by those mazes too)."""
        if self._digests is None:
            digests = np.empty(len(self), dtype=object)
            digests[:] = [None if m is None else m._derived.get("hash") for m in self._mazes]
            missing = np.flatnonzero(digests == None)  # noqa: E711 -- elementwise over objects
            if missing.size:
                digests[missing] = maze_hashes(self.walls[missing], self.start[missing], self.goal[missing])
                for i in missing.tolist():
                    if self._mazes[i] is not None:
                        self._mazes[i]._derived["hash"] = digests[i]
            digests.setflags(write=False)
            self._digests = digests
        return self._digests

    def on_lattice(self) -> np.ndarray:
        """`generators.lattice.on_lattice` of every row, ``bool[B]``, read-only (computed once)."""
        if self._lattice is None:
            self._lattice = _on_lattice(self.walls)
            self._lattice.setflags(write=False)
        return self._lattice

    def path_lengths(self) -> np.ndarray:
        """Breadth-first steps from start to goal of every row, ``int64[B]``, ``-1`` where the goal
        is unreachable (`generators.shortest_paths.shortest_path_lengths`, the vector env's
        check), read-only: computed once, in one batch for the rows whose `Maze` has not had it
        computed yet (and kept by those mazes, so a level replayed later is searched once)."""
        if self._lengths is None:
            known = np.array(
                [-2 if m is None else m._derived.get("bfs_length", -2) for m in self._mazes], dtype=np.int64
            )
            missing = np.flatnonzero(known == -2)
            if missing.size:
                known[missing] = shortest_path_lengths(
                    self.walls[missing], self.start[missing], self.goal[missing], self.on_lattice()[missing]
                )
                for i in missing.tolist():
                    if self._mazes[i] is not None:
                        self._mazes[i]._derived["bfs_length"] = int(known[i])
            known.setflags(write=False)
            self._lengths = known
        return self._lengths

    def __repr__(self) -> str:
        return f"MazeArrays({len(self)} mazes of shape {self.shape})"


def walls_to_graph(walls: np.ndarray) -> nx.Graph:
    """Open cells of ``walls: bool[H, W]`` as a networkx graph with 4-neighbour edges."""
    open_ = ~walls
    graph = nx.Graph()
    rows, cols = np.nonzero(open_)
    graph.add_nodes_from(zip(rows.tolist(), cols.tolist(), strict=True))
    right = open_[:, :-1] & open_[:, 1:]
    r, c = np.nonzero(right)
    graph.add_edges_from(zip(zip(r.tolist(), c.tolist()), zip(r.tolist(), (c + 1).tolist())))
    down = open_[:-1, :] & open_[1:, :]
    r, c = np.nonzero(down)
    graph.add_edges_from(zip(zip(r.tolist(), c.tolist()), zip((r + 1).tolist(), c.tolist())))
    return graph


def junction_edges(walls: np.ndarray, start: Cell, goal: Cell) -> tuple[np.ndarray, bool]:
    """The corridors of ``walls: bool[H, W]`` between its junction squares (see `Maze`'s BFS check).

    Junction squares are open squares with other than two open 4-neighbours, plus ``start`` and
    ``goal``. Returns ``(edges, forest)``: ``edges: int64[k, 3]`` rows ``(u, v, length)`` with
    ``u < v`` flat square indices (``row * W + col``) joined by a corridor of ``length`` steps,
    each corridor once; ``forest`` is ``False`` when the corridors close a loop (two corridors
    between one pair, a corridor back to its own end, or a cycle through several junctions).
    Loops of corridor squares touching no junction are skipped: they cannot meet a path.
    """
    height, width = walls.shape
    padded = np.ones((height + 2, width + 2), dtype=np.bool_)
    padded[1:-1, 1:-1] = walls
    row = width + 2
    mark = np.zeros(padded.size, dtype=np.bool_)
    mark[(start[0] + 1) * row + start[1] + 1] = True
    mark[(goal[0] + 1) * row + goal[1] + 1] = True
    edges = np.empty((2 * padded.size, 3), dtype=np.int64)  # corridors <= grid edges
    count, forest = compile_kernel(_corridors)(padded.ravel(), row, mark, edges)
    return edges[:count], bool(forest)


def _corridors(free_walls: np.ndarray, row: int, mark: np.ndarray, edges: np.ndarray) -> tuple[int, bool]:
    """Kernel of `junction_edges` over a wall-padded flat grid; ``mark`` flags the start and goal."""
    size = free_walls.size
    steps = np.array([-row, 1, row, -1], dtype=np.int64)
    degree = np.zeros(size, dtype=np.int64)
    for s in range(row, size - row):
        if not free_walls[s]:
            for d in range(4):
                if not free_walls[s + steps[d]]:
                    degree[s] += 1
    node = np.zeros(size, dtype=np.bool_)
    parent = np.empty(size, dtype=np.int64)
    for s in range(size):
        node[s] = not free_walls[s] and (degree[s] != 2 or mark[s])
        parent[s] = s
    inner = row - 2
    count = 0
    forest = True
    for u in range(size):
        if not node[u]:
            continue
        for d in range(4):
            cur = u + steps[d]
            if free_walls[cur]:
                continue
            prev = u
            length = 1
            while not node[cur]:  # a corridor square: exactly one way on
                for e in range(4):
                    nxt = cur + steps[e]
                    if nxt != prev and not free_walls[nxt]:
                        break
                prev, cur = cur, nxt
                length += 1
            if cur == u:  # a corridor back to where it began: a loop (walked once each way)
                forest = False
            elif u < cur:
                a, b = (u // row - 1) * inner + u % row - 1, (cur // row - 1) * inner + cur % row - 1
                edges[count, 0], edges[count, 1], edges[count, 2] = a, b, length
                count += 1
                ra = u
                while parent[ra] != ra:
                    ra = parent[ra]
                rb = cur
                while parent[rb] != rb:
                    rb = parent[rb]
                if ra == rb:
                    forest = False
                else:
                    parent[ra] = rb
    return count, forest


def farthest_cell(walls: np.ndarray, start: Cell) -> Cell:
    """The open cell farthest from ``start`` by BFS (ties broken by (row, col) order): ``start``
    itself when no other open square is reachable from it.

    Raises:
        ValueError: ``start`` is outside the grid or a wall.
    """
    walls = _check_walls(walls)
    row, col = start = _as_cell(start, "start")
    height, width = walls.shape
    if not (0 <= row < height and 0 <= col < width):
        raise ValueError(f"start {start} is outside the {height}x{width} grid")
    if walls[start]:
        raise ValueError(f"start {start} is a wall; it must be an open cell")
    lengths = nx.single_source_shortest_path_length(walls_to_graph(walls), start)
    best = max(lengths.values())
    return min(cell for cell, d in lengths.items() if d == best)


def farthest_cells(walls: np.ndarray, start: Cell) -> np.ndarray:
    """`farthest_cell` of every grid ``walls: bool[B, H, W]`` from the same ``start``, as
    ``int64[B, 2]``: the same cells (ties to the lowest ``(row, col)``), by one compiled
    breadth-first search per grid (`generators.shortest_paths.farthest_squares`) instead of a
    networkx graph per grid.

    Raises:
        ValueError: ``start`` is a wall in some grid (the first such grid is named).
    """
    walls = np.asarray(walls, dtype=np.bool_)
    if walls.ndim != 3:
        raise ValueError(f"walls must be bool[B, H, W], got shape {walls.shape}")
    row, col = _as_cell(start, "start")
    height, width = walls.shape[1:]
    if not (0 <= row < height and 0 <= col < width):
        raise ValueError(f"start {(row, col)} is outside the {height}x{width} grid")
    blocked = np.flatnonzero(walls[:, row, col])
    if blocked.size:
        raise ValueError(f"start {(row, col)} is a wall in grid {int(blocked[0])}")
    return farthest_squares(walls, (row, col))


def read_level_string(text: str, first_line: int = 1) -> Maze:
    """`Maze.from_str`, with line numbers counted from ``first_line`` (a level inside a file)."""
    if not isinstance(text, str):
        raise TypeError(f"a level string must be a str, got {type(text).__name__}")
    if isinstance(first_line, bool) or not isinstance(first_line, int) or first_line < 1:
        raise ValueError(f"first_line must be an int >= 1, got {first_line!r}")
    walls, starts, goals = _read_grid(text, AGENT_CHARS, "level string", first_line)
    agents = "".join(AGENT_CHARS)
    if len(starts) != 1 or len(goals) != 1:
        if not starts or not goals:
            missing = f"agent start (one of {agents!r})" if not starts else f"goal {GOAL_CHAR!r}"
            raise ValueError(f"level string has no {missing}; it needs exactly one start and one goal")
        where = _second(starts, "agent start") or _second(goals, repr(GOAL_CHAR))
        raise ValueError(f"level string needs exactly one start and one goal{where}")
    padded = np.ones((walls.shape[0] + 2, walls.shape[1] + 2), dtype=bool)
    padded[1:-1, 1:-1] = walls
    (sr, sc), (gr, gc) = starts[0][:2], goals[0][:2]
    return Maze(padded, (sr + 1, sc + 1), (gr + 1, gc + 1))


# A marker found while reading a grid: (row, col) in the grid, then (line, column) in the text.
_Mark = tuple[int, int, int, int]


def _read_grid(
    text: str, start_chars: tuple[str, ...], what: str, first_line: int = 1
) -> tuple[np.ndarray, list[_Mark], list[_Mark]]:
    """Read a character grid: ``walls: bool[R, C]`` and where the start and goal marks are.

    Blank lines before and after the grid are skipped (their line numbers still count); a
    ``\r`` ending a line is dropped. Errors name the line and column, both counted from 1.
    """
    if not isinstance(text, str):
        raise TypeError(f"{what} must be a str, got {type(text).__name__}")
    lines = [line.removesuffix("\r") for line in text.split("\n")]
    filled = [i for i, line in enumerate(lines) if line.strip()]
    if not filled:
        raise ValueError(f"{what} must be a non-empty rectangle of characters, got no lines")
    top, bottom = filled[0], filled[-1]
    width = len(lines[top])
    allowed = (WALL_CHAR, FLOOR_CHAR, GOAL_CHAR, *start_chars)
    walls = np.ones((bottom - top + 1, width), dtype=bool)
    starts: list[_Mark] = []
    goals: list[_Mark] = []
    for row, line in enumerate(lines[top : bottom + 1]):
        number = first_line + top + row
        if len(line) != width:
            where = (
                f"column {len(line) + 1} is missing"
                if len(line) < width
                else f"column {width + 1} ({line[width]!r}) is past the end"
            )
            raise ValueError(
                f"{what} must be a non-empty rectangle of characters: line {number} has "
                f"{len(line)} characters, line {first_line + top} has {width}; line {number}, {where}"
            )
        bad = set(line) - set(allowed)
        if bad:
            col = min(line.index(ch) for ch in bad)
            raise ValueError(
                f"{what} has unexpected characters {sorted(bad)}: {line[col]!r} at line {number}, "
                f"column {col + 1}; allowed {list(allowed)}"
            )
        chars = np.array(list(line))
        walls[row] = chars == WALL_CHAR
        for col in np.flatnonzero(np.isin(chars, start_chars)).tolist():
            starts.append((row, col, number, col + 1))
        for col in np.flatnonzero(chars == GOAL_CHAR).tolist():
            goals.append((row, col, number, col + 1))
    return walls, starts, goals


def _second(marks: list[_Mark], name: str) -> str:
    """Where a second mark sits, for an error message (empty when there is at most one)."""
    if len(marks) < 2:
        return ""
    (_, _, line, col), (_, _, first_line, first_col) = marks[1], marks[0]
    return (
        f": a second {name} at line {line}, column {col} "
        f"(the first is at line {first_line}, column {first_col})"
    )


def level_metrics(walls: np.ndarray, lattice: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Structure counts of a batch of levels, ``walls: bool[B, H, W]`` -> arrays of ``B``.

    - ``dead_ends``: open squares with exactly one open 4-neighbour (outside the grid is wall);
    - ``dead_end_fraction``: ``dead_ends`` per cell: over the ``h * w`` cells of a lattice grid
      (a passage square is never a dead end there), over the open squares of any other grid;
    - ``junctions``: open squares with three or more open 4-neighbours;
    - ``n_walls`` and ``passable``: wall and open squares.

    The counts are sums over the grid (``O(B H W)``, no search), cheap enough for every reset;
    on lattice grids the degrees are read from the passages only. ``lattice``: the grids'
    `generators.lattice.on_lattice`, when the caller has it already.
    """
    walls = np.asarray(walls)
    if walls.ndim != 3 or walls.dtype != np.bool_:
        raise ValueError(f"walls must be bool[B, H, W], got {walls.dtype} of shape {walls.shape}")
    height, width = walls.shape[1:]
    dead_ends = np.zeros(len(walls), dtype=np.int64)
    junctions = np.zeros(len(walls), dtype=np.int64)
    passable = np.zeros(len(walls), dtype=np.int64)
    lattice_grids = _on_lattice(walls) if lattice is None else np.asarray(lattice, dtype=bool)
    if lattice_grids.shape != (len(walls),):
        raise ValueError(f"lattice must be bool[{len(walls)}], one per grid, got shape {lattice_grids.shape}")
    n_cells = ((height - 1) // 2) * ((width - 1) // 2)
    if lattice_grids.any():
        # On the lattice only cells can be dead ends or junctions (an open passage joins exactly
        # two cells), a cell's degree is its four passages, and the open squares are the cells
        # plus the open passages: a quarter of the squares to read, in one compiled pass.
        # Contiguous, so the kernel is compiled once (a strided view would take a second build).
        grids = walls[lattice_grids] if not lattice_grids.all() else np.ascontiguousarray(walls)
        counts = np.empty((len(grids), 3), dtype=np.int64)
        compile_kernel(_cell_degree_counts)(grids, counts)
        dead_ends[lattice_grids], junctions[lattice_grids] = counts[:, 0], counts[:, 1]
        passable[lattice_grids] = n_cells + counts[:, 2]
    if not lattice_grids.all():
        grids = walls[~lattice_grids]
        open_ = ~grids
        passable[~lattice_grids] = np.count_nonzero(open_.reshape(len(grids), height * width), axis=1)
        padded = np.pad(open_, ((0, 0), (1, 1), (1, 1))).view(np.int8)
        degree = padded[:, :-2, 1:-1] + padded[:, 2:, 1:-1] + padded[:, 1:-1, :-2] + padded[:, 1:-1, 2:]
        dead_ends[~lattice_grids] = np.count_nonzero((degree == 1) & open_, axis=(1, 2))
        junctions[~lattice_grids] = np.count_nonzero((degree >= 3) & open_, axis=(1, 2))
    return {
        "dead_ends": dead_ends,
        "dead_end_fraction": dead_ends / np.maximum(np.where(lattice_grids, n_cells, passable), 1),
        "junctions": junctions,
        "n_walls": height * width - passable,
        "passable": passable,
    }


def _cell_degree_counts(walls: np.ndarray, out: np.ndarray) -> None:
    """For lattice grids ``walls: bool[B, H, W]``: ``out[b]`` = (cells with one open passage, cells
    with three or more, open passages)."""
    height, width = walls.shape[1], walls.shape[2]
    for b in range(walls.shape[0]):
        dead, junction, twice = 0, 0, 0
        for r in range(1, height, 2):
            for c in range(1, width, 2):
                degree = (
                    (not walls[b, r - 1, c])
                    + (not walls[b, r + 1, c])
                    + (not walls[b, r, c - 1])
                    + (not walls[b, r, c + 1])
                )
                dead += degree == 1
                junction += degree >= 3
                twice += degree
        out[b, 0], out[b, 1], out[b, 2] = dead, junction, twice // 2


def open_degree(walls: np.ndarray) -> np.ndarray:
    """``walls: bool[B, H, W]`` -> ``int8[B, H, W]``: open 4-neighbours of every square (outside
    the grid is wall)."""
    open_ = np.pad(~walls, ((0, 0), (1, 1), (1, 1))).astype(np.int8)
    return open_[:, :-2, 1:-1] + open_[:, 2:, 1:-1] + open_[:, 1:-1, :-2] + open_[:, 1:-1, 2:]


def cell_degrees(walls: np.ndarray) -> np.ndarray:
    """``walls: bool[B, H, W]`` lattice grids -> open neighbouring cells per cell, ``int8[B, h, w]``
    (read from the passages between cells only: `open_degree` at the cells, for a lattice grid)."""
    b, height, width = walls.shape
    h, w = (height - 1) // 2, (width - 1) // 2
    degree = np.zeros((b, h, w), dtype=np.int8)
    across = ~walls[:, 1:-1:2, 2:-1:2]  # passage between cell (r, c) and (r, c + 1): [B, h, w - 1]
    down = ~walls[:, 2:-1:2, 1:-1:2]  # between (r, c) and (r + 1, c): [B, h - 1, w]
    degree[:, :, :-1] += across
    degree[:, :, 1:] += across
    degree[:, :-1, :] += down
    degree[:, 1:, :] += down
    return degree


def is_lattice(walls: np.ndarray) -> bool:
    """``walls: bool[H, W]`` has odd sides, wall border and pillars, and every cell open."""
    return bool(_on_lattice(walls[None])[0])


def is_perfect(walls: np.ndarray) -> np.ndarray:
    """For ``walls: bool[B, H, W]``, which grids are perfect lattice mazes (``bool[B]``).

    A perfect maze has the lattice layout and exactly ``cells - 1`` open passages that connect
    all cells: a spanning tree, so exactly one path between any two cells. With ``cells - 1``
    passages, connected is the same as acyclic, which a union-find over the open passages checks
    (compiled with numba).
    """
    walls = np.asarray(walls, dtype=bool)
    if walls.ndim != 3:
        raise ValueError(f"walls must be bool[B, H, W], got shape {walls.shape}")
    out = np.zeros(len(walls), dtype=bool)
    if walls.shape[1] % 2 == 0 or walls.shape[2] % 2 == 0 or walls.shape[1] < 3 or walls.shape[2] < 3:
        return out
    h, w = (walls.shape[1] - 1) // 2, (walls.shape[2] - 1) // 2
    on_lattice = _on_lattice(walls)
    n_open = np.count_nonzero(~walls[:, 1:-1:2, 2:-1:2], axis=(1, 2)) + np.count_nonzero(
        ~walls[:, 2:-1:2, 1:-1:2], axis=(1, 2)
    )
    candidates = np.flatnonzero(on_lattice & (n_open == h * w - 1))
    if candidates.size == 0 or h * w < 2:
        out[candidates] = h * w == 1
        return out
    kernel = compile_kernel(_acyclic)
    lat = lattice(h, w)
    open_edges = np.ascontiguousarray(lat.passages_from_walls(walls[candidates]), dtype=np.uint8)
    acyclic = np.zeros(len(candidates), dtype=np.bool_)
    kernel(open_edges, np.ascontiguousarray(lat.edges), h * w, acyclic)
    out[candidates] = acyclic
    return out


def _acyclic(open_edges: np.ndarray, ends: np.ndarray, n_cells: int, out: np.ndarray) -> None:
    """``out[b]``: the open passages ``open_edges[b]`` (endpoints ``ends``) close no cycle."""
    parent = np.empty(n_cells, dtype=np.int64)
    for b in range(open_edges.shape[0]):
        for i in range(n_cells):
            parent[i] = i
        ok = True
        for e in range(open_edges.shape[1]):
            if open_edges[b, e]:
                ra = ends[e, 0]
                while parent[ra] != ra:
                    parent[ra] = parent[parent[ra]]
                    ra = parent[ra]
                rb = ends[e, 1]
                while parent[rb] != rb:
                    parent[rb] = parent[parent[rb]]
                    rb = parent[rb]
                if ra == rb:
                    ok = False
                    break
                parent[ra] = rb
        out[b] = ok


def _digest(data: bytes) -> str:
    """`Maze.maze_hash` of the bytes it hashes: shape, packed walls, start and goal."""
    return hashlib.blake2b(data, digest_size=12).hexdigest()


def maze_hashes(walls: np.ndarray, start: np.ndarray, goal: np.ndarray) -> np.ndarray:
    """`Maze.maze_hash` of each ``(walls[i], start[i], goal[i])``, for a whole batch: ``object[B]``
    of str (``walls: bool[B, H, W]``, ``start``/``goal: int[B, 2]``)."""
    n = len(walls)
    out = np.empty(n, dtype=object)
    if n == 0:
        return out
    shape = np.frombuffer(np.asarray(walls.shape[1:], dtype="<i8").tobytes(), dtype=np.uint8)
    packed = np.packbits(walls.reshape(n, -1), axis=1)
    ends = np.ascontiguousarray(np.concatenate([start, goal], axis=1), dtype="<i8").view(np.uint8)
    rows = np.concatenate([np.broadcast_to(shape, (n, shape.size)), packed, ends], axis=1)
    out[:] = [_digest(row) for row in rows]
    return out


# --------------------------------------------------------------------- batch files
def check_maze_list(mazes: object, name: str = "mazes") -> list[Maze]:
    """``mazes`` as a list of `Maze`: a non-empty sequence of them, or an error naming ``name``
    (and the index of the first item that is not a maze)."""
    if isinstance(mazes, Maze) or not isinstance(mazes, Sequence) or isinstance(mazes, (str, bytes)):
        raise TypeError(f"{name} must be a list of generators.Maze, got {type(mazes).__name__}")
    if not mazes:
        raise ValueError(f"{name} must hold at least one maze, got an empty list")
    for i, maze in enumerate(mazes):
        if not isinstance(maze, Maze):
            raise TypeError(f"{name}[{i}] must be a generators.Maze, got {type(maze).__name__}")
    return list(mazes)


def check_file_path(path: object) -> Path:
    """``path`` as a `Path`, or a TypeError when it is neither a str nor a `pathlib.Path`."""
    if not isinstance(path, (str, Path)):
        raise TypeError(f"path must be a str or pathlib.Path, got {type(path).__name__}")
    return Path(path)


# The first bytes of a zip archive (an .npz file): a local file header, or the end record of an
# empty archive.
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")


def save_mazes(path: str | Path, mazes: Sequence[Maze]) -> None:
    """Save same-shaped mazes to ``.npz`` (``walls: bool[B, H, W]``, ``start``/``goal: int[B, 2]``).

    Raises:
        TypeError: ``path`` is not a str or `pathlib.Path`, or ``mazes`` is not a list of `Maze`.
        ValueError: ``mazes`` is empty or holds mazes of different shapes.
    """
    check_file_path(path)
    mazes = check_maze_list(mazes)
    shapes = {m.shape for m in mazes}
    if len(shapes) != 1:
        raise ValueError(f"save_mazes needs mazes of one shape, got {sorted(shapes)}")
    np.savez_compressed(
        path,
        walls=np.stack([m.walls for m in mazes]),
        start=np.array([m.start for m in mazes], dtype=np.int64),
        goal=np.array([m.goal for m in mazes], dtype=np.int64),
    )


def load_mazes(path: str | Path) -> list[Maze]:
    """Load mazes written by `save_mazes`. Never unpickles: a file holding pickled (object)
    arrays is refused with a ValueError.

    Raises:
        TypeError: ``path`` is not a str or `pathlib.Path`.
        ValueError: the file is not an ``.npz`` archive (or a damaged one), holds pickled arrays,
            lacks an array, or has a row that is no valid maze (naming the file and the row).
    """
    check_file_path(path)
    with open(path, "rb") as file:
        magic = file.read(4)
    if magic not in _ZIP_MAGIC:
        raise ValueError(f"{path} is not a .npz maze file (not a zip archive: it starts with {magic!r})")
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {key: data[key] for key in ("walls", "start", "goal") if key in data.files}
    except ValueError as exc:
        if "allow_pickle" in str(exc):  # numpy's refusal of an object array
            raise ValueError(
                f"{path} holds pickled (object) arrays; maze files hold only plain arrays and are "
                "loaded without unpickling"
            ) from None
        raise ValueError(f"{path} is not a .npz maze file ({exc})") from None
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError) as exc:
        # A truncated or corrupted archive fails in zipfile (RuntimeError: a flipped bit that
        # marks a member encrypted), zlib or a seek, depending on where it is damaged.
        raise ValueError(f"{path} is not a .npz maze file (the archive is damaged: {exc})") from None
    missing = {"walls", "start", "goal"} - set(arrays)
    if missing:
        raise ValueError(f"{path} is not a maze file: missing arrays {sorted(missing)}")
    for key, value in arrays.items():
        if not isinstance(value, np.ndarray):  # a member that is not a .npy array is read as bytes
            raise ValueError(f"{path} is not a .npz maze file ({key!r} is not a .npy array)")
    walls, start, goal = arrays["walls"], arrays["start"], arrays["goal"]
    if (
        walls.ndim != 3
        or walls.dtype != np.bool_
        or start.shape != (len(walls), 2)
        or goal.shape != start.shape
    ):
        raise ValueError(
            f"{path}: expected walls bool[B, H, W] and start/goal int[B, 2], got walls "
            f"{walls.dtype}{walls.shape}, start {start.shape}, goal {goal.shape}"
        )
    try:
        return Maze.from_arrays(walls, start, goal)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{path}: {exc}") from None


def mazes_to_text(mazes: Iterable[Maze]) -> str:
    """Several mazes as text separated by blank lines."""
    return "\n\n".join(m.to_text() for m in mazes) + "\n"


def mazes_from_text(text: str) -> list[Maze]:
    """Inverse of `mazes_to_text`."""
    blocks = [b for b in io.StringIO(text).read().split("\n\n") if b.strip()]
    return [Maze.from_text(b) for b in blocks]
