"""The difficulty-control search for the classical generators, one compiled pass per maze.

`generators.control` searches a wrapped generator's random input for a maze whose metrics are
close to the targets. For the learned generators every candidate goes through the model; for
the four classical generators the whole search of a maze (draw, carve, measure, keep the best,
mutate) runs here, in one numba call per slice of mazes, with no Python per candidate and no
candidate wall grid kept beyond the best one:

- backtracker: the generator's depth-first carve (the loop of
  `generators.backtracker._carve_kernel`, with its move table) drawing each uniform only when
  it reads it (`_carve_search`), so a served maze is exactly ``walls_from_uniforms`` of the
  uniforms it drew;
- Prim: the candidate's uniforms go through the generator's own compiled kernel
  (`generators.prim._grow_kernel`), so a served maze is exactly ``walls_from_uniforms`` of
  them;
- Kruskal: Kruskal's algorithm over the edges in the candidate's order, a uniformly random
  permutation: the order of i.i.d. uniform edge weights, drawn without the weights or a sort.
  A served maze is exactly ``walls_from_uniforms`` of any weights in that order (the maximum
  spanning tree of `generators.spanning_tree`), or its mirror image;
- Wilson: Wilson's loop-erased random walks into a uniform spanning tree rooted at the centre
  cell, the first from the top-left and bottom-right corners (for a path-length target then
  from the other two), the others in row-major order (any root and any order give a uniform
  spanning tree), directions drawn from the search's stream; it has no uniforms vector, so its
  candidates are fresh draws only.

Kruskal's and Wilson's mazes are exactly as likely as their mirror images, so for a path-length
target each tree offers two candidates: itself, and its mirror image, whose start-goal path is
the tree's path from the top-right to the bottom-left cell. The tree is served if it fits, else
its mirror image if that fits.

Backtracker and Wilson candidates are abandoned as soon as their start-goal path (and Wilson's
other corner path) is fixed (the depth-first search reaches the goal; the corner walks end) and
misses the target by more than the best candidate so far. Backtracker candidates are also
abandoned as soon as their path is known to come out too long before the carve reaches the goal
(see `_carve_search`), and as soon as they have more dead ends than that allows (a dead end of a
depth-first search is one for good).
A Kruskal tree is built whole (its corners join late, when most of the work is done) and
measured by one breadth-first search.

Each maze's search draws only from its own xoshiro256** stream, seeded from that maze's 64-bit
seed by splitmix64, so a maze depends on its seed alone: a batch equals its mazes one by one,
on any number of threads. Metrics are measured on the cell tree (a breadth-first search from the
start cell, two squares per cell step; dead ends by counting each cell's open passages).

This module imports numba when it is imported; `generators.control` imports it on first use.
"""

from __future__ import annotations

import numba
import numpy as np

from generators._jit import compile_kernel
from generators.lattice import Lattice
from generators.prim import _grow_kernel

BACKTRACKER, PRIM, KRUSKAL, WILSON = 0, 1, 2, 3
KINDS = {"backtracker": BACKTRACKER, "prim": PRIM, "kruskal": KRUSKAL, "wilson": WILSON}


def kruskal_tables(lat: Lattice) -> np.ndarray:
    """``edges: int64[E]``: each lattice edge as one number, its two cells in bits 0-19 and
    20-39 and its square on the flattened wall grid in bits 40-62 (a 1024x1024-cell maze has
    2^20 cells and fewer than 2^23 squares). Kruskal's search shuffles these numbers themselves,
    so it reads each edge's cells and square from the entry in hand, not from three tables at a
    random place."""
    if lat.num_cells > 1 << 20 or (2 * lat.h + 1) * (2 * lat.w + 1) > 1 << 23:
        raise ValueError(f"a {lat.h}x{lat.w}-cell lattice does not fit the packed edge table")
    a, b = (lat.edges[:, i].astype(np.int64) for i in (0, 1))
    sq = (lat.edge_rc[:, 0] * (2 * lat.w + 1) + lat.edge_rc[:, 1]).astype(np.int64)
    return np.ascontiguousarray(a | (b << 20) | (sq << 40))


def wilson_tables(lat: Lattice) -> tuple[np.ndarray, np.ndarray]:
    """``step, step_sq: int64[4 N]``: entry ``4 c + d`` is the neighbour of cell ``c`` in
    direction ``d`` (the cell itself off the grid) and the square between them on the flattened
    wall grid. One flat table, not ``[N, 4]``: the walk's step is then one multiply-add."""
    step = lat.steps
    rc = lat.edge_rc[np.maximum(lat.neighbor_edge, 0)]
    step_sq = (rc[..., 0] * (2 * lat.w + 1) + rc[..., 1]).astype(np.int64)
    return np.ascontiguousarray(step.reshape(-1)), np.ascontiguousarray(step_sq.reshape(-1))


_grow = compile_kernel(_grow_kernel)
_jit = numba.njit(cache=True, nogil=True)


@_jit
def _rotl(x: np.uint64, k: int) -> np.uint64:
    return (x << np.uint64(k)) | (x >> np.uint64(64 - k))


@_jit
def _seed_stream(seed: np.int64, state: np.ndarray) -> None:
    """Fill the four-word xoshiro256** ``state`` from ``seed`` by splitmix64."""
    z = np.uint64(seed)
    for i in range(4):
        z = z + np.uint64(0x9E3779B97F4A7C15)
        x = z
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        state[i] = x ^ (x >> np.uint64(31))


@_jit
def _next(state: np.ndarray) -> np.uint64:
    """The next 64 random bits of ``state`` (xoshiro256**)."""
    result = _rotl(state[1] * np.uint64(5), 7) * np.uint64(9)
    t = state[1] << np.uint64(17)
    state[2] ^= state[0]
    state[3] ^= state[1]
    state[1] ^= state[2]
    state[0] ^= state[3]
    state[2] ^= t
    state[3] = _rotl(state[3], 45)
    return result


@_jit
def _uniform(state: np.ndarray) -> float:
    """A double in ``[0, 1)`` with 53 random bits."""
    return np.float64(_next(state) >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@_jit
def _shuffle(state: np.ndarray, values: np.ndarray, order: np.ndarray) -> None:
    """``order``: ``values`` in a uniformly random order (Fisher-Yates)."""
    n = order.shape[0]
    for i in range(n):
        order[i] = values[i]
    for i in range(n - 1, 0, -1):
        j = np.int64(_uniform(state) * (i + 1))
        order[i], order[j] = order[j], order[i]


@_jit
def _mutate_order(
    state: np.ndarray,
    best: np.ndarray,
    order: np.ndarray,
    kept: np.ndarray,
    moved: np.ndarray,
    mutation: float,
) -> None:
    """``order``: the permutation ``best`` with each entry, with probability ``mutation``, taken
    out and put back at a random place. The others keep their order; the ones taken out come
    back in a uniformly random order at a uniformly random set of places: what redrawing their
    weights does to the order of uniform weights. ``kept`` and ``moved`` are scratch of ``E``."""
    n = best.shape[0]
    n_kept = n_moved = 0
    for i in range(n):
        if _uniform(state) < mutation:
            moved[n_moved] = best[i]
            n_moved += 1
        else:
            kept[n_kept] = best[i]
            n_kept += 1
    for i in range(n_moved - 1, 0, -1):
        j = np.int64(_uniform(state) * (i + 1))
        moved[i], moved[j] = moved[j], moved[i]
    a = b = 0
    for i in range(n):  # each place takes a moved entry with chance (moved left) / (places left)
        if b < n_moved and _uniform(state) * (n - i) < n_moved - b:
            order[i] = moved[b]
            b += 1
        else:
            order[i] = kept[a]
            a += 1


@_jit
def _kruskal(order: np.ndarray, parent: np.ndarray, flat: np.ndarray) -> None:
    """Open, in ``flat`` (the walls of one maze, cells already open), the spanning tree that
    Kruskal's algorithm builds from the edges taken in ``order`` (packed as `kruskal_tables`
    packs them; heaviest first: the maximum spanning tree of any weights in that order),
    skipping any edge that closes a cycle (union-find with path halving, a component's root its
    lowest cell)."""
    n = parent.shape[0]
    for c in range(n):
        parent[c] = c
    joined = 0
    for e in order:
        a = e & 0xFFFFF
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        b = (e >> 20) & 0xFFFFF
        while parent[b] != b:
            parent[b] = parent[parent[b]]
            b = parent[b]
        if a != b:
            parent[max(a, b)] = min(a, b)
            flat[e >> 40] = False
            joined += 1
            if joined == n - 1:
                break


@_jit
def _corner_paths(
    flat: np.ndarray, h: int, w: int, both: bool, depth: np.ndarray, queue: np.ndarray, entry: np.ndarray,
    paths: np.ndarray,
) -> float:  # fmt: skip
    """The dead-end fraction of one perfect maze's walls ``flat``, and into ``paths`` its corner
    paths in cell steps: ``paths[0]`` from the top-left to the bottom-right cell and, with
    ``both``, ``paths[1]`` from the top-right to the bottom-left cell (else -1).

    `_search` from the top-left cell leaves each cell's depth and the square it was reached from
    in its queue entry; the second path goes up from both cells to their lowest common ancestor.
    ``depth`` and ``queue`` are scratch of ``h * w + 1``, ``entry`` (each square's queue entry) of
    ``(2 h + 1) (2 w + 1)``."""
    row = 2 * w + 1
    n = h * w
    steps, dead, _, tail = _search(flat, w, n, row + 1, (2 * h - 1) * row + 2 * w - 1, False, depth, queue)
    paths[0] = steps
    paths[1] = -1
    if both:
        for i in range(tail):
            entry[queue[i]] = i
        x, y = entry[2 * row - 2], entry[(2 * h - 1) * row + 1]
        dx, dy = depth[x] & 0xFFFFFFFF, depth[y] & 0xFFFFFFFF
        steps = 0
        while dx > dy:
            x = entry[depth[x] >> 32]
            dx -= 1
            steps += 1
        while dy > dx:
            y = entry[depth[y] >> 32]
            dy -= 1
            steps += 1
        while x != y:
            x = entry[depth[x] >> 32]
            y = entry[depth[y] >> 32]
            steps += 2
        paths[1] = steps
    return dead / n


@_jit
def _distance(
    flat: np.ndarray, h: int, w: int, src: int, dst: int, depth: np.ndarray, queue: np.ndarray
) -> int:
    """Cell steps from cell ``src`` to cell ``dst`` through the open passages of ``flat``, a
    forest (-1 when they are not joined): `_search` from ``src``, stopped at ``dst``.
    ``depth`` and ``queue`` are scratch of ``h * w + 1``."""
    row = 2 * w + 1
    start = (2 * (src // w) + 1) * row + 2 * (src % w) + 1
    goal = (2 * (dst // w) + 1) * row + 2 * (dst % w) + 1
    return _search(flat, w, h * w, start, goal, True, depth, queue)[0]


@_jit
def _mirror(flat: np.ndarray, h: int, w: int, out: np.ndarray) -> None:
    """``out``: the walls ``flat`` mirrored left to right (the top-right cell becomes the
    top-left one, the bottom-left the bottom-right)."""
    row = 2 * w + 1
    for r in range(2 * h + 1):
        base = r * row
        for c in range(row):
            out[base + c] = flat[base + row - 1 - c]


@_jit
def _wilson(
    state: np.ndarray,
    step: np.ndarray,
    step_sq: np.ndarray,
    in_tree: np.ndarray,
    exit_dir: np.ndarray,
    flat: np.ndarray,
    h: int,
    w: int,
    lo: int,
    hi: int,
    both: bool,
    depth: np.ndarray,
    queue: np.ndarray,
    paths: np.ndarray,
) -> bool:
    """Open, in ``flat``, a uniform spanning tree by Wilson's algorithm, and return whether it
    was built whole.

    The tree is rooted at the centre cell, which a walk from a corner reaches in about a third
    of the steps it takes to reach the opposite corner. The first walks start from the top-left
    and the bottom-right cells, which fixes their path; with ``both`` the next two from the
    top-right and the bottom-left cells, which fixes theirs; the others from every cell not yet
    in the tree in row-major order (any root and any order give a uniform spanning tree). With
    ``hi >= 0`` those paths are then measured in cell steps into ``paths`` (-1 otherwise), and
    the maze is abandoned (``False``) when none of them is in ``[lo, hi]``. ``step[c, d]`` is the
    neighbour of cell ``c`` in direction ``d`` (``c`` itself off the grid: the walk stays, which
    is the same as drawing again) and ``step_sq[c, d]`` the square between, both flattened
    (`wilson_tables`: entry ``4 c + d``).
    """
    n = in_tree.shape[0]
    in_tree[:] = False
    in_tree[(h // 2) * w + w // 2] = True
    bits = np.uint64(0)
    left = 0
    paths[0] = paths[1] = -1
    corners = 4 if both else 2
    for k in range(n + corners):
        if k == 0:
            start = 0
        elif k == 1:
            start = n - 1
        elif k < corners:
            start = w - 1 if k == 2 else n - w
        else:
            start = k - corners
        cell = start
        while not in_tree[cell]:
            if left == 0:
                bits = _next(state)
                left = 32
            d = np.int64(bits & np.uint64(3))
            bits >>= np.uint64(2)
            left -= 1
            exit_dir[cell] = d
            cell = step[4 * cell + d]
        cell = start
        while not in_tree[cell]:
            in_tree[cell] = True
            at = 4 * cell + np.int64(exit_dir[cell])
            flat[step_sq[at]] = False
            cell = step[at]
        if k == corners - 1 and hi >= 0:
            paths[0] = _distance(flat, h, w, 0, n - 1, depth, queue)
            if both:
                paths[1] = _distance(flat, h, w, w - 1, n - w, depth, queue)
            if not lo <= paths[0] <= hi and not (both and lo <= paths[1] <= hi):
                return False
    return True


@_jit
def _joined(
    visited: np.ndarray,
    seen: np.ndarray,
    mark: int,
    p: int,
    goal: int,
    wp: int,
    stack: np.ndarray,
    budget: int,
) -> bool:
    """Whether cell ``goal`` is joined to cell ``p`` through cells not yet visited
    (``visited[c] == 0``; cells are indices of the grid padded by one ring), by a depth-first
    search that tries down, then right first (the goal is the bottom-right cell). It gives up
    (``False``: not known) after meeting ``budget`` cells. The cells it meets get ``seen[c] =
    mark``, a number new to each call, so nothing has to be cleared; ``stack`` is scratch of the
    padded grid's size."""
    stack[0] = p
    top = 1
    met = 0
    while top > 0:
        top -= 1
        x = stack[top]
        for y in (x - wp, x - 1, x + 1, x + wp):  # pushed last, tried first: down, then right
            if visited[y] == 0 and seen[y] != mark:
                if y == goal:
                    return True
                seen[y] = mark
                stack[top] = y
                top += 1
                met += 1
        if met > budget:
            return False
    return False


@_jit
def _carve_search(
    state: np.ndarray,
    fresh: bool,
    mutation: float,
    u: np.ndarray,
    best_u: np.ndarray,
    h: int,
    w: int,
    flat: np.ndarray,
    move: np.ndarray,
    lo: int,
    hi: int,
    dead_hi: int,
    visited: np.ndarray,
    template: np.ndarray,
    cells: np.ndarray,
    squares: np.ndarray,
    seen: np.ndarray,
    stack: np.ndarray,
    marks: np.ndarray,
) -> int:
    """One backtracker candidate: the generator's depth-first carve
    (`generators.backtracker._carve_kernel`, the same loop and move table) of the walls ``flat``
    (all True on entry), drawing each uniform ``u[t]`` only when step ``t`` reads it: fresh, or
    (``fresh`` False) ``best_u[t]`` redrawn with probability ``mutation``. A candidate carved
    whole has all of ``u`` filled the same way, so it is ``walls_from_uniforms(u)``. Returns the
    depth (cells) at which the carve reached the bottom-right cell, or:

    - that depth, the carve stopped there, when it is outside ``[lo, hi]`` (``hi >= 0``);
    - -1 once the maze is known to end with more than ``dead_hi`` dead ends (``dead_hi >= 0``);
    - -2 once its depth is known to exceed ``hi`` before the carve reaches the goal. A
      depth-first search visits every cell joined to the top of its stack through unvisited
      cells before it backs out of it, so while the goal is so joined to the top cell ``p``
      (`_joined`, every few steps once ``depth(p)`` plus ``p``'s Manhattan distance to the
      goal exceeds ``hi``), the goal's depth will be at least that sum. The test only stops a
      candidate that would miss, so the mazes served are distributed as without it; it saves
      the steps a candidate would take from there to the goal.

    ``visited`` (uint8) and ``seen`` (int64, never cleared: ``marks[0]`` counts the tests) are
    scratch of the padded grid ``(h + 2) (w + 2)``, ``template`` that grid's unvisited cells (0) and
    ring (1), ``cells`` and ``squares`` of ``h w``, ``stack`` of the padded grid."""
    n = h * w
    wp = w + 2
    row = 2 * w + 1
    n_draws = u.shape[0]
    for r in range(h):
        for c in range(w):
            flat[(2 * r + 1) * row + 2 * c + 1] = False
    visited[:] = template
    p = wp + 1  # cell (0, 0)
    sq = row + 1
    visited[p] = 1
    depth = 0
    cells[0] = p
    squares[0] = sq
    goal = h * wp + w  # cell (h - 1, w - 1)
    found = False
    goal_depth = 0
    sealed = n  # no test while the carve is deeper than this (in a part not joined to the goal)
    every = max(8, h + w)  # steps between two tests of the bound
    next_test = 0
    budget = 4 * (h + w)
    pushes_left = n - 1
    t = 0
    leaves = 0
    pushed = False
    cell_off = np.array([-wp, 1, wp, -1], dtype=np.int64)
    square_off = np.array([-row, 1, row, -1], dtype=np.int64)
    while pushes_left > 0:
        if fresh or _uniform(state) < mutation:
            u[t] = _uniform(state)
        else:
            u[t] = best_u[t]
        taken = visited[p - wp] | (visited[p + 1] << 1) | (visited[p + wp] << 2) | (visited[p - 1] << 3)
        d = move[taken * 16 + np.int64(u[t] * 12.0)]
        t += 1
        if d < 4:
            flat[sq + square_off[d]] = False
            p += cell_off[d]
            sq += 2 * square_off[d]
            visited[p] = 1
            depth += 1
            cells[depth] = p
            squares[depth] = sq
            pushes_left -= 1
            pushed = True
            if p == goal:
                found = True
                if hi >= 0 and not lo <= depth <= hi:
                    return depth
                goal_depth = depth
            elif (
                hi >= 0 and not found and t >= next_test and depth < sealed
                and depth + (h - p // wp) + (w - p % wp) > hi
            ):  # fmt: skip
                next_test = t + every
                marks[0] += 1
                if _joined(visited, seen, marks[0], p, goal, wp, stack, budget):
                    return -2
                # Not joined (or not known): every cell carved before the carve backs out of
                # this one is in the same part, so the next test waits until then.
                sealed = depth
        else:
            if pushed:  # back from a cell with no child: a dead end
                leaves += 1
                if 0 <= dead_hi <= leaves:  # with the last cell, more than dead_hi
                    return -1
            pushed = False
            depth -= 1
            p = cells[depth]
            sq = squares[depth]
            if depth < sealed:
                sealed = n
    for i in range(t, n_draws):  # the uniforms the carve did not read, drawn the same way
        if fresh or _uniform(state) < mutation:
            u[i] = _uniform(state)
        else:
            u[i] = best_u[i]
    return goal_depth


@_jit
def _search(
    flat: np.ndarray, w: int, n: int, start: int, goal: int, stop: bool, depth: np.ndarray, queue: np.ndarray
) -> tuple[int, int, int, int]:
    """A breadth-first search of a forest's walls ``flat`` from square ``start``: ``(depth of
    square goal in cell steps or -1, dead ends met, largest depth, entries)``, stopped at ``goal``
    with ``stop``. Entry ``i < entries`` of ``queue`` is a square reached, ``depth[i]`` its depth
    in the low 32 bits and the square it was reached from in the high ones.

    It never tests a wall in a branch (in a tree a cell's unvisited neighbours are all but the
    one it was reached from, so every open passage but that one is pushed): random mazes make
    such branches unpredictable, and this costs a third of a branching search. ``depth`` and
    ``queue`` are scratch of ``n + 1`` (``n`` cells).
    """
    row = 2 * w + 1
    queue[0] = start
    depth[0] = 0
    head, tail = 0, 1
    dead = 0
    far = 0
    steps = -1
    while head < tail:
        sq = queue[head]
        d = depth[head]
        came = d >> 32
        d &= 0xFFFFFFFF
        head += 1
        degree = 0
        for off in (-row, 1, row, -1):
            o = 1 - np.int64(flat[sq + off])
            degree += o
            nxt = sq + 2 * off
            queue[tail] = nxt
            depth[tail] = (sq << 32) | (d + 1)
            tail += o & np.int64(nxt != came)
        dead += np.int64(degree == 1)
        far = max(far, d)
        if sq == goal:
            steps = d
            if stop:
                break
        if tail > n:  # never in a tree (n cells, n entries); keeps a bad input inside the scratch
            tail = n
    return steps, dead, far, tail


@_jit
def _measure(
    flat: np.ndarray, h: int, w: int, farthest: bool, depth: np.ndarray, queue: np.ndarray
) -> tuple[float, float]:
    """``(path length in squares, dead-end fraction)`` of one perfect maze's walls ``flat``:
    the start is the top-left cell, the goal the bottom-right one or (``farthest``) the cell
    farthest from the start. One `_search` of the whole maze; ``depth`` and ``queue`` are
    scratch of ``h * w + 1``.
    """
    row = 2 * w + 1
    n = h * w
    steps, dead, far, _ = _search(flat, w, n, row + 1, (2 * h - 1) * row + 2 * w - 1, False, depth, queue)
    if farthest:
        steps = far
    return 2.0 * max(steps, 0), dead / n


@_jit
def search_kernel(
    kind: int,
    seeds: np.ndarray,
    h: int,
    w: int,
    farthest: bool,
    targets: np.ndarray,
    asked: np.ndarray,
    tol: float,
    rounds: int,
    first: int,
    mutation: float,
    move: np.ndarray,
    edges: np.ndarray,
    step: np.ndarray,
    step_sq: np.ndarray,
    n_draws: int,
    out: np.ndarray,
    out_err: np.ndarray,
    out_built: np.ndarray,
) -> None:
    """One search per row of ``seeds: int64[B]`` into ``out: bool[B, H * W]``,
    ``out_err: float64[B]`` (largest relative miss) and ``out_built: int64[B]`` (mazes built: a
    Kruskal or Wilson tree is two candidates for a path-length target, itself and its mirror
    image).

    ``targets[m]`` is the target of metric ``m`` (0 path length, 1 dead ends) where ``asked[m]``.
    Round ``r`` builds ``first << min(r, 2)`` candidates; from the second round on, the second
    half of a round are mutants of the best so far (each uniform redrawn with probability
    ``mutation``; for Kruskal each edge moved in the order with that probability, see
    `_mutate_order`). The first candidate within ``tol`` of every target is served, else the
    closest of all ``rounds``; a mutant of a mirror image is a mutant of its tree.
    """
    squares = (2 * h + 1) * (2 * w + 1)
    n = h * w
    state = np.empty(4, dtype=np.uint64)
    u = np.empty((1, max(n_draws, 1)), dtype=np.float64)
    best_u = np.empty(max(n_draws, 1), dtype=np.float64)
    walls = np.empty((1, 2 * h + 1, 2 * w + 1), dtype=np.bool_)
    flat = walls.reshape(-1)
    template = np.ones(squares, dtype=np.bool_)
    for c in range(n):
        template[(2 * (c // w) + 1) * (2 * w + 1) + 2 * (c % w) + 1] = False
    parent = np.empty(n, dtype=np.int64)
    order = np.empty(max(n_draws, 1), dtype=np.int64)  # Kruskal: the candidate's edge order
    best_order = np.empty_like(order)
    kept = np.empty_like(order)
    moved = np.empty_like(order)
    in_tree = np.empty(n, dtype=np.bool_)
    exit_dir = np.empty(n, dtype=np.uint8)
    depth = np.empty(n + 1, dtype=np.int64)
    queue = np.empty(n + 1, dtype=np.int64)
    paths = np.empty(2, dtype=np.int64)
    entry = np.empty(squares, dtype=np.int64)
    mirrored = np.empty(squares, dtype=np.bool_)
    mutable = kind != WILSON
    # The backtracker's carve: the grid padded by a ring of visited cells, and its scratch.
    padded = np.ones((h + 2) * (w + 2), dtype=np.uint8)
    for c in range(n):
        padded[(c // w + 1) * (w + 2) + c % w + 1] = 0
    visited = np.empty_like(padded)
    cells = np.empty(n, dtype=np.int64)
    squares = np.empty(n, dtype=np.int64)
    seen = np.zeros(padded.shape[0], dtype=np.int64)
    stack = np.empty(padded.shape[0], dtype=np.int64)
    marks = np.zeros(1, dtype=np.int64)
    # Kruskal's and Wilson's mazes are as likely as their mirror images, so each of their trees
    # offers two candidates for a path-length target: itself, and its mirror image.
    both = kind in (KRUSKAL, WILSON) and asked[0] and not farthest and h >= 2 and w >= 2
    for b in range(seeds.shape[0]):
        _seed_stream(seeds[b], state)
        best = np.inf
        built = 0
        for round_ in range(rounds):
            k = first << min(round_, 2)
            for j in range(k):
                mutant = mutable and round_ > 0 and j >= k // 2
                # A candidate whose path already misses by ``best`` or more cannot be kept:
                # backtracker, Kruskal and Wilson stop it as soon as its path is known.
                lo, hi = 0, -1
                if asked[0] and not farthest and best < np.inf:
                    lo = np.int64(np.floor(targets[0] * (1.0 - best) / 2.0))
                    hi = np.int64(np.ceil(targets[0] * (1.0 + best) / 2.0))
                # The backtracker also stops a candidate once it has more dead ends than that.
                dead_hi = -1
                if asked[1] and best < np.inf:
                    dead_hi = np.int64(np.floor(n * targets[1] * (1.0 + best)))
                if kind == PRIM:
                    for i in range(n_draws):
                        if not mutant or _uniform(state) < mutation:
                            u[0, i] = _uniform(state)
                        else:
                            u[0, i] = best_u[i]
                built += 1
                known = -1.0
                if kind == BACKTRACKER:
                    flat[:] = True
                    depth_ = _carve_search(
                        state, not mutant, mutation, u[0], best_u, h, w, flat, move, lo, hi, dead_hi,
                        visited, padded, cells, squares, seen, stack, marks,
                    )  # fmt: skip
                    if depth_ < 0:  # too many dead ends, or a path known to be too long
                        continue
                    paths[0] = depth_
                elif kind == PRIM:
                    flat[:] = True
                    _grow(u, h, w, walls)
                elif kind == KRUSKAL:
                    if mutant:
                        _mutate_order(state, best_order, order, kept, moved, mutation)
                    else:
                        _shuffle(state, edges, order)
                    flat[:] = template
                    _kruskal(order, parent, flat)
                    if asked[0] and not farthest:
                        known = _corner_paths(flat, h, w, both, depth, queue, entry, paths)
                else:
                    flat[:] = template
                    if not _wilson(
                        state, step, step_sq, in_tree, exit_dir, flat, h, w, lo, hi, both, depth, queue, paths
                    ):
                        continue
                # The maze itself, and with ``both`` its mirror image (its top-right to
                # bottom-left path becomes the top-left to bottom-right one).
                for side in range(2 if both else 1):
                    if hi >= 0 and kind != PRIM and not lo <= paths[side] <= hi:
                        continue
                    cand = flat
                    if side == 1:
                        _mirror(flat, h, w, mirrored)
                        cand = mirrored
                    if known >= 0.0:  # Kruskal's corner paths and dead ends, from _corner_paths
                        path, dead = 2.0 * paths[side], known
                    else:
                        path, dead = _measure(cand, h, w, farthest, depth, queue)
                    err = 0.0
                    if asked[0]:
                        err = max(err, abs(path - targets[0]) / targets[0])
                    if asked[1]:
                        err = max(err, abs(dead - targets[1]) / targets[1])
                    if err < best:
                        best = err
                        out[b, :] = cand
                        if kind == KRUSKAL:
                            best_order[:] = order
                        elif mutable:
                            best_u[:n_draws] = u[0, :n_draws]
                    if best <= tol:
                        break
                if best <= tol:
                    break
            if best <= tol:
                break
        out_err[b] = best
        out_built[b] = built
