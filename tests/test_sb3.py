"""stable-baselines3 takes every registered id as is: its checker is silent, its policies build,
and `daedalus_gym.sb3.MazeCNN` reads the default image."""

from __future__ import annotations

import json
import warnings

import gymnasium as gym
import numpy as np
import pytest

import daedalus_gym

pytest.importorskip("stable_baselines3")
import torch
from stable_baselines3 import PPO
from stable_baselines3.common.env_checker import check_env
from stable_baselines3.common.preprocessing import is_image_space, is_image_space_channels_first

from daedalus_gym.sb3 import MazeCNN, square_tile
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


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_image_obs_is_a_channels_last_image_maze_cnn_reads(env_id):
    env = gym.make(env_id, obs_mode="image")
    space = env.observation_space
    assert is_image_space(space, check_channels=True) and not is_image_space_channels_first(space)
    height, width, _ = space.shape
    assert square_tile(height, width) == env.unwrapped.settings.obs_tile_size
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_env(env, warn=True)
    assert [str(w.message) for w in caught] == []


def test_cnn_policies_train_on_the_image_obs():
    env = gym.make("Daedalus-Backtracker-7x7-v0", obs_mode="image")
    for policy_kwargs in ({}, {"features_extractor_class": MazeCNN}):  # NatureCNN, then MazeCNN
        model = PPO(
            "CnnPolicy",
            env,
            n_steps=64,
            batch_size=32,
            n_epochs=1,
            seed=0,
            device="cpu",
            policy_kwargs=policy_kwargs,
        )
        model.learn(total_timesteps=64)
        obs, _ = env.reset(seed=0)
        action, _ = model.predict(obs, deterministic=True)
        assert env.action_space.contains(int(np.asarray(action)))


def test_maze_cnn_reads_squares_exactly_once():
    model = PPO(
        "CnnPolicy",
        gym.make("Daedalus-Backtracker-7x7-v0", obs_mode="image"),
        device="cpu",
        policy_kwargs={"features_extractor_class": MazeCNN},
    )
    first = model.policy.features_extractor.cnn[0]
    assert first.kernel_size == first.stride == (3, 3)  # 15 x 15 squares of 3 x 3 pixels


def test_maze_cnn_needs_the_tile_of_an_image_it_cannot_read():
    with pytest.raises(ValueError, match="60x60"):
        MazeCNN(gym.spaces.Box(0, 255, (3, 60, 60), np.uint8))
    rgb = gym.make("Daedalus-Backtracker-7x7-v0", obs_mode="rgb")  # 60 x 60: 4 pixels a square
    model = PPO(
        "CnnPolicy",
        rgb,
        device="cpu",
        policy_kwargs={"features_extractor_class": MazeCNN, "features_extractor_kwargs": {"tile": 4}},
    )
    assert model.policy.features_extractor.tile == 4
    with pytest.raises(ValueError, match="tile must divide"):
        MazeCNN(gym.spaces.Box(0, 255, (3, 60, 60), np.uint8), tile=7)


@pytest.mark.slow  # trains
@pytest.mark.parametrize("obs_mode", ["grid", "egocentric"])
def test_ppo_mlp_policy_runs_on_grid_and_egocentric_obs(obs_mode):
    env = gym.make("Daedalus-Backtracker-7x7-v0", obs_mode=obs_mode)
    model = PPO("MlpPolicy", env, n_steps=64, batch_size=32, n_epochs=1, seed=0, device="cpu")
    model.learn(total_timesteps=64)
    obs, _ = env.reset(seed=0)
    action, _ = model.predict(obs, deterministic=True)
    assert env.action_space.contains(int(np.asarray(action)))


def test_maze_cnn_takes_stacked_frames_and_reads_the_newest():
    from stable_baselines3.common.vec_env import DummyVecEnv, VecFrameStack

    env = VecFrameStack(
        DummyVecEnv([lambda: gym.make("Daedalus-Backtracker-7x7-v0", obs_mode="image")] * 2), 2
    )
    model = PPO("CnnPolicy", env, n_steps=32, batch_size=32, n_epochs=1, seed=0, device="cpu",
                policy_kwargs={"features_extractor_class": MazeCNN})  # fmt: skip
    model.learn(total_timesteps=64)
    extractor = model.policy.features_extractor
    assert extractor.cnn[0].in_channels == 6
    env.reset()
    stacked = env.step(np.array([1, 2]))[0]  # the older frame is the first image, not zeros
    obs = torch.as_tensor(stacked).permute(0, 3, 1, 2).float() / 255
    older = obs.clone()
    older[:, :3] = 0  # the older frame changes, the newest frame's agent and goal stay where they are
    assert extractor(obs).shape == (2, 128)
    assert not torch.equal(extractor(obs), extractor(older))
    with pytest.raises(ValueError, match="4 channels"):
        MazeCNN(gym.spaces.Box(0, 255, (4, 45, 45), np.uint8))


def test_sb3_image_benchmark_trains_and_reports_held_out_success(tmp_path, capsys):
    from benchmarks.sb3_image import main

    out = tmp_path / "run.json"
    argv = ["--steps", "320", "--envs", "2", "--n-steps", "16", "--batch-size", "32", "--eval-episodes", "6"]
    argv += ["--num-levels", "50", "--threads", "1"]
    main([*argv, "--json", str(out)])
    record = json.loads(out.read_text())
    result = record["result"]
    assert result["episodes"] == 6 and 0 <= result["successes"] <= 6
    assert result["success_low"] <= result["success_rate"] <= result["success_high"]
    assert [point["steps"] for point in record["curve"]] == sorted(
        point["steps"] for point in record["curve"]
    )
    assert record["settings"]["frames"] == 2 and "held-out success" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("height", "width", "match"), [(45.0, 45, "height"), (45, 0, "width"), (True, 45, "height")]
)
def test_square_tile_refuses_sides_that_are_not_ints(height, width, match):
    with pytest.raises(
        ValueError, match=rf"{match} must be an int >= 1, got {(height if match == 'height' else width)!r}"
    ):
        square_tile(height, width)


def test_maze_cnn_refuses_images_that_are_not_maze_grids():
    with pytest.raises(ValueError, match=r"got 0 channels \(shape \(0, 45, 45\)\)"):
        MazeCNN(gym.spaces.Box(0, 255, (0, 45, 45), np.uint8))
    with pytest.raises(ValueError, match=r"shape \(45, 45, 3\) looks channels last"):
        MazeCNN(gym.spaces.Box(0, 255, (45, 45, 3), np.uint8))
    with pytest.raises(ValueError, match=r"grid of odd sides, got 15 \(4x4 squares\)"):
        MazeCNN(gym.spaces.Box(0, 255, (3, 60, 60), np.uint8), tile=15)


@pytest.mark.parametrize("size", [4, (4, 1), (1, 4), 7])
def test_square_tile_reads_only_grids_a_maze_can_have(size):
    """A 36-pixel side is 9 squares of 4, 3 of 12 or 1 of 36; a maze grid has at least 3 squares
    a side and is never 3 x 3, so the tile is the env's own."""
    env = gym.make("Daedalus-Backtracker-v0", generator_kwargs={"size": size})
    height, width, _ = env.observation_space.shape
    tile = env.unwrapped.settings.obs_tile_size
    assert square_tile(height, width) == tile
    extractor = MazeCNN(gym.spaces.Box(0, 255, (3, height, width), np.uint8))
    assert extractor.tile == tile
    assert extractor.cnn[0].kernel_size == extractor.cnn[0].stride == (tile, tile)
    env.close()
