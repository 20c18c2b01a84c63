"""Speed benchmarks: how fast Daedalus-Gym steps, resets and makes mazes, beside its peers.

One run measures everything and prints one table (markdown), and can write it with the raw
numbers (JSON) and plots (PNG). From the repository root::

    python -m benchmarks.speed [--quick] [--out DIR]

Sections: single env through ``gym.make`` beside MiniGrid; the native vector env for
``num_envs`` 1..4096 and every observation mode; batched generation per generator beside
mazelib; VAE decode + repair (when the ``vae`` generator is registered); memory per env; and
cost against maze size from 7x7 to 128x128 cells. The peers (MiniGrid, mazelib) and matplotlib
come from the ``bench`` extra: ``pip install -e ".[bench]"``; a missing peer leaves its column
empty rather than failing the run.

Modules: `measure` (timers, machine description), `peers` (MiniGrid and mazelib, imported
lazily), `suite` (the measurements), `report` (table, JSON, plots), ``__main__`` (the command).
"""

from benchmarks.speed.suite import run_suite

__all__ = ["run_suite"]
