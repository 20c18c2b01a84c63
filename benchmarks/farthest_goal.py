"""``python -m benchmarks.farthest_goal``: how fast envs whose goal is the farthest cell serve mazes.

A 256-env backtracker vector env with ``generator_kwargs={"goal": "farthest"}``: mazes/s over
100 resets in a row (each reset serves 256 fresh mazes from the env's pool, refilled as it
empties), and the single env's median ``reset()`` over 300 resets. Placing the goal is a
breadth-first search over every open square of each maze.
"""

from __future__ import annotations

import argparse
import time

import gymnasium as gym

import daedalus_gym  # noqa: F401 -- registers the ids
from benchmarks.speed.measure import median_reset_ms


def main(argv: list[str] | None = None) -> int:
    # No options: a parser still answers --help and refuses what it does not know.
    argparse.ArgumentParser(description=__doc__.split("\n\n")[0]).parse_args(argv)
    kwargs = {"generator_kwargs": {"goal": "farthest"}}
    envs = gym.make_vec("Daedalus-Backtracker-v0", 256, vectorization_mode="vector_entry_point", **kwargs)
    envs.reset(seed=0)
    start = time.perf_counter()
    for _ in range(100):
        envs.reset()
    seconds = (time.perf_counter() - start) / 100
    print(f"vector env, 256 sub-envs: {seconds * 1e3:.1f} ms a reset ({256 / seconds:,.0f} mazes/s)")
    env = gym.make("Daedalus-Backtracker-v0", **kwargs)
    print(f"single env: median reset {median_reset_ms(env, 300):.2f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
