"""Agents that play a `MazeEnv`: three baselines and a loader for trained PPO policies.

The interface is two methods::

    agent.reset(seed)            # a new episode starts; seed drives the agent's own randomness
    action = agent.act(obs, info)

and two attributes that say what environment the agent needs:

- ``env_kwargs``: extra ``gym.make`` keywords (the PPO policy asks for ``obs_mode="egocentric"``).
- ``privileged``: the agent reads the true state, ``info["maze"]`` (a `generators.Maze`) and
  ``info["agent_pos"]`` (``(row, col)``), which `daedalus_gym.wrappers.MazeStateInfo` adds.
  Baselines that plan on the map (oracle) or track walls (wall follower) are privileged;
  learning agents are not.

`make_agent_env` builds the environment an agent asks for, so a benchmark never has to know.
Agents are named by spec strings: ``random``, ``wall-follower``, ``left-wall-follower``,
``oracle`` and ``ppo:FILE`` (`make_agent`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np

from daedalus_gym.wrappers import MazeStateInfo, last_action_features
from generators import Maze
from generators.maze import MOVES

N_ACTIONS = 4
RL_HINT = 'pip install "daedalus-gym[rl]"'

# Attribute under which `save_ppo` stores how a PPO model sees the env (saved inside the SB3 zip).
PPO_META_KEY = "daedalus_meta"


class Agent(ABC):
    """A policy for `MazeEnv`'s ``Discrete(4)`` actions (0 up, 1 right, 2 down, 3 left)."""

    name: str = "agent"
    privileged: ClassVar[bool] = False

    @property
    def env_kwargs(self) -> dict[str, Any]:
        """Extra ``gym.make`` keywords the agent needs (none by default)."""
        return {}

    def reset(self, seed: int | None = None) -> None:  # noqa: B027 - stateless agents keep the default
        """Start a new episode. ``seed`` seeds the agent's own randomness (if it has any)."""

    @abstractmethod
    def act(self, obs: Any, info: dict[str, Any]) -> int:
        """The action to take given the latest observation and info."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"


class RandomAgent(Agent):
    """Uniformly random actions from its own `numpy.random.Generator`."""

    name = "random"

    def __init__(self) -> None:
        self._rng = np.random.default_rng()

    def reset(self, seed: int | None = None) -> None:
        self._rng = np.random.default_rng(seed)

    def act(self, obs: Any, info: dict[str, Any]) -> int:
        return int(self._rng.integers(N_ACTIONS))


def _maze_and_pos(info: dict[str, Any], agent: Agent) -> tuple[Maze, tuple[int, int]]:
    try:
        return info["maze"], info["agent_pos"]
    except KeyError:
        raise KeyError(
            f"{agent.name} is privileged: it needs info['maze'] and info['agent_pos']; "
            "wrap the env with daedalus_gym.wrappers.MazeStateInfo (make_agent_env does)"
        ) from None


class WallFollowerAgent(Agent):
    """The right-hand rule (or left-hand with ``hand="left"``).

    Keeps a heading; each step it turns towards the wall-side hand if it can, else goes straight,
    else turns away, else turns back, and moves. In a perfect maze (a spanning tree) this walks
    the tree's outline, so it reaches every cell, the goal included, in at most ``2 * (n - 1)``
    moves for ``n`` open squares. In mazes with loops it can circle an island forever; the step
    limit ends those episodes. Privileged: it reads the walls and its position from ``info``.
    """

    privileged = True

    def __init__(self, hand: str = "right") -> None:
        if hand not in ("right", "left"):
            raise ValueError(f"hand must be 'right' or 'left', got {hand!r}")
        self.hand = hand
        self.name = "wall-follower" if hand == "right" else "left-wall-follower"
        # Turn order relative to the heading: towards the hand, straight, away, back.
        self._turns = (1, 0, 3, 2) if hand == "right" else (3, 0, 1, 2)
        self._heading = 0

    def reset(self, seed: int | None = None) -> None:
        self._heading = 0  # "up": from a top-left start, the first move is right, else down

    def act(self, obs: Any, info: dict[str, Any]) -> int:
        maze, (row, col) = _maze_and_pos(info, self)
        for turn in self._turns:
            direction = (self._heading + turn) % N_ACTIONS
            d_row, d_col = MOVES[direction]
            if not maze.walls[row + d_row, col + d_col]:
                self._heading = direction
                return direction
        return self._heading  # boxed in on all four sides: nothing helps


class OracleAgent(Agent):
    """Follows a shortest path (networkx BFS distances to the goal): success 1, SPL 1.

    Privileged: it reads the maze and its position from ``info``.
    """

    name = "oracle"
    privileged = True

    def __init__(self) -> None:
        self._maze: Maze | None = None
        self._dist: dict[tuple[int, int], int] = {}

    def act(self, obs: Any, info: dict[str, Any]) -> int:
        maze, (row, col) = _maze_and_pos(info, self)
        if maze is not self._maze:
            self._maze, self._dist = maze, maze.distances_to_goal()
        here = self._dist.get((row, col))
        if here is None:
            raise ValueError(f"oracle: the goal {maze.goal} is unreachable from {(row, col)}")
        for direction, (d_row, d_col) in enumerate(MOVES.tolist()):
            if self._dist.get((row + d_row, col + d_col)) == here - 1:
                return direction
        raise ValueError(f"oracle: no neighbour of {(row, col)} is closer to the goal {maze.goal}")


class PPOAgent(Agent):
    """A stable-baselines3 PPO policy saved by `save_ppo` (``daedalus-gym train-agent ppo`` does).

    The file records how the policy sees the env (observation mode, window size, last-action
    features); the agent asks `make_agent_env` for the same observation and adds the last-action
    features itself. ``deterministic=True`` takes the most likely action; otherwise actions are
    sampled from the policy with the agent's own seeded rng (reproducible, unlike SB3's torch
    sampling).
    """

    def __init__(self, path: str | Path, deterministic: bool = True) -> None:
        try:
            from stable_baselines3 import PPO
        except ImportError as err:
            raise ImportError(f"PPO agents need stable-baselines3: {RL_HINT}") from err
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"no PPO model at {path}")
        meta, custom_objects = _pickle_free_objects(path)
        self.model = PPO.load(path, device="cpu", custom_objects=custom_objects)
        self.meta: dict[str, Any] = meta
        self.last_action_features = bool(meta["last_action"])
        self.deterministic = deterministic
        self.name = f"ppo:{path}"
        self._last_action: int | None = None
        self._rng = np.random.default_rng()

    @property
    def env_kwargs(self) -> dict[str, Any]:
        return dict(self.meta["env_kwargs"])

    def reset(self, seed: int | None = None) -> None:
        self._last_action = None
        self._rng = np.random.default_rng(seed)

    def act(self, obs: Any, info: dict[str, Any]) -> int:
        import torch

        features = last_action_features(obs, self._last_action) if self.last_action_features else obs
        policy = self.model.policy
        with torch.no_grad():
            obs_tensor, _ = policy.obs_to_tensor(features)
            probs = policy.get_distribution(obs_tensor).distribution.probs[0].numpy()
        if self.deterministic:
            action = int(np.argmax(probs))
        else:
            action = int(self._rng.choice(N_ACTIONS, p=probs / probs.sum()))
        self._last_action = action
        return action


def _pickle_free_objects(path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """What `PPO.load` needs so that it unpickles nothing: the model's meta and ``custom_objects``.

    An SB3 zip stores some attributes (spaces, policy class, schedules, buffers) as cloudpickle,
    which would run code from the file on load. Every such attribute is replaced here by an
    object rebuilt from plain data: the spaces from the env the model was trained on (recorded in
    its meta), the policy and buffer classes from SB3 itself, the schedules as constants (this
    agent only plays; it never trains), and training-only state as ``None``. Tensors are read by
    SB3 with ``torch.load(weights_only=True)``.
    """
    import json
    import re
    import zipfile

    from stable_baselines3.common.buffers import RolloutBuffer
    from stable_baselines3.common.policies import ActorCriticPolicy

    try:
        from stable_baselines3.common.utils import FloatSchedule as schedule
    except ImportError:  # stable-baselines3 before FloatSchedule
        from stable_baselines3.common.utils import get_schedule_fn as schedule

    from daedalus_gym.wrappers import LastActionObs

    try:
        with zipfile.ZipFile(path) as archive:
            data = json.loads(archive.read("data"))
    except (zipfile.BadZipFile, KeyError, json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ValueError(f"{path} is not a stable-baselines3 model file ({err})") from None
    meta = data.get(PPO_META_KEY) if isinstance(data, dict) else None
    if not isinstance(meta, dict) or not {"env_id", "env_kwargs", "last_action"} <= set(meta):
        raise ValueError(f"{path} was not written by 'daedalus-gym train-agent ppo' (no {PPO_META_KEY!r})")
    policy = str(data.get("policy_class", {}).get("__init__", ""))
    if "ActorCriticPolicy.__init__" not in policy:
        raise ValueError(f"{path}: expected an ActorCriticPolicy (MlpPolicy) model, got {policy[:80]!r}")

    import daedalus_gym  # noqa: F401  (registers the ids)

    env = gym.make(meta["env_id"], **meta["env_kwargs"])
    if meta["last_action"]:
        env = LastActionObs(env)

    def constant(name: str, default: float) -> Callable[[float], float]:
        found = re.search(r"val=([-+0-9.eE]+)", json.dumps(data.get(name, {})))
        return schedule(float(found.group(1)) if found else default)

    custom = {key: None for key, item in data.items() if isinstance(item, dict) and ":serialized:" in item}
    custom.update(
        policy_class=ActorCriticPolicy,
        observation_space=env.observation_space,
        action_space=env.action_space,
        rollout_buffer_class=RolloutBuffer,
        lr_schedule=constant("lr_schedule", float(data.get("learning_rate", 0.0))),
        clip_range=constant("clip_range", 0.2),
    )
    env.close()
    return meta, custom


def save_ppo(
    model: Any,
    path: str | Path,
    *,
    env_id: str,
    env_kwargs: dict[str, Any],
    train_levels: tuple[int, int],
    last_action: bool = True,
    **extra: Any,
) -> Path:
    """Save an SB3 PPO model with what `PPOAgent` needs to play it (inside the same zip).

    Args:
        model: a trained ``stable_baselines3.PPO``.
        env_id: the id it trained on.
        env_kwargs: the ``gym.make`` keywords of its observation, e.g. ``{"obs_mode": "egocentric"}``.
        train_levels: ``(start_level, num_levels)`` it trained on.
        last_action: whether it saw `LastActionObs` features.
        extra: further JSON-serialisable notes (steps, seed, hyperparameters).
    """
    meta = {
        "format": 1,
        "env_id": env_id,
        "env_kwargs": dict(env_kwargs),
        "last_action": last_action,
        "train_levels": list(train_levels),
        **extra,
    }
    # SB3 saves an algorithm's extra attributes with its data and restores them on load.
    setattr(model, PPO_META_KEY, meta)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    model.save(path)
    return path


AGENTS: dict[str, Callable[[], Agent]] = {
    "random": RandomAgent,
    "wall-follower": WallFollowerAgent,
    "left-wall-follower": lambda: WallFollowerAgent(hand="left"),
    "oracle": OracleAgent,
}


def make_agent(spec: str) -> Agent:
    """Build an agent from its spec: a name in `AGENTS`, ``ppo:FILE`` or ``ppo-sample:FILE``
    (the PPO policy with sampled rather than most-likely actions)."""
    if spec in AGENTS:
        return AGENTS[spec]()
    kind, sep, path = spec.partition(":")
    if sep and kind in ("ppo", "ppo-sample") and path:
        agent = PPOAgent(path, deterministic=kind == "ppo")
        agent.name = spec
        return agent
    raise ValueError(
        f"unknown agent {spec!r}; expected one of {', '.join(AGENTS)}, ppo:FILE or ppo-sample:FILE"
    )


def make_agent_env(agent: Agent, env_id: str, **make_kwargs: Any) -> gym.Env:
    """``gym.make(env_id)`` with what ``agent`` needs: its ``env_kwargs`` and, for a privileged
    agent, the `MazeStateInfo` wrapper. ``make_kwargs`` (e.g. ``render_mode``) pass through."""
    env = gym.make(env_id, **{**agent.env_kwargs, **make_kwargs})
    if agent.privileged:
        env = MazeStateInfo(env)
    return env
