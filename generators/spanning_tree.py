"""Maximum-weight spanning trees of the cell lattice, for whole batches at once.

`maximum_spanning_tree` returns, for every row of a ``float[B, E]`` weight table, the tree that
Kruskal's algorithm builds when it takes the edges in descending weight with a *stable* sort (equal
weights: lower edge index first). Under that strict order (weight descending, then index
ascending) the maximum spanning tree is unique.

The rows are independent and go to a compiled kernel (`_kruskal_rows`, numba), split over the
kernel threads: per row, a stable sort of the edges by descending weight, then union-find with
path halving (a component's root its lowest cell), stopped once ``N - 1`` edges are in. Cost:
O(E log E) per row, no memory beyond one row's order. Until 0.8.1 this was Borůvka's algorithm
in numpy array operations over the whole batch; both build the unique tree above, so the mazes
are the same (tested against textbook Kruskal), and the compiled rows take less time, most of all
for one maze, where Borůvka paid numpy's per-call cost in every round.

The learned generators' repair pass calls this with decoder log-odds as weights, so any finite
or infinite float is accepted (compared as float64; -0.0 and 0.0 are equal); NaN is rejected
because it has no place in the order.
"""

from __future__ import annotations

import numpy as np

from generators._jit import compile_kernel, split_rows
from generators.lattice import Lattice


def _kruskal_rows(
    weights: np.ndarray, ends_a: np.ndarray, ends_b: np.ndarray, n_cells: int, open_edges: np.ndarray
) -> None:
    """Open in ``open_edges: bool[B, E]`` (all False on entry) each row's maximum spanning tree of
    ``weights: float64[B, E]``, the edges' cells being ``ends_a``, ``ends_b`` (``int64[E]``)."""
    batch, n_edges = weights.shape
    parent = np.empty(n_cells, dtype=np.int64)
    key = np.empty(n_edges, dtype=np.float64)
    for b in range(batch):
        for e in range(n_edges):
            key[e] = -(weights[b, e] + 0.0)  # + 0.0 turns -0.0 into 0.0, which the order calls equal
        order = np.argsort(key, kind="mergesort")  # stable: ties keep the lower edge index first
        for c in range(n_cells):
            parent[c] = c
        joined = 0
        for e in order:
            a = ends_a[e]
            while parent[a] != a:
                parent[a] = parent[parent[a]]
                a = parent[a]
            c = ends_b[e]
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
    ends_a = np.ascontiguousarray(lat.edges[:, 0], dtype=np.int64)
    ends_b = np.ascontiguousarray(lat.edges[:, 1], dtype=np.int64)
    kernel = compile_kernel(_kruskal_rows)

    def run(lo: int, hi: int) -> None:
        kernel(weights[lo:hi], ends_a, ends_b, lat.num_cells, open_edges[lo:hi])

    split_rows(run, len(weights), min_rows=64)
    return open_edges
