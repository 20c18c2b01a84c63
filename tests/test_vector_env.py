"""The native vector env: same trajectories as single envs, autoreset, seeding, pool, bad input.

The reference everywhere is gymnasium's own `SyncVectorEnv` over single `MazeEnv`s built by
``gym.make`` (``vectorization_mode="sync"``), compared with gymnasium's `data_equivalence`
(exact): if the two agree on observations, rewards, flags and infos step for step, the native env
is the single env, batched. Sizes are small so that episodes end often (terminations and
truncations) and the tests stay fast.
"""

from __future__ import annotations

import pickle
from typing import ClassVar

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import data_equivalence
from gymnasium.utils.passive_env_checker import check_obs
from gymnasium.vector import AutoresetMode
from gymnasium.wrappers import TimeLimit

import daedalus_gym
from daedalus_gym.vector_env import MazeVectorEnv
from generators import Maze, MazeGenerator, make_generator, registered_generators
from generators.backtracker import BacktrackerGenerator
from generators.base import NoiseGenerator, UniformsGenerator
from generators.shortest_paths import shortest_path_lengths

ENV_IDS = daedalus_gym.registered_ids()
OBS_MODES = ["image", "grid", "egocentric", "rgb"]
GENERATORS = sorted(registered_generators())


def make_pair(env_id: str, num_envs: int, autoreset_mode=AutoresetMode.NEXT_STEP, **kwargs):
    """(reference SyncVectorEnv of single envs, native vector env), same arguments."""
    ref = gym.make_vec(
        env_id,
        num_envs,
        vectorization_mode="sync",
        vector_kwargs={"autoreset_mode": autoreset_mode},
        **kwargs,
    )
    vec = gym.make_vec(
        env_id, num_envs, vectorization_mode="vector_entry_point", autoreset_mode=autoreset_mode, **kwargs
    )
    return ref, vec


def assert_same(a, b, what: str) -> None:
    assert data_equivalence(a, b, exact=True), f"{what} differ:\n{a}\n{b}"


def assert_same_rollout(ref, vec, steps: int, seed=0, action_seed: int = 0) -> dict[str, int]:
    """Reset both with ``seed`` and step both with the same random actions; count episode ends."""
    assert_same(ref.reset(seed=seed), vec.reset(seed=seed), "reset")
    rng = np.random.default_rng(action_seed)
    ends = {"terminated": 0, "truncated": 0}
    for t in range(steps):
        actions = rng.integers(0, 4, ref.num_envs)
        expected, got = ref.step(actions), vec.step(actions)
        assert_same(expected, got, f"step {t}")
        ends["terminated"] += int(expected[2].sum())
        ends["truncated"] += int(expected[3].sum())
    return ends


# --------------------------------------------------------------------- registry-wide
@pytest.mark.parametrize("env_id", ENV_IDS)
def test_make_vec_builds_the_native_env(env_id):
    envs = gym.make_vec(env_id, num_envs=3, vectorization_mode="vector_entry_point")
    assert isinstance(envs, MazeVectorEnv)
    assert isinstance(gym.make_vec(env_id, num_envs=2), MazeVectorEnv)  # the default when one exists
    single = gym.make(env_id)
    assert envs.single_observation_space == single.observation_space
    assert envs.single_action_space == single.action_space
    assert envs.action_space == gym.spaces.MultiDiscrete([4, 4, 4])
    assert envs.metadata["autoreset_mode"] == AutoresetMode.NEXT_STEP
    assert envs.max_episode_steps == single.spec.max_episode_steps
    obs, info = envs.reset(seed=0)
    assert obs in envs.observation_space
    for i in range(3):
        check_obs(obs[i], envs.single_observation_space, "reset")
    obs, reward, terminated, truncated, info = envs.step(envs.action_space.sample())
    assert obs in envs.observation_space
    assert reward.dtype == np.float64 and terminated.dtype == truncated.dtype == np.bool_
    assert set(info) == {
        k for key in ("optimal_path_length", "generator", "maze_hash", "steps") for k in (key, f"_{key}")
    }
    envs.close()


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_every_id_matches_single_envs(env_id):
    ref, vec = make_pair(env_id, 2)
    assert_same_rollout(ref, vec, steps=30, seed=11)


# --------------------------------------------------------------------- equivalence, every obs mode
@pytest.mark.parametrize("obs_mode", OBS_MODES)
@pytest.mark.parametrize("env_id", ["Daedalus-Backtracker-v0", "Daedalus-Kruskal-v0", "Daedalus-Wilson-v0"])
def test_same_seeds_same_trajectories(env_id, obs_mode):
    # 3x3 cells: a time limit of 36 steps, so within 300 steps the envs both reach goals and time out.
    ref, vec = make_pair(env_id, 6, obs_mode=obs_mode, generator_kwargs={"size": 3}, max_episode_steps=36)
    ends = assert_same_rollout(ref, vec, steps=300, seed=5)
    assert ends["terminated"] > 0 and ends["truncated"] > 0


@pytest.mark.parametrize("obs_mode", OBS_MODES)
def test_same_trajectories_at_full_size_with_options(obs_mode):
    per_mode = {"egocentric": {"view_size": 7}, "image": {"obs_tile_size": 2}, "rgb": {"obs_tile_size": 2}}
    ref, vec = make_pair(
        "Daedalus-Prim-7x7-v0", 3, obs_mode=obs_mode, max_episode_steps=50, **per_mode.get(obs_mode, {})
    )
    ends = assert_same_rollout(ref, vec, steps=120, seed=[4, 100, 9])
    assert ends["truncated"] > 0


@pytest.mark.parametrize("limit", [10, 20])
def test_time_limit_matches_sync(limit):
    # One time limit: gym.make's TimeLimit for the single envs, max_episode_steps for the native
    # env; the reward keeps the 2x2-cell scale (16 steps) either side of it.
    ref, vec = make_pair("Daedalus-Backtracker-v0", 4, generator_kwargs={"size": 2}, max_episode_steps=limit)
    ends = assert_same_rollout(ref, vec, steps=100, seed=1)
    assert ends["terminated"] > 0 and ends["truncated"] > 0


def test_seed_sequences_and_continued_streams():
    ref, vec = make_pair("Daedalus-Kruskal-v0", 3, generator_kwargs={"size": 2})
    assert_same_rollout(ref, vec, steps=40, seed=[7, 8, 9])
    assert_same(ref.reset(), vec.reset(), "unseeded reset continues each stream")
    assert_same(ref.reset(seed=[None, 3, None]), vec.reset(seed=[None, 3, None]), "partly seeded reset")
    actions = np.zeros(3, dtype=np.int64)
    for _ in range(30):
        assert_same(ref.step(actions), vec.step(actions), "step after partial reseed")
    # The rngs themselves run ahead of the single envs' (the pool has drawn the next mazes already).
    assert vec.np_random_seed == ref.np_random_seed == (7, 3, 9)
    assert all(isinstance(r, np.random.Generator) for r in vec.np_random)


def test_unseeded_envs_differ_and_seeded_envs_repeat():
    a, b = MazeVectorEnv(4, generator_kwargs={"size": 5}), MazeVectorEnv(4, generator_kwargs={"size": 5})
    _, info_a = a.reset()
    _, info_b = b.reset()
    assert list(info_a["maze_hash"]) != list(info_b["maze_hash"])
    assert len(set(info_a["maze_hash"])) == 4
    assert_same(a.reset(seed=3), b.reset(seed=3), "same seed")


# --------------------------------------------------------------------- autoreset modes
def test_next_step_autoreset():
    vec = MazeVectorEnv(2, generator_kwargs={"size": 4}, max_episode_steps=3)
    vec.reset(seed=0)
    for _ in range(3):
        _, reward, terminated, truncated, info = vec.step(np.array([0, 0]))  # into the top wall
    assert truncated.all() and not terminated.any()
    old_hashes = info["maze_hash"].copy()
    _, reward, terminated, truncated, info = vec.step(np.array([1, 2]))  # ignored: a reset step
    assert (reward == 0).all() and not terminated.any() and not truncated.any()
    assert (info["steps"] == 0).all() and (vec.agent_pos == 1).all()
    assert list(info["maze_hash"]) != list(old_hashes)


def test_same_step_autoreset_matches_sync():
    ref, vec = make_pair(
        "Daedalus-Backtracker-v0",
        3,
        AutoresetMode.SAME_STEP,
        obs_mode="egocentric",
        generator_kwargs={"size": 2},
    )
    assert vec.metadata["autoreset_mode"] == AutoresetMode.SAME_STEP
    ends = assert_same_rollout(ref, vec, steps=80, seed=2)
    assert ends["terminated"] > 0


def test_disabled_autoreset_needs_masked_resets():
    ref, vec = make_pair(
        "Daedalus-Backtracker-v0",
        3,
        AutoresetMode.DISABLED,
        generator_kwargs={"size": 2},
        max_episode_steps=4,
    )
    assert_same(ref.reset(seed=0), vec.reset(seed=0), "reset")
    actions = np.zeros(3, dtype=np.int64)
    for _ in range(4):
        assert_same(ref.step(actions), vec.step(actions), "step")
    with pytest.raises(RuntimeError, match="reset_mask"):
        vec.step(actions)
    mask = np.array([True, False, True])
    assert_same(
        ref.reset(options={"reset_mask": mask.copy()}), vec.reset(options={"reset_mask": mask}), "masked"
    )
    assert mask.tolist() == [True, False, True]  # the caller's options are not consumed
    assert_same(ref.reset(options={"reset_mask": ~mask}), vec.reset(options={"reset_mask": ~mask}), "rest")
    for _ in range(3):
        assert_same(ref.step(actions), vec.step(actions), "step after masked resets")


def test_reset_mask_with_next_step_matches_sync():
    ref, vec = make_pair("Daedalus-Prim-v0", 4, generator_kwargs={"size": 3})
    assert_same_rollout(ref, vec, steps=20, seed=3)
    mask = np.array([False, True, True, False])
    assert_same(
        ref.reset(seed=40, options={"reset_mask": mask}), vec.reset(seed=40, options={"reset_mask": mask}), ""
    )
    rng = np.random.default_rng(1)
    for _ in range(60):
        actions = rng.integers(0, 4, 4)
        assert_same(ref.step(actions), vec.step(actions), "step after masked reset")


# --------------------------------------------------------------------- maze supply
@pytest.mark.parametrize("name", GENERATORS)
def test_every_registered_generator_matches_single_envs(name):
    """New generators (the learned ones included) are covered the day they are registered."""
    try:
        make_generator(name)
    except Exception as err:  # e.g. a learned generator whose weights are not installed
        pytest.skip(f"{name} cannot be built with default arguments here: {err}")
    kwargs = {"generator": name}
    ref = gym.vector.SyncVectorEnv([lambda: TimeLimit(daedalus_gym.MazeEnv(**kwargs), 25)] * 2)
    vec = MazeVectorEnv(2, **kwargs, max_episode_steps=25)
    assert_same_rollout(ref, vec, steps=60, seed=21)


@pytest.mark.parametrize("name", GENERATORS)
def test_fast_path_contract(name):
    """What the vector env relies on when a generator offers `UniformsGenerator`/`NoiseGenerator`."""
    try:
        classical = name in ("backtracker", "kruskal", "prim", "wilson")
        gen = make_generator(name, size=(4, 6)) if classical else make_generator(name)
    except Exception as err:
        pytest.skip(f"{name} cannot be built here: {err}")
    if isinstance(gen, UniformsGenerator):
        walls = gen.walls_from_uniforms(np.random.default_rng(4).random((12, gen.num_draws())))
    elif isinstance(gen, NoiseGenerator):
        rng = np.random.default_rng(4)
        one_by_one = np.concatenate([gen.draw_noise(1, rng) for _ in range(12)])
        assert np.array_equal(gen.draw_noise(12, np.random.default_rng(4)), one_by_one)
        walls = gen.walls_from_noise(one_by_one)
    else:
        pytest.skip(f"{name} offers no batched fast path (the vector env falls back to generate_batch)")
    mazes = gen.generate_batch(12, np.random.default_rng(4))
    assert np.array_equal(walls, np.stack([m.walls for m in mazes]))
    start, goal = gen.place_batch(walls)
    assert [tuple(s) for s in start.tolist()] == [m.start for m in mazes]
    assert [tuple(g) for g in goal.tolist()] == [m.goal for m in mazes]


def test_farthest_goal_placement_is_served():
    ref = gym.vector.SyncVectorEnv(
        [lambda: TimeLimit(daedalus_gym.MazeEnv("prim", {"size": 3, "goal": "farthest"}), 20)] * 3
    )
    vec = MazeVectorEnv(3, "prim", {"size": 3, "goal": "farthest"}, max_episode_steps=20)
    assert_same_rollout(ref, vec, steps=60, seed=8)


class Flaky(MazeGenerator):
    """Unsolvable on purpose: a uniform below ``p`` walls the goal in (the fast path)."""

    name: ClassVar[str] = "flaky"

    def __init__(self, size=3, p=0.5):
        super().__init__(size)
        self.p = p

    def num_draws(self) -> int:
        return 1 + 2 * self.cells[0] * self.cells[1] - 1

    def walls_from_uniforms(self, u):
        walls = BacktrackerGenerator(self.cells).walls_from_uniforms(u[:, 1:])
        blocked = u[:, 0] < self.p
        walls[blocked, -3, -2] = True  # the goal's two neighbours ...
        walls[blocked, -2, -3] = True  # ... become walls
        return walls

    def generate_walls(self, n, rng):
        return self.walls_from_uniforms(rng.random((n, self.num_draws())))


class FlakyNoise(Flaky):
    """The same idea driven by normal noise: the vector env's `NoiseGenerator` path."""

    name: ClassVar[str] = "flaky-noise"
    num_draws = None  # type: ignore[assignment]

    def draw_noise(self, n, rng):
        return rng.standard_normal((n, Flaky.num_draws(self)))

    def walls_from_noise(self, noise):
        return Flaky.walls_from_uniforms(self, np.clip((noise + 4.0) / 8.0, 0.0, 1.0 - 1e-12))

    def generate_walls(self, n, rng):
        return self.walls_from_noise(self.draw_noise(n, rng))


class FlakySlow(Flaky):
    """The same mazes without the fast path: the vector env must fall back to generate_batch."""

    name: ClassVar[str] = "flaky-slow"
    num_draws = None  # type: ignore[assignment]

    def generate_walls(self, n, rng):
        return Flaky.walls_from_uniforms(self, rng.random((n, Flaky.num_draws(self))))


@pytest.mark.parametrize(
    ("generator", "path"),
    [(Flaky(), "uniforms"), (FlakyNoise(), "noise"), (FlakySlow(), None)],
    ids=["uniforms", "noise", "fallback"],
)
def test_unsolvable_mazes_are_skipped_like_the_single_env(generator, path):
    ref = gym.vector.SyncVectorEnv(
        [lambda: TimeLimit(daedalus_gym.MazeEnv(generator, max_attempts=50), 8)] * 3
    )
    vec = MazeVectorEnv(3, generator, max_episode_steps=8, max_attempts=50, pool_size=3)
    assert vec._fast_path == path
    assert_same_rollout(ref, vec, steps=60, seed=0)


def test_too_many_unsolvable_mazes_raise():
    vec = MazeVectorEnv(2, Flaky(p=1.0), max_attempts=4)
    with pytest.raises(RuntimeError, match="4 unsolvable mazes in a row"):
        vec.reset(seed=0)


def test_networkx_check_agrees_with_batched_bfs():
    a = MazeVectorEnv(3, Flaky(p=0.3), max_episode_steps=10, check="networkx")
    b = MazeVectorEnv(3, Flaky(p=0.3), max_episode_steps=10)
    assert_same(a.reset(seed=1), b.reset(seed=1), "reset")
    for _ in range(40):
        actions = np.full(3, 2)
        assert_same(a.step(actions), b.step(actions), "step")


@pytest.mark.parametrize("pool_size", [1, 2, 7])
def test_pool_size_does_not_change_trajectories(pool_size):
    ref = gym.make_vec("Daedalus-Backtracker-v0", 3, vectorization_mode="sync", generator_kwargs={"size": 2})
    vec = MazeVectorEnv(3, generator_kwargs={"size": 2}, max_episode_steps=784, pool_size=pool_size)
    assert_same_rollout(ref, vec, steps=70, seed=6)


def test_default_pool_is_one_refill_batch_of_the_generators():
    # About 4,096 mazes a refill over all sub-envs; 256 under a learned search (milliseconds a
    # maze), so that the first reset does not wait for thousands of them.
    for env_id, kwargs, want in (
        ("Daedalus-Backtracker-v0", {}, 64),
        ("Daedalus-Backtracker-v0", {"difficulty": 0.5}, 64),  # a compiled search
        ("Daedalus-VAE-7x7-v0", {}, 64),
        ("Daedalus-VAE-7x7-v0", {"difficulty": 0.5}, 32),
    ):
        vec = gym.make_vec(env_id, 8, generator_kwargs=kwargs)
        assert vec.unwrapped.pool_size == want, (env_id, kwargs)
        vec.close()
    assert MazeVectorEnv(512, generator_kwargs={"size": 3}).pool_size == 8
    assert MazeVectorEnv(8, "vae", {"size": 7, "difficulty": 0.5}, pool_size=3).pool_size == 3
    with pytest.raises(ValueError, match="refill_batch"):
        MazeVectorEnv(2, _NoRefill(), max_attempts=5)


class _NoRefill(BacktrackerGenerator):
    refill_batch = 0


def test_given_maze_and_inspection():
    maze = make_generator("kruskal", size=4).generate(np.random.default_rng(0))
    ref, vec = make_pair("Daedalus-Backtracker-v0", 2, generator_kwargs={"size": 4}, obs_mode="rgb")
    assert_same(
        ref.reset(seed=0, options={"maze": maze}), vec.reset(seed=0, options={"maze": maze}), "given maze"
    )
    assert vec.maze(0) == maze and vec.maze(1) == maze
    assert vec.agent_pos.tolist() == [[1, 1], [1, 1]]
    actions = np.array([1, 2])
    for _ in range(5):
        assert_same(ref.step(actions), vec.step(actions), "step on a given maze")
    assert vec.agent_pos.tolist() == [list(env.unwrapped.agent_pos) for env in ref.envs]


def test_served_mazes_are_the_single_envs_mazes():
    vec = MazeVectorEnv(3, "wilson", {"size": 5}, obs_mode="egocentric")
    _, info = vec.reset(seed=12)
    for i in range(3):
        single = daedalus_gym.MazeEnv("wilson", {"size": 5})
        _, single_info = single.reset(seed=12 + i)
        assert vec.maze(i) == single.unwrapped.maze
        assert info["maze_hash"][i] == single_info["maze_hash"] == vec.maze(i).maze_hash
        assert info["optimal_path_length"][i] == vec.maze(i).shortest_path_length()


# --------------------------------------------------------------------- returned arrays, pickling, render
@pytest.mark.parametrize("obs_mode", OBS_MODES)
def test_copy_semantics(obs_mode):
    shared = MazeVectorEnv(2, generator_kwargs={"size": 4}, obs_mode=obs_mode, copy=False)
    first, _ = shared.reset(seed=0)
    second = shared.step(np.array([1, 2]))[0]
    assert second is first  # documented: the live buffer, updated in place
    fresh = MazeVectorEnv(2, generator_kwargs={"size": 4}, obs_mode=obs_mode)  # copy=True by default
    assert fresh.copy
    first, _ = fresh.reset(seed=0)
    kept = first.copy()
    second = fresh.step(np.array([1, 2]))[0]
    assert second is not first and np.array_equal(first, kept)
    assert np.array_equal(second, shared._batch.obs)


@pytest.mark.parametrize("obs_mode", OBS_MODES)
def test_pickle_round_trip_continues_identically(obs_mode):
    vec = MazeVectorEnv(3, "prim", {"size": 3}, obs_mode=obs_mode)
    vec.reset(seed=4)
    vec.step(np.array([1, 2, 3]))
    clone = pickle.loads(pickle.dumps(vec))
    rng = np.random.default_rng(0)
    for _ in range(50):
        actions = rng.integers(0, 4, 3)
        expected = tuple(np.copy(x) if isinstance(x, np.ndarray) else x for x in vec.step(actions))
        assert_same(expected, clone.step(actions), "step after unpickling")


def test_render_modes_match_single_envs():
    ref, vec = make_pair("Daedalus-Backtracker-v0", 2, generator_kwargs={"size": 3}, render_mode="rgb_array")
    ref.reset(seed=1)
    vec.reset(seed=1)
    for a, b in zip(ref.render(), vec.render(), strict=True):
        assert np.array_equal(a, b)
    text = MazeVectorEnv(2, generator_kwargs={"size": 3}, render_mode="ansi")
    text.reset(seed=1)
    frames = text.render()
    assert len(frames) == 2 and all(f.count("A") == 1 and "G" in f for f in frames)
    with pytest.warns(UserWarning, match="render_mode"):
        assert MazeVectorEnv(1).render() is None
    vec.close()
    text.close()


# --------------------------------------------------------------------- bad input
def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match="num_envs"):
        MazeVectorEnv(0)
    with pytest.raises(ValueError, match="obs_mode"):
        MazeVectorEnv(2, obs_mode="pixels")
    with pytest.raises(ValueError, match="render_mode"):
        MazeVectorEnv(2, render_mode="human")
    with pytest.raises(ValueError, match="autoreset_mode"):
        MazeVectorEnv(2, autoreset_mode="sometimes")
    with pytest.raises(ValueError, match="check"):
        MazeVectorEnv(2, check="dfs")
    with pytest.raises(ValueError, match="pool_size"):
        MazeVectorEnv(2, pool_size=0)
    with pytest.raises(ValueError, match="max_episode_steps"):
        MazeVectorEnv(2, max_episode_steps=0)
    with pytest.raises(ValueError, match="unknown generator"):
        MazeVectorEnv(2, generator="nope")


def test_bad_actions_and_call_order():
    vec = MazeVectorEnv(3, generator_kwargs={"size": 3})
    with pytest.raises(RuntimeError, match="reset"):
        vec.step(np.zeros(3, dtype=np.int64))
    vec.reset(seed=0)
    with pytest.raises(ValueError, match=r"shape \(3,\)"):
        vec.step(np.zeros(2, dtype=np.int64))
    with pytest.raises(ValueError, match="integers"):
        vec.step(np.zeros(3))
    with pytest.raises(ValueError, match=r"got \[4\] at sub-envs \[1\]"):
        vec.step(np.array([0, 4, 1]))
    with pytest.raises(ValueError, match="got \\[-1\\]"):
        vec.step([0, 1, -1])
    vec.step([0, 1, 2])  # a list of ints is fine


@pytest.mark.parametrize(
    "dtype", [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64]
)
def test_action_range_every_int_dtype(dtype):
    """The range check reads signed actions as unsigned: a negative one must still be refused."""
    vec = MazeVectorEnv(4, generator_kwargs={"size": 3})
    vec.reset(seed=0)
    vec.step(np.array([0, 1, 2, 3], dtype=dtype))
    vec.step(np.array([0, 1, 2, 3, 9, 9], dtype=dtype)[::-1][2:])  # a strided view is fine
    with pytest.raises(ValueError, match=r"got \[4\] at sub-envs \[2\]"):
        vec.step(np.array([0, 1, 4, 3], dtype=dtype))
    if np.dtype(dtype).kind == "i":
        with pytest.raises(ValueError, match=r"got \[-1, -128\] at sub-envs \[0, 3\]"):
            vec.step(np.array([-1, 1, 2, -128], dtype=dtype))


def test_bad_reset_arguments():
    vec = MazeVectorEnv(3, generator_kwargs={"size": 3})
    with pytest.raises(RuntimeError, match="first reset"):
        vec.reset(options={"reset_mask": np.array([True, False, False])})
    vec.reset(seed=0)
    with pytest.raises(ValueError, match="list of 3 seeds"):
        vec.reset(seed=[1, 2])
    with pytest.raises(ValueError, match="list of 3 seeds"):
        vec.reset(seed="7")
    with pytest.raises(ValueError, match="unknown reset options"):
        vec.reset(options={"mask": np.ones(3, bool)})
    with pytest.raises(ValueError, match="reset_mask"):
        vec.reset(options={"reset_mask": [True, False, True]})
    with pytest.raises(ValueError, match="reset_mask"):
        vec.reset(options={"reset_mask": np.ones(2, bool)})
    with pytest.raises(ValueError, match="at least one"):
        vec.reset(options={"reset_mask": np.zeros(3, bool)})
    with pytest.raises(TypeError, match=r"generators\.Maze"):
        vec.reset(options={"maze": np.zeros((7, 7), bool)})
    with pytest.raises(ValueError, match="shape"):
        vec.reset(options={"maze": make_generator("backtracker", size=4).generate(np.random.default_rng(0))})
    walled = np.zeros((7, 7), bool)
    walled[0], walled[-1], walled[:, 0], walled[:, -1], walled[3] = True, True, True, True, True
    with pytest.raises(ValueError, match="unsolvable"):
        vec.reset(options={"maze": Maze(walled)})
    with pytest.raises(ValueError, match="index"):
        vec.maze(3)


# --------------------------------------------------------------------- the batched BFS and generation
@pytest.mark.parametrize("name", ["backtracker", "kruskal", "prim", "wilson"])
def test_batched_bfs_agrees_with_networkx_on_mazes(name):
    gen = make_generator(name, size=(5, 8))
    mazes = gen.generate_batch(40, np.random.default_rng(1))
    lengths = shortest_path_lengths(
        np.stack([m.walls for m in mazes]),
        np.array([m.start for m in mazes]),
        np.array([m.goal for m in mazes]),
    )
    assert lengths.tolist() == [m.shortest_path_length() for m in mazes]


def test_batched_bfs_agrees_with_networkx_on_random_grids():
    rng = np.random.default_rng(5)
    walls = rng.random((300, 9, 13)) < 0.35  # cycles, open borders, unsolvable grids
    start = np.stack([rng.integers(0, 9, 300), rng.integers(0, 13, 300)], axis=1)
    goal = np.stack([rng.integers(0, 9, 300), rng.integers(0, 13, 300)], axis=1)
    keep = (start != goal).any(axis=1)
    walls, start, goal = walls[keep], start[keep], goal[keep]
    walls[np.arange(len(walls)), start[:, 0], start[:, 1]] = False
    walls[np.arange(len(walls)), goal[:, 0], goal[:, 1]] = False
    expected = [
        Maze(w, tuple(s), tuple(g)).shortest_path_length() for w, s, g in zip(walls, start, goal, strict=True)
    ]
    expected = [-1 if e is None else e for e in expected]
    assert shortest_path_lengths(walls, start, goal).tolist() == expected
    assert -1 in expected and max(expected) > 10


def test_batched_bfs_bad_input():
    with pytest.raises(ValueError, match="bool"):
        shortest_path_lengths(np.zeros((2, 5, 5)), np.ones((2, 2)), np.ones((2, 2)))
    with pytest.raises(ValueError, match="start and goal"):
        shortest_path_lengths(np.zeros((2, 5, 5), bool), np.ones((3, 2)), np.ones((2, 2)))
    walls = np.ones((1, 5, 5), bool)
    with pytest.raises(ValueError, match="open squares"):
        shortest_path_lengths(walls, np.array([[1, 1]]), np.array([[3, 3]]))


def test_batched_bfs_refuses_squares_off_the_grid():
    from generators.shortest_paths import CHUNK, path_lengths

    walls = np.zeros((1, 5, 5), bool)  # an open 5x5 room: (1, 1) -> (3, 3) is 4 steps
    # A column past the right edge would be read as a square of the next row of the padded grid.
    with pytest.raises(ValueError, match=r"start \(1, 7\) of row 0 is outside the 5x5 grid"):
        shortest_path_lengths(walls, [[1, 7]], [[3, 3]])
    with pytest.raises(ValueError, match=r"goal \(9, 0\) of row 0 is outside the 5x5 grid"):
        shortest_path_lengths(walls, [[1, 1]], [[9, 0]])
    with pytest.raises(
        ValueError, match=r"start of row 0 must be a \(row, col\) pair of ints, got \[1.7, 1.0\]"
    ):
        shortest_path_lengths(walls, np.array([[1.7, 1.0]]), [[3, 3]])
    with pytest.raises(ValueError, match=r"lattice must be bool\[1\], one per grid, got shape \(2,\)"):
        shortest_path_lengths(walls, [[1, 1]], [[3, 3]], lattice=np.array([False, False]))
    with pytest.raises(ValueError, match=r"goal must be a \(row, col\) pair of ints, got \(2.5, 3\)"):
        path_lengths(walls, goal=(2.5, 3))
    blocked = walls.copy()
    blocked[0, 3, 3] = True
    with pytest.raises(ValueError, match=r"open squares inside their grid: goal \(3, 3\) of row 0 is a wall"):
        shortest_path_lengths(blocked, [[1, 1]], [[3, 3]])
    # In a batch of more than one kernel call's grids the row named is the batch's own.
    many = np.zeros((CHUNK + 3, 5, 5), bool)
    ends = np.tile([[1, 1]], (CHUNK + 3, 1))
    far = ends.copy()
    far[CHUNK + 1] = (5, 1)
    with pytest.raises(ValueError, match=rf"goal \(5, 1\) of row {CHUNK + 1} is outside the 5x5 grid"):
        shortest_path_lengths(many, ends, far)
    # Whole numbers held as floats still answer, and an empty batch gives no lengths.
    assert shortest_path_lengths(walls, np.array([[1.0, 1.0]]), [[3, 3]]).tolist() == [4]
    empty = shortest_path_lengths(np.zeros((0, 5, 5), bool), np.zeros((0, 2), int), np.zeros((0, 2), int))
    assert empty.dtype == np.int64 and empty.shape == (0,)


def test_no_time_limit_as_gymnasium_spells_it_matches_sync():
    # max_episode_steps=-1: gym.make adds no TimeLimit; the native vector env truncates nothing.
    kwargs = {"generator_kwargs": {"size": 3}, "max_episode_steps": -1}
    native = gym.make_vec("Daedalus-Backtracker-v0", 3, vectorization_mode="vector_entry_point", **kwargs)
    sync = gym.make_vec("Daedalus-Backtracker-v0", 3, vectorization_mode="sync", **kwargs)
    assert native.max_episode_steps == -1
    a, _ = native.reset(seed=1)
    b, _ = sync.reset(seed=1)
    assert np.array_equal(a, b)
    rng = np.random.default_rng(0)
    for _ in range(300):  # past 4 h w = 36 steps: no truncation either side
        actions = rng.integers(0, 4, size=3)
        a, ra, ta, ua, _ = native.step(actions)
        b, rb, tb, ub, _ = sync.step(actions)
        assert np.array_equal(a, b) and np.array_equal(ra, rb) and np.array_equal(ta, tb)
        assert not ua.any() and not ub.any()
    with pytest.raises(ValueError, match=r"max_episode_steps must be an int >= 1, got -2"):
        MazeVectorEnv(2, max_episode_steps=-2)
