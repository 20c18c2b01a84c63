"""The async vector env with a learned generator, under the default (fork) start method."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

SCRIPT = textwrap.dedent(
    """
    import gymnasium as gym
    import numpy as np

    import daedalus_gym  # noqa: F401  (registers the ids)

    # The parent loads the model (and so uses torch's thread pool) before it forks the workers,
    # which used to wait forever on that pool.
    env = gym.make_vec("Daedalus-{id}-v0", num_envs=2, vectorization_mode="async")
    obs, info = env.reset(seed=0)
    env.step(np.zeros(2, dtype=np.int64))
    env.close()
    print("done")
    """
)


@pytest.mark.slow
@pytest.mark.parametrize("env_id", ["VAE", "AE"])
def test_async_vector_env_with_learned_generators_does_not_hang(env_id):
    # In a subprocess with a timeout: a hang fails the test instead of stalling the run.
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT.format(id=env_id)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().endswith("done")


def test_forked_children_of_a_learned_generator_decode_on_one_thread():
    """The cause of the hang, checked directly: after ``fork`` torch's OpenMP pool is unusable, so
    importing the learned generators sets one torch thread in every forked child."""
    import multiprocessing as mp

    import generators.learned  # noqa: F401  (registers the at-fork hook)

    ctx = mp.get_context("fork")
    with ctx.Pool(1) as pool:
        threads = pool.apply(_torch_threads)
    assert threads == 1


def _torch_threads() -> int:
    import torch

    return torch.get_num_threads()
