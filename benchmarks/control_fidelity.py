"""``python -m benchmarks.control_fidelity``: are a controlled generator's mazes the generator's
own mazes at that difficulty?

For each generator and path-length quantile, the difficulty-control search serves ``--n`` mazes
at the target, and rejection sampling gives the reference: the generator's own mazes, drawn
uncontrolled and kept when their path is within the search's tolerance of the target (the exact
conditional distribution the search approximates; in the tails it takes dozens of uncontrolled
mazes per kept one, the ``drawn_per_kept`` figure of the JSON). The two sets are compared by the
classifier two-sample tests of ``evaluate`` (the MLP on hand features and the CNN on the wall
grid, which sees position, so a left-right asymmetry shows) and by the largest
Kolmogorov-Smirnov distance over the structure statistics and the path between the other two
corners. A second reference set gives the sanity row. For a learned generator whose model has a
path head (``generators.path_head``), the mazes its search serves steered by the head
(``path_head=True``) are compared too, in the "with head" column.
Prints a table; ``--out`` also writes it as JSON.
"""

from __future__ import annotations

import argparse

import numpy as np

from benchmarks import add_fidelity_arguments, generators_or_exit, writable_or_exit, write_rows
from generators.control import ControlledGenerator, calibrate, measure
from generators.structure import STAT_NAMES, structure_stats
from generators.two_sample import c2st, ks_2samp


def conditional(base, target: float, tol: float, n: int, rng: np.random.Generator) -> tuple[np.ndarray, int]:
    """``n`` of ``base``'s own mazes whose path is within ``tol`` (relative) of ``target``, and how
    many were drawn for them: up to and including the ``n``-th kept one (the mazes drawn in the
    same batch after it are not counted, so ``drawn / n`` is rejection sampling's cost whatever
    the batch size)."""
    kept, drawn, have = [], 0, 0
    while have < n:
        walls = base.generate_walls(4096, rng)
        path = measure(base, walls)["path_length"]
        hit = np.flatnonzero(np.abs(path - target) <= tol * target)[: n - have]
        drawn += int(hit[-1]) + 1 if have + len(hit) == n else len(walls)
        kept.append(walls[hit])
        have += len(hit)
    return np.concatenate(kept), drawn


def features(base, walls: np.ndarray) -> dict[str, np.ndarray]:
    """The structure statistics and ``other_diagonal``: the path from the top-right to the
    bottom-left cell (the start-goal path of the mirror image)."""
    stats = structure_stats(walls)
    mirrored = np.ascontiguousarray(walls[:, :, ::-1])
    stats["other_diagonal"] = measure(base, mirrored)["path_length"].astype(float)
    return stats


def compare(base, a: np.ndarray, b: np.ndarray, seed: int) -> dict[str, object]:
    fa, fb = features(base, a), features(base, b)
    ks = {k: ks_2samp(fa[k], fb[k])[0] for k in (*STAT_NAMES, "other_diagonal")}
    worst = max(ks, key=ks.get)
    results = c2st(a, b, np.random.default_rng(seed))
    return {
        "c2st": {r.classifier: [r.accuracy, r.ci_low, r.ci_high] for r in results},
        "c2st_best": max(r.accuracy for r in results),
        "ks_max": ks[worst],
        "ks_max_stat": worst,
        "ks_other_diagonal": ks["other_diagonal"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    add_fidelity_arguments(parser, "kruskal,wilson", "0.05,0.5,0.95", learned=False)
    args = parser.parse_args(argv)
    quantiles = args.quantiles
    writable_or_exit(parser, args.out, "--out")
    bases = generators_or_exit(parser, args.generators, [args.size])

    rows = []
    print(
        f"{args.n:,} mazes a side, {args.size}x{args.size}: served against the generator's own at the target"
    )
    print(
        "generator  quantile  target  drawn/kept  C2ST best [MLP, CNN]   sanity  with head  KS max (stat)"
        "          KS other diagonal"
    )
    for name in args.generators:
        base = bases[name, args.size]
        cal = calibrate(base)
        for i, q in enumerate(quantiles):
            target = cal.quantile("path_length", q)
            gen = ControlledGenerator(base, target={"path_length": target})
            rng = np.random.default_rng([args.seed, i])
            served = gen.generate_walls(args.n, rng)
            ref, drawn = conditional(base, target, gen._tolerance(), args.n, rng)
            ref2, _ = conditional(base, target, gen._tolerance(), args.n, rng)
            row = {"generator": name, "size": args.size, "quantile": q, "target": target}
            row["drawn_per_kept"] = drawn / args.n
            row["served"] = compare(base, served, ref, args.seed)
            row["sanity"] = compare(base, ref2, ref, args.seed)
            if getattr(base, "path_head", lambda: None)() is not None:
                steered = ControlledGenerator(base, target={"path_length": target}, path_head=True)
                row["with_head"] = compare(base, steered.generate_walls(args.n, rng), ref, args.seed)
            rows.append(row)
            s = row["served"]
            with_head = f"{row['with_head']['c2st_best']:.3f}" if "with_head" in row else "-"
            print(
                f"{name:10s} {q:8.2f} {target:7.0f} {drawn / args.n:10.1f}  {s['c2st_best']:.3f} "
                f"[{s['c2st']['mlp_motifs'][0]:.3f}, {s['c2st']['cnn_walls'][0]:.3f}]   "
                f"{row['sanity']['c2st_best']:.3f}   {with_head:>9s}  "
                f"{s['ks_max']:.3f} ({s['ks_max_stat']:16s})  "
                f"{s['ks_other_diagonal']:.3f} (sanity {row['sanity']['ks_other_diagonal']:.3f})",
                flush=True,
            )
    write_rows(rows, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
