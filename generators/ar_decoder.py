"""The autoregressive (``decoder="ar"``) maze decoder: `ARDecoder` and the frontier walk it runs.

The ``ar`` decoder decides a maze's passages one at a time, in raster order: for each cell
``(r, c)``, row by row, first the passage to its right neighbour, then the one to the cell below.
Each decision is a wall logit computed from two things:

- the latent code, through a per-cell embedding (`ARDecoder.embed`);
- ten context features of the decisions already made, computed here, which tell the network
  what a perfect maze needs at this point. The walk keeps the connectivity of the cells decided
  so far on the frontier (one label per connected component, the classic row-by-row
  transfer-matrix state), so it can say:

  ``[is_right, is_down, up_open, left_open, right_open, right_has_up, loop, strand, in_start,
  right_in_start]``

  ``up_open`` / ``left_open``: the cell's passages up and left are open; ``right_open``: (down
  decisions) its passage right was just opened; ``right_has_up``: (right decisions) the cell to
  the right is already joined from above; ``loop``: opening this passage would close a cycle (the
  cell to the right already belongs to this cell's component); ``strand``: closing it would cut
  this cell's component off from the rest of the maze for good (no other way down or right is
  left for it); ``in_start`` / ``right_in_start``: this cell / the cell to the right is already
  joined to the start cell.

The network still decides every passage itself -- nothing is masked or forced -- so a raw
decoded maze can have loops or cut-off parts; what the features do is make the tree constraint
*visible* to a decoder that only sees local context, in the spirit of grammar- and
junction-tree VAEs that give the decoder the structure of valid outputs.

Training uses teacher forcing: the features of a training maze are computed from its own
passages (`frontier_features`), and every decision's logit is computed in parallel. Decoding is
greedy and sequential (`greedy_decode`): each logit is thresholded (wall if its probability is
above ``threshold``, exactly the clipping of the other decoders) and the decision feeds the
features of the next. One compiled walk does both, so the features are the same in training and
in decoding. Cost: ``O(E * w)`` per maze with a tiny per-decision network (``K x H`` plus ``H``
multiply-adds), about 30 us per 14x14 maze on one core.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import torch
from numba.extending import register_jitable
from torch import Tensor, nn
from torch.nn import functional as F

from generators._jit import compile_kernel, split_rows
from generators.lattice import lattice
from generators.models import ModelConfig, PassageDecoder, mlp

NUM_FEATURES = 10
FEATURE_NAMES = (
    "is_right",
    "is_down",
    "up_open",
    "left_open",
    "right_open",
    "right_has_up",
    "loop",
    "strand",
    "in_start",
    "right_in_start",
)


@lru_cache(maxsize=64)
def decision_order(h: int, w: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The decoder's decision order for ``h x w`` cells: ``cell[j]``, ``kind[j]`` (0 right,
    1 down) and ``edge[j]``, the lattice passage index of decision ``j`` (`generators.lattice`)."""
    lat = lattice(h, w)
    cells, kinds, edges = [], [], []
    for k in range(h * w):
        r, c = divmod(k, w)
        if c < w - 1:
            cells.append(k), kinds.append(0), edges.append(r * (w - 1) + c)
        if r < h - 1:
            cells.append(k), kinds.append(1), edges.append(h * (w - 1) + r * w + c)
    out = tuple(np.array(a, dtype=np.int64) for a in (cells, kinds, edges))
    assert len(out[0]) == lat.num_edges
    for a in out:
        a.setflags(write=False)
    return out  # type: ignore[return-value]


@register_jitable
def _merge(above: np.ndarray, below: np.ndarray, old: int, new: int, start: int) -> int:
    """Relabel component ``old`` as ``new`` on the frontier; the start's label afterwards."""
    for i in range(len(above)):
        if above[i] == old:
            above[i] = new
        if below[i] == old:
            below[i] = new
    return new if start == old else start


def _walk(
    h: int,
    w: int,
    teacher: bool,
    open_in: np.ndarray,
    emb: np.ndarray,
    w_ctx: np.ndarray,
    w_out: np.ndarray,
    b_out: np.ndarray,
    w_direct: np.ndarray,
    wall_above: float,
    feats: np.ndarray,
    logits: np.ndarray,
    opened: np.ndarray,
) -> None:
    """Walk the decisions of ``B`` mazes in raster order.

    Teacher mode (``teacher=True``): decision ``j`` of maze ``b`` is ``open_in[b, j]``; the
    features before it are written to ``feats[b, j]``. Greedy mode: the decision is
    ``logit <= wall_above`` with ``logit = b_out[kind] + w_out[kind] . relu(emb[b, cell] +
    features @ w_ctx) + w_direct[kind] . features``, written to ``logits[b, j]``; every decision
    goes to ``opened[b, j]``.
    """
    n_mazes = open_in.shape[0] if teacher else emb.shape[0]
    hidden = w_ctx.shape[1]
    # The features are 8 bits: each pattern's context input and direct logit, tabulated once.
    ctx_table = np.zeros((1 << NUM_FEATURES, hidden), dtype=np.float64)
    direct_table = np.zeros((2, 1 << NUM_FEATURES), dtype=np.float64)
    if not teacher:
        for code in range(1 << NUM_FEATURES):
            for i in range(NUM_FEATURES):
                if code >> i & 1:
                    for t in range(hidden):
                        ctx_table[code, t] += w_ctx[i, t]
                    direct_table[0, code] += w_direct[0, i]
                    direct_table[1, code] += w_direct[1, i]
    above = np.empty(w, dtype=np.int64)  # label of cell (r-1, c) if its passage down is open, else -1
    below = np.empty(w, dtype=np.int64)  # the same for row r, filled as the row is decided
    for b in range(n_mazes):
        above[:] = -1
        start = 0  # the label of the start cell's component (cell 0 is labelled 0)
        j = 0
        for r in range(h):
            below[:] = -1
            left_open = False
            cur = -1
            for c in range(w):
                k = r * w + c
                up = above[c]
                if left_open:  # joined to the left; merge the component above into it
                    if up >= 0 and up != cur:
                        start = _merge(above, below, up, cur, start)
                else:
                    cur = up if up >= 0 else k
                right_open = False
                for kind in range(2):
                    if kind == 0 and c == w - 1:
                        continue
                    if kind == 1 and r == h - 1:
                        continue
                    loop = False
                    strand = False
                    right_up = False
                    if kind == 0:
                        right_up = above[c + 1] >= 0
                        loop = right_up and above[c + 1] == cur
                        if r == h - 1:  # last row: the only way right is this passage
                            strand = True
                            for i in range(c + 1, w):
                                if above[i] == cur:
                                    strand = False
                    else:
                        strand = not right_open
                        for i in range(c + 1, w):
                            if above[i] == cur:
                                strand = False
                        for i in range(c):
                            if below[i] == cur:
                                strand = False
                    code = (
                        (1 if kind == 0 else 2)
                        | (4 if up >= 0 else 0)
                        | (8 if left_open else 0)
                        | (16 if right_open else 0)
                        | (32 if right_up else 0)
                        | (64 if loop else 0)
                        | (128 if strand else 0)
                        | (256 if cur == start else 0)
                        | (512 if kind == 0 and right_up and above[c + 1] == start else 0)
                    )
                    if teacher:
                        for i in range(NUM_FEATURES):
                            feats[b, j, i] = code >> i & 1
                        is_open = open_in[b, j] != 0
                    else:
                        logit = b_out[kind] + direct_table[kind, code]
                        for t in range(hidden):
                            pre = emb[b, k, t] + ctx_table[code, t]
                            if pre > 0.0:
                                logit += pre * w_out[kind, t]
                        logits[b, j] = logit
                        is_open = logit <= wall_above
                    opened[b, j] = is_open
                    if is_open:
                        if kind == 0:
                            right_open = True
                            nb = above[c + 1]
                            if nb >= 0 and nb != cur:
                                start = _merge(above, below, nb, cur, start)
                        else:
                            below[c] = cur
                    j += 1
                left_open = right_open
            above[:] = below


def frontier_features(open_dec: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Teacher-forcing features ``float32[B, E, NUM_FEATURES]`` of mazes whose decisions (``open_dec:
    bool[B, E]``, in `decision_order`) are given."""
    h, w = size
    open_dec = np.ascontiguousarray(open_dec, dtype=np.uint8)
    n, e = open_dec.shape
    feats = np.zeros((n, e, NUM_FEATURES), dtype=np.float32)
    opened = np.zeros((n, e), dtype=np.uint8)
    dummy2 = np.zeros((1, 1), dtype=np.float64)
    compile_kernel(_walk)(
        h,
        w,
        True,
        open_dec,
        np.zeros((1, 1, 1), dtype=np.float64),
        np.zeros((NUM_FEATURES, 1), dtype=np.float64),
        dummy2.reshape(1, 1).repeat(2, axis=0),
        np.zeros(2, dtype=np.float64),
        np.zeros((2, NUM_FEATURES), dtype=np.float64),
        0.0,
        feats,
        dummy2,
        opened,
    )
    return feats


def greedy_decode(
    emb: np.ndarray,
    w_ctx: np.ndarray,
    w_out: np.ndarray,
    b_out: np.ndarray,
    w_direct: np.ndarray,
    size: tuple[int, int],
    wall_above: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Decode ``B`` mazes greedily: per-cell embeddings ``emb: float64[B, N, H]``, the context
    weights ``w_ctx: [NUM_FEATURES, H]``, output weights ``w_out: [2, H]``, biases ``b_out: [2]`` and the
    direct feature weights ``w_direct: [2, NUM_FEATURES]``.

    A passage is a wall when its logit is above ``wall_above`` (the threshold's logit). Returns
    the wall logits ``float64[B, E]`` and the open passages ``bool[B, E]``, in `decision_order`.
    """
    h, w = size
    emb = np.ascontiguousarray(emb, dtype=np.float64)
    n = len(emb)
    e = len(decision_order(h, w)[0])
    logits = np.zeros((n, e), dtype=np.float64)
    opened = np.zeros((n, e), dtype=np.uint8)
    weights = [np.ascontiguousarray(a, dtype=np.float64) for a in (w_ctx, w_out, b_out, w_direct)]
    no_open, no_feats = np.zeros((1, 1), dtype=np.uint8), np.zeros((1, 1, NUM_FEATURES), dtype=np.float32)
    kernel = compile_kernel(_walk)

    def run(lo: int, hi: int) -> None:
        kernel(
            h,
            w,
            False,
            no_open,
            emb[lo:hi],
            *weights,
            float(wall_above),
            no_feats,
            logits[lo:hi],
            opened[lo:hi],
        )

    # Mazes are independent and the compiled walk releases the GIL.
    split_rows(run, n)
    return logits, opened.astype(bool)


class ARDecoder(PassageDecoder):
    """Code ``float[B, latent]`` -> wall logits ``float[B, H, W]``, one passage at a time.

    The code is mapped once to an ``ar_hidden``-vector per cell (an MLP of ``depth`` hidden
    layers); then, in raster order (`decision_order`), each passage's wall logit is
    ``b[kind] + w[kind] . relu(embedding[cell] + C @ features) + d[kind] . features``, with
    ``kind`` right or down and ``features`` the ten frontier features of the passages already
    decided (loops, cut-off components, open neighbours, joined to the start).
    Training is teacher-forced
    (`teacher`: features from the training maze, every logit at once); `forward` decodes
    greedily, each passage clipped at ``threshold`` before the next is decided.
    """

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        h, w = cfg.size
        self.size = (h, w)
        self.units = cfg.ar_hidden
        self.embed = mlp([cfg.latent_dim] + [cfg.hidden] * cfg.depth + [h * w * cfg.ar_hidden])
        self.context = nn.Linear(NUM_FEATURES, cfg.ar_hidden, bias=False)
        self.out = nn.Linear(cfg.ar_hidden, 2)
        self.direct = nn.Linear(NUM_FEATURES, 2, bias=False)  # features straight to each kind's logit
        cell, kind, edge = decision_order(h, w)
        self.register_buffer("dec_cell", torch.from_numpy(cell.copy()), persistent=False)
        self.register_buffer("dec_kind", torch.from_numpy(kind.copy()), persistent=False)
        self.register_buffer("dec_edge", torch.from_numpy(edge.copy()), persistent=False)
        self.register_buffer("edge_to_dec", torch.from_numpy(edge.argsort()), persistent=False)
        self.init_grid(cfg)

    def _grid(self, decision_logits: Tensor) -> Tensor:
        """Logits in decision order ``[B, E]`` -> full-grid wall logits ``[B, H, W]``."""
        return self.to_grid(decision_logits[:, self.edge_to_dec])

    def teacher(self, z: Tensor, walls: Tensor) -> Tensor:
        """Teacher-forced logits: every decision conditioned on ``walls``' own earlier passages."""
        open_edges = walls.flatten(1)[:, self.flat_index] < 0.5
        open_dec = open_edges[:, self.dec_edge].cpu().numpy()
        feats = torch.from_numpy(frontier_features(open_dec, self.size)).to(device=z.device, dtype=z.dtype)
        emb = self.embed(z).view(len(z), -1, self.units)
        hidden = F.relu(emb[:, self.dec_cell] + self.context(feats))
        logits = (hidden * self.out.weight[self.dec_kind]).sum(-1) + self.out.bias[self.dec_kind]
        logits = logits + (feats * self.direct.weight[self.dec_kind]).sum(-1)
        return self._grid(logits)

    @torch.no_grad()
    def forward(self, z: Tensor, threshold: float = 0.5) -> Tensor:
        """Greedy decoding: each passage is a wall when its probability exceeds ``threshold``."""
        if not 0.0 < threshold < 1.0:
            raise ValueError(f"threshold must be a probability in (0, 1), got {threshold!r}")
        emb = self.embed(z).view(len(z), -1, self.units).double().cpu().numpy()
        logits, _ = greedy_decode(
            emb,
            self.context.weight.detach().double().cpu().numpy().T,
            self.out.weight.detach().double().cpu().numpy(),
            self.out.bias.detach().double().cpu().numpy(),
            self.direct.weight.detach().double().cpu().numpy(),
            self.size,
            wall_above=math.log(threshold) - math.log1p(-threshold),
        )
        return self._grid(torch.from_numpy(logits).to(device=z.device, dtype=z.dtype))
