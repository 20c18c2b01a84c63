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


def split_rows(run: Callable[[int, int], None], n: int, min_rows: int = 256) -> None:
    """``run(lo, hi)`` over rows ``[0, n)``: in one call, or, from ``min_rows`` rows on, split
    evenly over torch's thread count (the CLI's ``--threads``), one thread per part. Meant for
    compiled kernels (they release the GIL) whose rows are independent."""
    import numpy as np
    import torch

    threads = max(1, torch.get_num_threads()) if n >= min_rows else 1
    if threads == 1:
        run(0, n)
        return
    from concurrent.futures import ThreadPoolExecutor

    bounds = np.linspace(0, n, threads + 1).astype(int)
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(run, bounds[:-1], bounds[1:]))
