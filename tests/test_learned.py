"""Learned generators: data, models, losses, schedules, persistence, training, sampling, evaluation.

Everything runs on tiny models (random-initialised or trained for a few steps) so the module
takes seconds; the shipped weights are only loaded and sampled.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from generators import Maze, is_perfect, make_generator
from generators.control import measure
from generators.dataset import DatasetConfig, build_dataset, load_dataset
from generators.evaluation import evaluate, mean_pairwise_hamming, nearest_hamming, style_stats
from generators.learned import LearnedBatch, pretrained_path
from generators.models import (
    FIXED_LOGIT,
    MazeAutoencoder,
    ModelConfig,
    init_parameters,
    kl_weight,
    load_model,
    save_model,
)
from generators.shortest_paths import solvable
from generators.training import PRESETS, TrainConfig, apply_preset, default_config, save_trained, train

SIZE = (4, 5)
TINY = {"latent_dim": 4, "hidden": 32, "depth": 1, "channels": 4, "size": SIZE}


def tiny_model(kind: str = "vae", seed: int = 0, **kw) -> MazeAutoencoder:
    model = MazeAutoencoder(ModelConfig(kind=kind, **{**TINY, **kw}))
    init_parameters(model, torch.Generator().manual_seed(seed))
    return model.eval()


@pytest.fixture
def model_file(tmp_path: Path):
    def make(kind: str = "vae", **kw) -> Path:
        path = tmp_path / f"{kind}.safetensors"
        save_model(tiny_model(kind, **kw), path)
        return path

    return make


# ---------------------------------------------------------------------- data
def test_dataset_is_seeded_split_and_cached(tmp_path: Path) -> None:
    cfg = DatasetConfig(size=SIZE, n_train=30, n_val=10, seed=3)
    first = load_dataset(cfg, tmp_path)
    assert first.train.shape == (30, 9, 11) and first.val.shape == (10, 9, 11)
    assert is_perfect(first.train).all()
    assert (tmp_path / cfg.cache_name()).is_file()
    again = load_dataset(cfg, tmp_path)
    assert np.array_equal(first.train, again.train) and np.array_equal(first.val, again.val)
    # The validation split does not depend on the training count.
    more = build_dataset(replace(cfg, n_train=50))
    assert np.array_equal(more.val, first.val)
    assert cfg.cache_name() != replace(cfg, seed=4).cache_name()
    assert DatasetConfig.from_dict(cfg.to_dict()) == cfg


def test_damaged_cache_is_rebuilt(tmp_path: Path) -> None:
    cfg = DatasetConfig(size=SIZE, n_train=5, n_val=2)
    (tmp_path / cfg.cache_name()).write_bytes(b"not a zip")
    assert load_dataset(cfg, tmp_path).train.shape == (5, 9, 11)


@pytest.mark.parametrize(
    "damage",
    [
        lambda raw: raw[: len(raw) // 2],  # a write cut short
        lambda raw: b"",
        lambda raw: raw[:100],
        lambda raw: raw[: len(raw) // 3] + bytes([raw[len(raw) // 3] ^ 0xFF]) + raw[len(raw) // 3 + 1 :],
    ],
    ids=["half", "empty", "header-only", "flipped-byte"],
)
def test_truncated_or_corrupt_cache_is_rebuilt(tmp_path: Path, damage) -> None:
    cfg = DatasetConfig(size=SIZE, n_train=40, n_val=10, seed=2)
    first = load_dataset(cfg, tmp_path)
    path = tmp_path / cfg.cache_name()
    path.write_bytes(damage(path.read_bytes()))
    again = load_dataset(cfg, tmp_path)
    fresh = build_dataset(cfg)
    assert np.array_equal(again.train, fresh.train) and np.array_equal(again.val, fresh.val)
    assert np.array_equal(first.train, fresh.train)
    with np.load(path) as data:  # the damaged file was replaced by a whole one
        assert np.array_equal(data["train"], fresh.train)


def test_cache_is_used_when_it_matches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import generators.dataset as dataset_module

    cfg = DatasetConfig(size=SIZE, n_train=30, n_val=10, seed=3)
    first = load_dataset(cfg, tmp_path)

    def no_rebuild(config: DatasetConfig) -> None:
        raise AssertionError("a matching cache file was drawn again")

    monkeypatch.setattr(dataset_module, "build_dataset", no_rebuild)
    again = load_dataset(cfg, tmp_path)
    assert np.array_equal(first.train, again.train) and np.array_equal(first.val, again.val)


def test_stale_cache_from_other_generator_code_is_not_reused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from generators.backtracker import BacktrackerGenerator

    cfg = DatasetConfig(size=SIZE, n_train=30, n_val=10, seed=3)
    old = load_dataset(cfg, tmp_path)
    original = BacktrackerGenerator.generate_walls

    def changed(self, n: int, rng: np.random.Generator) -> np.ndarray:
        rng.random()  # the same seeds now give other mazes, as after a change to the generator
        return original(self, n, rng)

    monkeypatch.setattr(BacktrackerGenerator, "generate_walls", changed)
    current = build_dataset(cfg)
    assert not np.array_equal(current.train, old.train)
    got = load_dataset(cfg, tmp_path)
    assert np.array_equal(got.train, current.train) and np.array_equal(got.val, current.val)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda d: {"val": d.val[:4]},  # fewer validation mazes than the config's
        lambda d: {"train": d.train[:, :-2, :-2], "val": d.val[:, :-2, :-2]},  # another grid shape
        lambda d: {"val": d.val.astype(np.uint8)},
    ],
    ids=["short-val", "grid-shape", "val-dtype"],
)
def test_cache_with_other_splits_is_not_reused(tmp_path: Path, tamper) -> None:
    import generators.dataset as dataset_module

    cfg = DatasetConfig(size=SIZE, n_train=30, n_val=10, seed=3)
    good = load_dataset(cfg, tmp_path)
    path = tmp_path / cfg.cache_name()
    with np.load(path) as data:
        arrays = {k: data[k] for k in data.files}
    assert np.array_equal(arrays["train"][: dataset_module.PROBE], dataset_module._probe(cfg, "train"))
    arrays.update(tamper(good))
    np.savez_compressed(path, **arrays)
    got = load_dataset(cfg, tmp_path)
    assert got.train.shape == (30, 9, 11) and got.val.shape == (10, 9, 11)
    assert got.val.dtype == np.bool_
    assert np.array_equal(got.train, good.train) and np.array_equal(got.val, good.val)


def test_dataset_counts_may_be_numpy_ints(tmp_path: Path) -> None:
    cfg = DatasetConfig(size=SIZE, n_train=np.int64(5), n_val=np.int32(2), seed=np.int64(1))
    assert cfg.cache_name() == DatasetConfig(size=SIZE, n_train=5, n_val=2, seed=1).cache_name()
    assert load_dataset(cfg, tmp_path).train.shape == (5, 9, 11)


def test_dataset_config_errors() -> None:
    with pytest.raises(ValueError, match="n_train must be at least 1"):
        DatasetConfig(n_train=0)
    with pytest.raises(ValueError, match="unknown dataset config keys"):
        DatasetConfig.from_dict({"colour": "red"})


# ---------------------------------------------------------------------- models
@pytest.mark.parametrize("arch", ["mlp", "conv"])
@pytest.mark.parametrize(("output", "decoder"), [("passages", "mlp"), ("grid", "mlp"), ("passages", "ar")])
@pytest.mark.parametrize("kind", ["ae", "vae"])
def test_model_shapes_and_named_losses(arch: str, output: str, decoder: str, kind: str) -> None:
    model = tiny_model(kind, arch=arch, output=output, decoder=decoder)
    walls = torch.from_numpy(build_dataset(DatasetConfig(size=SIZE, n_train=6, n_val=0)).train).float()
    out = model(walls)
    assert out["logits"].shape == walls.shape
    mu, logvar = model.encode(walls)
    assert mu.shape == (6, 4) and (logvar is None) == (kind == "ae")
    terms = model.loss(walls, out)
    assert set(terms) == {"recon", "kl", "total"}
    assert all(torch.isfinite(v) for v in terms.values())
    if kind == "ae":
        assert float(terms["kl"]) == 0.0
    assert model.sample(3).shape == (3, 9, 11)
    assert model.reconstruct(walls).shape == walls.shape


def test_passage_output_fixes_the_template() -> None:
    model = tiny_model()
    probs = torch.sigmoid(model.decode(torch.randn(5, 4))) > 0.5
    template = torch.from_numpy(
        np.broadcast_to(
            make_generator("backtracker", size=SIZE).generate_walls(1, np.random.default_rng(0))[0],
            (5, 9, 11),
        ).copy()
    )
    fixed = torch.ones(9, 11, dtype=torch.bool)
    fixed.view(-1)[model.edge_index] = False
    assert torch.equal(probs[:, fixed], template[:, fixed])
    with torch.no_grad():
        assert float(model.decode(torch.zeros(1, 4)).abs().max()) == FIXED_LOGIT


def test_kl_is_the_closed_form() -> None:
    model = tiny_model()
    mu, logvar = torch.randn(7, 4), torch.randn(7, 4)
    walls = torch.zeros(7, 9, 11)
    out = {"logits": torch.zeros(7, 9, 11), "mu": mu, "logvar": logvar}
    q = torch.distributions.Normal(mu, torch.exp(0.5 * logvar))
    p = torch.distributions.Normal(torch.zeros(4), torch.ones(4))
    expected = torch.distributions.kl_divergence(q, p).sum(1).mean()
    terms = model.loss(walls, out, beta=0.5)
    assert torch.allclose(terms["kl"], expected, atol=1e-5)
    assert torch.allclose(terms["total"], terms["recon"] + 0.5 * terms["kl"], atol=1e-4)
    # Free bits: every unit is charged at least `free_bits` nats.
    tiny = {"logits": out["logits"], "mu": torch.zeros(7, 4), "logvar": torch.zeros(7, 4)}
    assert torch.allclose(
        model.loss(walls, tiny, free_bits=0.5)["total"], model.loss(walls, tiny)["recon"] + 2.0
    )


def test_mse_loss_is_on_probabilities() -> None:
    model = tiny_model("ae", recon_loss="mse", output="grid")
    walls = torch.ones(2, 9, 11)
    out = {"logits": torch.zeros(2, 9, 11), "mu": torch.zeros(2, 4)}
    assert float(model.loss(walls, out)["recon"]) == pytest.approx(0.25 * 8 * 10)


def test_kl_schedules() -> None:
    assert kl_weight(5, 100, "constant", 0.7) == 0.7
    assert kl_weight(0, 100, "monotonic", 1.0, ratio=0.5) == 0.0
    assert kl_weight(25, 100, "monotonic", 1.0, ratio=0.5) == pytest.approx(0.5)
    assert kl_weight(80, 100, "monotonic", 1.0, ratio=0.5) == 1.0
    # Fu et al. 2019: M=4 cycles of 25 steps, ramp over the first half of each.
    cyc = [kl_weight(s, 100, "cyclical", 1.0, cycles=4, ratio=0.5) for s in range(100)]
    assert cyc[0] == cyc[25] == cyc[50] == 0.0
    assert cyc[6] == pytest.approx(0.48) and cyc[13] == cyc[24] == 1.0
    with pytest.raises(ValueError, match="schedule must be"):
        kl_weight(0, 10, "linear")


def test_fit_prior_matches_codes() -> None:
    model = tiny_model("ae")
    # Its own random stream: the test does not depend on what the worker ran before it.
    gen = torch.Generator().manual_seed(0)
    mix = torch.tensor([[2.0, 0, 0, 0], [0.5, 1, 0, 0], [0, 0, 0.1, 0], [0, 0, 0, 3]])
    codes = torch.randn(5000, 4, generator=gen) @ mix + 1
    model.fit_prior(codes)
    sampled = model.prior_codes(torch.randn(20000, 4, generator=gen))
    assert torch.allclose(sampled.mean(0), codes.mean(0), atol=0.1)
    assert torch.allclose(torch.cov(sampled.T), torch.cov(codes.T), atol=0.2)
    # a VAE takes a fitted Gaussian the same way (its posterior draws'), and then samples it
    vae = tiny_model("vae")
    assert vae.has_standard_prior()
    vae.fit_prior(codes)
    assert not vae.has_standard_prior()
    torch.testing.assert_close(vae.prior_scale_tril, model.prior_scale_tril)
    vae.reset_prior()
    assert vae.has_standard_prior()
    with pytest.raises(ValueError, match=r"codes must be float\[B, 4\] with B >= 2"):
        vae.fit_prior(codes[:, :3])


# ---------------------------------------------------------------------- persistence
def test_save_load_roundtrip(tmp_path: Path) -> None:
    model = tiny_model("ae", seed=4)
    model.fit_prior(torch.randn(100, 4))
    save_model(model, tmp_path / "m.safetensors")
    loaded = load_model(tmp_path / "m.safetensors")
    assert loaded.cfg == model.cfg
    for key, value in model.state_dict().items():
        assert torch.equal(value, loaded.state_dict()[key])


def test_float16_storage_halves_the_file(tmp_path: Path) -> None:
    model = tiny_model(hidden=256)
    save_model(model, tmp_path / "full.safetensors")
    save_model(model, tmp_path / "half.safetensors", dtype="float16")
    full, half = (
        (tmp_path / "full.safetensors").stat().st_size,
        (tmp_path / "half.safetensors").stat().st_size,
    )
    assert half < 0.6 * full
    loaded = load_model(tmp_path / "half.safetensors")
    for key, value in model.state_dict().items():
        assert loaded.state_dict()[key].dtype == value.dtype
        assert torch.allclose(loaded.state_dict()[key], value, atol=1e-3, rtol=1e-3)


def test_bad_model_files_give_clear_errors(tmp_path: Path) -> None:
    from safetensors.torch import save_file

    with pytest.raises(FileNotFoundError, match="no model file"):
        load_model(tmp_path / "missing.safetensors")
    corrupt = tmp_path / "corrupt.safetensors"
    corrupt.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{garbage")
    with pytest.raises(ValueError, match="not a readable safetensors"):
        load_model(corrupt)
    foreign = tmp_path / "foreign.safetensors"
    save_file({"w": torch.zeros(2)}, str(foreign))
    with pytest.raises(ValueError, match="not a Daedalus-Gym maze model"):
        load_model(foreign)
    # Weights of one architecture under another's config.
    mismatched = tmp_path / "mismatched.safetensors"
    save_model(tiny_model(), mismatched)
    from safetensors import safe_open

    with safe_open(str(mismatched), framework="pt") as f:
        meta, state = f.metadata(), {k: f.get_tensor(k) for k in f.keys()}  # noqa: SIM118
    cfg = json.loads(meta["config"])
    meta["config"] = json.dumps({**cfg, "hidden": 64})
    save_file(state, str(mismatched), metadata=meta)
    with pytest.raises(ValueError, match="does not match its config"):
        load_model(mismatched)


# ---------------------------------------------------------------------- training
def tiny_train_config(**kw) -> TrainConfig:
    base = {**TINY, "dataset_size": 64, "val_size": 16, "epochs": 2, "batch_size": 16, "val_samples": 20}
    return TrainConfig(**{**base, **kw})


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["ae", "vae"])
def test_training_runs_and_is_reproducible(kind: str, tmp_path: Path) -> None:
    cfg = tiny_train_config(kind=kind, anneal="cyclical", cycles=2)
    first = train(cfg, cache_dir=tmp_path, progress=False, log=lambda _: None)
    second = train(cfg, cache_dir=tmp_path, progress=False, log=lambda _: None)
    for key, value in first.model.state_dict().items():
        assert torch.equal(value, second.model.state_dict()[key]), key
    assert [h["epoch"] for h in first.history] == [1, 2]
    assert {"recon", "kl", "val_recon", "raw_solvable", "raw_perfect"} <= set(first.history[-1])
    weights, card = save_trained(first, tmp_path / "out", kind, "daedalus-gym train ...")
    data = json.loads(card.read_text())
    assert data["dataset_config"]["n_train"] == 64 and data["seed"] == 0 and data["command"]
    assert load_model(weights).cfg == first.model.cfg


@pytest.mark.slow
def test_training_repeats_bit_for_bit_on_two_threads(tmp_path: Path) -> None:
    # The shipped VAE's settings on 256 mazes, one step of 256: on two threads, torch's default
    # CPU kernels gave weights about 1e-5 apart; training runs its deterministic ones.
    cfg = replace(default_config("vae"), dataset_size=256, val_size=16, epochs=1, val_samples=10)
    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        first, second = (train(cfg, cache_dir=tmp_path, progress=False, log=lambda _: None) for _ in range(2))
    finally:
        torch.set_num_threads(threads)
    for key, value in first.model.state_dict().items():
        assert torch.equal(value, second.model.state_dict()[key]), key
    assert not torch.are_deterministic_algorithms_enabled()  # the caller's setting is back


def test_blog_preset() -> None:
    cfg = apply_preset(TrainConfig(kind="ae"), "blog")
    assert (cfg.arch, cfg.latent_dim, cfg.hidden, cfg.recon_loss, cfg.dataset_size) == (
        "mlp",
        2,
        512,
        "mse",
        1280,
    )
    assert (cfg.batch_size, cfg.lr, cfg.epochs, cfg.threshold) == (128, 3e-4, 40, 0.5)
    assert cfg.model_config().output == "grid"
    assert set(PRESETS) == {"blog"}
    with pytest.raises(ValueError, match="unknown preset"):
        apply_preset(cfg, "paper")


# ---------------------------------------------------------------------- generators
@pytest.mark.parametrize("decoder", ["mlp", "ar"])
@pytest.mark.parametrize("kind", ["ae", "vae"])
@pytest.mark.parametrize("repair", ["perfect", "connect", None])
def test_generator_contract(model_file, kind: str, repair: str | None, decoder: str) -> None:
    gen = make_generator(kind, size=SIZE, model=model_file(kind, decoder=decoder), repair=repair)
    batch = gen.generate_batch(6, np.random.default_rng(7))
    rng = np.random.default_rng(7)
    singles = [gen.generate(rng) for _ in range(6)]
    assert batch == singles
    assert all(isinstance(m, Maze) and m.shape == (9, 11) for m in batch)
    walls = np.stack([m.walls for m in batch])
    if repair == "perfect":
        assert is_perfect(walls).all()
    if repair is not None:
        assert solvable(walls).all()
    assert (
        make_generator(kind, **{k: v for k, v in gen.config().items() if k != "name"}).config()
        == gen.config()
    )


def test_noise_fast_path(model_file) -> None:
    from generators.base import NoiseGenerator

    gen = make_generator("vae", size=SIZE, model=model_file())
    assert isinstance(gen, NoiseGenerator)
    rng = np.random.default_rng(5)
    noise = np.concatenate([gen.draw_noise(1, rng) for _ in range(4)])
    assert np.array_equal(noise, gen.draw_noise(4, np.random.default_rng(5)))
    assert np.array_equal(gen.walls_from_noise(noise), gen.generate_walls(4, np.random.default_rng(5)))
    with pytest.raises(ValueError, match=r"noise must be float\[B, 4\]"):
        gen.walls_from_noise(np.zeros((2, 3)))


def test_draw_records_raw_and_cells_changed(model_file) -> None:
    gen = make_generator("vae", size=SIZE, model=model_file(), repair="perfect", temperature=0.5)
    batch = gen.draw(10, np.random.default_rng(0))
    assert isinstance(batch, LearnedBatch)
    assert np.array_equal(batch.raw, batch.logits > 0)
    assert np.array_equal(batch.cells_changed, np.count_nonzero(batch.raw != batch.walls, axis=(1, 2)))
    assert np.array_equal(gen.generate_walls(10, np.random.default_rng(0)), batch.walls)


def test_generator_pickles_without_the_network(model_file) -> None:
    import copy
    import pickle

    gen = make_generator("vae", size=SIZE, model=model_file())
    blob = pickle.dumps(gen)
    assert len(blob) < 2_000
    for clone in (pickle.loads(blob), copy.deepcopy(gen)):
        assert clone.config() == gen.config()
        assert clone.generate(np.random.default_rng(1)) == gen.generate(np.random.default_rng(1))


@pytest.mark.parametrize("output", ["passages", "grid"])
@pytest.mark.parametrize("size", [(1, 6), (2, 3), (4, 5), (9, 4), (9, 11)], ids=str)
def test_any_size_is_tiled_from_the_model(model_file, size: tuple[int, int], output: str) -> None:
    gen = make_generator("ae", size=size, model=model_file("ae", output=output))
    down, across = -(-size[0] // SIZE[0]), -(-size[1] // SIZE[1])
    assert gen.tiles == (down, across) and gen.noise_dim == down * across * 4
    batch = gen.draw(5, np.random.default_rng(0))
    assert batch.walls.shape == (5, 2 * size[0] + 1, 2 * size[1] + 1)
    assert is_perfect(batch.walls).all()
    # The raw drawing keeps a walled border whatever the tiling.
    if output == "passages":
        assert batch.raw[:, -1].all() and batch.raw[:, :, -1].all()
    assert gen.generate_batch(3, np.random.default_rng(1)) == [
        gen.generate(r) for r in [np.random.default_rng(1)] for _ in range(3)
    ]


def test_ae_grid_sampling_uses_grid_points(model_file) -> None:
    gen = make_generator(
        "ae", size=SIZE, model=model_file("ae"), sampling="grid", grid_radius=1.0, grid_steps=3
    )
    codes = gen.codes_from_noise(np.random.default_rng(0).standard_normal((3000, 4)))
    # A fresh AE's fitted Gaussian is N(0, I): the grid points are -1, 0, 1, drawn equally often.
    values, counts = np.unique(codes, return_counts=True)
    assert np.array_equal(values, [-1.0, 0.0, 1.0])
    assert counts.min() > 0.3 * codes.size


def test_generator_errors(model_file) -> None:
    with pytest.raises(ValueError, match="holds a 'vae' model"):
        make_generator("ae", size=SIZE, model=model_file("vae"))
    with pytest.raises(ValueError, match="repair must be"):
        make_generator("vae", size=SIZE, model=model_file(), repair="fix")
    with pytest.raises(ValueError, match="for the AE"):
        make_generator("vae", size=SIZE, model=model_file(), sampling="grid")
    with pytest.raises(ValueError, match="'normal' is for the VAE"):
        make_generator("ae", size=SIZE, model=model_file("ae"), sampling="normal")
    with pytest.raises(ValueError, match="sampling must be one of 'prior', 'normal', 'grid'; got 'fitted'"):
        make_generator("vae", size=SIZE, model=model_file(), sampling="fitted")
    with pytest.raises(FileNotFoundError):
        make_generator("vae", size=SIZE, model="nowhere.safetensors")


@pytest.mark.parametrize("kind", ["ae", "vae"])
def test_shipped_models_load_and_sample(kind: str) -> None:
    if not pretrained_path(kind).is_file():
        pytest.skip(f"no shipped {kind} weights in this checkout")
    gen = make_generator(kind)
    mazes = gen.generate_batch(16, np.random.default_rng(0))
    assert is_perfect(np.stack([m.walls for m in mazes])).all()
    card = json.loads(pretrained_path(kind).with_suffix(".json").read_text())
    assert card["kind"] == kind and card["command"].startswith("daedalus-gym train")


@pytest.mark.parametrize("kind", ["ae", "vae"])
def test_passes_threads_and_precision_serve_the_same_mazes(kind: str) -> None:
    # In either precision, passes of any size, run side by side or on one thread, and one maze
    # at a time decode the same mazes; the two precisions differ at most very rarely.
    if not pretrained_path(kind).is_file():
        pytest.skip(f"no shipped {kind} weights in this checkout")
    noise = make_generator(kind).draw_noise(300, np.random.default_rng(4))
    served = {}
    for precision in ("float32", "float64"):
        gen = make_generator(kind, precision=precision)
        walls = served[precision] = gen.walls_from_noise(noise)
        for batch_size in (1, 7, 4096):
            again = make_generator(kind, batch_size=batch_size, precision=precision).walls_from_noise(noise)
            assert np.array_equal(again, walls)
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            assert np.array_equal(gen.walls_from_noise(noise), walls)
        finally:
            torch.set_num_threads(threads)
        assert torch.get_num_threads() == threads
        singles = np.stack([gen.walls_from_noise(noise[i : i + 1])[0] for i in range(40)])
        assert np.array_equal(singles, walls[:40])
        assert is_perfect(walls).all()
    assert make_generator(kind).precision == "float32"
    assert (served["float32"] == served["float64"]).all(axis=(1, 2)).mean() >= 0.99


def _walk_noise(gen, codes: int, per_code: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Noise for ``codes * per_code`` drawn walks of ``gen``: codes, decisions, and each walk's code row."""
    rng = np.random.default_rng(seed)
    code_noise = rng.standard_normal((codes, gen.latent_dim))
    decisions = rng.standard_normal((codes * per_code, gen.noise_dim - gen.latent_dim))
    return code_noise, decisions, np.repeat(np.arange(codes), per_code)


@pytest.mark.parametrize("kind", ["vae", "ae"])
def test_drawn_walks_are_the_generators_mazes(kind: str) -> None:
    # Many walks over one code's embeddings decode what walls_from_noise decodes from the same
    # noise; a walk stops only where its goal depth leaves its window (reporting that depth, the
    # start-goal path in cell steps) or can no longer land in it (reporting a depth past it, no
    # more than its own).
    gen = make_generator(kind, size=7)
    codes, decisions, rows = _walk_noise(gen, codes=6, per_code=4, seed=2)
    opened, depth = gen.drawn_walks(codes, decisions, rows, np.full((24, 2), -1))
    want = gen.walls_from_noise(np.concatenate([codes[rows], decisions], axis=1))
    assert np.array_equal(gen.walls_from_walks(opened), want)
    assert np.array_equal(2 * depth, measure(gen, want)["path_length"])
    window = np.stack([depth - 1, depth + 1], axis=1)
    window[::3] = [1, 2]  # below every path: these stop
    window[1::3] = np.stack([depth[1::3] + 1, depth[1::3] + 2], axis=1)  # reached too soon: these stop there
    stopped_opened, stopped_depth = gen.drawn_walks(codes, decisions, rows, window)
    kept = np.ones(24, dtype=bool)
    kept[::3] = kept[1::3] = False
    assert np.array_equal(stopped_depth[kept], depth[kept])
    assert np.array_equal(stopped_depth[1::3], depth[1::3])
    # No path from the start reaches the far corner in 2 steps: those walks stop before their
    # first decision, reporting the window's end plus one.
    assert (stopped_depth[::3] == 3).all() and (depth[::3] >= 3).all()
    assert not stopped_opened[::3].any()
    assert np.array_equal(stopped_opened[kept], opened[kept])
    assert not np.array_equal(stopped_opened[~kept], opened[~kept])
    # Other ways of turning noise into codes and weights into walks: the same mazes too.
    settings = [{"temperature": 0.7}, {"precision": "float64"}]
    settings += [{"sampling": "grid"}] if kind == "ae" else []
    others = [make_generator(kind, size=7, **extra) for extra in settings]
    for other in others:
        opened_other, _ = other.drawn_walks(codes, decisions, rows, np.full((24, 2), -1))
        want_other = other.walls_from_noise(np.concatenate([codes[rows], decisions], axis=1))
        assert np.array_equal(other.walls_from_walks(opened_other), want_other), other.config()
    with pytest.raises(ValueError, match="rows must be"):
        gen.drawn_walks(codes, decisions, rows[:5], np.full((24, 2), -1))
    with pytest.raises(ValueError, match="window must be"):
        gen.drawn_walks(codes, decisions, rows, np.full((24, 3), -1))
    with pytest.raises(ValueError, match="drawn walks need"):
        make_generator(kind, size=5).drawn_walks(codes, decisions, rows, np.full((24, 2), -1))


@pytest.mark.parametrize("kind", ["vae", "ae"])
def test_drawn_walks_skip_a_groups_walks_after_its_first_hit(kind: str) -> None:
    # With hit ranges, the walks come in groups, and a group's walks after the first to land in
    # its range are not drawn (depth -1); every walk drawn is the one drawn without the ranges.
    gen = make_generator(kind, size=7)
    codes, decisions, rows = _walk_noise(gen, codes=8, per_code=8, seed=3)
    no_window = np.full((64, 2), -1)
    opened, depth = gen.drawn_walks(codes, decisions, rows, no_window)
    middle = int(np.median(depth))
    hit = np.tile([middle - 1, middle + 1], (64, 1))
    hit[56:] = [1, 2]  # no walk of the last group lands: all of it is drawn
    got_opened, got_depth = gen.drawn_walks(codes, decisions, rows, no_window, hit=hit, group_size=8)
    landed = (hit[:, 0] <= depth) & (depth <= hit[:, 1])
    skipped = 0
    for g in range(8):
        walks = slice(8 * g, 8 * g + 8)
        first = np.flatnonzero(landed[walks])
        drawn = 8 if not first.size else first[0] + 1
        assert np.array_equal(got_depth[walks][:drawn], depth[walks][:drawn])
        assert np.array_equal(got_opened[walks][:drawn], opened[walks][:drawn])
        assert (got_depth[walks][drawn:] == -1).all()
        skipped += 8 - drawn
    assert skipped > 0 and (got_depth[56:] >= 0).all()
    # The same when every walk reads a copy of its code of its own.
    one = gen.drawn_walks(codes[rows], decisions, np.arange(64), no_window, hit=hit, group_size=8)
    assert np.array_equal(one[1], got_depth)
    with pytest.raises(ValueError, match="hit must be"):
        gen.drawn_walks(codes, decisions, rows, no_window, hit=hit[:5], group_size=8)
    with pytest.raises(ValueError, match="group_size must divide the 64 walks, got 7"):
        gen.drawn_walks(codes, decisions, rows, no_window, hit=hit, group_size=7)
    with pytest.raises(ValueError, match="group_size must be an int >= 1, got 0"):
        gen.drawn_walks(codes, decisions, rows, no_window, hit=hit, group_size=0)
    with pytest.raises(TypeError, match="group_size must be an int, got float"):
        gen.drawn_walks(codes, decisions, rows, no_window, hit=hit, group_size=8.0)
    with pytest.raises(ValueError, match="needs hit"):
        gen.drawn_walks(codes, decisions, rows, no_window, group_size=8)


# ---------------------------------------------------------------------- evaluation
def test_hamming_helpers_match_brute_force() -> None:
    rng = np.random.default_rng(0)
    a, b = rng.random((7, 5, 5)) < 0.5, rng.random((30, 5, 5)) < 0.5
    brute = (a[:, None] != b[None]).sum(axis=(2, 3))
    assert np.array_equal(nearest_hamming(a, b, chunk=3), brute.min(1))
    loo = (b[:, None] != b[None]).sum(axis=(2, 3)) + np.diag(np.full(30, 10**6))
    assert np.array_equal(nearest_hamming(b[:10], b, exclude_self=True, chunk=4), loo[:10].min(1))
    pair = (b[:, None] != b[None]).sum(axis=(2, 3))
    assert mean_pairwise_hamming(b, chunk=7) == pytest.approx(pair.sum() / (30 * 29))


def test_style_stats_of_a_corridor() -> None:
    walls = np.ones((1, 3, 7), dtype=bool)  # three cells in a row, both passages open
    walls[0, 1, 1:6] = False
    stats = style_stats(walls)
    # per cell: the two end cells of three are dead ends (passage squares are not cells)
    assert stats["dead_end_fraction"][0] == 2 / 3 and stats["junction_fraction"][0] == 0.0
    assert stats["path_length"][0] == 4


@pytest.mark.slow
def test_evaluate_reports_every_figure(model_file, tmp_path: Path) -> None:
    gen = make_generator("vae", size=SIZE, model=model_file())
    data = build_dataset(DatasetConfig(size=SIZE, n_train=40, n_val=12))
    metrics, arrays = evaluate(gen, n=30, dataset=data, loo_size=10, log=lambda _: None)
    assert metrics["solvable_pct"] == 100.0 and metrics["perfect_pct"] == 100.0
    for key in (
        "raw_solvable_pct",
        "raw_perfect_pct",
        "cells_changed_p99",
        "repair_ms_p99",
        "duplicates",
        "training_copies",
        "nearest_train_hamming_median",
        "train_loo_hamming_median",
        "pairwise_hamming_mean",
        "train_pairwise_hamming_mean",
        "dead_end_fraction_pct",
        "junction_fraction_pct",
        "path_length_mean",
        "active_units",
        "mazes_per_second",
    ):
        assert key in metrics, key
    json.dumps(metrics)
    from generators.evaluation import save_figures

    written = save_figures(tmp_path, gen, arrays, "tiny")
    assert all(p.is_file() and p.stat().st_size > 0 for p in written)


# ---------------------------------------------------------------------- commands
@pytest.mark.slow
def test_train_and_evaluate_commands(tmp_path: Path, monkeypatch, capsys) -> None:
    from daedalus_gym.commands import evaluate as evaluate_cmd
    from daedalus_gym.commands import train as train_cmd

    parser = argparse.ArgumentParser()
    train_cmd.add_arguments(parser)
    # The shipped VAE's settings: a spatial code (here two channels per cell of a 4x4 maze).
    flags = "vae --size 4 --latent-dim 32 --hidden 16 --depth 1 --channels 4 --dataset-size 32"
    flags += " --val-size 8 --epochs 1 --batch-size 16 --val-samples 10 --no-progress"
    out_dirs = ["--out", str(tmp_path / "m"), "--cache-dir", str(tmp_path / "cache")]
    args = parser.parse_args(flags.split() + out_dirs)
    assert train_cmd.run(args) == 0
    card = json.loads((tmp_path / "m" / "vae.json").read_text())
    assert card["command"].startswith("daedalus-gym train vae --size 4")
    assert card["model_config"]["latent_dim"] == 32
    assert card["model_config"]["decoder"] == "dfs"

    monkeypatch.setenv("DAEDALUS_GYM_CACHE", str(tmp_path / "cache"))
    parser = argparse.ArgumentParser()
    evaluate_cmd.add_arguments(parser)
    args = parser.parse_args(
        [
            "--generator",
            "vae",
            "--size",
            "4",
            "--model",
            str(tmp_path / "m" / "vae.safetensors"),
            "--n",
            "20",
            "--out",
            str(tmp_path / "eval"),
            "--no-figures",
            "--update-card",
        ]
    )
    assert evaluate_cmd.run(args) == 0
    assert "raw_perfect_pct" in capsys.readouterr().out
    assert json.loads((tmp_path / "eval" / "vae.json").read_text())["n"] == 20
    assert "perfect" in json.loads((tmp_path / "m" / "vae.json").read_text())["evaluation"]
