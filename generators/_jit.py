"""The one switch for the generators' numba kernels.

A generator with a compiled hot loop keeps the plain numpy/Python code as its reference and
fallback, and compiles the kernel on first use through `compile_kernel` (numba's import is not
free, so it is imported lazily). ``DAEDALUS_GYM_JIT=0`` (or ``false``, ``no``, ``off``) turns every
kernel off, as does numba failing to import.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TypeVar

F = TypeVar("F", bound=Callable[..., object])


def jit_enabled() -> bool:
    """False when ``DAEDALUS_GYM_JIT`` is set to ``0``, ``false``, ``no`` or ``off``."""
    return os.environ.get("DAEDALUS_GYM_JIT", "1").strip().lower() not in ("0", "false", "no", "off")


def compile_kernel(fn: F) -> F | None:
    """``fn`` compiled by numba (nopython, cached on disk, GIL released), or None with the JIT
    switched off or without numba. Callers cache the result (`functools.lru_cache`)."""
    if not jit_enabled():
        return None
    try:
        import numba
    except ImportError:  # pragma: no cover - numba is a dependency; the numpy paths still work
        return None
    return numba.njit(cache=True, nogil=True)(fn)
