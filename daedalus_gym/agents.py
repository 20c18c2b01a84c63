"""Agents that play a `MazeEnv`: three baselines and a loader for stable-baselines3 policies.

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
``oracle``, and ``ppo:FILE`` / ``a2c:FILE`` / ``dqn:FILE`` for an SB3 model file (`make_agent`).
"""

from __future__ import annotations

import sys
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import gymnasium as gym
import numpy as np

from daedalus_gym.wrappers import MazeStateInfo, last_action_features
from generators import Maze
from generators.maze import MOVES

if TYPE_CHECKING:
    from daedalus_gym.splits import LevelRange

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

    It starts with its hand on a wall: heading "up" unless the three squares it would turn
    through towards its hand (beside it, diagonally behind it, behind it) are all open, as in an
    open room, where turning towards the hand at every step circles that patch of floor and
    touches no wall. Then it takes the first heading, turning away from its hand, with a wall
    among those three squares, and with no wall around it at all it walks straight until it has
    one. The squares outside the grid count as walls. On the canonical lattice the first heading
    is always "up": a pillar is always among the three.
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
        self._on_wall = False

    def reset(self, seed: int | None = None) -> None:
        self._heading = 0  # "up": from a top-left start, the first move is right, else down
        self._on_wall = False

    def act(self, obs: Any, info: dict[str, Any]) -> int:
        maze, (row, col) = _maze_and_pos(info, self)
        walls = maze.walls
        if not self._on_wall:
            heading = self._hand_on_wall(walls, row, col)
            if heading is None:  # no wall in reach: straight on until there is one
                return self._heading
            self._heading, self._on_wall = heading, True
        for turn in self._turns:
            direction = (self._heading + turn) % N_ACTIONS
            d_row, d_col = MOVES[direction]
            if not _is_wall(walls, row + d_row, col + d_col):
                self._heading = direction
                return direction
        return self._heading  # boxed in on all four sides: nothing helps

    def _hand_on_wall(self, walls: np.ndarray, row: int, col: int) -> int | None:
        """The first heading from the current one, turning away from the hand, with a wall beside,
        diagonally behind or behind it on the hand's side; ``None`` if no heading has one."""
        towards, away = self._turns[0], self._turns[2]
        for k in range(N_ACTIONS):
            heading = (self._heading + k * away) % N_ACTIONS
            side, back = MOVES[(heading + towards) % N_ACTIONS], MOVES[(heading + 2) % N_ACTIONS]
            for d_row, d_col in (side, side + back, back):
                if _is_wall(walls, row + d_row, col + d_col):
                    return heading
        return None


def _is_wall(walls: np.ndarray, row: int, col: int) -> bool:
    """Whether square ``(row, col)`` is a wall; outside the grid counts as one."""
    height, width = walls.shape
    return not (0 <= row < height and 0 <= col < width) or bool(walls[row, col])


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


# SB3 algorithms an agent file may hold, by the name in a spec (``ppo:FILE``, ``dqn:FILE``...).
SB3_ALGOS = ("ppo", "a2c", "dqn")
TRUST_PICKLE_WHY = (
    "loading it unpickles Python objects stored in the file, which can run any code; "
    "pass --trust-pickle (trust_pickle=True) only for a file from a source you trust"
)


class SB3Agent(Agent):
    """A stable-baselines3 policy (PPO, A2C or DQN) from a saved ``.zip``.

    A model saved by `save_ppo` (``daedalus-gym train-agent ppo`` does) loads without
    unpickling anything: its file records how the policy sees the env (a registered
    ``Daedalus-*`` id, observation keywords, last-action features), and the spaces are rebuilt
    from that env (`_pickle_free_objects`). Any other SB3 zip stores its spaces and classes as
    cloudpickle, which runs code from the file; it loads only with ``trust_pickle=True``, and then
    plays the env as made (pass the observation keywords it was trained with, e.g.
    ``env_kwargs={"obs_mode": "egocentric"}``; a mismatch is an error at `make_agent_env`).

    ``deterministic=True`` takes the most likely action; otherwise actions are sampled from the
    policy with the agent's own seeded rng (reproducible, unlike SB3's torch sampling; DQN, which
    has no action distribution, always acts greedily).
    """

    def __init__(
        self, path: str | Path, deterministic: bool = True, algo: str = "ppo", trust_pickle: bool = False
    ) -> None:
        try:
            import stable_baselines3
        except ImportError as err:
            raise ImportError(f"SB3 agents need stable-baselines3: {RL_HINT}") from err
        if algo not in SB3_ALGOS:
            raise ValueError(f"algo must be one of {SB3_ALGOS}, got {algo!r}")
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"no SB3 model at {path}")
        data = _read_data(path)
        meta = data.get(PPO_META_KEY)
        found = _algo_of(data, path)
        if found.lower() != algo:
            raise ValueError(
                f"{path} holds an SB3 {found} model, not {algo.upper()}: name it {found.lower()}:{path}"
            )
        cls = getattr(stable_baselines3, found)
        if meta is not None:
            meta, custom_objects = _pickle_free_objects(path, data)
            self.model = _load(cls, path, custom_objects)
        elif trust_pickle:
            meta = {"env_kwargs": {}, "last_action": False}
            self.model = _load(cls, path, None)
        else:
            raise ValueError(f"{path} was not written by 'daedalus-gym train-agent': {TRUST_PICKLE_WHY}")
        self.meta: dict[str, Any] = meta
        self.last_action_features = bool(meta["last_action"])
        self.deterministic = deterministic
        self.name = f"{algo}:{path}"
        self._last_action: int | None = None
        self._rng = np.random.default_rng()

    @property
    def env_kwargs(self) -> dict[str, Any]:
        return dict(self.meta["env_kwargs"])

    @property
    def observation_space(self) -> gym.Space | None:
        """What the env must give a foreign model (None for ours: its ``env_kwargs`` say it)."""
        return None if "env_id" in self.meta else self.model.observation_space

    def reset(self, seed: int | None = None) -> None:
        self._last_action = None
        self._rng = np.random.default_rng(seed)

    def act(self, obs: Any, info: dict[str, Any]) -> int:
        import torch

        features = last_action_features(obs, self._last_action) if self.last_action_features else obs
        policy = self.model.policy
        with torch.no_grad():
            obs_tensor, _ = policy.obs_to_tensor(features)
            if hasattr(policy, "q_net"):  # DQN: greedy on the Q-values
                action = int(policy.q_net(obs_tensor)[0].argmax())
            else:
                probs = policy.get_distribution(obs_tensor).distribution.probs[0].numpy()
                if self.deterministic:
                    action = int(np.argmax(probs))
                else:
                    action = int(self._rng.choice(N_ACTIONS, p=probs / probs.sum()))
        self._last_action = action
        return action


# The name most files were written under; every SB3 algorithm loads through `SB3Agent`.
PPOAgent = SB3Agent


def _read_data(path: Path) -> dict[str, Any]:
    """The ``data`` JSON of an SB3 zip (plain JSON: reading it runs nothing)."""
    import json
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            data = json.loads(archive.read("data"))
    except (zipfile.BadZipFile, KeyError, json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ValueError(f"{path} is not a stable-baselines3 model file ({err})") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path} is not a stable-baselines3 model file (its data is not a JSON object)")
    return data


def _algo_of(data: dict[str, Any], path: Path) -> str:
    """The SB3 class that wrote ``data``, told by the attributes only it saves."""
    policy = (
        str(data.get("policy_class", {}).get("__init__", ""))
        if isinstance(data.get("policy_class"), dict)
        else ""
    )
    if "exploration_rate" in data or "DQNPolicy" in policy:
        return "DQN"
    if "clip_range" in data:
        return "PPO"
    if "ActorCriticPolicy" in policy:
        return "A2C"
    raise ValueError(f"{path}: not a PPO, A2C or DQN model (policy {policy[:80]!r})")


def _load(cls: Any, path: Path, custom_objects: dict[str, Any] | None) -> Any:
    import pickle

    try:
        return cls.load(path, device="cpu", custom_objects=custom_objects)
    except pickle.UnpicklingError as err:
        # SB3 reads tensors with torch.load(weights_only=True), which refuses anything else.
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ValueError(f"{path}: refused, its weights hold more than tensors ({first})") from None


def _pickle_free_objects(path: Path, data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """What `PPO.load` needs so that it unpickles nothing: the model's meta and ``custom_objects``.

    An SB3 zip stores some attributes (spaces, policy class, schedules, buffers) as cloudpickle,
    which would run code from the file on load. Every such attribute is replaced here by an
    object rebuilt from plain data: the spaces from the env the model was trained on (recorded in
    its meta, and matched against the registered ``Daedalus-*`` ids: nothing named in the file
    is imported), the policy and buffer classes from SB3 itself, the schedules as constants (this
    agent only plays; it never trains), and training-only state as ``None``. Tensors are read by
    SB3 with ``torch.load(weights_only=True)``.
    """
    import json
    import re

    from stable_baselines3.common.buffers import RolloutBuffer
    from stable_baselines3.common.policies import ActorCriticPolicy

    try:
        from stable_baselines3.common.utils import FloatSchedule as schedule
    except ImportError:  # stable-baselines3 before FloatSchedule
        from stable_baselines3.common.utils import get_schedule_fn as schedule

    from daedalus_gym.registration import registered_ids
    from daedalus_gym.wrappers import LastActionObs

    meta = data.get(PPO_META_KEY)
    if not isinstance(meta, dict) or not {"env_id", "env_kwargs", "last_action"} <= set(meta):
        raise ValueError(f"{path}: its {PPO_META_KEY!r} lacks env_id, env_kwargs or last_action")
    env_id, env_kwargs = meta["env_id"], meta["env_kwargs"]
    if not isinstance(env_id, str) or env_id not in registered_ids():
        raise ValueError(
            f"{path}: env_id {str(env_id)[:80]!r} is not a registered Daedalus id; "
            f"expected one of {', '.join(registered_ids())}"
        )
    if not isinstance(env_kwargs, dict) or not all(isinstance(k, str) for k in env_kwargs):
        raise ValueError(f"{path}: env_kwargs must be a JSON object, got {str(env_kwargs)[:80]!r}")
    policy = str(data.get("policy_class", {}).get("__init__", ""))
    if "ActorCriticPolicy.__init__" not in policy:
        raise ValueError(f"{path}: expected an ActorCriticPolicy (MlpPolicy) model, got {policy[:80]!r}")

    env = gym.make(env_id, **env_kwargs)
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

    Returns:
        The file written: ``path``, or ``path`` with ``.zip`` added when it has no suffix (as SB3
        adds it).
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
    if not path.suffix:  # SB3 writes a bare name with .zip added: return the file it writes
        path = path.with_name(f"{path.name}.zip")
    path.parent.mkdir(parents=True, exist_ok=True)
    model.save(path)
    return path


@dataclass(frozen=True)
class PPOSettings:
    """How `train_ppo` trains (SB3 names); tuned on Daedalus-Backtracker-7x7-v0 on a 2-core CPU.

    The policy is an MLP on the ``view_size`` egocentric window plus the previous action
    (`LastActionObs`): memoryless, the same for every maze size. ``novelty_bonus`` is paid for
    each newly visited square during training (`NoveltyBonus`): the goal reward alone is too
    sparse for PPO to find.
    """

    # what the policy sees, and the training-time shaping
    view_size: int = 5
    novelty_bonus: float = 0.01
    # rollouts: n_envs * n_steps env steps per update, in minibatches of batch_size
    n_envs: int = 8
    n_steps: int = 256
    batch_size: int = 512
    # optimisation
    n_epochs: int = 4
    learning_rate: float = 3e-4
    ent_coef: float = 0.01
    # returns and advantages
    gamma: float = 0.99
    gae_lambda: float = 0.95
    # the MLP's hidden layers
    hidden: tuple[int, ...] = (64, 64)

    @property
    def env_kwargs(self) -> dict[str, Any]:
        """The ``gym.make`` keywords of the observation the policy reads."""
        return {"obs_mode": "egocentric", "view_size": self.view_size}


def train_ppo(
    env_id: str,
    levels: LevelRange,
    steps: int,
    seed: int = 0,
    settings: PPOSettings = PPOSettings(),
    verbose: bool = False,
) -> Any:
    """Train an SB3 PPO policy on the training ``levels`` of ``env_id``; returns the model.

    Sub-env ``i`` of ``settings.n_envs`` samples its levels from ``seed + i``; SB3 seeds torch
    and numpy from ``seed``. Save it with `save_ppo` (``levels`` and ``settings.env_kwargs``).
    """
    try:
        import torch
        from stable_baselines3 import PPO
        from stable_baselines3.common.logger import HumanOutputFormat, Logger
        from stable_baselines3.common.vec_env import DummyVecEnv
    except ImportError as err:
        raise ImportError(f"training PPO needs stable-baselines3: {RL_HINT}") from err
    from daedalus_gym.splits import TrainLevels
    from daedalus_gym.wrappers import LastActionObs, NoveltyBonus

    def make_env() -> gym.Env:
        env = TrainLevels(gym.make(env_id, **settings.env_kwargs), levels)
        if settings.novelty_bonus > 0:
            env = NoveltyBonus(env, settings.novelty_bonus)
        return LastActionObs(env)

    # A 64-unit MLP: one torch thread is faster than several fighting over two cores.
    torch.set_num_threads(1)
    vec_env = DummyVecEnv([make_env for _ in range(settings.n_envs)])
    vec_env.seed(seed)
    model = PPO(
        "MlpPolicy",
        vec_env,
        n_steps=settings.n_steps,
        batch_size=settings.batch_size,
        n_epochs=settings.n_epochs,
        learning_rate=settings.learning_rate,
        gamma=settings.gamma,
        gae_lambda=settings.gae_lambda,
        ent_coef=settings.ent_coef,
        policy_kwargs={"net_arch": list(settings.hidden)},
        seed=seed,
        device="cpu",
        verbose=1 if verbose else 0,
    )
    # SB3's default logger makes a new, empty SB3-<time> folder in the system's temp dir on
    # every learn(); this one logs to stdout (verbose) or nowhere, and makes none.
    model.set_logger(Logger(None, [HumanOutputFormat(sys.stdout)] if verbose else []))
    model.learn(total_timesteps=steps)
    vec_env.close()
    return model


AGENTS: dict[str, Callable[[], Agent]] = {
    "random": RandomAgent,
    "wall-follower": WallFollowerAgent,
    "left-wall-follower": lambda: WallFollowerAgent(hand="left"),
    "oracle": OracleAgent,
}


def make_agent(spec: str, *, trust_pickle: bool = False) -> Agent:
    """Build an agent from its spec: a name in `AGENTS`, or an SB3 model file as ``ppo:FILE``,
    ``a2c:FILE``, ``dqn:FILE`` (``ppo-sample:FILE`` samples the policy's actions rather than
    taking the most likely). ``trust_pickle`` lets a zip not written by ``daedalus-gym
    train-agent`` be unpickled (see `SB3Agent`)."""
    if spec in AGENTS:
        return AGENTS[spec]()
    kind, sep, path = spec.partition(":")
    algo = kind.removesuffix("-sample")
    if sep and algo in SB3_ALGOS and path:
        agent = SB3Agent(
            path, deterministic=not kind.endswith("-sample"), algo=algo, trust_pickle=trust_pickle
        )
        agent.name = spec
        return agent
    raise ValueError(
        f"unknown agent {spec!r}; expected one of {', '.join(AGENTS)}, or ALGO:FILE / ALGO-sample:FILE "
        f"for ALGO in {', '.join(SB3_ALGOS)}"
    )


def make_agent_env(agent: Agent, env_id: str, **make_kwargs: Any) -> gym.Env:
    """``gym.make(env_id)`` with what ``agent`` needs: its ``env_kwargs`` and, for a privileged
    agent, the `MazeStateInfo` wrapper. ``make_kwargs`` (e.g. ``render_mode``, a generator's
    settings) pass through; they may not contradict the agent's ``env_kwargs``."""
    clash = {k for k, v in agent.env_kwargs.items() if k in make_kwargs and make_kwargs[k] != v}
    if clash:
        raise ValueError(
            f"{agent.name} needs { ({k: agent.env_kwargs[k] for k in sorted(clash)}) }, "
            f"but the env kwargs say { ({k: make_kwargs[k] for k in sorted(clash)}) }"
        )
    env = gym.make(env_id, **{**agent.env_kwargs, **make_kwargs})
    expected = getattr(agent, "observation_space", None)
    if expected is not None and expected != env.observation_space:
        env.close()
        raise ValueError(
            f"{agent.name} reads observations {expected}, but {env_id} with {make_kwargs or 'no kwargs'} "
            f"gives {env.observation_space}; pass the env kwargs it was trained with "
            '(e.g. --env-kwargs \'{"obs_mode": "egocentric"}\')'
        )
    if agent.privileged:
        env = MazeStateInfo(env)
    return env
