"""Each suite's env stepped with random actions and autoreset, as env-steps per second.

A suite is a function ``(num_envs, seconds) -> dict`` returning ``steps_per_s`` (and, for the
JAX suites, ``compile_s``); it raises `SuiteMissing` with the reason when its library does not
import. Every measure is the best of three windows of about ``seconds / 3`` each, after a warm-up
chunk, with the garbage collector off; all suites use the same timer.

- **Daedalus-Gym, vector**: `daedalus_gym.vector_env.MazeVectorEnv` through ``gym.make_vec``
  (``Daedalus-Backtracker-v0``, 14x14 cells, 29x29 squares), fresh observation arrays
  (``copy=True``, the default), actions drawn up front; for the grid also ``copy=False``, the
  observation buffer updated in place, which is what PufferLib returns and what a JAX scan
  never materialises.
- **Daedalus-Gym, single**: ``gym.make`` with its default wrappers and the grid observation (as
  the vector rows), ``reset()`` in the loop when an episode ends; only at one env.
- **MiniGrid**: gymnasium's ``SyncVectorEnv`` over ``MiniGrid-Empty-16x16-v0``.
- **PufferLib Grid**: the Ocean ``Grid`` env (C), its ``num_envs`` agents in one C loop.
- **NAVIX, XLand-MiniGrid, Jumanji**: ``jit(lax.scan(vmap(step)))`` over ``scan_steps`` steps
  whose actions are drawn up front, ``block_until_ready`` after each call; the first call's
  compile time is timed apart (``jax.jit(...).lower(...).compile()``). NAVIX autoresets inside
  ``step``; XLand-MiniGrid through ``GymAutoResetWrapper``; Jumanji through
  ``AutoResetWrapper``.

Actions are uniform over each env's own action space.
"""

from __future__ import annotations

import gc
import importlib.util
import os
import tempfile
import time
from collections.abc import Callable
from typing import Any

import numpy as np

OURS_ID = "Daedalus-Backtracker-v0"
MINIGRID_ID = "MiniGrid-Empty-16x16-v0"
NAVIX_ID = "Navix-Empty-16x16-v0"
XLAND_ID = "MiniGrid-Empty-16x16"
JUMANJI_ID = "Maze-v0"
PUFFERLIB_HINT = (
    "build its grid binding from the sdist (docs/performance.md, 'Against the JAX and PufferLib suites')"
)
INSTALL_HINT = 'pip install -e ".[peers]"'
# Steps a JAX call scans: enough to hide the per-call dispatch, few enough that 4,096 envs of the
# slowest suite stay within seconds.
SCAN_WORK = 2**18


class SuiteMissing(ImportError):
    """A suite's library is not installed or does not build here."""


def best_window(chunk: Callable[[], None], units: int, seconds: float, windows: int = 3) -> float:
    """Best ``units`` per second over ``windows`` windows of repeated ``chunk()`` calls."""
    chunk()  # warm-up: first calls allocate, fill pools, page in code
    best = 0.0
    window = seconds / windows
    for _ in range(windows):
        gc.collect()
        gc.disable()
        try:
            count = 0
            start = time.perf_counter()
            while True:
                chunk()
                count += 1
                elapsed = time.perf_counter() - start
                if elapsed >= window:
                    break
        finally:
            gc.enable()
        best = max(best, count * units / elapsed)
    return best


def chunk_steps(num_envs: int) -> int:
    """Vector steps per timed chunk: about 65,536 env-steps, between 4 and 256 calls."""
    return int(min(256, max(4, 2**16 // num_envs)))


# ---------------------------------------------------------------------------- ours
def ours_vector(obs_mode: str, copy: bool = True) -> Callable[[int, float], dict[str, Any]]:
    def run(num_envs: int, seconds: float) -> dict[str, Any]:
        import gymnasium as gym

        import daedalus_gym  # noqa: F401 -- registers the ids

        envs = gym.make_vec(
            OURS_ID, num_envs, vectorization_mode="vector_entry_point", obs_mode=obs_mode, copy=copy
        )
        envs.reset(seed=0)
        k = chunk_steps(num_envs)
        block = np.random.default_rng(0).integers(0, 4, (k, num_envs))
        step = envs.step

        def chunk() -> None:
            for actions in block:
                step(actions)

        rate = best_window(chunk, k * num_envs, seconds)
        envs.close()
        return {"steps_per_s": rate}

    return run


def ours_single(num_envs: int, seconds: float) -> dict[str, Any]:
    if num_envs != 1:
        raise ValueError(f"the single env runs one env, got num_envs={num_envs}")
    import gymnasium as gym

    import daedalus_gym  # noqa: F401

    env = gym.make(OURS_ID, obs_mode="grid")
    env.reset(seed=0)
    actions = np.random.default_rng(0).integers(0, 4, 4096).tolist()

    def chunk() -> None:
        for a in actions:
            _, _, terminated, truncated, _ = env.step(a)
            if terminated or truncated:
                env.reset()

    rate = best_window(chunk, len(actions), seconds)
    env.close()
    return {"steps_per_s": rate}


# ---------------------------------------------------------------------------- MiniGrid
def minigrid_sync(num_envs: int, seconds: float) -> dict[str, Any]:
    try:
        import minigrid  # noqa: F401 -- registers the ids
    except ImportError as err:
        raise SuiteMissing(f"minigrid is not installed: {INSTALL_HINT}") from err
    import gymnasium as gym

    envs = gym.make_vec(MINIGRID_ID, num_envs, vectorization_mode="sync")
    envs.reset(seed=0)
    k = max(1, chunk_steps(num_envs) // 16)
    block = np.random.default_rng(0).integers(0, envs.single_action_space.n, (k, num_envs))

    def chunk() -> None:
        for actions in block:
            envs.step(actions)

    rate = best_window(chunk, k * num_envs, seconds)
    envs.close()
    return {"steps_per_s": rate}


# ---------------------------------------------------------------------------- PufferLib
def pufferlib_grid(num_envs: int, seconds: float) -> dict[str, Any]:
    here = os.getcwd()
    with tempfile.TemporaryDirectory() as scratch:
        os.chdir(scratch)  # importing pufferlib links a `resources` folder into the working directory
        try:
            from pufferlib.ocean.grid.grid import Grid
        except ImportError as err:
            raise SuiteMissing(f"pufferlib's grid binding does not import ({err}): {PUFFERLIB_HINT}") from err
        finally:
            os.chdir(here)
    env = Grid(num_envs=num_envs, render_mode=None)
    env.reset(seed=0)
    k = chunk_steps(num_envs)
    block = np.random.default_rng(0).integers(0, env.single_action_space.n, (k, num_envs))

    def chunk() -> None:
        for actions in block:
            env.step(actions)

    rate = best_window(chunk, k * num_envs, seconds)
    env.close()
    return {"steps_per_s": rate}


# ---------------------------------------------------------------------------- JAX
def scan_steps(num_envs: int) -> int:
    """Steps one ``jit(lax.scan(vmap(step)))`` call runs: ``SCAN_WORK / num_envs``, 16 to 512."""
    return int(min(512, max(16, SCAN_WORK // num_envs)))


def _jax_rollout(
    reset: Callable[[Any], Any],
    step: Callable[[Any, Any], Any],
    num_actions: int,
    num_envs: int,
    seconds: float,
) -> dict[str, Any]:
    """Time ``jit(lax.scan(vmap(step)))``; ``reset(key) -> carry``, ``step(carry, action) -> carry``."""
    import jax
    import jax.numpy as jnp

    steps = scan_steps(num_envs)
    keys = jax.random.split(jax.random.PRNGKey(0), num_envs)
    carry = jax.jit(jax.vmap(reset))(keys)
    rng = np.random.default_rng(0)
    blocks = [jnp.asarray(rng.integers(0, num_actions, (steps, num_envs)), dtype=jnp.int32) for _ in range(2)]
    batched_step = jax.vmap(step)

    def rollout(carry: Any, actions: Any) -> Any:
        def body(c: Any, a: Any) -> tuple[Any, None]:
            return batched_step(c, a), None

        return jax.lax.scan(body, carry, actions)[0]

    start = time.perf_counter()
    compiled = jax.jit(rollout).lower(carry, blocks[0]).compile()
    compile_s = time.perf_counter() - start
    state = {"carry": carry, "i": 0}

    def chunk() -> None:
        state["i"] ^= 1
        state["carry"] = compiled(state["carry"], blocks[state["i"]])
        jax.block_until_ready(state["carry"])

    rate = best_window(chunk, steps * num_envs, seconds)
    return {"steps_per_s": rate, "compile_s": compile_s, "scan_steps": steps}


def navix(num_envs: int, seconds: float) -> dict[str, Any]:
    try:
        import navix as nx
    except ImportError as err:
        raise SuiteMissing(f"navix is not installed: {INSTALL_HINT}") from err
    env = nx.make(NAVIX_ID, max_steps=4 * 16 * 16)  # MiniGrid's time limit for the same room
    n_actions = int(env.action_space.maximum) + 1
    return _jax_rollout(env.reset, env.step, n_actions, num_envs, seconds)


def xland_minigrid(num_envs: int, seconds: float) -> dict[str, Any]:
    try:
        import xminigrid
        from xminigrid.wrappers import GymAutoResetWrapper
    except ImportError as err:
        raise SuiteMissing(f"xminigrid is not installed: {INSTALL_HINT}") from err
    env, params = xminigrid.make(XLAND_ID)
    env = GymAutoResetWrapper(env)
    return _jax_rollout(
        lambda key: env.reset(params, key),
        lambda timestep, action: env.step(params, timestep, action),
        env.num_actions(params),
        num_envs,
        seconds,
    )


def jumanji_maze(num_envs: int, seconds: float) -> dict[str, Any]:
    try:
        import jumanji
        from jumanji.wrappers import AutoResetWrapper
    except ImportError as err:
        raise SuiteMissing(f"jumanji is not installed: {INSTALL_HINT}") from err
    env = AutoResetWrapper(jumanji.make(JUMANJI_ID))
    return _jax_rollout(
        env.reset,
        lambda carry, action: env.step(carry[0], action),
        int(env.action_spec.num_values),
        num_envs,
        seconds,
    )


# name -> (label, what it runs, the env counts it runs at: None for all)
SUITES: dict[str, tuple[str, Callable[[int, float], dict[str, Any]], tuple[int, ...] | None]] = {
    "ours_grid": ("Daedalus-Gym vector, grid", ours_vector("grid"), None),
    "ours_egocentric": ("Daedalus-Gym vector, egocentric", ours_vector("egocentric"), None),
    "ours_grid_inplace": ("Daedalus-Gym vector, grid, copy=False", ours_vector("grid", copy=False), None),
    "ours_single": ("Daedalus-Gym single env, grid (gym.make)", ours_single, (1,)),
    "pufferlib_grid": ("PufferLib Grid (C)", pufferlib_grid, None),
    "navix": ("NAVIX Empty-16x16, jit(scan(vmap))", navix, None),
    "xland_minigrid": ("XLand-MiniGrid Empty-16x16, jit(scan(vmap))", xland_minigrid, None),
    "jumanji_maze": ("Jumanji Maze, jit(scan(vmap))", jumanji_maze, None),
    "minigrid": ("MiniGrid Empty-16x16, SyncVectorEnv", minigrid_sync, None),
}
OURS = ("ours_grid", "ours_egocentric", "ours_grid_inplace", "ours_single")


def versions() -> dict[str, str | None]:
    """The installed version of each suite's library (None: not installed)."""
    from importlib import metadata

    out: dict[str, str | None] = {}
    for dist in ("daedalus-gym", "numpy", "gymnasium", "jax", "jaxlib", "navix", "xminigrid", "jumanji",
                 "minigrid", "pufferlib", "stable-baselines3", "torch"):  # fmt: skip
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = None
    spec = importlib.util.find_spec("pufferlib")
    if out["pufferlib"] is None and spec is not None and spec.origin:
        # A source tree with its grid binding built, not an installed dist; read, not imported
        # (importing it writes into the working directory).
        with open(spec.origin) as f:
            line = next((row for row in f if row.startswith("__version__")), "= 'source tree'")
        out["pufferlib"] = line.split("=", 1)[1].strip().strip("'\"") + " (grid binding from the sdist)"
    return out
