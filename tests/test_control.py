"""Difficulty control: targets met, same rng -> same mazes, clear errors, the vector env, and
difficulty that orders path lengths."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import daedalus_gym  # noqa: F401 - registers the ids
from generators import is_perfect, make_generator
from generators.control import ControlledGenerator, calibrate, dead_end_fraction, measure

CLASSICAL = ["backtracker", "kruskal", "prim", "wilson"]


def _served(gen, n: int = 24, seed: int = 0) -> dict[str, np.ndarray]:
    walls = np.stack([m.walls for m in gen.generate_batch(n, np.random.default_rng(seed))])
    assert is_perfect(walls).all()
    return measure(gen, walls)


@pytest.mark.parametrize("name", CLASSICAL)
def test_path_length_target_met(name: str) -> None:
    base = make_generator(name, size=8)
    target = calibrate(base).quantile("path_length", 0.7)
    got = _served(make_generator(name, size=8, target={"path_length": target}))["path_length"]
    assert np.median(np.abs(got - target) / target) <= 0.05


def test_both_targets_met() -> None:
    base = make_generator("kruskal", size=8)
    cal = calibrate(base)
    target = {"path_length": cal.quantile("path_length", 0.5), "dead_ends": cal.quantile("dead_ends", 0.5)}
    got = _served(make_generator("kruskal", size=8, target=target))
    for k, t in target.items():
        assert np.median(np.abs(got[k] - t) / t) <= 0.05, k


def test_learned_generator_steered_in_latent_space() -> None:
    # 8x8 from the 14x14 model (a tile's corner): codes searched in Python, in batches.
    base = make_generator("vae", size=8)
    target = calibrate(base).quantile("path_length", 0.8)
    gen = make_generator("vae", size=8, target={"path_length": target})
    assert not gen.compiled() and not gen.walks()
    got = _served(gen, n=8)["path_length"]
    assert np.median(np.abs(got - target) / target) <= 0.05


@pytest.mark.parametrize("kind", ["vae", "ae"])
def test_learned_generator_at_its_model_size_searches_walks(kind: str) -> None:
    # At the model's own size (the 7x7 models) the search draws walks over shared embeddings.
    base = make_generator(kind, size=7)
    cal = calibrate(base)
    short, many_dead_ends = cal.quantile("path_length", 0.1), cal.quantile("dead_ends", 0.9)
    for target in ({"path_length": short}, {"dead_ends": many_dead_ends}):
        gen = make_generator(kind, size=7, target=target)
        assert gen.walks()
        got = _served(gen, n=12)
        for k, t in target.items():
            assert np.median(np.abs(got[k] - t) / t) <= 0.05, k
    gen = make_generator(kind, size=7, difficulty=0.8)
    a = gen.generate_batch(5, np.random.default_rng(3))
    rng = np.random.default_rng(3)
    assert a == [gen.generate(rng) for _ in range(5)]
    # Beyond the calibration sample's range the closest walk is served.
    far = make_generator(kind, size=7, target={"path_length": cal.reachable("path_length")[1]})
    walls, err, built = far.search_seeds(np.arange(3))
    assert is_perfect(walls).all() and np.isfinite(err).all() and (built >= 8).all()


@pytest.mark.parametrize(
    ("kind", "kwargs"), [("vae", {}), ("ae", {}), ("vae", {"decision_temperature": 0.6})], ids=str
)
def test_served_walks_are_the_generators_mazes_for_their_noise(kind: str, kwargs: dict) -> None:
    # Mazes served after several rounds, from fresh walks and from mutants of the best ones:
    # each is the wrapped generator's maze for the noise of the walk that drew it (at the
    # generator's decision temperature too), or, for a path target steered by the model's path
    # head (path_head=True; the shipped models have one, at their own decision temperature),
    # the head's walk for that noise told the target.
    base = make_generator(kind, size=7, **kwargs)
    cal = calibrate(base)
    assert (base.path_head() is not None) == ("decision_temperature" not in kwargs)
    # Tail targets, where mazes take several rounds (a long path is the head's hardest).
    long_path, many_dead_ends = cal.quantile("path_length", 0.98), cal.quantile("dead_ends", 0.98)
    settings = [({"path_length": long_path}, False), ({"dead_ends": many_dead_ends}, False)]
    if base.path_head() is not None:
        settings.append(({"path_length": long_path}, True))
    for target, head in settings:
        gen = make_generator(kind, size=7, target=target, path_head=head, **kwargs)
        rngs = [np.random.default_rng(s) for s in range(24)]
        walls, err, built, noise, told = gen._search_walks(rngs)
        steered = gen.steered()
        assert steered == head
        assert (built > (2 if steered else 8)).sum() >= 4  # some mazes took more than the first round
        if steered:
            n, latent = len(noise), base.latent_dim
            opened, _ = base.drawn_walks(
                noise[:, :latent], noise[:, latent:], np.arange(n), np.full((n, 2), -1), told
            )
            assert np.array_equal(walls, base.walls_from_walks(opened))
        else:
            assert np.array_equal(walls, base.walls_from_noise(noise)) and not told.any()
        assert np.array_equal(err, gen._error(measure(gen, walls, tuple(target))))


@pytest.mark.parametrize("head", [False, True])
def test_walk_search_serves_the_same_mazes_without_the_walks_after_a_hit(head, monkeypatch) -> None:
    # The search skips a maze's walks after its first hit; drawing every walk serves the same.
    gen = make_generator("vae", size=7, target={"path_length": 30.0}, path_head=head)
    seeds = range(48)
    walls, err, built, noise, told = gen._search_walks([np.random.default_rng(s) for s in seeds])
    draw = type(gen.base).drawn_walks

    def every_walk(self, *args, hit=None, group_size=0):
        return draw(self, *args)

    monkeypatch.setattr(type(gen.base), "drawn_walks", every_walk)
    got = gen._search_walks([np.random.default_rng(s) for s in seeds])
    assert np.array_equal(walls, got[0]) and np.array_equal(err, got[1]) and np.array_equal(noise, got[3])
    assert np.array_equal(told, got[4])
    assert (built <= got[2]).all() and built.sum() < got[2].sum()


def test_same_rng_same_mazes_and_batch_equals_singles() -> None:
    gen = make_generator("backtracker", size=8, difficulty=0.3)
    a = gen.generate_batch(6, np.random.default_rng(5))
    rng = np.random.default_rng(5)
    assert a == [gen.generate(rng) for _ in range(6)]
    assert a != gen.generate_batch(6, np.random.default_rng(6))
    # The searches' seeds are the noise's: searching them serves what generate_walls serves.
    seeds = gen.seeds_from_noise(gen.draw_noise(6, np.random.default_rng(5)))
    walls, err, built = gen.search_seeds(seeds)
    assert np.array_equal(walls, gen.generate_walls(6, np.random.default_rng(5)))
    assert seeds.dtype == np.int64 and (built >= 1).all() and (err >= 0).all()
    with pytest.raises(ValueError):
        gen.seeds_from_noise(np.full((2, 1), 1.5))


def test_config_rebuilds_the_controlled_generator() -> None:
    gen = make_generator("prim", size=8, target={"path_length": 30})
    again = make_generator(**gen.config())
    assert isinstance(again, ControlledGenerator)
    rng_a, rng_b = np.random.default_rng(1), np.random.default_rng(1)
    assert gen.generate_batch(3, rng_a) == again.generate_batch(3, rng_b)


def test_uncontrolled_generator_unchanged() -> None:
    assert not isinstance(make_generator("kruskal", size=8), ControlledGenerator)


def test_difficulty_orders_path_lengths() -> None:
    medians = [
        np.median(_served(make_generator("kruskal", size=10, difficulty=d), n=16)["path_length"])
        for d in (0.0, 0.5, 1.0)
    ]
    assert medians[0] < medians[1] < medians[2]


def test_dead_end_fraction_counts_cells() -> None:
    # A 1x3 corridor: the two end cells have one open neighbour, the middle one two.
    walls = np.ones((1, 3, 7), dtype=bool)
    walls[0, 1, 1:6] = False
    assert dead_end_fraction(walls).tolist() == [2 / 3]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"target": {"length": 40}}, "unknown target 'length'; accepted: path_length, dead_ends"),
        ({"target": {"path_length": -5}}, "path_length.*> 0, got -5"),
        ({"target": {"path_length": "long"}}, "must be a number, got str 'long'"),
        ({"target": {"path_length": float("nan")}}, "got nan"),
        ({"target": {"path_length": float("inf")}}, "got inf"),
        ({"target": {"path_length": 10_000}}, r"outside what this generator reaches.*\[\d"),
        ({"target": {"path_length": 2}}, r"outside what this generator reaches"),
        ({"target": {"dead_ends": 0.99}}, r"dead_ends.*outside"),
        ({"target": {}}, "non-empty dict"),
        ({"target": 40}, "non-empty dict"),
        ({"difficulty": 1.5}, r"difficulty must be a number in \[0, 1\], got 1.5"),
        ({"difficulty": -0.1}, r"in \[0, 1\], got -0.1"),
        ({"difficulty": True}, "difficulty must be a number"),
        ({"difficulty": 0.5, "target": {"path_length": 40}}, "either target or difficulty, not both"),
    ],
)
def test_bad_targets_are_clear_errors(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        make_generator("kruskal", size=8, **kwargs)


def test_learned_generator_needs_perfect_repair() -> None:
    with pytest.raises(ValueError, match="repair='perfect', got repair='connect'"):
        make_generator("vae", size=8, repair="connect", difficulty=0.5)


def test_env_and_vector_env_serve_controlled_mazes() -> None:
    # 8x8 mazes under the 7x7 id, with their own time limit (4 x 8 x 8).
    kwargs = {"generator_kwargs": {"size": 8, "target": {"path_length": 40}}, "max_episode_steps": 256}
    env = gym.make("Daedalus-Kruskal-7x7-v0", **kwargs)
    _, info = env.reset(seed=0)
    assert abs(info["optimal_path_length"] - 40) <= 2
    vec = gym.make_vec("Daedalus-Kruskal-7x7-v0", 4, vectorization_mode="vector_entry_point", **kwargs)
    assert vec.unwrapped._fast_path == "noise"
    vec.reset(seed=0)
    walls = vec.unwrapped._pool_walls[:, 0]
    lengths = measure(env.unwrapped.settings.generator, walls)["path_length"]
    assert (np.abs(lengths - 40) <= 2).all()
    ref = gym.make_vec("Daedalus-Kruskal-7x7-v0", 4, vectorization_mode="sync", **kwargs)
    obs_ref, _ = ref.reset(seed=0)
    obs_vec, _ = vec.reset(seed=0)
    assert np.array_equal(obs_ref, obs_vec)


def test_vector_env_serves_controlled_learned_mazes_like_the_single_env() -> None:
    # A learned id at its model's size: the walk search, in the vector env's batched fast path.
    kwargs = {"generator_kwargs": {"difficulty": 0.7}}
    vec = gym.make_vec("Daedalus-VAE-7x7-v0", 3, vectorization_mode="vector_entry_point", **kwargs)
    assert vec.unwrapped._fast_path == "noise"
    obs_vec, _ = vec.reset(seed=4)
    ref = gym.make_vec("Daedalus-VAE-7x7-v0", 3, vectorization_mode="sync", **kwargs)
    obs_ref, _ = ref.reset(seed=4)
    assert np.array_equal(obs_ref, obs_vec)
    walls = vec.unwrapped._pool_walls[:, 0]
    assert is_perfect(walls).all()


@pytest.mark.slow
def test_bench_control_quick_writes_table_json_and_plots(tmp_path) -> None:
    import json

    from daedalus_gym.cli import main

    assert main(["bench-control", "--quick", "--out", str(tmp_path)]) == 0
    report = json.loads((tmp_path / "control.json").read_text())
    assert report["settings"]["repeats"] == 3
    assert {s["metric"] for s in report["summary"]} == {"path_length", "dead_ends"}
    assert all(s["perfect_min"] == 100 for s in report["summary"] if s["perfect_min"] == s["perfect_min"])
    served = [t for t in report["targets"] if "rejected" not in t]
    assert all(1 <= t["candidates"] <= t["candidates_max"] <= 472 for t in served)
    text = (tmp_path / "control.md").read_text()
    assert "| kruskal | 8x8 | path_length |" in text
    assert "| kruskal | 8x8 | wall-follower (steps) |" in text and "success flat" in text
    assert (tmp_path / "control_accuracy.png").stat().st_size > 0
    for row in report["bins"]:  # each bin's means come with their standard errors
        assert all(row[f"{key}_se"] >= 0 for key in ("success_rate", "spl", "mean_length"))


@pytest.mark.parametrize(
    ("values", "errors", "trend"),
    [
        ([0.5, 0.5, 0.5], None, "flat"),
        ([0.5, 0.6, 0.6, 0.7], None, "rising"),
        ([0.7, 0.6, 0.5], [0.01] * 3, "falling"),
        ([0.50, 0.49, 0.55, 0.60], None, "not monotone"),
        # A step back of 0.01 against 1.96 * sqrt(2) * 0.01 = 0.028 of noise: a tie.
        ([0.50, 0.49, 0.55, 0.60], [0.01] * 4, "rising, dips within noise"),
        ([0.60, 0.61, 0.50], [0.01] * 3, "falling, dips within noise"),
        ([0.50, 0.40, 0.55, 0.60], [0.01] * 4, "not monotone"),  # a step back of 0.1: not noise
        ([0.5, 0.6, 0.5], [0.01] * 3, "not monotone"),  # back where it started, through a real rise
        ([400, 389, 395, 385, 391], [10.0] * 5, "flat within noise"),  # every step and the change: noise
        ([0.50, 0.49, 0.55], [float("nan")] * 3, "not monotone"),  # one episode a bin: no error
        # Every episode of the first and last bins succeeded (standard error 0): no change at all,
        # and the middle dip of 0.01 is within 1.96 * 0.01 of noise.
        ([1.0, 0.99, 1.0], [0.0, 0.01, 0.0], "flat within noise"),
        ([1.0, 1.0, 0.99, 1.0], [0.0, 0.0, 0.01, 0.0], "flat within noise"),
        ([0.5, 0.4, 0.5], [0.0] * 3, "not monotone"),  # exact means: the steps are real
        ([0.5, float("nan"), 0.6], [0.01] * 3, "not monotone"),  # a missing mean: no trend
        ([0.5, 0.4, float("nan")], [0.01] * 3, "not monotone"),
    ],
)
def test_bench_control_trend_tells_a_dip_within_noise_from_a_reversal(values, errors, trend) -> None:
    from daedalus_gym.commands.bench_control import monotone

    assert monotone(values, errors) == trend


def test_bench_control_plots_name_an_agent_by_its_file() -> None:
    from daedalus_gym.commands.bench_control import _agent_label

    assert _agent_label("ppo:examples/models/ppo-kruskal-7x7.zip") == "ppo: ppo-kruskal-7x7"
    assert _agent_label("wall-follower") == "wall-follower"


def test_bench_control_bad_flags_are_one_line_errors(capsys) -> None:
    from daedalus_gym.cli import main

    assert main(["bench-control", "--out", "/tmp/x", "--sizes", "3"]) == 2
    assert "expected an integer in [4, 64], got 3" in capsys.readouterr().err
    assert main(["bench-control", "--out", "/tmp/x", "--generators", "maze9"]) == 2
    assert "--generators: unknown ['maze9']" in capsys.readouterr().err
    assert main(["bench-control", "--out", "/tmp/x", "--repeats", "0"]) == 2
    assert "expected an integer in [1, 20], got 0" in capsys.readouterr().err


def test_pickled_controlled_generator_serves_the_same_mazes() -> None:
    import pickle

    gen = make_generator("kruskal", size=8, goal="farthest", difficulty=0.5)
    again = pickle.loads(pickle.dumps(gen))
    assert gen.generate_batch(3, np.random.default_rng(0)) == again.generate_batch(
        3, np.random.default_rng(0)
    )


@pytest.mark.parametrize(("name", "size"), [*((n, 5) for n in CLASSICAL), ("vae", 5), ("vae", 7)])
def test_empty_batches_of_a_controlled_generator(name: str, size: int) -> None:
    # Compiled (classical), batched (a learned generator's tiles) and walk searches alike.
    gen = make_generator(name, size=size, difficulty=0.5)
    assert gen.generate_batch(0, np.random.default_rng(0)) == []
    assert len(gen.generate_arrays(0, np.random.default_rng(0))) == 0
    assert gen.walls_from_noise(np.zeros((0, 1))).shape == (0, *gen.shape)


def test_path_head_needs_the_goal_in_the_corner() -> None:
    with pytest.raises(
        ValueError, match=r"path_head=True steers .* goal in the corner; vae has goal='farthest'"
    ):
        make_generator("vae", size=7, goal="farthest", difficulty=0.5, path_head=True)
    assert make_generator("vae", size=7, difficulty=0.5, path_head=True).steered()
    assert not make_generator("vae", size=7, goal="farthest", difficulty=0.5).steered()


def test_noise_errors_name_the_noise() -> None:
    gen = make_generator("prim", size=5, difficulty=0.5)
    with pytest.raises(ValueError, match=r"noise must hold uniforms in \[0, 1\), got 1\.5 at index \(1, 0\)"):
        gen.walls_from_noise(np.array([[0.5], [1.5]]))
    with pytest.raises(ValueError, match=r"noise must be float\[B, 1\], got shape \(2, 2\)"):
        gen.walls_from_noise(np.zeros((2, 2)))


@pytest.mark.parametrize(
    ("name", "goal"), [("backtracker", "corner"), ("wilson", "farthest"), ("vae", "corner")]
)
def test_calibration_in_batches_is_the_calibration_of_one_batch(name: str, goal: str, monkeypatch) -> None:
    from generators import control

    gen = make_generator(name, size=7, goal=goal)
    monkeypatch.setattr(control, "_calibrations", {})
    whole = calibrate(gen)
    asked = []
    generate_walls = gen.generate_walls

    def spy(n: int, rng: np.random.Generator) -> np.ndarray:
        asked.append(n)
        return generate_walls(n, rng)

    monkeypatch.setattr(gen, "generate_walls", spy)
    monkeypatch.setattr(control, "_calibrations", {})
    monkeypatch.setattr(control, "CALIBRATION_CHUNK_SQUARES", 100 * 15 * 15)  # 100 mazes a batch
    batched = calibrate(gen)
    assert asked == [100] * 10 + [24]
    assert np.array_equal(batched.path_length, whole.path_length)
    assert np.array_equal(batched.dead_ends, whole.dead_ends)
    assert batched.lowest_path == whole.lowest_path
