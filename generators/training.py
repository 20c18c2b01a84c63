"""Training loop for the maze AE and VAE.

One `TrainConfig` holds every setting (model, data, optimiser, KL schedule, seed). `train` builds
the dataset (cached), initialises the model from a `torch.Generator` seeded by the config -- no
global seeding anywhere -- and runs Adam with a cosine-decayed learning rate over shuffled
minibatches. A tqdm bar shows the loss terms; after each epoch it reports the validation loss
(the reconstruction decoded from the posterior mean plus the KL term: lower than the negative
ELBO, which decodes a posterior draw as the training loss does, so not comparable with it;
`generators.likelihood` has the held-out bound) and a quick check of prior samples: the share
of decoded, thresholded grids that are solvable and that are perfect mazes, before any repair
(its noise has its own seed stream, apart from the data's and evaluation's:
`generators.dataset.seed_stream`). The AE's sampling Gaussian is fitted
to its training codes at the end.

`save_trained` writes ``<name>.safetensors`` (weights, no pickle) and ``<name>.json`` (the model
card: model and dataset config, seed, the exact command, training time, history, evaluation).

Same config, seed and thread count, same weights bit for bit on the same machine and torch
build (training on the CPU runs torch's deterministic algorithms).
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from generators.base import check_choice, check_int, check_real, config_to_dict
from generators.dataset import DatasetConfig, load_dataset, seed_stream
from generators.lattice import lattice
from generators.maze import is_perfect
from generators.models import (
    MAX_DECISION_TEMPERATURE,
    Anneal,
    MazeAutoencoder,
    ModelConfig,
    init_parameters,
    kl_weight,
    num_parameters,
    save_model,
)
from generators.shortest_paths import solvable
from generators.structure import check_grids
from generators.two_sample import MIN_SET, Z95

CARD_VERSION = 1


# Training's int settings and the least each may be; its real settings and their ranges
# (low, high, whether low is excluded).
_INT_SETTINGS = {
    "dataset_size": 1,
    "val_size": 1,
    "data_seed": 0,
    "epochs": 1,
    "batch_size": 1,
    "cycles": 1,
    "val_samples": 1,
    "seed": 0,
}
_REAL_SETTINGS = {
    "lr": (0.0, math.inf, True),
    "lr_final": (0.0, 1.0, False),
    "weight_decay": (0.0, math.inf, False),
    "beta": (0.0, math.inf, False),
    "ratio": (0.0, 1.0, True),
    "free_bits": (0.0, math.inf, False),
    "code_noise": (0.0, math.inf, False),
    "code_penalty": (0.0, math.inf, False),
    "threshold": (0.0, 1.0, False),
}


@dataclass(frozen=True)
class TrainConfig:
    """Every training setting. `default_config` gives each shipped model's (both: the ``dfs``
    decoder over a spatial code; the VAE at beta 1 with free bits, the AE with code noise).

    Model: see `ModelConfig`. Data: see `DatasetConfig` (``dataset_size`` and ``val_size`` are its
    ``n_train`` / ``n_val``; ``data_seed`` its seed). Optimisation: Adam with ``lr`` decayed by a
    cosine to ``lr * lr_final`` when ``lr_schedule="cosine"``. KL weight: `models.kl_weight`
    with ``anneal``, ``beta``, ``cycles``, ``ratio``; ``free_bits`` nats per latent unit.
    AE only: ``code_noise``, the standard deviation of Gaussian noise added to every code unit in
    training (the decoder learns the codes' neighbourhoods, not points), and ``code_penalty``,
    the weight of ``||code||^2 / 2`` in the loss (it keeps the codes from outgrowing the noise).
    ``threshold``: wall probability above which a decoded cell is a wall (validation only).
    """

    kind: str = "vae"
    arch: str = "conv"
    latent_dim: int = 128
    hidden: int = 1024
    depth: int = 2
    channels: int = 16
    output: str = "passages"
    recon_loss: str = "bce"
    decoder: str = "mlp"
    ar_hidden: int = 16
    generator: str = "backtracker"
    size: tuple[int, int] = (14, 14)
    dataset_size: int = 100_000
    val_size: int = 2_000
    data_seed: int = 0
    epochs: int = 30
    batch_size: int = 256
    lr: float = 1e-3
    lr_schedule: str = "cosine"
    lr_final: float = 0.02
    weight_decay: float = 0.0
    anneal: Anneal = "monotonic"
    beta: float = 1.0
    cycles: int = 4
    ratio: float = 0.5
    free_bits: float = 0.0
    code_noise: float = 0.0
    code_penalty: float = 0.0
    threshold: float = 0.5
    val_samples: int = 1_000
    seed: int = 0
    preset: str | None = None

    def __post_init__(self) -> None:
        # The model's and the data's settings are checked by `ModelConfig` and `DatasetConfig`
        # (`train` builds both before it starts); these are training's own.
        check_choice(self.kind, "kind", ("ae", "vae"))
        for name, low in _INT_SETTINGS.items():
            check_int(getattr(self, name), name, low)
        for name, (low, high, low_open) in _REAL_SETTINGS.items():
            check_real(getattr(self, name), name, low, high, low_open=low_open)
        check_choice(self.lr_schedule, "lr_schedule", ("cosine", "constant"))
        check_choice(self.anneal, "anneal", ("constant", "monotonic", "cyclical"))
        if self.preset is not None:
            check_choice(self.preset, "preset", tuple(PRESETS))
        if self.kind == "vae" and (self.code_noise or self.code_penalty):
            raise ValueError(
                f"code_noise and code_penalty are for the AE; the VAE has its posterior noise and KL "
                f"term, got code_noise={self.code_noise!r}, code_penalty={self.code_penalty!r}"
            )

    def model_config(self) -> ModelConfig:
        return ModelConfig(**{name: getattr(self, name) for name in ModelConfig.__dataclass_fields__})

    def dataset_config(self) -> DatasetConfig:
        return DatasetConfig(
            generator=self.generator,
            size=self.size,
            n_train=self.dataset_size,
            n_val=self.val_size,
            seed=self.data_seed,
        )

    def to_dict(self) -> dict[str, Any]:
        return config_to_dict(self)


# The blog's setup: MLP 784-512-2 autoencoder, MSE on the full grid, 1,280 mazes, batch 128,
# Adam 3e-4 for 40 epochs, threshold 0.5.
PRESETS: dict[str, dict[str, Any]] = {
    "blog": {
        "arch": "mlp",
        "latent_dim": 2,
        "hidden": 512,
        "depth": 1,
        "output": "grid",
        "decoder": "mlp",
        "recon_loss": "mse",
        "dataset_size": 1_280,
        "batch_size": 128,
        "lr": 3e-4,
        "lr_schedule": "constant",
        "epochs": 40,
        "anneal": "constant",
        "threshold": 0.5,
    },
}


# What `daedalus-gym train <kind>` starts from: the shipped model's settings for that kind.
SHIPPED: dict[str, dict[str, Any]] = {
    "ae": {
        "arch": "spatial",
        "decoder": "dfs",
        "latent_dim": 2 * 14 * 14,
        "channels": 32,
        "depth": 2,
        "ar_hidden": 32,
        "dataset_size": 50_000,
        "epochs": 6,
        "lr": 2e-3,
        "anneal": "constant",
        "code_noise": 0.9,
        "code_penalty": 0.5,
    },
    "vae": {
        "arch": "spatial",
        "decoder": "dfs",
        "latent_dim": 2 * 14 * 14,  # two channels per cell at 14x14; scaled with --size
        "channels": 32,
        "depth": 2,
        "ar_hidden": 32,
        "epochs": 14,
        "lr": 2e-3,
        "anneal": "constant",
        "beta": 1.0,
        "free_bits": 0.12,
    },
}


def default_config(kind: str) -> TrainConfig:
    """The settings the shipped model of ``kind`` (``"ae"`` or ``"vae"``) was trained with."""
    if not isinstance(kind, str) or kind not in SHIPPED:
        raise ValueError(f"kind must be one of {sorted(SHIPPED)}, got {kind!r}")
    return replace(TrainConfig(kind=kind), **SHIPPED[kind])


def apply_preset(cfg: TrainConfig, preset: str | None) -> TrainConfig:
    """``cfg`` with the preset's values; ``None`` leaves it as is."""
    if preset is None:
        return cfg
    if not isinstance(preset, str) or preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}; available: {sorted(PRESETS)}")
    return replace(cfg, preset=preset, **PRESETS[preset])


@dataclass
class TrainResult:
    """What `train` returns: the trained model (eval mode), per-epoch history, the wall-clock
    and CPU seconds spent (CPU time summed over threads: on a shared machine it is the fairer
    measure of cost), and its sampling fit (`fit_sampling`; ``None`` for a model that does not
    draw its decisions)."""

    model: MazeAutoencoder
    config: TrainConfig
    history: list[dict[str, float]] = field(default_factory=list)
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    sampling_fit: SamplingFit | None = None


@torch.no_grad()
def prior_sample_quality(
    model: MazeAutoencoder,
    n: int,
    seed: int | np.random.SeedSequence,
    threshold: float = 0.5,
    temperature: float = 1.0,
) -> dict[str, float]:
    """Raw (unrepaired) solvable and perfect shares of ``n`` decoded prior samples (noise from
    ``np.random.default_rng(seed)``)."""
    model.eval()
    eps = torch.from_numpy(np.random.default_rng(seed).standard_normal((n, model.cfg.latent_dim))).float()
    eps = eps.to(model.prior_mean.device)
    probs = torch.sigmoid(model.decode(model.prior_codes(eps, temperature), threshold)).cpu().numpy()
    walls = probs > threshold
    return {
        "raw_solvable": float(solvable(walls).mean()),
        "raw_perfect": float(is_perfect(walls).mean()),
    }


# Decision temperatures `fit_sampling` tries, from the likelihood's own down.
DECISION_TEMPERATURES = (1.0, 0.9, 0.8, 0.7, 0.6, 0.5)
# Training mazes whose posterior draws fit the VAE's ``"posterior Gaussian"``.
POSTERIOR_FIT_MAZES = 50_000


@dataclass(frozen=True)
class SamplingFit:
    """What `fit_sampling` chose: the code density and decision temperature the model samples
    at, and one row per classifier test behind the choice."""

    density: str
    temperature: float
    rows: list[dict[str, Any]]


def fit_sampling(
    model: MazeAutoencoder,
    reference: np.ndarray,
    confirm: np.ndarray,
    seed: int,
    codes: torch.Tensor | None = None,
    temperatures: tuple[float, ...] = DECISION_TEMPERATURES,
    log: Any = print,
    epochs: int = 8,
) -> SamplingFit:
    """The code density and decision temperature whose samples are hardest to tell from the
    mazes the model learned from, chosen on one set of mazes and confirmed on another; the
    model is left sampling at them.

    Two things can make a trained model's samples differ from its training mazes when its
    likelihood fits them well:

    - **the decisions**: a decoder fitted by likelihood that cannot tell some walk states apart
      gives each of them the average of their decisions, so its drawn mazes can be more random
      than the mazes it learned from; drawing each decision at its wall logit divided by a
      temperature below 1 takes some of that back, at some cost in likelihood;
    - **the codes** (VAE): the KL term pulls each posterior towards N(0, I) but their mixture
      over the training mazes (the aggregate posterior) need not be N(0, I), so prior codes
      can fall where no training maze's code does. ``codes`` (one posterior draw for each of
      some training mazes, `posterior_draws`) adds a second density: the Gaussian with their
      mean and covariance (a two-stage VAE with a Gaussian second stage).

    1. **Choose.** For each density and temperature, as many prior samples as ``reference``
       (mazes of the training generator that training did not see: the validation split) are
       drawn, from the same noise at every setting, and told apart from ``reference`` by the
       classifier two-sample tests `evaluate` runs (`generators.two_sample.c2st`, ``epochs``
       each). The setting with the lowest best-classifier accuracy is the candidate (ties: the
       model's own prior, then the temperature nearest 1).
    2. **Confirm.** The best of several noisy accuracies is optimistic, so a candidate other
       than the model's own (its prior, temperature 1) is tested again on ``confirm`` (fresh
       mazes of the training generator, see `confirmation_mazes`) with as many new samples at
       it and at the model's own: it is kept only if its samples are told apart less often by
       more than chance (a one-sided two-proportion z-test at 2.5%). Otherwise the model keeps
       what its likelihood was fitted for.

    Each row has ``stage`` (``"choose"`` or ``"confirm"``), ``density``, ``temperature``, each
    classifier's accuracy, ``best``, and ``n_test`` (the held-out mazes behind it). Only a
    ``dfs``-decoder model draws decisions; any other is left as it is, with no rows.

    Raises:
        TypeError / ValueError: ``model`` is not a `MazeAutoencoder`; ``reference`` or
            ``confirm`` is not ``bool[B, H, W]`` of the model's grids with at least `MIN_SET`
            mazes; ``seed`` is not an int >= 0 or ``epochs`` an int >= 1; ``codes`` is not
            finite ``float[B, latent]`` with B >= 2; ``temperatures`` is empty, repeats one or
            holds one outside ``(0, MAX_DECISION_TEMPERATURE]``; ``log`` is not callable. All
            before the model is touched.
    """
    _check_model(model)
    reference = check_grids(reference, "reference", model_shape=model.cfg.shape)
    confirm = check_grids(confirm, "confirm", model_shape=model.cfg.shape)
    for name, walls in (("reference", reference), ("confirm", confirm)):
        if len(walls) < MIN_SET:
            raise ValueError(
                f"{name} must hold at least {MIN_SET} mazes (a third of each set is held out for "
                f"the accuracy), got {len(walls)}"
            )
    seed, epochs = check_int(seed, "seed", 0), check_int(epochs, "epochs", 1)
    temperatures = _check_temperatures(temperatures)
    if not callable(log):
        raise TypeError(f"log must be callable (print, a list's append...), got {type(log).__name__} {log!r}")
    if codes is not None:
        if not isinstance(codes, torch.Tensor):
            raise TypeError(f"codes must be a torch.Tensor or None, got {type(codes).__name__}")
        if not codes.is_floating_point():
            raise ValueError(f"codes must be float[B, latent], got dtype {codes.dtype}")
        if not torch.isfinite(codes).all():
            raise ValueError(f"codes must be finite, got {float(codes[~torch.isfinite(codes)][0])!r}")
    if not model.samples_decisions:
        if codes is not None:
            raise ValueError(
                f"the sampling fit is for models that draw their decisions (decoder 'dfs'); this "
                f"one's decoder is {model.cfg.decoder!r}"
            )
        return SamplingFit("prior", 1.0, [])
    densities = {"prior": (model.prior_mean.clone(), model.prior_scale_tril.clone())}
    if codes is not None:
        if not model.is_vae:
            raise ValueError(
                "codes fit a VAE's posterior Gaussian; the AE's prior is already fitted to its codes"
            )
        fitted = MazeAutoencoder(model.cfg)
        fitted.fit_prior(codes.to(fitted.prior_mean.dtype))  # checks their shape
        densities["posterior Gaussian"] = (fitted.prior_mean, fitted.prior_scale_tril)
    model.eval()
    streams = (seed_stream("temperature_samples", seed), seed_stream("temperature_classifier", seed))
    rows = [
        _sampling_row(model, name, gaussian, t, reference, *streams, "choose", epochs, log)
        for name, gaussian in densities.items()
        for t in temperatures
    ]
    chosen = min(rows, key=lambda r: (r["best"], r["density"] != "prior", abs(r["temperature"] - 1.0)))
    fit = SamplingFit("prior", 1.0, rows)
    if (chosen["density"], chosen["temperature"]) != ("prior", 1.0):
        samples, split = seed_stream("temperature_confirm", seed).spawn(2)
        own, again = (
            _sampling_row(model, name, densities[name], t, confirm, samples, split, "confirm", epochs, log)
            for name, t in (("prior", 1.0), (chosen["density"], chosen["temperature"]))
        )
        rows += [own, again]
        if _clearly_lower(again["best"], again["n_test"], own["best"], own["n_test"]):
            fit = SamplingFit(chosen["density"], float(chosen["temperature"]), rows)
        # else not confirmed: no closer than the classifiers can tell
    mean, scale_tril = densities[fit.density]
    model.prior_mean.copy_(mean)
    model.prior_scale_tril.copy_(scale_tril)
    model.decision_temperature = fit.temperature
    return fit


@torch.no_grad()
def posterior_draws(model: MazeAutoencoder, walls: np.ndarray, seed: int, batch: int = 2048) -> torch.Tensor:
    """One code drawn from a VAE's posterior for each maze of ``walls: bool[B, H, W]`` (the
    model's grids), ``batch`` mazes at a time (``mu + sigma * eps``, ``eps`` from the
    ``sampling_codes`` seed stream of ``seed``), ``float32[B, latent]``."""
    _check_model(model)
    if not model.is_vae:
        raise ValueError("posterior_draws needs a VAE; the AE's code of a maze is `encode_all`'s")
    walls = check_grids(walls, "walls", model_shape=model.cfg.shape)
    if len(walls) == 0:
        raise ValueError("posterior_draws needs at least one maze, got none")
    seed, batch = check_int(seed, "seed", 0), check_int(batch, "batch", 1)
    model.eval()
    gen = torch.Generator().manual_seed(int(seed_stream("sampling_codes", seed).generate_state(1)[0]))
    out = []
    for i in range(0, len(walls), batch):
        mu, logvar = model.encode(torch.from_numpy(walls[i : i + batch]).float())
        eps = torch.randn(mu.shape, generator=gen)
        out.append(mu + eps * torch.exp(0.5 * logvar))
    return torch.cat(out)


def _check_model(model: object) -> None:
    if not isinstance(model, MazeAutoencoder):
        raise TypeError(f"model must be a MazeAutoencoder, got {type(model).__name__}")


def _check_temperatures(temperatures: object) -> tuple[float, ...]:
    """`fit_sampling`'s decision temperatures: a non-empty tuple or list of distinct numbers in
    ``(0, MAX_DECISION_TEMPERATURE]``."""
    if not isinstance(temperatures, (tuple, list)) or not temperatures:
        raise ValueError(f"temperatures must be a non-empty tuple of numbers, got {temperatures!r}")
    checked = tuple(
        check_real(t, f"temperatures[{i}]", 0.0, MAX_DECISION_TEMPERATURE, low_open=True)
        for i, t in enumerate(temperatures)
    )
    twice = sorted({t for t in checked if checked.count(t) > 1})
    if twice:  # the same samples would be told apart twice
        raise ValueError(f"temperatures must be distinct, got {twice} more than once")
    return checked


def confirmation_mazes(data: DatasetConfig, seed: int) -> np.ndarray:
    """`fit_sampling`'s ``confirm``: fresh mazes of a dataset's generator, twice as many as its
    validation split, from their own seed stream (no training, validation or evaluation maze).
    Twice as many, because the differences worth a temperature are a few points of classifier
    accuracy: with 2,000 mazes a side the confirming test only sees differences above about 3.6
    points, with 4,000 above about 2.6."""
    from generators.registry import make_generator

    generator = make_generator(data.generator, size=data.size, **data.generator_kwargs)
    mazes = seed_stream("temperature_confirm", seed).spawn(3)[2]
    return generator.generate_walls(2 * data.n_val, np.random.default_rng(mazes))


def _sampling_row(
    model: MazeAutoencoder,
    density: str,
    gaussian: tuple[torch.Tensor, torch.Tensor],
    temperature: float,
    reference: np.ndarray,
    samples: np.random.SeedSequence,
    split: np.random.SeedSequence,
    stage: str,
    epochs: int,
    log: Any,
) -> dict[str, Any]:
    """Samples with codes from ``gaussian`` (mean, scale_tril) and decisions at ``temperature``
    (noise from ``samples``) told apart from ``reference``."""
    from generators.two_sample import c2st

    n, num_edges = len(reference), lattice(*model.cfg.size).num_edges
    rng = np.random.default_rng(samples)
    eps = torch.from_numpy(rng.standard_normal((n, model.cfg.latent_dim))).float()
    mean, scale_tril = gaussian
    walls = np.empty_like(reference)
    with torch.no_grad():
        for i in range(0, n, 256):
            z = mean + eps[i : i + 256].to(mean.device) @ scale_tril.T
            u = rng.random((len(z), num_edges))
            walls[i : i + len(z)] = model.decode(z, u=u, temperature=temperature).cpu().numpy() > 0
    with torch.enable_grad():  # the classifiers train (the caller may run without gradients)
        results = c2st(walls, reference, np.random.default_rng(split), epochs)
    best = max(results, key=lambda r: r.accuracy)
    row = {"stage": stage, "density": density, "temperature": temperature}
    row.update({r.classifier: r.accuracy for r in results})
    row["best"], row["n_test"] = best.accuracy, best.n_test
    log(
        f"{density}, decision temperature {temperature:g} ({stage}): told apart from held-out mazes "
        + ", ".join(f"{r.classifier} {r.accuracy:.3f}" for r in results)
    )
    return row


def _clearly_lower(p: float, n: int, q: float, m: int) -> bool:
    """Accuracy ``p`` on ``n`` test mazes is below ``q`` on ``m`` by more than chance: a
    one-sided two-proportion z-test at 2.5% (the two-sided 95% level)."""
    spread = math.sqrt(p * (1 - p) / n + q * (1 - q) / m)
    return q - p > Z95 * spread


@torch.no_grad()
def _validation_loss(model: MazeAutoencoder, val: torch.Tensor, beta: float) -> dict[str, float]:
    model.eval()
    totals: dict[str, float] = {}
    for i in range(0, len(val), 1024):
        batch = val[i : i + 1024].float()
        mu, logvar = model.encode(batch)
        # The posterior mean decodes; the VAE's KL term needs the variance as well.
        out = {"logits": model.teacher_logits(mu, batch), "mu": mu}
        if logvar is not None:
            out["logvar"] = logvar
        terms = model.loss(batch, out, beta=beta)
        for k, v in terms.items():
            totals[k] = totals.get(k, 0.0) + float(v) * len(batch)
    return {f"val_{k}": v / len(val) for k, v in totals.items()}


@torch.no_grad()
def _val_exact(model: MazeAutoencoder, val: torch.Tensor, threshold: float) -> float:
    walls = torch.sigmoid(model.reconstruct(val.float(), threshold)) > threshold
    return float((walls == val.bool()).all(dim=(1, 2)).float().mean())


@torch.no_grad()
def encode_all(model: MazeAutoencoder, walls: torch.Tensor, batch: int = 2048) -> torch.Tensor:
    """Mean codes ``float[B, latent]`` of ``walls``."""
    model.eval()
    return torch.cat([model.encode(walls[i : i + batch].float())[0] for i in range(0, len(walls), batch)])


@contextmanager
def _deterministic(device: str) -> Iterator[None]:
    """torch's deterministic algorithms while training on the CPU, the caller's setting after.

    Without them, some of torch's CPU kernels sum in an order that depends on how the threads
    split the work: two runs of the shipped VAE's settings on two threads drifted apart by about
    1e-5 in their first epoch. The deterministic kernels sum in a fixed order.
    """
    if torch.device(device).type != "cpu":
        yield
        return
    enabled = torch.are_deterministic_algorithms_enabled()
    warn_only = torch.is_deterministic_algorithms_warn_only_enabled()
    torch.use_deterministic_algorithms(True)
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(enabled, warn_only=warn_only)


def train(
    cfg: TrainConfig,
    cache_dir: str | Path | None = None,
    progress: bool = True,
    log: Any = print,
    device: str = "cpu",
) -> TrainResult:
    """Train a model as ``cfg`` says. ``log`` receives one line per epoch.

    ``device`` is a torch device for the network; the shipped models are trained on ``"cpu"``,
    where the same config, seed and number of torch threads give the same weights bit for bit
    (another thread count splits some sums differently: weights about 1e-6 apart after an
    epoch; other devices give other floating-point results for the same seed, and need not
    repeat them).
    """
    if not isinstance(cfg, TrainConfig):
        raise TypeError(f"cfg must be a TrainConfig, got {type(cfg).__name__}")
    cfg.model_config(), cfg.dataset_config()  # a bad setting fails here, before the data is drawn
    with _deterministic(device):
        return _train(cfg, cache_dir, progress, log, device)


def _train(
    cfg: TrainConfig, cache_dir: str | Path | None, progress: bool, log: Any, device: str
) -> TrainResult:
    from tqdm.auto import tqdm

    started, cpu_started = time.perf_counter(), time.process_time()
    data = load_dataset(cfg.dataset_config(), cache_dir)
    train_walls = torch.from_numpy(data.train).to(device=device, dtype=torch.uint8)
    val_walls = torch.from_numpy(data.val).to(device=device, dtype=torch.uint8)

    gen = torch.Generator().manual_seed(cfg.seed)
    model = MazeAutoencoder(cfg.model_config())
    init_parameters(model, gen)
    model.to(device)
    # Noise for the reparameterisation is drawn on the model's device.
    noise = gen if device == "cpu" else torch.Generator(device=device).manual_seed(cfg.seed + 1)
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    steps_per_epoch = math.ceil(len(train_walls) / cfg.batch_size)
    total_steps = steps_per_epoch * cfg.epochs

    def lr_at(step: int) -> float:
        if cfg.lr_schedule == "constant":
            return cfg.lr
        if cfg.lr_schedule == "cosine":
            t = step / max(1, total_steps)
            return cfg.lr * (cfg.lr_final + (1 - cfg.lr_final) * 0.5 * (1 + math.cos(math.pi * t)))
        raise ValueError(f"lr_schedule must be 'cosine' or 'constant', got {cfg.lr_schedule!r}")

    log(
        f"training {cfg.kind} ({cfg.arch}, {num_parameters(model):,} parameters) "
        f"on {len(train_walls):,} mazes, "
        f"{cfg.epochs} epochs of {steps_per_epoch} steps"
    )
    walks = None
    if cfg.decoder == "dfs":
        # The walk of every training maze, once: its features do not change between epochs.
        from generators.dfs_decoder import walk_features_threaded

        log("walking the training mazes depth-first")
        walks = walk_features_threaded(data.train, cfg.size)
    history: list[dict[str, float]] = []
    step = 0
    for epoch in range(1, cfg.epochs + 1):
        model.train()
        order = torch.randperm(len(train_walls), generator=gen).to(device)
        bar = tqdm(
            range(steps_per_epoch),
            desc=f"epoch {epoch}/{cfg.epochs}",
            disable=not progress,
            leave=False,
            mininterval=1.0,
        )
        sums = {"recon": 0.0, "kl": 0.0, "total": 0.0}
        for i in bar:
            rows = order[i * cfg.batch_size : (i + 1) * cfg.batch_size]
            batch = train_walls[rows].float()
            walk = None if walks is None else (walks[0][rows.cpu().numpy()], walks[1][rows.cpu().numpy()])
            beta = kl_weight(step, total_steps, cfg.anneal, cfg.beta, cfg.cycles, cfg.ratio)
            for group in optimizer.param_groups:
                group["lr"] = lr_at(step)
            out = model(batch, generator=noise, walk=walk, code_noise=cfg.code_noise)
            terms = model.loss(batch, out, beta=beta, free_bits=cfg.free_bits, code_penalty=cfg.code_penalty)
            optimizer.zero_grad(set_to_none=True)
            terms["total"].backward()
            optimizer.step()
            step += 1
            for k in sums:
                sums[k] += float(terms[k].detach())
            if i % 20 == 0:
                bar.set_postfix(
                    recon=f"{sums['recon'] / (i + 1):.2f}",
                    kl=f"{sums['kl'] / (i + 1):.2f}",
                    beta=f"{beta:.2f}",
                )
        bar.close()
        record = {"epoch": epoch, "seconds": time.perf_counter() - started, "beta": beta}
        record.update({k: v / steps_per_epoch for k, v in sums.items()})
        record.update(_validation_loss(model, val_walls, beta))
        record["val_exact"] = _val_exact(model, val_walls, cfg.threshold)
        if not model.is_vae:
            model.fit_prior(
                encode_all(model, train_walls[: min(len(train_walls), 20_000)]), noise=cfg.code_noise
            )
        # Its own noise stream: evaluation's prior samples come from another (`seed_stream`).
        check_seed = seed_stream("epoch_check", cfg.seed)
        quality = prior_sample_quality(model, cfg.val_samples, seed=check_seed, threshold=cfg.threshold)
        record.update(quality)
        history.append(record)
        log(
            f"epoch {epoch:3d}  recon {record['recon']:.3f}  kl {record['kl']:.2f}"
            f"  val_recon {record['val_recon']:.3f}"
            f"  val_exact {record['val_exact']:.1%}  raw solvable {quality['raw_solvable']:.1%}"
            f"  raw perfect {quality['raw_perfect']:.1%}  ({record['seconds']:.0f}s)"
        )
    if not model.is_vae:
        model.fit_prior(encode_all(model, train_walls), noise=cfg.code_noise)
    model.eval().cpu()
    fit: SamplingFit | None = None
    if model.samples_decisions:
        val = np.asarray(data.val, dtype=bool)
        confirm = confirmation_mazes(cfg.dataset_config(), cfg.seed)
        codes = None
        if model.is_vae:
            codes = posterior_draws(model, data.train[:POSTERIOR_FIT_MAZES], cfg.seed)
        fit = fit_sampling(model, val, confirm, cfg.seed, codes=codes, log=log)
        log(f"sampling: {fit.density}, decision temperature {fit.temperature:g}")
    return TrainResult(
        model, cfg, history, time.perf_counter() - started, time.process_time() - cpu_started, fit
    )


def save_trained(
    result: TrainResult,
    out_dir: str | Path,
    name: str,
    command: str,
    extra: dict[str, Any] | None = None,
    weights_dtype: str = "float32",
) -> tuple[Path, Path]:
    """Write ``<out_dir>/<name>.safetensors`` and the model card ``<out_dir>/<name>.json``.

    ``out_dir`` is made if it does not exist; ``name`` is a file name without a folder;
    ``extra``: more card entries (JSON values), none of them one the card already has;
    ``weights_dtype``: ``"float32"`` or ``"float16"`` (`generators.models.save_model`).

    Raises:
        TypeError / ValueError: a bad argument, naming it, before anything is written.
    """
    if not isinstance(result, TrainResult):
        raise TypeError(f"result must be a TrainResult (what train returns), got {type(result).__name__}")
    out = check_path(out_dir, "out_dir")
    check_folder(out, "out_dir")
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, got {type(name).__name__} {name!r}")
    if name in ("", ".", "..") or any(sep in name for sep in {"/", os.sep, os.altsep} - {None}):
        raise ValueError(f"name must be a file name without a folder or '..', got {name!r}")
    if not isinstance(command, str):
        raise TypeError(f"command must be a str, got {type(command).__name__} {command!r}")
    check_choice(weights_dtype, "weights_dtype", ("float32", "float16"))
    weights, card_path = out / f"{name}.safetensors", out / f"{name}.json"
    cfg = result.config
    card = {
        "card_version": CARD_VERSION,
        "name": name,
        "kind": cfg.kind,
        "weights": weights.name,
        "model_config": result.model.cfg.to_dict(),
        "dataset_config": cfg.dataset_config().to_dict(),
        "train_config": cfg.to_dict(),
        "seed": cfg.seed,
        "command": command,
        "training_seconds": round(result.seconds, 1),
        "training_cpu_seconds": round(result.cpu_seconds, 1),
        "threads": torch.get_num_threads(),
        "torch_version": torch.__version__,
        "weights_dtype": weights_dtype,
        "parameters": num_parameters(result.model),
        "history": result.history,
    }
    if result.sampling_fit is not None:
        card.update(sampling_card(result.sampling_fit))
    if extra is not None:
        card.update(_check_extra(extra, card))
    text = json.dumps(card, indent=2) + "\n"
    out.mkdir(parents=True, exist_ok=True)
    save_model(result.model, weights, dtype=weights_dtype)
    card_path.write_text(text)
    return weights, card_path


def _check_extra(extra: object, card: dict[str, Any]) -> dict[str, Any]:
    """`save_trained`'s ``extra``: a dict of str keys to JSON values, none a key of ``card``."""
    if not isinstance(extra, dict) or not all(isinstance(k, str) for k in extra):
        raise TypeError(f"extra must be a dict of str keys or None, got {type(extra).__name__} {extra!r}")
    clash = sorted(set(extra) & set(card))
    if clash:  # they would overwrite the card's own entries
        raise ValueError(f"extra must add card entries, not replace them, got {clash}")
    try:
        json.dumps(extra)
    except (TypeError, ValueError) as err:
        raise TypeError(f"extra must hold JSON values (the card is JSON), got {extra!r}: {err}") from err
    return extra


def check_path(value: object, name: str) -> Path:
    """``value`` (a str or an ``os.PathLike``) as a `Path`, or a TypeError naming ``name``."""
    if not isinstance(value, (str, os.PathLike)):
        raise TypeError(f"{name} must be a str or a path, got {type(value).__name__} {value!r}")
    return Path(value)


def check_folder(path: Path, name: str) -> None:
    """A ValueError naming ``name`` unless ``path`` is a directory or can be made one: its
    nearest existing ancestor (``path`` itself when it exists) must be a directory."""
    ancestor = path.absolute()
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise ValueError(
            f"{name} must be a directory or a path where one can be made, got {str(path)!r} "
            f"({ancestor} is not a directory)"
        )


def sampling_card(fit: SamplingFit) -> dict[str, Any]:
    """The model card's record of a sampling fit."""
    return {
        "sampling_density": fit.density,
        "decision_temperature": fit.temperature,
        "sampling_fit": fit.rows,
    }
