"""The path head: training by the real command, its file, its features, and the steering it gives.

A head is trained for a copy of the shipped 7x7 VAE (a few seconds) by ``daedalus-gym
train-path-head``; everything else runs on it.
"""

from __future__ import annotations

import json
import pickle
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from daedalus_gym.cli import main
from generators import is_perfect, make_generator
from generators.control import calibrate, measure
from generators.dfs_decoder import _run_walks, walk_features
from generators.learned import pretrained_path
from generators.path_head import PathHead, head_path, load_head, save_head

# Slow: the module trains a head with the real command (once per test worker), for an opt-in
# steering of the learned search.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def headed(tmp_path_factory) -> Path:
    """A copy of the shipped 7x7 VAE with a head trained for it by the real command."""
    folder = tmp_path_factory.mktemp("head")
    model = folder / "vae-7x7.safetensors"
    shutil.copy(pretrained_path("vae", (7, 7)), model)
    argv = ["train-path-head", "vae", "--size", "7", "--model", str(model), "--steps", "150"]
    assert main([*argv, "--batch", "128", "--held-out", "512", "--threads", "1"]) == 0
    return model


def _draw(gen, n: int, seed: int, target: int | None):
    """``n`` walks of ``gen`` (fresh codes), told ``target`` (None: the model's own walks)."""
    rng = np.random.default_rng(seed)
    codes = rng.standard_normal((n, gen.latent_dim))
    decisions = rng.standard_normal((n, gen.noise_dim - gen.latent_dim))
    depths = None if target is None else np.full(n, target)
    return gen.drawn_walks(codes, decisions, np.arange(n), np.full((n, 2), -1), depths)


def test_command_writes_the_head_and_its_card(headed: Path) -> None:
    weights = head_path(headed)
    assert weights.name == "vae-7x7.path.safetensors" and weights.is_file()
    card = json.loads(weights.with_name("vae-7x7.path.json").read_text())
    assert card["command"].startswith("daedalus-gym train-path-head vae --size 7 --model ")
    assert card["settings"]["steps"] == 150 and len(card["history"]) >= 1
    held = card["held_out"]
    # Told its path, a maze's decisions are likelier than under the model alone.
    assert held["head_nats_per_maze"] < held["model_nats_per_maze"]
    gen = make_generator("vae", size=7, model=str(headed))
    assert isinstance(gen.path_head(), PathHead)
    assert make_generator("vae", size=7, model=str(headed), decision_temperature=0.6).path_head() is None


def test_the_heads_features_are_the_walks_features(headed: Path) -> None:
    # The teacher-forced walk told a maze's goal depth gives every decision the code and logit
    # the drawn walk gave it: training sees what decoding does.
    gen = make_generator("vae", size=7, model=str(headed))
    head = gen.path_head()
    rng = np.random.default_rng(0)
    n = 64
    with torch.no_grad():
        emb = gen.model.decoder.embeddings(
            torch.from_numpy(gen.codes_from_noise(rng.standard_normal((n, gen.latent_dim)))).float()
        )
    u = rng.random((n, gen.noise_dim - gen.latent_dim))
    target = rng.integers(6, 30, n)
    codes, logits, opened, _ = _run_walks(
        emb.numpy(), head.walk_tables(), (7, 7), 0.0, u, np.arange(n), None, target
    )
    cells, teacher = walk_features(opened, (7, 7), target)
    assert np.array_equal(teacher, codes)
    assert (codes[codes >= 0] >= 4096).all()  # told a target, no decision is in bucket 0
    decided = codes >= 0
    with torch.no_grad():
        again = head.decision_logits(emb, torch.from_numpy(cells), torch.from_numpy(teacher)).double().numpy()
    assert np.allclose(again[decided], logits[decided], atol=1e-4)


def test_slack_bucket_of_the_passage_into_the_goal() -> None:
    # The passage that opens the goal cell is decided (or forced) at depth T - 1 with Manhattan
    # distance 0: told T its slack is 0 (bucket 3), told T - 1 it is -1 (bucket 2), T + 2: 2 (bucket 4).
    size = (7, 7)
    gen = make_generator("backtracker", size=size)
    from generators.lattice import lattice

    lat = lattice(*size)
    opened = lat.passages_from_walls(gen.generate_walls(200, np.random.default_rng(1)))
    depth = measure(gen, lat.walls_from_passages(opened), ("path_length",))["path_length"] // 2
    goal = size[0] * size[1] - 1
    into = np.array([e for e in lat.neighbor_edge[goal] if e >= 0])
    for told, bucket in ((depth, 3), (depth - 1, 2), (depth + 2, 4)):
        _, codes = walk_features(opened, size, told.astype(np.int64))
        for b in range(len(opened)):
            e = into[opened[b, into]][0] if opened[b, into].sum() == 1 else None
            if e is None or codes[b, e] < 0:
                continue  # a forced passage has no code
            assert codes[b, e] // 4096 == bucket


def test_a_head_steers_walks_to_the_path_asked(headed: Path) -> None:
    gen = make_generator("vae", size=7, model=str(headed))
    _, own = _draw(gen, 2000, 0, None)
    for q in (0.1, 0.5):
        target = int(np.quantile(own, q))
        hit_model = np.mean(np.abs(own - target) <= 1)
        _, told = _draw(gen, 2000, 1, target)
        assert np.mean(np.abs(told - target) <= 1) > hit_model + 0.1, q


def test_steered_search_serves_perfect_on_target_head_walks(headed: Path) -> None:
    base = make_generator("vae", size=7, model=str(headed))
    cal = calibrate(base)
    for q in (0.05, 0.5):
        target = {"path_length": cal.quantile("path_length", q)}
        gen = make_generator("vae", size=7, model=str(headed), target=target, path_head=True)
        walls, err, built, noise, told = gen._search_walks([np.random.default_rng(s) for s in range(32)])
        assert is_perfect(walls).all() and np.median(err) <= 0.05
        assert np.array_equal(err, gen._error(measure(gen, walls, ("path_length",))))
        # Each served maze is the head's walk for its noise, told a depth in the tolerance of
        # the target, of the corner path's parity.
        path, tol = target["path_length"], gen._tolerance()
        assert (np.abs(2 * told - path) <= tol * path).all() and ((told - 12) % 2 == 0).all()
        opened, _ = base.drawn_walks(
            noise[:, : base.latent_dim],
            noise[:, base.latent_dim :],
            np.arange(32),
            np.full((32, 2), -1),
            told,
        )
        assert np.array_equal(walls, base.walls_from_walks(opened))
        # Most mazes are served by their first head walk, and the rest of their round is not drawn.
        assert built.min() >= 1 and (built == 1).mean() >= 0.5


def test_head_files_are_checked(headed: Path, tmp_path: Path) -> None:
    gen = make_generator("vae", size=7, model=str(headed))
    units = gen.model.cfg.ar_hidden
    # A head is for the exact model file it was trained on.
    other = tmp_path / "other.safetensors"
    shutil.copy(pretrained_path("vae", (7, 7)), other)
    with other.open("ab") as f:
        f.write(b" ")
    with pytest.raises(ValueError, match="trained for a model file with SHA-256"):
        load_head(head_path(headed), other, units)
    with pytest.raises(ValueError, match="not a readable safetensors file"):
        bad = tmp_path / "bad.path.safetensors"
        bad.write_bytes(b"not a file")
        load_head(bad, headed, units)
    with pytest.raises(FileNotFoundError):
        load_head(tmp_path / "none.path.safetensors", headed, units)
    # Values that are not finite are refused.
    head = load_head(head_path(headed), headed, units)
    with torch.no_grad():
        head.direct.weight[3, 0] = float("nan")
    save_head(head, tmp_path / "nan.path.safetensors", headed)
    with pytest.raises(ValueError, match="finite"):
        load_head(tmp_path / "nan.path.safetensors", headed, units)
    # A file that is not a head says so.
    with pytest.raises(ValueError, match="not a Daedalus-Gym path head"):
        load_head(headed, headed, units)


def test_bad_targets_and_missing_heads_are_clear_errors(headed: Path) -> None:
    gen = make_generator("vae", size=7, model=str(headed))
    with pytest.raises(ValueError, match="goal depths of at least 1"):
        _draw(gen, 4, 0, 0)
    codes, decisions = np.zeros((1, gen.latent_dim)), np.zeros((4, gen.noise_dim - gen.latent_dim))
    with pytest.raises(ValueError, match="target must be int"):
        gen.drawn_walks(codes, decisions, np.zeros(4, int), np.full((4, 2), -1), np.ones(3, int))
    cold = make_generator("vae", size=7, model=str(headed), decision_temperature=0.6)
    with pytest.raises(ValueError, match="train-path-head"):
        _draw(cold, 4, 0, 10)
    with pytest.raises(ValueError, match="steps must be an integer"):
        from generators.path_head import train_path_head

        train_path_head(gen, steps=0)


def test_pickled_generator_finds_its_head_again(headed: Path) -> None:
    gen = make_generator("vae", size=7, model=str(headed))
    assert gen.path_head() is not None
    again = pickle.loads(pickle.dumps(gen))
    assert "_path_head" not in again.__dict__ and again.path_head() is not None
    _, a = _draw(gen, 50, 3, 12)
    _, b = _draw(again, 50, 3, 12)
    assert np.array_equal(a, b)


def test_path_head_option_of_the_controlled_generator(headed: Path) -> None:
    target = {"path_length": 30}
    plain = make_generator("vae", size=7, model=str(headed), target=target)
    assert not plain.steered() and "path_head" not in plain.config()  # the model's own walks by default
    gen = make_generator("vae", size=7, model=str(headed), target=target, path_head=True)
    assert gen.steered() and gen.config()["path_head"] is True
    assert make_generator(**gen.config()).steered()
    # A dead-ends target is not a path: the head does not apply to it.
    assert not make_generator(
        "vae", size=7, model=str(headed), target={"dead_ends": 0.2}, path_head=True
    ).steered()
    # Steered and plain searches serve different mazes for the same seeds, both on target.
    a, err_a, _ = gen.search_seeds(np.arange(16))
    b, err_b, _ = plain.search_seeds(np.arange(16))
    assert not np.array_equal(a, b) and np.median(err_a) <= 0.1 and np.median(err_b) <= 0.1
    with pytest.raises(ValueError, match="path_head=True needs"):
        make_generator("backtracker", size=7, target=target, path_head=True)
    with pytest.raises(ValueError, match="path_head=True needs"):
        make_generator(
            "vae", size=7, model=str(headed), target=target, decision_temperature=0.6, path_head=True
        )
    with pytest.raises(ValueError, match="path_head must be True or False"):
        make_generator("vae", size=7, model=str(headed), target=target, path_head="yes")
    with pytest.raises(ValueError, match="applies to difficulty control"):
        make_generator("vae", size=7, model=str(headed), path_head=True)


def test_bench_control_steers_the_learned_rows_with_their_heads(tmp_path: Path) -> None:
    argv = ["bench-control", "--out", str(tmp_path), "--generators", "vae", "--sizes", "7", "--mazes", "8"]
    argv += ["--inside", "2", "--beyond", "0", "--bins", "2", "--episodes", "2", "--agents", "oracle"]
    assert main([*argv, "--repeats", "1", "--path-head"]) == 0
    report = json.loads((tmp_path / "control.json").read_text())
    assert report["settings"]["path_head"] is True
    # Steered path rows start with 2 walks a maze (the plain search with 8), dead-end rows with 8.
    path = [t for t in report["targets"] if t["metric"] == "path_length"]
    dead = [t for t in report["targets"] if t["metric"] == "dead_ends"]
    assert min(t["candidates"] for t in path) < 8 and min(t["candidates"] for t in dead) >= 8
    assert all(t["perfect"] == 100 and t["error"] <= 0.1 for t in path)


def test_steered_paths_spread_over_the_tolerance_as_the_models_own_do() -> None:
    # The shipped 14x14 VAE at its median path: the window holds three path lengths, and the head's
    # walks are told each in proportion to the model's own mazes there, so the served paths spread
    # over them as the model's own do (one told depth would serve the target alone).
    base = make_generator("vae")
    target = 160
    gen = make_generator("vae", target={"path_length": target}, path_head=True)
    depths, weights = gen._told_depths(gen._tolerance())
    assert np.array_equal(2 * depths, [156, 160, 164]) and weights.sum() == pytest.approx(1.0)
    served = measure(gen, gen.generate_walls(300, np.random.default_rng(0)))["path_length"]
    own = measure(base, base.generate_walls(6000, np.random.default_rng(1)))["path_length"]
    own = own[np.abs(own - target) <= gen._tolerance() * target]
    assert len(own) >= 300 and set(np.unique(served)) == {156, 160, 164}
    for path in (156, 160, 164):
        assert abs((served == path).mean() - (own == path).mean()) < 0.1, path
    # Beyond the calibration sample the weights are still finite (log densities, no underflow).
    far = calibrate(base).reachable("path_length")[1]
    gen = make_generator("vae", target={"path_length": far}, path_head=True)
    depths, weights = gen._told_depths(gen._tolerance())
    assert len(depths) >= 2 and np.isfinite(weights).all() and weights.sum() == pytest.approx(1.0)
