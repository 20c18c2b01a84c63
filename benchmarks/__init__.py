"""How we measure Daedalus-Gym: benchmarks that live beside the package, not inside it.

Run from a checkout of the repository (they are not installed with the package)::

    python -m benchmarks.speed [--quick] [--out DIR]
"""

from __future__ import annotations

import argparse
import functools
import importlib.util
import json
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from types import ModuleType
from typing import Any


def write_rows(rows: list[dict[str, Any]], out: Path | None) -> None:
    """Write a benchmark's rows as JSON to ``out`` (nothing when None), saying so on stderr."""
    if out is None:
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(rows, indent=1))
    print(f"wrote {out}", file=sys.stderr)


def generator_or_exit(
    parser: argparse.ArgumentParser, name: str, size: int, flag: str = "--generators"
) -> Any:
    """``make_generator(name, size=size)``, or the command's usage error naming what was wrong
    (an unknown generator, a size it does not take)."""
    from generators import make_generator

    try:
        return make_generator(name, size=size)
    except (ValueError, TypeError) as err:
        parser.error(f"{flag} {name!r} at size {size}: {err}")


def generators_or_exit(parser: argparse.ArgumentParser, names: Iterable[str], sizes: Iterable[int]) -> dict:
    """``{(name, size): generator}`` for every name at every size, made before any measuring, so
    that a bad name or size late in the lists is refused before the first row's work."""
    sizes = list(sizes)
    return {(name, size): generator_or_exit(parser, name, size) for size in sizes for name in names}


def add_learned_models(parser: argparse.ArgumentParser) -> None:
    """``--generators`` (learned, default ``ae,vae``) and ``--sizes`` (default ``14,28``, each a
    shipped model's): the flags of the benchmarks that measure the shipped models."""
    from daedalus_gym.commands import comma_list, int_range

    parser.add_argument(
        "--generators", type=comma_list(), default="ae,vae", help="comma-separated learned generators"
    )
    parser.add_argument(
        "--sizes",
        type=comma_list(int_range(2)),
        default="14,28",
        help="comma-separated sizes (each a shipped model's)",
    )


def add_fidelity_arguments(
    parser: argparse.ArgumentParser, generators: str, quantiles: str, learned: bool = True
) -> None:
    """``--generators`` (default ``generators``), ``--size``, ``--quantiles`` (default
    ``quantiles``), ``--n``, ``--seed`` and ``--out``: the flags of the benchmarks that compare
    mazes served at path-length targets with the generator's own there (``learned``: the
    generators are learned ones, at a shipped model's size)."""
    from pathlib import Path

    from daedalus_gym.commands import comma_list, float_range, int_range, seed_int

    kind = "learned generators" if learned else "generators"
    parser.add_argument("--generators", type=comma_list(), default=generators, help=f"comma-separated {kind}")
    size_help = "cells a side (a shipped model's)" if learned else "cells a side"
    parser.add_argument("--size", type=int_range(2), default=14, help=size_help)
    parser.add_argument(
        "--quantiles",
        type=comma_list(float_range(0.0, 1.0)),
        default=quantiles,
        help="comma-separated path-length quantiles of the targets, each in [0, 1]",
    )
    parser.add_argument("--n", type=int_range(100), default=2000, help="mazes a side (at least 100)")
    drawn = "walks" if learned else "drawn mazes"
    parser.add_argument("--seed", type=seed_int, default=0, help=f"seed of the {drawn} and the tests")
    parser.add_argument("--out", type=Path, default=None, help="write the rows to this JSON file")


def one_of(choices: Iterable[str]) -> Callable[[str], str]:
    """argparse type: one of ``choices`` (for `comma_list`: ``comma_list(one_of(NAMES))``)."""
    choices = tuple(choices)

    def parse(text: str) -> str:
        if text not in choices:
            raise argparse.ArgumentTypeError(f"expected one of {', '.join(choices)}, got {text!r}")
        return text

    parse.__name__ = "name"
    return parse


@functools.cache
def argument_types() -> ModuleType:
    """``daedalus_gym.commands``'s argument types (`int_range`, `comma_list`, `check_writable`...),
    loaded from this checkout's file alone: importing the ``daedalus_gym`` package imports
    ``generators`` too, which ``classical_speed --tree`` must import from another checkout."""
    path = Path(__file__).resolve().parent.parent / "daedalus_gym" / "commands" / "__init__.py"
    spec = importlib.util.spec_from_file_location("benchmarks._argument_types", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def writable_or_exit(
    parser: argparse.ArgumentParser, path: str | Path | None, flag: str, *, directory: bool = False
) -> None:
    """`check_writable` as the command's usage error (exit 2), before any work starts."""
    try:
        argument_types().check_writable(path, flag, directory=directory)
    except (ValueError, OSError) as err:
        parser.error(str(err))


def distinct_or_exit(parser: argparse.ArgumentParser, flag: str, values: Iterable[Any] | None) -> None:
    """The usage error for a value given twice to a several-values flag (``nargs="+"``): it would
    be measured twice."""
    seen: set[Any] = set()
    for value in values or ():
        if value in seen:
            parser.error(f"{flag}: {value!r} is given twice; give each value once")
        seen.add(value)
