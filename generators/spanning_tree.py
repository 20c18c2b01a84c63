"""Maximum-weight spanning trees of the cell lattice, for whole batches at once.

`maximum_spanning_tree` returns, for every row of a ``float[B, E]`` weight table, the tree that
Kruskal's algorithm builds when it takes the edges in descending weight with a *stable* sort (equal
weights: lower edge index first). Under that strict order (weight descending, then index
ascending) the maximum spanning tree is unique.

The rows are independent and go to a compiled kernel (`_kruskal_rows`, numba), split over the
kernel threads: per row, a stable radix sort of the edges by descending weight, then union-find
with path halving (a component's root its lowest cell), stopped once ``N - 1`` edges are in. Cost:
O(E) per row (up to eight passes of a byte), no memory beyond one row's order. Until 0.8.1 this was
Borůvka's algorithm in numpy array operations over the whole batch; both build the unique tree
above, so the mazes are the same (tested against textbook Kruskal), and the compiled rows take less
time, most of all for one maze, where Borůvka paid numpy's per-call cost in every round.

The learned generators' repair pass calls this with decoder log-odds as weights, so any finite
or infinite float is accepted (compared as float64; -0.0 and 0.0 are equal); NaN is rejected
because it has no place in the order.
"""

from __future__ import annotations

import numpy as np

from generators._jit import compile_kernel, split_rows
from generators.lattice import Lattice


def _kruskal_rows(weights: np.ndarray, edges: np.ndarray, n_cells: int, open_edges: np.ndarray) -> None:
    """Open in ``open_edges: bool[B, E]`` (all False on entry) each row's maximum spanning tree of
    ``weights: float64[B, E]`` (no NaN), edge ``e`` joining cells ``edges[e, 0]`` and
    ``edges[e, 1]`` (`Lattice.edges`).

    Each row's edges are put in order of descending weight by a stable radix sort: the key
    ``0.0 - w`` (``-w``, with -0.0 and 0.0 one key) as a 64-bit pattern that orders like the
    float (sign bit set: all bits flipped; else the sign bit set), sorted a byte at a time from
    the lowest, skipping a byte every key shares. Stable passes keep tied edges in index order.
    """
    batch, n_edges = weights.shape
    parent = np.empty(n_cells, dtype=np.int64)
    bits = np.empty(n_edges, dtype=np.uint64)
    bits_to = np.empty(n_edges, dtype=np.uint64)
    order = np.empty(n_edges, dtype=np.int64)
    order_to = np.empty(n_edges, dtype=np.int64)
    count = np.empty(256, dtype=np.int64)
    sign = np.uint64(1) << np.uint64(63)
    for b in range(batch):
        for e in range(n_edges):
            u = np.float64(0.0 - weights[b, e]).view(np.uint64)
            bits[e] = ~u if u & sign else u | sign
            order[e] = e
        keys, ranked, keys_to, ranked_to = bits, order, bits_to, order_to
        for byte in range(8):
            shift = np.uint64(8 * byte)
            count[:] = 0
            for i in range(n_edges):
                count[(keys[i] >> shift) & np.uint64(255)] += 1
            if count[(keys[0] >> shift) & np.uint64(255)] == n_edges:
                continue  # every key has this byte: the pass would keep the order as it is
            total = 0
            for d in range(256):
                total, count[d] = total + count[d], total
            for i in range(n_edges):
                d = (keys[i] >> shift) & np.uint64(255)
                keys_to[count[d]] = keys[i]
                ranked_to[count[d]] = ranked[i]
                count[d] += 1
            keys, keys_to = keys_to, keys
            ranked, ranked_to = ranked_to, ranked
        for c in range(n_cells):
            parent[c] = c
        joined = 0
        for i in range(n_edges):
            e = ranked[i]
            a = edges[e, 0]
            while parent[a] != a:
                parent[a] = parent[parent[a]]
                a = parent[a]
            c = edges[e, 1]
            while parent[c] != c:
                parent[c] = parent[parent[c]]
                c = parent[c]
            if a != c:
                parent[max(a, c)] = min(a, c)
                open_edges[b, e] = True
                joined += 1
                if joined == n_cells - 1:
                    break


def maximum_spanning_tree(lat: Lattice, weights: np.ndarray) -> np.ndarray:
    """The maximum-weight spanning tree of the ``h x w`` cell lattice, for each row of weights.

    Args:
        lat: the lattice whose edges the weights refer to (`generators.lattice.lattice`).
        weights: ``float[B, E]``, one weight per lattice edge (``E = lat.num_edges``). Any real
            values, including infinities; ties go to the lower edge index.

    Returns:
        ``open_edges: bool[B, E]``, exactly ``N - 1`` edges open per row, forming a spanning tree;
        identical to Kruskal's algorithm over a stable descending sort of each row.
    """
    weights = np.asarray(weights)
    if weights.ndim != 2 or weights.shape[1] != lat.num_edges:
        raise ValueError(
            f"weights must be float[B, {lat.num_edges}] for a {lat.h}x{lat.w}-cell lattice, "
            f"got {weights.dtype} of shape {weights.shape}"
        )
    if not np.issubdtype(weights.dtype, np.floating):
        if not (np.issubdtype(weights.dtype, np.integer) or weights.dtype == np.bool_):
            raise ValueError(f"weights must be real numbers, got dtype {weights.dtype}")
        weights = weights.astype(np.float64)
    if np.isnan(weights).any():
        raise ValueError("weights contain NaN; every edge weight must be a real number or +-inf")
    weights = np.ascontiguousarray(weights, dtype=np.float64)
    open_edges = np.zeros(weights.shape, dtype=bool)
    kernel = compile_kernel(_kruskal_rows)

    def run(lo: int, hi: int) -> None:
        kernel(weights[lo:hi], lat.edges, lat.num_cells, open_edges[lo:hi])

    split_rows(run, len(weights), min_rows=64)
    return open_edges
