"""Rollout fingerprints of every registered id, to pin behaviour across refactors.

Run ``python tests/_record_reference.py`` to (re)write ``tests/data/reference_rollouts.json``;
`tests/test_reference_rollouts.py` replays the same rollouts and compares.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import gymnasium as gym
import numpy as np

import daedalus_gym

PATH = Path(__file__).parent / "data" / "reference_rollouts.json"
SEEDS = (0, 1, 7)
STEPS = 200
NUM_ENVS = 3


def _digest(*arrays: object) -> str:
    h = hashlib.blake2b(digest_size=12)
    for a in arrays:
        h.update(np.ascontiguousarray(np.asarray(a)).tobytes())
    return h.hexdigest()


def single_rollout(env_id: str, seed: int, obs_mode: str = "grid") -> dict[str, object]:
    env = gym.make(env_id, obs_mode=obs_mode)
    obs, info = env.reset(seed=seed)
    hashes, parts = [info["maze_hash"]], [obs]
    actions = np.random.default_rng(seed).integers(0, 4, STEPS)
    for a in actions:
        obs, reward, terminated, truncated, info = env.step(int(a))
        parts += [obs, np.float64(reward), np.bool_(terminated), np.bool_(truncated)]
        if terminated or truncated:
            obs, info = env.reset()
            hashes.append(info["maze_hash"])
            parts.append(obs)
    env.close()
    return {"maze_hashes": hashes, "rollout": _digest(*parts)}


def vector_rollout(env_id: str, seed: int, obs_mode: str = "grid") -> dict[str, object]:
    envs = gym.make_vec(env_id, num_envs=NUM_ENVS, obs_mode=obs_mode)
    obs, info = envs.reset(seed=seed)
    hashes, parts = [list(info["maze_hash"])], [obs]
    actions = np.random.default_rng(seed).integers(0, 4, (STEPS, NUM_ENVS))
    for a in actions:
        obs, reward, terminated, truncated, info = envs.step(a)
        parts += [obs, reward, terminated, truncated]
        hashes.append("|".join(h if h is not None else "" for h in info["maze_hash"]))
    envs.close()
    return {
        "maze_hashes": _digest("/".join(h if isinstance(h, str) else "|".join(h) for h in hashes).encode()),
        "rollout": _digest(*parts),
    }


def generator_batch(name: str, size: int) -> str:
    from generators import make_generator

    kwargs = {"size": size} if name not in ("ae", "vae") else {"size": size, "repair": "perfect"}
    gen = make_generator(name, **kwargs)
    mazes = gen.generate_batch(16, np.random.default_rng(3))
    return _digest(*[m.walls for m in mazes], *[np.array([*m.start, *m.goal]) for m in mazes])


def record() -> dict[str, object]:
    out: dict[str, object] = {}
    for name in ("backtracker", "kruskal", "prim", "wilson", "ae", "vae"):
        for size in (7, 14):
            out[f"generator|{name}|{size}"] = generator_batch(name, size)
    for env_id in daedalus_gym.registered_ids():
        for seed in SEEDS:
            out[f"{env_id}|single|grid|{seed}"] = single_rollout(env_id, seed)
            out[f"{env_id}|vector|grid|{seed}"] = vector_rollout(env_id, seed)
        for mode in ("egocentric", "rgb"):
            out[f"{env_id}|single|{mode}|0"] = single_rollout(env_id, 0, mode)
            out[f"{env_id}|vector|{mode}|0"] = vector_rollout(env_id, 0, mode)
    return out


if __name__ == "__main__":
    PATH.parent.mkdir(parents=True, exist_ok=True)
    PATH.write_text(json.dumps(record(), indent=1, sort_keys=True) + "\n")
    print(f"wrote {PATH}")
