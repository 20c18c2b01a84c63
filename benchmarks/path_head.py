"""``python -m benchmarks.path_head``: how close to a path-length target a learned generator's
walks land, drawn by the model alone and by its path head told the target.

For each generator and path-length quantile of the model's own mazes, ``--n`` walks with fresh
codes and decisions are drawn twice from the same noise: by the model (the walks the plain
search draws) and by its path head told the target (``generators.path_head``). Printed per
target: the share of walks within the difficulty-control search's tolerance of the target (a
walk that hits is a maze served at once), and the mean and standard deviation of the paths the
head's walks take. ``--out`` also writes the rows as JSON.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from benchmarks import generator_or_exit, write_rows
from generators.control import ControlledGenerator, calibrate


def walks(base, n: int, rng: np.random.Generator, depth: int | None) -> np.ndarray:
    """Start-goal paths (steps) of ``n`` walks of ``base`` with fresh noise, told ``depth`` (cell
    steps; None: the model's own walks)."""
    codes = rng.standard_normal((n, base.latent_dim))
    decisions = rng.standard_normal((n, base.noise_dim - base.latent_dim))
    told = None if depth is None else np.full(n, depth)
    _, reached = base.drawn_walks(codes, decisions, np.arange(n), np.full((n, 2), -1), told)
    return 2 * reached


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--generators", default="ae,vae", help="comma-separated learned generators")
    parser.add_argument("--sizes", default="14,28", help="comma-separated sizes (each a shipped model's)")
    parser.add_argument(
        "--quantiles", default="0.05,0.25,0.5,0.75,0.95", help="path-length quantiles of the targets"
    )
    parser.add_argument("--n", type=int, default=4096, help="walks per target and drawer")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None, help="write the rows to this JSON file")
    args = parser.parse_args(argv)
    if args.n < 100:
        parser.error(f"--n must be at least 100, got {args.n}")
    try:
        quantiles = [float(q) for q in args.quantiles.split(",")]
        sizes = [int(s) for s in args.sizes.split(",")]
    except ValueError:
        parser.error(
            f"--quantiles and --sizes must be comma-separated numbers, got {args.quantiles!r}, {args.sizes!r}"
        )
    if not all(0.0 <= q <= 1.0 for q in quantiles):
        parser.error(f"--quantiles must be in [0, 1], got {args.quantiles!r}")

    rows = []
    print(f"{args.n:,} walks a target and drawer: share within the search's tolerance of the target")
    print("generator  size  quantile  target  model hits  head hits  head path mean (sd)")
    for size in sizes:
        for name in args.generators.split(","):
            base = generator_or_exit(parser, name, size)
            if base.path_head() is None:
                parser.error(f"{name} at {size}x{size} has no path head (daedalus-gym train-path-head)")
            cal = calibrate(base)
            for i, q in enumerate(quantiles):
                target = cal.quantile("path_length", q)
                tol = ControlledGenerator(base, target={"path_length": target})._tolerance()
                seed = [args.seed, size, i]
                own = walks(base, args.n, np.random.default_rng(seed), None)
                told = walks(base, args.n, np.random.default_rng(seed), max(1, round(target / 2)))
                row = {
                    "generator": name,
                    "size": size,
                    "quantile": q,
                    "target": target,
                    "model_hits": float(np.mean(np.abs(own - target) <= tol * target)),
                    "head_hits": float(np.mean(np.abs(told - target) <= tol * target)),
                    "head_mean": float(told.mean()),
                    "head_sd": float(told.std()),
                    "model_mean": float(own.mean()),
                    "model_sd": float(own.std()),
                }
                rows.append(row)
                print(
                    f"{name:10s} {size:4d} {q:9.2f} {target:7.0f} {row['model_hits']:11.3f} "
                    f"{row['head_hits']:10.3f}  {row['head_mean']:.1f} ({row['head_sd']:.1f})",
                    flush=True,
                )
    write_rows(rows, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
