"""Bad input at the env boundary: a clear error naming the argument, or correct behaviour --
never a crash deep inside, a silent wrong or a walk off the grid."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import daedalus_gym  # noqa: F401 - registers the ids
from daedalus_gym.env import MazeEnv
from daedalus_gym.vector_env import MazeVectorEnv
from generators import Maze


def open_room() -> Maze:
    """A 5x5 grid with no wall at all: no border to stop the agent."""
    return Maze(np.zeros((5, 5), dtype=bool), (0, 0), (4, 4))


# --------------------------------------------------------------------- mazes without a border
@pytest.mark.parametrize("obs_mode", ["image", "grid", "egocentric", "rgb"])
def test_single_env_keeps_the_agent_inside_a_borderless_maze(obs_mode):
    env = MazeEnv(generator_kwargs={"size": 2}, obs_mode=obs_mode)
    obs, info = env.reset(seed=0, options={"maze": open_room()})
    assert info["optimal_path_length"] == 8
    for action in (0, 3):  # up and left from (0, 0): outside the grid counts as wall
        obs, *_ = env.step(action)
        assert env.agent_pos == (0, 0)
    for action in [1] * 6:  # along the top row and into the right edge
        obs, *_ = env.step(action)
    assert env.agent_pos == (0, 4)
    if obs_mode == "egocentric":
        assert obs[:2, :, 0].all() and obs[:, 3:, 0].all()  # outside reads as wall
    if obs_mode == "grid":
        assert obs[0, 4, 1] == 1 and obs[..., 1].sum() == 1
    for _ in range(3):
        env.step(2)
    *_, terminated, _, _ = env.step(2)
    assert terminated and env.agent_pos == (4, 4)


@pytest.mark.parametrize("obs_mode", ["image", "grid", "egocentric", "rgb"])
def test_vector_env_keeps_each_agent_in_its_own_borderless_maze(obs_mode):
    ref = gym.vector.SyncVectorEnv([lambda: MazeEnv(generator_kwargs={"size": 2}, obs_mode=obs_mode)] * 3)
    vec = MazeVectorEnv(3, generator_kwargs={"size": 2}, obs_mode=obs_mode)
    maze = open_room()
    expected, got = ref.reset(seed=0, options={"maze": maze}), vec.reset(seed=0, options={"maze": maze})
    assert np.array_equal(expected[0], got[0])
    for actions in ([0, 3, 1], [3, 0, 1], [1, 1, 2], [1, 1, 2], [1, 1, 2], [1, 1, 2], [2, 2, 0]):
        expected, got = ref.step(np.array(actions)), vec.step(np.array(actions))
        assert np.array_equal(expected[0], got[0]), actions
    assert vec.agent_pos.tolist() == [list(env.agent_pos) for env in ref.envs]
    assert vec.maze(0) == vec.maze(1) == vec.maze(2) == maze  # no agent walked into a neighbour


# --------------------------------------------------------------------- stepping a finished episode
def test_step_after_termination_raises():
    env = MazeEnv(generator_kwargs={"size": 2})
    env.reset(seed=0, options={"maze": open_room()})
    for action in [1, 1, 1, 1, 2, 2, 2, 2]:
        _, reward, terminated, _, _ = env.step(action)
    assert terminated and reward > 0
    with pytest.raises(RuntimeError, match=r"episode has ended at the goal; call reset\(\)"):
        env.step(0)
    env.reset(seed=0)
    assert env.step(0)[1] == 0.0


# --------------------------------------------------------------------- a bool is not an int
@pytest.mark.parametrize("name", ["max_attempts", "obs_tile_size", "view_size", "render_tile_size"])
@pytest.mark.parametrize("cls", [MazeEnv, MazeVectorEnv])
def test_bool_is_not_an_int(cls, name):
    with pytest.raises(ValueError, match=rf"{name} must be an int >= \d+, got True \(bool\)"):
        cls(**{name: True})


@pytest.mark.parametrize("name", ["num_envs", "pool_size", "max_episode_steps"])
@pytest.mark.parametrize("value", [True, 2.0, "3"])
def test_vector_counts_must_be_ints(name, value):
    with pytest.raises(
        ValueError, match=rf"{name} must be an int >= 1, got {value!r} \({type(value).__name__}\)"
    ):
        MazeVectorEnv(**{"num_envs": 2, name: value})


@pytest.mark.parametrize("value", [True, 1000, 0])
def test_max_steps_is_refused_with_a_pointer_to_the_time_limit(value):
    for make in (
        lambda: gym.make("Daedalus-Backtracker-7x7-v0", max_steps=value),
        lambda: MazeEnv(max_steps=value),
    ):
        with pytest.raises(TypeError, match=rf"max_steps was removed \(got {value!r}\).*max_episode_steps"):
            make()


# --------------------------------------------------------------------- seeds
@pytest.mark.parametrize(
    ("seed", "match"),
    [
        ([1.9, 2.2, 3.7], r"seed\[0\] must be an int >= 0, got 1\.9 \(float\)"),
        (b"abc", r"seed must be an int >= 0, None or a list of 3 seeds, got b'abc' \(bytes\)"),
        ([True, 2, 3], r"seed\[0\] must be an int >= 0, got True \(bool\)"),
        ([1, -2, 3], r"seed\[1\] must be an int >= 0, got -2"),
        (-1, r"seed must be an int >= 0, got -1"),
        (2.0, r"seed must be an int >= 0, None or a list of 3 seeds, got 2\.0 \(float\)"),
        (np.array([0.5, 1.0, 2.0]), r"seed\[0\] must be an int >= 0, got np\.float64\(0\.5\)"),
        (np.array(4), r"seed must be an int >= 0, None or a list of 3 seeds, got array\(4\)"),
    ],
)
def test_vector_reset_refuses_non_int_seeds(seed, match):
    vec = MazeVectorEnv(3, generator_kwargs={"size": 2})
    with pytest.raises(ValueError, match=match):
        vec.reset(seed=seed)
    vec.reset(seed=np.array([4, 5, 6]))  # numpy integers are ints
    assert vec.np_random_seed == (4, 5, 6)


@pytest.mark.parametrize("seed", [True, 1.5, -1, "7", b"\x01"])
def test_single_reset_refuses_non_int_seeds(seed):
    env = MazeEnv(generator_kwargs={"size": 2})
    with pytest.raises(ValueError, match=r"seed must be an int >= 0, got "):
        env.reset(seed=seed)
    env.reset(seed=np.int64(3))
    assert env.np_random_seed == 3


def test_a_refused_first_reset_leaves_an_env_without_the_checker_playable():
    # gym.make's env checker marks its first reset done before calling it: after a refused
    # first reset, the docstring's way out (disable_env_checker=True) steps as usual.
    env = gym.make("Daedalus-Backtracker-7x7-v0", disable_env_checker=True)
    with pytest.raises(ValueError, match=r"seed must be an int >= 0, got -1"):
        env.reset(seed=-1)
    obs, _ = env.reset(seed=0)
    assert env.observation_space.contains(obs)
    obs, reward, *_ = env.step(1)
    assert env.observation_space.contains(obs) and 0.0 <= reward <= 1.0


# --------------------------------------------------------------------- options
@pytest.mark.parametrize("options", [5, "maze", ["maze"], 1.5])
def test_options_must_be_a_dict(options):
    env = MazeEnv(generator_kwargs={"size": 2})
    with pytest.raises(TypeError, match=r"options must be a dict \(keys \['level', 'maze'\]\) or None, got "):
        env.reset(options=options)
    vec = MazeVectorEnv(2, generator_kwargs={"size": 2})
    with pytest.raises(
        TypeError, match=r"options must be a dict \(keys \['level', 'maze', 'reset_mask'\]\) or None"
    ):
        vec.reset(options=options)


def test_a_bad_given_maze_leaves_the_vector_env_untouched():
    vec = MazeVectorEnv(2, generator_kwargs={"size": 2})
    vec.reset(seed=0)
    before = vec.maze(0)
    with pytest.raises(TypeError, match=r"generators\.Maze"):
        vec.reset(seed=9, options={"maze": "nope"})
    assert vec.maze(0) == before and vec.np_random_seed == (0, 1)


# --------------------------------------------------------------------- actions
@pytest.mark.parametrize("action", [True, False, 1.0, 4, -1, "1", None, np.bool_(True)])
def test_bad_single_actions(action):
    env = MazeEnv(generator_kwargs={"size": 2})
    env.reset(seed=0)
    with pytest.raises(ValueError, match=r"action must be an int in \[0, 4\), got "):
        env.step(action)
    env.step(np.int64(1))  # numpy integers are fine


# --------------------------------------------------------------------- level splits
@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n": 2.5}, r"n must be an int >= 0, got 2\.5 \(float\)"),
        ({"n": True}, "n must be an int"),
        ({"n": 1, "max_candidates": 0}, "max_candidates"),
    ],
)
def test_held_out_seeds_refuses_non_int_counts(kwargs, match):
    from daedalus_gym.splits import HeldOut, LevelRange, held_out_seeds

    env = MazeEnv(generator_kwargs={"size": 2})
    held_out = HeldOut.of(env, LevelRange(0, 2))
    with pytest.raises(ValueError, match=match):
        held_out_seeds(env, held_out, **kwargs)


@pytest.mark.parametrize("cls", [MazeEnv, MazeVectorEnv])
def test_arguments_are_checked_before_the_generator_is_built(cls):
    # An unknown generator would fail too; the cheap checks come first, before any model loads.
    with pytest.raises(ValueError, match="obs_mode must be one of"):
        cls(generator="no-such-generator", obs_mode="pixels")
    # An array or a list is refused by name, not compared elementwise deep inside numpy.
    for bad in (np.array(["image", "grid"]), ["image"]):
        with pytest.raises(ValueError, match="obs_mode must be one of"):
            cls(generator="no-such-generator", obs_mode=bad)
    # A numpy string is the string.
    env = cls(generator_kwargs={"size": 2}, obs_mode=np.str_("grid"))
    assert type(env.obs_mode) is str and env.obs_mode == "grid"
    with pytest.raises(ValueError, match="max_attempts must be an int"):
        cls(generator="no-such-generator", max_attempts=True)
