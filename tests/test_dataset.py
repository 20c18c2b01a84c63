"""``daedalus-gym dataset``: a Minari dataset that `minari.load_dataset` reads back, each
episode's maze recoverable from its metadata; bad input is one line and leaves nothing behind."""

from __future__ import annotations

from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

import daedalus_gym  # noqa: F401 - registers the ids
from daedalus_gym.cli import main
from daedalus_gym.commands.dataset import episode_maze, write_dataset

minari = pytest.importorskip(
    "minari", reason='minari is not installed: bash scripts/setup.sh minari (the "minari" extra)'
)
pytest.importorskip("h5py", reason='h5py is not installed: the "minari" extra installs it')

ENV_ID = "Daedalus-Backtracker-7x7-v0"
NAME = "daedalus-backtracker-7x7-oracle-v0"


def test_round_trip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    argv = ["dataset", "--env", ENV_ID, "--agent", "oracle", "--episodes", "3", "--seed", "5"]
    assert main([*argv, "--out", str(tmp_path)]) == 0
    assert NAME in capsys.readouterr().out
    assert [p.name for p in tmp_path.iterdir()] == [NAME]  # no temporary root left beside it

    monkeypatch.setenv("MINARI_DATASETS_PATH", str(tmp_path))
    dataset = minari.load_dataset(NAME)
    assert dataset.total_episodes == 3
    assert dataset.env_spec.id == ENV_ID
    env = dataset.recover_environment()
    for index, episode in enumerate(dataset.iterate_episodes()):
        maze = episode_maze(dataset, index)
        (metadata,) = dataset.storage.get_episode_metadata([index])
        # The oracle walks a shortest path and ends at the goal.
        assert len(episode.actions) == maze.shortest_path_length() == metadata["optimal_path_length"]
        assert episode.terminations[-1] and not episode.truncations.any()
        assert tuple(episode.infos["agent_pos"][-1]) == maze.goal
        assert episode.observations.shape == (len(episode.actions) + 1, *env.observation_space.shape)
        # The recorded seed serves the same maze again on the recorded env.
        obs, info = env.reset(seed=metadata["seed"])
        assert info["maze_hash"] == metadata["maze_hash"] == maze.maze_hash
        np.testing.assert_array_equal(obs, episode.observations[0])
        np.testing.assert_array_equal(env.unwrapped.maze.walls, maze.walls)
    env.close()


@pytest.mark.parametrize("agent", ["random", "oracle"])
def test_recovered_environment_replays_the_episodes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, agent: str
) -> None:
    """The dataset's env (and eval env) is the env the episodes were played on, time limit
    included: replaying an episode's actions from its seed gives back every recorded step."""
    argv = ["dataset", "--env", ENV_ID, "--agent", agent, "--episodes", "2", "--seed", "3"]
    assert main([*argv, "--out", str(tmp_path)]) == 0
    monkeypatch.setenv("MINARI_DATASETS_PATH", str(tmp_path))
    dataset = minari.load_dataset(f"daedalus-backtracker-7x7-{agent}-v0")
    assert dataset.env_spec.max_episode_steps == gym.spec(ENV_ID).max_episode_steps
    for env in (dataset.recover_environment(), dataset.recover_environment(eval_env=True)):
        assert env.spec.max_episode_steps == gym.spec(ENV_ID).max_episode_steps
        for index, episode in enumerate(dataset.iterate_episodes()):
            (metadata,) = dataset.storage.get_episode_metadata([index])
            obs, _ = env.reset(seed=metadata["seed"])
            np.testing.assert_array_equal(obs, episode.observations[0])
            for t, action in enumerate(episode.actions):
                obs, reward, terminated, truncated, _ = env.step(action)
                np.testing.assert_array_equal(obs, episode.observations[t + 1])
                assert reward == episode.rewards[t]
                assert (terminated, truncated) == (episode.terminations[t], episode.truncations[t]), t
        env.close()


def test_episode_maze_counts_episodes_as_the_dataset_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``episode_maze(dataset, i)`` is the maze of ``dataset[i]``, in a filtered dataset too."""
    argv = ["dataset", "--env", ENV_ID, "--agent", "oracle", "--episodes", "4", "--seed", "2"]
    assert main([*argv, "--out", str(tmp_path)]) == 0
    monkeypatch.setenv("MINARI_DATASETS_PATH", str(tmp_path))
    odd = minari.load_dataset(NAME).filter_episodes(lambda episode: episode.id % 2 == 1)
    env = odd.recover_environment()
    episodes = list(odd.iterate_episodes())
    assert [episode.id for episode in episodes] == [1, 3]
    for index, episode in enumerate(episodes):
        (metadata,) = odd.storage.get_episode_metadata([episode.id])
        obs, info = env.reset(seed=metadata["seed"])
        np.testing.assert_array_equal(obs, episode.observations[0])
        assert episode_maze(odd, index).maze_hash == info["maze_hash"]
        assert episode_maze(odd, index - len(episodes)).maze_hash == info["maze_hash"]
    env.close()
    with pytest.raises(IndexError, match="index 2 is out of range: the dataset holds 2 episodes"):
        episode_maze(odd, 2)
    with pytest.raises(TypeError, match="index must be an int, got True"):
        episode_maze(odd, True)


def test_ppo_dataset_records_the_agents_observation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("stable_baselines3", reason='PPO agents need the "rl" extra')
    model = Path(__file__).parent.parent / "examples" / "models" / "ppo-backtracker-7x7.zip"
    argv = ["dataset", "--env", ENV_ID, "--agent", f"ppo:{model}", "--episodes", "1", "--name", "ppo-v1"]
    assert main([*argv, "--out", str(tmp_path)]) == 0
    monkeypatch.setenv("MINARI_DATASETS_PATH", str(tmp_path))
    dataset = minari.load_dataset("ppo-v1")
    assert dataset.env_spec.kwargs["obs_mode"] == "egocentric"
    assert dataset.observation_space == gym.make(ENV_ID, **dataset.env_spec.kwargs).observation_space


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--env", "CartPole-v1", "--agent", "oracle", "--episodes", "2"], "--env: unknown id 'CartPole-v1'"),
        (["--env", ENV_ID, "--agent", "smart", "--episodes", "2"], "argument --agent: expected one of"),
        (["--env", ENV_ID, "--agent", "oracle", "--episodes", "0"], "argument --episodes"),
        (["--env", ENV_ID, "--agent", "ppo:missing.zip", "--episodes", "2"], "no SB3 model at missing.zip"),
        (["--env", ENV_ID, "--agent", "oracle", "--episodes", "2", "--name", "a/b"], "argument --name"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(tmp_path: Path, capsys, argv, message) -> None:
    out = tmp_path / "datasets"
    assert main(["dataset", *argv, "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0], err
    assert not out.exists()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"episodes": 0}, "episodes must be an int >= 1, got 0"),
        ({"episodes": True}, "episodes must be an int >= 1, got True"),
        ({"episodes": 1.5}, "episodes must be an int >= 1, got 1.5"),
        ({"name": "no-version"}, "--name: expected a dataset id without a namespace"),
        ({"name": "space/name-v0"}, "--name: expected a dataset id without a namespace"),
    ],
)
def test_write_dataset_refuses_bad_arguments_and_writes_nothing(tmp_path: Path, kwargs, message) -> None:
    out = tmp_path / "datasets"
    args = {"env_id": ENV_ID, "agent": "random", "episodes": 1, "out": out, **kwargs}
    with pytest.raises(ValueError, match=message):
        write_dataset(**args)
    assert not out.exists()


def test_output_must_be_a_writable_directory(tmp_path: Path, capsys) -> None:
    afile = tmp_path / "file"
    afile.write_text("")
    argv = ["dataset", "--env", ENV_ID, "--agent", "random", "--episodes", "1"]
    assert main([*argv, "--out", str(afile)]) == 2
    assert "--out:" in capsys.readouterr().err and afile.read_text() == ""


def test_an_existing_dataset_is_not_overwritten(tmp_path: Path, capsys) -> None:
    argv = ["dataset", "--env", ENV_ID, "--agent", "random", "--episodes", "1", "--out", str(tmp_path)]
    assert main(argv) == 0
    assert main(argv) == 2
    assert "already exists" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["daedalus-backtracker-7x7-random-v0"]


def test_a_failure_midway_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(minari, "create_dataset_from_buffers", fail)
    argv = ["dataset", "--env", ENV_ID, "--agent", "oracle", "--episodes", "1", "--out"]
    (tmp_path / "kept").mkdir()
    assert main([*argv, str(tmp_path / "kept")]) == 2
    assert main([*argv, str(tmp_path / "new")]) == 2
    assert [p.name for p in tmp_path.iterdir()] == ["kept"]
    assert list((tmp_path / "kept").iterdir()) == []
