"""The curriculum trainer: PPO on the native vector env, one sampler-chosen level per env."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from daedalus_gym.curriculum import Assignment, LevelSampler, RolloutStats, make_sampler
from daedalus_gym.curriculum.trainer import Agent, PPOSettings, train
from generators import Maze, make_generator

TINY = {
    "size": 7,
    "num_envs": 4,
    "rollout_steps": 32,
    "max_episode_steps": 32,
    "total_steps": 512,
    "eval_every": 2,
}


def easy_level() -> Maze:
    """A 7x7-cell lattice maze whose goal is the start's right-hand neighbour cell (2 steps)."""
    maze = make_generator("backtracker", size=7).generate(np.random.default_rng(0))
    walls = maze.walls.copy()
    walls[1, 2] = False  # open the passage to the right of the start
    return Maze(walls, (1, 1), (1, 3))


class Fixed(LevelSampler):
    """Hands out the same levels every rollout and records what the trainer reports."""

    name = "fixed"

    def __init__(self, mazes: list[Maze], update_policy: bool = True) -> None:
        self.mazes, self.update_policy, self.seen = tuple(mazes), update_policy, []

    def next_levels(self, n: int) -> Assignment:
        mazes = self.mazes[:n]
        return Assignment(mazes, np.full(len(mazes), -1, dtype=np.int64), self.update_policy, "new")

    def update(self, assignment: Assignment, stats: RolloutStats) -> None:
        self.seen.append(stats)

    def summary(self) -> dict[str, float]:
        return {}

    def _next_levels(self, n: int) -> Assignment:  # pragma: no cover - next_levels is overridden
        raise NotImplementedError

    def _update(self, assignment: Assignment, stats: RolloutStats) -> None:  # pragma: no cover
        raise NotImplementedError


def weights(agent: Agent) -> list[torch.Tensor]:
    return [p.detach().clone() for p in agent.parameters()]


@pytest.mark.slow  # trains
def test_same_seed_same_run():
    runs = []
    for _ in range(2):
        sampler = make_sampler(
            "plr", make_generator("backtracker", size=7), np.random.default_rng(1), capacity=8
        )
        runs.append(train(sampler, PPOSettings(**TINY), seed=3))
    assert [p["train_success"] for p in runs[0].curve] == pytest.approx(
        [p["train_success"] for p in runs[1].curve], nan_ok=True
    )
    assert all(torch.equal(a, b) for a, b in zip(weights(runs[0].agent), weights(runs[1].agent), strict=True))
    assert runs[0].env_steps == 512 and runs[0].updates == runs[1].updates


@pytest.mark.slow  # trains
def test_each_env_plays_its_own_level_for_the_whole_rollout():
    hard = make_generator("backtracker", size=7).generate_batch(3, np.random.default_rng(5))
    sampler = Fixed([easy_level(), *hard])
    settings = {**TINY, "rollout_steps": 128, "max_episode_steps": 128, "total_steps": 1024}
    train(sampler, PPOSettings(**settings), seed=0)
    for stats in sampler.seen:
        # The easy level is solved in every episode of the rollout: each episode replays it (an
        # autoreset into the env's own mazes would time out on a corner goal 24+ steps away).
        assert stats.solved[0] >= 2 and stats.solved[0] == stats.episodes[0]
        assert stats.episodes[1:].min() >= 1
        assert np.isfinite(stats.max_return[0]) and stats.positive_value_loss.shape == (4,)


@pytest.mark.slow  # trains
def test_scoring_rollouts_take_no_gradient_step():
    sampler = Fixed(make_generator("backtracker", size=7).generate_batch(4, np.random.default_rng(0)), False)
    result = train(sampler, PPOSettings(**TINY), seed=0)
    torch.manual_seed(0)  # train() seeds torch with its seed before building the agent
    fresh = Agent(5, 64)
    assert result.updates == 0 and len(sampler.seen) == 4
    assert all(torch.equal(a, b) for a, b in zip(weights(result.agent), weights(fresh), strict=True))


def test_levels_of_the_wrong_size_are_refused():
    sampler = Fixed(make_generator("backtracker", size=9).generate_batch(4, np.random.default_rng(0)))
    with pytest.raises(ValueError, match=r"level of shape \(19, 19\); the envs play \(15, 15\)"):
        train(sampler, PPOSettings(**TINY), seed=0)
    with pytest.raises(ValueError, match="handed out 2 levels for 4 envs"):
        train(Fixed([easy_level()] * 2), PPOSettings(**TINY), seed=0)


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"num_envs": 0}, "num_envs must be an int >= 1"),
        ({"view_size": 4}, "view_size must be odd"),
        ({"gamma": 1.5}, r"gamma must be a finite number in \[0.0, 1.0\], got 1.5"),
        ({"learning_rate": -1.0}, r"learning_rate must be a finite number in \(0.0, inf\), got -1.0"),
        ({"novelty_bonus": -0.1}, r"novelty_bonus must be a finite number in \[0.0, inf\), got -0.1"),
        ({"minibatches": 5}, r"must be a multiple of minibatches \(5\)"),
    ],
)
def test_bad_settings(change, match):
    with pytest.raises(ValueError, match=match):
        PPOSettings(**{**TINY, **change})


def test_greedy_policy_reads_the_previous_action():
    agent = Agent(5, 64)
    obs = np.zeros((2, 5, 5, 2), dtype=np.int8)
    x = Agent.features(obs, np.array([-1, 2]))
    assert x.shape == (2, 54) and x[0, 50:].sum() == 0 and x[1, 52] == 1 and x[1, 50:].sum() == 1
    assert agent.greedy(obs, np.array([-1, 2])).shape == (2,)


@pytest.mark.parametrize(
    ("change", "error", "match"),
    [
        ({"entropy": float("nan")}, ValueError, r"entropy must be a finite number in \[0.0, inf\), got nan"),
        ({"value_coef": -1.0}, ValueError, r"value_coef must be a finite number in \[0.0, inf\), got -1.0"),
        ({"value_coef": "3"}, TypeError, "value_coef must be a real number, got str '3'"),
        ({"clip": float("inf")}, ValueError, r"clip must be a finite number in \(0.0, inf\), got inf"),
        ({"max_grad_norm": 0}, ValueError, r"max_grad_norm must be a finite number in \(0.0, inf\), got 0"),
        ({"learning_rate": True}, TypeError, "learning_rate must be a real number, got bool True"),
        ({"gamma": True}, TypeError, "gamma must be a real number, got bool True"),
        ({"hidden": True}, TypeError, "hidden must be an int, got bool True"),
        ({"epochs": 2.0}, TypeError, "epochs must be an int, got float 2.0"),
        ({"size": 1}, ValueError, r"size must be an int in \[2, 1024\], got 1"),
        ({"view_size": 1}, ValueError, "view_size must be an int >= 3, got 1"),
    ],
)
def test_bad_settings_name_the_value_and_range(change, error, match):
    with pytest.raises(error, match=match):
        PPOSettings(**{**TINY, **change})


def test_numpy_settings_are_stored_as_plain_numbers():
    import json

    from daedalus_gym.curriculum.trainer import settings_dict

    settings = PPOSettings(**{**TINY, "num_envs": np.int64(4), "gamma": np.float32(0.5)})
    assert type(settings.num_envs) is int and type(settings.gamma) is float and settings.gamma == 0.5
    json.dumps(settings_dict(settings))  # JSON-ready


def test_train_refuses_arguments_of_the_wrong_kind():
    settings = PPOSettings(**TINY)
    sampler = make_sampler("dr", make_generator("backtracker", size=7), np.random.default_rng(0))
    with pytest.raises(TypeError, match=r"sampler must be a LevelSampler \(make_sampler\(...\)\), got 'plr'"):
        train("plr", settings, seed=0)
    with pytest.raises(TypeError, match=r"settings must be a PPOSettings, got \{'size': 7\} \(dict\)"):
        train(sampler, {"size": 7}, seed=0)
    with pytest.raises(TypeError, match=r"evaluate must be callable or None, got 3 \(int\)"):
        train(sampler, settings, seed=0, evaluate=3)
    with pytest.raises(TypeError, match=r"log must be callable or None, got 'x' \(str\)"):
        train(sampler, settings, seed=0, log="x")
    assert sampler.pending is None  # refused before any level was handed out


def test_a_generator_of_another_size_is_refused_before_any_level_is_handed_out():
    sampler = make_sampler("plr", make_generator("backtracker", size=9), np.random.default_rng(0), capacity=8)
    with pytest.raises(
        ValueError, match=r"makes mazes of shape \(19, 19\), but settings.size=7 envs play \(15, 15\)"
    ):
        train(sampler, PPOSettings(**TINY), seed=0)
    assert sampler.pending is None and sampler.summary()["rollouts"] == 0


def test_evaluate_must_return_named_numbers():
    sampler = make_sampler("dr", make_generator("backtracker", size=7), np.random.default_rng(0))
    small = {**TINY, "rollout_steps": 8, "max_episode_steps": 8, "total_steps": 32, "eval_every": 1}
    with pytest.raises(
        TypeError, match=r"evaluate must return a dict of names to numbers, got \[1\] \(list\)"
    ):
        train(sampler, PPOSettings(**small), seed=0, evaluate=lambda agent: [1])


def test_train_leaves_the_global_torch_state_alone():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    sampler = make_sampler("dr", make_generator("backtracker", size=7), np.random.default_rng(0))
    small = {**TINY, "rollout_steps": 8, "max_episode_steps": 8, "total_steps": 32}
    train(sampler, PPOSettings(**small), seed=0)
    assert torch.equal(torch.rand(3), expected)
