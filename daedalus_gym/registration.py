"""Every environment id in one table.

Ids name what they serve: ``Daedalus-<Generator>[-<h>x<w>]-v<N>``. Kwargs are plain JSON (the
generator is given by name) so specs serialise. Bump ``-vN`` whenever what an id serves changes.

An id's generator settings are registered as ``default_generator_kwargs``, not as
``generator_kwargs``: ``gym.make`` replaces a registered kwarg wholesale, and the env merges the
caller's ``generator_kwargs`` over the id's, so a partial dict keeps the id's size. The time
limit is the spec's ``max_episode_steps`` (Gymnasium's ``TimeLimit``; ``gym.make_vec`` hands it to
the vector env), the one limit per id.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym

from daedalus_gym.core import step_budget

ENTRY_POINT = "daedalus_gym.env:MazeEnv"
VECTOR_ENTRY_POINT = "daedalus_gym.vector_env:MazeVectorEnv"  # what gym.make_vec builds natively

DEFAULT_SIZE = 14  # cells a side: the blog's 28x28 maze, our 29x29 grid
SIZED_VARIANTS = (7, 28)

CLASSICAL = {
    "Backtracker": "backtracker",
    "Kruskal": "kruskal",
    "Prim": "prim",
    "Wilson": "wilson",
}

# Learned generators: the shipped 14x14 models, repaired with "perfect" (always a perfect maze,
# the closest spanning tree to what the decoder drew; "connect" and None are env kwargs away).
LEARNED = {
    "AE": "ae",
    "VAE": "vae",
}
# Sizes with a model trained at that size (``generators/pretrained/vae-7x7.safetensors``, ...).
LEARNED_SIZED_VARIANTS: dict[str, tuple[int, ...]] = {"vae": SIZED_VARIANTS, "ae": SIZED_VARIANTS}


def time_limit_for(size: int) -> int:
    """An id's ``max_episode_steps`` for ``size x size`` cells (see `MazeEnv`)."""
    return step_budget((2 * size + 1, 2 * size + 1))


def env_specs() -> list[dict[str, Any]]:
    """The registration table: a list of ``gym.register`` keyword dicts."""
    specs: list[dict[str, Any]] = []
    for title, name in CLASSICAL.items():
        for size, suffix in [(DEFAULT_SIZE, ""), *((s, f"-{s}x{s}") for s in SIZED_VARIANTS)]:
            specs.append(
                {
                    "id": f"Daedalus-{title}{suffix}-v0",
                    "kwargs": {"generator": name, "default_generator_kwargs": {"size": size}},
                    "max_episode_steps": time_limit_for(size),
                }
            )
    for title, name in LEARNED.items():
        sizes = [(DEFAULT_SIZE, "")]
        sizes += [(s, f"-{s}x{s}") for s in LEARNED_SIZED_VARIANTS.get(name, ())]
        for size, suffix in sizes:
            specs.append(
                {
                    "id": f"Daedalus-{title}{suffix}-v0",
                    "kwargs": {
                        "generator": name,
                        "default_generator_kwargs": {"size": size, "repair": "perfect"},
                    },
                    "max_episode_steps": time_limit_for(size),
                }
            )
    return specs


def register_envs() -> None:
    """Register every id (idempotent)."""
    for spec in env_specs():
        if spec["id"] in gym.registry:
            continue
        gym.register(entry_point=ENTRY_POINT, vector_entry_point=VECTOR_ENTRY_POINT, **spec)


def registered_ids() -> list[str]:
    """Every ``Daedalus-*`` id in the gymnasium registry."""
    return sorted(env_id for env_id in gym.registry if env_id.startswith("Daedalus-"))
