"""Timers and the machine description that goes with every table.

Throughputs are the best of a few repeats: the machines these run on are shared, and the best
run is the one least disturbed by neighbours (what `timeit` reports too). Every timer calls
``gc.collect()`` first and keeps the collector off while it runs.
"""

from __future__ import annotations

import gc
import os
import platform
import statistics
import time
from collections.abc import Callable
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any


@contextmanager
def _quiet_gc():
    gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def best_rate(run: Callable[[], float], repeats: int = 3) -> float:
    """Best ``units / second`` over ``repeats`` calls of ``run``, which returns its unit count."""
    best = 0.0
    for _ in range(max(1, repeats)):
        with _quiet_gc():
            start = time.perf_counter()
            units = run()
            elapsed = time.perf_counter() - start
        best = max(best, units / elapsed)
    return best


def rate_for(run_once: Callable[[], Any], seconds: float) -> float:
    """Calls of ``run_once`` per second, counted over about ``seconds`` of wall time."""
    with _quiet_gc():
        count = 0
        start = time.perf_counter()
        deadline = start + seconds
        while True:
            run_once()
            count += 1
            now = time.perf_counter()
            if now >= deadline:
                return count / (now - start)


def median_reset_ms(env: Any, resets: int) -> float:
    """Median wall time of ``env.reset()`` in milliseconds, over ``resets`` calls (the first
    reset, seeded, not counted)."""
    env.reset(seed=0)
    times = []
    for _ in range(resets):
        start = time.perf_counter()
        env.reset()
        times.append(time.perf_counter() - start)
    return 1e3 * statistics.median(times)


def machine() -> dict[str, Any]:
    """CPU, cores, memory, load and library versions: the context a number needs."""
    import gymnasium
    import numpy

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            names = [line.split(":", 1)[1].strip() for line in f if line.startswith("model name")]
        cpu = names[0] if names else cpu
    except OSError:
        pass
    memory_gib = None
    try:
        with open("/proc/meminfo") as f:
            kib = next(int(line.split()[1]) for line in f if line.startswith("MemTotal"))
        memory_gib = round(kib / 2**20, 1)
    except (OSError, StopIteration):
        pass
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": memory_gib,
        "load_average_1m_at_start": None if load is None else round(load[0], 2),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "gymnasium": gymnasium.__version__,
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }
