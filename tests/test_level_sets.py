"""Level sets as env arguments: ``num_levels``/``start_level``, ``levels="held-out"`` (disjoint from
training up to rotation and reflection) and the shipped ``levels="eval"`` sets."""

from __future__ import annotations

import gzip
import itertools

import gymnasium as gym
import numpy as np
import pytest

import daedalus_gym
from daedalus_gym import splits
from daedalus_gym.core import HELD_OUT_START
from daedalus_gym.registration import env_specs
from daedalus_gym.splits import (
    HeldOut,
    LevelRange,
    TrainLevels,
    held_out_seeds,
    level_hashes,
    level_set_manifest,
    load_level_set,
    make_eval_set,
)
from generators import Maze, make_generator
from generators.symmetry import SYMMETRIES, canonical_hash, canonical_hashes, symmetries, transform

SMALL = "Daedalus-Backtracker-7x7-v0"
SHIPPED = splits.LEVEL_SET_DIR
NUMPY = {
    "identity": lambda a: a,
    "rot180": lambda a: np.rot90(a, 2),
    "flip_rows": np.flipud,
    "flip_cols": np.fliplr,
    "transpose": lambda a: a.T,
    "anti_transpose": lambda a: np.rot90(a, 2).T,
    "rot90": lambda a: np.rot90(a, 1),
    "rot270": lambda a: np.rot90(a, 3),
}


def small_env(size: int = 3, **kwargs) -> gym.Env:
    # Kruskal draws uniform spanning trees: 192 mazes of 3x3 cells, about 100 up to symmetry.
    return gym.make("Daedalus-Kruskal-7x7-v0", generator_kwargs={"size": size}, **kwargs)


def served(env: gym.Env, episodes: int, seed: int) -> list[tuple[int, str]]:
    out = []
    for k in range(episodes):
        info = env.reset(seed=seed if k == 0 else None)[1]
        out.append((info["level_seed"], info["maze_hash"]))
    return out


# --------------------------------------------------------------------- symmetry
@pytest.mark.parametrize("shape", [(4, 4), (3, 5)])
def test_transforms_move_walls_start_and_goal_like_numpy(shape):
    maze = make_generator("kruskal", size=shape, goal="farthest").generate(np.random.default_rng(3))
    assert len(symmetries(maze.shape)) == (8 if shape[0] == shape[1] else 4)
    images = set()
    for name in symmetries(maze.shape):
        image = transform(maze, name)
        marks = np.zeros(maze.shape, dtype=int)
        marks[maze.start], marks[maze.goal] = 1, 2
        moved = NUMPY[name](marks)
        assert np.array_equal(image.walls, NUMPY[name](maze.walls)), name
        assert image.start == tuple(np.argwhere(moved == 1)[0]) and image.goal == tuple(
            np.argwhere(moved == 2)[0]
        )
        assert canonical_hash(image) == canonical_hash(maze)
        images.add(image.maze_hash)
    assert canonical_hash(maze) == min(images)
    other = make_generator("kruskal", size=shape).generate(np.random.default_rng(4))
    assert canonical_hash(other) != canonical_hash(maze)


def test_canonical_hash_keeps_start_and_goal_roles():
    maze = make_generator("backtracker", size=5).generate(np.random.default_rng(0))
    swapped = Maze(maze.walls, maze.goal, maze.start)
    assert canonical_hash(swapped) != canonical_hash(maze)
    batch = canonical_hashes(np.stack([maze.walls, swapped.walls]), np.array([maze.start, swapped.start]),
                             np.array([maze.goal, swapped.goal]))  # fmt: skip
    assert batch.tolist() == [canonical_hash(maze), canonical_hash(swapped)]
    with pytest.raises(ValueError, match=r"symmetry for a \(7, 11\) grid must be one of"):
        transform(make_generator("backtracker", size=(3, 5)).generate(np.random.default_rng(0)), "rot90")
    assert set(SYMMETRIES) == set(NUMPY)


# --------------------------------------------------------------------- num_levels, start_level
def test_num_levels_serves_only_those_levels_uniformly():
    env = gym.make(SMALL, num_levels=5, start_level=40)
    plain = gym.make(SMALL)
    expected = {s: plain.reset(seed=s)[1]["maze_hash"] for s in range(40, 45)}
    got = served(env, 200, seed=1)
    assert {seed for seed, _ in got} == set(expected)  # all five played, no other
    assert all(expected[seed] == digest for seed, digest in got)  # level seed s = reset(seed=s)'s maze
    assert (
        served(gym.make(SMALL, num_levels=5, start_level=40), 200, seed=1) == got
    )  # same seed, same sequence
    assert served(env, 200, seed=2) != got


def test_default_env_is_unlimited_levels():
    env = gym.make(SMALL)
    info = env.reset(seed=0)[1]
    assert "level_seed" not in info
    assert gym.make(SMALL, num_levels=None).reset(seed=0)[1]["maze_hash"] == info["maze_hash"]
    assert env.unwrapped.level_set is None


def test_num_levels_rollouts_are_deterministic():
    def rollout(seed):
        env = gym.make(SMALL, num_levels=3)
        obs, _ = env.reset(seed=seed)
        rng, trace = np.random.default_rng(0), [obs.tobytes()]
        for _ in range(300):
            obs, reward, terminated, truncated, _ = env.step(int(rng.integers(4)))
            trace.append((obs.tobytes(), reward))
            if terminated or truncated:
                obs, _ = env.reset()
        return trace

    assert rollout(7) == rollout(7)


def test_given_level_still_plays_in_a_level_set():
    env = gym.make(SMALL, num_levels=3)
    maze = make_generator("backtracker", size=7).generate(np.random.default_rng(999))
    info = env.reset(options={"level": maze})[1]
    assert info["maze_hash"] == maze.maze_hash and info["level_seed"] == -1


# --------------------------------------------------------------------- held-out, disjoint up to symmetry
def test_held_out_shares_no_maze_with_training_up_to_symmetry():
    # 3x3 cells: few enough mazes that seeds >= 2**31 often draw a training level.
    plain = small_env()
    train = set()
    for s in range(40):
        plain.reset(seed=s)
        train.add(canonical_hash(plain.unwrapped.maze))
    env = small_env(levels="held-out", num_levels=40)
    held = set()
    for k in range(300):
        info = env.reset(seed=5 if k == 0 else None)[1]
        assert info["level_seed"] >= HELD_OUT_START
        held.add(canonical_hash(env.unwrapped.maze))
    assert not held & train
    # The split is not empty by luck: unfiltered held-out seeds do draw training levels.
    level_set = env.unwrapped.level_set
    keep = level_set.serve(level_set.draw(np.random.default_rng(0), 500))[-1]
    assert 0 < (~keep).sum() < 500


@pytest.mark.parametrize("name", SYMMETRIES)
def test_a_planted_symmetric_copy_of_a_training_level_is_refused(name):
    env = small_env(levels="held-out", num_levels=200)
    level_set = env.unwrapped.level_set
    training = small_env()
    training.reset(seed=123)
    copy = transform(training.unwrapped.maze, name)
    assert not level_set.allows(copy)
    *_, keep = level_set.serve(np.array([123]))  # training seed 123 itself
    assert not keep[0]
    outside = make_generator("kruskal", size=3).generate(np.random.default_rng(10**6))
    assert level_set.allows(outside) == (canonical_hash(outside) not in level_set._train_hashes)


def test_held_out_raises_when_training_covers_every_maze():
    # 2x2 cells: 4 mazes, 2 up to symmetry (with start and goal in opposite corners, only the
    # identity and the transpose keep them there); 300 training levels hold them all.
    env = gym.make(SMALL, generator_kwargs={"size": 2}, levels="held-out", num_levels=300)
    with pytest.raises(RuntimeError, match=r"held-out.*training levels"):
        env.reset(seed=0)
    vec = gym.make_vec(SMALL, num_envs=2, vectorization_mode="vector_entry_point",
                       generator_kwargs={"size": 2}, levels="held-out", num_levels=300)  # fmt: skip
    with pytest.raises(RuntimeError, match=r"held-out.*training levels"):
        vec.reset(seed=0)


# --------------------------------------------------------------------- vector env
@pytest.mark.parametrize(
    "kwargs",
    [{"num_levels": 6, "start_level": 3}, {"levels": "held-out", "num_levels": 50}, {"levels": "eval"}],
)
def test_vector_env_serves_what_single_envs_serve(kwargs):
    n, steps = 3, 120
    vec = gym.make_vec(SMALL, num_envs=n, vectorization_mode="vector_entry_point", **kwargs)
    _, info = vec.reset(seed=11)
    got = [[(info["level_seed"][i], info["maze_hash"][i])] for i in range(n)]
    rng = np.random.default_rng(0)
    actions = rng.integers(4, size=(steps, n))
    for a in actions:
        _, _, _, _, info = vec.step(a)
        for i in np.flatnonzero(info.get("_level_seed", np.zeros(n, bool))):
            got[i].append((info["level_seed"][i], info["maze_hash"][i]))
    for i in range(n):
        env = gym.make(SMALL, **kwargs)
        want = served(env, len(got[i]), seed=11 + i)
        assert want == [(int(s), h) for s, h in got[i]]


# --------------------------------------------------------------------- shipped evaluation sets
def test_every_registered_id_ships_an_eval_set():
    manifest = level_set_manifest("eval")
    assert set(manifest) == {spec["id"] for spec in env_specs()}
    for env_id, entry in manifest.items():
        text = splits.read_level_set_text(env_id)
        assert splits.level_set_digest(text) == entry["sha256"]
        assert entry["levels"] == 200 and entry["first_seed"] >= HELD_OUT_START


@pytest.mark.parametrize("env_id", ["Daedalus-Backtracker-7x7-v0", "Daedalus-Kruskal-v0", "Daedalus-VAE-v0"])
def test_eval_set_loads_and_every_level_is_solvable_and_distinct(env_id):
    mazes = daedalus_gym.load_level_set(env_id)
    assert load_level_set(env_id, "eval-v1") == mazes
    shape = tuple(level_set_manifest()[env_id]["shape"])
    assert all(m.shape == shape and m.is_solvable() for m in mazes)
    assert len({canonical_hash(m) for m in mazes}) == len(mazes)


def test_levels_eval_plays_the_shipped_set():
    mazes = load_level_set(SMALL)
    env = gym.make(SMALL, levels="eval")
    got = served(env, 50, seed=0)
    for index, digest in got:
        assert mazes[index].maze_hash == digest
    assert served(gym.make(SMALL, levels="eval-v1"), 50, seed=0) == got
    # the oracle's path is as long as the env says: the level plays to the goal
    env.reset(seed=1)
    path = env.unwrapped.maze.shortest_path()
    moves = {(-1, 0): 0, (0, 1): 1, (1, 0): 2, (0, -1): 3}
    for (r0, c0), (r1, c1) in itertools.pairwise(path):
        _, reward, terminated, _, _ = env.step(moves[(r1 - r0, c1 - c0)])
    assert terminated and reward > 0


def test_eval_set_is_what_the_script_makes_and_misses_every_training_level():
    generator = gym.make(SMALL).unwrapped.generator
    mazes, seeds = make_eval_set(generator, 20)
    assert mazes == load_level_set(SMALL)[:20]
    assert seeds[0] == level_set_manifest()[SMALL]["first_seed"]
    train = splits.training_hashes(generator, LevelRange(0, splits.EVAL_TRAIN_LEVELS))
    assert not {canonical_hash(m) for m in load_level_set(SMALL)} & train


# Slow: each draws learned levels held out from 10,000 training levels (the reference rollouts
# pin what the learned ids serve in the default run).
@pytest.mark.slow
@pytest.mark.parametrize("env_id", ["Daedalus-VAE-v0", "Daedalus-AE-v0"])
def test_eval_v1_holds_what_the_learned_id_serves_now(env_id):
    # The 14x14 learned ids changed model after eval-v0 was frozen: eval-v1 is the current
    # model's levels (the script's output), and eval-v0 keeps the old model's.
    generator = gym.make(env_id).unwrapped.generator
    mazes, _ = make_eval_set(generator, 5)
    assert load_level_set(env_id, "eval-v1")[:5] == mazes
    assert load_level_set(env_id)[:5] == mazes  # "eval" is the newest
    assert load_level_set(env_id, "eval-v0")[:5] != mazes
    v0, v1 = level_set_manifest("eval-v0")[env_id], level_set_manifest("eval-v1")[env_id]
    assert v0["sha256"] != v1["sha256"] and "file" not in v1


def test_eval_v1_shares_the_files_of_sets_that_did_not_change():
    v0, v1 = level_set_manifest("eval-v0"), level_set_manifest("eval-v1")
    assert set(v0) == set(v1)
    same = [env_id for env_id in v1 if v1[env_id]["sha256"] == v0[env_id]["sha256"]]
    assert set(v1) - set(same) == {"Daedalus-AE-v0", "Daedalus-VAE-v0"}  # new models since eval-v0
    for env_id in same:
        assert v1[env_id]["file"] == f"{env_id}.eval-v0.txt.gz"
        assert splits.level_set_path(env_id, "eval-v1") == splits.level_set_path(env_id, "eval-v0")
        assert not (SHIPPED / f"{env_id}.eval-v1.txt.gz").exists()
    assert load_level_set(same[0], "eval-v1") == load_level_set(same[0], "eval-v0")


# --------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"num_levels": -1}, r"num_levels must be None \(unlimited\) or an int >= 1, got -1$"),
        (
            {"num_levels": 0},
            r"an int >= 1, got 0 \(Procgen's num_levels=0, unlimited, is num_levels=None here\)",
        ),
        (
            {"num_levels": np.int64(0)},
            r"num_levels must be None \(unlimited\) or an int >= 1, got np.int64\(0\)",
        ),
        ({"num_levels": True}, r"num_levels must be None \(unlimited\) or an int >= 1, .*True \(bool\)"),
        ({"num_levels": 2.0}, r"num_levels must be None \(unlimited\) or an int >= 1, .*2.0 \(float\)"),
        ({"num_levels": "10"}, r"num_levels must be None \(unlimited\) or an int >= 1"),
        ({"num_levels": 5, "start_level": -1}, r"start_level must be an int >= 0, got -1"),
        ({"num_levels": 5, "start_level": 1.5}, r"start_level must be an int >= 0"),
        (
            {"levels": "test"},
            r"levels must be one of \['train', 'held-out', 'eval', 'eval-v0', 'eval-v1'\], got 'test'",
        ),
        ({"levels": "eval-v9"}, r"levels must be one of"),
        ({"levels": None}, r"levels must be one of"),
        ({"levels": "held-out"}, r"levels='held-out' needs .* num_levels >= 1"),
        (
            {"levels": "eval", "num_levels": 10},
            r"levels='eval' is a fixed set: num_levels must be None and start_level 0, got num_levels=10",
        ),
        ({"levels": "eval", "start_level": 3}, r"is a fixed set"),
        ({"start_level": 3}, r"start_level only applies with num_levels >= 1"),
        ({"num_levels": 10, "start_level": 2**31 - 5}, r"start_level \+ num_levels must be <= 2\*\*31"),
    ],
)
@pytest.mark.parametrize("vector", [False, True])
def test_bad_level_arguments_are_refused(kwargs, match, vector):
    with pytest.raises(ValueError, match=match):
        if vector:
            gym.make_vec(SMALL, num_envs=2, vectorization_mode="vector_entry_point", **kwargs)
        else:
            gym.make(SMALL, **kwargs)


def test_eval_needs_a_registered_generator_and_size():
    with pytest.raises(ValueError, match=r"levels='eval-v1' plays a shipped set.*Daedalus-Backtracker-v0"):
        gym.make(SMALL, generator_kwargs={"size": 5}, levels="eval")
    with pytest.raises(ValueError, match=r"no level set 'eval' for 'Daedalus-Nope-v0'; shipped sets exist"):
        load_level_set("Daedalus-Nope-v0")
    with pytest.raises(
        ValueError, match=r"level set name must be 'eval' or one of \['eval-v0', 'eval-v1'\], got 'v1'"
    ):
        load_level_set(SMALL, "v1")


@pytest.fixture
def level_dir(tmp_path, monkeypatch):
    for version in ("eval-v0", "eval-v1"):
        (tmp_path / f"{version}.json").write_text(
            splits.LEVEL_SET_DIR.joinpath(f"{version}.json").read_text()
        )
    monkeypatch.setattr(splits, "LEVEL_SET_DIR", tmp_path)
    return tmp_path


def _write(level_dir, text: str) -> None:
    # the file "eval" reads for SMALL (eval-v1's manifest names eval-v0's, the same levels)
    splits.level_set_path(SMALL).write_bytes(gzip.compress(text.encode()))


def test_a_changed_level_file_is_refused(level_dir):
    original = gzip.decompress((SHIPPED / f"{SMALL}.eval-v0.txt.gz").read_bytes()).decode()
    _write(level_dir, original + "\n")  # one byte more: still parses, no longer the frozen set
    with pytest.raises(ValueError, match=r"has sha256 .* its manifest says"):
        gym.make(SMALL, levels="eval")


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("#x.\n..G\n>..\n", r"level 0 .*line 1, column 2"),
        (">#.\n##.\n..G\n", r"level 0 .*unsolvable"),
    ],
)
def test_a_broken_or_unsolvable_level_file_is_refused(level_dir, monkeypatch, text, match):
    monkeypatch.setattr(
        splits, "level_set_manifest", lambda name="eval": {SMALL: {"sha256": splits.level_set_digest(text)}}
    )
    _write(level_dir, text)
    with pytest.raises(ValueError, match=match):
        gym.make(SMALL, levels="eval")
    splits.level_set_path(SMALL).write_bytes(b"not gzip")
    with pytest.raises(ValueError, match="is not a gzip-compressed UTF-8 level file"):
        load_level_set(SMALL)


# --------------------------------------------------------------------- a shipped set is its id's
@pytest.mark.parametrize(
    "generator_kwargs, match",
    [
        ({"goal": "farthest"}, r"goal='corner'\); this env's generator has goal='farthest'"),
        ({"difficulty": 1.0}, r"difficulty=None\); this env's generator has difficulty=1.0"),
    ],
)
def test_a_shipped_set_refuses_generator_settings_it_was_not_drawn_with(generator_kwargs, match):
    with pytest.raises(
        ValueError, match=rf"levels='eval-v1' plays the shipped levels of Daedalus-Prim-7x7-v0.*{match}"
    ):
        gym.make("Daedalus-Prim-7x7-v0", levels="eval", generator_kwargs=generator_kwargs)


def test_a_shipped_set_takes_settings_that_change_no_maze():
    plain = gym.make("Daedalus-VAE-7x7-v0", levels="eval")
    batched = gym.make("Daedalus-VAE-7x7-v0", levels="eval", generator_kwargs={"batch_size": 16})
    assert plain.reset(seed=0)[1]["maze_hash"] == batched.reset(seed=0)[1]["maze_hash"]
    with pytest.raises(ValueError, match=r"repair='perfect'\); this env's generator has repair='connect'"):
        gym.make("Daedalus-VAE-7x7-v0", levels="eval", generator_kwargs={"repair": "connect"})


# --------------------------------------------------------------------- TrainLevels and level_hashes
def test_train_levels_reports_a_given_level_as_no_level_seed():
    env_id = "Daedalus-Backtracker-7x7-v0"
    single = gym.make(env_id)
    single.reset(seed=7)
    maze = single.unwrapped.maze
    wrapped = TrainLevels(gym.make(env_id), LevelRange(0, 10))
    _, info = wrapped.reset(seed=0, options={"level": maze})
    assert info["level_seed"] == -1 and info["maze_hash"] == maze.maze_hash
    # The given level took no draw from the sampler that seed=0 seeded.
    drawn = [wrapped.reset()[1]["level_seed"] for _ in range(4)]
    fresh = TrainLevels(gym.make(env_id), LevelRange(0, 10))
    expected = [fresh.reset(seed=0)[1]["level_seed"]] + [fresh.reset()[1]["level_seed"] for _ in range(3)]
    assert drawn == expected and all(level in LevelRange(0, 10) for level in drawn)


@pytest.mark.parametrize("seed", [-1, 1.5, True, [1, 2], "3"])
def test_train_levels_refuses_bad_seeds_by_name(seed):
    wrapped = TrainLevels(gym.make("Daedalus-Backtracker-7x7-v0"), LevelRange(0, 10))
    with pytest.raises(ValueError, match=r"seed must be an int >= 0, got"):
        wrapped.reset(seed=seed)


def test_train_levels_and_level_hashes_refuse_what_they_cannot_use():
    with pytest.raises(
        TypeError, match=r"levels must be a LevelRange\(start_level, num_levels\), got \(0, 10\)"
    ):
        TrainLevels(gym.make("Daedalus-Backtracker-7x7-v0"), (0, 10))
    with pytest.raises(ValueError, match=r"seeds\[1\] must be an int >= 0, got 1.7 \(float\)"):
        level_hashes("Daedalus-Backtracker-7x7-v0", [0, 1.7])


@pytest.mark.parametrize(
    "make",
    [
        lambda: gym.make(SMALL, num_levels=50),
        lambda: TrainLevels(gym.make(SMALL), LevelRange(0, 50)),
        lambda: gym.make(SMALL, levels="held-out", num_levels=5),
        lambda: gym.make(SMALL, levels="eval"),
    ],
    ids=["num_levels", "TrainLevels", "held-out", "eval"],
)
def test_level_hashes_refuse_an_env_whose_seeds_do_not_name_levels(make):
    env, plain = make(), gym.make(SMALL)
    # reset(seed=s) of this env plays a level drawn from its set, not level s: hashing what it
    # plays would miss training mazes (and let them into the held-out evaluation).
    assert any(env.reset(seed=s)[1]["maze_hash"] != plain.reset(seed=s)[1]["maze_hash"] for s in range(5))
    match = r"reset\(seed=s\) plays a level drawn from .*, not level s"
    with pytest.raises(ValueError, match=match):
        level_hashes(env, range(5))
    with pytest.raises(ValueError, match=match):
        HeldOut.of(env, LevelRange(0, 5))
    with pytest.raises(ValueError, match=match):
        held_out_seeds(env, HeldOut.of(SMALL, LevelRange(0, 5)), 3)
    # An env made without a level set serves level s at reset(seed=s), as the id does.
    assert level_hashes(plain, range(5)) == level_hashes(SMALL, range(5))
    train = {plain.reset(seed=s)[1]["maze_hash"] for s in range(5)}
    after = [s for s in range(5, 50) if plain.reset(seed=s)[1]["maze_hash"] not in train]
    assert held_out_seeds(plain, HeldOut.of(plain, LevelRange(0, 5)), 3) == after[:3]


def test_a_training_range_stays_below_the_held_out_seeds():
    # Held-out and evaluation seeds start at 2**31: a training range reaching there would train
    # on them, so it is refused as gym.make refuses start_level + num_levels > 2**31.
    assert LevelRange(2**31 - 5, 5).seeds[-1] == 2**31 - 1
    for start, num in ((2**31, 200), (2**31 - 5, 6)):
        with pytest.raises(ValueError, match=rf"start_level \+ num_levels must be <= 2\*\*31 = {2**31}"):
            LevelRange(start, num)
    with pytest.raises(ValueError, match=r"got 2147483648 \+ 1"):
        LevelRange.parse("2147483648:1")
    with pytest.raises(ValueError, match=r"levels must be START:NUM"):
        LevelRange.parse("a:1")
