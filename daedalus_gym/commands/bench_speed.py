"""Measure speed: single env, vector env, generation, memory and scaling, beside MiniGrid and mazelib.

Prints one markdown table and writes it, with the raw numbers and plots, to ``--out``:
``speed.md``, ``speed.json``, ``scaling.png``, ``vector.png``. A full run takes a few minutes;
``--quick`` takes well under one. Peers come from the bench extra:
``pip install "daedalus-gym[bench]"``.

Example: ``daedalus-gym bench-speed --out docs/performance``
"""

from __future__ import annotations

import argparse
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quick", action="store_true", help="smaller sizes and fewer repeats (a smoke run)")
    parser.add_argument("--out", default="bench-speed", help="directory for speed.md/.json and plots")


def run(args: argparse.Namespace) -> int:
    from daedalus_gym.speed import report
    from daedalus_gym.speed.suite import run_suite

    results = run_suite(quick=args.quick, progress=lambda message: print(f"... {message}", file=sys.stderr))
    print(report.table(results), end="")
    try:
        paths = report.write(results, args.out)
    except ImportError as err:  # no matplotlib: keep the table and numbers, say what is missing
        print(f"plots skipped: {err}", file=sys.stderr)
        return 0
    print("\nwrote " + ", ".join(str(p) for p in paths.values()))
    return 0
