"""Curricula in stable-baselines3: `LevelWrapper` and `CurriculumCallback`."""

from __future__ import annotations

import numpy as np
import pytest
import torch

pytest.importorskip("stable_baselines3")
from stable_baselines3 import PPO
from stable_baselines3.common.env_util import make_vec_env

from daedalus_gym.curriculum import Assignment, LevelSampler, RolloutStats, make_sampler
from daedalus_gym.curriculum.sb3 import CurriculumCallback, LevelWrapper
from daedalus_gym.wrappers import LastActionObs
from generators import make_generator

pytestmark = pytest.mark.slow  # every test trains an SB3 model


class Recording(LevelSampler):
    """Fresh backtracker levels each rollout; remembers what it handed out and was told."""

    name = "recording"
    kinds = ("new",)

    def __init__(self, update_policy: bool) -> None:
        super().__init__(make_generator("backtracker", size=7), np.random.default_rng(0))
        self.update_policy, self.handed, self.stats = update_policy, [], []

    def _next_levels(self, n: int) -> Assignment:
        mazes = tuple(self.generator.generate_batch(n, self.rng))
        self.handed.append(mazes)
        return Assignment(mazes, np.full(n, -1, dtype=np.int64), self.update_policy, "new")

    def _update(self, assignment: Assignment, stats: RolloutStats) -> None:
        self.stats.append(stats)

    def _summary(self) -> dict[str, float]:
        return {}


def vec_env(n: int = 2):
    return make_vec_env(
        "Daedalus-Backtracker-7x7-v0",
        n_envs=n,
        seed=0,
        env_kwargs={"obs_mode": "egocentric"},
        wrapper_class=lambda e: LevelWrapper(LastActionObs(e)),
    )


def model(env, seed: int = 0) -> PPO:
    return PPO("MlpPolicy", env, n_steps=32, batch_size=32, n_epochs=1, seed=seed, device="cpu")


def test_each_env_replays_its_level_and_the_sampler_hears_back():
    env = vec_env()
    sampler = Recording(update_policy=True)
    callback = CurriculumCallback(sampler)
    model(env).learn(128, callback=callback)
    assert len(sampler.stats) == 2 and len(sampler.handed) == 3  # one assignment ahead
    # The envs now hold the last assignment's levels, whatever episodes ended meanwhile.
    assert [e.unwrapped.maze for e in env.envs] == list(sampler.handed[-1])
    assert all(s.positive_value_loss.shape == (2,) and (s.solved <= s.episodes).all() for s in sampler.stats)


def test_a_scoring_rollout_does_not_move_the_weights():
    scoring = model(vec_env())
    before = [p.detach().clone() for p in scoring.policy.parameters()]
    scoring.learn(32, callback=CurriculumCallback(Recording(update_policy=False)))
    assert all(torch.equal(a, b) for a, b in zip(before, scoring.policy.parameters(), strict=True))
    training = model(vec_env())
    before = [p.detach().clone() for p in training.policy.parameters()]
    training.learn(32, callback=CurriculumCallback(Recording(update_policy=True)))
    assert not all(torch.equal(a, b) for a, b in zip(before, training.policy.parameters(), strict=True))


def test_plr_runs_inside_sb3():
    sampler = make_sampler("plr", make_generator("backtracker", size=7), np.random.default_rng(0), capacity=4)
    model(vec_env()).learn(192, callback=CurriculumCallback(sampler))  # 3 rollouts of 2 x 32 steps
    assert sampler.summary()["rollouts"] == 3 and sampler.summary()["buffer_size"] >= 2


def test_clear_errors():
    with pytest.raises(TypeError, match="sampler must be a LevelSampler"):
        CurriculumCallback("plr")
    plain = make_vec_env("Daedalus-Backtracker-7x7-v0", n_envs=2, env_kwargs={"obs_mode": "egocentric"})
    with pytest.raises(TypeError, match=r"every env wrapped in LevelWrapper.*\[0, 1\]"):
        PPO("MlpPolicy", plain, n_steps=32, device="cpu").learn(
            32, callback=CurriculumCallback(Recording(True))
        )
    with pytest.raises(TypeError, match=r"level must be a generators\.Maze or None"):
        LevelWrapper(vec_env(1).envs[0]).set_level("maze")


def test_level_wrapper_needs_a_maze_env_and_levels_of_its_shape():
    import gymnasium as gym

    with pytest.raises(TypeError, match=r"env must be a Daedalus maze env.*CartPoleEnv"):
        LevelWrapper(gym.make("CartPole-v1"))
    wrapper = LevelWrapper(gym.make("Daedalus-Backtracker-7x7-v0"))
    wrong = make_generator("backtracker", size=5).generate(np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"level has shape \(11, 11\), this env plays \(15, 15\)"):
        wrapper.set_level(wrong)
    assert wrapper.level is None  # the refused level is not kept
    with pytest.raises(ValueError, match=r"verbose must be an int >= 0, got 'x' \(str\)"):
        CurriculumCallback(Recording(True), verbose="x")


def test_a_generator_of_another_size_is_refused_before_any_level_is_set():
    env = vec_env()
    sampler = make_sampler("dr", make_generator("backtracker", size=5), np.random.default_rng(0))
    with pytest.raises(
        ValueError, match=r"makes mazes of shape \(11, 11\), but the envs play \[\(15, 15\)\]"
    ):
        model(env).learn(32, callback=CurriculumCallback(sampler))
    assert sampler.pending is None and all(e.level is None for e in env.envs)
    model(env).learn(32, callback=CurriculumCallback(Recording(True)))  # the envs still train


def test_learn_again_plays_the_levels_handed_out_after_the_last_rollout():
    sampler = Recording(update_policy=True)
    callback = CurriculumCallback(sampler)
    ppo = model(vec_env())
    ppo.learn(32, callback=callback)
    waiting = sampler.pending
    ppo.learn(32, callback=callback, reset_num_timesteps=False)
    assert len(sampler.stats) == 2 and sampler.handed[1] == waiting.mazes  # played, not skipped
    ppo.learn(32, callback=CurriculumCallback(sampler))  # a new callback on the same sampler
    assert len(sampler.stats) == 3
