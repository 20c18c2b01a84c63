"""The batched core: one rule set, whatever the batch size; one hash; one painter."""

from __future__ import annotations

import numpy as np
import pytest

from daedalus_gym.core import MazeBatch, make_settings, maze_hashes, reward, step_budget
from daedalus_gym.env import MazeEnv
from daedalus_gym.rendering import COLORS, draw, paint_mazes, save_png
from generators import Maze, make_generator


def settings(obs_mode: str, size: int = 3):
    view = 5 if obs_mode == "egocentric" else None
    tile = 2 if obs_mode in ("image", "rgb") else None
    return make_settings(
        ["rgb_array"], "kruskal", {"size": size}, obs_mode, view, tile, None, None, 8, False, 10, None, None
    )


def test_maze_hashes_equal_maze_hash():
    mazes = make_generator("prim", size=(3, 6)).generate_batch(20, np.random.default_rng(0))
    rng = np.random.default_rng(1)
    odd = rng.random((5, 4, 9)) < 0.3  # not on the lattice, even side
    odd[:, 0, 0] = odd[:, 3, 8] = False
    mazes += [Maze(w, (0, 0), (3, 8)) for w in odd]
    for group in (mazes[:20], mazes[20:]):
        walls = np.stack([m.walls for m in group])
        start, goal = np.array([m.start for m in group]), np.array([m.goal for m in group])
        assert maze_hashes(walls, start, goal).tolist() == [m.maze_hash for m in group]


def test_reward_scalar_and_array_agree():
    steps = np.array([1, 5, 12, 30])
    terminated = np.array([True, False, True, True])
    batched = reward(terminated, steps, 12)
    assert batched.tolist() == [reward(bool(t), int(s), 12) for t, s in zip(terminated, steps, strict=True)]
    assert batched.tolist() == [1 - 0.9 / 12, 0.0, pytest.approx(0.1), pytest.approx(0.1)]
    assert step_budget((29, 29)) == 4 * 14 * 14


@pytest.mark.parametrize("obs_mode", ["image", "grid", "egocentric", "rgb"])
def test_batch_of_one_in_scalars_equals_the_batched_rule(obs_mode):
    """`step_one` (the single env's path) and `step` (the vector env's) give the same game."""
    cfg = settings(obs_mode)
    mazes = make_generator("kruskal", size=3).generate_batch(4, np.random.default_rng(2))
    walls = np.stack([m.walls for m in mazes])
    start, goal = np.array([m.start for m in mazes]), np.array([m.goal for m in mazes])
    digest = maze_hashes(walls, start, goal)
    lengths = np.array([m.shortest_path_length() for m in mazes])
    many = MazeBatch(cfg, 4)
    many.load(np.arange(4), walls, start, goal, lengths, digest)
    ones = []
    for i in range(4):
        one = MazeBatch(cfg, 1)
        one.load(
            np.zeros(1, np.int64),
            walls[i : i + 1],
            start[i : i + 1],
            goal[i : i + 1],
            lengths[i : i + 1],
            digest[i : i + 1],
        )
        one.start_one()
        ones.append(one)
    rng = np.random.default_rng(3)
    done = np.zeros(4, bool)
    for _ in range(60):
        actions = rng.integers(0, 4, 4)
        terminated, rewards = many.step(actions)
        obs = many.observe()
        for i, one in enumerate(ones):
            if done[i]:
                continue
            single_obs, r, t, steps = one.step_one(int(actions[i]))
            assert (t, r, steps) == (bool(terminated[i]), float(rewards[i]), many.steps[i])
            assert np.array_equal(single_obs, obs[i])
            assert one.agent_one() == tuple(many.rc(many.pos)[i].tolist())
            done[i] = t


def test_painter_draws_the_rgb_observation_and_frames(tmp_path):
    maze = make_generator("backtracker", size=3).generate(np.random.default_rng(0))
    env = MazeEnv("backtracker", {"size": 3}, obs_mode="rgb", obs_tile_size=3)
    obs, _ = env.reset(options={"maze": maze})
    painted = paint_mazes(maze.walls[None], np.array([maze.start]), np.array([maze.goal]), 3)[0]
    agent = obs.reshape(7, 3, 7, 3, 3)[1, :, 1]
    assert (agent == COLORS["agent"]).all()  # the agent's square ...
    painted[3:6, 3:6] = COLORS["agent"]
    assert np.array_equal(obs, painted)  # ... on the painted maze
    frame = draw(maze, (1, 1), maze.shortest_path(), 8)
    assert frame.shape == (56, 56, 3)
    colours = {tuple(c) for c in frame.reshape(-1, 3).tolist()}
    assert {COLORS[k] for k in ("wall", "floor", "goal", "agent", "path")} <= colours
    save_png(tmp_path / "maze.png", frame)
    assert (tmp_path / "maze.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("obs_mode", ["grid", "egocentric"])
def test_step_kernel_equals_its_python_form(obs_mode):
    """The compiled step and its plain-Python form (``.py_func``) leave the same state behind,
    frozen sub-envs and goal rewards included."""
    from daedalus_gym.core import _step_kernel
    from generators._jit import compile_kernel

    cfg = settings(obs_mode)
    mazes = make_generator("kruskal", size=3).generate_batch(6, np.random.default_rng(4))
    walls = np.stack([m.walls for m in mazes])
    start, goal = np.array([m.start for m in mazes]), np.array([m.goal for m in mazes])
    batches = []
    for _ in range(2):
        batch = MazeBatch(cfg, 6)
        batch.load(np.arange(6), walls, start, goal, np.ones(6, np.int64), maze_hashes(walls, start, goal))
        batches.append(batch)
    rng = np.random.default_rng(0)
    kernels = (compile_kernel(_step_kernel), compile_kernel(_step_kernel).py_func)
    reached = 0
    for _ in range(200):
        actions, frozen = rng.integers(0, 4, 6), rng.random(6) < 0.2
        outs = []
        for batch, kernel in zip(batches, kernels, strict=True):
            terminated, rewards = np.empty(6, bool), np.empty(6)
            grid = batch._obs_flat if obs_mode == "grid" else batch._no_bytes
            state = (batch.pos, batch.steps, batch.goal, batch.walls, batch.moves)
            grid_index = (batch._agent_local, batch._agent_base, batch._base)
            kernel(*state, actions, frozen, grid, *grid_index, batch.budget, terminated, rewards)
            outs.append((terminated, rewards, batch.pos.copy(), batch.steps.copy(), batch.obs.copy()))
        for got, expected in zip(*outs, strict=True):
            assert np.array_equal(got, expected)
        reached += int(outs[0][0].sum())
    assert reached > 0  # the goal branch ran
