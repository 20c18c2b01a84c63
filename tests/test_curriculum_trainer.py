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
        ({"gamma": 1.5}, r"gamma must be a number in \[0, 1\]"),
        ({"learning_rate": -1.0}, "learning_rate must be a number > 0"),
        ({"novelty_bonus": -0.1}, "novelty_bonus must be a number >= 0"),
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
