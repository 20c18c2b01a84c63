"""The measurements (14x14 cells unless stated).

Every section returns plain JSON-ready dicts; `run_suite` collects them with the machine
description. Methods, so the numbers can be read correctly:

- **Single env**: ``gym.make(id)`` with its default wrappers; random actions drawn up front;
  ``reset()`` whenever an episode ends, inside the timed loop. MiniGrid gets the same loop.
  Resets/s times bare ``reset()`` calls: one maze generated and checked with networkx each.
- **Vector env**: ``gym.make_vec(id, n, vectorization_mode="vector_entry_point")``; the timed
  window is ``reset(seed)`` plus ``episodes * max_steps`` steps of random actions, so it pays for
  every maze it plays (the pool's first fill and its refills) and every autoreset.
  `SyncVectorEnv` over single envs is timed the same way.
- **Generation**: ``generate_walls(n, rng)`` (the batched array of wall grids; what the vector
  env consumes), ``generate_batch`` (`Maze` objects) and one ``generate`` at a time; mazelib's
  matching generator one ``generate()`` at a time (it has no batch API).
- **Memory**: bytes still allocated (tracemalloc) after building, resetting and stepping.
- **Scaling**: seconds per maze of batched generation from 7x7 to 128x128 cells, batches of
  about four million grid squares, and the exponent ``b`` of a least-squares fit
  ``seconds ~ cells ** b``.
"""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import gymnasium as gym
import numpy as np

import daedalus_gym  # noqa: F401 -- registers the ids
from benchmarks.speed import peers
from benchmarks.speed.measure import best_rate, machine, rate_for
from generators import make_generator, registered_generators
from generators.shortest_paths import shortest_path_lengths

ENV_ID = "Daedalus-Backtracker-v0"
SIZE = 14
OBS_MODES = ("image", "grid", "egocentric", "rgb")  # "image": the default
CLASSICAL = ("backtracker", "kruskal", "prim", "wilson")
Progress = Callable[[str], None]


def settings(quick: bool) -> dict[str, Any]:
    """How much of everything to run; ``quick`` is for smoke runs and CI, not for the README."""
    if quick:
        return {
            "quick": True,
            "single_steps": 50_000,
            "single_resets": 300,
            "peer_steps": 5_000,
            "repeats": 1,
            "num_envs": (1, 64, 1024),
            "episodes": 2,
            "sync_envs": 16,
            "memory_envs": 1024,
            "batch": 1024,
            "peer_seconds": 0.3,
            "sizes": (7, 14, 28, 56, 128),
            "scaling_seconds": 1.0,
        }
    return {
        "quick": False,
        "single_steps": 200_000,
        "single_resets": 2_000,
        "peer_steps": 30_000,
        "repeats": 3,
        "num_envs": (1, 4, 16, 64, 256, 1024, 4096),
        "episodes": 4,
        "sync_envs": 64,
        "memory_envs": 1024,
        "batch": 4096,
        "peer_seconds": 1.0,
        "sizes": (7, 10, 14, 20, 28, 40, 56, 80, 128),
        "scaling_seconds": 3.0,
    }


# --------------------------------------------------------------------- single env
def _steps_per_s(env: gym.Env, n_steps: int, repeats: int) -> float:
    actions = np.random.default_rng(0).integers(0, env.action_space.n, n_steps).tolist()
    env.reset(seed=0)

    def run() -> int:
        for a in actions:
            _, _, terminated, truncated, _ = env.step(a)
            if terminated or truncated:
                env.reset()
        return n_steps

    return best_rate(run, repeats)


def _resets_per_s(env: gym.Env, n_resets: int, repeats: int) -> float:
    env.reset(seed=0)

    def run() -> int:
        for _ in range(n_resets):
            env.reset()
        return n_resets

    return best_rate(run, repeats)


def single_env(cfg: dict[str, Any], progress: Progress) -> dict[str, Any]:
    out: dict[str, Any] = {"id": ENV_ID, "steps_per_s": {}, "peer": peers.MINIGRID_ID}
    for mode in OBS_MODES:
        progress(f"single env: {ENV_ID} {mode}")
        env = gym.make(ENV_ID, obs_mode=mode)
        out["steps_per_s"][mode] = _steps_per_s(env, cfg["single_steps"], cfg["repeats"])
        if mode == "grid":
            out["resets_per_s"] = _resets_per_s(env, cfg["single_resets"], cfg["repeats"])
            out["reset_ms"] = 1e3 / out["resets_per_s"]
        env.close()
    progress(f"single env: {peers.MINIGRID_ID}")
    try:
        env = peers.minigrid_env()
    except peers.PeerMissing as err:
        out["peer_error"] = str(err)
        return out
    out["peer_steps_per_s"] = _steps_per_s(env, cfg["peer_steps"], cfg["repeats"])
    out["peer_resets_per_s"] = _resets_per_s(env, cfg["single_resets"], cfg["repeats"])
    env.close()
    return out


# --------------------------------------------------------------------- vector env
def _vector_steps_per_s(env: Any, steps: int, repeats: int) -> float:
    n = env.num_envs
    bank = np.random.default_rng(0).integers(0, 4, (257, n))  # cycled: random enough, small

    def run() -> int:
        env.reset(seed=0)
        for t in range(steps):
            env.step(bank[t % len(bank)])
        return steps * n

    return best_rate(run, repeats)


def vector_env(cfg: dict[str, Any], progress: Progress) -> dict[str, Any]:
    max_steps = gym.spec(ENV_ID).max_episode_steps
    steps = max(1, int(cfg["episodes"] * max_steps))
    rows: list[dict[str, Any]] = []
    for mode in OBS_MODES:
        for n in cfg["num_envs"]:
            progress(f"vector env: {mode}, {n} envs")
            env = gym.make_vec(ENV_ID, n, vectorization_mode="vector_entry_point", obs_mode=mode)
            repeats = cfg["repeats"] if n <= 64 else 1
            rows.append(
                {
                    "obs_mode": mode,
                    "num_envs": n,
                    "copy": True,  # the default: a fresh observation array per call
                    "steps_per_s": _vector_steps_per_s(env, steps, repeats),
                }
            )
            env.close()
    n = 1024 if 1024 in cfg["num_envs"] else max(cfg["num_envs"])  # the size the copy=False rows compare at
    for mode in OBS_MODES:
        progress(f"vector env: {mode}, {n} envs, copy=False")
        env = gym.make_vec(ENV_ID, n, vectorization_mode="vector_entry_point", obs_mode=mode, copy=False)
        rows.append(
            {
                "obs_mode": mode,
                "num_envs": n,
                "copy": False,
                "steps_per_s": _vector_steps_per_s(env, steps, 1),
            }
        )
        env.close()
    sync: dict[str, float] = {}
    for mode in OBS_MODES:
        progress(f"vector env: gymnasium SyncVectorEnv, {mode}, {cfg['sync_envs']} envs")
        env = gym.make_vec(ENV_ID, cfg["sync_envs"], vectorization_mode="sync", obs_mode=mode)
        sync_steps = max_steps + 16 if steps >= max_steps else steps  # one autoreset wave included
        sync[mode] = _vector_steps_per_s(env, sync_steps, 1)
        env.close()
    return {
        "id": ENV_ID,
        "steps_per_run": steps,
        "rows": rows,
        "sync_envs": cfg["sync_envs"],
        "sync_steps_per_s": sync,
    }


# --------------------------------------------------------------------- generation
def _walls_per_s(gen: Any, batch: int, repeats: int) -> float:
    rng = np.random.default_rng(0)
    gen.generate_walls(min(batch, 64), rng)  # warm caches (lattice tables, torch kernels)
    return best_rate(lambda: len(gen.generate_walls(batch, rng)), repeats)


def generation(cfg: dict[str, Any], progress: Progress) -> list[dict[str, Any]]:
    rows = []
    for name in sorted(registered_generators()):
        progress(f"generation: {name}")
        try:
            gen = make_generator(name, size=SIZE) if name in CLASSICAL else make_generator(name)
        except Exception as err:  # a learned model without weights here: record, go on
            rows.append({"name": name, "error": f"{type(err).__name__}: {err}"})
            continue
        rng = np.random.default_rng(1)
        row: dict[str, Any] = {
            "name": name,
            "batch": cfg["batch"],
            "walls_per_s": _walls_per_s(gen, cfg["batch"], cfg["repeats"]),
            "mazes_per_s": best_rate(
                lambda g=gen, r=rng: len(g.generate_batch(min(1024, cfg["batch"]), r)), cfg["repeats"]
            ),
            "one_at_a_time_per_s": rate_for(lambda g=gen, r=rng: g.generate(r), cfg["peer_seconds"] / 2),
        }
        if name in peers.MAZELIB_GENERATORS:
            row["peer"] = f"mazelib {peers.MAZELIB_GENERATORS[name]}"
            try:
                maze = peers.mazelib_maze(name, SIZE)
                row["peer_per_s"] = rate_for(maze.generate, cfg["peer_seconds"])
            except peers.PeerMissing as err:
                row["peer_error"] = str(err)
        rows.append(row)
    return rows


def vae(cfg: dict[str, Any], progress: Progress) -> dict[str, Any]:
    """VAE decode + ``perfect`` repair, when a ``vae`` generator is registered."""
    if "vae" not in registered_generators():
        return {"registered": False}
    progress("generation: vae, repair='perfect'")
    try:
        gen = make_generator("vae", repair="perfect")
    except Exception as err:
        return {"registered": True, "error": f"{type(err).__name__}: {err}"}
    out: dict[str, Any] = {
        "registered": True,
        "batch": cfg["batch"],
        "config": gen.config(),
        "walls_per_s": _walls_per_s(gen, cfg["batch"], cfg["repeats"]),
    }
    precision = gen.config().get("precision")
    if precision in ("float32", "float64"):  # the learned generator's other precision, beside it
        other = "float64" if precision == "float32" else "float32"
        progress(f"generation: vae, repair='perfect', precision='{other}'")
        twin = make_generator("vae", repair="perfect", precision=other)
        out[f"{other}_walls_per_s"] = _walls_per_s(twin, cfg["batch"], cfg["repeats"])
    return out


# --------------------------------------------------------------------- memory
def _allocated(build: Callable[[], Any]) -> int:
    tracemalloc.start()
    try:
        keep = build()
        current, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    del keep
    return current


def memory(cfg: dict[str, Any], progress: Progress) -> list[dict[str, Any]]:
    progress("memory")

    def single() -> Any:
        env = gym.make(ENV_ID, obs_mode="grid")
        env.reset(seed=0)
        env.step(0)
        return env

    rows = [{"what": "single env (gym.make)", "num_envs": 1, "bytes_per_env": _allocated(single)}]
    n = cfg["memory_envs"]
    for mode in OBS_MODES:

        def vector(mode: str = mode) -> Any:
            env = gym.make_vec(ENV_ID, n, vectorization_mode="vector_entry_point", obs_mode=mode)
            env.reset(seed=0)
            env.step(np.zeros(n, dtype=np.int64))
            return env

        rows.append({"what": f"vector env, {mode}", "num_envs": n, "bytes_per_env": _allocated(vector) / n})
    return rows


# --------------------------------------------------------------------- scaling
def _seconds_per_maze(gen: Any, squares: int, budget: float, repeats: int) -> tuple[float, int]:
    """Batched generation cost per maze, and the batch it was measured at.

    The batch is about four million grid squares (512 to 4,096 mazes), what a lock-step
    generator needs to amortise numpy's per-call cost; generators too slow for that within
    ``budget`` seconds (judged from a 64-maze probe, which overestimates lock-step costs) get a
    smaller batch. A warm-up call first loads what is compiled or cached (numba, lattice tables).
    """
    rng = np.random.default_rng(0)
    batch = int(min(4096, max(512, (1 << 22) // squares)))
    probe = 64
    gen.generate_walls(8, rng)
    start = time.perf_counter()
    gen.generate_walls(probe, rng)
    per_maze = (time.perf_counter() - start) / probe
    if per_maze * batch > budget:
        batch = max(probe, int(budget / per_maze))
    rate = best_rate(
        lambda: len(gen.generate_walls(batch, rng)), max(2, repeats) if per_maze * batch < 2.0 else 1
    )
    return 1.0 / rate, batch


def exponent(cells: list[int], seconds: list[float]) -> float:
    """``b`` in a least-squares fit of ``log(seconds) = a + b log(cells)``."""
    return float(np.polyfit(np.log(cells), np.log(seconds), 1)[0])


def scaling(cfg: dict[str, Any], progress: Progress) -> dict[str, Any]:
    sizes = list(cfg["sizes"])
    cells = [s * s for s in sizes]
    out: dict[str, Any] = {"sizes": sizes, "cells": cells, "generators": {}, "batches": {}}
    for name in [n for n in CLASSICAL if n in registered_generators()]:
        seconds, batches = [], []
        for size in sizes:
            progress(f"scaling: {name} {size}x{size}")
            gen = make_generator(name, size=size)
            s, b = _seconds_per_maze(gen, (2 * size + 1) ** 2, cfg["scaling_seconds"], cfg["repeats"])
            seconds.append(s)
            batches.append(b)
        out["generators"][name] = seconds
        out["batches"][name] = batches
    check = []
    for size in sizes:
        progress(f"scaling: batched BFS check {size}x{size}")
        gen = make_generator("backtracker", size=size)
        batch = int(min(2048, max(64, (1 << 21) // (2 * size + 1) ** 2)))
        walls = gen.generate_walls(batch, np.random.default_rng(0))
        start, goal = gen.place_batch(walls)
        rate = best_rate(lambda w=walls, s=start, g=goal: len(shortest_path_lengths(w, s, g)), cfg["repeats"])
        check.append(1.0 / rate)
    out["check"] = check
    out["exponents"] = {name: exponent(cells, s) for name, s in out["generators"].items()}
    out["exponents"]["bfs check"] = exponent(cells, check)
    return out


def run_suite(
    quick: bool = False, progress: Progress | None = None, overrides: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Run every section once and return the results (see `benchmarks.speed.report`).

    ``overrides`` replaces entries of `settings` (the tests use it for a tiny run).
    """
    progress = progress or (lambda message: None)
    cfg = settings(quick)
    unknown = set(overrides or {}) - set(cfg)
    if unknown:
        raise ValueError(f"unknown benchmark settings {sorted(unknown)}; known: {sorted(cfg)}")
    cfg.update(overrides or {})
    results: dict[str, Any] = {"machine": machine(), "settings": cfg}
    results["single_env"] = single_env(cfg, progress)
    results["vector"] = vector_env(cfg, progress)
    results["generation"] = generation(cfg, progress)
    results["vae"] = vae(cfg, progress)
    results["memory"] = memory(cfg, progress)
    results["scaling"] = scaling(cfg, progress)
    return results
