"""The peers benchmark (``python -m benchmarks.peers``) runs end to end on tiny settings, reports a
missing peer instead of failing, and writes its tables, JSON and plot.

No timing is asserted. Slow (it compiles and warms the vector env, and trains PPO briefly):
``pytest -m slow``.
"""

from __future__ import annotations

import json

import pytest

from benchmarks.peers import ppo, report, suites
from benchmarks.peers.__main__ import main

pytestmark = pytest.mark.slow


def _missing(num_envs: int, seconds: float) -> dict:
    raise suites.SuiteMissing("not here: pip install it")


def test_command_writes_tables_json_and_plot(tmp_path, capsys, monkeypatch):
    pytest.importorskip("matplotlib")
    import torch

    threads = torch.get_num_threads()  # the command sets one thread; the tests after keep theirs
    monkeypatch.setenv("XLA_FLAGS", "")
    monkeypatch.setenv("JAX_PLATFORMS", "cpu")
    monkeypatch.setitem(suites.SUITES, "navix", ("NAVIX", _missing, None))
    out = tmp_path / "peers"
    argv = ["--out", str(out), "--num-envs", "1", "3", "--seconds", "0.03"]
    try:
        assert main([*argv, "--suites", "ours_grid", "ours_single", "navix", "--ppo"]) == 0
    finally:
        torch.set_num_threads(threads)
    printed = capsys.readouterr().out
    results = json.loads((out / "peers.json").read_text())
    assert results["num_envs"] == [1, 3]
    assert set(results["suites"]["ours_grid"]["runs"]) == {"1", "3"}
    assert set(results["suites"]["ours_single"]["runs"]) == {"1"}  # the single env runs one env
    assert results["suites"]["navix"]["skipped"] == "not here: pip install it"
    assert "| 3 | vector, grid | -" in printed  # a skipped peer leaves its ratio empty
    assert "- NAVIX: not here: pip install it" in printed
    assert (out / "peers.md").read_text() == printed[: printed.index("\nwrote ")]
    assert (out / "peers.png").stat().st_size > 0


def test_ratio_and_compile_tables():
    results = {
        "num_envs": [1, 64],
        "suites": {
            "ours_grid": {"runs": {"1": {"steps_per_s": 50.0}, "64": {"steps_per_s": 400.0}}},
            "ours_single": {"runs": {"1": {"steps_per_s": 300.0}}},
            "navix": {
                "runs": {
                    "1": {"steps_per_s": 100.0, "compile_s": 1.5, "scan_steps": 512},
                    "64": {"steps_per_s": 200.0, "compile_s": 2.0, "scan_steps": 512},
                }
            },
        },
    }
    ratios = report.ratio_table(results)
    assert "| 1 | vector, grid | 0.50x |" in ratios
    assert "| 1 | single env (gym.make) | 3.0x |" in ratios
    assert "| 64 | vector, grid | 2.0x |" in ratios
    assert "| 64 | 2.0 (512) |" in report.compile_table(results)


def test_scan_and_chunk_sizes():
    assert [suites.scan_steps(n) for n in (1, 1024, 4096, 2**20)] == [512, 256, 64, 16]
    assert [suites.chunk_steps(n) for n in (1, 1024, 2**20)] == [256, 64, 4]
    assert set(ppo.RUNS) == {"sb3_ours", "sb3_minigrid", "cleanrl_ours", "cleanrl_ours_256"}
