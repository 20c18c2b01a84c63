"""Every command checks its arguments before any work, and bad input is one line on stderr with
exit code 2 (a traceback only with ``--debug``); defaults show in every ``--help``."""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import math
import sys
import tempfile
import zipfile
from pathlib import Path
from unittest import mock

import gymnasium as gym
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from daedalus_gym.cli import COMMANDS, build_parser, main
from daedalus_gym.commands import float_range, int_range


def _error_line(capsys) -> str:
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    return lines[0]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        # a setting the generator does not take, or one that has its own flag
        (["generate", "--kwargs", '{"foo": 1}'], "takes no setting 'foo'"),
        (["generate", "--kwargs", '{"size": 3}'], "use --size"),
        (["generate", "--kwargs", '{"goal": "farthest"}'], "use --goal"),
        (["generate", "--seed", "-1"], "argument --seed: expected an integer in [0, 4294967295], got -1"),
        (["generate", "--n", "0"], "argument --n"),
        (["evaluate", "--generator", "backtracker", "--repair", "connect"], "takes no setting 'repair'"),
        (["evaluate", "--generator", "vae", "--threads", "0"], "argument --threads"),
        (["evaluate", "--generator", "vae", "--n", "1"], "argument --n: expected an integer >= 2"),
        (["train", "vae", "--epochs", "0"], "argument --epochs: expected an integer >= 1, got 0"),
        (["train", "vae", "--beta", "-1"], "argument --beta: expected a finite number >= 0, got -1"),
        (["train", "vae", "--beta", "nan"], "argument --beta"),
        (["train", "vae", "--batch-size", "0"], "argument --batch-size"),
        (["train", "vae", "--threads", "0"], "argument --threads"),
        (
            ["train-agent", "ppo", "--env", "Daedalus-Backtracker-7x7-v0", "--n-envs", "0"],
            "argument --n-envs",
        ),
        (
            ["train-agent", "ppo", "--env", "Daedalus-Backtracker-7x7-v0", "--eval-episodes", "-5"],
            "argument --eval-episodes: expected an integer >= 0, got -5",
        ),
        (["train-agent", "ppo", "--env", "CartPole-v1"], "--env: unknown id 'CartPole-v1'"),
        (["bench", "--envs", "CartPole-v1"], "unknown ids ['CartPole-v1']"),
        (["bench", "--envs", "Daedalus-Backtracker-7x7-v0", "--record-episodes", "-1"], "--record-episodes"),
        (["bench", "--envs", "Daedalus-Backtracker-7x7-v0", "--episodes", "0"], "argument --episodes"),
        (["bench", "--envs", "Daedalus-Backtracker-7x7-v0", "--env-kwargs", "[1]"], "--env-kwargs"),
        (["bench", "--envs", "Daedalus-Backtracker-7x7-v0", "--agents", "nobody"], "unknown agent 'nobody'"),
        (["play", "CartPole-v1"], "unknown env id 'CartPole-v1'"),
        # seeds every consumer takes: numpy's and SB3's global seeding stop at 2**32 - 1
        (
            ["train", "ae", "--seed", "99999999999999999999999"],
            "argument --seed: expected an integer in [0, 4294967295]",
        ),
        (
            ["train", "vae", "--data-seed", str(2**32)],
            "argument --data-seed: expected an integer in [0, 4294967295]",
        ),
        (
            ["train-agent", "ppo", "--env", "Daedalus-Backtracker-7x7-v0", "--seed", str(2**32)],
            "argument --seed: expected an integer in [0, 4294967295], got 4294967296",
        ),
        # a repeated or empty list
        (
            ["bench", "--envs", "Daedalus-Backtracker-7x7-v0,Daedalus-Backtracker-7x7-v0"],
            "argument --envs: 'Daedalus-Backtracker-7x7-v0' is given twice",
        ),
        (
            ["bench", "--envs", "Daedalus-Backtracker-7x7-v0", "--agents", "oracle, oracle"],
            "argument --agents: 'oracle' is given twice",
        ),
        (["bench", "--envs", " , "], "argument --envs: expected a comma-separated list, got ' , '"),
        (["bench-control", "--out", "x", "--sizes", "4,4"], "argument --sizes: 4 is given twice in '4,4'"),
        (["bench-control", "--out", "x", "--sizes", ""], "argument --sizes: expected a comma-separated list"),
        (
            ["bench-control", "--out", "x", "--generators", "kruskal,kruskal"],
            "argument --generators: 'kruskal' is given twice",
        ),
        (
            ["bench-control", "--out", "x", "--generators", ""],
            "argument --generators: expected a comma-separated",
        ),
        (
            ["curriculum-bench", "--out", "x", "--methods", "plr,plr"],
            "argument --methods: 'plr' is given twice",
        ),
        (
            ["curriculum-bench", "--out", "x", "--seeds", "0,00"],
            "argument --seeds: 0 is given twice in '0,00'",
        ),
        (
            ["train-agent", "ppo", "--env", "Daedalus-Backtracker-7x7-v0", "--eval-envs", "a,a"],
            "argument --eval-envs: 'a' is given twice",
        ),
        # --name is a file name inside --out
        (["train", "ae", "--name", "../../escape"], "argument --name: expected a file name without a folder"),
        (
            ["evaluate", "--generator", "backtracker", "--out", "x", "--name", "a/b"],
            "argument --name: expected a file name without a folder or '..', got 'a/b'",
        ),
        (
            ["bench", "--envs", "Daedalus-Backtracker-7x7-v0", "--record", "g", "--record-episodes", "0"],
            "argument --record-episodes: expected an integer >= 1, got 0",
        ),
    ],
)
def test_bad_input_is_one_line_and_exit_code_2(argv, message, tmp_path, capsys):
    out = tmp_path / "out"
    needs_out = {"generate": "mazes.npz", "train": "run", "train-agent": "agent.zip"}
    if argv[0] in needs_out:
        argv = [*argv, "--out", str(out / needs_out[argv[0]])]
    assert main(argv) == 2
    line = _error_line(capsys)
    assert line.startswith(f"daedalus-gym {argv[0]}: error: ") and message in line
    assert not out.exists()  # nothing written: not an untrained model, not half a file


# ------------------------------------------------------------------ properties
NUMBER_TEXT = st.one_of(
    st.text(max_size=10),
    st.integers(-(10**20), 10**20).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["0", "-0", "1e3", "1_000", "True", "nan", "inf", "-inf", " 7 ", "0x10", ""]),
)


@settings(max_examples=200, deadline=None)
@given(text=NUMBER_TEXT)
def test_range_types_give_a_value_in_range_or_an_argparse_error(text):
    for low, high in [(0, None), (1, None), (2, 10)]:
        try:
            value = int_range(low, high)(text)
        except argparse.ArgumentTypeError as err:
            assert "expected" in str(err)  # says what is accepted
        else:
            assert type(value) is int and value >= low and (high is None or value <= high)
    for low, high, low_open in [(0, None, False), (0, None, True), (0, 1, True)]:
        try:
            value = float_range(low, high, low_open=low_open)(text)
        except argparse.ArgumentTypeError:
            continue
        assert math.isfinite(value) and (value > low if low_open else value >= low)
        assert high is None or value <= high


class Accepted(Exception):
    """Raised where the command would start its work: the arguments got through."""


@settings(max_examples=150, deadline=None)
@given(flag=st.sampled_from(["--size", "--n", "--seed", "--kwargs", "--goal"]), value=NUMBER_TEXT)
def test_generate_arguments_are_accepted_in_range_or_refused_in_one_line(flag, value):
    """Any value of any flag: a one-line error with exit code 2, or a run with a valid value."""
    out = Path(tempfile.gettempdir()) / "daedalus-gym-never-written" / "m.npz"
    stderr = io.StringIO()

    def accept(name, flags, kwargs):
        raise Accepted(flags, kwargs)

    with (
        mock.patch("daedalus_gym.commands.make_generator_from_flags", accept),
        contextlib.redirect_stderr(stderr),
    ):
        try:
            code = main(["generate", f"{flag}={value}", "--out", str(out)])
        except Accepted as accepted:
            flags, kwargs = accepted.args
            assert flags["size"] >= 1 and flags["goal"] in ("corner", "farthest")
            assert isinstance(kwargs, dict)
            return
    assert code == 2
    lines = stderr.getvalue().strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("daedalus-gym generate: error: ")
    assert "Traceback" not in stderr.getvalue()


def test_debug_shows_the_traceback(tmp_path):
    argv = ["generate", "--kwargs", '{"foo": 1}', "--out", str(tmp_path / "m.npz")]
    with pytest.raises(ValueError, match="takes no setting 'foo'"):
        main([*argv, "--debug"])
    with pytest.raises(ValueError, match="takes no setting 'foo'"):
        main(["--debug", *argv])


@pytest.mark.parametrize(
    "argv",
    [
        ["bench", "--envs", "Daedalus-Backtracker-7x7-v0", "--json", "{bad}"],
        ["bench", "--envs", "Daedalus-Backtracker-7x7-v0", "--csv", "{bad}"],
        ["bench", "--envs", "Daedalus-Backtracker-7x7-v0", "--plot", "{bad}"],
        ["bench", "--envs", "Daedalus-Backtracker-7x7-v0", "--markdown", "{bad}"],
        ["bench", "--envs", "Daedalus-Backtracker-7x7-v0", "--record", "{bad}"],
        ["generate", "--out", "{bad}/m.npz"],
        ["demo", "--out", "{bad}"],
        ["evaluate", "--generator", "backtracker", "--out", "{bad}"],
        ["train", "ae", "--out", "{bad}"],
        ["train-agent", "ppo", "--env", "Daedalus-Backtracker-7x7-v0", "--out", "{bad}/a.zip"],
    ],
)
def test_unwritable_outputs_fail_before_any_work(argv, tmp_path, capsys, monkeypatch):
    """An output under a regular file cannot be created: said at once, not after the run."""
    import daedalus_gym.benchmark
    import generators.evaluation
    import generators.training

    def never(*args, **kwargs):
        raise AssertionError("the work started before the outputs were checked")

    for module, name in [
        (daedalus_gym.benchmark, "run_benchmark"),
        (generators.evaluation, "evaluate"),
        (generators.training, "train"),
        (generators, "make_generator"),
    ]:
        monkeypatch.setattr(module, name, never)
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    argv = [arg.replace("{bad}", str(blocker / "sub")) for arg in argv]
    assert main(argv) == 2
    assert str(blocker) in _error_line(capsys)


@pytest.fixture
def no_work(monkeypatch):
    """Every long job of every command fails the test if it starts."""
    import daedalus_gym.agents
    import daedalus_gym.benchmark
    import generators.evaluation
    import generators.training
    from daedalus_gym.commands import bench_control, curriculum_bench

    def never(*args, **kwargs):
        raise AssertionError("the work started before the arguments were checked")

    for module, name in [
        (daedalus_gym.benchmark, "run_benchmark"),
        (daedalus_gym.agents, "train_ppo"),
        (generators.evaluation, "evaluate"),
        (generators.training, "train"),
        (bench_control, "accuracy"),
        (curriculum_bench, "run_all"),
    ]:
        monkeypatch.setattr(module, name, never)


ENV = ["--envs", "Daedalus-Backtracker-7x7-v0", "--agents", "oracle", "--episodes", "1"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["bench", *ENV, "--plot", "{tmp}/p.txt"], "--plot must end in a format matplotlib writes (.avif"),
        (["bench", *ENV, "--plot", "{tmp}/p"], "got 'p'"),
        (["bench", *ENV, "--record-episodes", "3"], "--record-episodes 3 needs --record DIR"),
        (
            ["bench", *ENV, "--ray-address", "auto"],
            "--ray-address auto needs --backend ray, got --backend local",
        ),
        (
            ["curriculum-bench", "--out", "{tmp}/c", "--ray-address", "auto"],
            "--ray-address auto needs --backend ray",
        ),
        (["generate", "--paths", "--out", "{tmp}/m.txt"], "--paths draws on a PNG montage; --out 'm.txt'"),
        (["generate", "--paths", "--out", "{tmp}/m.npz"], "--out 'm.npz' is a .npz file"),
        (
            ["evaluate", "--generator", "backtracker", "--name", "foo"],
            "--name applies to the files written into --out",
        ),
        (
            ["evaluate", "--generator", "backtracker", "--name", "foo", "--no-figures"],
            "--name and --no-figures apply to the files written into --out DIR: give --out",
        ),
        (
            ["train-agent", "ppo", "--env", "Daedalus-Backtracker-7x7-v0", "--out", "{tmp}/m"],
            "--out must end in .zip, got 'm'",
        ),
        (
            ["train", "vae", "--out", "{tmp}/t", "--cache-dir", "{tmp}/a-file"],
            "--cache-dir: {tmp}/a-file exists and is not a directory",
        ),
        (
            ["curriculum-bench", "--out", "{tmp}/c", "--methods", "plr", "--sampler-kwargs", '{"accel": {}}'],
            "--sampler-kwargs sets 'accel', which --methods plr does not run",
        ),
    ],
)
def test_meaningless_combinations_are_refused_before_any_work(argv, message, tmp_path, capsys, no_work):
    """A flag that would be ignored, or a file that would not be the one named, is an error now."""
    (tmp_path / "a-file").write_text("")
    argv = [arg.replace("{tmp}", str(tmp_path)) for arg in argv]
    assert main(argv) == 2
    line = _error_line(capsys)
    assert (
        line.startswith(f"daedalus-gym {argv[0]}: error: ")
        and message.replace("{tmp}", str(tmp_path)) in line
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]  # nothing written


def test_train_refuses_vae_flags_for_the_ae_but_not_their_defaults(tmp_path, capsys, monkeypatch, no_work):
    argv = ["train", "ae", "--out", str(tmp_path / "t"), "--beta", "3", "--free-bits", "2"]
    assert main(argv) == 2
    line = _error_line(capsys)
    assert "--beta 3.0, --free-bits 2.0: the KL term's settings are for the VAE" in line
    for flag, value in [("--anneal", "cyclical"), ("--cycles", "2"), ("--ratio", "0.3"), ("--beta", "1")]:
        assert main(["train", "ae", "--out", str(tmp_path / "t"), flag, value]) == 2
        assert f"{flag} " in _error_line(capsys)

    class Started(Exception):
        pass

    def started(*args, **kwargs):
        raise Started

    # Left at their defaults (and given for the VAE), the same settings start the training.
    monkeypatch.setattr("generators.training.train", started)
    for argv in (["train", "ae"], ["train", "vae", "--beta", "3", "--free-bits", "2"]):
        with pytest.raises(Started):
            main([*argv, "--out", str(tmp_path / "t"), "--cache-dir", str(tmp_path / "cache")])
    train = build_parser()._subparsers._group_actions[0].choices["train"]
    helps = {action.option_strings[0]: action.help for action in train._actions if action.option_strings}
    assert all(
        helps[flag].startswith("VAE: ")
        for flag in ("--anneal", "--beta", "--cycles", "--ratio", "--free-bits")
    )
    assert all(helps[flag].startswith("AE: ") for flag in ("--code-noise", "--code-penalty"))


def test_sampler_settings_are_checked_before_any_training(tmp_path, capsys, no_work):
    base = ["curriculum-bench", "--out", str(tmp_path / "c"), "--methods", "dr-backtracker,plr"]
    assert main([*base, "--sampler-kwargs", '{"plr": {"bogus": 1}}']) == 2
    assert "--sampler-kwargs 'plr': sampler 'plr' has no setting 'bogus'" in _error_line(capsys)
    assert main([*base, "--sampler-kwargs", '{"plr": {"replay_prob": 2}}']) == 2
    assert "--sampler-kwargs 'plr': replay_prob must be" in _error_line(capsys)
    assert not (tmp_path / "c").exists()


def _option_defaults(parser: argparse.ArgumentParser):
    for action in parser._actions:
        if not action.option_strings or action.default in (None, False, argparse.SUPPRESS):
            continue
        if isinstance(action, argparse._HelpAction | argparse._VersionAction):
            continue
        yield action


@pytest.mark.parametrize("command", list(COMMANDS))
def test_every_help_shows_the_defaults(command):
    sub = build_parser()._subparsers._group_actions[0].choices[command]
    text = "".join(sub.format_help().split())  # no whitespace: lines wrap anywhere
    actions = list(_option_defaults(sub))
    for action in actions:
        assert "".join(f"(default: {action.default})".split()) in text, (command, action.dest)
    assert "(default:None)" not in text
    assert command == "play" or actions  # every command but play has defaulted options


# ------------------------------------------------------------------ agent files
@pytest.fixture(scope="module")
def sb3():
    return pytest.importorskip("stable_baselines3")


def _our_zip(sb3, path, env_id="Daedalus-Backtracker-7x7-v0"):
    """A PPO file as train-agent writes it (untrained: the format is what matters here)."""
    from daedalus_gym.agents import save_ppo
    from daedalus_gym.wrappers import LastActionObs

    env_kwargs = {"obs_mode": "egocentric", "view_size": 5}
    env = LastActionObs(gym.make(env_id, **env_kwargs))
    model = sb3.PPO("MlpPolicy", env, n_steps=32, batch_size=32, seed=0, device="cpu")
    return save_ppo(model, path, env_id=env_id, env_kwargs=env_kwargs, train_levels=(0, 10))


def _rewrite(path, out, *, data=None, members=None):
    """A copy of the zip ``path`` with its ``data`` JSON edited and members replaced."""
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "data" and data is not None:
                content = json.dumps(data(json.loads(content))).encode()
            if members and item.filename in members:
                content = members[item.filename]
            target.writestr(item, content)
    return out


def test_env_id_in_an_agent_file_imports_nothing(sb3, tmp_path, capsys):
    """``this:Daedalus-...`` would make gym.make import the module ``this`` (the Zen of Python)."""

    def evil(data):
        data["daedalus_meta"]["env_id"] = "this:Daedalus-Backtracker-7x7-v0"
        return data

    path = _rewrite(_our_zip(sb3, tmp_path / "ours.zip"), tmp_path / "evil.zip", data=evil)
    sys.modules.pop("this", None)
    argv = ["bench", "--agents", f"ppo:{path}", "--envs", "Daedalus-Backtracker-7x7-v0", "--episodes", "1"]
    assert main(argv) == 2
    assert "this" not in sys.modules
    line = _error_line(capsys)
    assert "is not a registered Daedalus id" in line and "Beautiful is better" not in capsys.readouterr().out


def test_a_pickle_in_the_weights_is_refused_in_one_line(sb3, tmp_path, capsys):
    import io

    import torch

    class Payload:
        def __reduce__(self):
            return (print, ("planted code ran",))

    buffer = io.BytesIO()
    torch.save({"weights": Payload()}, buffer)
    ours = _our_zip(sb3, tmp_path / "ours.zip")
    path = _rewrite(ours, tmp_path / "evil.zip", members={"policy.pth": buffer.getvalue()})
    argv = ["bench", "--agents", f"ppo:{path}", "--envs", "Daedalus-Backtracker-7x7-v0", "--episodes", "1"]
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert "planted code ran" not in captured.out + captured.err
    assert "Traceback" not in captured.err and len(captured.err.strip().splitlines()) == 1
    assert "refused" in captured.err and str(path) in captured.err


@pytest.mark.parametrize("algo", ["ppo", "a2c", "dqn"])
def test_any_sb3_zip_plays_with_trust_pickle_only(sb3, algo, tmp_path, capsys):
    from daedalus_gym.agents import make_agent

    env = gym.make("Daedalus-Backtracker-7x7-v0", obs_mode="egocentric")
    cls = getattr(sb3, algo.upper())
    options = {"learning_starts": 0} if algo == "dqn" else {}
    cls("MlpPolicy", env, seed=0, device="cpu", **options).save(tmp_path / "foreign.zip")
    path = tmp_path / "foreign.zip"
    with pytest.raises(ValueError, match="--trust-pickle"):
        make_agent(f"{algo}:{path}")
    common = [
        "bench",
        "--agents",
        f"{algo}:{path}",
        "--envs",
        "Daedalus-Backtracker-7x7-v0",
        "--episodes",
        "2",
    ]
    assert main(common) == 2
    assert "--trust-pickle" in _error_line(capsys)
    # Trusted, but the env must give the observation it was trained on: a clear error otherwise.
    assert main([*common, "--trust-pickle"]) == 2
    assert "obs_mode" in _error_line(capsys)
    json_path = tmp_path / "r.json"
    argv = [*common, "--trust-pickle", "--env-kwargs", '{"obs_mode": "egocentric"}', "--json", str(json_path)]
    assert main(argv) == 0
    (record,) = json.loads(json_path.read_text())
    assert record["agent"] == f"{algo}:{path}" and record["episodes"] == 2


@pytest.mark.parametrize("algo", ["a2c", "dqn", "dqn-sample"])
def test_an_agent_file_of_another_algorithm_is_refused(sb3, algo, tmp_path, capsys):
    """``a2c:FILE`` of a PPO file would play PPO under the name A2C."""
    path = _our_zip(sb3, tmp_path / "ours.zip")
    argv = ["bench", "--agents", f"{algo}:{path}", "--envs", "Daedalus-Backtracker-7x7-v0", "--episodes", "1"]
    assert main(argv) == 2
    name = algo.removesuffix("-sample").upper()
    assert f"{path} holds an SB3 PPO model, not {name}: name it ppo:{path}" in _error_line(capsys)
    env = gym.make("Daedalus-Backtracker-7x7-v0", obs_mode="egocentric")
    sb3.A2C("MlpPolicy", env, seed=0, device="cpu").save(tmp_path / "a2c.zip")
    argv = ["bench", "--agents", f"ppo:{tmp_path / 'a2c.zip'}", "--envs", "Daedalus-Backtracker-7x7-v0"]
    assert main([*argv, "--trust-pickle"]) == 2
    assert "holds an SB3 A2C model, not PPO: name it a2c:" in _error_line(capsys)


def test_save_ppo_returns_the_file_it_writes(sb3, tmp_path):
    """SB3 adds .zip to a name without a suffix: the path returned is the file on disk."""
    path = _our_zip(sb3, tmp_path / "bare")
    assert path == tmp_path / "bare.zip" and path.is_file() and not (tmp_path / "bare").exists()


def test_bench_env_kwargs_reach_the_env(tmp_path):
    """--env-kwargs go to gym.make: a generator setting changes the mazes served."""
    base = ["bench", "--agents", "oracle", "--envs", "Daedalus-Backtracker-7x7-v0", "--episodes", "3"]
    plain, farthest = tmp_path / "plain.json", tmp_path / "farthest.json"
    assert main([*base, "--json", str(plain)]) == 0
    kwargs = '{"generator_kwargs": {"size": 7, "goal": "farthest"}}'
    assert main([*base, "--env-kwargs", kwargs, "--json", str(farthest)]) == 0
    (a,), (b,) = json.loads(plain.read_text()), json.loads(farthest.read_text())
    assert a["success_rate"] == b["success_rate"] == 1.0
    assert b["mean_length"] != a["mean_length"]  # other goals, other paths


def test_a_missing_optional_dependency_is_one_line_with_its_install_hint(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` now raises ImportError
    argv = ["bench", "--envs", "Daedalus-Backtracker-7x7-v0", "--episodes", "1", "--backend", "ray"]
    assert main(argv) == 2
    assert 'pip install "daedalus-gym[ray]"' in _error_line(capsys)


def test_out_of_memory_is_one_line(tmp_path, capsys, monkeypatch):
    def exhausted(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr("daedalus_gym.commands.make_generator_from_flags", exhausted)
    assert main(["generate", "--n", "1000000000", "--out", str(tmp_path / "m.npz")]) == 2
    assert "out of memory" in _error_line(capsys)
