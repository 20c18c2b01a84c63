"""Compiling the generators' hot loops with numba.

A generator's hot loop is written once, as a plain function over arrays, and compiled on first
use through `compile_kernel` (numba's import is not free, so it is imported lazily). The plain
function stays reachable as the dispatcher's ``.py_func``; numba's own ``NUMBA_DISABLE_JIT=1``
runs every kernel as that plain Python (slow, for debugging), with the same results.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from typing import Any


@cache
def compile_kernel(fn: Callable[..., Any]) -> Any:
    """``fn`` compiled by numba (nopython, cached on disk, GIL released): a numba dispatcher,
    built once per function."""
    import numba

    return numba.njit(cache=True, nogil=True)(fn)


def kernel_threads() -> int:
    """Threads a batched kernel may use: torch's thread count when torch is loaded (the CLI's
    ``--threads``, and 1 in forked workers), else the CPUs this process may run on."""
    torch = sys.modules.get("torch")
    if torch is not None:
        return max(1, torch.get_num_threads())
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


_pools: dict[int, ThreadPoolExecutor] = {}


def _forget_pools() -> None:
    # A forked child has none of its parent's threads: it starts its own pools.
    _pools.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pools)


def split_rows(
    run: Callable[[int, int], None], n: int, min_rows: int = 256, parts: int = 1, threads: int | None = None
) -> None:
    """``run(lo, hi)`` over rows ``[0, n)``: in one call, or, from ``min_rows`` rows on, split
    evenly over ``threads`` threads (default `kernel_threads`). Meant for compiled kernels and
    torch calls (they release the GIL) whose rows are independent, so the split never changes a
    result.

    ``parts`` is the number of slices per thread, handed out as threads free up: 1 for rows of
    even cost, more where rows cost very different amounts (a search that stops at its first
    hit), so that no thread idles while another works through its slow rows."""
    threads = kernel_threads() if threads is None else threads
    threads = min(threads, n // max(1, min_rows // 2)) if n >= min_rows else 1
    if threads <= 1:
        run(0, n)
        return
    pool = _pools.get(threads)
    if pool is None:
        pool = _pools[threads] = ThreadPoolExecutor(threads, thread_name_prefix="daedalus-kernel")
    slices = min(n, threads * max(1, parts))
    bounds = [n * i // slices for i in range(slices + 1)]
    list(pool.map(run, bounds[:-1], bounds[1:]))
