"""``python -m benchmarks.learned_speed``: how fast the shipped learned models serve mazes.

For each shipped model (VAE and AE, each at 14x14, 7x7 and 28x28): served mazes per second
(decode, draw, repair) in batches of 4,096 (1,024 at 28x28), best of five, in
``precision="float64"`` (the default) and ``"float32"``; then the median and 99th percentile of
``env.reset(seed=s)`` over 200 seeds for each learned id, beside the backtracker's for scale. Run
it on an otherwise idle machine.
"""

from __future__ import annotations

import time

import gymnasium as gym
import numpy as np

import daedalus_gym  # noqa: F401 -- registers the ids
from generators import make_generator

MODELS = (("vae", 14), ("vae", 7), ("vae", 28), ("ae", 14), ("ae", 7), ("ae", 28))
IDS = (
    "Daedalus-VAE-v0",
    "Daedalus-VAE-7x7-v0",
    "Daedalus-VAE-28x28-v0",
    "Daedalus-AE-v0",
    "Daedalus-AE-7x7-v0",
    "Daedalus-AE-28x28-v0",
    "Daedalus-Backtracker-v0",
)


def batched(kind: str, size: int, precision: str, batch: int = 4096, repeats: int = 5) -> float:
    gen = make_generator(kind, size=size, precision=precision)
    gen.generate_walls(64, np.random.default_rng(0))  # compile and load first
    best = float("inf")
    for r in range(repeats):
        noise = gen.draw_noise(batch, np.random.default_rng(r))
        t = time.perf_counter()
        gen.walls_from_noise(noise)
        best = min(best, time.perf_counter() - t)
    return batch / best


def main() -> int:
    for kind, size in MODELS:
        for precision in ("float64", "float32"):
            batch = 4096 if size <= 14 else 1024
            print(
                f"{kind} {size}x{size} {precision}: {batched(kind, size, precision, batch):,.0f} mazes/s "
                f"(batch {batch:,}, best of 5)",
                flush=True,
            )
    for env_id in IDS:
        env = gym.make(env_id)
        env.reset(seed=0)
        times = []
        for s in range(200):
            t = time.perf_counter()
            env.reset(seed=s + 1)
            times.append(time.perf_counter() - t)
        print(
            f"{env_id} reset: median {np.median(times) * 1e3:.2f} ms, "
            f"p99 {np.percentile(times, 99) * 1e3:.2f} ms",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
