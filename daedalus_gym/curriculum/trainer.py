"""PPO on the native vector env, with a level sampler choosing every env's level.

A single-file PPO in the style of CleanRL, written for curricula as JaxUED's maze examples run
them: each rollout assigns one level to every env (`LevelSampler.next_levels`), each env replays
its level whenever an episode ends, and after the rollout the sampler reads what the rollout
measured per env (`RolloutStats`: positive value loss, mean value, best return, episodes solved)
and the policy takes a PPO step unless the sampler said the rollout only scores levels.

Training adds `NoveltyBonus`'s shaping (``novelty_bonus`` for each square first visited in an
episode): the goal reward alone is too sparse to learn from at 14x14 cells. Returns, success and
every score the sampler reads come from the same shaped reward; the zero-shot evaluation plays
without it.

An episode ends at the goal (terminated) or after ``max_episode_steps`` (truncated), and GAE
treats both ends alike: no bootstrap from the value of the episode's last observation, as
CleanRL's ``ppo.py`` does (``done = terminated or truncated``) and as JaxUED's maze does (its
time-out is part of ``done``), so the value targets and the positive value loss the samplers
read are theirs. Stable-Baselines3 instead bootstraps a truncated episode from the value of its
last observation. Until the agent solves its levels, most episodes end by truncation: at the
default 512-step limit on 14x14-cell mazes, nearly all of the first rollouts'. The learning rate is
constant and the value loss unclipped (Stable-Baselines3's defaults; CleanRL anneals the one and
clips the other).

The agent sees the egocentric window (``obs_mode="egocentric"``) and a one-hot of its previous
action (what `LastActionObs` gives a single env), through two small MLPs (actor and critic). It
runs on the CPU with one torch thread, so runs of several seeds can share a machine.

Same ``seed`` -> same levels, same rollouts, same weights: torch, the sampler's rng and the
env's streams are all seeded from it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from numbers import Real
from typing import Any

import numpy as np
import torch
from torch import nn

from daedalus_gym.core import check_int as check_seed_int
from daedalus_gym.core import describe
from daedalus_gym.curriculum.base import Assignment, LevelSampler, RolloutStats
from daedalus_gym.vector_env import MazeVectorEnv
from generators import Maze, MazeArrays
from generators.base import MAX_CELLS_PER_SIDE, check_int, check_real

N_ACTIONS = 4


@dataclass(frozen=True)
class PPOSettings:
    """PPO hyperparameters and the env the agent trains in.

    The defaults train a 14x14-cell maze agent on 2 CPU cores; ``rollout_steps`` equals the time
    limit, so every env finishes at least one episode of its level in every rollout.
    """

    size: int = 14  # cells per side of the training mazes
    num_envs: int = 32
    rollout_steps: int = 512
    max_episode_steps: int = 512
    total_steps: int = 3_000_000  # env steps, scoring-only rollouts included
    view_size: int = 5
    hidden: int = 64
    learning_rate: float = 3e-4
    gamma: float = 0.99
    gae_lambda: float = 0.95
    clip: float = 0.2
    epochs: int = 4
    minibatches: int = 4
    entropy: float = 0.01
    novelty_bonus: float = 0.01  # reward for a square first visited in an episode (`NoveltyBonus`)
    value_coef: float = 0.5
    max_grad_norm: float = 0.5
    eval_every: int = 10  # rollouts between curve points

    def __post_init__(self) -> None:
        # Each setting checked and stored as a plain int or float (a numpy scalar becomes one, so
        # `settings_dict` stays JSON-ready); a bool is neither.
        ints = {
            "size": (2, MAX_CELLS_PER_SIDE),
            "num_envs": (1, None),
            "rollout_steps": (1, None),
            "max_episode_steps": (1, None),
            "total_steps": (1, None),
            "view_size": (3, None),
            "hidden": (1, None),
            "epochs": (1, None),
            "minibatches": (1, None),
            "eval_every": (1, None),
        }
        for name, (low, high) in ints.items():
            object.__setattr__(self, name, check_int(getattr(self, name), name, low, high))
        if self.view_size % 2 == 0:
            raise ValueError(f"view_size must be odd, got {self.view_size}")
        reals = {  # name: (low, high, low_open)
            "learning_rate": (0.0, math.inf, True),
            "clip": (0.0, math.inf, True),
            "max_grad_norm": (0.0, math.inf, True),
            "gamma": (0.0, 1.0, False),
            "gae_lambda": (0.0, 1.0, False),
            "entropy": (0.0, math.inf, False),
            "novelty_bonus": (0.0, math.inf, False),
            "value_coef": (0.0, math.inf, False),
        }
        for name, (low, high, low_open) in reals.items():
            value = check_real(
                getattr(self, name), name, low, high, low_open=low_open, high_open=high == math.inf
            )
            object.__setattr__(self, name, value)
        if (self.num_envs * self.rollout_steps) % self.minibatches:
            raise ValueError(
                f"num_envs * rollout_steps ({self.num_envs * self.rollout_steps}) must be a multiple of "
                f"minibatches ({self.minibatches})"
            )


class Agent(nn.Module):
    """Actor and critic MLPs over the egocentric window plus a one-hot of the previous action."""

    def __init__(self, view_size: int = 5, hidden: int = 64) -> None:
        super().__init__()
        self.view_size = view_size
        inputs = view_size * view_size * 2 + N_ACTIONS

        def mlp(out: int, gain: float) -> nn.Sequential:
            layers = [
                nn.Linear(inputs, hidden),
                nn.Tanh(),
                nn.Linear(hidden, hidden),
                nn.Tanh(),
                nn.Linear(hidden, out),
            ]
            for layer in layers:
                if isinstance(layer, nn.Linear):
                    nn.init.orthogonal_(layer.weight, np.sqrt(2))
                    nn.init.zeros_(layer.bias)
            nn.init.orthogonal_(layers[-1].weight, gain)
            return nn.Sequential(*layers)

        self.actor = mlp(N_ACTIONS, 0.01)
        self.critic = mlp(1, 1.0)

    @staticmethod
    def features(obs: np.ndarray, prev_action: np.ndarray) -> torch.Tensor:
        """``float32[B, k*k*2 + 4]`` from egocentric ``obs: int8[B, k, k, 2]`` and ``prev_action:
        int[B]`` (-1 on an episode's first step: no action slot set)."""
        batch = len(obs)
        out = np.zeros((batch, obs[0].size + N_ACTIONS), dtype=np.float32)
        out[:, : obs[0].size] = obs.reshape(batch, -1)
        moved = prev_action >= 0
        out[np.flatnonzero(moved), obs[0].size + prev_action[moved]] = 1.0
        return torch.from_numpy(out)

    def value(self, x: torch.Tensor) -> torch.Tensor:
        return self.critic(x).squeeze(-1)

    def act(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Sampled actions, their log-probabilities and the values of ``x``."""
        dist = torch.distributions.Categorical(logits=self.actor(x))
        action = dist.sample()
        return action, dist.log_prob(action), self.value(x)

    def greedy(self, obs: np.ndarray, prev_action: np.ndarray) -> np.ndarray:
        """The most likely action for each observation."""
        with torch.no_grad():
            return self.actor(self.features(obs, prev_action)).argmax(-1).numpy()

    def sampler(self, seed: int) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
        """The policy itself, actions drawn from it with a torch generator seeded by ``seed``: the
        policy a zero-shot evaluation plays (a memoryless greedy policy can loop forever where a
        sampled one walks out)."""
        generator = torch.Generator().manual_seed(check_seed_int(seed, "seed", minimum=0))

        def act(obs: np.ndarray, prev_action: np.ndarray) -> np.ndarray:
            with torch.no_grad():
                probs = torch.softmax(self.actor(self.features(obs, prev_action)), -1)
                return torch.multinomial(probs, 1, generator=generator).squeeze(-1).numpy()

        return act


@dataclass
class TrainResult:
    """What a training run leaves: the agent, its learning curve and a few totals."""

    agent: Agent
    curve: list[dict[str, float]] = field(default_factory=list)
    env_steps: int = 0
    updates: int = 0
    seconds: float = 0.0
    sampler_seconds: float = 0.0


def _rollout_stats(
    advantages: np.ndarray,
    values: np.ndarray,
    episode_returns: list[list[float]],
    solved: np.ndarray,
    episodes: np.ndarray,
) -> RolloutStats:
    max_return = np.array([max(r) if r else np.nan for r in episode_returns], dtype=np.float64)
    return RolloutStats(
        positive_value_loss=np.maximum(advantages, 0.0).mean(axis=0).astype(np.float64),
        mean_value=values.mean(axis=0).astype(np.float64),
        max_return=max_return,
        solved=solved.copy(),
        episodes=episodes.copy(),
    )


def train(
    sampler: LevelSampler,
    settings: PPOSettings,
    seed: int,
    evaluate: Callable[[Agent], dict[str, float]] | None = None,
    log: Callable[[dict[str, float]], None] | None = None,
) -> TrainResult:
    """Train a PPO agent on the levels ``sampler`` hands out, for ``settings.total_steps`` steps.

    Torch's global random state is the same after the run as before it: the run draws from its
    own copy, seeded with ``seed``.

    Args:
        sampler: chooses each rollout's levels (its mazes must be ``settings.size`` cells a side).
        settings: PPO and env settings.
        seed: seeds torch and the env, an int ``>= 0``; the sampler brings its own seeded rng.
        evaluate: called every ``settings.eval_every`` rollouts and at the end with the agent;
            its numbers (a dict of names to numbers) join the learning curve (e.g. success on a
            few held-out levels).
        log: receives every curve point as it is made.

    Raises:
        TypeError: ``sampler`` is not a `LevelSampler`, ``settings`` not a `PPOSettings`, or
            ``evaluate`` or ``log`` not callable (or ``evaluate`` returns no dict of numbers).
        ValueError: a bad ``seed``, or a sampler whose generator makes mazes of another size.
    """
    if not isinstance(sampler, LevelSampler):
        raise TypeError(f"sampler must be a LevelSampler (make_sampler(...)), got {describe(sampler)}")
    if not isinstance(settings, PPOSettings):
        raise TypeError(f"settings must be a PPOSettings, got {describe(settings)}")
    seed = check_seed_int(seed, "seed", minimum=0)
    for name, value in (("evaluate", evaluate), ("log", log)):
        if value is not None and not callable(value):
            raise TypeError(f"{name} must be callable or None, got {describe(value)}")
    grid = (2 * settings.size + 1, 2 * settings.size + 1)
    generator = getattr(sampler, "generator", None)
    shape = getattr(generator, "shape", None)
    if shape is not None and tuple(shape) != grid:
        # Checked before the sampler hands out anything, so that it is not left waiting for the
        # scores of levels no env can play.
        raise ValueError(
            f"the sampler's generator makes mazes of shape {tuple(shape)}, but settings.size="
            f"{settings.size} envs play {grid}; build the generator with size={settings.size}"
        )
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return _train(sampler, settings, seed, evaluate, log)


def _train(
    sampler: LevelSampler,
    settings: PPOSettings,
    seed: int,
    evaluate: Callable[[Agent], dict[str, float]] | None,
    log: Callable[[dict[str, float]], None] | None,
) -> TrainResult:
    s = settings
    n, steps = s.num_envs, s.rollout_steps
    envs = MazeVectorEnv(
        n,
        generator_kwargs={"size": s.size},
        obs_mode="egocentric",
        view_size=s.view_size,
        max_episode_steps=s.max_episode_steps,
    )
    agent = Agent(s.view_size, s.hidden)
    optimizer = torch.optim.Adam(agent.parameters(), lr=s.learning_rate, eps=1e-5)
    result = TrainResult(agent)
    rng = np.random.default_rng(seed)
    env_seed: int | None = int(rng.integers(2**31))
    start = time.perf_counter()
    rollouts = 0
    train_solved = train_episodes = 0

    obs_buf = np.zeros((steps, n, s.view_size, s.view_size, 2), dtype=np.int8)
    prev_buf = np.zeros((steps, n), dtype=np.int64)
    act_buf = np.zeros((steps, n), dtype=np.int64)
    logp_buf = np.zeros((steps, n), dtype=np.float32)
    val_buf = np.zeros((steps, n), dtype=np.float32)
    rew_buf = np.zeros((steps, n), dtype=np.float32)
    done_buf = np.zeros((steps, n), dtype=np.float32)

    while result.env_steps < s.total_steps:
        t0 = time.perf_counter()
        assignment = sampler.next_levels(n)
        result.sampler_seconds += time.perf_counter() - t0
        _check_assignment(assignment, n, (2 * s.size + 1, 2 * s.size + 1))
        levels = MazeArrays.of(assignment.mazes)
        obs, _ = envs.reset(seed=env_seed, options={"level": levels})
        env_seed = None  # seeded once; later resets continue the streams
        prev = np.full(n, -1, dtype=np.int64)
        height, width = 2 * s.size + 1, 2 * s.size + 1
        visited = np.zeros((n, height * width), dtype=bool)
        rows = np.arange(n)
        pos = envs.agent_pos
        visited[rows, pos[:, 0] * width + pos[:, 1]] = True
        episode_return = np.zeros(n, dtype=np.float64)
        episode_returns: list[list[float]] = [[] for _ in range(n)]
        solved = np.zeros(n, dtype=np.int64)
        episodes = np.zeros(n, dtype=np.int64)
        with torch.no_grad():
            for t in range(steps):
                x = Agent.features(obs, prev)
                action, logp, value = agent.act(x)
                actions = action.numpy()
                obs_buf[t], prev_buf[t], act_buf[t] = obs, prev, actions
                logp_buf[t], val_buf[t] = logp.numpy(), value.numpy()
                obs, reward, terminated, truncated, _ = envs.step(actions)
                done = terminated | truncated
                if s.novelty_bonus:
                    pos = envs.agent_pos
                    square = pos[:, 0] * width + pos[:, 1]
                    new = ~visited[rows, square]
                    visited[rows, square] = True
                    reward = reward + s.novelty_bonus * new
                rew_buf[t], done_buf[t] = reward, done
                episode_return += reward
                prev = actions.copy()
                if done.any():
                    ended = np.flatnonzero(done)
                    solved[ended] += terminated[ended]
                    episodes[ended] += 1
                    for i in ended.tolist():
                        episode_returns[i].append(float(episode_return[i]))
                    episode_return[ended] = 0.0
                    prev[ended] = -1
                    # Each env replays its own level: no autoreset into the env's pool.
                    obs, _ = envs.reset(options={"reset_mask": done, "level": levels.take(ended)})
                    visited[ended] = False
                    pos = envs.agent_pos[ended]
                    visited[ended, pos[:, 0] * width + pos[:, 1]] = True
            last_value = agent.value(Agent.features(obs, prev)).numpy()

        advantages = np.zeros((steps, n), dtype=np.float32)
        gae = np.zeros(n, dtype=np.float32)
        for t in reversed(range(steps)):
            next_value = last_value if t == steps - 1 else val_buf[t + 1]
            alive = 1.0 - done_buf[t]
            delta = rew_buf[t] + s.gamma * next_value * alive - val_buf[t]
            gae = delta + s.gamma * s.gae_lambda * alive * gae
            advantages[t] = gae
        returns = advantages + val_buf

        t0 = time.perf_counter()
        sampler.update(assignment, _rollout_stats(advantages, val_buf, episode_returns, solved, episodes))
        result.sampler_seconds += time.perf_counter() - t0
        result.env_steps += steps * n
        rollouts += 1

        if assignment.update_policy:
            train_solved += int(solved.sum())
            train_episodes += int(episodes.sum())
            _ppo_update(agent, optimizer, s, obs_buf, prev_buf, act_buf, logp_buf, advantages, returns)
            result.updates += 1

        if rollouts % s.eval_every == 0 or result.env_steps >= s.total_steps:
            point = {
                "env_steps": float(result.env_steps),
                "updates": float(result.updates),
                "seconds": time.perf_counter() - start,
                "train_success": train_solved / train_episodes if train_episodes else float("nan"),
                **{f"sampler_{k}": float(v) for k, v in sampler.summary().items()},
            }
            train_solved = train_episodes = 0
            if evaluate is not None:
                point.update(_check_evaluation(evaluate(agent)))
            result.curve.append(point)
            if log is not None:
                log(point)
    result.seconds = time.perf_counter() - start
    envs.close()
    return result


def _check_evaluation(numbers: object) -> dict[str, float]:
    """``evaluate``'s result: a dict of str names to real numbers (NaN allowed: nothing measured)."""
    if not isinstance(numbers, Mapping):
        raise TypeError(f"evaluate must return a dict of names to numbers, got {describe(numbers)}")
    for key, value in numbers.items():
        if not isinstance(key, str) or isinstance(value, (bool, np.bool_)) or not isinstance(value, Real):
            raise TypeError(
                f"evaluate must return a dict of str names to numbers, got {key!r}: {describe(value)}"
            )
    return {key: float(value) for key, value in numbers.items()}


def _check_assignment(assignment: Assignment, n: int, shape: tuple[int, int]) -> None:
    if len(assignment.mazes) != n:
        raise ValueError(f"the sampler handed out {len(assignment.mazes)} levels for {n} envs")
    if isinstance(assignment.mazes, MazeArrays):
        if assignment.mazes.shape != shape:
            raise ValueError(
                f"the sampler handed out levels of shape {assignment.mazes.shape}; the envs play {shape}"
            )
        return
    for maze in assignment.mazes:
        if not isinstance(maze, Maze) or maze.shape != shape:
            got = maze.shape if isinstance(maze, Maze) else type(maze).__name__
            raise ValueError(f"the sampler handed out a level of shape {got}; the envs play {shape}")


def _ppo_update(
    agent: Agent,
    optimizer: torch.optim.Optimizer,
    s: PPOSettings,
    obs: np.ndarray,
    prev: np.ndarray,
    actions: np.ndarray,
    logp: np.ndarray,
    advantages: np.ndarray,
    returns: np.ndarray,
) -> None:
    total = obs.shape[0] * obs.shape[1]
    x = Agent.features(obs.reshape(total, *obs.shape[2:]), prev.reshape(total))
    a = torch.from_numpy(actions.reshape(total))
    old_logp = torch.from_numpy(logp.reshape(total))
    adv = torch.from_numpy(advantages.reshape(total))
    ret = torch.from_numpy(returns.reshape(total))
    size = total // s.minibatches
    for _ in range(s.epochs):
        order = torch.randperm(total)
        for k in range(s.minibatches):
            idx = order[k * size : (k + 1) * size]
            dist = torch.distributions.Categorical(logits=agent.actor(x[idx]))
            new_logp = dist.log_prob(a[idx])
            ratio = (new_logp - old_logp[idx]).exp()
            mb_adv = adv[idx]
            mb_adv = (mb_adv - mb_adv.mean()) / (mb_adv.std() + 1e-8)
            policy_loss = torch.max(-mb_adv * ratio, -mb_adv * ratio.clamp(1 - s.clip, 1 + s.clip)).mean()
            value_loss = 0.5 * (agent.value(x[idx]) - ret[idx]).pow(2).mean()
            loss = policy_loss + s.value_coef * value_loss - s.entropy * dist.entropy().mean()
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(agent.parameters(), s.max_grad_norm)
            optimizer.step()


def settings_dict(settings: PPOSettings) -> dict[str, Any]:
    """The settings as plain JSON-ready values."""
    return asdict(settings)
