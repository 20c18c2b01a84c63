"""Bad input to the training, dataset, evaluation and likelihood API raises a clear error that
names the argument and the value, before any work starts."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from generators.dataset import DatasetConfig, build_dataset, load_dataset, seed_stream
from generators.evaluation import mean_pairwise_hamming, nearest_hamming, style_stats
from generators.likelihood import FeatureCountTable, WalkCountTable, rules_nll, walk_rules_nll
from generators.registry import make_generator
from generators.structure import motif_counts, structure_stats
from generators.training import TrainConfig, apply_preset, default_config, train
from generators.two_sample import c2st, ks_2samp, wilson_interval


@pytest.fixture(scope="module")
def walls() -> np.ndarray:
    return make_generator("backtracker", size=(3, 3)).generate_walls(6, np.random.default_rng(0))


@pytest.mark.parametrize(
    ("kw", "error", "match"),
    [
        ({"epochs": 0}, ValueError, r"epochs must be an int >= 1, got 0"),
        ({"epochs": 1.5}, TypeError, r"epochs must be an int, got float 1.5"),
        ({"batch_size": 0}, ValueError, r"batch_size must be an int >= 1, got 0"),
        ({"val_size": 0}, ValueError, r"val_size must be an int >= 1, got 0"),
        ({"seed": -1}, ValueError, r"seed must be an int >= 0, got -1"),
        ({"lr": float("nan")}, ValueError, r"lr must be a finite number in \(0.0, inf\], got nan"),
        ({"lr": -1.0}, ValueError, r"lr must be a finite number in \(0.0, inf\], got -1.0"),
        ({"lr": "0.1"}, TypeError, r"lr must be a real number, got str '0.1'"),
        ({"beta": float("inf")}, ValueError, r"beta must be a finite number in \[0.0, inf\], got inf"),
        ({"ratio": 0.0}, ValueError, r"ratio must be a finite number in \(0.0, 1.0\], got 0.0"),
        ({"threshold": 2.0}, ValueError, r"threshold must be a finite number in \[0.0, 1.0\], got 2.0"),
        ({"kind": "ae", "code_noise": True}, TypeError, r"code_noise must be a real number, got bool True"),
        ({"anneal": "linear"}, ValueError, r"anneal must be one of .*; got 'linear'"),
        ({"lr_schedule": "step"}, ValueError, r"lr_schedule must be one of 'cosine', 'constant'; got 'step'"),
        ({"kind": "gan"}, ValueError, r"kind must be one of 'ae', 'vae'; got 'gan'"),
        ({"preset": "paper"}, ValueError, r"preset must be one of 'blog'; got 'paper'"),
    ],
)
def test_train_config_refuses_bad_settings(kw: dict, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        TrainConfig(**kw)


def test_train_checks_its_config_before_drawing_data(tmp_path) -> None:
    with pytest.raises(TypeError, match=r"cfg must be a TrainConfig, got dict"):
        train({"epochs": 1}, cache_dir=tmp_path)
    with pytest.raises(ValueError, match=r"arch must be one of"):
        train(TrainConfig(arch="rnn"), cache_dir=tmp_path)
    assert not list(tmp_path.iterdir())  # no dataset was drawn
    with pytest.raises(ValueError, match=r"kind must be one of \['ae', 'vae'\], got \['ae'\]"):
        default_config(["ae"])
    with pytest.raises(ValueError, match=r"unknown preset \['blog'\]"):
        apply_preset(TrainConfig(), ["blog"])


def test_dataset_config_and_builders_refuse_bad_input() -> None:
    with pytest.raises(TypeError, match=r"generator must be a registered generator's name, got int 3"):
        DatasetConfig(generator=3)
    with pytest.raises(TypeError, match=r"generator_kwargs must be a dict .*, got list \[1\]"):
        DatasetConfig(generator_kwargs=[1])
    for build in (build_dataset, lambda c: load_dataset(c, use_cache=False)):
        with pytest.raises(TypeError, match=r"config must be a DatasetConfig .*got dict"):
            build({"n_train": 1})
    with pytest.raises(ValueError, match=r"seed must be an int >= 0, got -1"):
        seed_stream("train", -1)
    with pytest.raises(TypeError, match=r"seed must be an int, got float 1.5"):
        seed_stream("train", 1.5)


def test_two_sample_tests_refuse_bad_sets(walls: np.ndarray) -> None:
    rng = np.random.default_rng(0)
    with pytest.raises(
        ValueError, match=r"a must be bool\[B, 2h\+1, 2w\+1\], got float64 of shape \(6, 7, 7\)"
    ):
        c2st(walls.astype(float), walls, rng, 1)
    with pytest.raises(ValueError, match=r"b must be bool\[B, 2h\+1, 2w\+1\], got bool of shape \(7, 7\)"):
        c2st(walls, walls[0], rng, 1)
    with pytest.raises(ValueError, match=r"a must hold at least 2 mazes .*got 0"):
        c2st(walls[:0], walls, rng, 1)
    with pytest.raises(ValueError, match=r"b must hold at least 2 mazes .*got 1"):
        c2st(walls, walls[:1], rng, 1)
    with pytest.raises(ValueError, match=r"epochs must be an int >= 1, got 0"):
        c2st(walls, walls, rng, 0)
    with pytest.raises(TypeError, match=r"rng must be a numpy.random.Generator"):
        c2st(walls, walls, 0, 1)
    with pytest.raises(ValueError, match=r"a must be float64\[n\], one value per maze, got shape \(3, 2\)"):
        ks_2samp(np.zeros((3, 2)), np.zeros(3))
    with pytest.raises(ValueError, match=r"b must be real numbers float64\[n\], got dtype <U1"):
        ks_2samp([1.0], ["a"])
    assert np.isnan(ks_2samp([], [1.0])[0])  # nothing on a side: no statistic
    with pytest.raises(ValueError, match=r"successes must be an int in \[0, 3\], got 5"):
        wilson_interval(5, 3)
    with pytest.raises(TypeError, match=r"successes must be an int, got float 0.5"):
        wilson_interval(0.5, 3)
    assert np.isnan(wilson_interval(0, 0)[0])


def test_structure_and_likelihood_refuse_bad_grids(walls: np.ndarray) -> None:
    for fn in (motif_counts, structure_stats, FeatureCountTable.fit, WalkCountTable.fit, style_stats):
        with pytest.raises(
            ValueError, match=r"walls must be bool\[B, 2h\+1, 2w\+1\], got bool of shape \(7, 7\)"
        ):
            fn(walls[0])
        with pytest.raises(ValueError, match=r"walls must be bool\[B, 2h\+1, 2w\+1\], got float64"):
            fn(walls.astype(float))
    with pytest.raises(
        ValueError, match=r"walls must be bool\[B, 2h\+1, 2w\+1\], got bool of shape \(6, 6, 6\)"
    ):
        motif_counts(walls[:, :-1, :-1])
    with pytest.raises(ValueError, match=r"open_share must be a finite number in \[0.0, 1.0\], got 2.0"):
        rules_nll(walls, 2.0)
    with pytest.raises(ValueError, match=r"open_share must be a finite number in \[0.0, 1.0\], got nan"):
        walk_rules_nll(walls, float("nan"))
    with pytest.raises(TypeError, match=r"open_share must be a real number, got str 'a'"):
        rules_nll(walls, "a")


def test_structure_figures_of_an_empty_batch() -> None:
    # An empty batch is valid input: no rows of figures, as structure_stats already gives.
    walls = np.ones((0, 5, 7), dtype=bool)
    assert motif_counts(walls).shape == (0, 544)
    assert all(v.shape == (0,) for v in structure_stats(walls).values())


def test_hamming_figures_refuse_bad_input(walls: np.ndarray) -> None:
    other = make_generator("backtracker", size=(4, 4)).generate_walls(3, np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"same grid shape, got \(7, 7\) and \(9, 9\)"):
        nearest_hamming(walls, other)
    with pytest.raises(ValueError, match=r"reference must hold at least 1 grids .*got 0"):
        nearest_hamming(walls, walls[:0])
    with pytest.raises(ValueError, match=r"reference must hold at least 2 grids .*got 1"):
        nearest_hamming(walls[:1], walls[:1], exclude_self=True)
    with pytest.raises(ValueError, match=r"chunk must be an int >= 1, got 0"):
        nearest_hamming(walls, walls, chunk=0)
    with pytest.raises(ValueError, match=r"chunk must be an int >= 1, got 0"):
        mean_pairwise_hamming(walls, chunk=0)
    with pytest.raises(ValueError, match=r"walls must be bool\[B, H, W\], got float64"):
        mean_pairwise_hamming(walls.astype(float))
    assert nearest_hamming(walls, walls).tolist() == [0] * 6  # valid input still answers


def test_iwae_and_reconstruction_refuse_bad_input(walls: np.ndarray) -> None:
    from generators.likelihood import iwae_nll, reconstruction
    from generators.models import MazeAutoencoder, ModelConfig

    model = MazeAutoencoder(
        ModelConfig(kind="vae", latent_dim=4, hidden=16, depth=1, channels=4, size=(3, 3))
    )
    gen = torch.Generator().manual_seed(0)
    with pytest.raises(ValueError, match=r"samples must be an int >= 1, got 0"):
        iwae_nll(model, walls, 0, gen)
    with pytest.raises(TypeError, match=r"gen must be a torch.Generator, got int"):
        iwae_nll(model, walls, 2, 0)
    with pytest.raises(ValueError, match=r"temperature must be a finite number in \(0.0, inf\], got 0.0"):
        iwae_nll(model, walls, 2, gen, temperature=0.0)
    other = make_generator("backtracker", size=(4, 4)).generate_walls(2, np.random.default_rng(0))
    with pytest.raises(
        ValueError, match=r"walls must be bool\[B, 7, 7\] \(the model's grids\), got shape \(2, 9, 9\)"
    ):
        iwae_nll(model, other, 2, gen)
    with pytest.raises(ValueError, match=r"threshold must be a finite number in \(0.0, 1.0\), got 1.0"):
        reconstruction(model, walls, 1.0)


def test_train_path_head_refuses_bad_settings() -> None:
    from generators.path_head import train_path_head

    with pytest.raises(TypeError, match=r"generator must be a learned generator .*got BacktrackerGenerator"):
        train_path_head(make_generator("backtracker", size=(3, 3)))
    gen = make_generator("vae", size=14)
    if not gen.walks_ready():
        pytest.skip("the shipped VAE does not draw walks at its own size here")
    for kw, match in (
        ({"log_every": 0}, r"log_every must be an integer >= 1, got 0"),
        ({"seed": -1}, r"seed must be an integer >= 0, got -1"),
        ({"lr": True}, r"lr must be a positive number, got True"),
    ):
        with pytest.raises(ValueError, match=match):
            train_path_head(gen, **kw)


def _tiny_vae(decoder: str = "mlp"):
    from generators.models import MazeAutoencoder, ModelConfig

    if decoder == "dfs":
        spatial = {"arch": "spatial", "latent_dim": 18, "decoder": "dfs", "ar_hidden": 4}
        cfg = ModelConfig(kind="vae", size=(3, 3), hidden=16, depth=1, channels=4, **spatial)
    else:
        cfg = ModelConfig(kind="vae", latent_dim=4, hidden=16, depth=1, channels=4, size=(3, 3))
    return MazeAutoencoder(cfg)


def test_posterior_draws_refuses_bad_input(walls: np.ndarray) -> None:
    from generators.training import posterior_draws

    model = _tiny_vae()
    other = make_generator("backtracker", size=(4, 4)).generate_walls(2, np.random.default_rng(0))
    for args, kwargs, error, match in (
        (("vae", walls, 0), {}, TypeError, r"model must be a MazeAutoencoder, got str"),
        (
            (model, walls.astype(float), 0),
            {},
            ValueError,
            r"walls must be bool\[B, 2h\+1, 2w\+1\], got float64",
        ),
        (
            (model, other, 0),
            {},
            ValueError,
            r"walls must be bool\[B, 7, 7\] \(the model's grids\), got shape \(2, 9, 9\)",
        ),
        ((model, walls, -1), {}, ValueError, r"seed must be an int >= 0, got -1"),
        ((model, walls, 1.5), {}, TypeError, r"seed must be an int, got float 1.5"),
        ((model, walls, 0), {"batch": 0}, ValueError, r"batch must be an int >= 1, got 0"),
        ((model, walls, 0), {"batch": True}, TypeError, r"batch must be an int, got bool True"),
    ):
        with pytest.raises(error, match=match):
            posterior_draws(*args, **kwargs)
    codes = posterior_draws(model, walls, 0, batch=4)  # valid input still answers, from its seed
    assert codes.shape == (6, 4)
    torch.testing.assert_close(posterior_draws(model, walls, 0, batch=4), codes)


def test_fit_sampling_refuses_bad_input_before_touching_the_model(walls: np.ndarray) -> None:
    from generators.training import SamplingFit, fit_sampling

    model = _tiny_vae()
    other = make_generator("backtracker", size=(4, 4)).generate_walls(3, np.random.default_rng(0))
    for args, kwargs, error, match in (
        ((None, walls, walls, 0), {}, TypeError, r"model must be a MazeAutoencoder, got NoneType"),
        (
            (model, walls.astype(float), walls, 0),
            {},
            ValueError,
            r"reference must be bool\[B, 2h\+1, 2w\+1\], got float64 of shape \(6, 7, 7\)",
        ),
        (
            (model, walls, other, 0),
            {},
            ValueError,
            r"confirm must be bool\[B, 7, 7\] \(the model's grids\), got shape \(3, 9, 9\)",
        ),
        ((model, walls[:1], walls, 0), {}, ValueError, r"reference must hold at least 2 mazes .*got 1"),
        ((model, walls, walls, -1), {}, ValueError, r"seed must be an int >= 0, got -1"),
        ((model, walls, walls, 0), {"epochs": 0}, ValueError, r"epochs must be an int >= 1, got 0"),
        (
            (model, walls, walls, 0),
            {"temperatures": ()},
            ValueError,
            r"temperatures must be a non-empty tuple of numbers, got \(\)",
        ),
        (
            (model, walls, walls, 0),
            {"temperatures": (1.0, 0.0)},
            ValueError,
            r"temperatures\[1\] must be a finite number in \(0.0, 4.0\], got 0.0",
        ),
        (
            (model, walls, walls, 0),
            {"temperatures": (0.5, 1.0, 0.5)},
            ValueError,
            r"temperatures must be distinct, got \[0.5\] more than once",
        ),
        ((model, walls, walls, 0), {"log": 3}, TypeError, r"log must be callable .*got int 3"),
        (
            (model, walls, walls, 0),
            {"codes": np.zeros((6, 4))},
            TypeError,
            r"codes must be a torch.Tensor or None, got ndarray",
        ),
        (
            (model, walls, walls, 0),
            {"codes": torch.zeros(6, 4, dtype=torch.int64)},
            ValueError,
            r"codes must be float\[B, latent\], got dtype torch.int64",
        ),
        (
            (model, walls, walls, 0),
            {"codes": torch.full((6, 4), float("nan"))},
            ValueError,
            r"codes must be finite, got nan",
        ),
    ):
        with pytest.raises(error, match=match):
            fit_sampling(*args, **kwargs)
    # A model that draws its decisions: a refused call leaves it as it was (here, in training mode).
    dfs = _tiny_vae("dfs").train()
    with pytest.raises(ValueError, match=r"codes must be float\[B, 18\] with B >= 2, got shape \(1, 18\)"):
        fit_sampling(dfs, walls, walls, 0, codes=torch.zeros(1, 18))
    assert dfs.training and dfs.decision_temperature == 1.0
    # valid input still answers: a model that does not draw its decisions keeps its own sampling
    assert fit_sampling(model, walls, walls, 0) == SamplingFit("prior", 1.0, [])


def _train_result():
    from generators.training import TrainResult

    return TrainResult(_tiny_vae(), TrainConfig(size=(3, 3)))


def test_save_trained_refuses_bad_input_before_writing(tmp_path) -> None:
    from generators.training import save_trained

    result, file = _train_result(), tmp_path / "a-file"
    file.write_text("not a folder")
    out = tmp_path / "out"
    for args, kwargs, error, match in (
        (({"model": 1}, out, "m", "c"), {}, TypeError, r"result must be a TrainResult .*got dict"),
        ((result, 3, "m", "c"), {}, TypeError, r"out_dir must be a str or a path, got int 3"),
        (
            (result, file, "m", "c"),
            {},
            ValueError,
            rf"out_dir must be a directory or a path where one can be made, got '{file}' \({file} is not",
        ),
        (
            (result, file / "sub", "m", "c"),
            {},
            ValueError,
            rf"out_dir must be a directory .*got '{file / 'sub'}' \({file} is not a directory\)",
        ),
        ((result, out, 3, "c"), {}, TypeError, r"name must be a str, got int 3"),
        (
            (result, out, "a/b", "c"),
            {},
            ValueError,
            r"name must be a file name without a folder or '..', got 'a/b'",
        ),
        (
            (result, out, "..", "c"),
            {},
            ValueError,
            r"name must be a file name without a folder or '..', got '..'",
        ),
        ((result, out, "m", ["c"]), {}, TypeError, r"command must be a str, got list \['c'\]"),
        (
            (result, out, "m", "c"),
            {"weights_dtype": "bfloat16"},
            ValueError,
            r"weights_dtype must be one of 'float32', 'float16'; got 'bfloat16'",
        ),
        ((result, out, "m", "c"), {"extra": [1]}, TypeError, r"extra must be a dict of str keys or None"),
        (
            (result, out, "m", "c"),
            {"extra": {"seed": 5}},
            ValueError,
            r"extra must add card entries, not replace them, got \['seed'\]",
        ),
        ((result, out, "m", "c"), {"extra": {"note": {1, 2}}}, TypeError, r"extra must hold JSON values"),
    ):
        with pytest.raises(error, match=match):
            save_trained(*args, **kwargs)
    assert not out.exists()  # nothing was written
    weights, card = save_trained(result, out, "m", "c", extra={"note": "x"})  # valid input still writes
    assert weights == out / "m.safetensors" and weights.is_file()
    written = json.loads(card.read_text())
    assert written["name"] == "m" and written["command"] == "c" and written["note"] == "x"


def test_save_trained_head_refuses_bad_input_before_writing(tmp_path) -> None:
    from generators.path_head import HeadTraining, PathHead, load_head, save_trained_head

    result = HeadTraining(PathHead(4), {"steps": 1})
    model_file, file = tmp_path / "m.safetensors", tmp_path / "a-file"
    model_file.write_bytes(b"weights")
    file.write_text("not a folder")
    out = tmp_path / "heads" / "m.path.safetensors"
    for args, error, match in (
        ((result.head, model_file, out, "c"), TypeError, r"result must be a HeadTraining .*got PathHead"),
        ((result, 3, out, "c"), TypeError, r"model_path must be a str or a path, got int 3"),
        (
            (result, tmp_path / "nope.safetensors", out, "c"),
            FileNotFoundError,
            r"model_path: no model file at",
        ),
        ((result, model_file, None, "c"), TypeError, r"out must be a str or a path, got NoneType None"),
        (
            (result, model_file, tmp_path / "m.json", "c"),
            ValueError,
            r"named <model>.path.safetensors, got 'm.json'",
        ),
        (
            (result, model_file, file / "m.path.safetensors", "c"),
            ValueError,
            rf"out's folder must be a directory .*got '{file}' \({file} is not a directory\)",
        ),
        ((result, model_file, out, None), TypeError, r"command must be a str, got NoneType None"),
    ):
        with pytest.raises(error, match=match):
            save_trained_head(*args)
    (tmp_path / "d.path.safetensors").mkdir()
    with pytest.raises(ValueError, match=r"out must be a file, got '.*d.path.safetensors', a directory"):
        save_trained_head(result, model_file, tmp_path / "d.path.safetensors", "c")
    assert not (tmp_path / "heads").exists()  # nothing was written
    assert save_trained_head(result, model_file, out, "c") == out  # valid input still writes
    assert load_head(out, model_file, 4).units == 4
    assert (tmp_path / "heads" / "m.path.json").is_file()
