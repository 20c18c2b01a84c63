"""``python -m benchmarks.classical_speed``: how fast the classical generators make mazes.

For each classical generator and size: walls per second in batches (``generate_walls``, best of
``--repeats``), ``Maze`` objects per second one at a time (``generate``), the median
``env.reset()`` of its id at that size (generation plus the env's solvability check), and, with
mazelib installed (the ``bench`` extra), mazelib's matching generator one maze at a time in the
same run, with the ratio. Run it on an otherwise idle machine; compare figures within one run.

``--tree DIR`` measures the generators of another checkout (``git worktree add /tmp/old <rev>``)
with this command, so two versions can be measured in turns.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

GENERATORS = ("backtracker", "kruskal", "prim", "wilson")
ENV_IDS = {
    "backtracker": "Daedalus-Backtracker-v0",
    "kruskal": "Daedalus-Kruskal-v0",
    "prim": "Daedalus-Prim-v0",
    "wilson": "Daedalus-Wilson-v0",
}


def measure(name: str, size: int, batch: int, repeats: int, seconds: float) -> dict[str, Any]:
    """One row: ``name`` at ``size x size`` cells."""
    # Imported here, after `main` has put ``--tree`` on the path: `benchmarks.speed` imports
    # the generators.
    import gymnasium as gym
    import numpy as np

    import daedalus_gym  # noqa: F401 -- registers the ids
    from benchmarks.speed import peers
    from benchmarks.speed.measure import best_rate, median_reset_ms, rate_for
    from generators import make_generator

    gen = make_generator(name, size=size)
    rng = np.random.default_rng(0)
    gen.generate_walls(2, rng)  # compile (or load) the kernels first
    row: dict[str, Any] = {"generator": name, "size": size, "batch": batch}
    row["walls_per_s"] = best_rate(lambda: len(gen.generate_walls(batch, rng)), repeats)
    row["generate_per_s"] = rate_for(lambda: gen.generate(rng), seconds)
    env = gym.make(ENV_IDS[name], generator_kwargs={"size": size})
    row["reset_ms"] = median_reset_ms(env, 200)
    try:
        peer = peers.mazelib_maze(name, size)
    except peers.PeerMissing:
        return row
    row["mazelib_per_s"] = rate_for(peer.generate, seconds)
    return row


def table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| generator | size | mazes/s, batched walls | `generate`/s | `env.reset()` median, ms "
        "| mazelib, one at a time /s | batched vs mazelib |",
        "|---|---|--:|--:|--:|--:|--:|",
    ]
    for r in rows:
        peer = r.get("mazelib_per_s")
        peer_cells = [f"{peer:,.0f}", f"{r['walls_per_s'] / peer:,.1f}x"] if peer else ["-", "-"]
        cells = [
            r["generator"],
            f"{r['size']}x{r['size']}",
            f"{r['walls_per_s']:,.0f}",
            f"{r['generate_per_s']:,.0f}",
            f"{r['reset_ms']:.3f}",
            *peer_cells,
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _problems(args: argparse.Namespace) -> tuple[list[str], list[str], list[int]]:
    names = [g for g in args.generators.split(",") if g]
    try:
        sizes = [int(s) for s in args.sizes.split(",") if s]
    except ValueError:
        sizes = []
    problems = []
    if not names or any(g not in GENERATORS for g in names):
        problems.append(f"--generators must name some of {', '.join(GENERATORS)}, got {args.generators!r}")
    if not sizes or any(not 2 <= s <= 256 for s in sizes):
        problems.append(f"--sizes must be integers in [2, 256], got {args.sizes!r}")
    for flag, value in (("--batch", args.batch), ("--repeats", args.repeats)):
        if value < 1:
            problems.append(f"{flag} must be >= 1, got {value}")
    if not args.seconds > 0:
        problems.append(f"--seconds must be > 0, got {args.seconds}")
    if args.tree is not None and not (Path(args.tree) / "generators" / "__init__.py").is_file():
        problems.append(f"--tree {args.tree!r} holds no generators package")
    return problems, names, sizes


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.classical_speed",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--generators", default=",".join(GENERATORS), help="comma-separated, from " + ", ".join(GENERATORS)
    )
    parser.add_argument("--sizes", default="14,28", help="comma-separated cells a side")
    parser.add_argument("--batch", type=int, default=1024, help="mazes per timed batch")
    parser.add_argument("--repeats", type=int, default=3, help="timed batches; the fastest counts")
    parser.add_argument("--seconds", type=float, default=1.0, help="seconds per one-at-a-time rate")
    parser.add_argument("--tree", help="measure the generators of this checkout instead of this one")
    parser.add_argument("--out", help="also write the rows as JSON here")
    args = parser.parse_args(argv)
    problems, names, sizes = _problems(args)
    for problem in problems:
        print(f"python -m benchmarks.classical_speed: error: {problem}", file=sys.stderr)
    if problems:
        return 2
    if args.tree is not None:
        if "generators" in sys.modules or "daedalus_gym" in sys.modules:
            print(
                "python -m benchmarks.classical_speed: error: --tree needs a fresh process "
                "(generators is already imported)",
                file=sys.stderr,
            )
            return 2
        sys.path.insert(0, str(Path(args.tree).resolve()))
    import generators

    print(f"generators imported from {Path(generators.__file__).parent}", file=sys.stderr)
    rows = []
    for size in sizes:
        for name in names:
            rows.append(measure(name, size, args.batch, args.repeats, args.seconds))
            print(f"... {name} {size}x{size}", file=sys.stderr, flush=True)
    print(table(rows), end="")
    if args.out:
        Path(args.out).write_text(json.dumps(rows, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
