"""The console command: demo, generate, play (headless, scripted keys)."""

from __future__ import annotations

import itertools

import gymnasium as gym
import numpy as np
import pytest

import daedalus_gym  # noqa: F401
from daedalus_gym.cli import main
from daedalus_gym.commands.play import play
from generators import load_mazes, make_generator
from generators.maze import mazes_from_text


def test_generate_npz_txt_png(tmp_path, capsys):
    assert main(["generate", "--size", "5", "--n", "4", "--seed", "3", "--out", str(tmp_path / "m.npz")]) == 0
    mazes = load_mazes(tmp_path / "m.npz")
    assert mazes == make_generator("backtracker", size=5).generate_batch(4, np.random.default_rng(3))
    assert main(["generate", "--size", "5", "--n", "4", "--seed", "3", "--out", str(tmp_path / "m.txt")]) == 0
    assert mazes_from_text((tmp_path / "m.txt").read_text()) == mazes
    assert main(["generate", "--size", "5", "--n", "4", "--paths", "--out", str(tmp_path / "m.png")]) == 0
    assert (tmp_path / "m.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "wrote 4 backtracker mazes" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["generate", "--out", "x.jpg"], "--out must end in"),
        (["generate", "--generator", "nope", "--out", "x.npz"], "unknown generator 'nope'"),
        (["generate", "--size", "0", "--out", "x.npz"], "--size: expected an integer >= 1, got 0"),
        (["generate", "--kwargs", "[1]", "--out", "x.npz"], "JSON object"),
    ],
)
def test_generate_bad_input_is_a_clear_error(argv, message, capsys):
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_demo_writes_picture_and_table(tmp_path, capsys):
    assert main(["demo", "--size", "5", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "backtracker" in out and "picture:" in out
    assert (tmp_path / "demo.png").stat().st_size > 0
    lines = [line for line in out.splitlines() if line.startswith("backtracker")]
    assert lines and lines[0].split()[-2] == "yes"  # the oracle solves it


class Event:
    def __init__(self, type_, key=None):
        self.type, self.key = type_, key


def test_play_r_draws_a_new_maze_and_escape_quits():
    from daedalus_gym.rendering import import_pygame

    pg = import_pygame()
    env = gym.make("Daedalus-Backtracker-7x7-v0", render_mode="human", render_tile_size=2)
    events = iter(
        [
            Event(pg.KEYDOWN, pg.K_RIGHT),
            Event(pg.MOUSEMOTION),
            Event(pg.KEYDOWN, pg.K_r),
            Event(pg.KEYDOWN, pg.K_ESCAPE),
        ]
    )
    first = gym.make("Daedalus-Backtracker-7x7-v0")
    first.reset(seed=0)
    episodes = play(env, lambda: next(events), seed=0)
    assert episodes == []  # nothing finished
    assert env.unwrapped.maze != first.unwrapped.maze  # R served a new maze
    assert env.unwrapped.agent_pos == env.unwrapped.maze.start
    assert next(events, None) is None  # Esc ended the loop after consuming every event
    env.close()


def test_play_solves_with_path_keys():
    from daedalus_gym.rendering import import_pygame

    pg = import_pygame()
    probe = gym.make("Daedalus-Backtracker-7x7-v0")
    probe.reset(seed=4)
    path = probe.unwrapped.maze.shortest_path()
    key_of = {(-1, 0): pg.K_UP, (0, 1): pg.K_RIGHT, (1, 0): pg.K_DOWN, (0, -1): pg.K_LEFT}
    keys = [Event(pg.KEYDOWN, key_of[(b[0] - a[0], b[1] - a[1])]) for a, b in itertools.pairwise(path)]
    events = iter([*keys, Event(pg.QUIT)])
    env = gym.make("Daedalus-Backtracker-7x7-v0", render_mode="human", render_tile_size=2)
    env.unwrapped.metadata = {**env.unwrapped.metadata, "render_fps": 0}  # no frame pacing in a test
    episodes = play(env, lambda: next(events), seed=4)
    env.close()
    assert episodes == [
        {"solved": True, "steps": len(path) - 1, "optimal": len(path) - 1, "return": episodes[0]["return"]}
    ]
    assert episodes[0]["return"] == pytest.approx(1 - 0.9 * (len(path) - 1) / (4 * 7 * 7), abs=1e-4)


@pytest.mark.slow  # rebuilds the training set to compare with
def test_evaluate_prints_figures_not_planning(tmp_path, capsys):
    assert main(["evaluate", "--generator", "vae", "--n", "20", "--out", str(tmp_path), "--no-figures"]) == 0
    out = capsys.readouterr().out.lower()
    assert "solvable" in out
    assert not any(word in out for word in ("target", "issue", "acceptance", "[x]"))
    assert "targets" not in (tmp_path / "vae.json").read_text()


def test_demo_times_warm_resets_only(monkeypatch):
    """The cold first reset (model loading, JIT compilation) is not in the demo's reset column."""
    from daedalus_gym.commands import demo

    clock = [0.0]
    seeds = []

    class Env:
        def reset(self, seed=None):
            seeds.append(seed)
            clock[0] += 3.0 if len(seeds) == 1 else 0.002  # a cold first reset, then warm ones

    monkeypatch.setattr(demo.time, "perf_counter", lambda: clock[0])
    assert demo.warm_reset_ms(Env(), seed=5, n=4) == pytest.approx(2.0)
    assert seeds == [5, 6, 7, 8, 9]


def test_dataset_with_a_relative_out_writes_under_it(tmp_path, monkeypatch, capsys):
    pytest.importorskip("minari")
    pytest.importorskip("h5py")
    monkeypatch.chdir(tmp_path)
    argv = ["dataset", "--env", "Daedalus-Backtracker-7x7-v0", "--agent", "oracle", "--episodes", "2"]
    assert main([*argv, "--out", "ds"]) == 0
    assert f"under {tmp_path / 'ds'}" in capsys.readouterr().out
    assert [p.name for p in (tmp_path / "ds").iterdir()] == ["daedalus-backtracker-7x7-oracle-v0"]


class Started(Exception):
    """Raised where a command starts its work: the settings it would run with are its args."""


def test_quick_fills_in_only_the_flags_not_given(tmp_path, monkeypatch):
    from daedalus_gym.commands import bench_control, curriculum_bench

    def accuracy(name, size, args):
        raise Started(name, size, args)

    monkeypatch.setattr(bench_control, "accuracy", accuracy)
    argv = ["bench-control", "--quick", "--generators", "prim", "--sizes", "6", "--mazes", "16"]
    with pytest.raises(Started) as started:
        main([*argv, "--out", str(tmp_path / "control")])
    name, size, args = started.value.args
    assert (name, size, args.generators, args.sizes, args.mazes) == ("prim", 6, ["prim"], [6], 16)
    assert (args.inside, args.beyond, args.bins, args.episodes) == (3, 1, 2, 2)  # --quick's
    with pytest.raises(Started) as started:
        main(["bench-control", "--mazes", "16", "--out", str(tmp_path / "control")])
    args = started.value.args[2]
    assert (args.generators[0], args.sizes, args.mazes, args.inside, args.episodes) == (
        "backtracker",
        [14, 28],
        16,
        10,
        20,
    )

    def run_all(tasks, config, backend, workers, address):
        raise Started(tasks, config)

    monkeypatch.setattr(curriculum_bench, "run_all", run_all)
    argv = [
        "curriculum-bench",
        "--quick",
        "--methods",
        "sfl,dr-backtracker",
        "--seeds",
        "5,6",
        "--steps",
        "64",
    ]
    with pytest.raises(Started) as started:
        main([*argv, "--out", str(tmp_path / "curricula")])
    tasks, config = started.value.args
    assert tasks == [("sfl", 5), ("sfl", 6), ("dr-backtracker", 5), ("dr-backtracker", 6)]
    assert config["ppo"]["total_steps"] == 64 and config["ppo"]["num_envs"] == 8  # --quick's
    with pytest.raises(Started) as started:
        main(["curriculum-bench", "--quick", "--out", str(tmp_path / "curricula")])
    tasks, config = started.value.args
    assert tasks == [("dr-backtracker", 0), ("plr", 0)] and config["ppo"]["total_steps"] == 4096
    assert not (tmp_path / "control").exists() and not (tmp_path / "curricula").exists()


def test_one_seed_gives_no_interval_and_no_verdict():
    from daedalus_gym.commands import curriculum_bench as cb

    one = [
        {"method": "dr-backtracker", "success": cb.t_interval([0.3])},
        {"method": "plr", "success": cb.t_interval([0.5])},
        {"method": "latent", "success": cb.t_interval([0.4])},
    ]
    lines = cb.comparisons(one)
    assert lines[0] == (
        "- plr against dr-backtracker on zero-shot success: 0.500 against 0.300, no verdict: "
        "a 95% interval needs at least two seeds per method"
    )
    assert lines[-1].startswith("- latent against plr: 0.400 against 0.500, no verdict")
    assert not any("nan" in line for line in lines)


def test_path_head_size_comes_from_the_model_file(tmp_path, capsys):
    import shutil

    from generators.learned import pretrained_path

    model = tmp_path / "ae-7x7.safetensors"
    shutil.copy(pretrained_path("ae", (7, 7)), model)
    assert main(["train-path-head", "ae", "--model", str(model), "--size", "14"]) == 2
    err = capsys.readouterr().err
    assert f"--size 14 disagrees with --model {model}, a model of 7x7 cells" in err
    assert not (tmp_path / "ae-7x7.path.safetensors").exists()


@pytest.mark.slow  # trains a (tiny) head
def test_path_head_trains_at_the_model_size_without_size(tmp_path, capsys):
    import json
    import shutil

    from generators.learned import pretrained_path

    model = tmp_path / "ae-7x7.safetensors"
    shutil.copy(pretrained_path("ae", (7, 7)), model)
    argv = ["train-path-head", "ae", "--model", str(model), "--steps", "1", "--batch", "4", "--held-out", "4"]
    assert main([*argv, "--threads", "1"]) == 0
    assert "(7x7, decision temperature" in capsys.readouterr().out
    card = json.loads((tmp_path / "ae-7x7.path.json").read_text())
    assert card["command"].startswith(f"daedalus-gym train-path-head ae --model {model} ")
