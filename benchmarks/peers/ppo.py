"""End-to-end PPO throughput: env-steps per second of training, environment and learner together.

- **SB3 on Daedalus-Gym**: Stable-Baselines3 ``PPO("MlpPolicy")`` on the native vector env
  (``obs_mode="egocentric"``, same-step autoreset), through `GymnasiumVecEnv`.
- **SB3 on MiniGrid**: the same PPO on ``MiniGrid-Empty-16x16-v0`` in gymnasium's
  ``SyncVectorEnv`` (``ImgObsWrapper``: the 7x7x3 view), through the same adapter.
  Both: the same MLP (two hidden layers of 64), ``n_envs``, ``n_steps``, ``batch_size`` and
  ``n_epochs``.
- **CleanRL-style PPO on Daedalus-Gym**: `daedalus_gym.curriculum.trainer.train`, the
  package's single-file PPO on the native vector env (same hidden size), with fresh levels
  every rollout (``"dr"``).

Every run is single-threaded in torch (``torch.set_num_threads(1)``, what `train` and
`daedalus_gym.agents.train_ppo` do), on the CPU, and counts every step it trained on over the
whole run's wall time (the first rollout included).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from benchmarks.peers.suites import INSTALL_HINT, MINIGRID_ID, OURS_ID, SuiteMissing

SB3 = {"n_envs": 16, "n_steps": 128, "batch_size": 512, "n_epochs": 4, "hidden": (64, 64)}


def _vec_env_class() -> type:
    try:
        from stable_baselines3.common.vec_env import VecEnv
    except ImportError as err:
        raise SuiteMissing(f"stable-baselines3 is not installed: {INSTALL_HINT}") from err

    class GymnasiumVecEnv(VecEnv):
        """An SB3 ``VecEnv`` over a gymnasium ``VectorEnv`` in ``SAME_STEP`` autoreset mode.

        SB3 wants the finished sub-env's last observation in ``infos[i]["terminal_observation"]``
        and its first new one in the returned batch: same-step autoreset gives exactly that.
        """

        def __init__(self, envs: Any) -> None:
            self.envs = envs
            super().__init__(envs.num_envs, envs.single_observation_space, envs.single_action_space)
            self._actions: np.ndarray | None = None

        def reset(self) -> np.ndarray:
            seed = self._seeds[0] if self._seeds and self._seeds[0] is not None else None
            obs, _ = self.envs.reset(seed=seed)
            self._reset_seeds()
            return obs

        def step_async(self, actions: np.ndarray) -> None:
            self._actions = actions

        def step_wait(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[dict[str, Any]]]:
            obs, rewards, terminated, truncated, info = self.envs.step(self._actions)
            dones = terminated | truncated
            infos: list[dict[str, Any]] = [{} for _ in range(self.num_envs)]
            for i in np.flatnonzero(dones).tolist():
                infos[i]["terminal_observation"] = info["final_obs"][i]
                infos[i]["TimeLimit.truncated"] = bool(truncated[i] and not terminated[i])
            return obs, rewards.astype(np.float32), dones, infos

        def close(self) -> None:
            self.envs.close()

        def get_attr(self, attr_name: str, indices: Any = None) -> list[Any]:
            return [getattr(self.envs, attr_name)] * len(self._get_indices(indices))

        def set_attr(self, attr_name: str, value: Any, indices: Any = None) -> None:
            setattr(self.envs, attr_name, value)

        def env_method(self, method_name: str, *args: Any, indices: Any = None, **kwargs: Any) -> list[Any]:
            raise NotImplementedError(f"{method_name}: a batched env has no per-sub-env methods")

        def env_is_wrapped(self, wrapper_class: type, indices: Any = None) -> list[bool]:
            return [False] * len(self._get_indices(indices))

    return GymnasiumVecEnv


def _sb3_rate(envs: Any, rollouts: int, seed: int = 0) -> float:
    import torch
    from stable_baselines3 import PPO

    torch.set_num_threads(1)
    vec_env = _vec_env_class()(envs)
    vec_env.seed(seed)
    model = PPO(
        "MlpPolicy",
        vec_env,
        n_steps=SB3["n_steps"],
        batch_size=SB3["batch_size"],
        n_epochs=SB3["n_epochs"],
        policy_kwargs={"net_arch": list(SB3["hidden"])},
        seed=seed,
        device="cpu",
    )
    steps = rollouts * SB3["n_envs"] * SB3["n_steps"]
    start = time.perf_counter()
    model.learn(total_timesteps=steps)
    elapsed = time.perf_counter() - start
    vec_env.close()
    return model.num_timesteps / elapsed


def sb3_ours(rollouts: int) -> dict[str, Any]:
    import gymnasium as gym

    import daedalus_gym  # noqa: F401

    envs = gym.make_vec(
        OURS_ID,
        SB3["n_envs"],
        vectorization_mode="vector_entry_point",
        obs_mode="egocentric",
        autoreset_mode="SameStep",
    )
    return {"steps_per_s": _sb3_rate(envs, rollouts), **SB3}


def sb3_minigrid(rollouts: int) -> dict[str, Any]:
    try:
        import minigrid  # noqa: F401
        from minigrid.wrappers import ImgObsWrapper
    except ImportError as err:
        raise SuiteMissing(f"minigrid is not installed: {INSTALL_HINT}") from err
    import gymnasium as gym
    from gymnasium.vector import AutoresetMode

    envs = gym.make_vec(
        MINIGRID_ID,
        SB3["n_envs"],
        vectorization_mode="sync",
        wrappers=[ImgObsWrapper],
        vector_kwargs={"autoreset_mode": AutoresetMode.SAME_STEP},
    )
    return {"steps_per_s": _sb3_rate(envs, rollouts), **SB3}


def cleanrl_ours(rollouts: int, num_envs: int = 32, rollout_steps: int = 512) -> dict[str, Any]:
    from daedalus_gym.curriculum import make_sampler
    from daedalus_gym.curriculum.trainer import PPOSettings, train
    from generators import make_generator

    settings = PPOSettings(
        num_envs=num_envs,
        rollout_steps=rollout_steps,
        total_steps=rollouts * num_envs * rollout_steps,
        eval_every=rollouts,
    )
    sampler = make_sampler("dr", make_generator("backtracker", size=settings.size), np.random.default_rng(0))
    result = train(sampler, settings, seed=0)
    return {
        "steps_per_s": result.env_steps / result.seconds,
        "n_envs": num_envs,
        "n_steps": rollout_steps,
        "minibatches": settings.minibatches,
        "n_epochs": settings.epochs,
        "hidden": (settings.hidden, settings.hidden),
    }


# name -> (label, run(quick) -> result)
RUNS = {
    "sb3_ours": (
        "SB3 PPO on Daedalus-Gym (native vector env, egocentric)",
        lambda quick: sb3_ours(4 if quick else 16),
    ),
    "sb3_minigrid": (
        "SB3 PPO on MiniGrid-Empty-16x16 (SyncVectorEnv)",
        lambda quick: sb3_minigrid(4 if quick else 16),
    ),
    "cleanrl_ours": (
        "CleanRL-style PPO on Daedalus-Gym (`curriculum.trainer.train`, 32 envs)",
        lambda quick: cleanrl_ours(2 if quick else 6),
    ),
    "cleanrl_ours_256": (
        "CleanRL-style PPO on Daedalus-Gym (`curriculum.trainer.train`, 256 envs)",
        lambda quick: cleanrl_ours(2 if quick else 6, num_envs=256, rollout_steps=128),
    ),
}
