"""``python -m benchmarks.path_head_codes``: is it the codes or the decisions that tell the path
head's mazes from the model's own at a path-length target?

The model's own mazes at a target (its walks kept when their path is within the search's
tolerance) come from the codes whose walks land there and from the decisions drawn over them. A
search steered by the path head (``path_head=True``) draws fresh codes from the model's sampling
density and tilts every decision toward the depth its walk is told. Either could be what a
classifier sees. For each generator and path-length quantile, the same search's head walks (told
depths as the search tells them) are drawn over two sets of codes, one landed walk per code:

- ``fresh``: codes from the model's sampling density, as the search draws them;
- ``landed``: the codes of the model's own walks that landed (a second set, drawn as the
  reference is), so the codes are distributed as the model's own mazes at the target have them.

Each set is compared with the model's own mazes at the target by the classifier two-sample tests
and the largest Kolmogorov-Smirnov distance of ``benchmarks.control_fidelity``, beside the
sanity row (the model's own second set). If the codes made the difference, ``landed`` would come
down to the sanity row; if the decisions do, it stays with ``fresh``. A code none of whose
``--tries`` head walks lands is left out (``dropped``).

Per generator it also prints how much the code says about the path: the entropy of the goal
depth of the model's walks, ``H(depth)``, and its mean entropy given the code, ``H(depth |
code)`` (`ENTROPY_CODES` codes, `ENTROPY_WALKS` walks each; each entropy the plug-in estimate
with the Miller-Madow correction, ``+ (m - 1) / 2N`` for ``m`` depths seen in ``N`` walks, without
which ``H(depth | code)`` from 400 walks comes out about 0.07 nats low). The latter is
also how many nats a maze's decisions would gain, on average, under an exact conditional model
told the depth (``log p(maze | code, depth) - log p(maze | code) = -log p(depth | code)``), to
set beside what the head gains (``daedalus-gym train-path-head`` reports it). ``--out`` also
writes the rows as JSON.
"""

from __future__ import annotations

import argparse

import numpy as np

from benchmarks import add_fidelity_arguments, generators_or_exit, writable_or_exit, write_rows
from benchmarks.control_fidelity import compare
from daedalus_gym.commands import int_range
from generators.control import ControlledGenerator, calibrate

BATCH = 16384  # model walks drawn at a time for the model's own landed walks
ENTROPY_CODES = 200  # codes for H(depth | code)
ENTROPY_WALKS = 400  # the model's walks drawn over each


def depth_entropies(base, rng: np.random.Generator) -> tuple[float, float]:
    """``H(depth)`` and ``H(depth | code)`` in nats over `ENTROPY_WALKS` of the model's walks for
    each of `ENTROPY_CODES` codes: plug-in estimates with the Miller-Madow correction."""
    n = ENTROPY_CODES * ENTROPY_WALKS
    rows = np.repeat(np.arange(ENTROPY_CODES), ENTROPY_WALKS)
    codes = rng.standard_normal((ENTROPY_CODES, base.latent_dim))
    _, depth = base.drawn_walks(
        codes, rng.standard_normal((n, base.noise_dim - base.latent_dim)), rows, np.full((n, 2), -1)
    )

    given = np.mean([entropy(depth[rows == i]) for i in range(ENTROPY_CODES)])
    return entropy(depth), float(given)


def entropy(values: np.ndarray) -> float:
    """The entropy in nats of the distribution ``values`` (``N`` draws) are drawn from: the
    plug-in estimate plus the Miller-Madow correction ``(m - 1) / 2N``, ``m`` the values seen."""
    counts = np.unique(values, return_counts=True)[1]
    p = counts / counts.sum()
    return float(-(p * np.log(p)).sum() + (len(counts) - 1) / (2 * counts.sum()))


def own_landed(base, target: float, tol: float, need: int, rng: np.random.Generator):
    """``need`` of the model's own walks that land within ``tol`` of ``target``: their code
    noise ``float64[need, latent]`` and open passages ``bool[need, E]``."""
    latent, decisions = base.latent_dim, base.noise_dim - base.latent_dim
    codes, opened, have = [], [], 0
    while have < need:
        z = rng.standard_normal((BATCH, latent))
        walk, depth = base.drawn_walks(
            z, rng.standard_normal((BATCH, decisions)), np.arange(BATCH), np.full((BATCH, 2), -1)
        )
        hit = np.abs(2 * depth - target) <= tol * target
        codes.append(z[hit])
        opened.append(walk[hit])
        have += int(hit.sum())
    return np.concatenate(codes)[:need], np.concatenate(opened)[:need]


def head_landed(steered: ControlledGenerator, codes: np.ndarray, tries: int, rng: np.random.Generator):
    """One landed head walk per code of ``codes`` (code noise), each told a depth as ``steered``'s
    search tells them, with fresh decisions until one lands or ``tries`` are spent: the open
    passages of the codes that landed, and how many codes did not."""
    base = steered.base
    target = steered.target["path_length"]
    tol = steered._tolerance()
    depths, weights = steered._told_depths(tol)
    cdf = np.cumsum(weights)[:-1]
    decisions = base.noise_dim - base.latent_dim  # one per passage: a walk's open passages too
    opened = np.zeros((len(codes), decisions), dtype=bool)
    landed = np.zeros(len(codes), dtype=bool)
    for _ in range(tries):
        todo = np.flatnonzero(~landed)
        if not todo.size:
            break
        told = depths[np.searchsorted(cdf, rng.random(len(todo)), side="right")]
        walk, depth = base.drawn_walks(
            codes[todo],
            rng.standard_normal((len(todo), decisions)),
            np.arange(len(todo)),
            np.full((len(todo), 2), -1),
            told,
        )
        hit = np.abs(2 * depth - target) <= tol * target
        opened[todo[hit]] = walk[hit]
        landed[todo[hit]] = True
    return opened[landed], int((~landed).sum())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    add_fidelity_arguments(parser, "vae,ae", "0.05,0.5")
    parser.add_argument("--tries", type=int_range(1), default=64, help="head walks a code at most")
    args = parser.parse_args(argv)
    writable_or_exit(parser, args.out, "--out")
    bases = generators_or_exit(parser, args.generators, [args.size])
    for (name, size), base in bases.items():
        if getattr(base, "path_head", lambda: None)() is None or base.goal_mode != "corner":
            parser.error(
                f"{name} at {size}x{size} has no path head to steer a corner goal "
                "(a learned generator at its model's size; daedalus-gym train-path-head)"
            )

    rows = []
    print(
        f"{args.n:,} mazes a side, {args.size}x{args.size}: head walks against the model's own at the target"
    )
    print(
        "generator  quantile  target  C2ST best: fresh codes / landed codes / sanity"
        "  KS max: fresh / landed  dropped"
    )
    for name in args.generators:
        base = bases[name, args.size]
        cal = calibrate(base)
        h_depth, h_given = depth_entropies(base, np.random.default_rng([args.seed, len(args.quantiles)]))
        print(
            f"{name}: H(depth) {h_depth:.2f} nats, H(depth | code) {h_given:.2f} "
            f"({ENTROPY_WALKS} walks a code over {ENTROPY_CODES} codes)",
            flush=True,
        )
        for i, q in enumerate(args.quantiles):
            target = cal.quantile("path_length", q)
            steered = ControlledGenerator(base, target={"path_length": target}, path_head=True)
            tol = steered._tolerance()
            rng = np.random.default_rng([args.seed, i])
            _, reference = own_landed(base, target, tol, args.n, rng)
            codes, second = own_landed(base, target, tol, args.n, rng)
            fresh, fresh_dropped = head_landed(steered, rng.standard_normal(codes.shape), args.tries, rng)
            landed, landed_dropped = head_landed(steered, codes, args.tries, rng)
            ref = base.walls_from_walks(reference)
            results = {
                "fresh": compare(base, base.walls_from_walks(fresh), ref, args.seed),
                "landed": compare(base, base.walls_from_walks(landed), ref, args.seed),
                "sanity": compare(base, base.walls_from_walks(second), ref, args.seed),
            }
            row = {
                "generator": name,
                "size": args.size,
                "quantile": q,
                "target": target,
                **results,
                "dropped": {"fresh": fresh_dropped, "landed": landed_dropped},
                "depth_entropy_nats": h_depth,
                "depth_entropy_given_code_nats": h_given,
            }
            rows.append(row)
            fr, la, sa = (results[k] for k in ("fresh", "landed", "sanity"))
            print(
                f"{name:10s} {q:8.2f} {target:7.0f}  {fr['c2st_best']:.3f} / {la['c2st_best']:.3f} / "
                f"{sa['c2st_best']:.3f}{'':22s}  {fr['ks_max']:.3f} ({fr['ks_max_stat']}) / "
                f"{la['ks_max']:.3f} ({la['ks_max_stat']})  {fresh_dropped} / {landed_dropped}",
                flush=True,
            )
    write_rows(rows, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
