"""Generate mazes and write them as a PNG montage, an ``.npz`` batch or ASCII text.

Example: ``daedalus-gym generate --generator backtracker --size 14 --n 16 --seed 0 --out mazes.png``
"""

from __future__ import annotations

import argparse
from pathlib import Path

from daedalus_gym.commands import check_writable, json_object, positive_int, seed_int

SUFFIXES = (".png", ".npz", ".txt")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--generator", default="backtracker", help="registered generator name")
    parser.add_argument("--size", type=positive_int, default=14, help="cells a side")
    parser.add_argument("--n", type=positive_int, default=16, help="how many mazes")
    parser.add_argument("--seed", type=seed_int, default=0, help="seed of the numpy rng")
    parser.add_argument("--goal", choices=["corner", "farthest"], default="corner", help="goal placement")
    parser.add_argument(
        "--kwargs",
        type=json_object,
        default={},
        help='other generator settings as JSON, e.g. \'{"repair": "connect"}\'',
    )
    parser.add_argument("--paths", action="store_true", help="draw the shortest path (PNG only)")
    parser.add_argument("--out", required=True, help=f"output file, one of {', '.join(SUFFIXES)}")


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from daedalus_gym.commands import make_generator_from_flags
    from generators import save_mazes
    from generators.maze import mazes_to_text

    out = Path(args.out)
    if out.suffix not in SUFFIXES:
        raise ValueError(f"--out must end in one of {SUFFIXES}, got {out.name!r}")
    if args.paths and out.suffix != ".png":
        raise ValueError(f"--paths draws on a PNG montage; --out {out.name!r} is a {out.suffix} file")
    check_writable(out, "--out")
    flags = {"size": args.size, "goal": args.goal}
    generator = make_generator_from_flags(args.generator, flags, args.kwargs)
    mazes = generator.generate_batch(args.n, np.random.default_rng(args.seed))
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix == ".npz":
        save_mazes(out, mazes)
    elif out.suffix == ".txt":
        out.write_text(mazes_to_text(mazes))
    else:
        from daedalus_gym.rendering import montage, save_png

        save_png(out, montage(mazes, tile_size=max(2, 96 // (2 * args.size + 1)), paths=args.paths))
    print(f"wrote {len(mazes)} {args.generator} mazes of {args.size}x{args.size} cells to {out}")
    return 0
