"""Fidelity figures: structure statistics, two-sample tests, likelihood baselines, seed streams."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from generators.dataset import SEED_STREAMS, DatasetConfig, build_dataset, seed_stream
from generators.evaluation import style_stats
from generators.fidelity import on_lattice
from generators.lattice import lattice
from generators.likelihood import FeatureCountTable, iwae_nll, reconstruction, rules_nll
from generators.models import MazeAutoencoder, ModelConfig, init_parameters
from generators.registry import make_generator
from generators.structure import motif_counts, structure_stats
from generators.training import TrainConfig, train
from generators.two_sample import c2st, kolmogorov_p, ks_2samp, wilson_interval


def mazes(name: str, n: int, size: tuple[int, int], seed: int) -> np.ndarray:
    return make_generator(name, size=size).generate_walls(n, np.random.default_rng(seed))


def t_maze() -> np.ndarray:
    """2x3 cells: the top row a corridor, the middle cell joined down; the bottom corners shut.

    Cells (0,0)-(0,1)-(0,2) across, (0,1)-(1,1) down, (1,0)-(1,1) and (1,1)-(1,2) across: (0,1)
    and (1,1) are junctions (degree 3), (0,0), (0,2), (1,0), (1,2) dead ends.
    """
    lat = lattice(2, 3)
    open_edges = np.zeros((1, lat.num_edges), dtype=bool)
    pairs = {(0, 1), (1, 2), (1, 4), (3, 4), (4, 5)}
    for e, (a, b) in enumerate(lat.edges):
        open_edges[0, e] = (int(a), int(b)) in pairs
    return lat.walls_from_passages(open_edges)


def test_dead_ends_and_junctions_are_per_cell() -> None:
    walls = t_maze()
    stats = structure_stats(walls)
    assert stats["dead_end_fraction"][0] == 4 / 6
    assert stats["junction_fraction"][0] == 2 / 6
    style = style_stats(walls)  # the evaluation's own figures use the same definition
    assert style["dead_end_fraction"][0] == 4 / 6 and style["junction_fraction"][0] == 2 / 6
    # start (0,0) to goal (1,2): right, down, right: 3 moves
    assert stats["path_length"][0] == 3
    assert stats["turn_share"][0] == 1.0  # both inner cells of the path turn
    # dead ends off the path: (0,2) joins the path cell (0,1) in one move, (1,0) the path cell (1,1)
    assert stats["spur_length"][0] == 1.0
    assert stats["tree_depth"][0] == pytest.approx((0 + 1 + 2 + 2 + 3 + 3) / 6)
    # quadrants of a 2x3 grid: top rows < 1, left columns < 1
    assert [stats[f"dead_ends_q{q}"][0] for q in range(4)] == [1, 1, 1, 1]
    counts = motif_counts(walls)
    assert counts.shape == (1, 544) and counts[0, :16].sum() == 6 and counts[0, 16:32].sum() == 2


def test_ks_matches_a_direct_computation() -> None:
    rng = np.random.default_rng(3)
    a, b = rng.integers(0, 6, 50).astype(float), rng.integers(1, 7, 70).astype(float)
    direct = max(abs((a <= x).mean() - (b <= x).mean()) for x in np.concatenate([a, b]))
    d, p = ks_2samp(a, b)
    assert d == pytest.approx(direct) and 0.0 <= p <= 1.0
    assert ks_2samp(a, a) == (0.0, 1.0)


def _lam_to_d(lam: float, n_eff: float) -> float:
    """The ``d`` at which `kolmogorov_p` evaluates the Kolmogorov tail at ``lam`` (Stephens' scaling)."""
    return lam / (math.sqrt(n_eff) + 0.12 + 0.11 / math.sqrt(n_eff))


@pytest.mark.parametrize("n_eff", [50.0, 5_000.0, 1e8])
def test_kolmogorov_p_matches_the_kolmogorov_distribution(n_eff: float) -> None:
    # Table values of the Kolmogorov distribution: P(K > 1.2238) = 0.10, P(K > 1.3581) = 0.05,
    # P(K > 1.6276) = 0.01, P(K <= 0.5) = 0.0361, P(K <= 1) = 0.7300.
    for lam, tail in ((1.2238, 0.10), (1.3581, 0.05), (1.6276, 0.01), (0.5, 1 - 0.0361), (1.0, 0.27)):
        assert kolmogorov_p(_lam_to_d(lam, n_eff), n_eff) == pytest.approx(tail, abs=1e-4)
    # For lam <= 0.2, P(K <= lam) <= sqrt(2 pi) / lam * exp(-pi^2 / (8 lam^2)) * 1.01 < 1e-12.
    for lam in (0.0011, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2):
        assert kolmogorov_p(_lam_to_d(lam, n_eff), n_eff) >= 1 - 1e-12, lam
    # A tail probability falls as d grows, across the two series as well.
    lams = np.linspace(0.001, 3.0, 600)
    tails = [kolmogorov_p(_lam_to_d(lam, n_eff), n_eff) for lam in lams]
    assert (np.diff(tails) <= 1e-12).all()


def test_ks_of_two_nearly_equal_samples_is_not_significant() -> None:
    # 4,999 zeros and 5,000 ones against 5,000 of each: D = 1 / (2 * 9,999), so lam is about
    # 0.0035 and P(D > d) is 1 to twelve digits (the bound in the test above).
    a = np.array([0.0] * 4_999 + [1.0] * 5_000)
    b = np.array([0.0] * 5_000 + [1.0] * 5_000)
    d, p = ks_2samp(a, b)
    assert d == pytest.approx(0.5 - 4_999 / 9_999)
    assert p >= 1 - 1e-12


def test_kolmogorov_p_and_wilson_refuse_bad_arguments() -> None:
    with pytest.raises(ValueError, match=r"d must be a finite number in \[0.0, 1.0\], got nan"):
        kolmogorov_p(float("nan"), 10.0)
    with pytest.raises(ValueError, match=r"n_eff must be a finite number in \(0.0, inf\), got 0"):
        kolmogorov_p(0.5, 0)
    with pytest.raises(ValueError, match=r"z must be a finite number in \(0.0, inf\), got nan"):
        wilson_interval(3, 10, float("nan"))
    with pytest.raises(ValueError, match=r"z must be a finite number in \(0.0, inf\), got -1.96"):
        wilson_interval(3, 10, -1.96)


def test_a_fidelity_config_with_too_few_classifier_mazes_is_refused_up_front() -> None:
    from generators.fidelity import FidelityConfig

    # One maze a side leaves c2st nothing to hold out; refused before any maze is drawn.
    with pytest.raises(ValueError, match=r"c2st_n must be at least 2 \(a third of each set .*\), got 1"):
        FidelityConfig(c2st_n=1)
    assert FidelityConfig(c2st_n=2).c2st_n == 2


def test_wilson_interval() -> None:
    low, high = wilson_interval(50, 100)
    assert low < 0.5 < high and high - low == pytest.approx(2 * 1.96 * math.sqrt(0.25 / 100), abs=0.01)


@pytest.mark.slow
def test_c2st_sanity_and_power() -> None:
    size = (6, 6)
    a, b = mazes("backtracker", 400, size, 1), mazes("backtracker", 400, size, 2)
    same = c2st(a, b, np.random.default_rng(0), epochs=6)
    for r in same:
        assert r.ci_low <= 0.5 <= r.ci_high, r
    other = c2st(a, mazes("kruskal", 400, size, 3), np.random.default_rng(0), epochs=6)
    assert max(r.accuracy for r in other) > 0.8


def test_baselines_are_computed() -> None:
    size = (5, 5)
    table = FeatureCountTable.fit(mazes("backtracker", 300, size, 1))
    heldout = mazes("backtracker", 100, size, 2)
    counted = table.nll(heldout)
    rules = rules_nll(heldout, table.rules_open_share())
    assert np.isfinite(counted).all() and np.isfinite(rules).all()
    assert counted.mean() < rules.mean()
    assert 0 < table.entries <= 1024 and 0 < table.rules_open_share() < 1


@pytest.mark.parametrize("decoder", ["ar", "mlp"])
def test_iwae_bound_and_reconstruction(decoder: str) -> None:
    model = MazeAutoencoder(
        ModelConfig(kind="vae", latent_dim=4, hidden=16, depth=1, channels=4, size=(4, 4), decoder=decoder)
    )
    init_parameters(model, torch.Generator().manual_seed(0))
    model.eval()
    walls = mazes("backtracker", 8, (4, 4), 5)
    nll = iwae_nll(model, walls, 16, torch.Generator().manual_seed(1))
    assert nll.shape == (8,) and np.isfinite(nll).all() and (nll > 0).all()
    wrong = reconstruction(model, walls)
    assert wrong.shape == (8,) and ((wrong >= 0) & (wrong <= lattice(4, 4).num_edges)).all()


@pytest.mark.slow
def test_val_kl_is_reported(tmp_path) -> None:
    cfg = TrainConfig(
        kind="vae",
        latent_dim=4,
        hidden=16,
        depth=1,
        channels=4,
        size=(4, 4),
        dataset_size=32,
        val_size=8,
        epochs=1,
        batch_size=16,
        val_samples=4,
        anneal="constant",
    )
    result = train(cfg, progress=False, log=lambda _: None, cache_dir=tmp_path)
    assert result.history[-1]["val_kl"] > 0


def test_evaluation_seeds_are_disjoint_from_training() -> None:
    states = {tuple(seed_stream(p, 0).generate_state(4)) for p in SEED_STREAMS}
    assert len(states) == len(SEED_STREAMS)
    # the splits are the streams they always were: cached and shipped training sets are unchanged
    train_seq, val_seq = np.random.SeedSequence(11).spawn(2)
    assert np.array_equal(train_seq.generate_state(4), seed_stream("train", 11).generate_state(4))
    assert np.array_equal(val_seq.generate_state(4), seed_stream("val", 11).generate_state(4))
    config = DatasetConfig(size=(3, 3), n_train=5, n_val=3, seed=11)
    data = build_dataset(config)
    gen = make_generator("backtracker", size=(3, 3))
    assert np.array_equal(data.train, gen.generate_walls(5, np.random.default_rng(seed_stream("train", 11))))
    for purpose in ("epoch_check", "eval_samples", "eval_reference", "eval_heldout"):
        assert seed_stream(purpose, 11).spawn_key != seed_stream("train", 11).spawn_key
    with pytest.raises(ValueError, match="purpose"):
        seed_stream("nope", 0)


def test_on_lattice() -> None:
    walls = np.concatenate([t_maze(), t_maze()])
    walls[1, 1, 1] = True  # a cell walled in
    assert on_lattice(walls).tolist() == [True, False]


def test_evaluate_names_a_size_mismatch() -> None:
    from generators.evaluation import evaluate

    data = build_dataset(DatasetConfig(size=(4, 4), n_train=8, n_val=2))
    with pytest.raises(ValueError, match="grids"):
        evaluate(make_generator("kruskal", size=(5, 5)), n=4, dataset=data, log=lambda _: None)


@pytest.mark.parametrize("kind", ["vae", "ae"])
def test_fidelity_reports_every_figure(kind: str, tmp_path) -> None:
    from generators.fidelity import FidelityConfig, fidelity
    from generators.models import save_model
    from generators.structure import STAT_NAMES

    model = MazeAutoencoder(
        ModelConfig(kind=kind, latent_dim=4, hidden=16, depth=1, channels=4, size=(4, 4), decoder="ar")
    )
    init_parameters(model, torch.Generator().manual_seed(0))
    save_model(model.eval(), tmp_path / "m.safetensors")
    gen = make_generator(kind, size=(4, 4), model=tmp_path / "m.safetensors")
    data = build_dataset(DatasetConfig(size=(4, 4), n_train=60, n_val=4))
    samples = gen.generate_walls(40, np.random.default_rng(seed_stream("eval_samples", 0)))
    cfg = FidelityConfig(c2st_n=40, c2st_epochs=1, heldout_n=10, iw_samples=4)
    metrics, _ = fidelity(gen, samples, data, config=cfg, log=lambda _: None)
    for name in STAT_NAMES:
        assert {f"ks_{name}", f"mean_{name}", f"ref_mean_{name}"} <= set(metrics)
    for key in ("c2st_best", "c2st_sanity_best", "nll_count_table", "nll_rules_only", "recon_exact_pct"):
        assert metrics[key] is not None, key
    assert (metrics["nll_model"] is not None) == (kind == "vae")
    assert metrics["structure_n"] == 40


def test_fidelity_scores_a_sampling_ae_given_its_code_noise(tmp_path) -> None:
    from generators.fidelity import FidelityConfig, fidelity
    from generators.models import save_model

    cfg = ModelConfig(
        kind="ae", arch="spatial", latent_dim=32, depth=1, channels=4, size=(4, 4), decoder="dfs"
    )
    model = MazeAutoencoder(cfg)
    init_parameters(model, torch.Generator().manual_seed(0))
    save_model(model.eval(), tmp_path / "m.safetensors")
    gen = make_generator("ae", size=(4, 4), model=tmp_path / "m.safetensors")
    data = build_dataset(DatasetConfig(size=(4, 4), n_train=60, n_val=4))
    samples = gen.generate_walls(40, np.random.default_rng(0))
    small = FidelityConfig(c2st_n=40, c2st_epochs=1, heldout_n=10, iw_samples=4)
    scored, _ = fidelity(gen, samples, data, config=small, log=lambda _: None, proposal_std=0.5)
    assert scored["nll_model"] > 0 and "std 0.5" in scored["nll_model_note"]
    unscored, _ = fidelity(gen, samples, data, config=small, log=lambda _: None)
    assert unscored["nll_model"] is None and "without code noise" in unscored["nll_model_note"]
    # Codes on the blog's grid of points: no density to weigh them by.
    grid = make_generator("ae", size=(4, 4), model=tmp_path / "m.safetensors", sampling="grid")
    on_grid, _ = fidelity(grid, samples, data, config=small, log=lambda _: None, proposal_std=0.5)
    assert on_grid["nll_model"] is None and "grid" in on_grid["nll_model_note"]


def test_fidelity_scores_a_vae_as_served_and_as_trained(tmp_path) -> None:
    """A VAE sampling a fitted Gaussian at a decision temperature is scored as served, and its
    own bound (N(0, I), temperature 1) is reported beside it; the two differ."""
    from generators.fidelity import FidelityConfig, fidelity
    from generators.models import save_model

    cfg = ModelConfig(
        kind="vae", arch="spatial", latent_dim=32, depth=1, channels=4, size=(4, 4), decoder="dfs"
    )
    model = MazeAutoencoder(cfg)
    init_parameters(model, torch.Generator().manual_seed(0))
    data = build_dataset(DatasetConfig(size=(4, 4), n_train=60, n_val=4))
    small = FidelityConfig(c2st_n=40, c2st_epochs=1, heldout_n=10, iw_samples=4)
    save_model(model.eval(), tmp_path / "own.safetensors")
    gen = make_generator("vae", size=(4, 4), model=tmp_path / "own.safetensors")
    samples = gen.generate_walls(40, np.random.default_rng(0))
    plain, _ = fidelity(gen, samples, data, config=small, log=lambda _: None)
    assert plain["sampling_density"] == "prior" and "nll_model_own" not in plain
    model.fit_prior(torch.randn(200, 32, generator=torch.Generator().manual_seed(1)) * 0.3 + 0.5)
    model.decision_temperature = 0.7
    save_model(model, tmp_path / "fitted.safetensors")
    gen = make_generator("vae", size=(4, 4), model=tmp_path / "fitted.safetensors")
    served, _ = fidelity(gen, samples, data, config=small, log=lambda _: None)
    assert served["sampling_density"] == "posterior Gaussian" and served["decision_temperature"] == 0.7
    assert "fitted to posterior draws" in served["nll_model_note"]
    assert served["nll_model_own"] == pytest.approx(plain["nll_model"])
    assert served["nll_model"] != pytest.approx(plain["nll_model"])
    # asked for N(0, I), the same file is scored as the prior it was trained against
    gen = make_generator(
        "vae", size=(4, 4), model=tmp_path / "fitted.safetensors", sampling="normal", decision_temperature=1.0
    )
    normal, _ = fidelity(gen, samples, data, config=small, log=lambda _: None)
    assert normal["sampling_density"] == "prior" and "nll_model_own" not in normal
    assert normal["nll_model"] == pytest.approx(plain["nll_model"])
    # Codes drawn at temperature 0.6 are scored at that temperature; the model's own beside it.
    gen = make_generator("vae", size=(4, 4), model=tmp_path / "own.safetensors", temperature=0.6)
    cooler, _ = fidelity(gen, samples, data, config=small, log=lambda _: None)
    assert cooler["code_temperature"] == 0.6 and "codes at temperature 0.6" in cooler["nll_model_note"]
    assert cooler["nll_model_own"] == pytest.approx(plain["nll_model"])
    assert cooler["nll_model"] != pytest.approx(plain["nll_model"])
    frozen = make_generator("vae", size=(4, 4), model=tmp_path / "own.safetensors", temperature=0.0)
    at_zero, _ = fidelity(frozen, samples, data, config=small, log=lambda _: None)
    assert at_zero["nll_model"] is None and "temperature 0" in at_zero["nll_model_note"]


def test_iwae_bound_at_a_code_temperature_is_the_bound_under_the_scaled_gaussian() -> None:
    # Scaling the codes' noise by t weighs them by the sampling Gaussian with its scale times t:
    # the same bound as a copy of the model whose Gaussian was scaled by hand.
    cfg = ModelConfig(
        kind="vae", arch="spatial", latent_dim=32, depth=1, channels=4, size=(4, 4), decoder="dfs"
    )
    model = MazeAutoencoder(cfg)
    init_parameters(model, torch.Generator().manual_seed(0))
    model.eval()
    walls = make_generator("backtracker", size=(4, 4)).generate_walls(6, np.random.default_rng(2))
    scaled = MazeAutoencoder(cfg)
    scaled.load_state_dict(model.state_dict())
    scaled.eval()
    with torch.no_grad():
        scaled.prior_scale_tril.mul_(0.6)
    got = iwae_nll(model, walls, 8, torch.Generator().manual_seed(5), code_temperature=0.6)
    want = iwae_nll(scaled, walls, 8, torch.Generator().manual_seed(5))
    np.testing.assert_allclose(got, want, rtol=1e-6)  # the copy scaled its float32 Gaussian
    assert not np.allclose(got, iwae_nll(model, walls, 8, torch.Generator().manual_seed(5)))
    with pytest.raises(ValueError, match="code_temperature"):
        iwae_nll(model, walls, 8, torch.Generator().manual_seed(5), code_temperature=0.0)
