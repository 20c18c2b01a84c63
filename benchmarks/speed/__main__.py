"""``python -m benchmarks.speed [--quick] [--out DIR]``: run the speed suite, print and write its table.

A full run takes a few minutes on two cores; ``--quick`` well under one.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from daedalus_gym.commands import check_writable


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.speed",
        description=__doc__,
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="smaller sizes and fewer repeats (a smoke run)")
    parser.add_argument("--out", default="bench-speed", help="directory for speed.md/.json and plots")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        check_writable(args.out, "--out", directory=True)  # before minutes of measuring, not after
    except (ValueError, OSError) as err:
        print(f"python -m benchmarks.speed: error: {err}", file=sys.stderr)
        return 2

    from benchmarks.speed import report
    from benchmarks.speed.suite import run_suite

    results = run_suite(quick=args.quick, progress=lambda message: print(f"... {message}", file=sys.stderr))
    print(report.table(results), end="")
    try:
        paths = report.write(results, args.out)
    except ImportError as err:  # no matplotlib: keep the table and numbers, say what is missing
        print(f"plots skipped: {err}", file=sys.stderr)
        return 0
    print("\nwrote " + ", ".join(str(p) for p in paths.values()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
