"""Record an agent's episodes on an env as a Minari dataset (offline RL).

    daedalus-gym dataset --env Daedalus-Backtracker-7x7-v0 --agent oracle --episodes 100 --out datasets

``--out`` is a Minari datasets root: read the dataset back with

    MINARI_DATASETS_PATH=datasets python -c "import minari; print(minari.load_dataset('ID'))"

(the id is printed; by default ``daedalus-<env>-<agent>-v0``, e.g.
``daedalus-backtracker-7x7-oracle-v0``). Agents: ``oracle``, ``wall-follower``, ``random``, or a
PPO model file as ``ppo:FILE`` (from ``daedalus-gym train-agent``). Each episode records the
observations the agent saw, its actions, rewards, terminations and truncations, and
``infos["agent_pos"]`` (``int[T + 1, 2]``, ``(row, col)``). Each episode's maze is in its episode
metadata (`episode_maze` reads it back): the maze text (``Maze.to_text``), its hash, its
reset seed (``seed``: ``env.reset(seed=...)`` on the dataset's env spec serves it again) and its
shortest path length. The dataset is written under a temporary name and renamed at the end: an interrupted
run leaves no dataset behind.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from daedalus_gym.commands import check_writable, positive_int, seed_int

MINARI_HINT = 'pip install "daedalus-gym[minari]"'
HOMEPAGE = "https://github.com/daedalus-gym/daedalus-gym"
AGENT_CHOICES = ("oracle", "wall-follower", "random", "ppo:FILE")
# Minari's id syntax without a namespace: a name and a version.
NAME_PATTERN = re.compile(r"[A-Za-z0-9_.]+(-[A-Za-z0-9_.]+)*-v\d+")


def agent_spec(text: str) -> str:
    """argparse type: one of the recordable agents (a PPO file is checked when it loads)."""
    if text in AGENT_CHOICES[:3] or (text.startswith("ppo:") and len(text) > 4):
        return text
    raise argparse.ArgumentTypeError(f"expected one of {', '.join(AGENT_CHOICES)}, got {text!r}")


def dataset_name(text: str) -> str:
    """argparse type: a Minari dataset id without a namespace, e.g. ``my-mazes-v0``."""
    if NAME_PATTERN.fullmatch(text):
        return text
    raise argparse.ArgumentTypeError(f"expected a name ending in -v<N> such as my-mazes-v0, got {text!r}")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--env", required=True, metavar="ID", help="a registered Daedalus id")
    parser.add_argument(
        "--agent", type=agent_spec, required=True, help=f"who plays: {', '.join(AGENT_CHOICES)}"
    )
    parser.add_argument("--episodes", type=positive_int, default=100, help="episodes to record")
    parser.add_argument("--out", required=True, metavar="DIR", help="Minari datasets root to write into")
    parser.add_argument("--seed", type=seed_int, default=0, help="base seed of the episode seeds")
    parser.add_argument("--name", type=dataset_name, help="dataset id; none: daedalus-<env>-<agent>-v0")


def default_name(env_id: str, agent: str) -> str:
    """``daedalus-backtracker-7x7-oracle-v0`` for ``Daedalus-Backtracker-7x7-v0`` and ``oracle``."""
    env = re.sub(r"-v\d+$", "", env_id.removeprefix("Daedalus-")).lower()
    return f"daedalus-{env}-{agent.partition(':')[0]}-v0"


def import_minari() -> Any:
    try:
        import minari
    except ImportError as err:
        raise ImportError(f"writing Minari datasets needs minari and h5py: {MINARI_HINT}") from err
    return minari


@contextmanager
def datasets_root(path: Path) -> Iterator[None]:
    """Minari reads its root from ``MINARI_DATASETS_PATH`` at each call: point it at ``path``."""
    old = os.environ.get("MINARI_DATASETS_PATH")
    os.environ["MINARI_DATASETS_PATH"] = str(path)
    try:
        yield
    finally:
        if old is None:
            del os.environ["MINARI_DATASETS_PATH"]
        else:
            os.environ["MINARI_DATASETS_PATH"] = old


def record_episodes(env_id: str, agent_spec: str, episodes: int, seed: int) -> tuple[list, list, Any]:
    """Play ``episodes`` episodes: ``(episode buffers, episode metadata, env spec)``; the spec
    carries the observation keywords the agent asked for and the id's time limit (the spec of
    the wrapped env, as ``gym.make`` built it: ``env.unwrapped.spec`` has no ``TimeLimit``, so
    ``recover_environment`` would never truncate). A privileged agent's `MazeStateInfo` is left
    out of it: that wrapper only tells the agent the maze.

    Episode ``i``'s maze and agent seeds are `daedalus_gym.benchmark.episode_seeds` ``(seed,
    env_id, i)``, as in ``daedalus-gym bench``.
    """
    import numpy as np
    from minari.data_collector.episode_buffer import EpisodeBuffer

    from daedalus_gym.agents import make_agent, make_agent_env
    from daedalus_gym.benchmark import episode_seeds
    from daedalus_gym.wrappers import MazeStateInfo

    agent = make_agent(agent_spec)
    env = make_agent_env(agent, env_id)
    buffers, metadata = [], []
    try:
        for index in range(episodes):
            maze_seed, agent_seed = episode_seeds(seed, env_id, index)
            obs, info = env.reset(seed=maze_seed)
            agent.reset(agent_seed)
            base = env.unwrapped
            maze = base.maze
            observations, positions = [obs], [base.agent_pos]
            actions, rewards, terminations, truncations = [], [], [], []
            while True:
                action = agent.act(obs, info)
                obs, reward, terminated, truncated, info = env.step(action)
                observations.append(obs)
                positions.append(base.agent_pos)
                actions.append(action)
                rewards.append(float(reward))
                terminations.append(bool(terminated))
                truncations.append(bool(truncated))
                if terminated or truncated:
                    break
            buffers.append(
                EpisodeBuffer(
                    id=index,
                    seed=maze_seed,
                    observations=np.stack(observations),
                    actions=np.asarray(actions, dtype=np.int64),
                    rewards=rewards,
                    terminations=terminations,
                    truncations=truncations,
                    infos={"agent_pos": np.asarray(positions, dtype=np.int64)},
                )
            )
            metadata.append(
                {
                    "maze": maze.to_text(),
                    "maze_hash": maze.maze_hash,
                    "optimal_path_length": int(info["optimal_path_length"]),
                }
            )
        played = env.env if isinstance(env, MazeStateInfo) else env
        return buffers, metadata, played.spec
    finally:
        env.close()


def write_dataset(
    env_id: str, agent: str, episodes: int, out: str | Path, seed: int = 0, name: str | None = None
) -> str:
    """Record ``episodes`` episodes of ``agent`` on ``env_id`` as the Minari dataset ``name``
    under the datasets root ``out``; returns the dataset id.

    The dataset is built in a temporary root inside ``out`` and moved into place at the end.
    """
    import daedalus_gym
    from daedalus_gym.core import check_int

    minari = import_minari()
    known = daedalus_gym.registered_ids()
    if env_id not in known:
        raise ValueError(f"--env: unknown id {env_id!r}; registered: {', '.join(known)}")
    check_int(episodes, "episodes")
    if name is not None and not (isinstance(name, str) and NAME_PATTERN.fullmatch(name)):
        raise ValueError(
            f"--name: expected a dataset id without a namespace, ending in -v<N> such as my-mazes-v0, "
            f"got {name!r}"
        )
    name = name or default_name(env_id, agent)
    # Minari resolves its files against MINARI_DATASETS_PATH more than once, so a relative root
    # would be doubled (ds/.partial-x/.../ds/.partial-x/...): the root is made absolute here.
    out = Path(out).absolute()
    target = out / name
    if target.exists():
        raise ValueError(f"--out: {target} already exists; choose another --out or --name")
    buffers, metadata, spec = record_episodes(env_id, agent, episodes, seed)
    created = not out.exists()
    out.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(prefix=".partial-", dir=out))
    try:
        # Minari warns about every unset author field; the recorder has no author to name.
        with datasets_root(partial), warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            dataset = minari.create_dataset_from_buffers(
                dataset_id=name,
                buffer=buffers,
                env=spec,
                eval_env=spec,
                algorithm_name=agent.partition(":")[0],
                code_permalink=HOMEPAGE,
                description=f"{agent} on {env_id}, {episodes} episodes from base seed {seed}; "
                "each episode's maze is in its episode metadata ('maze', 'maze_hash', 'seed')",
                data_format="hdf5",
                jpeg_encoding=False,
            )
            dataset.storage.update_episode_metadata(metadata, range(len(metadata)))
        os.replace(partial / name, target)
    except BaseException:
        if created:  # holds nothing but the partial root
            shutil.rmtree(out, ignore_errors=True)
        raise
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return name


def episode_maze(dataset: Any, index: int) -> Any:
    """The `generators.Maze` of ``dataset[index]``, the ``index``-th episode (from 0; negative
    counts from the end) of a dataset this command wrote. ``index`` counts as
    ``MinariDataset.__getitem__`` and ``iterate_episodes`` do: in a filtered or split dataset it
    is the episode ``dataset.episode_indices[index]`` of the stored ones.

    Raises:
        TypeError: ``index`` is not an int.
        IndexError: ``index`` is outside the dataset's episodes.
        ValueError: the episode has no maze in its metadata (a dataset this command did not write).
    """
    import numpy as np

    from generators import Maze

    if isinstance(index, (bool, np.bool_)) or not isinstance(index, (int, np.integer)):
        raise TypeError(f"index must be an int, got {index!r} ({type(index).__name__})")
    indices = dataset.episode_indices
    if not -len(indices) <= index < len(indices):
        raise IndexError(f"index {index} is out of range: the dataset holds {len(indices)} episodes")
    episode_id = int(indices[index])
    (metadata,) = dataset.storage.get_episode_metadata([episode_id])
    if "maze" not in metadata:
        raise ValueError(
            f"episode {episode_id} has no 'maze' in its metadata (keys {sorted(metadata)}); "
            "only datasets written by `daedalus-gym dataset` hold their mazes"
        )
    return Maze.from_text(str(metadata["maze"]))


def run(args: argparse.Namespace) -> int:
    import_minari()  # the install hint before any episode is played
    check_writable(args.out, "--out", directory=True)
    name = write_dataset(args.env, args.agent, args.episodes, args.out, args.seed, args.name)
    root = Path(args.out).absolute()
    print(f"wrote Minari dataset {name} ({args.episodes} episodes) under {root}")
    load = f"import minari; minari.load_dataset('{name}')"
    print(f'read it with: MINARI_DATASETS_PATH={root} python -c "{load}"')
    return 0
