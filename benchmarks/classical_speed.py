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

from benchmarks import argument_types, one_of, writable_or_exit

# Not `from daedalus_gym.commands import ...`: that would import the generators before --tree.
comma_list, float_range, int_range = (
    getattr(argument_types(), n) for n in ("comma_list", "float_range", "int_range")
)
positive_int = int_range(1)

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


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.classical_speed",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--generators",
        type=comma_list(one_of(GENERATORS)),
        default=",".join(GENERATORS),
        help="comma-separated, from " + ", ".join(GENERATORS) + " (default: all)",
    )
    parser.add_argument(
        "--sizes",
        type=comma_list(int_range(2, 256)),
        default="14,28",
        help="comma-separated cells a side, each in [2, 256] (default: 14,28)",
    )
    parser.add_argument(
        "--batch", type=positive_int, default=1024, help="mazes per timed batch (default: 1024)"
    )
    parser.add_argument(
        "--repeats", type=positive_int, default=3, help="timed batches; the fastest counts (default: 3)"
    )
    parser.add_argument(
        "--seconds",
        type=float_range(0.0, low_open=True),
        default=1.0,
        help="seconds per one-at-a-time rate (default: 1.0)",
    )
    parser.add_argument("--tree", help="measure the generators of this checkout instead of this one")
    parser.add_argument("--out", help="also write the rows as JSON here")
    args = parser.parse_args(argv)
    names, sizes = args.generators, args.sizes
    if args.tree is not None and not (Path(args.tree) / "generators" / "__init__.py").is_file():
        parser.error(f"--tree {args.tree!r} holds no generators package")
    writable_or_exit(parser, args.out, "--out")
    if args.tree is not None:
        if "generators" in sys.modules or "daedalus_gym" in sys.modules:
            parser.error("--tree needs a fresh process (generators is already imported)")
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
