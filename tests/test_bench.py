"""The benchmark runner and the ``bench`` command: metrics, seeding, backends and outputs."""

from __future__ import annotations

import csv
import json

import gymnasium as gym
import pytest

import daedalus_gym
from daedalus_gym.benchmark import (
    EpisodeResult,
    episode_seeds,
    format_matrix,
    format_table,
    run_benchmark,
    summarize,
    wilson_interval,
)
from daedalus_gym.cli import main
from daedalus_gym.splits import HeldOut, LevelRange

ENV_IDS = daedalus_gym.registered_ids()
# The 28x28 ids in the slow run where a test costs seconds over all of them; 14x14 and 7x7 run the
# same code by default.
SIZED_SLOW = [pytest.param(i, marks=pytest.mark.slow) if "28x28" in i else i for i in ENV_IDS]
BASELINES = ["random", "wall-follower", "oracle"]
JSON_KEYS = {"agent", "env", "episodes", "success_rate", "spl", "mean_return", "mean_length"}


def test_episode_seeds_are_a_pure_function():
    assert episode_seeds(0, "Daedalus-Prim-v0", 3) == episode_seeds(0, "Daedalus-Prim-v0", 3)
    seeds = {
        episode_seeds(base, env_id, episode, attempt)
        for base in (0, 1)
        for env_id in ("Daedalus-Prim-v0", "Daedalus-Wilson-v0")
        for episode in range(5)
        for attempt in (0, 1)
    }
    assert len(seeds) == 2 * 2 * 5 * 2


def test_wilson_interval():
    low, high = wilson_interval(0, 10)
    assert low == 0 and high == pytest.approx(0.2775, abs=1e-4)
    low, high = wilson_interval(10, 10)
    assert high == 1 and low == pytest.approx(0.7225, abs=1e-4)
    low, high = wilson_interval(50, 100)
    assert low == pytest.approx(1 - high) and low == pytest.approx(0.4038, abs=1e-4)
    with pytest.raises(ValueError, match="successes"):
        wilson_interval(11, 10)


def test_summarize_spl_and_means():
    def result(episode, success, length, optimal):
        return EpisodeResult(
            "a", "e", episode, 0, "h", success, 1.0 if success else 0.0, length, optimal, 0.5
        )

    episodes = [result(1, True, 20, 10), result(0, True, 10, 10), result(2, False, 40, 10)]
    assert [e.spl for e in episodes] == [0.5, 1.0, 0.0]  # each episode's term; a failure's is 0
    (record,) = summarize(episodes)
    assert record.episodes == 3 and record.success_rate == pytest.approx(2 / 3)
    assert record.spl == pytest.approx((1.0 + 0.5 + 0.0) / 3)
    assert record.mean_length == pytest.approx(70 / 3) and record.mean_return == pytest.approx(2 / 3)
    assert record.steps_per_second == pytest.approx(70 / 1.5)
    assert set(record.to_json()) == JSON_KEYS | {"success_low", "success_high"}


@pytest.mark.parametrize("env_id", SIZED_SLOW)
def test_baselines_on_every_registered_id(env_id):
    records, results = run_benchmark(BASELINES, [env_id], episodes=4, seed=0)
    by_agent = {r.agent: r for r in records}
    assert by_agent["oracle"].success_rate == 1.0 and by_agent["oracle"].spl == 1.0
    env = gym.make(env_id)
    perfect = [
        env.reset(seed=r.seed) and env.unwrapped.maze.is_perfect() for r in results if r.agent == "oracle"
    ]
    if all(perfect):
        assert by_agent["wall-follower"].success_rate == 1.0
    assert by_agent["random"].success_rate < by_agent["oracle"].success_rate
    # Every agent played the same mazes.
    mazes = {agent: [r.maze_hash for r in results if r.agent == agent] for agent in BASELINES}
    assert mazes["random"] == mazes["wall-follower"] == mazes["oracle"]


@pytest.mark.slow  # starts worker processes
def test_results_do_not_depend_on_chunks_or_workers():
    envs = ["Daedalus-Backtracker-7x7-v0"]
    one, results = run_benchmark(BASELINES, envs, episodes=6, seed=3)
    chunked, _ = run_benchmark(BASELINES, envs, episodes=6, seed=3, chunk_size=1)
    pooled, _ = run_benchmark(BASELINES, envs, episodes=6, seed=3, workers=2)
    assert [r.to_json() for r in one] == [r.to_json() for r in chunked] == [r.to_json() for r in pooled]
    assert [r.episode for r in results] == list(range(6)) * 3
    other, _ = run_benchmark(BASELINES, envs, episodes=6, seed=4)
    assert [r.to_json() for r in other] != [r.to_json() for r in one]


def test_held_out_benchmark_skips_training_mazes():
    env_id = "Daedalus-Backtracker-7x7-v0"
    held_out = HeldOut.of(env_id, LevelRange(0, 300))
    # Base seed chosen so that plain episode seeds are fine; force hits by holding out those mazes.
    _, plain = run_benchmark(["oracle"], [env_id], episodes=5, seed=0)
    trap = HeldOut(held_out.train, held_out.hashes | {plain[0].maze_hash, plain[3].maze_hash})
    _, results = run_benchmark(["oracle"], [env_id], episodes=5, seed=0, held_out={env_id: trap})
    assert all(r.seed not in trap.train and r.maze_hash not in trap.hashes for r in results)
    assert [r.maze_hash for r in results][1:3] == [r.maze_hash for r in plain][1:3]
    assert results[0].maze_hash != plain[0].maze_hash and results[3].maze_hash != plain[3].maze_hash


def test_tables():
    records, _ = run_benchmark(["oracle", "random"], ["Daedalus-Backtracker-7x7-v0"], episodes=2, seed=0)
    table = format_table(records).splitlines()
    assert table[0].startswith("| agent") and len(table) == 4
    assert "1.000" in table[2]
    matrix = format_matrix(records, ["success_rate", "spl"]).splitlines()
    assert "oracle" in matrix[0] and "random" in matrix[0] and len(matrix) == 3
    assert matrix[2].startswith("| Daedalus-Backtracker-7x7-v0") and "1.000 / 1.000" in matrix[2]
    with pytest.raises(ValueError, match="metric"):
        format_matrix(records, "nope")


@pytest.mark.slow  # GIFs and a plot
def test_bench_command_writes_every_output(tmp_path, capsys):
    paths = {ext: tmp_path / f"out.{ext}" for ext in ("json", "csv", "png", "md")}
    argv = [
        "bench",
        "--agents",
        "random,oracle",
        "--envs",
        "Daedalus-Backtracker-7x7-v0,Daedalus-Backtracker-v0",
    ]
    argv += ["--episodes", "3", "--seed", "1", "--json", str(paths["json"]), "--csv", str(paths["csv"])]
    argv += [
        "--plot",
        str(paths["png"]),
        "--markdown",
        str(paths["md"]),
        "--record",
        str(tmp_path / "gifs"),
        "--matrix",
        "success_rate,spl",
    ]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "| oracle" in out and "success_rate / spl" in out
    records = json.loads(paths["json"].read_text())
    assert len(records) == 4 and all(set(r) >= JSON_KEYS for r in records)
    assert [(r["agent"], r["env"]) for r in records][:2] == [
        ("random", "Daedalus-Backtracker-7x7-v0"),
        ("random", "Daedalus-Backtracker-v0"),
    ]
    rows = list(csv.DictReader(paths["csv"].open()))
    assert len(rows) == 4 and float(rows[0]["steps_per_second"]) > 0
    assert paths["png"].read_bytes()[:4] == b"\x89PNG"
    assert paths["md"].read_text().strip() in out
    gifs = sorted(p.name for p in (tmp_path / "gifs").iterdir())
    assert len(gifs) == 4 and all(name.endswith("__ep0.gif") for name in gifs)
    import imageio.v3 as iio

    frames = iio.imread(tmp_path / "gifs" / "oracle__Daedalus-Backtracker-7x7-v0__ep0.gif", index=None)
    assert frames.ndim == 4 and len(frames) > 10 and 200 <= frames.shape[1] <= 256


def test_bench_command_errors(capsys):
    assert main(["bench", "--envs", "Daedalus-Nope-v0"]) == 2
    assert main(["bench", "--envs", "CartPole-v1"]) == 2  # registered, but not a maze
    assert "unknown ids" in capsys.readouterr().err
    with pytest.raises(ValueError, match="registered Daedalus ids"):
        run_benchmark(["random"], ["CartPole-v1"], episodes=1)
    assert main(["bench", "--envs", "Daedalus-Backtracker-7x7-v0", "--matrix", "bogus"]) == 2
    assert (
        main(["bench", "--envs", "Daedalus-Backtracker-7x7-v0", "--train-env", "Daedalus-Backtracker-v0"])
        == 2
    )


@pytest.mark.slow  # starts a Ray instance
def test_ray_backend_gives_the_same_json_as_local(tmp_path, tiny_ppo_model):
    pytest.importorskip("ray")
    common = [
        "--envs",
        "Daedalus-Backtracker-7x7-v0,Daedalus-Backtracker-v0",
        "--episodes",
        "6",
        "--seed",
        "11",
    ]
    agents = ["--agents", f"random,wall-follower,oracle,ppo:{tiny_ppo_model}"]
    local, ray = tmp_path / "local.json", tmp_path / "ray.json"
    assert main(["bench", *agents, *common, "--json", str(local)]) == 0
    assert main(["bench", *agents, *common, "--json", str(ray), "--backend", "ray", "--workers", "2"]) == 0
    assert local.read_text() == ray.read_text()


@pytest.fixture(scope="module")
def tiny_ppo_model(tmp_path_factory):
    pytest.importorskip("stable_baselines3")
    path = tmp_path_factory.mktemp("ppo") / "tiny.zip"
    argv = ["train-agent", "ppo", "--env", "Daedalus-Backtracker-7x7-v0", "--steps", "512", "--n-envs", "2"]
    assert main([*argv, "--out", str(path), "--eval-episodes", "0"]) == 0
    return path


@pytest.mark.parametrize(
    ("args", "match"),
    [
        ((-1, "Daedalus-Prim-v0", 0), "base_seed must be an int >= 0, got -1"),
        ((True, "Daedalus-Prim-v0", 0), r"base_seed must be an int >= 0, got True \(bool\)"),
        ((1.5, "Daedalus-Prim-v0", 0), r"base_seed must be an int >= 0, got 1.5 \(float\)"),
        ((0, 3, 0), r"env_id must be a str, got 3 \(int\)"),
        ((0, "Daedalus-Prim-v0", -1), "episode must be an int >= 0, got -1"),
        ((0, "Daedalus-Prim-v0", 0, 1.0), r"attempt must be an int >= 0, got 1.0 \(float\)"),
    ],
)
def test_episode_seeds_refuse_bad_arguments(args, match):
    with pytest.raises(ValueError, match=match):
        episode_seeds(*args)


@pytest.mark.parametrize(
    ("args", "match"),
    [
        ((0, 0), "n must be an int >= 1, got 0"),
        ((True, 2), r"successes must be an int >= 0, got True \(bool\)"),
        ((1.5, 3), r"successes must be an int >= 0, got 1.5 \(float\)"),
        ((1, 3, float("nan")), r"z must be a finite number in \(0.0, inf\), got nan"),
        ((1, 3, -2.0), r"z must be a finite number in \(0.0, inf\), got -2.0"),
    ],
)
def test_wilson_interval_refuses_bad_arguments(args, match):
    with pytest.raises(ValueError, match=match):
        wilson_interval(*args)


E7 = "Daedalus-Backtracker-7x7-v0"


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        ((["random"], [E7], 1.5), {}, r"episodes must be an int >= 1, got 1.5 \(float\)"),
        ((["random"], [E7], True), {}, r"episodes must be an int >= 1, got True \(bool\)"),
        ((["random"], [E7], 1, -1), {}, "seed must be an int >= 0, got -1"),
        ((["random"], [E7], 1, 1.5), {}, r"seed must be an int >= 0, got 1.5 \(float\)"),
        ((["random"], [E7], 1), {"workers": True}, r"workers must be an int >= 1, got True \(bool\)"),
        (("random", [E7], 1), {}, r"agents must be a list of strs, got 'random' \(str\)"),
        ((["random"], E7, 1), {}, rf"envs must be a list of strs, got '{E7}' \(str\)"),
        ((["random", "random"], [E7], 1), {}, r"agents must be distinct, got \['random'\] more than once"),
        (
            (["random"], [E7], 1),
            {"ray_address": "x:1"},
            "ray_address 'x:1' needs backend='ray', got backend='local'",
        ),
        ((["random"], [E7], 2), {"chunk_size": 1.5}, r"chunk_size must be an int >= 1, got 1.5 \(float\)"),
        ((["random"], [E7], 1), {"record_episodes": 0.5}, r"record_episodes must be an int >= 0, got 0.5"),
        (
            (["random"], [E7], 1),
            {"record_episodes": 3},
            "record_episodes 3 needs record_dir, where the GIFs go",
        ),
        ((["random"], [E7], 1), {"record_episodes": 0}, "record_episodes 0 needs record_dir"),
        ((["random"], [E7], 1), {"env_kwargs": [1]}, r"env_kwargs must be a dict of str keywords or None"),
        (
            (["random"], [E7], 1),
            {"held_out": {"Foo": None}},
            "held_out names env 'Foo', which is not among envs",
        ),
    ],
)
def test_run_benchmark_refuses_bad_arguments_before_playing(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        run_benchmark(*args, **kwargs)


def test_record_episodes_counts_only_with_a_record_dir(tmp_path):
    from daedalus_gym.benchmark import RECORD_EPISODES, make_tasks
    from daedalus_gym.commands.bench import RECORD_EPISODES as CLI_RECORD_EPISODES

    assert CLI_RECORD_EPISODES == RECORD_EPISODES == 1

    def recorded(**kwargs):
        return {(t.record_dir, t.record_episodes) for t in make_tasks(["random"], [E7], 4, 0, 2, **kwargs)}

    assert recorded() == {(None, 0)}
    assert recorded(record_dir=tmp_path) == {(str(tmp_path), RECORD_EPISODES)}
    assert recorded(record_dir=tmp_path, record_episodes=3) == {(str(tmp_path), 3)}
    assert recorded(record_dir=tmp_path, record_episodes=0) == {(str(tmp_path), 0)}
    with pytest.raises(ValueError, match="record_episodes 2 needs record_dir, where the GIFs go"):
        make_tasks(["random"], [E7], 4, 0, 2, record_episodes=2)


def test_run_benchmark_records_one_episode_by_default(tmp_path):
    pytest.importorskip("imageio")
    run_benchmark(["oracle"], [E7], 2, record_dir=tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == [f"oracle__{E7}__ep0.gif"]


def test_no_episodes_give_no_records_and_no_table(tmp_path):
    from daedalus_gym.benchmark import plot_records

    assert summarize([]) == []
    for make in (format_table, format_matrix, lambda r: plot_records(r, tmp_path / "p.png")):
        with pytest.raises(ValueError, match="records must hold at least one BenchRecord, got none"):
            make([])
    with pytest.raises(TypeError, match=r"results\[0\] must be an EpisodeResult, got 1 \(int\)"):
        summarize([1])
    with pytest.raises(TypeError, match=r"records\[0\] must be a BenchRecord, got 'x' \(str\)"):
        format_table(["x"])


def test_an_episode_summarized_twice_is_refused():
    result = EpisodeResult("random", E7, 0, 1, "h", True, 1.0, 3, 3, 0.1)
    with pytest.raises(ValueError, match=r"results hold episodes \[0\] of 'random' on .* more than once"):
        summarize([result, result])
