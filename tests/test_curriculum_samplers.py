"""The level samplers of `daedalus_gym.curriculum`: the PLR buffer (replacement, duplicates,
staleness, rank weights), replay decisions, MaxMC, ACCEL's edits, SFL's selection, the latent
teacher's search, the one-assignment-at-a-time protocol and bad input. Every test is seeded;
small classical generators keep it fast, the latent tests use the shipped VAE."""

from __future__ import annotations

import numpy as np
import pytest

from daedalus_gym.curriculum import (
    ACCEL,
    SAMPLERS,
    SFL,
    Assignment,
    DomainRandomization,
    LatentTeacher,
    LevelBuffer,
    LevelSampler,
    RobustPLR,
    RolloutStats,
    make_sampler,
)
from generators import Maze, MazeArrays, make_generator


# --------------------------------------------------------------------- helpers
@pytest.fixture(scope="module")
def small():
    return make_generator("backtracker", size=5)


@pytest.fixture(scope="module")
def mazes(small) -> list[Maze]:
    return small.generate_batch(12, np.random.default_rng(123))


@pytest.fixture(scope="module")
def vae():
    return make_generator("vae")


def make_stats(
    n: int,
    *,
    pvl: object = None,
    value: object = None,
    max_return: object = None,
    solved: object = None,
    episodes: object = None,
) -> RolloutStats:
    """Stats for ``n`` envs; anything not given is a plain rollout (2 episodes, 1 solved)."""
    episodes = np.full(n, 2) if episodes is None else np.asarray(episodes)
    solved = np.minimum(1, episodes) if solved is None else np.asarray(solved)
    if max_return is None:
        max_return = np.where(episodes > 0, 0.5, np.nan)
    return RolloutStats(
        positive_value_loss=np.zeros(n) if pvl is None else np.asarray(pvl, dtype=float),
        mean_value=np.zeros(n) if value is None else np.asarray(value, dtype=float),
        max_return=np.asarray(max_return, dtype=float),
        solved=solved,
        episodes=episodes,
    )


def hamming(a: Maze, b: Maze) -> int:
    return int(np.count_nonzero(a.walls != b.walls))


def plr(generator, seed: int = 0, **kwargs) -> RobustPLR:
    return RobustPLR(generator, np.random.default_rng(seed), **kwargs)


# --------------------------------------------------------------------- the level buffer
def test_full_buffer_rejects_lower_scores_and_replaces_the_minimum(mazes):
    buffer = LevelBuffer(3)
    for maze, score in zip(mazes[:3], (0.2, 0.5, 0.9), strict=True):
        assert buffer.insert(maze, score) >= 0
    assert buffer.insert(mazes[3], 0.1) == -1  # below every score: not inserted
    assert buffer.find(mazes[3]) == -1 and buffer.size == 3
    assert buffer.insert(mazes[4], 0.2) == -1  # a tie with the minimum does not replace it
    slot = buffer.insert(mazes[5], 0.3)  # beats the minimum (0.2, slot 0): replaces it
    assert slot == 0
    assert buffer.find(mazes[0]) == -1 and buffer.find(mazes[5]) == 0
    assert sorted(buffer.scores[: buffer.size].tolist()) == [0.3, 0.5, 0.9]


def test_plr_inserts_new_levels_by_score(small):
    sampler = plr(small, capacity=2, replay_prob=0.0)
    first = sampler.next_levels(2)
    assert first.kind == "new" and not first.update_policy and (first.slots == -1).all()
    sampler.update(first, make_stats(2, pvl=[0.1, 0.4]))
    second = sampler.next_levels(2)
    sampler.update(second, make_stats(2, pvl=[0.05, 0.5]))
    buffer = sampler.buffer
    assert buffer.find(first.mazes[1]) >= 0 and buffer.find(second.mazes[1]) >= 0
    assert buffer.find(first.mazes[0]) == -1 and buffer.find(second.mazes[0]) == -1
    assert sorted(buffer.scores[:2].tolist()) == [0.4, 0.5]


def test_duplicate_level_updates_its_slot(mazes):
    buffer = LevelBuffer(4)
    slot = buffer.insert(mazes[0], 0.2)
    copy = Maze(mazes[0].walls.copy(), mazes[0].start, mazes[0].goal)
    assert buffer.insert(copy, 0.7) == slot
    assert buffer.size == 1 and buffer.scores[slot] == 0.7


def test_plr_keeps_one_slot_for_a_level_drawn_twice():
    one_maze = make_generator("backtracker", size=(1, 2))  # 1x2 cells: a single possible maze
    sampler = plr(one_maze, capacity=8, replay_prob=0.0)
    a = sampler.next_levels(3)
    assert len({m.maze_hash for m in a.mazes}) == 1
    sampler.update(a, make_stats(3, pvl=[0.1, 0.3, 0.2]))
    assert sampler.buffer.size == 1
    assert sampler.buffer.scores[0] == 0.2  # offered in env order: the last score stands


def test_staleness_favours_the_least_recently_sampled(mazes):
    buffer = LevelBuffer(3, staleness_coef=1.0)
    for maze in mazes[:3]:
        buffer.insert(maze, 0.5)  # inserted at clock 1, 2, 3
    np.testing.assert_allclose(buffer.staleness_weights(), [2 / 3, 1 / 3, 0.0])
    assert buffer.weights().argmax() == 0
    (slot,) = buffer.sample(1, np.random.default_rng(0))
    assert buffer.timestamps[slot] == buffer.clock
    stale = buffer.staleness_weights()
    assert stale[slot] == 0.0  # just sampled: the freshest
    assert stale.argmax() == min({0, 1} - {slot})  # the oldest of the others


def test_rank_weights_match_the_closed_form(mazes):
    scores = [0.1, 0.5, 0.3, 0.2]
    buffer = LevelBuffer(8, temperature=0.3, staleness_coef=0.3)
    for maze, score in zip(mazes[:4], scores, strict=True):
        buffer.insert(maze, score)
    ranks = np.array([4, 1, 2, 3])
    h = (1.0 / ranks) ** (1.0 / 0.3)
    np.testing.assert_allclose(buffer.score_weights(), h / h.sum())
    stale = buffer.clock - buffer.timestamps[:4]
    np.testing.assert_allclose(buffer.weights(), 0.7 * h / h.sum() + 0.3 * stale / stale.sum())

    topk = LevelBuffer(8, prioritization="topk", top_k=2)
    for maze, score in zip(mazes[:4], scores, strict=True):
        topk.insert(maze, score)
    e = np.exp([0.5, 0.3])
    np.testing.assert_allclose(topk.score_weights(), [0.0, e[0] / e.sum(), e[1] / e.sum(), 0.0])


def test_replay_draws_follow_the_weights(mazes):
    buffer = LevelBuffer(8, temperature=1.0, staleness_coef=0.0)
    for maze, score in zip(mazes[:4], [0.1, 0.5, 0.3, 0.2], strict=True):
        buffer.insert(maze, score)
    draws = buffer.sample(4000, np.random.default_rng(1))
    share = np.bincount(draws, minlength=4) / len(draws)
    np.testing.assert_allclose(share, buffer.score_weights(), atol=0.03)


def reference_draws(buffer: LevelBuffer, uniforms: np.ndarray) -> tuple[list[int], np.ndarray]:
    """Draws one at a time, straight from the definition: each slot's ``P = (1 - c) P_score +
    c P_staleness``, inverse CDF, then the drawn slot stamped with the advanced clock."""
    w, stamps, clock, c = (
        buffer.score_weights(),
        buffer.timestamps[: buffer.size].copy(),
        buffer.clock,
        buffer.staleness_coef,
    )
    out = []
    for u in uniforms:
        stale = (clock - stamps).astype(float)
        p = (1 - c) * w + c * (stale / stale.sum() if stale.sum() > 0 else 1 / len(w))
        slot = min(int(np.searchsorted(np.cumsum(p), u * p.sum(), side="right")), len(w) - 1)
        clock += 1
        stamps[slot] = clock
        out.append(slot)
    return out, stamps


@pytest.mark.parametrize("prioritization", ["rank", "topk"])
@pytest.mark.parametrize("staleness_coef", [0.0, 0.3, 1.0])
def test_draws_are_exactly_the_definition(small, prioritization, staleness_coef):
    levels = small.generate_batch(40, np.random.default_rng(9))
    buffer = LevelBuffer(64, prioritization, staleness_coef=staleness_coef)
    rng = np.random.default_rng(3)
    for maze in levels:
        buffer.insert(maze, float(rng.random()))
    buffer.sample(17, rng)  # uneven timestamps
    expected, stamps = reference_draws(buffer, np.random.default_rng(8).random(300))
    assert buffer.sample(300, np.random.default_rng(8)).tolist() == expected
    np.testing.assert_array_equal(buffer.timestamps[: buffer.size], stamps)


def test_update_many_is_update_in_order(mazes):
    one, many = LevelBuffer(8), LevelBuffer(8)
    for buffer in (one, many):
        for maze in mazes[:4]:
            buffer.insert(maze, 0.1, max_return=0.2)
    slots = np.array([2, 0, 2, 3, 2])
    scores = np.array([0.5, 0.6, 0.7, 0.8, 0.9])
    returns = np.array([0.4, np.nan, 0.9, np.nan, 0.3])
    for slot, score, ret in zip(slots, scores, returns, strict=True):
        one.update(int(slot), float(score), float(ret))
    many.update_many(slots, scores, returns)
    np.testing.assert_array_equal(many.scores, one.scores)  # slot 2: its last score, 0.9
    np.testing.assert_array_equal(many.max_returns, one.max_returns)  # slot 2: its best, 0.9
    with pytest.raises(ValueError, match=r"slot must be in \[0, 3\], got 4"):
        many.update_many(np.array([4]), np.array([0.1]), np.array([0.0]))
    with pytest.raises(ValueError, match="score must be a finite number, got nan at index 1"):
        many.update_many(np.array([0, 1]), np.array([0.1, np.nan]), np.array([0.0, 0.0]))


def test_insert_batch_is_insert_in_order(small):
    levels = small.generate_batch(10, np.random.default_rng(4))
    offered = [*levels, levels[2], levels[7]]  # two offered twice
    returns = np.array([np.nan, 0.5, 0.3, np.nan, 0.9, 0.1, 0.2, np.nan, 0.4, 0.6, 0.8, 0.7])
    scores = np.linspace(0.9, 0.0, len(offered))
    one, many = LevelBuffer(6), LevelBuffer(6)
    bests = []
    expected = []
    for i, (maze, ret) in enumerate(zip(offered, returns, strict=True)):
        slot = one.find(maze)
        best = float(np.fmax(one.max_returns[slot] if slot >= 0 else np.nan, ret))
        bests.append(best)
        expected.append(one.insert(maze, float(scores[i] + (0 if np.isnan(best) else best)), best))
    seen = []

    def score(i: int, best: float) -> float:
        seen.append(best)
        return float(scores[i] + (0 if np.isnan(best) else best))

    assert many.insert_batch(MazeArrays.of(offered), score, returns).tolist() == expected
    np.testing.assert_array_equal(seen, bests)
    assert [m.maze_hash for m in many.levels] == [m.maze_hash for m in one.levels]
    for name in ("scores", "max_returns", "timestamps"):
        np.testing.assert_array_equal(getattr(many, name), getattr(one, name))
    assert many.clock == one.clock


@pytest.mark.parametrize("score", ["pvl", "maxmc"])
def test_replay_rescoring_is_env_by_env(small, score):
    sampler = plr(small, seed=1, capacity=8, replay_prob=1.0, minimum_fill_ratio=0.0, score=score)
    first = sampler.next_levels(8)
    sampler.update(first, make_stats(8, pvl=np.linspace(0.1, 0.8, 8), max_return=np.full(8, 0.3)))
    replay = sampler.next_levels(6)
    assert replay.kind == "replay"
    slots = np.array([1, 4, 1, 1, 6, 4])  # slots replayed on several envs
    replay = Assignment(
        tuple(sampler.buffer.levels[s] for s in slots), slots, update_policy=True, kind="replay"
    )
    stats = make_stats(
        6,
        pvl=[0.5, 0.2, 0.7, 0.1, 0.4, 0.9],
        value=[0.1, 0.2, 0.3, 0.4, 0.5, 0.6],
        max_return=[0.6, np.nan, 0.2, 0.9, np.nan, 0.1],
        episodes=[1, 0, 1, 1, 0, 1],
    )
    expected = LevelBuffer(8)
    expected.levels, expected.clock = list(sampler.buffer.levels), sampler.buffer.clock
    for name in ("scores", "max_returns", "timestamps"):
        setattr(expected, name, getattr(sampler.buffer, name).copy())
    for i, slot in enumerate(slots.tolist()):  # env by env, as the definition reads
        best = float(np.fmax(expected.max_returns[slot], stats.max_return[i]))
        value = (
            stats.positive_value_loss[i]
            if score == "pvl"
            else (0.0 if np.isnan(best) else best) - stats.mean_value[i]
        )
        expected.update(slot, float(value), best)
    sampler._update(replay, stats)
    np.testing.assert_array_equal(sampler.buffer.scores, expected.scores)
    np.testing.assert_array_equal(sampler.buffer.max_returns, expected.max_returns)


# --------------------------------------------------------------------- replay decisions
def test_never_replays_before_the_minimum_fill(small):
    sampler = plr(small, capacity=10, replay_prob=1.0, minimum_fill_ratio=0.5)
    kinds = []
    for _ in range(4):
        size = sampler.buffer.size
        a = sampler.next_levels(4)
        kinds.append(a.kind)
        if a.kind == "replay":
            assert size >= 5
        sampler.update(a, make_stats(4, pvl=np.linspace(0.1, 0.4, 4)))
    assert kinds == ["new", "new", "replay", "replay"]  # 0, 4 levels < 5; then 8 >= 5


def test_replay_also_needs_n_levels_in_the_buffer(small):
    sampler = plr(small, capacity=100, replay_prob=1.0, minimum_fill_ratio=0.0)
    a = sampler.next_levels(3)
    assert a.kind == "new"
    sampler.update(a, make_stats(3, pvl=[0.1, 0.2, 0.3]))
    assert sampler.next_levels(4).kind == "new"  # 3 levels cannot fill 4 envs


def test_replay_share_is_close_to_replay_prob(small):
    sampler = plr(small, seed=3, capacity=8, replay_prob=0.8, minimum_fill_ratio=0.0)
    kinds = []
    rng = np.random.default_rng(4)
    for _ in range(500):
        a = sampler.next_levels(2)
        if sampler.buffer.size >= 2:
            kinds.append(a.kind)
        sampler.update(a, make_stats(2, pvl=rng.random(2)))
    assert abs(np.mean([k == "replay" for k in kinds]) - 0.8) < 0.05
    assert sampler.summary()["share_replay"] == pytest.approx(
        np.mean([k == "replay" for k in kinds]), abs=0.01
    )


def test_replay_updates_the_replayed_slots(small):
    sampler = plr(small, capacity=4, replay_prob=1.0, minimum_fill_ratio=1.0)
    a = sampler.next_levels(4)
    sampler.update(a, make_stats(4, pvl=[0.1, 0.2, 0.3, 0.4]))
    replay = sampler.next_levels(4)
    assert replay.kind == "replay" and replay.update_policy
    assert all(sampler.buffer.levels[s] is m for s, m in zip(replay.slots, replay.mazes, strict=True))
    assert (sampler.buffer.timestamps[replay.slots] > 4).all()  # stamped at draw time
    sampler.update(replay, make_stats(4, pvl=np.full(4, 0.9)))
    assert (sampler.buffer.scores[replay.slots] == 0.9).all()


@pytest.mark.parametrize("score", ["pvl", "maxmc"])
def test_plr_matches_a_level_by_level_model_of_the_buffer(score):
    """Robust PLR against a plain model of JaxUED's level sampler (duplicate check on), read from
    its definition: the clock advances once per level drawn for replay and once per level offered
    (kept or not); a draw or an insertion stamps its slot with the advanced clock; a re-score
    leaves the stamp; a new level takes a free slot, else replaces the first lowest score only
    when its own is higher. A 3x3-cell generator (14 mazes) makes duplicates common and fills
    the small buffers, so that levels are also replaced and turned away."""
    few = make_generator("backtracker", size=(3, 3))

    def fold(prior: float, new: float) -> float:
        return new if np.isnan(prior) else prior if np.isnan(new) else max(prior, new)

    def value(best: float, pvl: float, mean_value: float) -> float:
        return pvl if score == "pvl" else (0.0 if np.isnan(best) else best) - mean_value

    for seed in range(6):
        rng = np.random.default_rng(100 + seed)
        capacity = int(rng.integers(1, 6))
        sampler = plr(few, seed=seed, capacity=capacity, replay_prob=0.5, minimum_fill_ratio=0.0, score=score)
        keys: list[str] = []
        scores: list[float] = []
        stamps: list[int] = []
        bests: list[float] = []
        clock = 0
        for _ in range(30):
            n = int(rng.integers(1, capacity + 1))
            a = sampler.next_levels(n)
            episodes = rng.integers(0, 3, n)
            stats = make_stats(
                n,
                pvl=rng.random(n),
                value=rng.random(n),
                max_return=np.where(episodes > 0, rng.random(n), np.nan),
                solved=np.minimum(episodes, 1),
                episodes=episodes,
            )
            if a.kind == "replay":
                for slot in a.slots.tolist():
                    clock += 1
                    stamps[slot] = clock
                for i, slot in enumerate(a.slots.tolist()):
                    bests[slot] = fold(bests[slot], stats.max_return[i])
                for i, slot in enumerate(a.slots.tolist()):
                    scores[slot] = value(bests[slot], stats.positive_value_loss[i], stats.mean_value[i])
            else:
                for i, maze in enumerate(a.mazes):
                    clock += 1
                    key = maze.maze_hash
                    if key in keys:
                        slot = keys.index(key)
                        best = fold(bests[slot], stats.max_return[i])
                    else:
                        best = float(stats.max_return[i])
                    new = value(best, stats.positive_value_loss[i], stats.mean_value[i])
                    if key not in keys:
                        if len(keys) < capacity:
                            keys.append(key)
                            scores.append(0.0)
                            stamps.append(0)
                            bests.append(np.nan)
                            slot = len(keys) - 1
                        else:
                            slot = int(np.argmin(scores))
                            if not new > scores[slot]:
                                continue
                            keys[slot] = key
                    scores[slot], stamps[slot], bests[slot] = new, clock, best
            sampler.update(a, stats)
            buffer = sampler.buffer
            assert [m.maze_hash for m in buffer.levels] == keys
            np.testing.assert_array_equal(buffer.scores[: buffer.size], scores)
            np.testing.assert_array_equal(buffer.timestamps[: buffer.size], stamps)
            np.testing.assert_array_equal(buffer.max_returns[: buffer.size], bests)
            assert buffer.clock == clock


def test_same_seed_same_assignments(small):
    def run(seed: int) -> list[str]:
        sampler = plr(small, seed=seed, capacity=6, minimum_fill_ratio=0.0)
        out = []
        for t in range(12):
            a = sampler.next_levels(3)
            out += [a.kind] + [m.maze_hash for m in a.mazes]
            sampler.update(a, make_stats(3, pvl=np.arange(3) * 0.1 + t * 0.01))
        return out

    assert run(5) == run(5)
    assert run(5) != run(6)


# --------------------------------------------------------------------- MaxMC
def test_maxmc_keeps_the_best_return(small):
    sampler = plr(small, capacity=4, replay_prob=1.0, minimum_fill_ratio=0.0, score="maxmc")
    new = sampler.next_levels(2)
    sampler.update(new, make_stats(2, value=[0.1, 0.1], max_return=[0.8, 0.3]))
    slots = [sampler.buffer.find(m) for m in new.mazes]
    np.testing.assert_allclose(sampler.buffer.scores[slots], [0.7, 0.2])
    for _ in range(3):  # worse returns, and a rollout where no episode ended: the best stays
        replay = sampler.next_levels(2)
        assert replay.kind == "replay"
        sampler.update(
            replay,
            make_stats(2, value=[0.2, 0.2], max_return=[0.1, np.nan], episodes=[1, 0], solved=[1, 0]),
        )
        np.testing.assert_allclose(sampler.buffer.max_returns[slots], [0.8, 0.3])
        np.testing.assert_allclose(
            sampler.buffer.scores[np.unique(replay.slots)],
            sampler.buffer.max_returns[np.unique(replay.slots)] - 0.2,
        )


# --------------------------------------------------------------------- ACCEL
def test_accel_edits_the_replayed_levels(small):
    sampler = ACCEL(
        small, np.random.default_rng(2), n_edits=3, capacity=16, replay_prob=1.0, minimum_fill_ratio=0.0
    )
    sampler.update(sampler.next_levels(4), make_stats(4, pvl=[0.1, 0.2, 0.3, 0.4]))
    replay = sampler.next_levels(4)
    assert replay.kind == "replay"
    sampler.update(replay, make_stats(4, pvl=np.full(4, 0.5)))
    edit = sampler.next_levels(4)
    assert edit.kind == "edit" and not edit.update_policy and (edit.slots == -1).all()
    for parent, child in zip(replay.mazes, edit.mazes, strict=True):
        assert child.is_perfect() and child.is_solvable()
        assert (child.start, child.goal) == (parent.start, parent.goal)
        assert 0 < hamming(parent, child) <= 2 * 3
    sampler.update(edit, make_stats(4, pvl=np.full(4, 1.0)))
    assert all(sampler.buffer.find(child) >= 0 for child in edit.mazes)  # scored and inserted
    assert sampler.next_levels(4).kind == "replay"  # then replay or new again, never two edits


def test_accel_goal_moves_stay_within_reach(small):
    sampler = ACCEL(small, np.random.default_rng(3), n_edits=1, goal_moves=2)
    parent = small.generate(np.random.default_rng(9))
    for _ in range(10):
        child = sampler.edit(parent)
        assert child.is_perfect() and child.start == parent.start
        assert abs(child.goal[0] - parent.goal[0]) + abs(child.goal[1] - parent.goal[1]) <= 2 * 2


def test_accel_refuses_a_maze_with_loops(small):
    sampler = ACCEL(small, np.random.default_rng(0))
    walls = np.ones((5, 5), dtype=bool)
    walls[1:4, 1:4] = False  # 2x2 cells, every passage open: a loop
    with pytest.raises(ValueError, match="perfect"):
        sampler.edit(Maze(walls))


# --------------------------------------------------------------------- SFL
def test_sfl_keeps_the_most_learnable_levels(small):
    sampler = SFL(
        small, np.random.default_rng(0), n_candidates=8, buffer_size=2, refresh_every=2, envs_per_level=1
    )
    rates = {}
    for solved in ([0, 4, 2, 1], [4, 2, 0, 3]):  # of 4 episodes: p = 0, 1, 0.5, 0.25 ...
        a = sampler.next_levels(4)
        assert a.kind == "evaluate" and not a.update_policy
        sampler.update(a, make_stats(4, solved=solved, episodes=[4] * 4))
        rates.update({m.maze_hash: s / 4 for m, s in zip(a.mazes, solved, strict=True)})
    assert not sampler.evaluating
    assert [rates[m.maze_hash] for m in sampler.buffer] == [0.5, 0.5]  # p(1-p) = 0.25 beats 0.1875 and 0
    np.testing.assert_allclose(sampler.learnability, [0.25, 0.25])

    hashes = {m.maze_hash for m in sampler.buffer}
    for _ in range(2):
        train = sampler.next_levels(4)
        assert train.kind == "train" and train.update_policy
        from_buffer = train.slots >= 0
        assert from_buffer.sum() == 2  # buffer_ratio 0.5
        assert all((m.maze_hash in hashes) == b for m, b in zip(train.mazes, from_buffer, strict=False))
        sampler.update(train, make_stats(4))
    assert sampler.next_levels(4).kind == "evaluate"  # refresh_every=2 training rollouts


def test_sfl_scores_whole_batches_and_pools_duplicates():
    one_maze = make_generator("backtracker", size=(1, 2))
    sampler = SFL(one_maze, np.random.default_rng(0), n_candidates=5, buffer_size=3, envs_per_level=1)
    for solved in ([1, 1, 1, 1], [0, 0, 0, 0]):  # 8 candidates scored: ceil(5 / 4) batches
        sampler.update(sampler.next_levels(4), make_stats(4, solved=solved, episodes=[1] * 4))
    assert len(sampler.buffer) == 1  # one distinct maze, its 8 episodes pooled: p = 0.5
    np.testing.assert_allclose(sampler.success_rate, [0.5])


def test_sfl_plays_each_candidate_in_several_envs_and_pools_them(small):
    sampler = SFL(small, np.random.default_rng(0), n_candidates=2, buffer_size=1, envs_per_level=4)
    a = sampler.next_levels(8)
    assert len({m.maze_hash for m in a.mazes}) == 2
    assert a.mazes[:4] == (a.mazes[0],) * 4 and a.mazes[4:] == (a.mazes[4],) * 4
    # One env each cannot tell: every env alone is 0 or 1. Pooled, the first is solved half the time.
    sampler.update(a, make_stats(8, solved=[1, 0, 1, 0, 1, 1, 1, 1], episodes=[1] * 8))
    assert sampler.buffer == (a.mazes[0],)
    np.testing.assert_allclose(sampler.success_rate, [0.5])
    np.testing.assert_allclose(sampler.learnability, [0.25])


def test_latent_teacher_pools_the_envs_of_a_level(vae):
    teacher = LatentTeacher(
        vae, np.random.default_rng(2), prior_samples=256, prior_share=0.0, envs_per_level=4
    )
    a = teacher.next_levels(8)
    noise = teacher.noise_of(a)
    assert a.mazes[:4] == (a.mazes[0],) * 4 and a.mazes[4:] == (a.mazes[4],) * 4
    np.testing.assert_array_equal(noise[:4], np.repeat(noise[:1], 4, axis=0))
    before = teacher.mu.copy()
    # Level 0: 2 of its 4 envs solve (p = 0.5, the only learnable one); level 1: never solved.
    teacher.update(a, make_stats(8, solved=[1, 1, 0, 0, 0, 0, 0, 0], episodes=[1] * 8))
    assert teacher.summary()["flat_rollouts"] == 0
    # The elite (a quarter of 2 levels: one) is level 0: mu moves halfway to its noise.
    np.testing.assert_allclose(teacher.mu, 0.5 * before + 0.5 * noise[0])


def test_unsolved_levels_have_zero_success_rate():
    stats = make_stats(3, solved=[0, 1, 0], episodes=[0, 2, 3])
    np.testing.assert_allclose(stats.success_rate, [0.0, 0.5, 0.0])
    np.testing.assert_allclose(stats.learnability, [0.0, 0.25, 0.0])


# --------------------------------------------------------------------- latent teacher
def test_latent_teacher_serves_perfect_mazes(vae):
    teacher = LatentTeacher(vae, np.random.default_rng(0), prior_samples=256)
    a = teacher.next_levels(6)
    assert a.kind == "train" and a.update_policy and (a.slots == -1).all()
    assert all(m.is_perfect() for m in a.mazes)
    noise = teacher.noise_of(a)
    assert noise.shape == (6, vae.noise_dim)
    np.testing.assert_array_equal(vae.draw_from_noise(noise).walls, np.stack([m.walls for m in a.mazes]))
    np.testing.assert_allclose(teacher.mu, 0.0, atol=0.3)  # the VAE's noise is N(0, I)
    np.testing.assert_allclose(teacher.sigma, 1.0, atol=0.3)


def test_latent_teacher_moves_towards_fit_codes(vae):
    teacher = LatentTeacher(vae, np.random.default_rng(1), prior_samples=256, envs_per_level=1)
    start = teacher.mu.copy()
    good_share = []
    for _ in range(8):
        a = teacher.next_levels(32)
        # Synthetic fitness: levels whose first noise unit is positive are solved half the time
        # (learnability 0.25), the others never (0).
        good = teacher.noise_of(a)[:, 0] > 0
        good_share.append(good[8:].mean())  # the 24 levels drawn from N(mu, sigma^2)
        teacher.update(a, make_stats(32, solved=np.where(good, 2, 0), episodes=np.full(32, 4)))
    shift = teacher.mu - start
    assert shift[0] > 0.5
    assert shift[0] > 2 * np.sqrt(np.mean(shift[1:] ** 2))  # the fit unit moves most
    assert teacher.sigma[0] < teacher.sigma[1:].mean()  # and narrows most
    assert np.mean(good_share[-3:]) > 0.85 > good_share[0]  # the teacher serves fit levels
    assert (teacher.sigma >= 0.2 * teacher.prior_std - 1e-12).all()


def test_latent_teacher_ignores_flat_fitness(vae):
    teacher = LatentTeacher(vae, np.random.default_rng(2), prior_samples=64)
    mu, sigma = teacher.mu.copy(), teacher.sigma.copy()
    a = teacher.next_levels(4)
    teacher.update(a, make_stats(4, solved=np.zeros(4, dtype=int), episodes=np.full(4, 3)))
    np.testing.assert_array_equal(teacher.mu, mu)
    np.testing.assert_array_equal(teacher.sigma, sigma)
    assert teacher.summary()["flat_rollouts"] == 1.0


def test_latent_teacher_needs_a_learned_generator(small):
    with pytest.raises(TypeError, match=r"learned generator.*make_generator\('vae'\).*BacktrackerGenerator"):
        LatentTeacher(small, np.random.default_rng(0))
    with pytest.raises(TypeError, match="learned generator"):
        make_sampler("latent", small, np.random.default_rng(0))
    with pytest.raises(ValueError, match="repair=None"):
        LatentTeacher(make_generator("vae", repair=None), np.random.default_rng(0))


# --------------------------------------------------------------------- all samplers
@pytest.mark.parametrize("name", SAMPLERS)
def test_every_sampler_serves_n_levels(name, small, vae):
    generator = vae if name == "latent" else small
    kwargs = {"prior_samples": 64} if name == "latent" else {}
    sampler = make_sampler(name, generator, np.random.default_rng(0), **kwargs)
    assert isinstance(sampler, LevelSampler) and sampler.name == name
    keys = set(sampler.summary())  # the same keys before and after rollouts, for logging
    for _ in range(3):
        a = sampler.next_levels(3)
        assert isinstance(a, Assignment) and len(a.mazes) == 3 and a.slots.shape == (3,)
        assert all(m.is_solvable() for m in a.mazes)
        sampler.update(a, make_stats(3, pvl=[0.1, 0.2, 0.3]))
    summary = sampler.summary()
    assert summary["rollouts"] == 3.0 and set(summary) == keys
    assert all(isinstance(v, float) for v in summary.values())
    assert sum(summary[f"share_{kind}"] for kind in sampler.kinds) == pytest.approx(1.0)


def test_domain_randomization_serves_fresh_levels(small):
    sampler = DomainRandomization(small, np.random.default_rng(0))
    seen = set()
    for _ in range(3):
        a = sampler.next_levels(4)
        assert a.kind == "new" and a.update_policy and (a.slots == -1).all()
        seen |= {m.maze_hash for m in a.mazes}
        sampler.update(a, make_stats(4))
    assert len(seen) == 12


# --------------------------------------------------------------------- bad input
def test_unknown_sampler_name_lists_the_names(small):
    with pytest.raises(ValueError, match=r"'dr', 'plr', 'accel', 'sfl', 'latent'.*'nope'"):
        make_sampler("nope", small, np.random.default_rng(0))
    with pytest.raises(TypeError, match=r"no setting 'capcity'.*capacity"):
        make_sampler("plr", small, np.random.default_rng(0), capcity=10)


@pytest.mark.parametrize(
    ("name", "kwargs", "match"),
    [
        ("plr", {"capacity": 0}, r"capacity must be an int in \[1, 1000000\], got 0"),
        ("plr", {"capacity": -5}, "capacity"),
        ("plr", {"replay_prob": 1.5}, r"replay_prob must be a finite number in \[0.0, 1.0\], got 1.5"),
        ("plr", {"staleness_coef": -0.1}, "staleness_coef"),
        ("plr", {"minimum_fill_ratio": 2.0}, "minimum_fill_ratio"),
        ("plr", {"temperature": 0.0}, r"temperature must be a finite number in \(0.0, inf\], got 0.0"),
        ("plr", {"temperature": -1.0}, "temperature"),
        ("plr", {"score": "regret"}, "score must be one of 'pvl', 'maxmc'; got 'regret'"),
        ("plr", {"prioritization": "greedy"}, "prioritization"),
        ("accel", {"n_edits": 0}, "n_edits"),
        ("sfl", {"buffer_size": 0}, "buffer_size"),
        ("sfl", {"buffer_size": 300, "n_candidates": 256}, r"buffer_size must be an int in \[1, 256\]"),
        ("sfl", {"buffer_ratio": 1.2}, "buffer_ratio"),
        ("sfl", {"refresh_every": 0}, "refresh_every"),
    ],
)
def test_bad_settings_name_the_value_and_range(name, kwargs, match, small):
    with pytest.raises(ValueError, match=match):
        make_sampler(name, small, np.random.default_rng(0), **kwargs)


def test_bad_latent_settings(vae):
    for kwargs, match in (
        ({"prior_share": -0.5}, "prior_share"),
        ({"elite_fraction": 0.0}, "elite_fraction"),
        ({"smoothing": 1.5}, "smoothing"),
        ({"score": "maxmc"}, "score"),
    ):
        with pytest.raises(ValueError, match=match):
            LatentTeacher(vae, np.random.default_rng(0), prior_samples=8, **kwargs)


def test_bad_n_and_stats(small):
    sampler = plr(small, capacity=8)
    with pytest.raises(ValueError, match=r"n must be an int in \[1, 1000000\], got 0"):
        sampler.next_levels(0)
    with pytest.raises(TypeError, match="n must be an int"):
        sampler.next_levels(2.0)
    a = sampler.next_levels(3)
    with pytest.raises(ValueError, match="length 3, got length 2"):
        sampler.update(a, make_stats(2))
    with pytest.raises(RuntimeError, match="has not been scored"):
        sampler.next_levels(3)
    sampler.update(a, make_stats(3))
    with pytest.raises(RuntimeError, match="no assignment is waiting"):
        sampler.update(a, make_stats(3))
    b = sampler.next_levels(3)
    with pytest.raises(ValueError, match="the one the last next_levels call returned"):
        sampler.update(a, make_stats(3))
    sampler.update(b, make_stats(3))
    with pytest.raises(ValueError, match="n=9 envs is more than the buffer capacity 8"):
        sampler.next_levels(9)
    with pytest.raises(TypeError, match="generator must be a maze generator"):
        RobustPLR("backtracker", np.random.default_rng(0))
    with pytest.raises(TypeError, match=r"rng must be a numpy\.random\.Generator"):
        RobustPLR(small, 0)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"solved": [3, 0], "episodes": [2, 2]}, "solved must be <= episodes"),
        ({"solved": [-1, 0]}, "solved must hold whole numbers >= 0, got -1.0"),
        ({"episodes": [1.5, 2]}, "episodes must hold whole numbers"),
        ({"max_return": [np.nan, 0.5]}, "max_return must be finite where an episode ended"),
        ({"max_return": [0.5, 0.5], "episodes": [0, 2], "solved": [0, 1]}, "NaN where none did"),
        ({"pvl": [-0.1, 0.0]}, "positive_value_loss must be >= 0"),
        ({"value": [np.inf, 0.0]}, "mean_value must be finite"),
        ({"pvl": [0.1, 0.2, 0.3]}, "one value per env"),
    ],
)
def test_bad_rollout_stats(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_stats(2, **kwargs)


def test_full_buffer_replaces_the_first_lowest_score(small):
    """A full buffer turns a level away unless it beats the lowest score, and replaces the first
    slot holding that score (ties included), level by level, also across batches and updates."""
    levels = small.generate_batch(30, np.random.default_rng(8))
    rng = np.random.default_rng(9)
    buffer = LevelBuffer(5)
    model_keys: list[str] = []
    model_scores: list[float] = []
    for round_ in range(3):
        picks = rng.integers(0, len(levels), 12)
        scores = rng.integers(0, 4, 12) / 4  # many ties
        expected = []
        for i, score in zip(picks.tolist(), scores.tolist(), strict=True):
            key = levels[i].maze_hash
            if key in model_keys:
                slot = model_keys.index(key)
            elif len(model_keys) < 5:
                slot = len(model_keys)
                model_keys.append(key)
                model_scores.append(score)
            else:
                slot = int(np.argmin(model_scores))
                if not score > model_scores[slot]:
                    expected.append(-1)
                    continue
                model_keys[slot] = key
            model_scores[slot] = score
            expected.append(slot)
        got = buffer.insert_batch(
            [levels[i] for i in picks], lambda i, best, s=scores: float(s[i]), np.full(12, np.nan)
        )
        assert got.tolist() == expected, round_
        assert [m.maze_hash for m in buffer.levels] == model_keys
        # Scores moved between batches, as replays re-score levels.
        moved = rng.integers(0, 4, 5) / 4
        buffer.update_many(np.arange(5), moved, np.full(5, np.nan))
        model_scores = moved.tolist()


@pytest.mark.parametrize(
    ("name", "kwargs", "match"),
    [
        ("plr", {"top_k": 10}, r"top_k has no effect with prioritization='rank', got top_k=10"),
        (
            "accel",
            {"prioritization": "topk", "temperature": 2.0},
            r"temperature has no effect with prioritization='topk', got temperature=2.0",
        ),
        (
            "plr",
            {"replay_prob": float("nan")},
            r"replay_prob must be a finite number in \[0.0, 1.0\], got nan",
        ),
        ("plr", {"prioritization": "topk", "top_k": 0}, r"top_k must be an int >= 1, got 0"),
    ],
)
def test_settings_the_mode_does_not_read_are_refused(name, kwargs, match, small):
    with pytest.raises(ValueError, match=match):
        make_sampler(name, small, np.random.default_rng(0), **kwargs)


def test_each_prioritization_keeps_its_own_default():
    assert (LevelBuffer(4).temperature, LevelBuffer(4).top_k) == (0.3, None)
    topk = LevelBuffer(4, prioritization="topk")
    assert (topk.temperature, topk.top_k) == (None, 4)
    assert LevelBuffer(4, prioritization="topk", top_k=2).top_k == 2


@pytest.mark.parametrize(
    ("setting", "value", "error"),
    [
        ("top_k", True, TypeError),
        ("temperature", np.inf, ValueError),
        ("capacity", 2.0, TypeError),
        ("staleness_coef", "0.3", TypeError),
    ],
)
def test_bad_buffer_settings_name_the_value(setting, value, error):
    kwargs = {"prioritization": "topk"} if setting == "top_k" else {}
    with pytest.raises(error, match=rf"{setting} must be .*{value!r}"):
        LevelBuffer(**{"capacity": 4, **kwargs, setting: value})


def test_buffer_refuses_bad_arguments_with_their_names(mazes):
    buffer = LevelBuffer(4)
    with pytest.raises(TypeError, match=r"rng must be a numpy\.random.Generator.*got int"):
        buffer.sample(1, 0)
    with pytest.raises(ValueError, match="cannot update a slot of an empty level buffer"):
        buffer.update(0, 1.0)
    with pytest.raises(TypeError, match=r"maze must be a generators\.Maze, got str"):
        buffer.find("maze")
    with pytest.raises(TypeError, match=r"maze must be a generators\.Maze, got str"):
        buffer.insert("maze", 1.0)
    with pytest.raises(TypeError, match="max_return must be a real number, got str 'x'"):
        buffer.insert(mazes[0], 1.0, "x")
    with pytest.raises(ValueError, match=r"max_return must be a finite number .*got inf"):
        buffer.insert(mazes[0], 1.0, np.inf)
    assert buffer.size == 0  # nothing entered on a refused call
    buffer.insert(mazes[0], 1.0)
    with pytest.raises(TypeError, match="max_return must be a real number, got str 'x'"):
        buffer.update(0, 1.0, "x")
    with pytest.raises(ValueError, match="score must be a finite number, got inf at index 0"):
        buffer.update_many(np.array([0]), np.array([np.inf]), np.array([np.nan]))
    with pytest.raises(ValueError, match=r"scores must be float\[1\], got dtype <U1"):
        buffer.update_many(np.array([0]), np.array(["a"]), np.array([np.nan]))
    with pytest.raises(ValueError, match=r"max_returns must be finite or NaN .*got -inf at index 0"):
        buffer.update_many(np.array([0]), np.array([0.5]), np.array([-np.inf]))
    with pytest.raises(ValueError, match=r"max_returns must be float\[1\] .*got dtype <U1"):
        buffer.insert_batch([mazes[1]], lambda i, best: 1.0, np.array(["x"]))
    assert buffer.scores[0] == 1.0 and np.isnan(buffer.max_returns[0])  # unchanged


def test_counts_beyond_exact_floats_are_refused():
    with pytest.raises(
        ValueError, match=r"episodes must hold counts <= 9007199254740992, got 1e\+300 at index 0"
    ):
        make_stats(1, episodes=[1e300], solved=[0], max_return=[0.0])


def test_n_and_mazes_of_the_wrong_kind(small):
    with pytest.raises(ValueError, match=r"n must be an int in \[1, 1000000\], got 1000000000000"):
        DomainRandomization(small, np.random.default_rng(0)).next_levels(10**12)
    with pytest.raises(
        TypeError, match=r"mazes must be a sequence of generators\.Maze or a MazeArrays, got NoneType"
    ):
        Assignment(None, np.zeros(0, dtype=np.int64), True, "new")


def test_pending_is_the_assignment_waiting_for_its_scores(small):
    sampler = DomainRandomization(small, np.random.default_rng(0))
    assert sampler.pending is None
    a = sampler.next_levels(2)
    assert sampler.pending is a
    sampler.update(a, make_stats(2))
    assert sampler.pending is None
