"""stable-baselines3 takes every registered id as is: its checker is silent, its policies build."""

from __future__ import annotations

import warnings

import gymnasium as gym
import numpy as np
import pytest

import daedalus_gym

pytest.importorskip("stable_baselines3")
from stable_baselines3 import PPO
from stable_baselines3.common.env_checker import check_env

from daedalus_gym.wrappers import LastActionObs

ENV_IDS = daedalus_gym.registered_ids()


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_sb3_check_env_default_obs_no_warnings(env_id):
    env = gym.make(env_id)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_env(env.unwrapped, warn=True)
        check_env(env, warn=True)
    assert [str(w.message) for w in caught] == []
    env.close()


def test_sb3_check_env_ppo_observation():
    env = LastActionObs(gym.make("Daedalus-Backtracker-7x7-v0", obs_mode="egocentric"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_env(env, warn=True)
    assert [str(w.message) for w in caught] == []


@pytest.mark.slow  # trains
@pytest.mark.parametrize("obs_mode", ["grid", "egocentric"])
def test_ppo_mlp_policy_runs_on_default_and_egocentric_obs(obs_mode):
    env = gym.make("Daedalus-Backtracker-7x7-v0", obs_mode=obs_mode)
    model = PPO("MlpPolicy", env, n_steps=64, batch_size=32, n_epochs=1, seed=0, device="cpu")
    model.learn(total_timesteps=64)
    obs, _ = env.reset(seed=0)
    action, _ = model.predict(obs, deterministic=True)
    assert env.action_space.contains(int(np.asarray(action)))
