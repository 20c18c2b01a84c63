"""How we measure Daedalus-Gym: benchmarks that live beside the package, not inside it.

Run from a checkout of the repository (they are not installed with the package)::

    python -m benchmarks.speed [--quick] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def write_rows(rows: list[dict[str, Any]], out: Path | None) -> None:
    """Write a benchmark's rows as JSON to ``out`` (nothing when None), saying so on stderr."""
    if out is None:
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(rows, indent=1))
    print(f"wrote {out}", file=sys.stderr)


def generator_or_exit(parser: argparse.ArgumentParser, name: str, size: int) -> Any:
    """``make_generator(name, size=size)``, or the command's usage error naming what was wrong
    (an unknown generator, a size it does not take)."""
    from generators import make_generator

    try:
        return make_generator(name, size=size)
    except (ValueError, TypeError) as err:
        parser.error(f"--generators {name!r} at size {size}: {err}")
