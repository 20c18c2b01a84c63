"""Compiling the generators' hot loops with numba.

A generator's hot loop is written once, as a plain function over arrays, and compiled on first
use through `compile_kernel` (numba's import is not free, so it is imported lazily). The plain
function stays reachable as the dispatcher's ``.py_func``; numba's own ``NUMBA_DISABLE_JIT=1``
runs every kernel as that plain Python (slow, for debugging), with the same results.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any


@cache
def compile_kernel(fn: Callable[..., Any]) -> Any:
    """``fn`` compiled by numba (nopython, cached on disk, GIL released): a numba dispatcher,
    built once per function."""
    import numba

    return numba.njit(cache=True, nogil=True)(fn)
