"""``python -m benchmarks.walk_features``: would more of the walk's state help the depth-first
decoder on other generators' mazes?

The decoder's network sees, at each decision, the code's embedding of the cell and ten bits of
the walk's state; with the code ignored it is the count table over (direction, ten bits). This
diagnostic fits that count table on the teacher-forced walks of ``--train`` mazes of each
generator, and the same table with one more input beside the ten bits, and scores each on
``--test`` held-out mazes (nats per maze, add-a-half smoothing):

- **depth**: the deciding cell's depth in the tree (its distance from the start cell), in
  ``log2(depth + 1)`` buckets;
- **region size**: how many cells the neighbour's region outside the tree holds at the decision
  (the region the decision would cut off or join), in ``log2(size)`` buckets.

An input that lowers the table's held-out likelihood is information about the decision that the
ten bits do not carry; one that does not will not help the network either. The walk is replayed
here (neighbours up, right, down, left; each passage to a cell outside the tree decided in turn)
to measure the region sizes; its decisions are checked against `walk_features`'.
"""

from __future__ import annotations

import argparse

import numba
import numpy as np

from benchmarks import generators_or_exit
from daedalus_gym.commands import comma_list, int_range, positive_int, seed_int
from generators.dfs_decoder import walk_features
from generators.lattice import lattice


@numba.njit(cache=True)
def _walk_inputs(
    open_edges: np.ndarray, nbr: np.ndarray, edge_of: np.ndarray, depth: np.ndarray, region: np.ndarray
):
    """Per passage of each maze's teacher-forced walk: the deciding cell's depth and the size of
    the neighbour's region outside the tree (-1 where no cell decides the passage)."""
    n = nbr.shape[0]
    visited = np.zeros(n, np.uint8)
    cur = np.zeros(n, np.int64)
    stack = np.zeros(n, np.int64)
    level = np.zeros(n, np.int64)
    mark = np.zeros(n, np.int64)
    queue = np.zeros(n, np.int64)
    stamp = 0
    for b in range(open_edges.shape[0]):
        visited[:] = 0
        depth[b, :] = -1
        region[b, :] = -1
        top = 0
        stack[0] = 0
        visited[0] = 1
        cur[0] = -1
        level[0] = 0
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
                top -= 1
                continue
            cur[v] = d
            e = edge_of[v, d]
            stamp += 1
            mark[nxt] = stamp
            queue[0] = nxt
            head, tail = 0, 1
            while head < tail:
                x = queue[head]
                head += 1
                for d2 in range(4):
                    z = nbr[x, d2]
                    if z >= 0 and visited[z] == 0 and mark[z] != stamp:
                        mark[z] = stamp
                        queue[tail] = z
                        tail += 1
            depth[b, e] = level[v]
            region[b, e] = tail
            if open_edges[b, e]:
                visited[nxt] = 1
                top += 1
                stack[top] = nxt
                cur[nxt] = -1
                level[nxt] = level[v] + 1


def _table_nll(keys: np.ndarray, opened: np.ndarray, train: np.ndarray, n_keys: int) -> float:
    """Held-out nats of the count table P(open | key) fitted on ``train`` (add-a-half smoothing)."""
    opens = np.bincount(keys[train], weights=opened[train], minlength=n_keys)
    total = np.bincount(keys[train], minlength=n_keys)
    p = ((opens + 0.5) / (total + 1.0))[keys[~train]]
    y = opened[~train]
    return float(-(y * np.log(p) + (1 - y) * np.log(1 - p)).sum())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    parser.add_argument(
        "--generators", type=comma_list(), default="backtracker,prim,kruskal,wilson", help="comma-separated"
    )
    parser.add_argument("--size", type=int_range(2), default=14, help="cells a side")
    parser.add_argument("--train", type=positive_int, default=50_000, help="mazes the tables are fitted on")
    parser.add_argument("--test", type=positive_int, default=10_000, help="held-out mazes they are scored on")
    parser.add_argument("--seed", type=seed_int, default=0, help="seed of the drawn mazes")
    args = parser.parse_args(argv)
    gens = generators_or_exit(parser, args.generators, [args.size])

    lat = lattice(args.size, args.size)
    nbr, edge_of = lat.neighbors.astype(np.int64), lat.neighbor_edge.astype(np.int64)
    print(
        f"{'generator':<12} {'ten bits':>9} {'+ depth':>16} {'+ region size':>16}   (nats per held-out maze)"
    )
    for name in args.generators:
        gen = gens[name, args.size]
        walls = gen.generate_walls(args.train + args.test, np.random.default_rng(args.seed))
        open_edges = lat.passages_from_walls(walls)
        _, codes = walk_features(open_edges, (args.size, args.size))
        depth, region = np.empty(open_edges.shape, np.int64), np.empty(open_edges.shape, np.int64)
        _walk_inputs(open_edges.astype(np.uint8), nbr, edge_of, depth, region)
        decided = codes >= 0
        if not (region[decided] > 0).all():
            raise RuntimeError("the replayed walk missed a decision of walk_features")
        maze = np.broadcast_to(np.arange(len(open_edges))[:, None], open_edges.shape)[decided]
        train = maze < args.train
        code, opened = codes[decided], open_edges[decided].astype(np.float64)
        base = _table_nll(code, opened, train, code.max() + 1) / args.test
        cells = []
        for extra in (depth[decided] + 1, region[decided]):
            bucket = np.minimum(np.floor(np.log2(extra)).astype(np.int64), 15)
            nll = _table_nll(code * 16 + bucket, opened, train, (code.max() + 1) * 16) / args.test
            cells.append(f"{nll:.1f} ({(nll - base) / base:+.1%})")
        print(f"{name:<12} {base:>9.1f} {cells[0]:>16} {cells[1]:>16}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
