"""Damaged or hostile model files are refused at load, naming the file and the tensor."""

from __future__ import annotations

import json

import pytest
import torch
from safetensors import safe_open
from safetensors.torch import save_file

from generators import make_generator
from generators.evaluation import _reference_dataset
from generators.models import MazeAutoencoder, ModelConfig, init_parameters, load_model, save_model

CFG = ModelConfig(kind="vae", size=(3, 3), latent_dim=4, hidden=16, depth=1, channels=4)


def _save(tmp_path, name="m.safetensors", dtype="float16"):
    model = MazeAutoencoder(CFG)
    init_parameters(model, torch.Generator().manual_seed(0))
    path = tmp_path / name
    save_model(model, path, dtype=dtype)
    return path


def _rewrite(path, change, metadata_change=None):
    """Read ``path``'s tensors and metadata, apply ``change(state)``, write them back."""
    with safe_open(str(path), framework="pt") as f:
        metadata = f.metadata()
        state = {k: f.get_tensor(k) for k in f.keys()}  # noqa: SIM118
    change(state)
    if metadata_change is not None:
        metadata_change(metadata)
    save_file(state, str(path), metadata=metadata)


def _poison(name, value):
    def change(state):
        state[name][0, 0] = value

    return change


def test_a_sound_file_loads(tmp_path):
    assert load_model(_save(tmp_path)).cfg == CFG


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf")])
def test_non_finite_tensors_are_refused(tmp_path, bad):
    path = _save(tmp_path)
    _rewrite(path, _poison("to_latent.weight", bad))
    with pytest.raises(ValueError, match=r"m\.safetensors.*'to_latent\.weight'.*NaN or infinite"):
        load_model(path)


def test_flipped_data_bytes_are_refused(tmp_path):
    # All-ones bytes in float16 data are NaN: what a flipped high byte typically gives.
    path = _save(tmp_path)
    raw = bytearray(path.read_bytes())
    raw[-2:] = b"\xff\xff"
    path.write_bytes(bytes(raw))
    with pytest.raises(ValueError, match=r"m\.safetensors.*tensor .* NaN or infinite"):
        load_model(path)


@pytest.mark.parametrize("fill", [float("nan"), 0.0, -1.0])
def test_an_invalid_prior_scale_tril_is_refused(tmp_path, fill):
    path = _save(tmp_path)

    def damage(state):
        state["prior_scale_tril"] = torch.eye(4, dtype=state["prior_scale_tril"].dtype) * fill

    _rewrite(path, damage)
    with pytest.raises(ValueError, match=r"m\.safetensors.*'prior_scale_tril'"):
        load_model(path)


def test_an_upper_triangular_prior_scale_is_refused(tmp_path):
    path = _save(tmp_path)

    def damage(state):
        state["prior_scale_tril"] = state["prior_scale_tril"].clone()
        state["prior_scale_tril"][0, 3] = 1.0

    _rewrite(path, damage)
    with pytest.raises(ValueError, match="lower-triangular"):
        load_model(path)


def test_an_integer_tensor_is_refused(tmp_path):
    path = _save(tmp_path)

    def to_int(state):
        state["to_latent.bias"] = state["to_latent.bias"].to(torch.int32)

    _rewrite(path, to_int)
    with pytest.raises(ValueError, match=r"m\.safetensors.*'to_latent\.bias' is I32"):
        load_model(path)


@pytest.mark.parametrize("hidden", [1_000_000, 60_000])
def test_a_huge_config_is_refused_before_anything_is_allocated(tmp_path, hidden):
    # A 1 KB file whose config claims hidden=10^6 made the loader build a 6 GB model first.
    path = tmp_path / "m.safetensors"
    config = {**CFG.to_dict(), "hidden": hidden, "depth": 2}
    metadata = {
        "format": "daedalus-gym-maze-autoencoder",
        "format_version": "1",
        "config": json.dumps(config),
    }
    save_file({"prior_mean": torch.zeros(4)}, str(path), metadata=metadata)
    assert path.stat().st_size < 2048
    with pytest.raises(
        ValueError,
        match=r"m\.safetensors: (model config hidden=1000000 exceeds|its model config .* more than)",
    ):
        load_model(path)


def test_shapes_are_checked_against_the_config(tmp_path):
    path = _save(tmp_path)

    def reshape(state):
        state["to_latent.bias"] = torch.zeros(3, dtype=torch.float16)

    _rewrite(path, reshape)
    with pytest.raises(ValueError, match=r"wrong shapes \['to_latent\.bias"):
        load_model(path)


def test_a_generator_on_a_damaged_file_fails_at_construction(tmp_path):
    # The AE used to fail only at its first reset, naming neither the file nor the tensor.
    path = _save(tmp_path)
    _rewrite(path, _poison("decoder.net.0.weight", float("nan")))
    with pytest.raises(ValueError, match=r"m\.safetensors.*'decoder\.net\.0\.weight'"):
        make_generator("vae", size=3, model=path)


def test_a_model_card_without_dataset_config_gives_a_clear_error(tmp_path):
    path = _save(tmp_path)
    path.with_suffix(".json").write_text(json.dumps({"name": "m", "kind": "vae"}))
    gen = make_generator("vae", size=3, model=path)
    with pytest.raises(ValueError, match=r"m\.json has no 'dataset_config'"):
        _reference_dataset(gen)
