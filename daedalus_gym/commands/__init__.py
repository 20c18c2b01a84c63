"""Subcommands of the ``daedalus-gym`` console command.

Each module exposes ``add_arguments(parser)`` and ``run(args) -> int`` and keeps heavy imports
inside ``run`` so that ``daedalus-gym --help`` stays fast. Arguments are checked by argparse
types (the helpers below) before any work starts; output paths are checked writable up front
(`check_writable`), so a long run never fails at its last line.
"""

from __future__ import annotations

import argparse
import json
import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


def parse_json_object(text: str, flag: str) -> dict[str, Any]:
    """``--kwargs``-style JSON object from the command line, with a clear error otherwise."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        raise ValueError(f"{flag} must be a JSON object, got {text!r} ({err})") from None
    if not isinstance(value, dict):
        raise ValueError(f"{flag} must be a JSON object, got {text!r}")
    return value


def json_object(text: str) -> dict[str, Any]:
    """argparse type: a JSON object (argparse names the flag in its error)."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        raise argparse.ArgumentTypeError(f"expected a JSON object, got {text!r} ({err})") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError(f"expected a JSON object, got {text!r}")
    return value


def int_range(low: int | None = None, high: int | None = None) -> Callable[[str], int]:
    """argparse type: an int in ``[low, high]`` (either bound may be open)."""

    def parse(text: str) -> int:
        try:
            value = int(text.replace("_", "").replace(",", ""))
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if (low is not None and value < low) or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"expected an integer {_bounds(low, high)}, got {value}")
        return value

    parse.__name__ = "integer"
    return parse


def float_range(
    low: float | None = None, high: float | None = None, *, low_open: bool = False
) -> Callable[[str], float]:
    """argparse type: a finite float in ``[low, high]`` (``(low, high]`` with ``low_open``)."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        too_low = low is not None and (value <= low if low_open else value < low)
        if not math.isfinite(value) or too_low or (high is not None and value > high):
            bounds = _bounds(low, high, low_open=low_open)
            raise argparse.ArgumentTypeError(f"expected a finite number {bounds}, got {text}")
        return value

    parse.__name__ = "number"
    return parse


def _bounds(low: float | None, high: float | None, *, low_open: bool = False) -> str:
    if low is not None and high is not None:
        return f"in {'(' if low_open else '['}{low}, {high}]"
    if low is not None:
        return f"{'>' if low_open else '>='} {low}"
    if high is not None:
        return f"<= {high}"
    return ""


positive_int = int_range(1)
non_negative_int = int_range(0)
# The widest seed every consumer takes: numpy's legacy and SB3's global seeding stop at 2**32 - 1.
SEED_MAX = 2**32 - 1
seed_int = int_range(0, SEED_MAX)


def comma_list(item: Callable[[str], T] = str) -> Callable[[str], list[T]]:
    """argparse type: a non-empty comma-separated list of ``item`` values, none given twice.

    A repeated value would be counted twice (more episodes, narrower intervals, extra table
    cells), so it is refused with its name; empty items (``a,,b``, a trailing comma) are skipped.
    """

    def parse(text: str) -> list[T]:
        values = [item(part.strip()) for part in text.split(",") if part.strip()]
        if not values:
            raise argparse.ArgumentTypeError(f"expected a comma-separated list, got {text!r}")
        seen: set[Any] = set()
        for value in values:
            if value in seen:
                raise argparse.ArgumentTypeError(
                    f"{value!r} is given twice in {text!r}; give each value once"
                )
            seen.add(value)
        return values

    parse.__name__ = "list"
    return parse


def quick_help(defaults: dict[str, tuple[Any, Any]], dest: str) -> str:
    """The end of a ``--help`` line for a setting ``--quick`` makes small: both defaults."""
    full, quick = (",".join(map(str, v)) if isinstance(v, list) else v for v in defaults[dest])
    return f" (default: {full}; with --quick: {quick})"


def fill_quick_defaults(args: argparse.Namespace, defaults: dict[str, tuple[Any, Any]]) -> None:
    """Give every setting of ``defaults`` (``dest -> (a full run's default, --quick's)``) that the
    command line left out its default, the small one with ``--quick``; a given flag keeps its
    value. The flags are added with ``default=argparse.SUPPRESS``, so a left-out one is absent."""
    for dest, (full, quick) in defaults.items():
        if not hasattr(args, dest):
            value = quick if args.quick else full
            setattr(args, dest, list(value) if isinstance(value, list) else value)


def file_stem(text: str) -> str:
    """argparse type: a file name without a folder (``--name``), so outputs stay inside ``--out``."""
    separators = {"/", os.sep, os.altsep} - {None}
    if not text or text in (".", "..") or any(sep in text for sep in separators):
        raise argparse.ArgumentTypeError(f"expected a file name without a folder or '..', got {text!r}")
    return text


def check_writable(path: str | Path | None, flag: str, *, directory: bool = False) -> None:
    """Fail now, not after a long run, if ``path`` cannot be written.

    A file's nearest existing ancestor must be a writable directory (the file itself, when it
    exists, a writable file); a directory must be one (or creatable). Nothing is created here.
    """
    if path is None:
        return
    path = Path(path)
    if path.exists():
        if directory and not path.is_dir():
            raise ValueError(f"{flag}: {path} exists and is not a directory")
        if not directory and path.is_dir():
            raise ValueError(f"{flag}: {path} is a directory, expected a file")
        if not os.access(path, os.W_OK):
            raise PermissionError(f"{flag}: {path} is not writable")
        return
    parent = path.absolute().parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise ValueError(f"{flag}: cannot create {path}: {parent} is not a directory")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise PermissionError(f"{flag}: cannot create {path}: {parent} is not writable")


def make_generator_from_flags(name: str, flags: dict[str, Any], kwargs: dict[str, Any]) -> Any:
    """`generators.make_generator` with settings from flags plus ``--kwargs``, with clear errors.

    ``kwargs`` may not repeat a setting that has its own flag (``size``, ``goal``...): the flag
    says it once. A setting the generator does not take is named with the generator.
    """
    from generators import make_generator

    clash = sorted(set(flags) & set(kwargs))
    if clash:
        flag_names = ", ".join(f"--{key.replace('_', '-')}" for key in clash)
        raise ValueError(f"--kwargs sets {clash}, which have their own flags: use {flag_names}")
    try:
        return make_generator(name, **flags, **kwargs)
    except TypeError as err:
        message = str(err)
        if "unexpected keyword argument" in message:
            bad = message.rsplit("argument", 1)[-1].strip()
            raise ValueError(f"generator {name!r} takes no setting {bad} (from --kwargs or a flag)") from None
        raise ValueError(f"generator {name!r}: {message}") from None
