"""The depth-first walk as first written: each decision's region flags found by flooding the
region outside the tree from the neighbour. The compiled walk in `generators.dfs_decoder` keeps
the regions labelled instead; the tests check that both give the same walk, decision by decision.
"""

from __future__ import annotations

import math

import numpy as np

from generators.dfs_decoder import FORCED_OPEN, NOT_DECIDED


def flood_walk(
    h: int,
    w: int,
    mode: int,
    nbr: np.ndarray,
    edge_of: np.ndarray,
    open_in: np.ndarray,
    emb: np.ndarray,
    ctx: np.ndarray,
    w_out: np.ndarray,
    b_out: np.ndarray,
    direct: np.ndarray,
    wall_above: float,
    u: np.ndarray,
    cells: np.ndarray,
    codes: np.ndarray,
    logits: np.ndarray,
    opened: np.ndarray,
) -> None:
    """Walk ``B`` mazes depth-first from cell 0.

    ``mode`` 0 (teacher): passage ``e`` of maze ``b`` is open when ``open_in[b, e]``. Mode 1
    (greedy): a decided passage is open when its logit is at most ``wall_above``. Mode 2 (sampled):
    open when ``u[b, e] < sigmoid(-logit)``. The logit of the decision from cell ``k`` in direction
    ``d`` with feature bits ``f`` is ``b_out[d] + w_out[d] . relu(emb[b, k] + ctx[d * 1024 + f]) +
    direct[d * 1024 + f]``.

    Outputs per passage: ``cells[b, e]`` the cell that decided it (-1 if none), ``codes[b, e]``
    ``d * 1024 + f`` for a decision, `NOT_DECIDED` or `FORCED_OPEN` otherwise; in the decoding
    modes ``logits[b, e]`` (decisions only; the caller fills the others) and always
    ``opened[b, e]``.
    """
    n_cells = h * w
    n_mazes = open_in.shape[0] if mode == 0 else emb.shape[0]
    hidden = w_out.shape[1]
    visited = np.zeros(n_cells, dtype=np.uint8)
    on_stack = np.zeros(n_cells, dtype=np.uint8)
    cur = np.zeros(n_cells, dtype=np.int64)  # the direction the cell is deciding (or has decided last)
    came = np.zeros(n_cells, dtype=np.int64)  # direction the walk came in by (-1 at the root)
    child = np.zeros(n_cells, dtype=np.uint8)
    stack = np.zeros(n_cells, dtype=np.int64)
    queue = np.zeros(n_cells, dtype=np.int64)
    mark = np.zeros(n_cells, dtype=np.int64)
    stamp = 0
    for b in range(n_mazes):
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
        while top >= 0:
            v = stack[top]
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
                continue
            cur[v] = d
            e = edge_of[v, d]
            # The walk's state at this decision.
            rem = 0
            declined = False
            for d2 in range(4):
                y = nbr[v, d2]
                if y >= 0 and visited[y] == 0:
                    if d2 > d:
                        rem += 1
                    elif d2 < d:
                        declined = True
            free = 0
            for d2 in range(4):
                y = nbr[nxt, d2]
                if y >= 0 and visited[y] == 0:
                    free += 1
            # The neighbour's region outside the tree: which undecided passages reach it.
            via_self = False
            via_stack = False
            # The flood stops once every flag that can still turn true has: with no later
            # direction left to this cell, ``via_self`` cannot.
            self_known = rem == 0
            stamp += 1
            mark[nxt] = stamp
            queue[0] = nxt
            qh = 0
            qt = 1
            while qh < qt and not ((via_self or self_known) and via_stack):
                x = queue[qh]
                qh += 1
                for d2 in range(4):
                    y = nbr[x, d2]
                    if y < 0:
                        continue
                    if visited[y] == 0:
                        if mark[y] != stamp:
                            mark[y] = stamp
                            queue[qt] = y
                            qt += 1
                    elif on_stack[y] == 1:
                        back = d2 ^ 2  # the direction from y to x
                        if y == v:
                            if back > d:
                                via_self = True
                        elif back > cur[y]:
                            via_stack = True
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
                    for t in range(hidden):
                        pre = emb[b, v, t] + ctx[code, t]
                        if pre > 0.0:
                            logit += pre * w_out[d, t]
                    logits[b, e] = logit
                    if mode == 1:  # noqa: SIM108 -- ``u`` is a 1x1 dummy when greedy
                        is_open = logit <= wall_above
                    else:  # drawn: open with probability sigmoid(-logit) = 1 / (1 + exp(logit))
                        is_open = u[b, e] * (1.0 + math.exp(logit)) < 1.0
            if is_open:
                opened[b, e] = 1
                child[v] = 1
                visited[nxt] = 1
                on_stack[nxt] = 1
                cur[nxt] = -1
                came[nxt] = d
                top += 1
                stack[top] = nxt
