"""Agents, their wrappers and the level split: behaviour on hand-made and generated mazes."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import daedalus_gym
from daedalus_gym.agents import (
    OracleAgent,
    PPOAgent,
    RandomAgent,
    WallFollowerAgent,
    make_agent,
    make_agent_env,
)
from daedalus_gym.cli import main
from daedalus_gym.env import MazeEnv
from daedalus_gym.splits import HeldOut, LevelRange, TrainLevels, held_out_seeds, level_hashes
from daedalus_gym.wrappers import LastActionObs, MazeStateInfo, NoveltyBonus, last_action_features
from generators import Maze

ENV_IDS = daedalus_gym.registered_ids()

# A perfect maze: the shortest path runs right along the top and down the right side (8 steps);
# a dead end branches off west at (3, 5), on the right hand of an agent walking down.
CORRIDORS = Maze.from_text(
    """
#######
#S....#
#.###.#
#.#...#
#.###.#
#...#G#
#######
"""
)


def play(agent, env, seed=None, options=None):
    """One episode: (terminated, steps, visited cells)."""
    obs, info = env.reset(seed=seed, options=options)
    agent.reset(seed)
    visited = [env.unwrapped.agent_pos]
    while True:
        obs, _, terminated, truncated, info = env.step(agent.act(obs, info))
        visited.append(env.unwrapped.agent_pos)
        if terminated or truncated:
            return terminated, info["steps"], visited


def maze_env(size, **kwargs):
    return MazeStateInfo(MazeEnv("backtracker", {"size": size}, **kwargs))


# ------------------------------------------------------------------ baselines
def test_random_agent_is_seeded():
    a, b = RandomAgent(), RandomAgent()
    a.reset(7)
    b.reset(7)
    actions = [a.act(None, {}) for _ in range(50)]
    assert actions == [b.act(None, {}) for _ in range(50)]
    assert set(actions) <= {0, 1, 2, 3} and len(set(actions)) == 4


def test_oracle_walks_the_shortest_path_on_a_hand_made_maze():
    env = maze_env((3, 3))
    terminated, steps, visited = play(OracleAgent(), env, options={"maze": CORRIDORS})
    assert terminated and steps == 8
    assert visited == CORRIDORS.shortest_path()


def test_wall_follower_keeps_its_hand_on_the_wall():
    assert CORRIDORS.is_perfect()
    env = maze_env((3, 3))
    terminated, steps, visited = play(WallFollowerAgent(), env, options={"maze": CORRIDORS})
    # Right hand: into the dead end on the right, back out, then down to the goal.
    assert terminated and steps == 12
    assert visited[7:12] == [(3, 4), (3, 3), (3, 4), (3, 5), (4, 5)]
    terminated, steps, visited = play(WallFollowerAgent("left"), env, options={"maze": CORRIDORS})
    assert terminated and steps == 8 and visited == CORRIDORS.shortest_path()


def open_room(start, goal, shape=(9, 11)):
    """A walled room with nothing inside: every square but the border is open."""
    walls = np.ones(shape, dtype=bool)
    walls[1:-1, 1:-1] = False
    return Maze(walls, start, goal)


def room_env():
    """A 9x11 grid, with the time limit of an id (`MazeEnv` itself never truncates)."""
    return MazeStateInfo(gym.wrappers.TimeLimit(MazeEnv("backtracker", {"size": (4, 5)}), 4 * 9 * 11))


def touches_a_wall(walls, square):
    """Whether a wall (or the outside of the grid) is among the 8 squares around ``square``."""
    row, col = square
    padded = np.pad(walls, 1, constant_values=True)
    return bool(padded[row : row + 3, col : col + 3].any())


@pytest.mark.parametrize("hand", ["right", "left"])
def test_wall_follower_puts_its_hand_on_a_wall_in_an_open_room(hand):
    # From the top-left corner either hand follows the border to the bottom-right corner: down
    # then right, or right then down, a shortest path. Turning towards the hand at every step
    # from the first one would circle the open 2x2 patch at the start until the time limit.
    room = open_room((1, 1), (7, 9))
    terminated, steps, visited = play(WallFollowerAgent(hand), room_env(), options={"maze": room})
    assert terminated and steps == room.shortest_path_length() == 14
    assert all(touches_a_wall(room.walls, square) for square in visited)


@pytest.mark.parametrize("hand", ["right", "left"])
def test_wall_follower_walks_straight_to_a_wall_from_open_floor(hand):
    room = open_room((5, 5), (7, 9))
    terminated, steps, visited = play(WallFollowerAgent(hand), room_env(), options={"maze": room})
    # Up to the top wall (4 steps), then along the border: the right hand goes left, down the
    # west wall and along the bottom (4 + 6 + 8); the left hand goes right and down the east wall.
    expected = [(row, 5) for row in range(5, 0, -1)]
    if hand == "right":
        expected += [(1, col) for col in range(4, 0, -1)] + [(row, 1) for row in range(2, 8)]
        expected += [(7, col) for col in range(2, 10)]
    else:
        expected += [(1, col) for col in range(6, 10)] + [(row, 9) for row in range(2, 8)]
    assert terminated and visited == expected and steps == len(expected) - 1


@pytest.mark.parametrize("hand", ["right", "left"])
def test_wall_follower_treats_the_outside_of_a_borderless_maze_as_wall(hand):
    # No wall border: the grid's edge is the wall. Reading a square outside it must neither wrap
    # around to the far side (a wasted bump into the edge) nor fail.
    walls = np.zeros((3, 5), dtype=bool)
    walls[1, 1:4] = True  # a ring of open squares around a 1x3 block
    env = MazeStateInfo(gym.wrappers.TimeLimit(MazeEnv("backtracker", {"size": (1, 2)}), 4 * 3 * 5))
    for start, goal in (((0, 0), (2, 4)), ((2, 0), (0, 4))):
        maze = Maze(walls, start, goal)
        terminated, steps, visited = play(WallFollowerAgent(hand), env, options={"maze": maze})
        assert terminated and steps == maze.shortest_path_length() == 6
        assert len(set(visited)) == len(visited)  # never bumps, never comes back


@settings(max_examples=40, deadline=None)
@given(height=st.integers(1, 9), width=st.integers(2, 9), seed=st.integers(0, 2**32 - 1))
def test_wall_follower_solves_every_perfect_maze_within_the_step_limit(height, width, seed):
    env = maze_env((height, width))
    _, info = env.reset(seed=seed)
    assert info["maze"].is_perfect()
    for hand in ("right", "left"):
        terminated, steps, _ = play(WallFollowerAgent(hand), env, seed=seed)
        open_squares = int(np.count_nonzero(~info["maze"].walls))
        # 4 * h * w: the time limit of every registered id
        assert terminated and steps <= 2 * (open_squares - 1) <= 4 * height * width


@settings(max_examples=20, deadline=None)
@given(height=st.integers(1, 9), width=st.integers(2, 9), seed=st.integers(0, 2**32 - 1))
def test_oracle_is_optimal(height, width, seed):
    env = maze_env((height, width))
    _, info = env.reset(seed=seed)
    terminated, steps, _ = play(OracleAgent(), env, seed=seed)
    assert terminated and steps == info["optimal_path_length"]


def test_oracle_is_optimal_on_a_maze_with_loops():
    walls = np.ones((7, 7), dtype=bool)
    walls[1:-1, 1:-1] = False  # an open room: many shortest paths
    walls[3, 2:5] = True
    room = Maze.from_walls(walls)
    terminated, steps, _ = play(OracleAgent(), maze_env((3, 3)), options={"maze": room})
    assert terminated and steps == room.shortest_path_length() == 8


def test_privileged_agents_explain_the_missing_wrapper():
    env = MazeEnv("backtracker", {"size": 3})
    obs, info = env.reset(seed=0)
    for agent in (WallFollowerAgent(), OracleAgent()):
        with pytest.raises(KeyError, match="MazeStateInfo"):
            agent.act(obs, info)


def test_make_agent_specs_and_errors(tmp_path):
    assert isinstance(make_agent("random"), RandomAgent)
    assert make_agent("wall-follower").hand == "right"
    assert make_agent("left-wall-follower").hand == "left"
    assert isinstance(make_agent("oracle"), OracleAgent)
    with pytest.raises(ValueError, match="unknown agent 'nope'"):
        make_agent("nope")
    with pytest.raises(FileNotFoundError):
        make_agent(f"ppo:{tmp_path / 'missing.zip'}")
    with pytest.raises(ValueError, match="hand"):
        WallFollowerAgent("middle")


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_make_agent_env_gives_privileged_agents_the_state(env_id):
    env = make_agent_env(make_agent("oracle"), env_id)
    _, info = env.reset(seed=1)
    assert isinstance(info["maze"], Maze) and info["agent_pos"] == info["maze"].start
    _, _, _, _, info = env.step(0)
    assert info["agent_pos"] == env.unwrapped.agent_pos
    plain = make_agent_env(make_agent("random"), env_id)
    assert "maze" not in plain.reset(seed=1)[1]


# ------------------------------------------------------------------ wrappers
def test_last_action_obs():
    env = LastActionObs(gym.make("Daedalus-Backtracker-7x7-v0", obs_mode="egocentric", view_size=5))
    assert env.observation_space.shape == (5 * 5 * 2 + 4,)
    obs, _ = env.reset(seed=0)
    assert env.observation_space.contains(obs) and not obs[-4:].any()
    obs, *_ = env.step(2)
    assert obs[-4:].tolist() == [0, 0, 1, 0]
    plain = gym.make("Daedalus-Backtracker-7x7-v0", obs_mode="egocentric", view_size=5)
    plain.reset(seed=0)
    assert np.array_equal(obs[:-4], plain.step(2)[0].reshape(-1))
    with pytest.raises(TypeError, match="MultiBinary"):
        LastActionObs(gym.make("Daedalus-Backtracker-7x7-v0", obs_mode="rgb"))
    with pytest.raises(ValueError, match="last_action"):
        last_action_features(np.zeros(3, np.int8), 4)


def test_novelty_bonus_pays_once_per_square():
    env = NoveltyBonus(MazeEnv("backtracker", {"size": 3}), bonus=0.5)
    env.reset(options={"maze": CORRIDORS})
    assert env.step(1)[1] == 0.5  # a new square
    assert env.step(3)[1] == 0.0  # back to the start: seen
    assert env.step(0)[1] == 0.0  # into the wall: stays put
    assert env.step(1)[1] == 0.0  # (1, 2) again


# ------------------------------------------------------------------ level split
def test_level_range():
    levels = LevelRange.parse("10:5")
    assert levels == LevelRange(10, 5) and str(levels) == "10:5"
    assert list(levels.seeds) == [10, 11, 12, 13, 14]
    assert 10 in levels and 14 in levels and 15 not in levels and 9 not in levels
    for bad in ("10", "a:b", "-1:5", "0:0"):
        with pytest.raises(ValueError, match=r"START:NUM|must be"):
            LevelRange.parse(bad)


def test_train_levels_play_only_their_seeds_and_are_reproducible():
    def levels_played(seed):
        env = TrainLevels(gym.make("Daedalus-Backtracker-7x7-v0"), LevelRange(100, 8))
        played = [env.reset(seed=seed)[1]]
        played += [env.reset()[1] for _ in range(40)]
        return [(info["level_seed"], info["maze_hash"]) for info in played]

    first = levels_played(3)
    assert first == levels_played(3)
    assert {level for level, _ in first} == set(range(100, 108))
    expected = dict(
        zip(range(100, 108), sorted(level_hashes("Daedalus-Backtracker-7x7-v0", range(100, 108))))
    )
    assert {h for _, h in first} == set(expected.values())


def test_held_out_seeds_avoid_training_seeds_and_mazes():
    env = gym.make("Daedalus-Backtracker-7x7-v0")
    held_out = HeldOut.of(env, LevelRange(0, 200))
    seeds = held_out_seeds(env, held_out, 50, first_seed=150)
    assert len(seeds) == 50 and min(seeds) >= 200
    assert not level_hashes(env, seeds) & held_out.hashes


def test_held_out_is_disjoint_by_maze_not_only_by_seed():
    # 2x2 cells: a backtracker from the corner can draw only two mazes, so 64 training levels
    # serve all of them and no seed outside the range can serve a new one.
    env = MazeEnv("backtracker", {"size": 2})
    held_out = HeldOut.of(env, LevelRange(0, 64))
    assert len(held_out.hashes) == 2
    assert level_hashes(env, range(1000, 1100)) == held_out.hashes
    assert not held_out.allows(1000, env.reset(seed=1000)[1]["maze_hash"])
    with pytest.raises(RuntimeError, match="held-out seeds"):
        held_out_seeds(env, held_out, 1, max_candidates=100)


# ------------------------------------------------------------------ PPO
@pytest.fixture(scope="module")
def tiny_ppo(tmp_path_factory):
    """A PPO model trained for a few thousand steps by the real command (fast, not good)."""
    pytest.importorskip("stable_baselines3")
    path = tmp_path_factory.mktemp("ppo") / "tiny.zip"
    argv = ["train-agent", "ppo", "--env", "Daedalus-Backtracker-7x7-v0", "--steps", "1024", "--seed", "0"]
    assert (
        main([*argv, "--out", str(path), "--n-envs", "2", "--num-levels", "20", "--eval-episodes", "3"]) == 0
    )
    return path


@pytest.mark.parametrize("verbose", [False, True])
def test_train_ppo_makes_no_log_folder(verbose, tmp_path, monkeypatch, capsys):
    # SB3's default logger would make an empty SB3-<time> folder in the temp dir per training.
    pytest.importorskip("stable_baselines3")
    import tempfile

    from daedalus_gym.agents import PPOSettings, train_ppo
    from daedalus_gym.splits import LevelRange

    monkeypatch.delenv("SB3_LOGDIR", raising=False)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    settings = PPOSettings(n_envs=2, n_steps=32, batch_size=64, n_epochs=1)
    train_ppo("Daedalus-Backtracker-7x7-v0", LevelRange(0, 5), 64, 0, settings, verbose=verbose)
    assert list(tmp_path.iterdir()) == []
    assert ("total_timesteps" in capsys.readouterr().out) == verbose


def test_train_agent_writes_a_ppo_agent(tiny_ppo, capsys):
    agent = make_agent(f"ppo:{tiny_ppo}")
    assert isinstance(agent, PPOAgent) and agent.name == f"ppo:{tiny_ppo}"
    assert agent.meta["env_id"] == "Daedalus-Backtracker-7x7-v0"
    assert agent.meta["train_levels"] == [0, 20]
    assert agent.env_kwargs == {"obs_mode": "egocentric", "view_size": 5}
    assert not agent.privileged


def test_ppo_agent_is_reproducible(tiny_ppo):
    for spec in (f"ppo:{tiny_ppo}", f"ppo-sample:{tiny_ppo}"):
        runs = []
        for _ in range(2):
            agent = make_agent(spec)
            env = make_agent_env(agent, "Daedalus-Backtracker-7x7-v0")
            runs.append(play(agent, env, seed=5)[2])
        assert runs[0] == runs[1]


def test_ppo_agent_rejects_a_foreign_model(tmp_path):
    sb3 = pytest.importorskip("stable_baselines3")
    path = tmp_path / "plain.zip"
    sb3.PPO(
        "MlpPolicy", gym.make("Daedalus-Backtracker-7x7-v0"), n_steps=32, batch_size=32, device="cpu"
    ).save(path)
    with pytest.raises(ValueError, match="train-agent"):
        make_agent(f"ppo:{path}")


def test_ppo_agent_loads_without_unpickling(tiny_ppo, monkeypatch):
    """Model files load without pickle execution: SB3's cloudpickle path is never taken."""
    import stable_baselines3.common.save_util as save_util

    def refuse(*args, **kwargs):
        raise AssertionError("cloudpickle.loads was called while loading a PPO agent")

    monkeypatch.setattr(save_util.cloudpickle, "loads", refuse)
    agent = make_agent(f"ppo:{tiny_ppo}")
    env = make_agent_env(agent, "Daedalus-Backtracker-7x7-v0")
    obs, info = env.reset(seed=3)
    agent.reset(3)
    assert agent.act(obs, info) in range(4)
    # The rebuilt policy is the saved one: same weights, same decisions as a plain SB3 load.
    monkeypatch.undo()
    from stable_baselines3 import PPO

    reference = PPO.load(tiny_ppo, device="cpu")
    for name, tensor in reference.policy.state_dict().items():
        assert (agent.model.policy.state_dict()[name] == tensor).all(), name


def test_ppo_agent_rejects_a_file_that_is_not_a_model(tmp_path):
    pytest.importorskip("stable_baselines3")
    path = tmp_path / "broken.zip"
    path.write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="not a stable-baselines3 model file"):
        make_agent(f"ppo:{path}")
