"""Resident memory stays flat while a learned generator serves mazes batch after batch."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

PROBE = textwrap.dedent(
    """
    import numpy as np
    from generators import make_generator

    def rss_mb():
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * 4096 / 2**20

    gen = make_generator("vae", size=14, repair="perfect")
    rng = np.random.default_rng(0)
    samples = []
    for _ in range(50):
        gen.walls_from_noise(gen.draw_noise(4096, rng))
        samples.append(rss_mb())
    print(samples[4], samples[-1], max(samples[4:]))
    """
)


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/statm")
def test_learned_generator_memory_is_flat_after_warm_up() -> None:
    # Before freed heap pages were handed back, RSS grew about 10% over such a run and kept
    # growing (glibc kept the freed temporaries of every batch); a fresh process keeps other
    # tests' memory out.
    out = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=600, check=True
    )
    warm, end, peak = map(float, out.stdout.split())
    assert end <= 1.05 * warm, (warm, end)
    assert peak <= 1.08 * warm, (warm, peak)
