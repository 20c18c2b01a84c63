"""The speed suite (``python -m benchmarks.speed``) runs end to end (tiny settings), and its
table, JSON and plots come out right.

No timing is asserted: only that every section ran and the outputs are well formed. Slow (the
suite compiles and warms every generator): ``pytest -m slow``.
"""

from __future__ import annotations

import json

import pytest

from benchmarks.speed import peers, report
from benchmarks.speed.__main__ import main
from benchmarks.speed.suite import exponent, run_suite, settings

pytestmark = pytest.mark.slow

TINY = {
    "single_steps": 300,
    "single_resets": 3,
    "peer_steps": 100,
    "repeats": 1,
    "num_envs": (1, 3),
    "episodes": 0.05,
    "sync_envs": 2,
    "memory_envs": 4,
    "batch": 32,
    "peer_seconds": 0.02,
    "sizes": (3, 5),
    "scaling_seconds": 0.05,
}


# Every observation mode, the default image first.
MODES = ("image", "grid", "egocentric", "rgb")


@pytest.fixture(scope="module")
def tiny_results():
    return run_suite(quick=True, overrides=TINY)


def test_every_section_is_reported(tiny_results):
    r = tiny_results
    assert set(r) == {
        "machine",
        "settings",
        "single_env",
        "vector",
        "generation",
        "vae",
        "memory",
        "scaling",
    }
    assert set(r["single_env"]["steps_per_s"]) == set(MODES)
    assert r["single_env"]["reset_ms"] > 0
    assert {(row["obs_mode"], row["num_envs"]) for row in r["vector"]["rows"] if row["copy"]} == {
        (mode, n) for mode in MODES for n in (1, 3)
    }
    assert {(row["obs_mode"], row["num_envs"]) for row in r["vector"]["rows"] if not row["copy"]} == {
        (mode, 3) for mode in MODES
    }
    names = {g["name"] for g in r["generation"]}
    assert {"backtracker", "kruskal", "prim", "wilson"} <= names
    assert all(g.get("walls_per_s", 1) > 0 for g in r["generation"])
    assert r["scaling"]["cells"] == [9, 25] and set(r["scaling"]["exponents"]) >= {"backtracker", "bfs check"}
    # The single env, then the vector env in each mode.
    assert len(r["memory"]) == 1 + len(MODES) and all(m["bytes_per_env"] > 0 for m in r["memory"])


def test_table_json_and_plots(tiny_results, tmp_path):
    paths = report.write(tiny_results, tmp_path / "out")
    assert {p.name for p in paths.values()} == {"speed.md", "speed.json", "scaling.png", "vector.png"}
    text = paths["markdown"].read_text()
    lines = text.splitlines()
    assert lines[0].startswith("| Measure | Daedalus-Gym | Peer |")
    width = lines[0].count("|")
    assert all(line.count("|") == width for line in lines if line.startswith("|"))
    assert "Machine:" in text and "Single env steps/s" in text and "Vector env steps/s, grid, 3 envs" in text
    # The table reports figures, not planning: no targets, issue numbers or verdicts.
    assert not any(word in text.lower() for word in ("target", "issue", "(#", "met"))
    assert json.loads(paths["json"].read_text())["settings"]["num_envs"] == [1, 3]
    for key in ("scaling", "vector"):
        assert paths[key].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_missing_peers_are_reported_not_fatal(monkeypatch):
    def missing(*args, **kwargs):
        raise peers.PeerMissing(f"not installed: {peers.INSTALL_HINT}")

    monkeypatch.setattr(peers, "minigrid_env", missing)
    monkeypatch.setattr(peers, "mazelib_maze", missing)
    results = run_suite(quick=True, overrides={**TINY, "num_envs": (2,), "sizes": (3, 4)})
    assert peers.INSTALL_HINT in results["single_env"]["peer_error"]
    table = report.table(results)
    assert peers.INSTALL_HINT in table
    assert "MiniGrid-Empty-16x16)" not in table  # no peer figure, no ratio


def test_peers_measure_what_we_compare_with():
    pytest.importorskip("mazelib")
    maze = peers.mazelib_maze("backtracker", 5)
    maze.generate()
    assert maze.grid.shape == (11, 11)
    pytest.importorskip("minigrid")
    env = peers.minigrid_env()
    env.reset(seed=0)
    env.close()


def test_settings_and_helpers():
    assert settings(quick=False)["num_envs"] == (1, 4, 16, 64, 256, 1024, 4096)
    assert settings(quick=False)["sizes"][0] == 7 and settings(quick=False)["sizes"][-1] == 128
    assert exponent([1, 10, 100], [2.0, 20.0, 200.0]) == pytest.approx(1.0)
    assert exponent([1, 10, 100], [1.0, 100.0, 10000.0]) == pytest.approx(2.0)
    with pytest.raises(ValueError, match="unknown benchmark settings"):
        run_suite(quick=True, overrides={"steps": 3})


def test_command_help(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "--quick" in out and "(default: bench-speed)" in out


def test_unwritable_out_fails_before_measuring(tmp_path, capsys, monkeypatch):
    import benchmarks.speed.suite as suite

    def never(*args, **kwargs):
        raise AssertionError("the suite ran before --out was checked")

    monkeypatch.setattr(suite, "run_suite", never)
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    assert main(["--out", str(blocker / "speed")]) == 2
    assert "--out" in capsys.readouterr().err
