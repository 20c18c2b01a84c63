"""`daedalus-gym curriculum-bench`: the smoke run, its statistics, and its errors."""

from __future__ import annotations

import itertools
import json
import math

import pytest

from daedalus_gym.cli import main
from daedalus_gym.commands import curriculum_bench as cb

TINY = {
    "ppo": {
        "size": 14,
        "num_envs": 4,
        "rollout_steps": 32,
        "max_episode_steps": 32,
        "total_steps": 256,
        "eval_every": 4,
    },
    "sampler_kwargs": {},
    "curve_levels": 2,
    "suite_levels": 1,
}


@pytest.mark.slow  # trains two agents and plays the suite
def test_quick_run_writes_tables_json_and_plots(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    assert main(["curriculum-bench", "--quick", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "| method | seeds | success | SPL | CVaR 10% |" in out and "| plr | 1 |" in out
    report = json.loads((tmp_path / "curricula.json").read_text())
    assert [r["method"] for r in report["runs"]] == ["dr-backtracker", "plr"]
    for run in report["runs"]:
        assert run["env_steps"] >= 4096 and run["curve"] and "heldout_success" in run["curve"][-1]
        groups = run["suite"]["groups"]
        assert len(groups) == 8 and all(g["levels"] == 4 for name, g in groups.items() if name != "named")
        assert 0.0 <= run["suite"]["all"]["success"] <= 1.0
    for name in ("curricula.md", "curricula_curves.png", "curricula_suite.png"):
        assert (tmp_path / name).stat().st_size > 0


@pytest.mark.slow  # trains twice
def test_same_seed_same_run():
    config = TINY
    a, b = (cb.run_one("accel", 7, config) for _ in range(2))
    for run in (a, b):
        for key in ("train_seconds", "sampler_seconds", "eval_seconds"):
            run.pop(key)
        for point in run["curve"]:
            point.pop("seconds")
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def test_t_interval_matches_the_closed_form():
    mean, lo, hi = cb.t_interval([0.2, 0.4, 0.6])
    half = 4.303 * 0.2 / math.sqrt(3)  # t(0.975, 2) * sd / sqrt(n)
    assert mean == pytest.approx(0.4) and lo == pytest.approx(0.4 - half) and hi == pytest.approx(0.4 + half)
    assert math.isnan(cb.t_interval([0.5])[1])


@pytest.mark.parametrize(
    ("df", "quantile"),
    # Student's t, 97.5th percentile, from the standard tables.
    [
        (1, 12.706),
        (2, 4.303),
        (10, 2.228),
        (11, 2.201),
        (12, 2.179),
        (15, 2.131),
        (20, 2.086),
        (30, 2.042),
        (40, 2.021),
        (60, 2.000),
        (120, 1.980),
    ],
)
def test_t_quantile_matches_the_tables(df, quantile):
    assert cb.t_quantile_975(df) == pytest.approx(quantile, abs=6e-4)


def test_t_intervals_narrow_towards_the_normal_with_more_seeds():
    factors = [cb.t_quantile_975(df) for df in range(1, 500)]
    assert all(a > b for a, b in itertools.pairwise(factors))
    assert factors[-1] == pytest.approx(1.96, abs=0.005)


def test_comparisons_say_what_the_intervals_say():
    rows = [
        {"method": "dr-backtracker", "success": (0.30, 0.25, 0.35)},
        {"method": "plr", "success": (0.50, 0.40, 0.60)},
        {"method": "sfl", "success": (0.32, 0.20, 0.44)},
        {"method": "accel", "success": (0.10, 0.05, 0.15)},
        {"method": "latent", "success": (0.45, 0.35, 0.55)},
    ]
    lines = cb.comparisons(rows)
    assert lines[0].startswith("- plr beats dr-backtracker")
    assert lines[1].startswith("- sfl overlaps dr-backtracker")
    assert lines[2].startswith("- accel falls below dr-backtracker")
    assert lines[-1].startswith("- latent matches or beats plr")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--methods", "plr,bogus"], "--methods: unknown ['bogus']"),
        (["--sampler-kwargs", '{"plr": 3}'], "--sampler-kwargs: keys must be methods"),
        (["--sampler-kwargs", '{"nope": {}}'], "--sampler-kwargs: keys must be methods"),
        (["--sampler-kwargs", "[1]"], "--sampler-kwargs must be a JSON object"),
    ],
)
def test_bad_input_is_one_clear_line(tmp_path, capsys, argv, message):
    assert main(["curriculum-bench", "--out", str(tmp_path), *argv]) != 0
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


@pytest.mark.slow  # starts a local Ray cluster
def test_ray_backend_gives_the_local_results():
    pytest.importorskip("ray")
    config = TINY
    tasks = [("dr-backtracker", 0), ("plr", 1)]
    local = cb.run_all(tasks, config, "local", 1, None)
    remote = cb.run_all(tasks, config, "ray", 2, None)
    for a, b in zip(local, remote, strict=True):
        # JSON text compares NaN (an interval over one level) as equal to itself.
        assert json.dumps(a["suite"], sort_keys=True) == json.dumps(b["suite"], sort_keys=True)
        assert [p["train_success"] for p in a["curve"]] == pytest.approx(
            [p["train_success"] for p in b["curve"]], nan_ok=True
        )
