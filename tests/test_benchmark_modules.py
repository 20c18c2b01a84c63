"""Every benchmark module in ``benchmarks/`` is a command: ``--help`` prints its usage and exits
0, and an argument it does not take is refused (exit 2) rather than ignored."""

from __future__ import annotations

import importlib

import pytest

MODULES = [
    "before_after",
    "classical_speed",
    "control_fidelity",
    "curriculum_overhead",
    "farthest_goal",
    "learned_ablation",
    "learned_posterior",
    "learned_speed",
    "path_head",
    "path_head_resampling",
    "rejection_bound",
    "sampling_fit",
    "sb3_image",
    "soak",
    "walk_features",
]


@pytest.mark.parametrize("name", MODULES)
def test_benchmark_answers_help_and_refuses_unknown_arguments(name, capsys):
    try:
        module = importlib.import_module(f"benchmarks.{name}")
    except ImportError as err:  # an optional extra the module needs is not installed
        pytest.skip(f"benchmarks.{name} needs {err.name}")
    with pytest.raises(SystemExit) as help_exit:
        module.main(["--help"])
    assert help_exit.value.code == 0
    assert "usage:" in capsys.readouterr().out
    with pytest.raises(SystemExit) as bad_exit:
        module.main(["--no-such-option"])
    assert bad_exit.value.code == 2
    err = capsys.readouterr().err  # refused: the unknown option, or a required one missing
    assert (
        "error: unrecognized arguments: --no-such-option" in err
        or "error: the following arguments are required" in err
    )


def test_learned_speed_measures_a_model_file(tmp_path, capsys):
    """``--model`` measures that file at its own size, in both precisions, and nothing else;
    ``--kwargs`` reaches its generator."""
    torch = pytest.importorskip("torch")
    from benchmarks.learned_speed import main
    from generators.models import MazeAutoencoder, ModelConfig, init_parameters, save_model

    cfg = ModelConfig(
        kind="vae",
        arch="spatial",
        size=(3, 3),
        latent_dim=18,
        hidden=8,
        depth=1,
        channels=4,
        decoder="dfs",
        ar_hidden=4,
    )
    model = MazeAutoencoder(cfg)
    init_parameters(model, torch.Generator().manual_seed(0))
    path = tmp_path / "tiny.safetensors"
    save_model(model.eval(), path)
    args = ["--model", str(path), "--kwargs", '{"sampling": "normal"}', "--batch", "256", "--repeats", "2"]
    assert main(args) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in out] == [
        "tiny.safetensors (vae 3x3) float32",
        "tiny.safetensors (vae 3x3) float64",
        "tiny.safetensors (vae 3x3)",
    ]
    with pytest.raises(SystemExit):
        main(["--model", str(path), "--kwargs", '{"sampling": "grid"'])
    with pytest.raises(SystemExit):
        main(["--model", str(path), "--batch", "0"])


def test_control_fidelity_compares_served_mazes_with_the_generators_own(tmp_path, capsys):
    import json

    from benchmarks import control_fidelity

    out = tmp_path / "rows.json"
    args = ["--generators", "kruskal", "--size", "6", "--quantiles", "0.9", "--n", "200", "--out", str(out)]
    assert control_fidelity.main(args) == 0
    (row,) = json.loads(out.read_text())
    assert row["generator"] == "kruskal" and row["quantile"] == 0.9 and row["drawn_per_kept"] >= 1
    for side in ("served", "sanity"):
        assert 0.0 <= row[side]["c2st_best"] <= 1.0 and 0.0 <= row[side]["ks_other_diagonal"] <= 1.0
        assert set(row[side]["c2st"]) == {"mlp_motifs", "cnn_walls"}
    assert "kruskal" in capsys.readouterr().out
    for bad, said in (
        (["--n", "10"], "--n must be at least 100"),
        (["--quantiles", "2"], "--quantiles must be in"),
    ):
        with pytest.raises(SystemExit) as exit_:
            control_fidelity.main(bad)
        assert exit_.value.code == 2 and said in capsys.readouterr().err


def test_rejection_bound_measures_the_models_walks_and_the_search(tmp_path, capsys):
    """Per inside target: the share of the model's walks that land, the walks a second, their
    product as the bound, the search's own speed and where its time went; a generator without
    walks is refused."""
    import json

    import generators.dfs_decoder as dfs
    from benchmarks import rejection_bound
    from generators.learned import LearnedGenerator

    kernel, batches = dfs.drawn_walks, LearnedGenerator.drawn_walks

    out = tmp_path / "rows.json"
    args = ["--generators", "vae", "--sizes", "7", "--n", "400", "--codes", "4", "--mazes", "4"]
    assert rejection_bound.main([*args, "--out", str(out)]) == 0
    rows = json.loads(out.read_text())
    targets = [row["target"] for row in rows]
    assert len(rows) == 10 and targets == sorted(targets) and targets[0] < targets[-1]
    for row in rows:
        assert 0.0 <= row["hits"] <= 1.0 and row["walks_per_s"] > 0 and row["search_mazes_per_s"] > 0
        assert row["bound_mazes_per_s"] == row["walks_per_s"] * row["hits"]
        shares = row["search_time_shares"]
        assert set(shares) == {"walks", "codes", "rest"} and all(0.0 < v < 1.0 for v in shares.values())
        assert sum(shares.values()) == pytest.approx(1.0)
    assert sum(row["hits"] > 0 for row in rows) >= 8  # inside targets: the model's walks do land
    # The clocks come off once the search is timed.
    assert dfs.drawn_walks is kernel and LearnedGenerator.drawn_walks is batches
    assert "vae" in capsys.readouterr().out
    for bad, said in (
        (["--generators", "kruskal", "--sizes", "7"], "does not draw depth-first walks"),
        (["--n", "10"], "--n must be at least 100"),
        (["--sizes", "x"], "--sizes must be comma-separated integers"),
    ):
        with pytest.raises(SystemExit) as exit_:
            rejection_bound.main(bad)
        assert exit_.value.code == 2 and said in capsys.readouterr().err


def test_rejection_bound_takes_its_clocks_off_after_an_error():
    import generators.dfs_decoder as dfs
    from benchmarks.rejection_bound import phase_clock
    from generators.learned import LearnedGenerator

    kernel, batches = dfs.drawn_walks, LearnedGenerator.drawn_walks
    with pytest.raises(RuntimeError, match="inside"), phase_clock() as spent:
        assert dfs.drawn_walks is not kernel and LearnedGenerator.drawn_walks is not batches
        raise RuntimeError("inside")
    assert dfs.drawn_walks is kernel and LearnedGenerator.drawn_walks is batches
    assert spent == {"batches": 0.0, "walks": 0.0}


@pytest.mark.parametrize("name", ["control_fidelity", "path_head", "path_head_resampling", "rejection_bound"])
def test_control_benchmarks_refuse_an_unknown_generator(name, capsys):
    module = importlib.import_module(f"benchmarks.{name}")
    with pytest.raises(SystemExit) as exit_:
        module.main(["--generators", "nope"])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and "--generators 'nope'" in err and "unknown generator 'nope'" in err


def test_classical_speed_measures_each_generator_and_size(tmp_path, capsys):
    """One row per generator and size, each rate positive; the JSON holds the same rows; bad
    arguments are refused with the value and what was expected."""
    import json

    from benchmarks.classical_speed import main

    out = tmp_path / "rows.json"
    args = ["--generators", "wilson,kruskal", "--sizes", "3,4", "--batch", "8", "--repeats", "1"]
    assert main([*args, "--seconds", "0.01", "--out", str(out)]) == 0
    table = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| ")]
    assert [line.split(" | ")[:2] for line in table[1:]] == [
        ["| wilson", "3x3"],
        ["| kruskal", "3x3"],
        ["| wilson", "4x4"],
        ["| kruskal", "4x4"],
    ]
    rows = json.loads(out.read_text())
    rows_named = [(r["generator"], r["size"]) for r in rows]
    assert rows_named == [("wilson", 3), ("kruskal", 3), ("wilson", 4), ("kruskal", 4)]
    assert all(r["walls_per_s"] > 0 and r["generate_per_s"] > 0 and r["reset_ms"] > 0 for r in rows)
    for bad, message in (
        (["--generators", "eller"], "must name some of backtracker, kruskal, prim, wilson, got 'eller'"),
        (["--sizes", "1"], "--sizes must be integers in [2, 256], got '1'"),
        (["--sizes", "x"], "--sizes must be integers in [2, 256], got 'x'"),
        (["--batch", "0"], "--batch must be >= 1, got 0"),
        (["--seconds", "0"], "--seconds must be > 0, got 0.0"),
        (["--tree", str(tmp_path)], f"--tree {str(tmp_path)!r} holds no generators package"),
    ):
        assert main(bad) == 2
        assert message in capsys.readouterr().err
