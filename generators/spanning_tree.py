"""Maximum-weight spanning trees of the cell lattice, for whole batches at once.

`maximum_spanning_tree` returns, for every row of a ``float[B, E]`` weight table, the tree that
Kruskal's algorithm builds when it takes the edges in descending weight with a *stable* sort (equal
weights: lower edge index first). Under that strict order (weight descending, then index
ascending) the maximum spanning tree is unique, so any correct algorithm returns the same tree;
this one uses Borůvka's, because it vectorises across the batch where Kruskal's does not:

* every component picks its best outgoing edge (a scatter-max over the live edges, then a
  scatter-min over edge indices to break ties exactly as the stable sort does);
* the picked edges join the tree; each component hooks onto the component across its edge, the
  only cycles being pairs that picked the same edge, which are cut at the lower label;
* pointer doubling flattens the hooks to one root label per component;
* edges whose two ends now share a label are dropped for good.

The components at least halve each round, so there are at most ``log2(N)`` rounds (five for
14x14 cells), each costing O(live edges) with no sort at all; the whole batch is one flat array
problem, processed in cache-sized chunks of rows. Cost: O(B * E * log N) time, O(chunk * E)
extra memory.

The learned generators' repair pass calls this with decoder log-odds as weights, so any finite
or infinite float is accepted; NaN is rejected because it has no place in the order.
"""

from __future__ import annotations

import numpy as np

from generators.lattice import Lattice

# Rows per chunk are chosen so that one chunk's edge arrays stay around this many elements:
# small enough to sit in cache, large enough that numpy's per-call overhead is amortised.
_CHUNK_EDGES = 1 << 16


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
    batch, n_edges = weights.shape
    open_edges = np.zeros((batch, n_edges), dtype=bool)
    step = max(1, _CHUNK_EDGES // n_edges)
    for lo in range(0, batch, step):
        open_edges[lo : lo + step] = _boruvka(lat, weights[lo : lo + step])
    return open_edges


def _boruvka(lat: Lattice, weights: np.ndarray) -> np.ndarray:
    """`maximum_spanning_tree` for one chunk of rows (validated ``float[B, E]``)."""
    batch, n_edges = weights.shape
    n_cells = lat.num_cells
    n_labels = batch * n_cells
    itype = np.int32 if max(batch * n_edges, n_labels) < np.iinfo(np.int32).max else np.int64
    # Everything is flat: cell c of row b is label b*N + c, edge e of row b is b*E + e. A label
    # is always the root cell of its component, so labels of different rows never meet.
    ends_a = lat.edges[:, 0].astype(itype)
    ends_b = lat.edges[:, 1].astype(itype)
    row_offset = (np.arange(batch, dtype=itype) * itype(n_cells))[:, None]
    u = (row_offset + ends_a).ravel()
    v = (row_offset + ends_b).ravel()
    weight = (weights + 0.0).ravel()  # + 0.0 turns -0.0 into 0.0, which the order calls equal
    eid = np.arange(batch * n_edges, dtype=itype)
    label_u, label_v = u, v  # every cell starts as its own component

    label = np.arange(n_labels, dtype=itype)
    hook = np.arange(n_labels, dtype=itype)
    best_weight = np.empty(n_labels, dtype=weight.dtype)
    no_edge = np.iinfo(itype).max
    best_edge = np.full(n_labels, no_edge, dtype=itype)
    open_flat = np.zeros(batch * n_edges, dtype=bool)

    for round_ in range(n_cells):  # at most log2(N) rounds run; the bound only guards the loop
        if round_:
            label_u, label_v = label.take(u), label.take(v)
            live = np.flatnonzero(label_u != label_v)
            if live.size < u.size:
                u, v, weight, eid = u.take(live), v.take(live), weight.take(live), eid.take(live)
                label_u, label_v = label_u.take(live), label_v.take(live)
        if u.size == 0:
            break
        # Best outgoing edge of every component: highest weight, then lowest edge index.
        best_weight.fill(-np.inf)
        np.maximum.at(best_weight, label_u, weight)
        np.maximum.at(best_weight, label_v, weight)
        for side in (label_u, label_v):
            ties = np.flatnonzero(weight == best_weight.take(side))
            np.minimum.at(best_edge, side.take(ties), eid.take(ties))
        roots = np.flatnonzero(best_edge != no_edge).astype(itype)
        picked = best_edge.take(roots)
        open_flat[picked] = True

        # Hook each component onto the one across its picked edge; a pair that picked the same
        # edge would form a 2-cycle, so the lower label of the pair stays a root.
        row, local = np.divmod(picked, itype(n_edges))
        cell_offset = row * itype(n_cells)
        across_a = label.take(cell_offset + ends_a.take(local))
        across_b = label.take(cell_offset + ends_b.take(local))
        other = np.where(across_a == roots, across_b, across_a)
        mutual = (best_edge.take(other) == picked) & (roots < other)
        best_edge[roots] = no_edge
        hook[roots] = np.where(mutual, roots, other)
        # Pointer doubling: at most log2(chain length) passes until every root hook is final.
        target = hook.take(roots)
        while True:
            jumped = hook.take(target)
            if np.array_equal(jumped, target):
                break
            hook[roots] = jumped
            target = jumped
        label = hook.take(label)
    return open_flat.reshape(batch, n_edges)
