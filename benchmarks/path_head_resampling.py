"""``python -m benchmarks.path_head_resampling``: what the path head's speed costs in fidelity, and
what importance resampling buys back.

A path head (``generators.path_head``) draws walks told a target path; most land near it, but its
mazes are not the model's own at that path (the model's own: ``p(code) p(maze | code)`` kept when
the path is within the search's tolerance, which is what rejection sampling and the plain search
draw from). The exact correction is importance weighting: a head walk that lands within the
tolerance has weight ``w = p_model(maze | code) / p_head(maze | code, target)``, both exact
(products of the walk's decision probabilities). Sampling-importance-resampling keeps, for each
served maze, one of ``K`` landed head walks drawn in proportion to ``w``; ``K = 1`` is the head
alone, and as ``K`` grows the served mazes tend to the model's own at the target.

For each ``K`` the served mazes are compared with the model's own at the target (rejection
sampling, as ``benchmarks.control_fidelity``) by the classifier two-sample tests; printed per
``K``: C2ST best, the largest KS distance over the structure statistics, the mean effective
sample size of the weights, and the head walks drawn per served maze (``K`` over the head's
landing rate). ``--out`` also writes the rows as JSON.
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

from benchmarks import add_fidelity_arguments, generators_or_exit, writable_or_exit, write_rows
from benchmarks.control_fidelity import compare, conditional
from daedalus_gym.commands import comma_list, int_range
from generators.control import ControlledGenerator, calibrate
from generators.dfs_decoder import drawn_walks
from generators.path_head import PathHead, walk_log_likelihood


def landed_walks(base, head: PathHead, target: float, tol: float, need: int, rng: np.random.Generator):
    """Head walks told ``target`` that land within ``tol`` of it, until ``need`` of them: their
    open passages, log importance weights, and how many walks were drawn."""
    model = PathHead.from_decoder(base.model.decoder, base.decision_temperature)
    depth = max(1, round(target / 2))
    opened, logw, drawn = [], [], 0
    while sum(len(x) for x in logw) < need:
        n = 2048
        codes = base.codes_from_noise(rng.standard_normal((n, base.latent_dim)))
        uniforms = base._uniforms(rng.standard_normal((n, base.noise_dim - base.latent_dim)))
        with torch.no_grad():
            emb = base.model.decoder.embeddings(torch.from_numpy(codes).float())
        told = np.full(n, depth)
        walk, reached = drawn_walks(
            emb.numpy(), head.walk_tables(), base.cells, uniforms, np.arange(n), np.full((n, 2), -1), told
        )
        drawn += n
        hit = np.abs(2 * reached - target) <= tol * target
        with torch.no_grad():
            log_q = walk_log_likelihood(head, emb[hit], walk[hit], told[hit], base.cells)
            log_p = walk_log_likelihood(model, emb[hit], walk[hit], None, base.cells)
        opened.append(walk[hit])
        logw.append((log_p.double() - log_q.double()).numpy())
    return np.concatenate(opened)[:need], np.concatenate(logw)[:need], drawn / sum(len(x) for x in logw)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    add_fidelity_arguments(parser, "vae", "0.05,0.5")
    parser.add_argument(
        "--k",
        type=comma_list(int_range(1)),
        default="1,4,16",
        help="comma-separated landed head walks per served maze, each at least 1",
    )
    args = parser.parse_args(argv)
    quantiles, ks = args.quantiles, args.k
    writable_or_exit(parser, args.out, "--out")
    bases = generators_or_exit(parser, args.generators, [args.size])
    heads = {name: base.path_head() for (name, _), base in bases.items()}
    for name, head in heads.items():
        if head is None:
            parser.error(f"{name} at {args.size}x{args.size} has no path head (daedalus-gym train-path-head)")

    rows = []
    print(f"{args.n:,} mazes a side, {args.size}x{args.size}: served against the model's own at the target")
    print("generator  quantile  target   K  C2ST best  KS max (stat)           mean ESS  head walks a maze")
    for name in args.generators:
        base, head = bases[name, args.size], heads[name]
        cal = calibrate(base)
        for i, q in enumerate(quantiles):
            target = cal.quantile("path_length", q)
            tol = ControlledGenerator(base, target={"path_length": target})._tolerance()
            rng = np.random.default_rng([args.seed, i])
            opened, logw, walks_per_hit = landed_walks(base, head, target, tol, args.n * max(ks), rng)
            ref, _ = conditional(base, target, tol, args.n, rng)
            for k in ks:
                groups = logw[: args.n * k].reshape(args.n, k)
                w = np.exp(groups - groups.max(axis=1, keepdims=True))
                w /= w.sum(axis=1, keepdims=True)
                pick = (rng.random((args.n, 1)) > np.cumsum(w, axis=1)).sum(axis=1).clip(max=k - 1)
                chosen = opened[: args.n * k].reshape(args.n, k, -1)[np.arange(args.n), pick]
                result = compare(base, base.walls_from_walks(chosen), ref, args.seed)
                row = {
                    "generator": name,
                    "size": args.size,
                    "quantile": q,
                    "target": target,
                    "k": k,
                    "c2st_best": result["c2st_best"],
                    "ks_max": result["ks_max"],
                    "ks_max_stat": result["ks_max_stat"],
                    "mean_ess": float((1.0 / (w**2).sum(axis=1)).mean()),
                    "head_walks_per_maze": k * walks_per_hit,
                }
                rows.append(row)
                print(
                    f"{name:10s} {q:8.2f} {target:7.0f} {k:3d}  {row['c2st_best']:9.3f}  {row['ks_max']:.3f} "
                    f"({row['ks_max_stat']:16s})  {row['mean_ess']:8.2f}  {row['head_walks_per_maze']:17.1f}",
                    flush=True,
                )
    write_rows(rows, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
