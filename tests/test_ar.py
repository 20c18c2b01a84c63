"""The autoregressive decoder's frontier walk and `ARDecoder` (`generators.ar_decoder`).

The walk's two structural features are exact: on every perfect maze no open passage is flagged
``loop`` and no closed one ``strand``; and a decoder that follows only those two rules draws
nothing but perfect mazes. Teacher forcing and greedy decoding compute the same logits.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from generators import is_perfect, make_generator
from generators.ar_decoder import (
    FEATURE_NAMES,
    NUM_FEATURES,
    decision_order,
    frontier_features,
    greedy_decode,
)
from generators.lattice import lattice
from generators.models import MazeAutoencoder, ModelConfig, init_parameters, load_model, save_model

SIZES = [(14, 14), (3, 5), (5, 3), (1, 4), (4, 1), (2, 2), (7, 11)]
LOOP, STRAND = FEATURE_NAMES.index("loop"), FEATURE_NAMES.index("strand")


def decisions_of(walls: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    lat = lattice(*size)
    return lat.passages_from_walls(walls)[:, decision_order(*size)[2]]


def walls_of(opened: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    lat = lattice(*size)
    open_edges = np.zeros((len(opened), lat.num_edges), dtype=bool)
    open_edges[:, decision_order(*size)[2]] = opened
    return lat.walls_from_passages(open_edges)


def test_decision_order_covers_every_passage_once():
    for h, w in SIZES:
        cell, kind, edge = decision_order(h, w)
        assert sorted(edge.tolist()) == list(range(lattice(h, w).num_edges))
        lat = lattice(h, w)
        for c, k, e in zip(cell.tolist(), kind.tolist(), edge.tolist(), strict=True):
            assert lat.edges[e, 0] == c and lat.edges[e, 1] == c + (1 if k == 0 else w)
        assert np.all(np.diff(cell) >= 0)  # raster order


@pytest.mark.parametrize("name", ["backtracker", "kruskal", "prim", "wilson"])
@pytest.mark.parametrize("size", SIZES, ids=str)
def test_perfect_mazes_never_break_the_rules(name, size):
    walls = make_generator(name, size=size).generate_walls(200, np.random.default_rng(1))
    opened = decisions_of(walls, size)
    feats = frontier_features(opened, size)
    assert feats.shape == (200, opened.shape[1], NUM_FEATURES)
    assert not (feats[..., LOOP].astype(bool) & opened).any()  # never closes a cycle
    assert not (feats[..., STRAND].astype(bool) & ~opened).any()  # never cuts a part off
    if size == (14, 14):  # and the flags do fire: they carry information
        assert feats[..., LOOP].any() and feats[..., STRAND].any()


def test_features_flag_a_loop_and_a_strand():
    # 2x2 cells, decisions in order: R(0,0), D(0,0), D(0,1), R(1,0).
    feats = frontier_features(np.array([[True, True, True, False]]), (2, 2))[0]
    assert feats[3, LOOP] == 1  # (1,0)-(1,1) would close the square
    assert feats[3, STRAND] == 0  # ... and closing it cuts nothing off
    feats = frontier_features(np.array([[False, True, False, False]]), (2, 2))[0]
    assert feats[2, STRAND] == 1  # (0,1) alone: its way down is its last way out
    assert feats[3, STRAND] == 1  # last row: the left part must join the right


@pytest.mark.parametrize("size", SIZES, ids=str)
@pytest.mark.parametrize("default", ["open", "wall"])
def test_a_rules_only_decoder_draws_perfect_mazes(size, default):
    """Open unless it makes a loop, close unless it strands: always a spanning tree."""
    h, w = size
    units = 2
    w_ctx = np.zeros((NUM_FEATURES, units))
    w_ctx[LOOP, 0] = w_ctx[STRAND, 1] = 1.0
    w_out = np.array([[10.0, -10.0], [10.0, -10.0]])
    bias = np.full(2, -1.0 if default == "open" else 1.0)
    rng = np.random.default_rng(0)
    emb = rng.normal(0, 0.05, (300, h * w, units))  # noise (< the rules' margin) they must overrule
    logits, opened = greedy_decode(emb, w_ctx, w_out, bias, np.zeros((2, NUM_FEATURES)), size)
    assert np.array_equal(opened, logits <= 0.0)
    assert is_perfect(walls_of(opened, size)).all()


def ar_model(size=(4, 5), seed=0, kind="vae") -> MazeAutoencoder:
    cfg = ModelConfig(
        kind=kind, size=size, latent_dim=6, hidden=32, depth=1, channels=4, decoder="ar", ar_hidden=8
    )
    model = MazeAutoencoder(cfg)
    init_parameters(model, torch.Generator().manual_seed(seed))
    with torch.no_grad():  # larger random weights than the default init, so decisions vary
        for p in model.decoder.parameters():
            p.mul_(4.0)
    return model.eval()


@pytest.mark.parametrize("threshold", [0.5, 0.3, 0.8])
def test_greedy_decoding_equals_teacher_forcing_on_its_own_output(threshold):
    model = ar_model().double()
    z = torch.randn(64, 6, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    greedy = model.decode(z, threshold)
    walls = (torch.sigmoid(greedy) > threshold).double()
    teacher = model.teacher_logits(z, walls)
    assert torch.allclose(greedy, teacher, atol=1e-9)
    assert len({tuple(w.flatten().tolist()) for w in walls}) > 10  # the code matters


@pytest.mark.slow
def test_ar_model_trains_saves_and_loads(tmp_path: Path):
    from generators.training import TrainConfig, train

    cfg = TrainConfig(
        size=(4, 5),
        latent_dim=4,
        hidden=32,
        depth=1,
        channels=4,
        decoder="ar",
        ar_hidden=8,
        dataset_size=64,
        val_size=16,
        epochs=2,
        batch_size=16,
        val_samples=20,
    )
    first = train(cfg, cache_dir=tmp_path, progress=False, log=lambda _: None)
    second = train(cfg, cache_dir=tmp_path, progress=False, log=lambda _: None)
    for key, value in first.model.state_dict().items():
        assert torch.equal(value, second.model.state_dict()[key]), key
    path = tmp_path / "ar.safetensors"
    save_model(first.model, path)
    loaded = load_model(path)
    assert loaded.cfg.decoder == "ar"
    z = torch.randn(8, 4, generator=torch.Generator().manual_seed(0))
    assert torch.equal(loaded.decode(z), first.model.decode(z))


def test_ar_generator_contract_and_batch_independence(tmp_path: Path):
    path = tmp_path / "vae.safetensors"
    save_model(ar_model(), path)
    gen = make_generator("vae", size=(4, 5), model=path, repair=None)
    batch = gen.generate_batch(40, np.random.default_rng(3))
    rng = np.random.default_rng(3)
    assert batch == [gen.generate(rng) for _ in range(40)]
    drawn = gen.draw(200, np.random.default_rng(4))
    assert np.array_equal(drawn.raw, drawn.logits > 0)  # the raw grid is the clipped logits
    perfect = make_generator("vae", size=(4, 5), model=path, repair="perfect")
    assert is_perfect(np.stack([m.walls for m in perfect.generate_batch(50, np.random.default_rng(5))])).all()


def test_ar_config_errors():
    with pytest.raises(ValueError, match="needs output='passages'"):
        ModelConfig(decoder="ar", output="grid")
    with pytest.raises(ValueError, match="decoder must be one of"):
        ModelConfig(decoder="rnn")
    with pytest.raises(ValueError, match="ar_hidden must be a positive int"):
        ModelConfig(decoder="ar", ar_hidden=0)
    with pytest.raises(ValueError, match="threshold must be a probability"):
        ar_model().decode(torch.zeros(1, 6), threshold=1.0)


@pytest.mark.parametrize("threshold", [0.5, 0.35, 0.7])
def test_perfect_repair_skips_perfect_raw_mazes(tmp_path: Path, threshold):
    """Keeping a raw maze that already is perfect gives exactly what the full repair gives."""
    from generators.repair import repair

    for decoder in ("ar", "mlp"):
        path = tmp_path / f"{decoder}.safetensors"
        model = ar_model() if decoder == "ar" else tiny_mlp_model()
        if decoder == "ar":  # lean on the two rules, so that many raw mazes are perfect
            with torch.no_grad():
                model.decoder.direct.weight[:, LOOP] = 30.0
                model.decoder.direct.weight[:, STRAND] = -30.0
        save_model(model, path)
        gen = make_generator("vae", size=(4, 5), model=path, threshold=threshold)
        drawn = gen.draw(300, np.random.default_rng(2))
        lat = lattice(4, 5)
        logits = drawn.logits[:, lat.edge_rc[:, 0], lat.edge_rc[:, 1]].astype(np.float64)
        full = repair(drawn.raw, "perfect", logits)
        assert np.array_equal(drawn.walls, full.walls)
        assert np.array_equal(drawn.cells_changed, full.cells_changed)
        if decoder == "ar":
            assert 0 < is_perfect(drawn.raw).mean() < 1  # the shortcut was taken, and not always


def tiny_mlp_model() -> MazeAutoencoder:
    model = MazeAutoencoder(ModelConfig(size=(4, 5), latent_dim=6, hidden=32, depth=1, channels=4))
    init_parameters(model, torch.Generator().manual_seed(0))
    return model.eval()


def test_shipped_settings_are_the_training_defaults():
    """`daedalus-gym train vae` / `train ae` reproduce the shipped models' configs."""
    import json

    from generators.learned import pretrained_path
    from generators.training import default_config

    for kind in ("vae", "ae"):
        card = json.loads(pretrained_path(kind).with_suffix(".json").read_text())
        expected = default_config(kind).to_dict()
        # val_samples only sizes the per-epoch check of prior samples, not the weights.
        differing = {k for k, v in card["train_config"].items() if expected.get(k) != v} - {"val_samples"}
        assert not differing, {k: (card["train_config"][k], expected.get(k)) for k in differing}
    assert default_config("vae").decoder == "dfs"
    with pytest.raises(ValueError, match="kind must be one of"):
        default_config("gan")
