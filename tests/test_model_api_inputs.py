"""Bad input to the training, dataset, evaluation and likelihood API raises a clear error that
names the argument and the value, before any work starts."""

from __future__ import annotations

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
