"""The depth-first decoder (`generators.dfs_decoder`) and models and generators built on it.

The walk writes a perfect maze down exactly (teacher forcing reproduces it, and its forced
passages are open in every perfect maze); whatever the network's weights, decoding -- greedy
or drawn -- gives only perfect mazes; teacher forcing computes the logits decoding used; and
the count-table baselines over its features are computed from data.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from generators import is_perfect, make_generator
from generators.dfs_decoder import (
    FORCED_OPEN,
    NOT_DECIDED,
    NUM_CODES,
    SLACK_EDGES,
    decode_walk,
    walk_features,
)
from generators.lattice import lattice
from generators.likelihood import WalkCountTable, walk_rules_nll
from generators.models import MazeAutoencoder, ModelConfig, init_parameters, load_model, save_model

SIZES = [(14, 14), (3, 5), (5, 3), (1, 4), (4, 1), (2, 2), (7, 11)]


def tiny_config(kind: str = "vae", size: tuple[int, int] = (5, 5), arch: str = "spatial") -> ModelConfig:
    cells = size[0] * size[1]
    return ModelConfig(
        kind=kind,
        arch=arch,
        size=size,
        latent_dim=2 * cells if arch == "spatial" else 8,
        hidden=16,
        depth=1,
        channels=8,
        decoder="dfs",
        ar_hidden=8,
    )


def tiny_model(kind: str = "vae", size: tuple[int, int] = (5, 5), arch: str = "spatial", seed: int = 0):
    model = MazeAutoencoder(tiny_config(kind, size, arch))
    init_parameters(model, torch.Generator().manual_seed(seed))
    with torch.no_grad():  # logits large enough to matter
        model.decoder.direct.weight.normal_(0.0, 2.0, generator=torch.Generator().manual_seed(seed + 1))
    return model.eval()


@pytest.mark.parametrize("name", ["backtracker", "kruskal", "prim", "wilson"])
@pytest.mark.parametrize("size", SIZES, ids=str)
def test_teacher_walk_writes_every_perfect_maze_down(name, size):
    walls = make_generator(name, size=size).generate_walls(100, np.random.default_rng(1))
    lat = lattice(*size)
    opened = lat.passages_from_walls(walls)
    cells, codes = walk_features(opened, size)
    # Every open passage is reached by the walk (decided or forced), every forced one is open,
    # and a passage to a cell already in the tree is never open.
    assert (cells[opened] >= 0).all()
    assert opened[codes == FORCED_OPEN].all()
    assert not opened[codes == NOT_DECIDED].any()
    decided = codes >= 0
    assert (codes[decided] < 4 * NUM_CODES).all()
    # The deciding cell is an end of its passage.
    ends = lat.edges[np.nonzero(decided)[1]]
    assert ((ends[:, 0] == cells[decided]) | (ends[:, 1] == cells[decided])).all()


@pytest.mark.parametrize("size", SIZES, ids=str)
def test_any_weights_decode_only_perfect_mazes(size):
    lat = lattice(*size)
    rng = np.random.default_rng(0)
    for scale in (0.0, 1.0, 10.0):
        emb = rng.normal(0, scale, (50, size[0] * size[1], 4))
        ctx = rng.normal(0, scale, (4 * NUM_CODES, 4))
        w_out, b_out = rng.normal(0, scale, (4, 4)), rng.normal(0, scale, 4)
        direct = rng.normal(0, scale, 4 * NUM_CODES)
        for u in (None, rng.random((50, lat.num_edges))):
            logits, opened = decode_walk(emb, ctx, w_out, b_out, direct, size, u=u)
            assert is_perfect(lat.walls_from_passages(opened)).all()
            assert ((logits <= 0) == opened).all()  # the logits clip to the decoded maze


@pytest.fixture(scope="module")
def flood_walk():
    """The walk as first written (regions found by flooding them at every decision), compiled."""
    numba = pytest.importorskip("numba")
    from _dfs_flood_walk import flood_walk as walk

    return numba.njit(nogil=True, cache=True)(walk)


def _walk_outputs(n: int, size: tuple[int, int]) -> list[np.ndarray]:
    e = lattice(*size).num_edges
    return [
        np.zeros((n, e), np.int64),
        np.zeros((n, e), np.int64),
        np.zeros((n, e)),
        np.zeros((n, e), np.uint8),
    ]


@pytest.mark.parametrize("size", [(14, 14), (2, 9), (9, 2), (1, 6), (6, 1), (3, 3), (8, 13)], ids=str)
def test_region_labels_give_the_flood_fill_walk(flood_walk, size):
    # The walk keeps the regions outside the tree labelled as they split; the walk that floods
    # each region afresh at every decision must agree with it on every passage: teacher-forced
    # on every generator's mazes, greedy and drawn with random weights (both embedding layouts).
    from generators._jit import compile_kernel
    from generators.dfs_decoder import _dfs_walk, edge_table

    h, w = size
    lat = lattice(h, w)
    rng = np.random.default_rng(11)
    for name in ["backtracker", "kruskal", "prim", "wilson"]:
        walls = make_generator(name, size=size).generate_walls(200, rng)
        opened = lat.passages_from_walls(walls).astype(np.uint8)
        zero = (np.zeros((4 * NUM_CODES, 1)), np.zeros((4, 1)), np.zeros(4), np.zeros(4 * NUM_CODES), 0.0)
        want = _walk_outputs(len(walls), size)
        flood_walk(
            h,
            w,
            0,
            lat.neighbors,
            edge_table(h, w),
            opened,
            np.zeros((1, 1, 1)),
            *zero,
            np.zeros((1, 1)),
            *want,
        )
        cells, codes = walk_features(opened, size)
        assert np.array_equal(cells, want[0]) and np.array_equal(codes, want[1]), name
        assert np.array_equal(want[3], opened), name
    n, hidden = 200, 8
    emb = rng.normal(size=(n, h * w, hidden))
    weights = (
        rng.normal(size=(4 * NUM_CODES, hidden)),
        rng.normal(size=(4, hidden)),
        rng.normal(size=4) * 2,
        rng.normal(size=4 * NUM_CODES),
    )
    u = rng.random((n, lat.num_edges))
    kernel = compile_kernel(_dfs_walk)
    by_channel = np.ascontiguousarray(emb.transpose(0, 2, 1)).reshape(n, -1)
    no_open = np.zeros((1, 1), np.uint8)
    for mode in (1, 2):
        want = _walk_outputs(n, size)
        flood_walk(h, w, mode, lat.neighbors, edge_table(h, w), no_open, emb, *weights, 0.0, u, *want)
        for flat, layout in ((emb.reshape(n, -1), False), (by_channel, True)):
            got = _walk_outputs(n, size)
            kernel(
                h, w, mode, lat.neighbors, edge_table(h, w), no_open, flat, np.zeros(0, np.int64), layout,
                *weights, 0.0, u, np.zeros((0, 2), np.int64), *got, np.zeros(n, np.int64),
                np.zeros(0, np.int64), SLACK_EDGES, np.zeros((0, 2), np.int64), 0,
            )  # fmt: skip
            for a, b in zip(want, got):
                assert np.array_equal(a, b), (mode, layout)


def test_decode_walk_reads_either_embedding_layout_and_float32():
    size = (6, 5)
    rng = np.random.default_rng(2)
    n, hidden = 50, 4
    emb = rng.normal(size=(n, 30, hidden))
    args = (
        rng.normal(size=(4 * NUM_CODES, hidden)),
        rng.normal(size=(4, hidden)),
        rng.normal(size=4),
        rng.normal(size=4 * NUM_CODES),
        size,
    )
    u = rng.random((n, lattice(*size).num_edges))
    channel_major = np.ascontiguousarray(emb.transpose(0, 2, 1)).transpose(0, 2, 1)  # a torch conv's layout
    assert not channel_major.flags.c_contiguous
    for drawn in (None, u):
        logits, opened = decode_walk(emb, *args, u=drawn)
        strided = np.repeat(emb, 2, axis=2)[:, :, ::2]  # neither layout: read through a copy
        assert not strided.flags.c_contiguous and not np.swapaxes(strided, 1, 2).flags.c_contiguous
        for other in (channel_major, strided):
            again, opened_again = decode_walk(other, *args, u=drawn)
            assert np.array_equal(logits, again) and np.array_equal(opened, opened_again)
        # float32 embeddings are widened, not rounded: the same as their float64 values.
        single = emb.astype(np.float32)
        assert np.array_equal(
            decode_walk(single, *args, u=drawn)[0], decode_walk(single.astype(np.float64), *args, u=drawn)[0]
        )


def test_teacher_forcing_gives_the_logits_greedy_decoding_used():
    model = tiny_model(size=(6, 7))
    z = torch.randn((20, model.cfg.latent_dim), generator=torch.Generator().manual_seed(3))
    decoded = model.decode(z)
    walls = (decoded > 0).float()
    assert is_perfect(walls.numpy().astype(bool)).all()
    teacher = model.teacher_logits(z, walls)
    assert torch.allclose(teacher, decoded, atol=1e-4)


def test_decode_grid_is_forward_as_a_float32_array():
    model = tiny_model(size=(6, 7))
    rng = np.random.default_rng(8)
    z = torch.from_numpy(rng.standard_normal((25, model.cfg.latent_dim)))
    u = rng.random((25, lattice(6, 7).num_edges))
    for dtype in (torch.float32, torch.float64):
        decoder = model.to(dtype).decoder
        for draws in (None, u):
            for threshold in (0.5, 0.2):
                want = decoder(z.to(dtype), threshold, u=draws).float().numpy()
                got = decoder.decode_grid(z.to(dtype), threshold, u=draws)
                assert got.dtype == np.float32 and np.array_equal(got, want)
    with pytest.raises(ValueError, match="threshold"):
        decoder.decode_grid(z, 1.0)


def test_decoding_follows_weights_changed_in_place():
    # The walk's float64 weight tables are kept between calls; a training step (an in-place
    # update) or a loaded state must be what the next decode uses.
    model = tiny_model(size=(6, 7))
    z = torch.randn((30, model.cfg.latent_dim), generator=torch.Generator().manual_seed(5))
    before = model.decode(z)
    fresh = tiny_model(size=(6, 7))
    with torch.no_grad():
        fresh.decoder.out.bias.add_(3.0)
        fresh.decoder.context.weight.mul_(-2.0)
    assert not torch.equal(fresh.decode(z), before)
    with torch.no_grad():
        model.decoder.out.bias.add_(3.0)
        model.decoder.context.weight.mul_(-2.0)
    assert torch.equal(model.decode(z), fresh.decode(z))
    model.load_state_dict(tiny_model(size=(6, 7)).state_dict())
    assert torch.equal(model.decode(z), before)


def test_drawn_decisions_follow_the_decoder_probabilities():
    # With the code ignored, a passage's share of open draws is the mean of its decisions'
    # probabilities, within sampling error.
    size = (4, 4)
    lat = lattice(*size)
    rng = np.random.default_rng(5)
    n = 4000
    direct = rng.normal(0, 1.5, 4 * NUM_CODES)
    zeros = np.zeros((n, 16, 1))
    args = (zeros, np.zeros((4 * NUM_CODES, 1)), np.zeros((4, 1)), np.zeros(4), direct, size)
    _, opened = decode_walk(*args, u=rng.random((n, lat.num_edges)))
    _, codes = walk_features(opened, size)
    decided = codes >= 0
    p_open = 1 / (1 + np.exp(direct[np.maximum(codes, 0)]))
    expected, observed = p_open[decided].sum(), opened[decided].sum()
    assert abs(observed - expected) < 4 * np.sqrt((p_open[decided] * (1 - p_open[decided])).sum())


def test_count_table_and_rules_baselines_are_computed():
    gen = make_generator("backtracker", size=6)
    train = gen.generate_walls(3000, np.random.default_rng(0))
    heldout = gen.generate_walls(300, np.random.default_rng(1))
    table = WalkCountTable.fit(train)
    assert table.entries > 10 and table.total.sum() > len(train)
    table_nll = table.nll(heldout)
    rules = walk_rules_nll(heldout, table.open_share())
    assert np.isfinite(table_nll).all() and (table_nll > 0).all()
    # The features say something the rules alone do not.
    assert table_nll.mean() < rules.mean()
    other = WalkCountTable.fit(make_generator("prim", size=6).generate_walls(3000, np.random.default_rng(0)))
    assert other.nll(heldout).mean() > table_nll.mean()


def test_spatial_config_checks():
    with pytest.raises(ValueError, match="multiple of 25"):
        ModelConfig(arch="spatial", decoder="dfs", size=(5, 5), latent_dim=30)
    with pytest.raises(ValueError, match="needs decoder='dfs'"):
        ModelConfig(arch="spatial", decoder="ar", size=(5, 5), latent_dim=50)
    with pytest.raises(ValueError, match="decodes greedily"):
        m = MazeAutoencoder(ModelConfig(size=(5, 5), latent_dim=4, hidden=8, decoder="ar"))
        m.decode(torch.zeros(1, 4), u=np.zeros((1, lattice(5, 5).num_edges)))


@pytest.mark.parametrize("arch", ["spatial", "conv"])
def test_model_file_round_trip_and_generator(tmp_path, arch):
    model = tiny_model(arch=arch)
    path = tmp_path / "vae.safetensors"
    save_model(model, path)
    loaded = load_model(path)
    z = torch.randn((8, model.cfg.latent_dim), generator=torch.Generator().manual_seed(0))
    assert torch.equal(loaded.decode(z), model.decode(z))
    gen = make_generator("vae", size=5, model=path)
    assert gen.decoding == "sample"
    assert gen.noise_dim == model.cfg.latent_dim + lattice(5, 5).num_edges
    batch = gen.generate_batch(20, np.random.default_rng(4))
    rng = np.random.default_rng(4)
    singles = [gen.generate(rng) for _ in range(20)]
    assert all(np.array_equal(a.walls, b.walls) for a, b in zip(batch, singles, strict=True))
    assert all(m.is_perfect() for m in batch)
    raw = gen.draw(200, np.random.default_rng(5)).raw
    assert is_perfect(raw).all()  # the walk draws perfect mazes before any repair
    greedy = make_generator("vae", size=5, model=path, decoding="greedy")
    assert greedy.noise_dim == model.cfg.latent_dim
    with pytest.raises(ValueError, match="decoding"):
        make_generator("vae", size=5, model=path, decoding="beam")


def test_encode_decode_interpolate(tmp_path):
    path = tmp_path / "vae.safetensors"
    save_model(tiny_model(), path)
    gen = make_generator("vae", size=5, model=path)
    a, b = make_generator("backtracker", size=5).generate_batch(2, np.random.default_rng(0))
    code = gen.encode(a)
    assert code.shape == (gen.latent_dim,) and np.isfinite(code).all()
    maze = gen.decode(code)
    assert maze.is_perfect() and maze.walls.shape == a.walls.shape
    assert np.array_equal(gen.decode(code).walls, maze.walls)  # greedy: the code's own maze
    drawn = gen.decode(code, np.random.default_rng(1))
    assert drawn.is_perfect()
    path_mazes = gen.interpolate(a, b, steps=5)
    assert len(path_mazes) == 5 and all(m.is_perfect() for m in path_mazes)
    with pytest.raises(ValueError, match="lattice maze"):
        gen.encode(np.zeros_like(a.walls))
    with pytest.raises(ValueError, match="own size"):
        make_generator("vae", size=9, model=path).encode(a)
    with pytest.raises(ValueError, match="steps"):
        gen.interpolate(a, b, steps=1)


@pytest.mark.slow
def test_trained_ae_round_trips_its_mazes(tmp_path):
    """A small depth-first AE trained by the project's own loop: decode(encode(maze)) gives the
    maze back, for mazes it was trained on and, mostly, for mazes it was not."""
    from generators.training import TrainConfig, save_trained, train

    cfg = TrainConfig(
        kind="ae",
        arch="spatial",
        decoder="dfs",
        size=(4, 4),
        latent_dim=2 * 16,
        channels=16,
        depth=1,
        ar_hidden=16,
        dataset_size=512,
        val_size=64,
        epochs=25,
        batch_size=64,
        lr=3e-3,
        anneal="constant",
        val_samples=16,
    )
    result = train(cfg, cache_dir=tmp_path, progress=False, log=lambda *_: None)
    weights, _ = save_trained(result, tmp_path, "ae", "test")
    gen = make_generator("ae", size=4, model=weights)
    from generators.dataset import load_dataset

    data = load_dataset(cfg.dataset_config(), tmp_path)
    for walls, least in ((data.train[:64], 0.95), (data.val, 0.8)):
        back = [np.array_equal(gen.decode(gen.encode(w)).walls, w) for w in walls]
        assert np.mean(back) >= least, np.mean(back)
    # training ended by fitting how the model samples; the file and the card carry it (the AE
    # has one density, the Gaussian fitted to its codes)
    import json

    from generators.training import DECISION_TEMPERATURES

    card = json.loads((tmp_path / "ae.json").read_text())
    chosen = [(r["density"], r["temperature"]) for r in card["sampling_fit"] if r["stage"] == "choose"]
    assert chosen == [("prior", t) for t in DECISION_TEMPERATURES]
    assert card["sampling_density"] == "prior"
    assert card["decision_temperature"] == result.model.decision_temperature == gen.decision_temperature
    assert load_model(weights).decision_temperature == card["decision_temperature"]


def test_initialisation_is_drawn_from_the_seed_alone():
    """Every parameter, the embedding tables included, comes from the training seed's generator."""
    torch.manual_seed(1)
    a = MazeAutoencoder(tiny_config())
    init_parameters(a, torch.Generator().manual_seed(7))
    torch.manual_seed(2)
    b = MazeAutoencoder(tiny_config())
    init_parameters(b, torch.Generator().manual_seed(7))
    for (name, x), y in zip(a.state_dict().items(), b.state_dict().values(), strict=True):
        assert torch.equal(x, y), name
    assert a.decoder.context.weight.std() < 0.2 and not a.decoder.direct.weight.any()


def test_ae_code_noise_and_penalty_train_what_they_say():
    """The AE's training noise is drawn around its code, its penalty is the code's squared norm
    over two, and its sampling Gaussian takes the noise's variance on top of the codes'."""
    from generators.training import TrainConfig

    model = tiny_model("ae").train()
    walls = torch.from_numpy(
        make_generator("backtracker", size=5).generate_walls(64, np.random.default_rng(0))
    )
    walls = walls.float()
    quiet = model(walls)
    torch.testing.assert_close(quiet["z"], quiet["mu"])
    noisy = model(walls, generator=torch.Generator().manual_seed(1), code_noise=0.5)
    spread = (noisy["z"] - noisy["mu"]).std().item()
    assert 0.45 < spread < 0.55, spread
    plain = model.loss(walls, quiet)
    penalised = model.loss(walls, quiet, code_penalty=0.3)
    expected = 0.3 * 0.5 * quiet["mu"].pow(2).sum(1).mean()
    torch.testing.assert_close(penalised["total"] - plain["total"], expected)
    assert float(penalised["kl"]) == 0.0

    codes = torch.randn(500, model.cfg.latent_dim, generator=torch.Generator().manual_seed(2)) * 2 + 1
    model.fit_prior(codes, noise=0.5)
    cov = model.prior_scale_tril @ model.prior_scale_tril.T
    want = torch.cov(codes.T) + (0.25 + 1e-5) * torch.eye(model.cfg.latent_dim)
    torch.testing.assert_close(cov, want, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(model.prior_mean, codes.mean(0))

    vae = tiny_model("vae")
    with pytest.raises(ValueError, match="code_noise is for the AE"):
        vae(walls, code_noise=0.5)
    with pytest.raises(ValueError, match="code_penalty is for the AE"):
        vae.loss(walls, vae(walls), code_penalty=0.1)
    with pytest.raises(ValueError, match="code_noise and code_penalty are for the AE"):
        TrainConfig(kind="vae", code_noise=0.5)
    with pytest.raises(ValueError, match="noise must be a standard deviation >= 0"):
        model.fit_prior(codes, noise=-1.0)


def test_ae_likelihood_bound_draws_around_its_codes():
    """An AE with the depth-first decoder is scored as the model it samples from: its fitted
    Gaussian and its decoder. The bound is finite, tightens (on average) with more draws, and
    needs a proposal width; a VAE refuses one."""
    from generators.likelihood import iwae_nll

    model = tiny_model("ae").eval()
    walls = make_generator("backtracker", size=5).generate_walls(40, np.random.default_rng(3))
    with torch.no_grad():
        model.fit_prior(model.encode(torch.from_numpy(walls).float())[0], noise=0.5)
    with pytest.raises(ValueError, match="needs a proposal_std > 0"):
        iwae_nll(model, walls, 4, torch.Generator().manual_seed(0))
    one = iwae_nll(model, walls, 1, torch.Generator().manual_seed(0), proposal_std=0.5)
    many = iwae_nll(model, walls, 64, torch.Generator().manual_seed(0), proposal_std=0.5)
    assert np.isfinite(one).all() and (one > 0).all()
    assert many.mean() < one.mean()
    with pytest.raises(ValueError, match="proposal_std is for the AE"):
        iwae_nll(tiny_model("vae"), walls, 4, torch.Generator().manual_seed(0), proposal_std=0.5)


# --------------------------------------------------------------------- decision temperature
def test_drawn_decisions_at_a_temperature_use_the_logit_divided_by_it():
    # Each drawn decision is open exactly when its uniform is below sigmoid(-logit / T), the
    # logit being the one teacher forcing computes for the drawn maze's own walk.
    model = tiny_model(size=(4, 4))
    lat = lattice(4, 4)
    rng = np.random.default_rng(3)
    z = torch.randn((300, model.cfg.latent_dim), generator=torch.Generator().manual_seed(3))
    u = rng.random((300, lat.num_edges))
    for temperature in (1.0, 0.5, 2.0):
        walls = model.decode(z, u=u, temperature=temperature).numpy() > 0
        opened = lat.passages_from_walls(walls).astype(bool)
        _, codes = walk_features(opened, (4, 4))
        decided = codes >= 0
        logits = (
            model.passage_logits(model.teacher_logits(z, torch.from_numpy(walls).float())).detach().numpy()
        )
        want = u < 1 / (1 + np.exp(logits / temperature))
        assert decided.sum() > 1000
        assert np.array_equal(opened[decided], want[decided])
    # Greedy decoding has no draws to sharpen: the temperature changes nothing there.
    assert torch.equal(model.decode(z, temperature=0.5), model.decode(z))


def test_decision_temperature_rides_in_the_model_file(tmp_path):
    model = tiny_model()
    path = tmp_path / "vae.safetensors"
    save_model(model, path)
    assert load_model(path).decision_temperature == 1.0
    model.decision_temperature = 0.7
    save_model(model, path)
    assert load_model(path).decision_temperature == 0.7
    gen = make_generator("vae", size=5, model=path)
    assert gen.decision_temperature == 0.7 and gen.config()["decision_temperature"] is None
    rng = np.random.default_rng
    at_one = make_generator("vae", size=5, model=path, decision_temperature=1.0)
    own, ones = gen.generate_walls(200, rng(0)), at_one.generate_walls(200, rng(0))
    assert (own != ones).any(axis=(1, 2)).mean() > 0.3  # the file's temperature is used
    assert is_perfect(own).all()
    # Surer decisions: fewer distinct mazes than at temperature 1, from the same noise.
    sharp = make_generator("vae", size=5, model=path, decision_temperature=0.05).generate_walls(200, rng(0))
    assert len({w.tobytes() for w in sharp}) < len({w.tobytes() for w in ones})
    # A batch is the same mazes as single draws at any temperature.
    gen_rng = rng(9)
    singles = np.stack([gen.generate(gen_rng).walls for _ in range(12)])
    assert np.array_equal(gen.generate_walls(12, rng(9)), singles)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (
            {"decision_temperature": 0.0},
            r"decision_temperature must be a finite number in \(0.0, 4.0\], got 0.0",
        ),
        (
            {"decision_temperature": -1},
            r"decision_temperature must be a finite number in \(0.0, 4.0\], got -1",
        ),
        ({"decision_temperature": float("nan")}, r"decision_temperature must be a finite number"),
        (
            {"decision_temperature": 5.0},
            r"decision_temperature must be a finite number in \(0.0, 4.0\], got 5.0",
        ),
        (
            {"decision_temperature": 0.5, "decoding": "greedy"},
            r"applies to drawn decisions.*decoding='greedy'",
        ),
    ],
)
def test_decision_temperature_is_checked(tmp_path, kwargs, match):
    path = tmp_path / "vae.safetensors"
    save_model(tiny_model(), path)
    with pytest.raises(ValueError, match=match):
        make_generator("vae", size=5, model=path, **kwargs)


def test_decision_temperature_in_a_file_is_checked(tmp_path):
    from safetensors.torch import load_file, save_file

    path = tmp_path / "vae.safetensors"
    save_model(tiny_model(), path)
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as f:
        metadata = f.metadata()
    state = load_file(str(path))
    for bad in ("0", "-0.5", "nan", "warm", "9"):
        save_file(state, str(path), metadata={**metadata, "decision_temperature": bad})
        with pytest.raises(
            ValueError, match=rf"decision_temperature '{bad}' in its metadata must be a number"
        ):
            load_model(path)
    greedy = MazeAutoencoder(ModelConfig(size=(5, 5), latent_dim=4, hidden=8, decoder="ar"))
    greedy_path = tmp_path / "ar.safetensors"
    save_model(greedy, greedy_path)
    with safe_open(str(greedy_path), framework="pt") as f:
        metadata = f.metadata()
    save_file(
        load_file(str(greedy_path)), str(greedy_path), metadata={**metadata, "decision_temperature": "0.5"}
    )
    with pytest.raises(ValueError, match=r"decision_temperature 0.5 is for a model that draws its decisions"):
        load_model(greedy_path)


def test_likelihood_bound_at_a_temperature_scores_the_sharpened_decisions():
    from generators.likelihood import iwae_nll

    model = tiny_model()
    walls = make_generator("backtracker", size=5).generate_walls(40, np.random.default_rng(0))
    gen = torch.Generator
    base = iwae_nll(model, walls, 8, gen().manual_seed(1))
    assert np.array_equal(iwae_nll(model, walls, 8, gen().manual_seed(1), temperature=1.0), base)
    # A temperature changes every decided passage's probability, so every maze's bound moves.
    sharp = iwae_nll(model, walls, 8, gen().manual_seed(1), temperature=0.5)
    assert np.isfinite(sharp).all() and (sharp != base).all()


def test_a_temperature_moves_from_1_only_when_clearly_harder_to_tell_apart():
    from generators.training import _clearly_lower

    assert _clearly_lower(0.66, 1333, 0.73, 1333)  # the short Kruskal model's 1 -> 0.7
    assert not _clearly_lower(0.525, 1333, 0.555, 1333)  # within the classifiers' noise
    assert not _clearly_lower(0.70, 1333, 0.66, 1333)


# Slow: it fits and confirms the sampling settings of a trained model (4-10 s).
@pytest.mark.slow
def test_fit_sampling_chooses_then_confirms():
    """Every density and temperature is tried on the reference mazes; a candidate other than the
    model's own is kept only when the confirming mazes say so; the model is left sampling at
    what was kept, and the fit repeats from its seed."""
    from generators.training import _clearly_lower, fit_sampling, posterior_draws

    gen = make_generator("backtracker", size=5)
    reference = gen.generate_walls(300, np.random.default_rng(0))
    confirm = gen.generate_walls(300, np.random.default_rng(1))
    train = gen.generate_walls(200, np.random.default_rng(2))
    settings = {"seed": 0, "temperatures": (1.0, 0.6, 0.3), "epochs": 2}
    model = tiny_model()
    codes = posterior_draws(model, train, seed=0)
    assert codes.shape == (200, model.cfg.latent_dim)
    torch.testing.assert_close(posterior_draws(model, train, seed=0), codes)  # its own seed stream
    lines = []
    fit = fit_sampling(model, reference, confirm, codes=codes, log=lines.append, **settings)
    rows = fit.rows
    choose = [r for r in rows if r["stage"] == "choose"]
    assert [(r["density"], r["temperature"]) for r in choose] == [
        (d, t) for d in ("prior", "posterior Gaussian") for t in (1.0, 0.6, 0.3)
    ]
    assert all(r["best"] == max(r["mlp_motifs"], r["cnn_walls"]) for r in rows)
    best = min(choose, key=lambda r: (r["best"], r["density"] != "prior", abs(r["temperature"] - 1)))
    confirm_rows = [r for r in rows if r["stage"] == "confirm"]
    if (best["density"], best["temperature"]) == ("prior", 1.0):  # nothing to confirm
        assert (fit.density, fit.temperature) == ("prior", 1.0) and not confirm_rows
    else:  # the model's own and the candidate, on the confirmation mazes
        own, again = confirm_rows
        assert (own["density"], own["temperature"]) == ("prior", 1.0)
        assert (again["density"], again["temperature"]) == (best["density"], best["temperature"])
        clear = _clearly_lower(again["best"], again["n_test"], own["best"], own["n_test"])
        want = (best["density"], best["temperature"]) if clear else ("prior", 1.0)
        assert (fit.density, fit.temperature) == want
    assert len(lines) == len(rows)
    assert model.decision_temperature == fit.temperature
    fitted = MazeAutoencoder(model.cfg)
    fitted.fit_prior(codes)
    if fit.density == "prior":
        assert model.has_standard_prior()
    else:
        torch.testing.assert_close(model.prior_scale_tril, fitted.prior_scale_tril)
    # the fit repeats from its seed
    again_model = tiny_model()
    assert fit_sampling(again_model, reference, confirm, codes=codes, log=lambda _: None, **settings) == fit
    # the AE has one density, its fitted Gaussian; only a VAE's posterior draws add one
    with pytest.raises(ValueError, match="the AE's prior is already fitted to its codes"):
        fit_sampling(tiny_model("ae"), reference, confirm, codes=codes, **settings)
    with pytest.raises(ValueError, match="posterior_draws needs a VAE"):
        posterior_draws(tiny_model("ae"), train, seed=0)
    with pytest.raises(ValueError, match="needs at least one maze, got none"):
        posterior_draws(tiny_model(), train[:0], seed=0)
    greedy = MazeAutoencoder(ModelConfig(size=(5, 5), latent_dim=4, hidden=8, decoder="ar"))
    assert fit_sampling(greedy, reference, confirm, seed=0).rows == []
    with pytest.raises(ValueError, match="for models that draw their decisions"):
        fit_sampling(greedy, reference, confirm, seed=0, codes=codes)


def test_a_vae_with_a_fitted_gaussian_serves_codes_from_it(tmp_path):
    """A VAE whose file carries a fitted Gaussian samples its codes from it: the generator maps
    noise through its mean and Cholesky factor, and the file round-trips it."""
    model = tiny_model()
    codes = torch.randn(400, 50, generator=torch.Generator().manual_seed(0)) * 0.5 + 0.25
    model.fit_prior(codes)
    path = tmp_path / "vae.safetensors"
    save_model(model, path)
    loaded = load_model(path)
    torch.testing.assert_close(loaded.prior_mean, model.prior_mean)
    torch.testing.assert_close(loaded.prior_scale_tril, model.prior_scale_tril)
    gen = make_generator("vae", size=5, model=path)
    eps = np.random.default_rng(1).standard_normal((8, 50))
    want = model.prior_mean.double().numpy() + eps @ model.prior_scale_tril.double().numpy().T
    np.testing.assert_allclose(gen.codes_from_noise(eps), want, rtol=1e-5, atol=1e-5)
    walls = gen.generate_walls(50, np.random.default_rng(2))
    assert is_perfect(walls).all()
    # sampling="normal" keeps N(0, I), the prior the VAE was trained against
    normal = make_generator("vae", size=5, model=path, sampling="normal", temperature=0.5)
    np.testing.assert_allclose(normal.codes_from_noise(eps), 0.5 * eps)
    with pytest.raises(ValueError, match=r"codes must be float\[B, 50\] with B >= 2, got shape \(1, 50\)"):
        model.fit_prior(codes[:1])


@pytest.mark.slow
def test_sampling_fit_benchmark_fits_and_writes_a_model(tmp_path, monkeypatch, capsys):
    import json

    from benchmarks.sampling_fit import main
    from generators.dataset import DatasetConfig

    monkeypatch.setenv("DAEDALUS_GYM_CACHE", str(tmp_path / "cache"))
    path = tmp_path / "vae.safetensors"
    save_model(tiny_model(), path)
    dataset = DatasetConfig(generator="backtracker", size=(5, 5), n_train=200, n_val=300, seed=0)
    card = {
        "dataset_config": dataset.to_dict(),
        "train_config": {"seed": 0},
        "weights_dtype": "float32",
        "decision_temperature_fit": [],
    }
    path.with_suffix(".json").write_text(json.dumps(card))
    assert main(["--model", str(path)]) == 0
    assert "decision temperature" in capsys.readouterr().out
    assert load_model(path).decision_temperature == 1.0  # nothing written without --write
    assert load_model(path).has_standard_prior()
    assert main(["--model", str(path), "--write"]) == 0
    written = json.loads(path.with_suffix(".json").read_text())
    assert "decision_temperature_fit" not in written
    assert sum(r["stage"] == "choose" for r in written["sampling_fit"]) == 12
    loaded = load_model(path)
    assert loaded.decision_temperature == written["decision_temperature"]
    assert loaded.has_standard_prior() == (written["sampling_density"] == "prior")


def test_teacher_walk_stops_where_its_window_says():
    """With a goal-depth window the teacher walk stops where a drawn walk making the same
    decisions stops: a maze whose path is inside the window is walked whole, any other only
    partly, the part it walks as the whole walk walks it."""
    size = (7, 7)
    gen = make_generator("backtracker", size=size)
    mazes = gen.generate_batch(200, np.random.default_rng(3))
    depth = np.array([m.shortest_path_length() // 2 for m in mazes])  # cell steps
    lo, hi = np.percentile(depth, [30, 70]).astype(np.int64)
    window = np.tile([lo, hi], (len(mazes), 1))
    opened = lattice(*size).passages_from_walls(np.stack([m.walls for m in mazes]))
    cells, codes = walk_features(opened, size)
    part_cells, part_codes = walk_features(opened, size, window=window)
    inside = (depth >= lo) & (depth <= hi)
    assert 0 < inside.sum() < len(mazes)
    assert np.array_equal(part_cells[inside], cells[inside]) and np.array_equal(
        part_codes[inside], codes[inside]
    )
    walked = part_cells[~inside] >= 0
    assert (walked.sum(1) < (cells[~inside] >= 0).sum(1)).all()
    assert np.array_equal(part_cells[~inside][walked], cells[~inside][walked])
    assert np.array_equal(part_codes[~inside][walked], codes[~inside][walked])
