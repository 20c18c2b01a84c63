"""The depth-first (``decoder="dfs"``) maze decoder: `DFSDecoder` and the tree walk it runs.

A perfect maze is a spanning tree of the cell lattice. The ``dfs`` decoder writes one down the way
any spanning tree can be written down: a depth-first traversal from the start cell ``(0, 0)``.
At the cell on top of the stack it looks at its neighbours in a fixed order (up, right, down,
left) and, for each neighbour not yet in the tree, decides whether the passage to it is open; an
open passage adds the neighbour to the tree and the walk continues from there; when every
direction of a cell has been looked at, the walk backs up. Every passage is decided at most
once, so a maze is exactly one sequence of decisions and its probability is the product of the
decisions' Bernoullis (an exact likelihood, no sum over orders).

Two rules of spanning trees are structure, not learned:

- a passage to a cell already in the tree is a wall (opening it would close a cycle), so it is
  never a decision;
- a passage whose closing would leave part of the maze unreachable for good is open: the
  neighbour's region of cells not yet in the tree has no other undecided passage from a cell
  still on the stack.

So every decoded maze is a perfect maze, whatever the network says. Everything else is learned:
each decision's wall logit is ``b[d] + w[d] . relu(e[cell] + C[d, f]) + D[d, f]``, with ``d``
the direction, ``e`` a per-cell embedding of the latent code, and ``f`` ten bits of the walk's
state at the decision (`FEATURE_NAMES`), each a generic property of a partial spanning tree:

- ``rem1`` / ``rem2``: the cell has at least one / two more neighbours outside the tree in the
  directions still to look at;
- ``free1`` / ``free2`` / ``free3``: the neighbour has at least one / two / three neighbours of
  its own outside the tree;
- ``via_self``: the neighbour's region outside the tree touches a passage this cell has still to
  decide (closing now, the region can still join the tree through this cell's later branches);
- ``via_stack``: it touches an undecided passage of another cell on the stack;
- ``declined``: this cell closed a passage to a neighbour that is still outside the tree;
- ``straight``: the direction is the one the walk came into this cell by;
- ``has_child``: this cell already opened a passage (the walk is back from a branch).

``C`` and ``D`` are tables over every (direction, bits) pattern, so with the code ignored the
decoder is the count table over these features; the code is what a network adds.

**Target slack** (`generators.path_head`). A walk can also be told the depth ``T`` at which it
should reach the goal (the last cell): every decision then also carries one of `NUM_BUCKETS`
slack buckets, and its code is ``bucket * 4 * NUM_CODES + d * NUM_CODES + f``. Bucket 0: no
target; 1: the goal is in the tree already, or outside the region of cells not yet in the tree
that the neighbour lies in; else the slack ``s = T - depth(neighbour) - manhattan(neighbour,
goal)`` (the extra steps a path through the neighbour could still take): bucket 2 for ``s < 0``
(a path through it comes out too long), then 3 to 7 for ``s`` in ``[0, 2)``, ``[2, 8)``,
``[8, 24)``, ``[24, 64)`` and ``[64, inf)`` (`SLACK_EDGES`).

Training uses teacher forcing: the walk runs on the training maze's own passages
(`walk_features`) and every decision's logit is computed at once. Decoding runs the same
compiled walk, deciding each passage either greedily (wall when its probability is above the
threshold: the clipped decoder output) or by sampling it with a given uniform.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import torch
from torch import Tensor, nn
from torch.nn import functional as F

from generators._jit import compile_kernel, split_rows
from generators.lattice import lattice
from generators.models import FIXED_LOGIT, ModelConfig, PassageDecoder, mlp

NUM_FEATURES = 10
NUM_CODES = 1 << NUM_FEATURES
FEATURE_NAMES = (
    "rem1",
    "rem2",
    "free1",
    "free2",
    "free3",
    "via_self",
    "via_stack",
    "declined",
    "straight",
    "has_child",
)
# ``codes`` entries that are not decisions.
NOT_DECIDED = -1  # a passage to a cell already in the tree: a wall
FORCED_OPEN = -2  # closing it would cut part of the maze off: open

NUM_BUCKETS = 8
SLACK_EDGES = np.array([2, 8, 24, 64], dtype=np.int64)
_NO_TARGET = np.zeros(0, dtype=np.int64)  # no walk is told a goal depth
_NO_ROWS = np.zeros(0, dtype=np.int64)  # every walk reads its own embeddings
_NO_WINDOW = np.zeros((0, 2), dtype=np.int64)  # no walk stops early (and none is a hit)
_DR = np.array([-1, 0, 1, 0], dtype=np.int64)
_DC = np.array([0, 1, 0, -1], dtype=np.int64)


@lru_cache(maxsize=64)
def edge_table(h: int, w: int) -> np.ndarray:
    """``int64[N, 4]``: the lattice passage (`generators.lattice`) from each cell in each
    direction (up, right, down, left); -1 outside the maze."""
    table = lattice(h, w).neighbor_edge.astype(np.int64).copy()
    table.setflags(write=False)
    return table


def _dfs_walk(
    h: int,
    w: int,
    mode: int,
    nbr: np.ndarray,
    edge_of: np.ndarray,
    open_in: np.ndarray,
    emb: np.ndarray,
    emb_row: np.ndarray,
    by_channel: bool,
    ctx: np.ndarray,
    w_out: np.ndarray,
    b_out: np.ndarray,
    direct: np.ndarray,
    wall_above: float,
    u: np.ndarray,
    window: np.ndarray,
    cells: np.ndarray,
    codes: np.ndarray,
    logits: np.ndarray,
    opened: np.ndarray,
    goal_depth: np.ndarray,
    target: np.ndarray,
    slack_edges: np.ndarray,
    hit: np.ndarray,
    group_size: int,
) -> None:
    """Walk ``B`` mazes depth-first from cell 0.

    ``mode`` 0 (teacher): passage ``e`` of maze ``b`` is open when ``open_in[b, e]``. Mode 1
    (greedy): a decided passage is open when its logit is at most ``wall_above``. Mode 2 (sampled):
    open when ``u[b, e] < sigmoid(-logit)``. The logit of the decision from cell ``k`` in direction
    ``d`` with feature bits ``f`` is ``b_out[d] + w_out[d] . relu(emb[b, k] + ctx[d * 1024 + f]) +
    direct[d * 1024 + f]``. ``emb: float[B, N * H]`` holds each maze's ``[N, H]`` embeddings
    flat, or its ``[H, N]`` ones when ``by_channel``; float32 or float64, summed in float64.

    Walk ``b`` reads the embeddings ``emb[emb_row[b]]`` (``emb[b]`` when ``emb_row`` is empty),
    so many walks can share one maze's embeddings. ``goal_depth[b]`` is the depth at which the
    walk reached the last cell (the start-goal path in cell steps, the tree being depth-first);
    with ``window: int64[B, 2]`` (empty: none), a walk that reaches it at a depth outside
    ``[window[b, 0], window[b, 1]]`` (where ``window[b, 1] >= 0``) stops there, its other outputs
    left half written. So does a walk that can no longer reach it by depth ``window[b, 1]``
    (every passage that the stack has still to decide lies too far from it), with
    ``goal_depth[b] = window[b, 1] + 1``, a lower bound on the depth it would have reached it at.

    With ``target: int64[B]`` (empty: none), every decision also carries the slack bucket of the
    walk toward a goal depth of ``target[b]`` (see the module notes, with ``slack_edges`` = `SLACK_EDGES`)
    and its code is ``bucket * 4 * 1024 + d * 1024 + f``; without, the bucket is 0.

    With ``hit: int64[B, 2]`` (empty: none), the walks come in groups of ``group_size``
    consecutive walks, and once a walk of a group has run to its end with its goal depth in
    ``[hit[b, 0], hit[b, 1]]``, the later walks of that group are not drawn: their
    ``goal_depth`` is -1 and their other outputs are left as they were (a search that serves a
    maze's first walk to land needs none of them).

    Outputs per passage: ``cells[b, e]`` the cell that decided it (-1 if none), ``codes[b, e]``
    ``d * 1024 + f`` for a decision, `NOT_DECIDED` or `FORCED_OPEN` otherwise; in the decoding
    modes ``logits[b, e]`` (decisions only; the caller fills the others) and always
    ``opened[b, e]``.

    The region flags (``via_self``, ``via_stack``) need the region outside the tree that the
    neighbour lies in. The walk keeps those regions labelled (``region``) with, per region, the
    number of passages into it that cells on the stack have still to decide (``pending``), so each
    flag is a lookup. A region changes only when a cell joins the tree: the cells around it tell
    whether its neighbours outside the tree still touch one another there; when they do not, one
    breadth-first search per separated side runs in turn with the others until at most one side
    is still growing: the sides that finished are the new regions (each search costs about the
    size of the smaller sides, not of the whole region).
    """
    n_cells = h * w
    n_mazes = open_in.shape[0]
    if mode != 0:
        n_mazes = emb_row.shape[0] if emb_row.shape[0] > 0 else emb.shape[0]
    windowed = window.shape[0] > 0
    conditioned = target.shape[0] > 0
    first_hit = hit.shape[0] > 0 and group_size > 0
    landed = -1  # the last group one of whose walks landed in its hit window
    hidden = w_out.shape[1]
    # This maze's cell embeddings, copied in memory order into a buffer before the walk (which
    # visits the cells in no order a prefetcher can follow); cell ``k``'s channel ``t`` is at
    # ``k * step_cell + t * step_channel``.
    cell_emb = np.zeros(emb.shape[1] if mode != 0 else 1, dtype=np.float64)
    step_cell = 1 if by_channel else hidden
    step_channel = n_cells if by_channel else 1
    visited = np.zeros(n_cells, dtype=np.uint8)
    on_stack = np.zeros(n_cells, dtype=np.uint8)
    cur = np.zeros(n_cells, dtype=np.int64)  # the direction the cell is deciding (or has decided last)
    came = np.zeros(n_cells, dtype=np.int64)  # direction the walk came in by (-1 at the root)
    child = np.zeros(n_cells, dtype=np.uint8)
    stack = np.zeros(n_cells, dtype=np.int64)
    region = np.zeros(n_cells, dtype=np.int64)  # label of a cell outside the tree
    # Passages into each region still to be decided by cells on the stack. A region label is
    # new for every side split off, so there are fewer than 3 per cell.
    pending = np.zeros(3 * n_cells + 1, dtype=np.int64)
    queue = np.zeros((3, n_cells), dtype=np.int64)
    q_head = np.zeros(3, dtype=np.int64)
    q_tail = np.zeros(3, dtype=np.int64)
    mark = np.zeros(n_cells, dtype=np.int64)
    side = np.zeros(4, dtype=np.int64)  # the search of each neighbour (-1 inside the tree)
    ring = np.zeros(8, dtype=np.uint8)
    ring_dr = np.array([-1, -1, 0, 1, 1, 1, 0, -1])  # N, NE, E, SE, S, SW, W, NW
    ring_dc = np.array([0, 1, 1, 1, 0, -1, -1, -1])
    stamp = 0
    loaded = -1  # the embeddings row in ``cell_emb``: walks that share a row copy it once
    for b in range(n_mazes):
        if first_hit and b // group_size == landed:
            goal_depth[b] = -1
            continue
        if mode != 0:
            row = emb_row[b] if emb_row.shape[0] > 0 else b
            if row != loaded:
                for i in range(emb.shape[1]):
                    cell_emb[i] = emb[row, i]
                loaded = row
        goal_depth[b] = 0
        visited[:] = 0
        on_stack[:] = 0
        child[:] = 0
        for e in range(cells.shape[1]):
            cells[b, e] = -1
            codes[b, e] = NOT_DECIDED
            opened[b, e] = 0
        top = 0
        stack[0] = 0
        visited[0] = 1
        on_stack[0] = 1
        cur[0] = -1
        came[0] = -1
        # The cells outside the tree, every cell but the corner cell 0, are one region: count the
        # root's passages into it.
        region[:] = 0
        pending[0] = 0
        labels = 1
        for d2 in range(4):
            y = nbr[0, d2]
            if y >= 0:
                pending[region[y]] += 1
        bounded = windowed and window[b, 1] >= 0
        cut = False  # the walk stopped before its end
        far = 0  # the stack's levels below this one cannot lead to the goal within the window
        while top >= 0:
            v = stack[top]
            if bounded and visited[n_cells - 1] == 0:
                # The goal will be reached from a cell on the stack, through a passage that cell
                # has still to decide, then over cells outside the tree: at a depth of at least
                # that cell's depth, plus one, plus the Manhattan distance from the passage's far
                # cell to the goal. A level's bound only grows while its cell is on the stack (its
                # passages get decided, its neighbours join the tree, regions split), so a level
                # found too far stays too far.
                goal_region = region[n_cells - 1]
                while far <= top:
                    s_cell = stack[far]
                    near = False
                    for d2 in range(cur[s_cell] + 1, 4):
                        y = nbr[s_cell, d2]
                        if y >= 0 and visited[y] == 0 and region[y] == goal_region:
                            ry = y // w
                            if far + 1 + (h - 1 - ry) + (w - 1 - (y - ry * w)) <= window[b, 1]:
                                near = True
                                break
                    if near:
                        break
                    far += 1
                if far > top:  # every way to the goal is too long: stop
                    goal_depth[b] = window[b, 1] + 1
                    cut = True
                    break
            d = cur[v] + 1
            nxt = -1
            while d < 4:
                y = nbr[v, d]
                if y >= 0 and visited[y] == 0:
                    nxt = y
                    break
                d += 1
            if nxt < 0:
                on_stack[v] = 0
                cur[v] = 4
                top -= 1
                far = min(far, top + 1)
                continue
            cur[v] = d
            e = edge_of[v, d]
            own = region[nxt]
            pending[own] -= 1  # this passage is being decided
            # The walk's state at this decision.
            rem = 0
            declined = False
            mine = 0  # this cell's later passages into the neighbour's region
            for d2 in range(4):
                y = nbr[v, d2]
                if y >= 0 and visited[y] == 0:
                    if d2 > d:
                        rem += 1
                        if region[y] == own:
                            mine += 1
                    elif d2 < d:
                        declined = True
            free = 0
            for d2 in range(4):
                y = nbr[nxt, d2]
                if y >= 0 and visited[y] == 0:
                    free += 1
            via_self = mine > 0
            via_stack = pending[own] > mine
            f = 0
            if rem >= 1:
                f |= 1
            if rem >= 2:
                f |= 2
            if free >= 1:
                f |= 4
            if free >= 2:
                f |= 8
            if free >= 3:
                f |= 16
            if via_self:
                f |= 32
            if via_stack:
                f |= 64
            if declined:
                f |= 128
            if came[v] == d:
                f |= 256
            if child[v] == 1:
                f |= 512
            code = d * 1024 + f
            if conditioned:  # the slack bucket (module notes)
                bucket = 1
                if visited[n_cells - 1] == 0 and region[n_cells - 1] == own:
                    rn = nxt // w
                    slack = target[b] - (top + 1) - (h - 1 - rn) - (w - 1 - (nxt - rn * w))
                    bucket = 2
                    if slack >= 0:
                        bucket = 3
                        while bucket - 3 < slack_edges.shape[0] and slack >= slack_edges[bucket - 3]:
                            bucket += 1
                code += 4 * 1024 * bucket
            cells[b, e] = v
            if not via_self and not via_stack:
                codes[b, e] = FORCED_OPEN
                is_open = True
            else:
                codes[b, e] = code
                if mode == 0:
                    is_open = open_in[b, e] != 0
                else:
                    logit = b_out[d] + direct[code]
                    for t in range(hidden):  # without a branch: its sign is a coin flip
                        pre = cell_emb[v * step_cell + t * step_channel] + ctx[code, t]
                        logit += max(pre, 0.0) * w_out[d, t]
                    logits[b, e] = logit
                    if mode == 1:  # noqa: SIM108 -- ``u`` is a 1x1 dummy when greedy
                        is_open = logit <= wall_above
                    else:  # drawn: open with probability sigmoid(-logit) = 1 / (1 + exp(logit))
                        is_open = u[b, e] * (1.0 + math.exp(logit)) < 1.0
            if not is_open:
                continue
            opened[b, e] = 1
            child[v] = 1
            visited[nxt] = 1
            came[nxt] = d
            if nxt == n_cells - 1:
                goal_depth[b] = top + 1
                if bounded and not window[b, 0] <= top + 1 <= window[b, 1]:
                    cut = True
                    break
            # Passages from the stack into the neighbour are no longer passages into its region.
            for d2 in range(4):
                y = nbr[nxt, d2]
                if y >= 0 and on_stack[y] == 1 and (d2 ^ 2) > cur[y]:
                    pending[own] -= 1
            # Does the region fall apart without the neighbour? Its neighbours outside the tree
            # that touch along the ring of eight cells around it are still joined.
            rn = nxt // w
            cn = nxt - rn * w
            for k in range(8):
                r2 = rn + ring_dr[k]
                c2 = cn + ring_dc[k]
                ring[k] = 1 if 0 <= r2 < h and 0 <= c2 < w and visited[r2 * w + c2] == 0 else 0
            start = 0
            while start < 8 and ring[start] == 1:
                start += 1
            sides = 0
            for d2 in range(4):
                side[d2] = -1
            if start == 8:  # every cell around is outside the tree: one side
                sides = 1
            else:
                run = -1
                for i in range(1, 9):
                    k = (start + i) % 8
                    if ring[k] == 0:
                        continue
                    if ring[(k + 7) % 8] == 0:
                        run += 1
                    if k % 2 == 0 and side[k // 2] < 0:  # N, E, S, W: a neighbour; the run is its side
                        side[k // 2] = run
                # Number the sides that hold a neighbour 0, 1, ...
                sides = 0
                seen_a = -1
                seen_b = -1
                seen_c = -1
                for d2 in range(4):
                    s = side[d2]
                    if s < 0:
                        continue
                    if s == seen_a:
                        side[d2] = 0
                    elif s == seen_b:
                        side[d2] = 1
                    elif s == seen_c:
                        side[d2] = 2
                    else:
                        if sides == 0:
                            seen_a = s
                        elif sides == 1:
                            seen_b = s
                        else:
                            seen_c = s
                        side[d2] = sides
                        sides += 1
            if sides >= 2:
                # One search per side, in turn, until at most one side is still growing: the
                # sides that finished are regions of their own. Two sides never meet: between
                # them the ring holds tree cells or the grid's border, and the tree is joined
                # and touches the border at its root (a corner cell), so those cells and the
                # new cell close a loop that keeps the sides apart.
                stamp += 1
                for i in range(sides):
                    q_head[i] = 0
                    q_tail[i] = 0
                for d2 in range(4):
                    s = side[d2]
                    if s >= 0:
                        y = nbr[nxt, d2]
                        mark[y] = stamp
                        queue[s, q_tail[s]] = y
                        q_tail[s] += 1
                while True:
                    growing = 0
                    keep = -1  # the side still growing, if one is
                    for i in range(sides):
                        if q_head[i] < q_tail[i]:
                            growing += 1
                            keep = i
                    if growing <= 1:
                        break
                    for i in range(sides):
                        if q_head[i] == q_tail[i]:
                            continue
                        x = queue[i, q_head[i]]
                        q_head[i] += 1
                        for d2 in range(4):
                            y = nbr[x, d2]
                            if y >= 0 and visited[y] == 0 and mark[y] != stamp:
                                mark[y] = stamp
                                queue[i, q_tail[i]] = y
                                q_tail[i] += 1
                # Every finished side is a region of its own: a new label, and the passages
                # into it move from the old region's count to its own. The side still growing
                # (or, if none is, the first) keeps the old label.
                if keep < 0:
                    keep = 0
                for i in range(sides):
                    if i == keep:
                        continue
                    label = labels
                    labels += 1
                    count = 0
                    for q in range(q_tail[i]):
                        x = queue[i, q]
                        region[x] = label
                        for d2 in range(4):
                            y = nbr[x, d2]
                            if y >= 0 and on_stack[y] == 1 and (d2 ^ 2) > cur[y]:
                                count += 1
                    pending[label] = count
                    pending[own] -= count
            # The neighbour joins the stack with every passage still to decide.
            on_stack[nxt] = 1
            cur[nxt] = -1
            top += 1
            stack[top] = nxt
            for d2 in range(4):
                y = nbr[nxt, d2]
                if y >= 0 and visited[y] == 0:
                    pending[region[y]] += 1
        if first_hit and not cut and hit[b, 0] <= goal_depth[b] <= hit[b, 1]:
            landed = b // group_size


def walk_features(
    open_edges: np.ndarray,
    size: tuple[int, int],
    target: np.ndarray | None = None,
    window: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Teacher-forcing walk over mazes given by their open passages ``open_edges: bool[B, E]``
    (lattice order): ``cells, codes``, each ``int64[B, E]`` (see `_dfs_walk`); with ``target:
    int[B]`` goal depths, the codes carry their slack buckets (module notes). With ``window:
    int64[B, 2]``, walk ``b`` stops where a drawn walk making the same decisions would stop
    (`drawn_walks`), its outputs then half written: what a drawn walk costs with its decisions
    given."""
    h, w = size
    open_edges = np.ascontiguousarray(open_edges, dtype=np.uint8)
    n, e = open_edges.shape
    cells = np.empty((n, e), dtype=np.int64)
    codes = np.empty((n, e), dtype=np.int64)
    opened = np.empty((n, e), dtype=np.uint8)
    z1 = np.zeros((1, 1), dtype=np.float64)
    compile_kernel(_dfs_walk)(
        h,
        w,
        0,
        lattice(h, w).neighbors,
        edge_table(h, w),
        open_edges,
        # Not read when teacher-forced; float32 like the decoding walks' embeddings, so the
        # kernel is compiled once for both.
        np.zeros((1, 1), dtype=np.float32),
        _NO_ROWS,
        False,
        np.zeros((1, 1), dtype=np.float64),
        np.zeros((4, 1), dtype=np.float64),
        np.zeros(4, dtype=np.float64),
        np.zeros(1, dtype=np.float64),
        0.0,
        z1,
        _NO_WINDOW if window is None else np.ascontiguousarray(window, dtype=np.int64),
        cells,
        codes,
        z1,
        opened,
        np.empty(n, dtype=np.int64),
        _NO_TARGET if target is None else np.ascontiguousarray(target, dtype=np.int64),
        SLACK_EDGES,
        _NO_WINDOW,
        0,
    )
    return cells, codes


def walk_features_threaded(walls: np.ndarray, size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """`walk_features` of wall grids ``walls: bool[B, H, W]``, split over torch's threads,
    stored compactly (``int16`` codes; ``int16`` cells up to 32,767 cells, else ``int32``)."""
    open_edges = lattice(*size).passages_from_walls(np.asarray(walls, dtype=bool))
    n = len(open_edges)
    cell_type = np.int16 if size[0] * size[1] <= np.iinfo(np.int16).max else np.int32
    cells = np.empty(open_edges.shape, dtype=cell_type)
    codes = np.empty(open_edges.shape, dtype=np.int16)

    def run(lo: int, hi: int) -> None:
        for i in range(lo, hi, 4096):
            j = min(hi, i + 4096)
            c, k = walk_features(open_edges[i:j], size)
            cells[i:j], codes[i:j] = c, k

    split_rows(run, n)
    return cells, codes


def decode_walk(
    emb: np.ndarray,
    ctx: np.ndarray,
    w_out: np.ndarray,
    b_out: np.ndarray,
    direct: np.ndarray,
    size: tuple[int, int],
    wall_above: float = 0.0,
    u: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Decode ``B`` mazes from per-cell embeddings ``emb: float[B, N, H]``: greedily (a decided
    passage is a wall when its logit is above ``wall_above``) or, given ``u: float64[B, E]``
    uniforms, by sampling each decision. Returns the wall logits ``float64[B, E]`` and the open
    passages ``bool[B, E]``, in lattice order. Greedy: each decision's logit, forced passages
    +-`FIXED_LOGIT`; sampled: +-`FIXED_LOGIT` for every passage, the way it was drawn."""
    codes, logits, opened, _ = _run_walks(emb, (ctx, w_out, b_out, direct), size, wall_above, u, None, None)
    if u is not None:  # a drawn decision is made: its wall logit says which way it went
        return np.where(opened, -FIXED_LOGIT, FIXED_LOGIT), opened
    logits = np.where(codes == NOT_DECIDED, FIXED_LOGIT, np.where(codes == FORCED_OPEN, -FIXED_LOGIT, logits))
    return logits, opened


def drawn_walks(
    emb: np.ndarray,
    tables: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    size: tuple[int, int],
    u: np.ndarray,
    rows: np.ndarray,
    window: np.ndarray,
    target: np.ndarray | None = None,
    hit: np.ndarray | None = None,
    group_size: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Many drawn walks over few mazes' embeddings: walk ``b`` reads ``emb[rows[b]]`` and draws
    its decisions with ``u[b]: float64[E]`` uniforms; a walk that reaches the last cell at a depth
    outside ``window[b]: int64[2]`` stops there, and so does one that can no longer reach it by
    depth ``window[b, 1]`` (``window[b, 1] < 0``: no window; `_dfs_walk`). With ``target:
    int[B]``, walk ``b`` is told to reach the last cell at depth ``target[b]`` (its decisions
    carry their slack buckets: ``tables`` then cover `NUM_BUCKETS` buckets, module notes).
    With ``hit: int64[B, 2]`` and ``group_size`` ``k`` (which divides ``B``), the walks come in
    groups of ``k`` consecutive walks, and a group's walks after the first that reaches the last
    cell at a depth within its ``hit`` range are not drawn (depth -1).
    Returns the open passages ``bool[B, E]`` (meaningful only for walks that did not stop) and
    the depth, in cell steps, at which each walk reached the last cell (``int64[B]``; for a walk
    stopped before it, ``window[b, 1] + 1``; -1 for a walk not drawn)."""
    _, _, opened, depth = _run_walks(emb, tables, size, 0.0, u, rows, window, target, hit, group_size)
    return opened, depth


def _run_walks(
    emb: np.ndarray,
    tables: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    size: tuple[int, int],
    wall_above: float,
    u: np.ndarray | None,
    rows: np.ndarray | None,
    window: np.ndarray | None,
    target: np.ndarray | None = None,
    hit: np.ndarray | None = None,
    group_size: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """`_dfs_walk` in a decoding mode, split over the kernel threads: ``codes, logits, opened,
    goal_depth`` per walk. With ``hit`` (``int64[B, 2]``, and ``group_size`` dividing ``B``), the
    walks of a group are split over the threads together."""
    h, w = size
    if emb.dtype not in (np.float32, np.float64):
        emb = emb.astype(np.float64)
    # The kernel reads the embeddings cell by cell or channel by channel, whichever way they lie
    # in memory (channel by channel from a channel-major convolution).
    by_channel = not emb.flags.c_contiguous and np.swapaxes(emb, 1, 2).flags.c_contiguous
    emb = np.swapaxes(emb, 1, 2) if by_channel else np.ascontiguousarray(emb)
    emb = emb.reshape(len(emb), -1)
    rows = _NO_ROWS if rows is None else np.ascontiguousarray(rows, dtype=np.int64)
    window = _NO_WINDOW if window is None else np.ascontiguousarray(window, dtype=np.int64)
    target = _NO_TARGET if target is None else np.ascontiguousarray(target, dtype=np.int64)
    hit = _NO_WINDOW if hit is None else np.ascontiguousarray(hit, dtype=np.int64)
    group_size = int(group_size) if len(hit) else 0
    n = len(rows) if len(rows) else len(emb)
    e = lattice(h, w).num_edges
    cells = np.empty((n, e), dtype=np.int64)
    codes = np.empty((n, e), dtype=np.int64)
    logits = np.zeros((n, e), dtype=np.float64)
    opened = np.zeros((n, e), dtype=np.uint8)
    depth = np.zeros(n, dtype=np.int64)
    weights = [np.ascontiguousarray(a, dtype=np.float64) for a in tables]
    mode = 1 if u is None else 2
    uu = np.zeros((1, 1), dtype=np.float64) if u is None else np.ascontiguousarray(u, dtype=np.float64)
    no_open = np.zeros((1, 1), dtype=np.uint8)
    kernel = compile_kernel(_dfs_walk)
    table = edge_table(h, w)
    nbr = lattice(h, w).neighbors

    def run(lo: int, hi: int) -> None:
        # A slice of the walks; with ``rows`` every slice reads the whole embedding array.
        kernel(
            h,
            w,
            mode,
            nbr,
            table,
            no_open,
            emb if len(rows) else emb[lo:hi],
            rows[lo:hi],
            by_channel,
            *weights,
            float(wall_above),
            uu[lo:hi] if u is not None else uu,
            window[lo:hi] if len(window) else window,
            cells[lo:hi],
            codes[lo:hi],
            logits[lo:hi],
            opened[lo:hi],
            depth[lo:hi],
            target[lo:hi] if len(target) else target,
            SLACK_EDGES,
            hit[lo:hi] if len(hit) else hit,
            group_size,
        )

    if group_size:  # a group's walks after its first hit are skipped: a group is split as one
        k = group_size
        split_rows(lambda lo, hi: run(lo * k, hi * k), n // k, min_rows=max(2, -(-32 // k)), parts=4)
    elif len(rows):  # drawn walks over shared embeddings: each costs a walk, and some stop early
        split_rows(run, n, min_rows=32, parts=4)
    else:
        split_rows(run, n)
    return codes, logits, opened.astype(bool), depth


def table_logits(
    emb: Tensor, cells: Tensor, codes: Tensor, context: nn.Embedding, direct: nn.Embedding, out: nn.Linear
) -> Tensor:
    """Passage wall logits ``[B, E]`` of the walk ``cells, codes`` (int64 ``[B, E]``; codes with
    or without slack buckets) over per-cell embeddings ``emb: [B, N, H]``, from decision tables
    ``context`` (``[rows, H]``), ``direct`` (``[rows, 1]``) and ``out`` (``H -> 4``, one per
    direction): ``b[d] + w[d] . relu(e[cell] + C[code]) + D[code]`` for a decision, +-`FIXED_LOGIT`
    for a passage that is not one."""
    decided = codes >= 0
    code = codes.clamp(min=0)
    kind = (code // NUM_CODES) % 4
    e = torch.gather(emb, 1, cells.clamp(min=0)[..., None].expand(-1, -1, emb.shape[-1]))
    hidden = F.relu(e + context(code))
    logits = (hidden * out.weight[kind]).sum(-1) + out.bias[kind] + direct(code)[..., 0]
    fixed = torch.where(codes == FORCED_OPEN, -FIXED_LOGIT, FIXED_LOGIT).to(logits.dtype)
    return torch.where(decided, logits, fixed)


def numpy_tables(
    owner: nn.Module, context: nn.Embedding, direct: nn.Embedding, out: nn.Linear, temperature: float = 1.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Decision tables in float64 for the compiled walk: context ``[rows, H]``, output weights
    ``[4, H]`` and biases ``[4]``, direct logits ``[rows]``; with ``temperature``, the last three
    divided by it, so that every decision's logit is divided by it. Kept on ``owner`` until a
    parameter changes (torch counts every in-place write in a tensor's version), so decoding one
    maze at a time does not convert them per call."""
    params = (context.weight, out.weight, out.bias, direct.weight)
    key = (tuple((id(p), p.data_ptr(), p._version) for p in params), temperature)
    cached = owner.__dict__.get("_walk_tables")
    if cached is None or cached[0] != key:
        ctx, w_out, b_out, d = (p.detach().double().cpu().numpy() for p in params)
        if temperature != 1.0:
            w_out, b_out, d = w_out / temperature, b_out / temperature, d / temperature
        cached = owner._walk_tables = (key, (ctx, w_out, b_out, d[:, 0]))
    return cached[1]


class DFSDecoder(PassageDecoder):
    """Code ``float[B, latent]`` -> wall logits ``float[B, H, W]``, by the depth-first walk.

    The code is mapped once to an ``ar_hidden``-vector per cell: by convolutions over the code's
    ``latent_dim / N``-channel map for a spatial code (``arch="spatial"``), else by an MLP of
    ``depth`` hidden layers; a learned per-cell offset tells the cells apart. Each decision's
    wall logit is ``b[d] + w[d] . relu(e[cell] + C[d, f]) + D[d, f]`` (see the module notes).
    `teacher` gives the teacher-forced logits of training mazes; `forward` decodes, greedily or
    with given uniforms.
    """

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        h, w = cfg.size
        self.size = (h, w)
        self.units = cfg.ar_hidden
        self.spatial = cfg.arch == "spatial"
        if self.spatial:
            c_in = cfg.latent_dim // (h * w)
            layers: list[nn.Module] = []
            for i in range(cfg.depth):
                layers += [nn.Conv2d(c_in if i == 0 else cfg.channels, cfg.channels, 3, padding=1), nn.GELU()]
            layers.append(nn.Conv2d(cfg.channels if cfg.depth else c_in, cfg.ar_hidden, 1))
            self.embed: nn.Module = nn.Sequential(*layers)
        else:
            self.embed = mlp([cfg.latent_dim] + [cfg.hidden] * cfg.depth + [h * w * cfg.ar_hidden])
        self.memory_format = torch.contiguous_format
        self.position = nn.Parameter(torch.zeros(h * w, cfg.ar_hidden))
        self.context = nn.Embedding(4 * NUM_CODES, cfg.ar_hidden)
        self.direct = nn.Embedding(4 * NUM_CODES, 1)
        self.out = nn.Linear(cfg.ar_hidden, 4)
        # Small context vectors, direct logits at 0: their scale when `init_parameters` draws them.
        self.context.init_std, self.direct.init_std = 0.1, 0.0
        with torch.no_grad():
            self.context.weight.normal_(0.0, self.context.init_std)
            self.direct.weight.zero_()
        self.init_grid(cfg)

    def channels_last(self) -> None:
        """Lay the code map and the embedding convolutions out channels-last, for decoding in
        float32: oneDNN runs those convolutions faster so (the embeddings agree to float32
        rounding). Only the spatial code has maps to lay out."""
        if self.spatial:
            self.embed.to(memory_format=torch.channels_last)
            self.memory_format = torch.channels_last

    def embeddings(self, z: Tensor) -> Tensor:
        """Per-cell embeddings ``float[B, N, ar_hidden]`` of codes ``z: float[B, latent]``."""
        h, w = self.size
        if self.spatial:
            maps = z.view(len(z), -1, h, w).contiguous(memory_format=self.memory_format)
            emb = self.embed(maps).flatten(2).transpose(1, 2)
        else:
            emb = self.embed(z).view(len(z), h * w, self.units)
        return emb + self.position

    def walk(self, walls: Tensor) -> tuple[np.ndarray, np.ndarray]:
        """The teacher-forced walk of wall grids ``walls: float[B, H, W]``: ``cells, codes``."""
        open_edges = (walls.flatten(1)[:, self.flat_index] < 0.5).cpu().numpy()
        return walk_features(open_edges, self.size)

    def decision_logits(self, emb: Tensor, cells: Tensor, codes: Tensor) -> Tensor:
        """Passage wall logits ``[B, E]`` of the walk ``cells, codes`` (int64 ``[B, E]``)."""
        return table_logits(emb, cells, codes, self.context, self.direct, self.out)

    def teacher(self, z: Tensor, walls: Tensor, walk: tuple[np.ndarray, np.ndarray] | None = None) -> Tensor:
        """Teacher-forced logits: every decision of ``walls``' own walk, at once."""
        cells, codes = self.walk(walls) if walk is None else walk
        cells_t = torch.from_numpy(np.asarray(cells, dtype=np.int64)).to(z.device)
        codes_t = torch.from_numpy(np.asarray(codes, dtype=np.int64)).to(z.device)
        return self.to_grid(self.decision_logits(self.embeddings(z), cells_t, codes_t))

    def walk_tables(self, temperature: float = 1.0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The walk's weights in float64: context ``[4 * NUM_CODES, H]``, output weights ``[4, H]``
        and biases ``[4]``, direct logits ``[4 * NUM_CODES]``; with ``temperature``, the last
        three divided by it, so that every decision's logit is divided by it. Converted once and
        kept until a parameter changes (torch counts every in-place write in a tensor's
        version), so decoding one maze at a time does not convert them per call."""
        return numpy_tables(self, self.context, self.direct, self.out, temperature)

    @torch.no_grad()
    def decode_grid(
        self, z: Tensor, threshold: float = 0.5, u: np.ndarray | None = None, temperature: float = 1.0
    ) -> np.ndarray:
        """`forward`'s wall logits as a ``float32[B, H, W]`` numpy grid, the same values: the walk's
        logits written into the wall template directly (`grid_array`)."""
        if not 0.0 < threshold < 1.0:
            raise ValueError(f"threshold must be a probability in (0, 1), got {threshold!r}")
        emb = self.embeddings(z).cpu().numpy()
        tables = self.walk_tables(temperature if u is not None else 1.0)
        logits, _ = decode_walk(
            emb, *tables, self.size, wall_above=math.log(threshold) - math.log1p(-threshold), u=u
        )
        return self.grid_array(logits)

    @torch.no_grad()
    def forward(
        self, z: Tensor, threshold: float = 0.5, u: np.ndarray | None = None, temperature: float = 1.0
    ) -> Tensor:
        """Decode: greedily (each decision a wall when its probability exceeds ``threshold``) or,
        given uniforms ``u: float[B, E]``, by sampling every decision, each at its wall logit
        divided by ``temperature``."""
        if not 0.0 < threshold < 1.0:
            raise ValueError(f"threshold must be a probability in (0, 1), got {threshold!r}")
        emb = self.embeddings(z).cpu().numpy()
        logits, _ = decode_walk(
            emb,
            *self.walk_tables(temperature if u is not None else 1.0),
            self.size,
            wall_above=math.log(threshold) - math.log1p(-threshold),
            u=u,
        )
        return self.to_grid(torch.from_numpy(logits).to(device=z.device, dtype=z.dtype))
