"""``python -m benchmarks.rejection_bound``: how fast rejection sampling could serve a learned
model's own mazes at a path-length target on this machine, against the difficulty-control search.

A maze served at a path-length target is faithful to the model when it is distributed as the
model's own mazes whose path lands within the target's tolerance: rejection sampling, one of
the model's walks after another, each independent of the last, until one lands. With a share
``p`` of the model's walks landing, that takes ``1 / p`` walks per maze on average, and no
sampler of independent walks can need fewer. Each of them can stop as soon as it reaches the
goal cell outside the tolerance (with the goal in the corner, the depth-first walk's path is the
depth at which it reaches the goal), so the cheapest such walk is measured that way. The search
is not such a sampler: half of its walks after the first round are mutants of a maze's best
walk so far, which land more often than fresh ones, so at tail targets it can beat the bound.

For each learned generator, size and one of the 10 inside targets of ``bench-control`` (from the
5th to the 95th percentile of the model's own path lengths), in the same run:

- ``hits``: the share of ``--n`` of the model's walks (fresh code and decisions) that land;
- ``walks/s``: walks drawn as the search draws them (8 walks per code, the code's embeddings
  computed once), each stopping where it leaves the tolerance, best of 3 batches;
- ``bound``: ``walks/s * hits``, the mazes per second that rejection sampling from these walks
  could serve if nothing else cost anything;
- ``search``: what the difficulty-control search serves (64 mazes, best of 3), as
  ``bench-control`` times it;
- ``given walks/s``: the same walks' mazes walked again with their decisions given
  (teacher-forced: no code, no network, no uniforms), each stopping where its drawn walk stopped;
- ``ceiling``: ``given walks/s * hits``, what rejection sampling could serve if deciding cost
  nothing, so what no faster decision (a smaller network, a faster kernel) can beat;
- where that fastest search's time went: ``walks``, the compiled walk kernel (both cores);
  ``codes``, the rest of each batch of walks (the codes' embeddings, the decisions' uniforms);
  ``rest``, the search's own work around its batches (each maze's noise drawn from its own
  generator, the windows, the errors, the served mazes' walls).

``--out`` also writes the rows as JSON.
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks import add_learned_models, generators_or_exit, writable_or_exit, write_rows
from daedalus_gym.commands import int_range, seed_int
from daedalus_gym.commands.bench_control import targets, timed_search
from generators.control import ControlledGenerator, calibrate

WALKS_PER_CODE = 8  # as the search's first round draws them


def tolerance_window(n: int, target: float, tol: float) -> np.ndarray:
    """``int64[n, 2]``: the goal depths (cell steps) of a path within ``tol`` of ``target``, the
    window a walk stops outside of: the first and last depth ``d`` with ``|2 d - target| <= tol *
    target``, the test a landed walk passes (a depth just outside it is a miss, and stops)."""
    around = range(math.floor(target * (1 - tol) / 2), math.ceil(target * (1 + tol) / 2) + 1)
    inside = [d for d in around if abs(2 * d - target) <= tol * target] or [around[0], around[-1]]
    window = np.empty((n, 2), dtype=np.int64)
    window[:, 0] = inside[0]
    window[:, 1] = inside[-1]
    return window


def best_seconds(run: Callable[[], Any], repeats: int = 3) -> float:
    """The fastest of ``repeats`` runs of ``run()``, in seconds."""
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - t0)
    return best


def timed_walks(base, target: float, tol: float, codes: int, rng: np.random.Generator) -> float:
    """Walks a second: ``codes * WALKS_PER_CODE`` of ``base``'s walks, each stopping where its
    path leaves ``target``'s tolerance, best of 3 batches."""
    n = codes * WALKS_PER_CODE
    code_noise = rng.standard_normal((codes, base.latent_dim))
    decisions = rng.standard_normal((n, base.noise_dim - base.latent_dim))
    rows = np.repeat(np.arange(codes), WALKS_PER_CODE)
    window = tolerance_window(n, target, tol)
    return n / best_seconds(lambda: base.drawn_walks(code_noise, decisions, rows, window))


def timed_given_walks(opened: np.ndarray, size: int, target: float, tol: float) -> float:
    """Walks a second over the model's own mazes ``opened: bool[B, E]`` with their decisions
    given (teacher-forced: no code, no network, no uniforms), each stopping where a drawn walk
    making the same decisions stops, both cores, best of 3: the walks a second of a search whose
    every decision cost nothing."""
    from generators._jit import split_rows
    from generators.dfs_decoder import walk_features

    window = tolerance_window(len(opened), target, tol)

    def run(lo: int, hi: int) -> None:
        walk_features(opened[lo:hi], (size, size), window=window[lo:hi])

    return len(opened) / best_seconds(lambda: split_rows(run, len(opened)))


def _clocked(fn: Callable[..., Any], spent: dict[str, float], key: str) -> Callable[..., Any]:
    def clocked(*args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            spent[key] += time.perf_counter() - t0

    return clocked


@contextmanager
def phase_clock() -> Iterator[dict[str, float]]:
    """Wall seconds spent, while the block runs, in the learned generators' batches of drawn
    walks (``"batches"``: `LearnedGenerator.drawn_walks`) and, inside them, in the compiled walk
    kernel (``"walks"``: `generators.dfs_decoder.drawn_walks`, its threads included)."""
    import generators.dfs_decoder as dfs
    from generators.learned import LearnedGenerator

    spent = {"batches": 0.0, "walks": 0.0}
    kernel, batches = dfs.drawn_walks, LearnedGenerator.drawn_walks
    dfs.drawn_walks = _clocked(kernel, spent, "walks")  # looked up by name at every batch
    LearnedGenerator.drawn_walks = _clocked(batches, spent, "batches")  # type: ignore[method-assign]
    try:
        yield spent
    finally:
        dfs.drawn_walks = kernel
        LearnedGenerator.drawn_walks = batches  # type: ignore[method-assign]


def timed_search_phases(
    gen: ControlledGenerator, mazes: int, seed: int, repeats: int
) -> tuple[float, dict[str, float]]:
    """`timed_search`'s fastest run of ``repeats`` (seconds) and the shares of its time spent in
    the walk kernel (``walks``), in the rest of the batches of walks (``codes``) and in the
    search around them (``rest``)."""
    best, shares = float("inf"), {}
    for _ in range(repeats):
        with phase_clock() as spent:
            seconds = timed_search(gen, mazes, seed, 1)[0]
        if seconds < best:
            best = seconds
            shares = {
                "walks": spent["walks"] / seconds,
                "codes": (spent["batches"] - spent["walks"]) / seconds,
                "rest": 1.0 - spent["batches"] / seconds,
            }
    return best, shares


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    add_learned_models(parser)
    parser.add_argument(
        "--n",
        type=int_range(100),
        default=8192,
        help="walks per target for the share that lands (at least 100)",
    )
    parser.add_argument("--codes", type=int_range(1), default=64, help="codes per timed batch of walks")
    parser.add_argument("--mazes", type=int_range(1), default=64, help="mazes per timed search batch")
    parser.add_argument("--seed", type=seed_int, default=0, help="seed of the walks and the searches")
    parser.add_argument("--out", type=Path, default=None, help="write the rows to this JSON file")
    args = parser.parse_args(argv)
    sizes = args.sizes
    writable_or_exit(parser, args.out, "--out")
    bases = generators_or_exit(parser, args.generators, sizes)
    for (name, size), base in bases.items():
        if not getattr(base, "walks_ready", lambda: False)() or base.goal_mode != "corner":
            parser.error(
                f"{name} at {size}x{size} does not draw depth-first walks to a corner goal "
                "(a learned generator at its model's size)"
            )

    rows = []
    print(
        "generator  size  target  hits   walks/s  bound (mazes/s)  search (mazes/s)  search / bound"
        "  search's time: walks / codes / rest  given walks/s  ceiling (mazes/s)"
    )
    for size in sizes:
        for name in args.generators:
            base = bases[name, size]
            cal = calibrate(base)
            inside = [t for t, where in targets(cal.path_length, 10, 0, 0.0) if where == "inside"]
            for i, target in enumerate(inside):
                gen = ControlledGenerator(base, target={"path_length": target})
                tol = gen._tolerance()
                rng = np.random.default_rng([args.seed, size, i])
                if not rows:  # compile (or load) the kernels outside the timed batches
                    timed_search(gen, 2, args.seed, 1)
                seconds, shares = timed_search_phases(gen, args.mazes, args.seed, 3)
                search = args.mazes / seconds
                walks_per_s = timed_walks(base, target, tol, args.codes, rng)
                codes = rng.standard_normal((args.n, base.latent_dim))
                decisions = rng.standard_normal((args.n, base.noise_dim - base.latent_dim))
                no_window = np.full((args.n, 2), -1)
                opened, depth = base.drawn_walks(codes, decisions, np.arange(args.n), no_window)
                hits = float(np.mean(np.abs(2 * depth - target) <= tol * target))
                given_per_s = timed_given_walks(opened, size, target, tol)
                row = {
                    "generator": name,
                    "size": size,
                    "target": target,
                    "hits": hits,
                    "walks_per_s": walks_per_s,
                    "bound_mazes_per_s": walks_per_s * hits,
                    "given_walks_per_s": given_per_s,
                    "ceiling_mazes_per_s": given_per_s * hits,
                    "search_mazes_per_s": search,
                    "search_time_shares": shares,
                }
                rows.append(row)
                ratio = search / row["bound_mazes_per_s"] if hits else float("nan")
                print(
                    f"{name:10s} {size:4d} {target:7.0f} {hits:6.3f} {walks_per_s:9,.0f} "
                    f"{row['bound_mazes_per_s']:16,.0f} {search:17,.0f} {ratio:15.2f}"
                    f"  {shares['walks']:5.0%} / {shares['codes']:4.0%} / {shares['rest']:4.0%}"
                    f"  {given_per_s:13,.0f} {row['ceiling_mazes_per_s']:18,.0f}",
                    flush=True,
                )
    write_rows(rows, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
