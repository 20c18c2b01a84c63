"""Tests over the whole registry: every Daedalus-* id gets the same treatment, no new test code."""

from __future__ import annotations

import pickle
import warnings
from collections import deque

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from gymnasium.wrappers import TimeLimit

import daedalus_gym
from daedalus_gym.env import MazeEnv
from generators import Maze, make_generator

ENV_IDS = daedalus_gym.registered_ids()
# The 28x28 ids in the slow run where a test costs seconds over all of them; 14x14 and 7x7 run the
# same code by default.
SIZED_SLOW = [pytest.param(i, marks=pytest.mark.slow) if "28x28" in i else i for i in ENV_IDS]
OBS_MODES = ["image", "grid", "egocentric", "rgb"]


def bfs_length(walls: np.ndarray, start: tuple[int, int], goal: tuple[int, int]) -> int | None:
    """An independent BFS (no networkx) to cross-check the env's optimal path length."""
    dist = {start: 0}
    queue = deque([start])
    while queue:
        r, c = queue.popleft()
        if (r, c) == goal:
            return dist[(r, c)]
        for dr, dc in ((-1, 0), (0, 1), (1, 0), (0, -1)):
            nr, nc = r + dr, c + dc
            if (
                0 <= nr < walls.shape[0]
                and 0 <= nc < walls.shape[1]
                and not walls[nr, nc]
                and (nr, nc) not in dist
            ):
                dist[(nr, nc)] = dist[(r, c)] + 1
                queue.append((nr, nc))
    return None


def rollout(env: gym.Env, seed: int, steps: int = 300) -> list:
    obs, info = env.reset(seed=seed)
    env.action_space.seed(seed)
    trace = [(obs.tobytes(), info["maze_hash"])]
    for _ in range(steps):
        obs, reward, terminated, truncated, info = env.step(env.action_space.sample())
        trace.append((obs.tobytes(), reward, terminated, truncated, info["steps"]))
        if terminated or truncated:
            obs, info = env.reset()
            trace.append((obs.tobytes(), info["maze_hash"]))
    return trace


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_image_observation_is_the_grid_as_a_uint8_image(env_id):
    """The ``"image"`` observation is the ``"grid"`` one at 0/255, each square a ``t x t``
    block of pixels, ``t`` the smallest tile that makes both sides at least 36 pixels."""
    image, grid = gym.make(env_id, obs_mode="image"), gym.make(env_id, obs_mode="grid")
    h, w, _ = grid.observation_space.shape
    t = image.unwrapped.settings.obs_tile_size
    assert t * min(h, w) >= 36 and (t == 1 or (t - 1) * min(h, w) < 36)
    assert image.observation_space == gym.spaces.Box(0, 255, (h * t, w * t, 3), np.uint8)
    assert image.unwrapped.obs_mode == "image"

    def as_image(obs):
        return np.repeat(np.repeat(obs.astype(np.uint8) * 255, t, axis=0), t, axis=1)

    a, _ = image.reset(seed=5)
    b, _ = grid.reset(seed=5)
    assert np.array_equal(a, as_image(b))
    for action in np.random.default_rng(5).integers(0, 4, 120).tolist():
        a, ra, ta, ua, _ = image.step(action)
        b, rb, tb, ub, _ = grid.step(action)
        assert np.array_equal(a, as_image(b)) and (ra, ta, ua) == (rb, tb, ub)
        if ta or ua:
            break


def test_default_observation_is_the_image_in_single_and_vector_env():
    env = gym.make("Daedalus-Backtracker-7x7-v0")
    envs = gym.make_vec("Daedalus-Backtracker-7x7-v0", num_envs=3)
    assert env.unwrapped.obs_mode == envs.obs_mode == "image"
    assert (
        envs.single_observation_space
        == env.observation_space
        == gym.spaces.Box(0, 255, (45, 45, 3), np.uint8)
    )
    assert envs.observation_space.shape == (3, 45, 45, 3)
    assert np.array_equal(envs.reset(seed=0)[0][0], env.reset(seed=0)[0])


def test_image_tile_size_can_be_chosen():
    env = gym.make("Daedalus-Backtracker-7x7-v0", obs_mode="image", obs_tile_size=5)
    assert env.observation_space.shape == (75, 75, 3)
    assert env.reset(seed=0)[0].shape == (75, 75, 3)
    assert gym.make("Daedalus-Backtracker-7x7-v0", obs_mode="rgb").observation_space.shape == (60, 60, 3)


def test_ids_registered():
    expected = {
        f"Daedalus-{g}{s}-v0"
        for g in ("Backtracker", "Kruskal", "Prim", "Wilson")
        for s in ("", "-7x7", "-28x28")
    }
    assert expected <= set(ENV_IDS)


# Gymnasium's checker on every id, in every mode (about a second an id): the sized variants, which
# run the same code as their 14x14 id, with the slow tests.
CHECKED_IDS = [pytest.param(i, marks=pytest.mark.slow) if "x" in i.split("-")[-2] else i for i in ENV_IDS]


@pytest.mark.parametrize("env_id", CHECKED_IDS)
def test_check_env_no_warnings(env_id, monkeypatch):
    # The checker also renders a "human" env, whose window paces frames at render_fps (8: most of
    # the check's time); no one watches the dummy display here.
    monkeypatch.setitem(MazeEnv.metadata, "render_fps", 1000)
    for mode in OBS_MODES:
        env = gym.make(env_id, obs_mode=mode, render_mode="rgb_array")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            check_env(env.unwrapped, skip_render_check=False)
        assert [str(w.message) for w in caught] == [], (env_id, mode)
        env.close()


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_same_seed_same_rollout(env_id):
    for mode in OBS_MODES:
        a = rollout(gym.make(env_id, obs_mode=mode), seed=123)
        b = rollout(gym.make(env_id, obs_mode=mode), seed=123)
        assert a == b
    c = rollout(gym.make(env_id), seed=124)
    assert c[0][1] != a[0][1], "different seeds should give different mazes"


def check_seeded_resets(env_id: str, count: int) -> None:
    env = gym.make(env_id)
    hashes = {}
    for seed in range(count):
        _, info = env.reset(seed=seed)
        maze = env.unwrapped.maze
        assert maze.is_solvable()
        assert info["optimal_path_length"] == bfs_length(maze.walls, maze.start, maze.goal)
        hashes[seed] = info["maze_hash"]
    again = gym.make(env_id)
    for seed in range(count - 1, -1, -37):
        assert again.reset(seed=seed)[1]["maze_hash"] == hashes[seed]
    assert len(set(hashes.values())) == count


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_seeded_resets_solvable_and_reproducible(env_id):
    check_seeded_resets(env_id, 40)


@pytest.mark.slow
@pytest.mark.parametrize("env_id", ENV_IDS)
def test_1000_seeded_resets_solvable_and_reproducible(env_id):
    check_seeded_resets(env_id, 1000)


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_partial_generator_kwargs_keep_the_ids_size(env_id):
    registered = gym.spec(env_id).kwargs["default_generator_kwargs"]
    env = gym.make(env_id, generator_kwargs={"goal": "farthest"})
    assert env.unwrapped.generator.shape == gym.make(env_id).unwrapped.generator.shape
    assert env.unwrapped.generator.cells == (registered["size"], registered["size"])
    envs = gym.make_vec(env_id, num_envs=2, generator_kwargs={"goal": "farthest"})
    assert envs.single_observation_space == gym.make(env_id).observation_space
    envs.close()


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_one_time_limit(env_id):
    """The id's max_episode_steps truncates the single env, make_vec and scales the reward."""
    limit = gym.spec(env_id).max_episode_steps
    assert gym.make(env_id).unwrapped.step_budget == limit  # the reward's scale
    assert gym.make_vec(env_id, num_envs=2).max_episode_steps == limit
    with pytest.raises(TypeError, match=r"max_steps was removed.*max_episode_steps"):
        gym.make(env_id, max_steps=1000)
    with pytest.raises(TypeError, match="max_steps was removed"):
        gym.make_vec(env_id, num_envs=2, max_steps=1000)


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_pickle_roundtrip_continues_identically(env_id):
    env = gym.make(env_id, render_mode="rgb_array")
    env.reset(seed=5)
    env.render()
    for action in [1, 2, 2, 1]:
        env.step(action)
    clone = pickle.loads(pickle.dumps(env))
    for action in [0, 1, 2, 3, 2, 2, 1, 1]:
        out_a, out_b = env.step(action), clone.step(action)
        assert out_a[0].tobytes() == out_b[0].tobytes()
        assert out_a[1:] == out_b[1:]
    assert clone.unwrapped.maze == env.unwrapped.maze


@pytest.mark.parametrize("env_id", SIZED_SLOW)
def test_render_modes(env_id):
    env = gym.make(env_id, render_mode="rgb_array", render_tile_size=4)
    env.reset(seed=0)
    frame = env.render()
    h, w = env.unwrapped.maze.shape
    assert frame.shape == (h * 4, w * 4, 3) and frame.dtype == np.uint8
    assert len(np.unique(frame.reshape(-1, 3), axis=0)) >= 4  # wall, floor, goal, agent

    env = gym.make(env_id, render_mode="ansi")
    env.reset(seed=0)
    text = env.render()
    assert text.count("A") == 1 and text.count("G") == 1
    assert len(text.splitlines()) == h

    env = gym.make(env_id, render_mode="human", render_tile_size=2)
    env.reset(seed=0)
    assert env.render() is None
    env.step(1)
    env.close()


@pytest.mark.parametrize("env_id", ENV_IDS)
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_vector_envs(env_id, mode):
    envs = gym.make_vec(env_id, num_envs=2, vectorization_mode=mode)
    obs, info = envs.reset(seed=[1, 2])
    assert obs.shape == (2, *gym.make(env_id).observation_space.shape)
    single = gym.make(env_id)
    assert info["maze_hash"][0] == single.reset(seed=1)[1]["maze_hash"]
    for _ in range(20):
        obs, reward, terminated, truncated, info = envs.step(envs.action_space.sample())
    assert obs.shape[0] == 2 and reward.shape == terminated.shape == truncated.shape == (2,)
    assert list(info["generator"]) == [single.unwrapped.generator.name] * 2
    envs.close()


# --------------------------------------------------------------------------- env behaviour
def corridor() -> Maze:
    walls = np.ones((3, 7), dtype=bool)
    walls[1, 1:6] = False
    return Maze(walls, (1, 1), (1, 5))


class FixedGenerator:
    """A generator that always serves the same maze (to test the env in isolation)."""

    name = "fixed"

    def __init__(self, maze: Maze):
        self.maze = maze
        self.shape = maze.shape

    def generate(self, rng):
        return self.maze

    def generate_batch(self, n, rng):
        return [self.maze] * n


def test_moves_walls_reward_and_termination():
    env = MazeEnv(FixedGenerator(corridor()), obs_mode="grid")
    obs, info = env.reset(seed=0)
    assert info["optimal_path_length"] == 4
    assert env.agent_pos == (1, 1)
    obs, reward, terminated, truncated, _ = env.step(0)  # up: wall
    assert env.agent_pos == (1, 1) and reward == 0 and not terminated
    obs, *_ = env.step(3)  # left: wall
    assert env.agent_pos == (1, 1)
    for _ in range(3):
        env.step(1)
    obs, reward, terminated, truncated, info = env.step(1)
    assert env.agent_pos == (1, 5) and terminated and not truncated
    assert reward == 1 - 0.9 * 6 / 12  # 1 x 3 cells: a budget of 4 * 1 * 3 steps
    assert obs[1, 5, 1] == 1 and obs[:, :, 1].sum() == 1  # agent channel follows the agent
    assert info["steps"] == 6
    with pytest.raises(RuntimeError, match=r"ended at the goal; call reset\(\)"):
        env.step(1)  # stepping a finished episode does not pay the goal again
    env.reset()
    assert env.step(1)[1] == 0


def test_truncation_by_the_time_limit_only():
    env = TimeLimit(MazeEnv(FixedGenerator(corridor())), 3)
    env.reset(seed=0)
    results = [env.step(3) for _ in range(3)]
    assert [r[3] for r in results] == [False, False, True]
    assert all(r[1] == 0 and not r[2] for r in results)
    bare = MazeEnv(FixedGenerator(corridor()))
    bare.reset(seed=0)
    assert not any(bare.step(3)[3] for _ in range(10))  # the env never truncates by itself


def test_gym_make_time_limit_truncates_and_the_reward_keeps_its_scale():
    env = gym.make("Daedalus-Backtracker-7x7-v0", max_episode_steps=5)
    env.reset(seed=0)
    assert [env.step(0)[3] for _ in range(5)] == [False] * 4 + [True]
    walls = np.ones((15, 15), dtype=bool)
    walls[1, 1:14] = False
    env = gym.make("Daedalus-Backtracker-7x7-v0")
    env.reset(seed=0, options={"maze": Maze(walls, (1, 1), (1, 13))})
    for _ in range(11):
        env.step(1)
    _, reward, terminated, _, _ = env.step(1)
    assert terminated and reward == 1 - 0.9 * 12 / 196 and env.spec.max_episode_steps == 196
    long = gym.make("Daedalus-Backtracker-7x7-v0", max_episode_steps=400)
    long.reset(seed=0, options={"maze": Maze(walls, (1, 1), (1, 13))})
    for _ in range(300):
        assert not long.step(3)[3]
    for _ in range(11):
        long.step(1)
    _, reward, terminated, _, _ = long.step(1)
    assert terminated and reward == pytest.approx(0.1)  # past the budget the goal still pays 0.1


def test_egocentric_window_reads_walls_outside():
    env = MazeEnv(FixedGenerator(corridor()), obs_mode="egocentric", view_size=5)
    obs, _ = env.reset(seed=0)
    assert obs.shape == (5, 5, 2)
    # the agent at (1, 1): rows -1 and 0 of the window's top are outside or border -> wall
    assert obs[:2, :, 0].all() and obs[2, 2:5, 0].tolist() == [0, 0, 0]
    assert obs[..., 1].sum() == 0  # goal (1, 5) is 4 squares away, outside the 5x5 window
    env.step(1)
    obs, *_ = env.step(1)
    assert env.agent_pos == (1, 3)
    assert obs[2, 4, 1] == 1 and obs[..., 1].sum() == 1  # goal now two squares to the right


def test_reset_with_given_maze_and_bad_options():
    env = gym.make("Daedalus-Backtracker-7x7-v0")
    maze = make_generator("backtracker", size=7).generate(np.random.default_rng(3))
    _, info = env.reset(options={"maze": maze})
    assert env.unwrapped.maze == maze and info["maze_hash"] == maze.maze_hash
    with pytest.raises(ValueError, match="shape"):
        env.reset(options={"maze": make_generator("backtracker", size=5).generate(np.random.default_rng(0))})
    with pytest.raises(TypeError, match=r"generators\.Maze"):
        env.reset(options={"maze": "not a maze"})
    with pytest.raises(ValueError, match="unknown reset options"):
        env.reset(options={"levels": 3})
    walls = maze.walls.copy()
    walls[1, 2] = walls[2, 1] = True
    with pytest.raises(ValueError, match="unsolvable"):
        env.reset(options={"maze": Maze(walls)})


def test_unsolvable_generator_gives_clear_error():
    walls = np.ones((5, 5), dtype=bool)
    walls[1, 1] = walls[3, 3] = False
    env = MazeEnv(FixedGenerator(Maze(walls)), max_attempts=3)
    with pytest.raises(RuntimeError, match="3 unsolvable mazes"):
        env.reset(seed=0)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"obs_mode": "pixels"}, "obs_mode"),
        ({"view_size": 4}, "view_size"),
        ({"max_attempts": 0}, "max_attempts"),
        ({"render_mode": "video"}, "render_mode"),
        ({"generator": "nope"}, "unknown generator"),
        ({"generator_kwargs": {"size": -1}}, "size"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        MazeEnv(**kwargs)


def test_bad_action_and_step_before_reset():
    env = MazeEnv(generator_kwargs={"size": 5})
    with pytest.raises(RuntimeError, match="reset"):
        env.step(0)
    env.reset(seed=0)
    with pytest.raises(ValueError, match="action"):
        env.step(7)
