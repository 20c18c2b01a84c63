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

from benchmarks import add_learned_models, generators_or_exit, writable_or_exit, write_rows
from daedalus_gym.commands import comma_list, float_range, int_range, seed_int
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
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    add_learned_models(parser)
    parser.add_argument(
        "--quantiles",
        type=comma_list(float_range(0.0, 1.0)),
        default="0.05,0.25,0.5,0.75,0.95",
        help="comma-separated path-length quantiles of the targets, each in [0, 1]",
    )
    parser.add_argument(
        "--n", type=int_range(100), default=4096, help="walks per target and drawer (at least 100)"
    )
    parser.add_argument("--seed", type=seed_int, default=0, help="seed of the walks' noise")
    parser.add_argument("--out", type=Path, default=None, help="write the rows to this JSON file")
    args = parser.parse_args(argv)
    quantiles, sizes = args.quantiles, args.sizes
    writable_or_exit(parser, args.out, "--out")
    bases = generators_or_exit(parser, args.generators, sizes)
    for (name, size), base in bases.items():
        if base.path_head() is None:
            parser.error(f"{name} at {size}x{size} has no path head (daedalus-gym train-path-head)")

    rows = []
    print(f"{args.n:,} walks a target and drawer: share within the search's tolerance of the target")
    print("generator  size  quantile  target  model hits  head hits  head path mean (sd)")
    for size in sizes:
        for name in args.generators:
            base = bases[name, size]
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
