"""Mutators: small random edits to a level, for evolving curricula and robustness tests.

Each mutator takes a level, ``n_edits`` (how far the result moves from it) and an
``np.random.Generator``, and returns a new level that is as solvable as the rules below make it:

- `tree_edit` edits a perfect maze, a spanning tree of its cells. Opening one walled passage
  closes exactly one cycle: the tree path between its two cells, plus itself. Walling any other
  passage of that cycle breaks it again and gives another spanning tree, so the maze stays
  perfect (one path between any two cells, hence solvable). An edit changes two squares; ``n``
  edits change up to ``2 n`` (a later edit may undo an earlier one). Cost: one breadth-first
  search of the maze, then per edit the depth of the two cells the opened passage joins.
- `move_goal` moves the goal to an open square joined to the start, drawn uniformly among those
  at most ``n_edits`` moves from the old goal (a move is one cell on a lattice maze whose goal is
  a cell, else one square), so the maze stays solvable. The walls do not change. Cost: one
  breadth-first search from the goal, ``O(H W)``.
- `latent_edit` walks a learned generator's latent noise ``n_edits`` Gaussian steps and lets the
  generator decode it, repair it (its own repair mode, ``"perfect"`` or ``"connect"``: both give a
  solvable maze) and place start and goal. Nearby noise decodes to nearby mazes, so the distance
  grows with ``n_edits``. Cost: one decode and repair.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from generators._jit import compile_kernel, split_rows
from generators.base import check_int, check_real, check_rng, check_rows
from generators.lattice import lattice, on_lattice
from generators.maze import Maze, MazeArrays

# The most edits one call makes: each is cheap, but an unbounded count is a hang, not an edit.
MAX_EDITS = 100_000


def _check_maze(maze: object) -> Maze:
    if not isinstance(maze, Maze):
        raise TypeError(f"maze must be a generators.Maze, got {type(maze).__name__}")
    return maze


def _check_edits(n_edits: object) -> int:
    return check_int(n_edits, "n_edits", 1, MAX_EDITS)


# --------------------------------------------------------------------- tree edits
def tree_edit(maze: Maze, n_edits: int, rng: np.random.Generator) -> Maze:
    """``n_edits`` tree-preserving edits of a perfect maze: each opens a walled passage and walls
    another passage on the cycle that made. Start and goal stay where they are.

    Args:
        maze: a perfect lattice maze (``maze.is_perfect()``), ``walls: bool[2h+1, 2w+1]``.
        n_edits: edits to make, an int in ``[1, 100000]``.
        rng: the randomness.

    Returns:
        A perfect maze of the same shape, start and goal.

    Raises:
        ValueError: ``maze`` is not perfect, or has no walled passage (a single row or column of
            cells is one corridor: there is nothing to edit).
    """
    return tree_edits([_check_maze(maze)], n_edits, rng)[0]


def tree_edits(mazes: Sequence[Maze], n_edits: int, rng: np.random.Generator) -> MazeArrays:
    """`tree_edit` of each maze, in one compiled pass over the batch: the same mazes, from the same
    draws, as ``[tree_edit(m, n_edits, rng) for m in mazes]``.

    Args:
        mazes: perfect lattice mazes of one shape (a list, or a `MazeArrays`).
        n_edits: edits per maze, an int in ``[1, 100000]``.
        rng: the randomness.

    Returns:
        The edited mazes, in order.

    Raises:
        ValueError: no mazes, mazes of different shapes, a maze that is not perfect or has no
            walled passage (the error names its index).
    """
    n_edits, rng = _check_edits(n_edits), check_rng(rng)
    if isinstance(mazes, Maze) or not isinstance(mazes, Sequence):
        raise TypeError(f"mazes must be a sequence of generators.Maze, got {type(mazes).__name__}")
    batch = MazeArrays.of(mazes)
    walls, start, goal = batch.walls, batch.start, batch.goal
    cells = ((walls.shape[1] - 1) // 2, (walls.shape[2] - 1) // 2)
    # Perfect: the lattice layout, one passage fewer than cells, and all cells joined (the last
    # is checked by the kernel's first search of each maze).
    tree = on_lattice(walls)
    if tree.all():
        lat = lattice(*cells)
        open_edges = np.ascontiguousarray(lat.passages_from_walls(walls), dtype=np.uint8)
        tree &= open_edges.sum(axis=1) == lat.num_cells - 1
    _refuse_imperfect(tree, len(batch))
    if open_edges.all():
        raise ValueError(f"a maze of {cells[0]}x{cells[1]} cells has no walled passage to open")
    # A passage square holding the start or the goal must stay open.
    edge_at = np.full(batch.shape, -1, dtype=np.int64)
    edge_at[lat.edge_rc[:, 0], lat.edge_rc[:, 1]] = np.arange(lat.num_edges)
    keep = np.zeros(open_edges.shape, dtype=np.bool_)
    rows = np.arange(len(batch))
    for ends in (start, goal):
        edge = edge_at[ends[:, 0], ends[:, 1]]
        keep[rows[edge >= 0], edge[edge >= 0]] = True
    # Two uniforms per edit: which walled passage opens, which passage of the cycle closes.
    draws = rng.random((len(batch), n_edits, 2))
    # Start and goal cells (-1 where one is not a cell): the kernel measures the path between
    # them on the edited tree, so the env need not search the new mazes.
    on_cell = ((start % 2 == 1) & (goal % 2 == 1)).all(axis=1)
    ends = np.where(
        on_cell[:, None],
        np.stack(
            [
                (start[:, 0] // 2) * cells[1] + start[:, 1] // 2,
                (goal[:, 0] // 2) * cells[1] + goal[:, 1] // 2,
            ],
            1,
        ),
        -1,
    )
    lengths = np.full(len(batch), -1, dtype=np.int64)
    kernel = compile_kernel(_edit)
    split_rows(
        lambda lo, hi: kernel(
            open_edges[lo:hi],
            lat.neighbors,
            lat.neighbor_edge,
            lat.edges,
            keep[lo:hi],
            draws[lo:hi],
            tree[lo:hi],
            ends[lo:hi],
            lengths[lo:hi],
        ),
        len(batch),
    )
    _refuse_imperfect(tree, len(batch))
    walls = lat.walls_from_passages(open_edges.astype(bool))
    known = lengths if on_cell.all() else None
    return MazeArrays.owning(walls, start, goal, path_lengths=known)


def _refuse_imperfect(perfect: np.ndarray, n: int) -> None:
    if not perfect.all():
        i = int(np.flatnonzero(~perfect)[0])
        which = "maze" if n == 1 else f"mazes[{i}]"
        raise ValueError(f"{which} must be a perfect lattice maze (maze.is_perfect() is False for this one)")


def _edit(
    open_edges: np.ndarray,
    neighbors: np.ndarray,
    neighbor_edge: np.ndarray,
    ends: np.ndarray,
    keep: np.ndarray,
    draws: np.ndarray,
    tree: np.ndarray,
    cell_ends: np.ndarray,
    lengths: np.ndarray,
) -> None:
    """`tree_edits`'s kernel: for maze ``m`` and each row of ``draws[m]``, open a walled passage
    and close another on the cycle it makes (not one in ``keep[m]``), in place on
    ``open_edges: uint8[B, E]``. ``tree[m]`` says the maze's open passages are one fewer than its
    cells; the kernel sets it to ``False`` where they do not join every cell (then the maze is
    not a spanning tree, and is left unedited).

    Each maze's spanning tree is held as parent pointers (one breadth-first search from cell 0).
    The cycle an opened passage ``(a, b)`` makes is the tree path between them: mark the
    ancestors of ``a``, climb from ``b`` to the first marked cell, and the path is ``b`` up to
    there and down to ``a``. Closing a passage ``(x, parent x)`` on it cuts off the subtree under
    ``x``, which holds ``a`` or ``b``; the opened passage joins it back, so the parent pointers
    from that end up to ``x`` are reversed. An edit costs the depth of ``a`` and ``b``, not a
    search of the maze.

    Where ``cell_ends[m]`` holds the start and goal cells (not -1), ``lengths[m]`` is set to the
    steps between them on the edited tree (two squares a cell: the BFS length of the grid).
    """
    n_cells, n_edges = neighbors.shape[0], open_edges.shape[1]
    parent = np.empty(n_cells, dtype=np.int64)
    up = np.empty(n_cells, dtype=np.int64)  # the passage to the parent
    mark = np.zeros(n_cells, dtype=np.int64)
    queue = np.empty(n_cells, dtype=np.int64)
    closed = np.empty(n_edges, dtype=np.int64)
    cycle = np.empty(n_cells, dtype=np.int64)  # the path b -> a, passage by passage
    below = np.empty(n_cells, dtype=np.int64)  # each passage's child end on the path
    side_b = np.empty(n_cells, dtype=np.bool_)  # whether that end is on b's side
    stamp = 0
    for m in range(open_edges.shape[0]):
        if not tree[m]:
            continue
        edges = open_edges[m]
        parent[:] = -2
        parent[0], up[0] = -1, -1
        queue[0] = 0
        head, tail = 0, 1
        while head < tail:
            cell = queue[head]
            head += 1
            for d in range(4):
                nxt = neighbors[cell, d]
                if nxt >= 0 and parent[nxt] == -2 and edges[neighbor_edge[cell, d]]:
                    parent[nxt], up[nxt] = cell, neighbor_edge[cell, d]
                    queue[tail] = nxt
                    tail += 1
        if tail < n_cells:  # not every cell joined: not a spanning tree
            tree[m] = False
            continue
        # The walled passages in ascending order, kept so as each edit swaps one in and one out.
        count = 0
        for e in range(n_edges):
            if not edges[e]:
                closed[count] = e
                count += 1
        for k in range(draws.shape[1]):
            drawn = min(int(draws[m, k, 0] * count), count - 1)
            new = closed[drawn]
            a, b = ends[new, 0], ends[new, 1]
            stamp += 1
            cell = a
            while cell >= 0:
                mark[cell] = stamp
                cell = parent[cell]
            meet = b
            while mark[meet] != stamp:
                meet = parent[meet]
            length = 0
            cell = b
            while cell != meet:  # b's side, climbing
                if not keep[m, up[cell]]:
                    cycle[length], below[length], side_b[length] = up[cell], cell, True
                    length += 1
                cell = parent[cell]
            start = length
            cell = a
            while cell != meet:  # a's side, climbing; reversed below to run down to a
                if not keep[m, up[cell]]:
                    cycle[length], below[length], side_b[length] = up[cell], cell, False
                    length += 1
                cell = parent[cell]
            lo, hi = start, length - 1
            while lo < hi:
                cycle[lo], cycle[hi] = cycle[hi], cycle[lo]
                below[lo], below[hi] = below[hi], below[lo]
                lo += 1
                hi -= 1
            if length == 0:  # every passage of the cycle must stay open: skip this edit
                continue
            pick = min(int(draws[m, k, 1] * length), length - 1)
            old, cut = cycle[pick], below[pick]
            edges[new] = 1
            edges[old] = 0
            # ``new`` leaves the walled list and ``old`` joins it, in order.
            j = drawn
            if old > new:
                while j + 1 < count and closed[j + 1] < old:
                    closed[j] = closed[j + 1]
                    j += 1
            else:
                while j > 0 and closed[j - 1] > old:
                    closed[j] = closed[j - 1]
                    j -= 1
            closed[j] = old
            # Re-hang the cut subtree from the opened passage: reverse the pointers end -> cut.
            end, other = (b, a) if side_b[pick] else (a, b)
            prev, prev_up, cell = other, new, end
            while True:
                nxt, nxt_up = parent[cell], up[cell]
                parent[cell], up[cell] = prev, prev_up
                if cell == cut:
                    break
                prev, prev_up, cell = cell, nxt_up, nxt
        if cell_ends[m, 0] >= 0:
            # The tree path start -> goal: mark the start's ancestors with their distance, climb
            # from the goal to the first marked one.
            stamp += 1
            cell, steps = cell_ends[m, 0], 0
            while cell >= 0:
                mark[cell] = stamp
                queue[cell] = steps
                cell = parent[cell]
                steps += 1
            cell, steps = cell_ends[m, 1], 0
            while mark[cell] != stamp:
                cell = parent[cell]
                steps += 1
            lengths[m] = 2 * (steps + queue[cell])


# --------------------------------------------------------------------- goal moves
def move_goal(maze: Maze, n_edits: int, rng: np.random.Generator) -> Maze:
    """Move the goal to an open square joined to the start, at most ``n_edits`` moves away.

    Args:
        maze: a solvable maze, any wall grid.
        n_edits: the farthest the goal moves, in moves: an int in ``[1, 100000]``. On a lattice
            maze whose goal is a cell the goal stays on cells and a move is one cell (two
            squares); otherwise a move is one square.
        rng: the randomness.

    Returns:
        The same walls and start, the goal drawn uniformly among the open squares (cells) other
        than the start and the old goal within that many moves of the old goal.

    Raises:
        ValueError: ``maze`` is unsolvable, or no other square is within reach.
    """
    maze, n_edits, rng = _check_maze(maze), _check_edits(n_edits), check_rng(rng)
    if not maze.is_solvable():
        raise ValueError(f"maze must be solvable, no path joins start {maze.start} and goal {maze.goal}")
    on_cells = maze.is_lattice() and maze.goal[0] % 2 == 1 and maze.goal[1] % 2 == 1
    reach = n_edits * (2 if on_cells else 1)
    # The goal's component holds the start, so every square reached from the goal is joined to it.
    candidates = sorted(
        cell
        for cell, d in maze.distances_to_goal().items()
        if 0 < d <= reach and cell != maze.start and (not on_cells or (cell[0] % 2 and cell[1] % 2))
    )
    if not candidates:
        raise ValueError(f"no open square within {n_edits} moves of the goal {maze.goal} to move it to")
    goal = candidates[rng.integers(len(candidates))]
    return Maze(maze.walls, maze.start, goal)


# --------------------------------------------------------------------- latent edits
def latent_edit(
    generator: Any, noise: np.ndarray, n_edits: int, rng: np.random.Generator, step: float = 0.02
) -> tuple[np.ndarray, Maze]:
    """Walk a learned generator's latent noise and decode the maze there.

    The noise is the generator's own random input (``generator.draw_noise(1, rng)[0]``, or a
    previous call's result); each of the ``n_edits`` steps adds ``N(0, step^2)`` to every unit.
    ``generator.draw_from_noise`` decodes and repairs it, ``generator.place_batch`` places start
    and goal, as in the generator's own mazes.

    Args:
        generator: a learned generator (``make_generator("vae")`` or ``"ae"``) with a repair mode.
        noise: ``float[noise_dim]``, finite.
        n_edits: steps, an int in ``[1, 100000]``.
        rng: the randomness.
        step: the scale of one step, a number in ``(0, 10]``. The default, 0.02, is small because
            the shipped VAE is sensitive: one step of 0.1 already changes about 90 squares of a
            14x14-cell maze, one of 0.02 a few.

    Returns:
        ``(new_noise: float64[noise_dim], maze)``: pass ``new_noise`` back to keep walking.

    Raises:
        TypeError: ``generator`` is not a learned generator.
        ValueError: its repair mode is ``None`` (its mazes may be unsolvable), or a bad argument.
    """
    if not all(hasattr(generator, name) for name in ("draw_from_noise", "noise_dim", "place_batch")):
        raise TypeError(
            "generator must be a learned generator (make_generator('vae') or make_generator('ae')), "
            f"got {type(generator).__name__}"
        )
    if getattr(generator, "repair_mode", None) is None:
        raise ValueError(
            "latent_edit needs a generator whose mazes are always solvable: repair 'perfect' or "
            "'connect', got repair=None"
        )
    n_edits, rng = _check_edits(n_edits), check_rng(rng)
    step = check_real(step, "step", 0.0, 10.0, low_open=True)
    noise = np.asarray(noise)
    if noise.ndim != 1 or len(noise) != generator.noise_dim:
        raise ValueError(f"noise must be float[{generator.noise_dim}], got shape {noise.shape}")
    noise = check_rows(noise[None], generator.noise_dim, "noise")[0]
    moved = noise + step * rng.standard_normal((n_edits, len(noise))).sum(axis=0)
    walls = np.asarray(generator.draw_from_noise(moved[None]).walls, dtype=bool)
    start, goal = generator.place_batch(walls)
    maze = Maze(walls[0], tuple(start[0].tolist()), tuple(goal[0].tolist()))
    if not maze.is_solvable():  # the repair modes rule this out; never hand one on
        raise RuntimeError(f"generator {generator!r} decoded an unsolvable maze despite repair")
    return moved, maze


__all__ = ["MAX_EDITS", "latent_edit", "move_goal", "tree_edit", "tree_edits"]
