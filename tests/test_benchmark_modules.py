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
    "path_head_codes",
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
        (["--n", "10"], "argument --n: expected an integer >= 100, got 10"),
        (["--quantiles", "2"], "argument --quantiles: expected a finite number in [0.0, 1.0], got 2"),
    ):
        with pytest.raises(SystemExit) as exit_:
            control_fidelity.main(bad)
        assert exit_.value.code == 2 and said in capsys.readouterr().err


def test_control_fidelity_counts_the_mazes_drawn_up_to_the_last_one_kept():
    """The reference's cost (``drawn_per_kept``) counts the mazes rejection sampling needed: up
    to and including the n-th kept one, not the rest of the batch of 4,096 it came in."""
    import numpy as np

    from benchmarks.control_fidelity import conditional
    from generators import make_generator
    from generators.control import calibrate, measure

    base = make_generator("kruskal", size=4)
    target, tol = calibrate(base).quantile("path_length", 0.5), 0.1
    # Successive batches from one rng are the mazes of one large batch (the generator contract).
    walls = base.generate_walls(3 * 4096, np.random.default_rng(7))
    hits = np.flatnonzero(np.abs(measure(base, walls)["path_length"] - target) <= tol * target)
    in_first = int((hits < 4096).sum())
    for n in (5, in_first, in_first + 3):  # the n-th kept in the first batch, at its end, in the second
        kept, drawn = conditional(base, target, tol, n, np.random.default_rng(7))
        assert drawn == hits[n - 1] + 1
        assert np.array_equal(kept, walls[hits[:n]])


def test_rejection_bound_measures_the_models_walks_and_the_search(tmp_path, capsys):
    """Per inside target: the share of the model's walks that land, the walks a second, their
    product as the bound, the search's own speed and where its time went, and the walks a second
    with the decisions given and the ceiling they set; a generator without walks is refused."""
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
        assert (
            row["given_walks_per_s"] > 0
            and row["ceiling_mazes_per_s"] == row["given_walks_per_s"] * row["hits"]
        )
        shares = row["search_time_shares"]
        assert set(shares) == {"walks", "codes", "rest"} and all(0.0 < v < 1.0 for v in shares.values())
        assert sum(shares.values()) == pytest.approx(1.0)
    assert sum(row["hits"] > 0 for row in rows) >= 8  # inside targets: the model's walks do land
    # The clocks come off once the search is timed.
    assert dfs.drawn_walks is kernel and LearnedGenerator.drawn_walks is batches
    assert "vae" in capsys.readouterr().out
    for bad, said in (
        (["--generators", "kruskal", "--sizes", "7"], "does not draw depth-first walks"),
        (["--n", "10"], "argument --n: expected an integer >= 100, got 10"),
        (["--sizes", "x"], "argument --sizes: expected an integer, got 'x'"),
    ):
        with pytest.raises(SystemExit) as exit_:
            rejection_bound.main(bad)
        assert exit_.value.code == 2 and said in capsys.readouterr().err


@pytest.mark.parametrize("target", [88.0, 105.8, 159.1, 176.9, 230.2, 288.0, 851.4])
def test_rejection_bound_stops_each_walk_where_it_leaves_the_tolerance(target):
    """The window holds exactly the goal depths of a walk that lands (``|2 d - target| <= tol *
    target``): a walk reaching the goal one depth outside them is a miss, and stops there."""
    import numpy as np

    from benchmarks.rejection_bound import tolerance_window

    tol = max(0.04, 2.0 / target) * (1 + 1e-9)  # as the search's `_tolerance` sets it
    depths = np.arange(1000)
    lands = depths[np.abs(2 * depths - target) <= tol * target]
    window = tolerance_window(3, target, tol)
    assert window.shape == (3, 2) and window.dtype == np.int64
    assert (window == [lands.min(), lands.max()]).all()


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


@pytest.mark.parametrize(
    "name", ["control_fidelity", "path_head", "path_head_codes", "path_head_resampling", "rejection_bound"]
)
def test_control_benchmarks_refuse_an_unknown_generator(name, capsys):
    module = importlib.import_module(f"benchmarks.{name}")
    with pytest.raises(SystemExit) as exit_:
        module.main(["--generators", "nope"])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and "--generators 'nope'" in err and "unknown generator 'nope'" in err


# Slow: it times every classical generator (4 s).
@pytest.mark.slow
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
        (["--generators", "eller"], "expected one of backtracker, kruskal, prim, wilson, got 'eller'"),
        (["--generators", "wilson,wilson"], "'wilson' is given twice in 'wilson,wilson'"),
        (["--sizes", "1"], "argument --sizes: expected an integer in [2, 256], got 1"),
        (["--sizes", "x"], "argument --sizes: expected an integer, got 'x'"),
        (["--sizes", "3,3"], "argument --sizes: 3 is given twice in '3,3'"),
        (["--batch", "0"], "argument --batch: expected an integer >= 1, got 0"),
        (["--seconds", "0"], "argument --seconds: expected a finite number > 0.0, got 0"),
        (["--seconds", "inf"], "argument --seconds: expected a finite number > 0.0, got inf"),
        (["--tree", str(tmp_path)], f"--tree {str(tmp_path)!r} holds no generators package"),
        (["--out", str(tmp_path)], f"--out: {tmp_path} is a directory, expected a file"),
    ):
        with pytest.raises(SystemExit) as exit_:
            main(bad)
        assert exit_.value.code == 2 and message in capsys.readouterr().err


def test_classical_speed_leaves_the_generators_unimported_until_tree_is_on_the_path():
    """``--tree`` must import another checkout's generators: parsing the command line may not
    import this checkout's ``generators`` or ``daedalus_gym`` first."""
    import subprocess
    import sys

    code = (
        "import sys; import benchmarks.classical_speed as c; "
        "print('generators' in sys.modules, 'daedalus_gym' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "False"]


# Bad command lines each module refuses (exit 2) before any work, naming the flag and the value.
REFUSED = [
    ("control_fidelity", ["--quantiles", "0.5,0.5"], "argument --quantiles: 0.5 is given twice"),
    ("control_fidelity", ["--quantiles", "nan"], "argument --quantiles: expected a finite number"),
    ("control_fidelity", ["--seed", "-1"], "argument --seed: expected an integer in [0, 4294967295], got -1"),
    ("control_fidelity", ["--size", "0"], "argument --size: expected an integer >= 2, got 0"),
    ("control_fidelity", ["--generators", ","], "argument --generators: expected a comma-separated list"),
    ("control_fidelity", ["--generators", "kruskal,nope"], "--generators 'nope' at size 14"),
    ("control_fidelity", ["--out", "{tmp}"], "--out: {tmp} is a directory, expected a file"),
    ("path_head", ["--sizes", "14,14"], "argument --sizes: 14 is given twice"),
    ("path_head", ["--out", "{file}/rows.json"], "--out: cannot create {file}/rows.json"),
    ("path_head_codes", ["--tries", "0"], "argument --tries: expected an integer >= 1, got 0"),
    ("path_head_codes", ["--generators", "kruskal", "--size", "7"], "kruskal at 7x7 has no path head"),
    ("path_head_resampling", ["--k", "0"], "argument --k: expected an integer >= 1, got 0"),
    ("path_head_resampling", ["--k", "4,4"], "argument --k: 4 is given twice"),
    ("path_head_resampling", ["--n", "x"], "argument --n: expected an integer, got 'x'"),
    ("rejection_bound", ["--generators", "vae,vae"], "argument --generators: 'vae' is given twice"),
    ("rejection_bound", ["--codes", "0"], "argument --codes: expected an integer >= 1, got 0"),
    ("rejection_bound", ["--out", "{tmp}"], "--out: {tmp} is a directory, expected a file"),
    ("soak", ["--ids", ","], "argument --ids: expected a comma-separated list, got ','"),
    ("soak", ["--ids", "Daedalus-Prim-v0,Daedalus-Prim-v0"], "'Daedalus-Prim-v0' is given twice"),
    ("soak", ["--ids", "Nope-v0"], "--ids: unknown env id 'Nope-v0'"),
    ("soak", ["--num-envs", "0"], "argument --num-envs: expected an integer >= 1, got 0"),
    ("soak", ["--single-steps", "-1"], "argument --single-steps: expected an integer >= 0, got -1"),
    ("soak", ["--single-steps", "0", "--vector-steps", "0"], "both 0: nothing to measure"),
    (
        "soak",
        ["--vector-steps", "0", "--num-envs", "8"],
        "--num-envs 8 needs --vector-steps above 0, got --vector-steps 0",
    ),
    ("soak", ["--seed", "-1"], "argument --seed: expected an integer in [0, 4294967295], got -1"),
    ("soak", ["--json", "{file}/rows.json"], "--json: cannot create {file}/rows.json"),
    ("walk_features", ["--test", "0"], "argument --test: expected an integer >= 1, got 0"),
    ("walk_features", ["--generators", "prim,prim"], "argument --generators: 'prim' is given twice"),
    ("walk_features", ["--generators", "prim,nope"], "--generators 'nope' at size 14"),
    ("learned_speed", ["--kwargs", "[]"], "argument --kwargs: expected a JSON object, got '[]'"),
    ("learned_speed", ["--kwargs", '{"nope": 1}'], "generator 'vae' takes no setting 'nope'"),
    ("learned_speed", ["--model", "{file}"], "--model {file}: {file} is not a readable safetensors"),
    ("learned_posterior", ["--generator", "prim", "--model", "m", "--n", "5"], "argument --n: expected"),
    ("learned_posterior", ["--generator", "prim", "--model", "{file}"], "--model {file}: {file} is not"),
    ("learned_ablation", ["--c2st-n", "0"], "argument --c2st-n: expected an integer >= 100, got 0"),
    ("learned_ablation", ["--json", "{file}/rows.json"], "--json: cannot create {file}/rows.json"),
    (
        "sampling_fit",
        ["--model", "m", "--threads", "0"],
        "argument --threads: expected an integer >= 1, got 0",
    ),
    ("sb3_image", ["--env", "Nope-v0"], "--env: unknown env id 'Nope-v0'"),
    ("sb3_image", ["--frames", "0"], "argument --frames: expected an integer >= 1, got 0"),
    ("sb3_image", ["--learning-rate", "nan"], "argument --learning-rate: expected a finite number > 0.0"),
    ("sb3_image", ["--plot", "{file}/curve.png"], "--plot: cannot create {file}/curve.png"),
    ("peers", ["--num-envs", "4", "4"], "--num-envs: 4 is given twice"),
    ("peers", ["--num-envs", "0"], "argument --num-envs: expected an integer >= 1, got 0"),
    ("peers", ["--seconds", "0"], "argument --seconds: expected a finite number > 0.0, got 0"),
    ("peers", ["--suites", "minigrid", "minigrid"], "--suites: 'minigrid' is given twice"),
]


@pytest.mark.parametrize(("name", "argv", "said"), REFUSED)
def test_benchmark_refuses_bad_arguments_before_work(name, argv, said, tmp_path, capsys):
    """A bad value is the command's usage error (exit 2) naming the flag and the value; an
    output path that cannot be written is refused before the run, not after it."""
    file = tmp_path / "a-file"
    file.write_text("not a model")
    fill = {"{tmp}": str(tmp_path), "{file}": str(file)}
    for key, value in fill.items():
        argv = [arg.replace(key, value) for arg in argv]
        said = said.replace(key, value)
    try:
        module = importlib.import_module(f"benchmarks.{name}")
    except ImportError as err:  # an optional extra the module needs is not installed
        pytest.skip(f"benchmarks.{name} needs {err.name}")
    main = (
        module.main
        if hasattr(module, "main")
        else importlib.import_module(f"benchmarks.{name}.__main__").main
    )
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    assert said in capsys.readouterr().err


def test_soak_gives_the_vector_env_num_envs_or_its_default(monkeypatch, capsys):
    """``--num-envs`` sizes the vector runs; without it they have `NUM_ENVS` sub-envs, and a
    single-env-only run takes no ``--num-envs``. The runs themselves are stubbed out."""
    from types import SimpleNamespace

    from benchmarks import soak

    jobs = []

    def fake_run(job):
        jobs.append(job)
        kind, env_id, budget, num_envs = job[:4]
        row = dict.fromkeys(("seconds", "warm_mb", "end_mb", "peak_mb", "growth_pct"), 0.0)
        return {**row, "env_id": env_id, "kind": kind, "num_envs": num_envs, "env_steps": budget}

    class InlinePool:  # runs the job here instead of in a fresh process
        def __init__(self, processes):
            pass

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def apply(self, fn, args):
            return fn(*args)

    monkeypatch.setattr(soak, "_run", fake_run)
    context = SimpleNamespace(Pool=InlinePool)
    monkeypatch.setattr(soak, "multiprocessing", SimpleNamespace(get_context=lambda method: context))
    ids = ["--ids", "Daedalus-Backtracker-7x7-v0"]
    assert soak.main([*ids, "--single-steps", "0", "--vector-steps", "800", "--num-envs", "8"]) == 0
    assert soak.main([*ids, "--single-steps", "0", "--vector-steps", "800"]) == 0
    assert soak.main([*ids, "--single-steps", "50", "--vector-steps", "0"]) == 0
    assert [job[:4] for job in jobs] == [
        ("vector", "Daedalus-Backtracker-7x7-v0", 800, 8),
        ("vector", "Daedalus-Backtracker-7x7-v0", 800, soak.NUM_ENVS),
        ("single", "Daedalus-Backtracker-7x7-v0", 50, 1),
    ]
    assert "vector x8" in capsys.readouterr().out


# Slow: three two-sample tests a target on 7x7 mazes (about 10 s).
@pytest.mark.slow
def test_path_head_codes_compares_fresh_and_landed_codes(tmp_path, capsys):
    """Per target: the head's walks over fresh codes and over the model's landed codes, and the
    model's own second set, each against the model's own mazes at the target."""
    import json

    from benchmarks import path_head_codes

    out = tmp_path / "rows.json"
    args = ["--generators", "vae", "--size", "7", "--n", "100", "--quantiles", "0.5"]
    assert path_head_codes.main([*args, "--out", str(out)]) == 0
    (row,) = json.loads(out.read_text())
    assert row["generator"] == "vae" and row["size"] == 7 and row["quantile"] == 0.5
    for key in ("fresh", "landed", "sanity"):
        assert 0.0 <= row[key]["c2st_best"] <= 1.0 and 0.0 <= row[key]["ks_max"] <= 1.0
    assert set(row["dropped"]) == {"fresh", "landed"} and all(v >= 0 for v in row["dropped"].values())
    # A code can only say something of the path: H(depth | code) <= H(depth), both positive.
    assert 0.0 < row["depth_entropy_given_code_nats"] <= row["depth_entropy_nats"]
    out_text = capsys.readouterr().out
    assert "landed codes" in out_text and "H(depth | code)" in out_text


def test_learned_ablation_scores_the_served_distribution(tmp_path, monkeypatch):
    """The ablation's model NLL is the bound on the mazes the model serves: the prior it samples
    (here a fitted Gaussian) and its decision temperature; its "code zeroed" row decodes the
    prior's mean."""
    import json

    import numpy as np
    import torch

    from benchmarks import learned_ablation
    from generators.dataset import seed_stream
    from generators.lattice import lattice
    from generators.likelihood import iwae_nll
    from generators.models import MazeAutoencoder, ModelConfig, init_parameters, load_model, save_model
    from generators.registry import make_generator
    from generators.training import TrainConfig
    from generators.two_sample import C2STResult

    size, seed, heldout_n = (5, 5), 3, 20
    monkeypatch.setenv("DAEDALUS_GYM_CACHE", str(tmp_path / "cache"))
    cfg = ModelConfig(
        kind="vae", arch="spatial", size=size, latent_dim=50, hidden=16, depth=1, channels=8,
        decoder="dfs", ar_hidden=8,
    )  # fmt: skip
    model = MazeAutoencoder(cfg)
    init_parameters(model, torch.Generator().manual_seed(0))
    with torch.no_grad():  # decisions that depend on the code, and a fitted sampling Gaussian
        model.decoder.direct.weight.normal_(0.0, 2.0, generator=torch.Generator().manual_seed(1))
        model.prior_mean.copy_(5 * torch.randn(50, generator=torch.Generator().manual_seed(2)))
        model.prior_scale_tril.mul_(0.7)
    model.decision_temperature = 0.6
    path = tmp_path / "vae.safetensors"
    save_model(model, path)
    train_cfg = TrainConfig(kind="vae", size=size, dataset_size=200, val_size=10)
    path.with_suffix(".json").write_text(json.dumps({"train_config": train_cfg.to_dict()}))

    def quick_c2st(a, b, rng, epochs=8):  # the classifiers are not what is checked here
        return [C2STResult(name, 0.5, 0.4, 0.6, len(a)) for name in ("mlp_motifs", "cnn_walls")]

    monkeypatch.setattr(learned_ablation, "c2st", quick_c2st)
    out = tmp_path / "rows.json"
    argv = ["--model", str(path), "--n", "100", "--c2st-n", "100", "--heldout-n", str(heldout_n)]
    assert learned_ablation.main([*argv, "--seed", str(seed), "--json", str(out)]) == 0
    rows = json.loads(out.read_text())["rows"]

    loaded = load_model(path)
    heldout = make_generator("backtracker", size=size).generate_walls(
        heldout_n, np.random.default_rng(seed_stream("eval_heldout", seed))
    )

    def bound(temperature: float) -> float:
        gen = torch.Generator().manual_seed(seed)
        return float(iwae_nll(loaded, heldout, 32, gen, temperature=temperature).mean())

    served, own_temperature = bound(0.6), bound(1.0)
    assert abs(served - own_temperature) > 1e-3  # the check below can tell the two apart
    assert rows["model, sampled"]["nll"] == pytest.approx(served, rel=1e-9)

    lat = lattice(*size)
    with torch.no_grad():
        at_mean = (loaded.decode(loaded.prior_mean.expand(heldout_n, -1).contiguous()) > 0).numpy()
        at_zero = (loaded.decode(torch.zeros(heldout_n, 50)) > 0).numpy()
    assert not np.array_equal(at_mean, at_zero)  # the check below can tell the two apart
    wrong = (lat.passages_from_walls(at_mean) != lat.passages_from_walls(heldout)).sum(1).mean()
    assert rows["code zeroed"]["recon_wrong"] == pytest.approx(float(wrong))


def test_depth_entropy_is_corrected_for_its_sample_size():
    # Twenty equally likely depths, 100 draws at a time: the plug-in estimate is low by about
    # (m - 1) / 2N; with the Miller-Madow correction the mean over many samples is near log 20.
    import numpy as np

    from benchmarks.path_head_codes import entropy

    rng = np.random.default_rng(0)
    samples = rng.integers(0, 20, size=(2000, 100))
    corrected = np.mean([entropy(s) for s in samples])
    plug_in = np.mean([entropy(s) - (len(np.unique(s)) - 1) / 200 for s in samples])
    assert abs(corrected - np.log(20)) < 0.02 < np.log(20) - plug_in
    assert entropy(np.full(50, 3)) == 0.0
