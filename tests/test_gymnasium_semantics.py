"""Gymnasium's API, exactly: observations of a hand-built maze in every mode, the native vector env
against gymnasium's `SyncVectorEnv` (autoreset at the goal, SAME_STEP with truncations, gymnasium's
vector wrappers, action-space seeding), spec round trips, deep copies and the ``ansi`` frame.

Mazes are tiny so that every check runs in well under a second.
"""

from __future__ import annotations

import copy

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import data_equivalence
from gymnasium.vector import AutoresetMode
from gymnasium.wrappers import vector as vector_wrappers

import daedalus_gym  # noqa: F401 -- registers the ids
from daedalus_gym import MazeEnv
from daedalus_gym.rendering import COLORS
from daedalus_gym.vector_env import MazeVectorEnv
from generators import Maze

ENV_ID = "Daedalus-Backtracker-v0"
OBS_MODES = ["image", "grid", "egocentric", "rgb"]

# 2 x 3 cells, a (5, 7) grid: two ways round the middle wall to the goal.
LEVEL_TEXT = "#######\n#S....#\n#.###.#\n#....G#\n#######"


def level() -> Maze:
    return Maze.from_text(LEVEL_TEXT)


def corridor() -> Maze:
    """1 x 2 cells: the goal two moves to the right of the start."""
    walls = np.ones((3, 5), dtype=bool)
    walls[1, 1:4] = False
    return Maze(walls, (1, 1), (1, 3))


def same(a, b) -> bool:
    return data_equivalence(a, b, exact=True)


def make_pair(mode: str, num_envs: int, **kwargs):
    ref = gym.make_vec(
        ENV_ID, num_envs, vectorization_mode="sync", vector_kwargs={"autoreset_mode": mode}, **kwargs
    )
    vec = gym.make_vec(
        ENV_ID, num_envs, vectorization_mode="vector_entry_point", autoreset_mode=mode, **kwargs
    )
    return ref, vec


# --------------------------------------------------------------------- observations
def expected_grid(maze: Maze, agent: tuple[int, int]) -> np.ndarray:
    grid = np.zeros((*maze.shape, 3), dtype=np.int8)
    grid[..., 0] = maze.walls
    grid[agent[0], agent[1], 1] = 1
    grid[maze.goal[0], maze.goal[1], 2] = 1
    return grid


def expected_window(maze: Maze, agent: tuple[int, int], k: int) -> np.ndarray:
    """The ``k x k`` [wall, goal] window centred on ``agent``; outside the grid is wall."""
    r = k // 2
    walls = np.ones((maze.shape[0] + 2 * r, maze.shape[1] + 2 * r), dtype=np.int8)
    walls[r:-r, r:-r] = maze.walls
    goal = np.zeros_like(walls)
    goal[maze.goal[0] + r, maze.goal[1] + r] = 1
    rows, cols = slice(agent[0], agent[0] + k), slice(agent[1], agent[1] + k)
    return np.stack([walls[rows, cols], goal[rows, cols]], axis=-1)


def expected_rgb(maze: Maze, agent: tuple[int, int], tile: int) -> np.ndarray:
    square = np.where(maze.walls[..., None], COLORS["wall"], COLORS["floor"]).astype(np.uint8)
    square[maze.start] = COLORS["start"]
    square[maze.goal] = COLORS["goal"]
    square[agent] = COLORS["agent"]
    return np.repeat(np.repeat(square, tile, axis=0), tile, axis=1)


def expected_obs(mode: str, maze: Maze, agent: tuple[int, int], env: MazeEnv) -> np.ndarray:
    if mode == "grid":
        return expected_grid(maze, agent)
    if mode == "image":
        t = env.settings.obs_tile_size
        image = expected_grid(maze, agent).view(np.uint8) * np.uint8(255)
        return np.repeat(np.repeat(image, t, axis=0), t, axis=1)
    if mode == "egocentric":
        return expected_window(maze, agent, env.settings.view_size)
    return expected_rgb(maze, agent, env.settings.obs_tile_size)


@pytest.mark.parametrize("mode", OBS_MODES)
def test_observations_of_a_hand_built_maze(mode):
    maze = level()
    kwargs = {"view_size": 5} if mode == "egocentric" else {}
    env = MazeEnv(generator_kwargs={"size": (2, 3)}, obs_mode=mode, **kwargs)
    vec = MazeVectorEnv(2, generator_kwargs={"size": (2, 3)}, obs_mode=mode, max_episode_steps=-1, **kwargs)
    obs, _ = env.reset(seed=0, options={"level": maze})
    vobs, _ = vec.reset(seed=0, options={"level": maze})
    assert env.observation_space.dtype == vec.single_observation_space.dtype
    if mode == "image":
        assert obs.shape == (40, 56, 3)  # 8 pixels a square: the 5-square side reaches 36 pixels
    path = [(1, 2), (1, 3), (1, 4), (1, 5), (2, 5), (3, 5)]  # right x 4, down x 2
    actions = [1, 1, 1, 1, 2, 2]
    agent = (1, 1)
    for step, action in enumerate([None, *actions]):
        if action is not None:
            obs, reward, terminated, truncated, _ = env.step(action)
            vobs, vreward, vterminated, vtruncated, _ = vec.step(np.array([action, action]))
            agent = path[step - 1]
            assert env.agent_pos == agent and vec.agent_pos.tolist() == [list(agent)] * 2
            assert (terminated, truncated) == (agent == maze.goal, False)
            assert vreward.tolist() == [reward] * 2 and vterminated.tolist() == [terminated] * 2
            assert not vtruncated.any()
        assert obs.dtype == env.observation_space.dtype and env.observation_space.contains(obs)
        assert vec.observation_space.contains(vobs)
        assert same(obs, expected_obs(mode, maze, agent, env)), (mode, step)
        assert same(vobs[0], obs) and same(vobs[1], obs)
    assert reward == 1 - 0.9 * 6 / 24  # the goal after 6 steps; budget 4 * 2 * 3


def test_egocentric_window_larger_than_the_maze_reads_walls_outside():
    maze = corridor()
    env = MazeEnv(generator_kwargs={"size": (1, 2)}, obs_mode="egocentric", view_size=9)
    obs, _ = env.reset(options={"level": maze})
    assert same(obs, expected_window(maze, (1, 1), 9))
    assert obs[..., 0].sum() == 81 - 3 and obs[4, 6, 1] == 1  # three open squares; goal 2 right


# --------------------------------------------------------------------- vector env vs SyncVectorEnv
def test_next_step_autoreset_after_the_goal_matches_sync():
    # A level given to reset; the autoreset after its goal draws a generated maze, in both envs.
    ref, vec = make_pair(AutoresetMode.NEXT_STEP, 2, generator_kwargs={"size": (1, 2)}, max_episode_steps=10)
    assert same(
        ref.reset(seed=4, options={"level": corridor()}), vec.reset(seed=4, options={"level": corridor()})
    )
    right = np.array([1, 1])
    first, second = ref.step(right), ref.step(right)
    assert same(vec.step(right), first) and same(vec.step(right), second)
    assert second[2].all() and not second[3].any() and second[1].tolist() == [1 - 0.9 * 2 / 8] * 2
    expected = ref.step(np.array([3, 0]))  # a reset step: actions ignored
    got = vec.step(np.array([3, 0]))
    assert same(got, expected)
    obs, reward, terminated, truncated, info = got
    assert reward.tolist() == [0.0, 0.0] and not terminated.any() and not truncated.any()
    assert info["steps"].tolist() == [0, 0] and {"dead_ends", "_dead_ends"} <= set(info)
    assert same(obs, vec.reset(seed=4)[0])  # the first maze seed 4 + i generates


@pytest.mark.parametrize("mode", ["image", "egocentric"])
def test_same_step_with_truncations_matches_sync(mode):
    ref, vec = make_pair(
        AutoresetMode.SAME_STEP, 4, obs_mode=mode, generator_kwargs={"size": 2}, max_episode_steps=16
    )
    assert vec.metadata["autoreset_mode"] == ref.metadata["autoreset_mode"] == AutoresetMode.SAME_STEP
    assert same(ref.reset(seed=3), vec.reset(seed=3))
    rng = np.random.default_rng(0)
    terminated = truncated = 0
    for _ in range(200):
        actions = rng.integers(0, 4, 4)
        expected, got = ref.step(actions), vec.step(actions)
        assert same(expected, got)
        terminated += int(expected[2].sum())
        truncated += int(expected[3].sum())
        if expected[2].any() or expected[3].any():
            done = expected[2] | expected[3]
            assert got[4]["_final_obs"].tolist() == done.tolist()
            assert got[4]["_final_info"].tolist() == done.tolist()
    assert terminated > 0 and truncated > 0


def test_gymnasium_vector_wrappers_see_the_same_episodes():
    ref, vec = make_pair(
        AutoresetMode.NEXT_STEP, 3, obs_mode="grid", generator_kwargs={"size": 3}, max_episode_steps=9
    )
    wrapped = [
        vector_wrappers.DictInfoToList(vector_wrappers.RecordEpisodeStatistics(env)) for env in (ref, vec)
    ]
    assert same(wrapped[0].reset(seed=1), wrapped[1].reset(seed=1))
    rng = np.random.default_rng(0)
    for _ in range(40):
        actions = rng.integers(0, 4, 3)
        (*expected, expected_info), (*got, got_info) = (env.step(actions) for env in wrapped)
        assert same(tuple(expected), tuple(got))
        for info in expected_info + got_info:
            info.get("episode", {}).pop("t", None)  # wall-clock time
        assert same(tuple(expected_info), tuple(got_info))
    stats = [env.env for env in wrapped]  # the RecordEpisodeStatistics under DictInfoToList
    assert list(stats[1].return_queue) == list(stats[0].return_queue)
    assert list(stats[1].length_queue) == list(stats[0].length_queue) and len(stats[0].length_queue) > 0


def test_spaces_seeding_and_metadata_match_sync():
    ref, vec = make_pair(AutoresetMode.NEXT_STEP, 3)
    assert vec.action_space == ref.action_space and vec.observation_space == ref.observation_space
    assert vec.single_action_space == ref.single_action_space
    ref.action_space.seed(0)
    vec.action_space.seed(0)
    for _ in range(5):
        assert same(ref.action_space.sample(), vec.action_space.sample())
    ref.reset(seed=4)
    vec.reset(seed=4)
    assert vec.np_random_seed == ref.np_random_seed == (4, 5, 6)
    assert vec.metadata["render_fps"] == ref.metadata["render_fps"] == 8
    assert vec.metadata["autoreset_mode"] == ref.metadata["autoreset_mode"]


# --------------------------------------------------------------------- specs, copies, rendering
def test_make_from_spec_reproduces_the_env():
    env = gym.make(
        "Daedalus-Kruskal-7x7-v0",
        obs_mode="egocentric",
        view_size=7,
        max_episode_steps=33,
        generator_kwargs={"goal": "farthest"},
        num_levels=5,
    )
    for again in (gym.make(env.spec), gym.make(env.spec.id, **env.spec.kwargs, max_episode_steps=33)):
        assert again.spec.max_episode_steps == 33
        assert same(env.reset(seed=2), again.reset(seed=2))
        rng = np.random.default_rng(1)
        for _ in range(80):
            action = int(rng.integers(4))
            expected, got = env.step(action), again.step(action)
            assert same(expected, got)
            if expected[2] or expected[3]:
                assert same(env.reset(), again.reset())
    vec = gym.make_vec(
        "Daedalus-Prim-7x7-v0", 2, obs_mode="grid", max_episode_steps=20, autoreset_mode="SameStep"
    )
    vec2 = gym.make_vec(vec.spec)
    assert isinstance(vec2, MazeVectorEnv) and vec2.metadata["autoreset_mode"] == AutoresetMode.SAME_STEP
    assert (vec2.num_envs, vec2.max_episode_steps) == (2, 20)
    assert same(vec.reset(seed=1), vec2.reset(seed=1))
    for _ in range(50):
        actions = vec.action_space.sample()
        assert same(vec.step(actions), vec2.step(actions))


@pytest.mark.parametrize("mode", OBS_MODES)
def test_deepcopy_continues_identically(mode):
    env = gym.make(
        ENV_ID, obs_mode=mode, generator_kwargs={"size": 3}, max_episode_steps=15, render_mode="rgb_array"
    )
    vec = MazeVectorEnv(3, generator_kwargs={"size": 3}, obs_mode=mode, max_episode_steps=15)
    env.reset(seed=2)
    vec.reset(seed=2)
    rng = np.random.default_rng(0)
    for _ in range(7):
        env.step(int(rng.integers(4)))
        vec.step(rng.integers(0, 4, 3))
    env_copy, vec_copy = copy.deepcopy(env), copy.deepcopy(vec)
    for _ in range(60):
        action = int(rng.integers(4))
        expected = env.step(action)
        assert same(expected, env_copy.step(action))
        assert same(env.render(), env_copy.render())
        if expected[2] or expected[3]:
            assert same(env.reset(), env_copy.reset())
        actions = rng.integers(0, 4, 3)
        assert same(vec.step(actions), vec_copy.step(actions))


def test_render_frames_keep_their_shape_and_ansi_is_the_maze():
    env = gym.make("Daedalus-Prim-7x7-v0", render_mode="rgb_array", max_episode_steps=30)
    env.reset(seed=0)
    shapes = {env.render().shape}
    for _ in range(60):
        *_, terminated, truncated, _ = env.step(env.action_space.sample())
        shapes.add(env.render().shape)
        if terminated or truncated:
            env.reset()
    assert shapes == {(15 * 16, 15 * 16, 3)}
    env = gym.make("Daedalus-Prim-7x7-v0", render_mode="ansi")
    env.reset(seed=0)
    env.step(2)
    maze, (row, col) = env.unwrapped.maze, env.unwrapped.agent_pos
    lines = [list(line) for line in maze.to_text().splitlines()]
    lines[row][col] = "A"
    assert env.render() == "\n".join("".join(line) for line in lines) + "\n"


@pytest.mark.parametrize("mode", [AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP, AutoresetMode.DISABLED])
def test_goal_on_the_last_allowed_step_sets_both_flags_as_sync(mode):
    # gymnasium's TimeLimit truncates at the limit whether or not that step also terminated.
    ref, vec = make_pair(mode, 1, generator_kwargs={"size": (1, 2)}, max_episode_steps=2)
    for env in (ref, vec):
        env.reset(seed=0, options={"level": corridor()})
        env.step(np.array([1]))
    expected, got = ref.step(np.array([1])), vec.step(np.array([1]))
    assert same(expected, got)
    assert got[2].tolist() == [True] and got[3].tolist() == [True]


def test_the_goal_pays_at_least_a_tenth():
    # 1 - 0.9 is 0.09999999999999998 in floating point: at and past the budget the goal pays 0.1.
    from daedalus_gym.core import reward

    assert reward(True, 8, 8) == reward(True, 20, 8) == 0.1
    assert reward(np.array([True, True, False]), np.array([8, 20, 20]), 8).tolist() == [0.1, 0.1, 0.0]
    assert reward(True, 6, 8) == pytest.approx(1 - 0.9 * 6 / 8)
    env = gym.make(ENV_ID, generator_kwargs={"size": (1, 2)}, max_episode_steps=20)
    env.reset(seed=0, options={"level": corridor()})
    for _ in range(8):  # into the wall on the left, up to the budget 4 * 1 * 2
        env.step(3)
    env.step(1)
    assert env.step(1)[1] == 0.1


def test_an_explicit_none_time_limit_is_the_ids_as_for_sync():
    # gym.make reads max_episode_steps=None as the id's limit; gym.make_vec passes the None on.
    ref, vec = make_pair(AutoresetMode.NEXT_STEP, 1, generator_kwargs={"size": 2}, max_episode_steps=None)
    assert vec.max_episode_steps == ref.envs[0].spec.max_episode_steps == 784
