"""The frozen zero-shot suite (its groups, files and held-out guarantee) and `evaluate_suite`."""

from __future__ import annotations

import gzip
import math
import runpy
import shutil
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

import daedalus_gym  # noqa: F401 -- registers the ids
from daedalus_gym import splits
from daedalus_gym.curriculum import suite
from daedalus_gym.curriculum.suite import (
    GroupResult,
    SuiteGroup,
    cvar,
    evaluate_suite,
    mean_interval,
    random_policy,
    suite_manifest,
    wilson_interval,
    zero_shot_suite,
)
from generators import Maze, make_generator
from generators.shortest_paths import shortest_path_lengths
from generators.symmetry import canonical_hash, canonical_hashes

SCRIPT = Path(__file__).parents[1] / "scripts" / "make_zero_shot_suite.py"
EXPECTED = {  # group: (levels, grid shape or None for various, the id it is held out from)
    "backtracker-14x14": (200, (29, 29), "Daedalus-Backtracker-v0"),
    "backtracker-21x21": (200, (43, 43), None),
    "backtracker-28x28": (200, (57, 57), "Daedalus-Backtracker-28x28-v0"),
    "kruskal-14x14": (200, (29, 29), "Daedalus-Kruskal-v0"),
    "prim-14x14": (200, (29, 29), "Daedalus-Prim-v0"),
    "wilson-14x14": (200, (29, 29), "Daedalus-Wilson-v0"),
    "vae-14x14": (200, (29, 29), "Daedalus-VAE-v0"),
    "named": (12, None, None),
}
NAMES = [
    "long-corridor", "spiral", "comb", "open-room", "two-rooms", "cross", "zigzag",
    "dead-end-forest", "ring", "goal-behind-start", "bottleneck", "big-hall",
]  # fmt: skip


def groups() -> dict[str, SuiteGroup]:
    return {group.name: group for group in zero_shot_suite()}


def arrays(mazes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    walls = np.stack([m.walls for m in mazes])
    return walls, np.array([m.start for m in mazes]), np.array([m.goal for m in mazes])


# --------------------------------------------------------------------- the suite
def test_every_group_loads_with_its_count_and_shape():
    loaded = groups()
    assert list(loaded) == list(EXPECTED) == list(suite_manifest())
    for name, (count, shape, _) in EXPECTED.items():
        mazes = loaded[name].mazes
        assert len(mazes) == count == suite_manifest()[name]["levels"], name
        if shape is not None:
            assert {m.shape for m in mazes} == {shape}, name
    for maze in loaded["named"].mazes:
        height, width = maze.shape
        assert height % 2 == width % 2 == 1 and all(7 <= cells <= 14 for cells in maze.cells)
    assert zero_shot_suite() is zero_shot_suite("zero-shot-v0")  # loaded once


def test_every_level_is_solvable():
    for group in zero_shot_suite():
        for shape in {m.shape for m in group.mazes}:
            mazes = [m for m in group.mazes if m.shape == shape]
            assert (shortest_path_lengths(*arrays(mazes)) > 0).all(), group.name


def test_named_mazes_have_unique_names_and_hashes_and_are_what_the_script_draws():
    named = groups()["named"]
    assert list(named.level_names) == NAMES
    assert len({m.maze_hash for m in named.mazes}) == len({canonical_hash(m) for m in named.mazes}) == 12
    drawn = runpy.run_path(str(SCRIPT), run_name="make_zero_shot_suite")["NAMED"]
    assert list(drawn) == NAMES
    assert [Maze.from_str(text) for text in drawn.values()] == list(named.mazes)
    # not all lattice mazes: open rooms and loops are part of the point
    assert not all(m.is_perfect() for m in named.mazes)


def test_no_level_appears_twice_in_the_suite_up_to_symmetry():
    digests = [canonical_hash(m) for group in zero_shot_suite() for m in group.mazes]
    assert len(set(digests)) == len(digests) == 1412


@pytest.mark.parametrize("name", [n for n, (_, _, env_id) in EXPECTED.items() if env_id])
def test_shipped_groups_are_the_ids_eval_sets_and_miss_their_training_levels(name):
    env_id = EXPECTED[name][2]
    mazes = groups()[name].mazes
    assert list(mazes) == splits.load_level_set(env_id, "eval-v0")
    # The eval-v0 sets are held out from levels [0, 10000) by construction (tests/test_level_sets);
    # check a prefix here directly (the learned model's levels are slow to draw: fewer).
    train = splits.LevelRange(0, 100 if "VAE" in env_id else 1000)
    hashes = splits.training_hashes(gym.make(env_id).unwrapped.generator, train)
    assert not set(canonical_hashes(*arrays(mazes)).tolist()) & hashes


def test_backtracker_21x21_is_held_out_from_every_training_level_below_10000():
    entry = suite_manifest()["backtracker-21x21"]
    assert entry["first_seed"] >= splits.HELD_OUT_START and entry["train_levels"] == [0, 10000]
    env = gym.make("Daedalus-Backtracker-v0", generator_kwargs={"size": 21}, max_episode_steps=4 * 21 * 21)
    generator = env.unwrapped.generator
    mazes = groups()["backtracker-21x21"].mazes
    first, _ = splits.make_eval_set(generator, 5)  # what the script made: the same levels first
    assert first == list(mazes[:5])
    train = splits.training_hashes(generator, splits.LevelRange(0, splits.EVAL_TRAIN_LEVELS))
    assert not set(canonical_hashes(*arrays(mazes)).tolist()) & train


def test_a_changed_suite_file_is_refused(tmp_path, monkeypatch):
    for path in splits.LEVEL_SET_DIR.iterdir():
        shutil.copy(path, tmp_path / path.name)
    named = tmp_path / "zero-shot-v0.named.txt.gz"
    named.write_bytes(gzip.compress(gzip.decompress(named.read_bytes()) + b"\n"))
    monkeypatch.setattr(splits, "LEVEL_SET_DIR", tmp_path)
    with pytest.raises(
        ValueError, match=r"zero-shot-v0.named.txt.gz has sha256 .* \(group 'named'\) says .* is frozen"
    ):
        zero_shot_suite()


# --------------------------------------------------------------------- statistics
def test_wilson_interval_matches_closed_forms():
    z = 1.959963984540054
    for n in (1, 10, 200):
        assert wilson_interval(0, n) == pytest.approx((0.0, z * z / (n + z * z)))
        assert wilson_interval(n, n) == pytest.approx((n / (n + z * z), 1.0))
    # 8 of 10: the textbook example, (0.4902, 0.9433)
    lo, hi = wilson_interval(8, 10)
    p, n = 0.8, 10
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    assert (lo, hi) == pytest.approx((centre - half, centre + half))
    assert (lo, hi) == pytest.approx((0.4902, 0.9433), abs=1e-4)
    with pytest.raises(ValueError, match="successes must be <= trials = 3, got 4"):
        wilson_interval(4, 3)
    with pytest.raises(ValueError, match="trials must be an int >= 1, got 0"):
        wilson_interval(0, 0)


def test_cvar_and_mean_interval_match_closed_forms():
    values = np.arange(20) / 19  # the worst 10%: ceil(2) = 2 levels, 0 and 1/19
    assert cvar(values) == pytest.approx(0.5 / 19)
    assert cvar(np.linspace(0, 1, 30)) == pytest.approx(np.linspace(0, 1, 30)[:3].mean())  # exactly 3
    assert cvar(np.linspace(0, 1, 21)) == pytest.approx(np.linspace(0, 1, 21)[:3].mean())  # ceil(2.1)
    assert cvar([0.7, 0.2, 0.9]) == 0.2  # at least one level
    assert cvar([0.5] * 7) == 0.5
    lo, hi = mean_interval([0.2, 0.4, 0.6])
    half = 1.959963984540054 * 0.2 / math.sqrt(3)
    assert (lo, hi) == pytest.approx((0.4 - half, 0.4 + half))
    assert mean_interval([1.0, 1.0]) == (1.0, 1.0)
    assert all(math.isnan(v) for v in mean_interval([0.3]))
    with pytest.raises(ValueError, match="at least one value"):
        cvar([])


def test_mean_interval_and_cvar_refuse_values_they_would_misreport():
    # NaN and infinities gave the whole of [0, 1]; a number above 1 an interval with low > high.
    with pytest.raises(ValueError, match=r"values must be numbers in \[0, 1\], got nan at index 1"):
        mean_interval([0.5, math.nan, 0.7])
    with pytest.raises(ValueError, match=r"values must be numbers in \[0, 1\], got inf at index 1"):
        mean_interval(np.array([0.5, np.inf]))
    with pytest.raises(ValueError, match=r"values must be numbers in \[0, 1\], got 5.0 at index 0"):
        mean_interval([5.0, 6.0, 7.0])
    with pytest.raises(ValueError, match=r"values must be numbers in \[0, 1\], got -0.5 at index 2"):
        mean_interval([0.5, 0.2, -0.5])
    # [levels, episodes] is not flattened into levels * episodes samples: episodes of one level
    # are not independent, and the worst tenth is of levels, not of episodes.
    per_episode = np.array([[1.0] * 4, [0.0] * 4, [1.0] * 4])
    with pytest.raises(
        ValueError, match=r"values must be float64\[n\], one value per level, got shape \(3, 4\)"
    ):
        mean_interval(per_episode)
    with pytest.raises(
        ValueError, match=r"values must be float64\[n\], one value per level, got shape \(3, 4\)"
    ):
        cvar(per_episode)
    with pytest.raises(ValueError, match=r"values must be real numbers float64\[n\], got dtype <U1"):
        mean_interval(["a", "b"])
    with pytest.raises(ValueError, match=r"values must be real numbers float64\[n\], got dtype <U1"):
        cvar(["a", "b"])
    # the per-level figures themselves: three levels at 1, 0, 1
    levels = per_episode.mean(axis=1)
    half = 1.959963984540054 * math.sqrt(1 / 3) / math.sqrt(3)  # s^2 = ((1/3)^2 * 2 + (2/3)^2) / 2
    assert mean_interval(levels) == pytest.approx((max(0.0, 2 / 3 - half), min(1.0, 2 / 3 + half)))
    assert cvar(levels) == 0.0
    assert mean_interval([True, False, True]) == pytest.approx(mean_interval(levels))


# --------------------------------------------------------------------- the evaluator
# Start left, goal right of a corridor: "always right" reaches the goal in the optimal steps.
RIGHT_3 = Maze.from_str(">.......G")  # 1x5 cells, 8 steps
RIGHT_2 = Maze.from_str(">.G\n...\n...")  # 2x2 cells, 2 steps
LEFT_3 = Maze.from_str("G.......>")  # "always right" never gets there


def always(action: int):
    def policy(obs: np.ndarray, prev_action: np.ndarray) -> np.ndarray:
        assert obs.shape[0] == prev_action.shape[0] and prev_action.dtype == np.int64
        assert set(prev_action.tolist()) <= {-1, action}
        return np.full(len(prev_action), action, dtype=np.int64)

    return policy


@pytest.mark.parametrize("max_envs", [1, 2, 256])
@pytest.mark.parametrize("obs_mode", ["egocentric", "grid"])
def test_a_constant_policy_scores_exactly(max_envs, obs_mode):
    solved = SuiteGroup("solved", (RIGHT_3, RIGHT_2, RIGHT_3))
    never = SuiteGroup("never", (LEFT_3,))
    result = evaluate_suite(
        always(1), [solved, never], obs_mode=obs_mode, episodes_per_level=2, max_envs=max_envs
    )
    got = result["solved"]
    assert got.success.all() and got.success.shape == (3, 2)
    assert got.optimal.tolist() == [8, 2, 8] and got.length.tolist() == [[8, 8], [2, 2], [8, 8]]
    assert got.success_rate == got.spl == got.cvar == 1.0
    assert got.level_spl.tolist() == got.level_success.tolist() == [1.0, 1.0, 1.0]
    # Three levels, each solved in both its episodes: three trials, not six.
    assert got.success_ci == pytest.approx(wilson_interval(3, 3))
    fail = result["never"]
    assert not fail.success.any() and fail.length.tolist() == [[20, 20]]  # time limit 4 * 1 * 5
    assert fail.success_rate == fail.spl == fail.cvar == 0.0
    total = result["all"]
    assert (total.levels, total.episodes) == (4, 8)
    assert total.success_rate == 0.75 and total.spl == 0.75 and total.cvar == 0.0
    rows = result.to_rows()
    assert [row["group"] for row in rows] == ["solved", "never", "all"]
    assert rows[0]["success_lo"] == pytest.approx(wilson_interval(3, 3)[0])
    table = result.markdown()
    assert table.splitlines()[0].startswith("| group | levels | episodes | success")
    assert "| never | 1 | 2 | 0.000 [0.000, " in table and "| all | 4 | 8 | 0.750" in table


def test_an_oracle_solves_every_named_maze_optimally():
    distances: dict[bytes, dict] = {}

    def oracle(obs: np.ndarray, prev_action: np.ndarray) -> np.ndarray:
        actions = np.zeros(len(obs), dtype=np.int64)
        for i, grid in enumerate(obs):  # grid: walls, agent, goal
            walls = grid[..., 0].astype(bool)
            agent = tuple(np.argwhere(grid[..., 1])[0].tolist())
            goal = tuple(np.argwhere(grid[..., 2])[0].tolist())
            key = walls.tobytes() + bytes(goal)
            if key not in distances:
                distances[key] = Maze(walls, agent, goal).distances_to_goal()
            near = distances[key]
            moves = [(-1, 0), (0, 1), (1, 0), (0, -1)]
            actions[i] = min(
                range(4), key=lambda a: near.get((agent[0] + moves[a][0], agent[1] + moves[a][1]), 1e9)
            )
        return actions

    result = evaluate_suite(oracle, [groups()["named"]], obs_mode="grid")
    assert result["named"].success_rate == 1.0 and result["named"].spl == 1.0
    assert result["named"].level_names == tuple(NAMES)


def test_the_random_policy_is_reproducible():
    tiny = make_generator("backtracker", size=2)
    mazes = [tiny.generate(np.random.default_rng(s)) for s in range(6)]
    group = [SuiteGroup("tiny", tuple(mazes)), SuiteGroup("corridor", (RIGHT_3, LEFT_3))]

    def run(seed):
        return evaluate_suite(random_policy(seed), group, episodes_per_level=3, max_envs=4)

    first, again, other = run(0), run(0), run(1)
    assert first.to_rows() == again.to_rows()
    assert np.array_equal(first["tiny"].length, again["tiny"].length)
    assert 0 < first["tiny"].success_rate < 1  # a random walk sometimes gets there
    assert not np.array_equal(first["tiny"].length, other["tiny"].length)


# --------------------------------------------------------------------- bad input
def test_bad_input_is_refused_naming_the_value():
    group = SuiteGroup("g", (RIGHT_3,))
    with pytest.raises(ValueError, match=r"suite name must be one of \['zero-shot-v0'\], got 'zero-shot-v9'"):
        zero_shot_suite("zero-shot-v9")
    with pytest.raises(ValueError, match=r"suite name must be one of .*got 'nope'"):
        evaluate_suite(always(1), "nope")
    with pytest.raises(ValueError, match="episodes_per_level must be an int >= 1, got 0"):
        evaluate_suite(always(1), [group], episodes_per_level=0)
    with pytest.raises(ValueError, match=r"episodes_per_level must be an int >= 1, got 1.5 \(float\)"):
        evaluate_suite(always(1), [group], episodes_per_level=1.5)
    with pytest.raises(ValueError, match="max_envs must be an int >= 1, got 0"):
        evaluate_suite(always(1), [group], max_envs=0)
    with pytest.raises(ValueError, match=r"shape \(1,\) in \[0, 4\), got int64 of shape \(1, 2\)"):
        evaluate_suite(lambda obs, prev: np.ones((1, 2), dtype=np.int64), [group])
    with pytest.raises(ValueError, match=r"shape \(1,\) in \[0, 4\), got float64 of shape \(1,\)"):
        evaluate_suite(lambda obs, prev: np.ones(1), [group])
    with pytest.raises(
        ValueError, match=r"policy must return actions in \[0, 4\), got \[7\] at sub-envs \[0\]"
    ):
        evaluate_suite(lambda obs, prev: np.full(1, 7), [group])
    with pytest.raises(TypeError, match="policy must be callable"):
        evaluate_suite("random", [group])
    with pytest.raises(ValueError, match=r"group names must be unique, got \['g'\] more than once"):
        evaluate_suite(always(1), [group, group])
    with pytest.raises(ValueError, match="obs_mode must be one of"):
        evaluate_suite(always(1), [group], obs_mode="pixels")
    even = Maze(np.pad(np.zeros((2, 3), dtype=bool), 1, constant_values=True), (1, 1), (2, 3))
    with pytest.raises(ValueError, match=r"mazes\[1\] has shape \(4, 5\); the env plays grids of odd shape"):
        SuiteGroup("even", (RIGHT_3, even))
    with pytest.raises(ValueError, match=r"level_names must be 1 strs .*got \('a', 'b'\)"):
        SuiteGroup("g", (RIGHT_3,), ("a", "b"))
    with pytest.raises(ValueError, match="mazes must hold at least one maze"):
        SuiteGroup("g", ())
    blocked = RIGHT_3.walls.copy()
    blocked[1, 5] = True
    with pytest.raises(
        ValueError, match=r"group 'cut' level 0 is unsolvable: no path from \(1, 1\) to \(1, 9\)"
    ):
        evaluate_suite(always(1), [SuiteGroup("cut", (Maze(blocked, (1, 1), (1, 9)),))])
    with pytest.raises(KeyError, match=r"no group 'x' in this result; groups are \['g'\] and 'all'"):
        evaluate_suite(always(1), [group])["x"]
    assert suite.SUITES == ("zero-shot-v0",)


def test_the_success_interval_counts_levels_not_episodes():
    # Four levels, each played four times by a deterministic policy: solved on two, failed on two.
    success = np.array([[True] * 4, [True] * 4, [False] * 4, [False] * 4])
    group = GroupResult("g", success, np.full((4, 4), 3), np.full(4, 3))
    assert group.success_rate == 0.5
    assert group.success_ci == pytest.approx(wilson_interval(2, 4))
    assert group.success_ci[0] < wilson_interval(8, 16)[0]  # 16 "trials" would claim too much
    one = GroupResult("g", success[:, :1], np.full((4, 1), 3), np.full(4, 3))
    assert one.success_ci == pytest.approx(wilson_interval(2, 4))  # one episode a level: unchanged
