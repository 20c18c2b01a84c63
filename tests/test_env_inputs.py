"""Bad input at the env boundary: a clear error naming the argument, or correct behaviour --
never a crash deep inside, a silent wrong or a walk off the grid."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import daedalus_gym  # noqa: F401 - registers the ids
from daedalus_gym.env import MazeEnv
from daedalus_gym.vector_env import MazeVectorEnv
from generators import Maze, make_generator


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
    mode = {"obs_mode": "egocentric"} if name == "view_size" else {}
    with pytest.raises(ValueError, match=rf"{name} must be an int >= \d+, got True \(bool\)"):
        cls(**{name: True}, **mode)


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


# --------------------------------------------------------------------- the id's time limit
SMALL_ID = "Daedalus-Backtracker-7x7-v0"  # time limit 196 = 4 x 7 x 7


def test_an_id_made_to_serve_larger_mazes_warns_that_its_time_limit_stays():
    with pytest.warns(
        UserWarning, match=r"registered for 7x7 cells.*max_episode_steps=196.*pass max_episode_steps=784"
    ):
        env = gym.make(SMALL_ID, generator_kwargs={"size": 14})
    # What the warning says holds: Gymnasium's TimeLimit keeps the id's limit.
    assert env.spec.max_episode_steps == 196 and env.unwrapped.step_budget == 784
    with pytest.warns(UserWarning, match=r"registered for 7x7 cells.*max_episode_steps=196"):
        gym.make_vec(SMALL_ID, num_envs=2, generator_kwargs={"size": 14})
    with pytest.warns(UserWarning, match=r"registered for 7x7 cells"):
        gym.make_vec(SMALL_ID, num_envs=2, generator_kwargs={"size": 14}, vectorization_mode="sync")
    with pytest.warns(UserWarning, match=r"serving 7x9-cell mazes under an id registered for 7x7 cells"):
        gym.make(SMALL_ID, generator=make_generator("prim", size=(7, 9)))


def test_an_id_serving_its_own_or_smaller_mazes_or_a_chosen_limit_does_not_warn():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gym.make(SMALL_ID)
        gym.make(SMALL_ID, generator_kwargs={"goal": "farthest"})
        gym.make("Daedalus-Backtracker-v0", generator_kwargs={"size": 7})
        assert (
            gym.make(SMALL_ID, generator_kwargs={"size": 14}, max_episode_steps=784).spec.max_episode_steps
            == 784
        )
        gym.make(SMALL_ID, generator_kwargs={"size": 14}, max_episode_steps=-1)  # no time limit
        vec = gym.make_vec(SMALL_ID, num_envs=2, generator_kwargs={"size": 14}, max_episode_steps=784)
        assert vec.max_episode_steps == 784
        gym.make_vec(
            SMALL_ID, 2, generator_kwargs={"size": 14}, max_episode_steps=784, vectorization_mode="sync"
        )
        MazeEnv(generator_kwargs={"size": 28})  # no id, no TimeLimit
        MazeEnv(
            default_generator_kwargs={"size": 7}, generator_kwargs={"size": 14}
        )  # built directly: no TimeLimit


# --------------------------------------------------------------------- a refused reset changes nothing
@pytest.mark.parametrize(
    "options", [{"foo": 1}, {"level": "#"}, {"level": Maze(np.zeros((5, 5), dtype=bool), (0, 0), (4, 4))}]
)
def test_a_refused_reset_leaves_the_env_as_it_was(options):
    env, twin = gym.make(SMALL_ID), gym.make(SMALL_ID)
    env.reset(seed=3)
    twin.reset(seed=3)
    with pytest.raises((ValueError, TypeError)):
        env.reset(seed=5, options=options)
    # Neither the seed nor the rng moved: the next reset serves what the twin's does.
    assert env.reset()[1]["maze_hash"] == twin.reset()[1]["maze_hash"]
    assert env.reset()[1]["maze_hash"] != gym.make(SMALL_ID).reset(seed=5)[1]["maze_hash"]


# --------------------------------------------------------------------- actions Discrete takes
def test_single_env_takes_every_action_discrete_takes_but_bools():
    import enum

    class Move(enum.IntEnum):
        UP = 0
        RIGHT = 1

    env = gym.make(SMALL_ID, disable_env_checker=True)
    for action in [np.array(1), np.array(2, dtype=np.uint8), Move.RIGHT, np.int8(3)]:
        env.reset(seed=0)
        assert env.action_space.contains(action)
        reference = gym.make(SMALL_ID, disable_env_checker=True)
        reference.reset(seed=0)
        assert np.array_equal(env.step(action)[0], reference.step(int(action))[0])
    env.reset(seed=0)
    for action in [np.array([1]), np.array(1.0), np.array(True), np.array(4)]:
        with pytest.raises(ValueError, match=r"action must be an int in \[0, 4\)"):
            env.step(action)


def test_vector_env_refuses_bools_among_int_actions():
    vec = MazeVectorEnv(3, generator_kwargs={"size": 3})
    vec.reset(seed=0)
    with pytest.raises(ValueError, match=r"must be integers in \[0, 4\), got bools in \[True, 0, 2\]"):
        vec.step([True, 0, 2])
    vec.step([1, 0, 2])


@pytest.mark.parametrize("copy", ["no", None, 1])
def test_vector_copy_must_be_a_bool(copy):
    with pytest.raises(TypeError, match=rf"copy must be a bool, got {copy!r}"):
        MazeVectorEnv(2, copy=copy)


# --------------------------------------------------------------------- one observation mode's arguments
@pytest.mark.parametrize("cls", [MazeEnv, MazeVectorEnv])
@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"view_size": 7}, r"view_size=7 only applies to obs_mode='egocentric' \(got obs_mode='image'\)"),
        ({"view_size": 7, "obs_mode": "grid"}, r"view_size=7 only applies to obs_mode='egocentric'"),
        ({"obs_tile_size": 3, "obs_mode": "grid"}, r"obs_tile_size=3 only applies to obs_mode 'image'"),
        ({"obs_tile_size": 3, "obs_mode": "egocentric"}, r"obs_tile_size=3 only applies"),
    ],
)
def test_an_argument_of_another_observation_mode_is_refused(cls, kwargs, match):
    args = (2,) if cls is MazeVectorEnv else ()
    with pytest.raises(ValueError, match=match):
        cls(*args, generator_kwargs={"size": 3}, **kwargs)


@pytest.mark.parametrize("cls", [MazeEnv, MazeVectorEnv])
def test_each_mode_takes_its_own_arguments(cls):
    args = (2,) if cls is MazeVectorEnv else ()
    assert cls(*args, obs_mode="egocentric", view_size=7).observation_space.shape[-3:] == (7, 7, 2)
    assert cls(*args, obs_mode="egocentric").observation_space.shape[-3:] == (5, 5, 2)
    rgb = cls(*args, obs_mode="rgb", obs_tile_size=2, generator_kwargs={"size": 3})
    assert rgb.observation_space.shape[-3:] == (14, 14, 3)


@pytest.mark.parametrize("cls", [MazeEnv, MazeVectorEnv])
@pytest.mark.parametrize(
    "kwargs, match",
    [
        (
            {"obs_mode": "egocentric", "view_size": 10**6 + 1},
            r"view_size=1000001 makes a 1000001x1000001x2 .*at most view_size=\d+ here",
        ),
        (
            {"render_tile_size": 10**5},
            r"render_tile_size=100000 makes a 700000x700000x3 image .*at most render_tile_size=\d+ here",
        ),
    ],
)
def test_sizes_too_large_for_memory_are_refused_by_name(cls, kwargs, match):
    args = (2,) if cls is MazeVectorEnv else ()
    with pytest.raises(ValueError, match=match):
        cls(*args, generator_kwargs={"size": 3}, **kwargs)


@pytest.mark.parametrize(
    "bonus, error, match",
    [
        ("a", TypeError, r"bonus must be a real number, got str 'a'"),
        (np.array([0.1]), TypeError, r"bonus must be a real number, got ndarray"),
        (True, TypeError, r"bonus must be a real number, got bool True"),
        (-0.1, ValueError, r"bonus must be a finite number in \[0.0, inf\), got -0.1"),
        (float("nan"), ValueError, r"bonus must be a finite number in \[0.0, inf\), got nan"),
    ],
)
def test_novelty_bonus_refuses_a_bonus_it_cannot_pay(bonus, error, match):
    from daedalus_gym.wrappers import NoveltyBonus

    with pytest.raises(error, match=match):
        NoveltyBonus(gym.make(SMALL_ID), bonus)
