"""``python -m benchmarks.learned_speed``: how fast the shipped learned models serve mazes.

For each shipped model (VAE and AE, each at 14x14, 7x7 and 28x28): served mazes per second
(decode, draw, repair) in batches of 4,096 (1,024 at 28x28), best of five, in
``precision="float32"`` (the default) and ``"float64"``, and how many of those five batches'
mazes the two precisions decode alike; then the median and 99th percentile of
``env.reset(seed=s)`` over 200 seeds for each learned id, beside the backtracker's for scale. Run
it on an otherwise idle machine.

``--model FILE`` (repeatable) measures those model files instead, each at its own size, without
the env resets; ``--kwargs JSON`` passes generator settings to every model measured (for example
``'{"sampling": "normal"}'``); ``--batch`` and ``--repeats`` set the batch size and the number of
timed batches.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

import daedalus_gym  # noqa: F401 -- registers the ids
from daedalus_gym.commands import json_object, make_generator_from_flags, positive_int
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


def batched(
    kind: str,
    size: int,
    precision: str,
    batch: int = 4096,
    repeats: int = 5,
    model: Path | None = None,
    kwargs: dict[str, Any] | None = None,
) -> tuple[float, np.ndarray]:
    """Served mazes/s (best of ``repeats`` batches) and every batch's walls, ``bool[R * B, H, W]``."""
    gen = make_generator(kind, size=size, precision=precision, model=model, **(kwargs or {}))
    gen.generate_walls(64, np.random.default_rng(0))  # compile and load first
    best = float("inf")
    walls = []
    for r in range(repeats):
        noise = gen.draw_noise(batch, np.random.default_rng(r))
        t = time.perf_counter()
        walls.append(gen.walls_from_noise(noise))
        best = min(best, time.perf_counter() - t)
    return batch / best, np.concatenate(walls)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--model", action="append", type=Path, help="a .safetensors model to measure instead (repeatable)"
    )
    parser.add_argument(
        "--kwargs",
        type=json_object,
        default={},
        help="generator settings for every model, as JSON (default: {})",
    )
    parser.add_argument(
        "--batch",
        type=positive_int,
        default=None,
        help="mazes per timed batch (4,096 up to 14x14, else 1,024)",
    )
    parser.add_argument(
        "--repeats", type=positive_int, default=5, help="timed batches per model and precision (default: 5)"
    )
    args = parser.parse_args(argv)
    kwargs = args.kwargs
    models: list[tuple[str, int, Path | None]] = [(kind, size, None) for kind, size in MODELS]
    if args.model:
        from generators.models import load_model

        models = []
        for path in args.model:
            if not path.is_file():
                parser.error(f"--model {path}: no such file")
            if path.resolve() in {p.resolve() for _, _, p in models}:
                parser.error(f"--model {path} is given twice; give each model once")
            try:
                cfg = load_model(path).cfg
            except ValueError as err:
                parser.error(f"--model {path}: {err}")
            models.append((cfg.kind, cfg.size[0], path))
    for kind, size, path in models:
        try:
            make_generator_from_flags(kind, {"size": size, "model": path}, kwargs)
        except ValueError as err:
            parser.error(str(err))
    for kind, size, path in models:
        batch = args.batch or (4096 if size <= 14 else 1024)
        name = f"{kind} {size}x{size}" if path is None else f"{path.name} ({kind} {size}x{size})"
        walls = {}
        for precision in ("float32", "float64"):
            speed, walls[precision] = batched(kind, size, precision, batch, args.repeats, path, kwargs)
            best_of = f"batch {batch:,}, best of {args.repeats}"
            print(f"{name} {precision}: {speed:,.0f} mazes/s ({best_of})", flush=True)
        same = int((walls["float32"] == walls["float64"]).all(axis=(1, 2)).sum())
        print(f"{name}: float32 and float64 mazes alike: {same:,} of {len(walls['float32']):,}")
    if args.model:
        return 0
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
