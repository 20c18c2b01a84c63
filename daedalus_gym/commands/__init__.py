"""Subcommands of the ``daedalus-gym`` console command.

Each module exposes ``add_arguments(parser)`` and ``run(args) -> int`` and keeps heavy imports
inside ``run`` so that ``daedalus-gym --help`` stays fast.
"""

from __future__ import annotations

import json
from typing import Any


def parse_json_object(text: str, flag: str) -> dict[str, Any]:
    """``--kwargs``-style JSON object from the command line, with a clear error otherwise."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        raise ValueError(f"{flag} must be a JSON object, got {text!r} ({err})") from None
    if not isinstance(value, dict):
        raise ValueError(f"{flag} must be a JSON object, got {text!r}")
    return value
