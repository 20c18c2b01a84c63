"""How close a generator's mazes are to its training distribution, on fresh seeds.

`fidelity` compares a generator's served mazes with fresh mazes of the generator its training
set came from (the backtracker for the shipped models), drawn from evaluation's own seed streams
(`generators.dataset.seed_stream`), so no maze or noise draw of training or of training's
validation is reused:

- classifier two-sample tests (`generators.two_sample.c2st`): accuracy with a 95% Wilson
  interval for each classifier, the best as the headline, and the same classifiers on two fresh
  sets of the reference generator (``sanity``: about 0.5 when the test is sound);
- two-sample KS statistics and means of the per-maze structure statistics
  (`generators.structure`), samples against fresh reference mazes;
- held-out NLL in nats per maze (`generators.likelihood`): the model's importance-weighted bound
  (VAE only; the AE has no encoder distribution and its decoder's output is thresholded, so it
  has no likelihood to bound), the count table over the ``ar`` decoder's ten features (counted
  on the training set) and the rules-only decoder;
- reconstruction of held-out mazes from the posterior mean: mean Hamming over passages, % exact.

Cost at the defaults (14x14, 10,000 samples, 2,000 a side for the tests, 1,000 held-out mazes,
32 importance samples) on two cores: about a minute, most of it the classifiers and the bound.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from generators.base import MazeGenerator, check_int, check_real
from generators.dataset import MazeDataset, seed_stream
from generators.likelihood import (
    FeatureCountTable,
    WalkCountTable,
    iwae_nll,
    reconstruction,
    rules_nll,
    walk_rules_nll,
)
from generators.registry import make_generator
from generators.structure import STAT_NAMES, check_grids, structure_stats
from generators.two_sample import MIN_SET, c2st, ks_2samp


@dataclass(frozen=True)
class FidelityConfig:
    """Sizes of the fidelity figures.

    Attributes:
        c2st_n: mazes a side for each classifier two-sample test (a third held out), at least
            `two_sample.MIN_SET`.
        c2st_epochs: training epochs of each classifier.
        heldout_n: fresh reference mazes for the likelihoods and reconstructions.
        iw_samples: posterior samples per maze of the importance-weighted bound.
    """

    c2st_n: int = 2_000
    c2st_epochs: int = 8
    heldout_n: int = 1_000
    iw_samples: int = 32

    def __post_init__(self) -> None:
        for name in ("c2st_n", "c2st_epochs", "heldout_n", "iw_samples"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        if self.c2st_n < MIN_SET:  # refused before any maze is drawn, not deep inside c2st
            raise ValueError(
                f"c2st_n must be at least {MIN_SET} (a third of each set is held out for the "
                f"accuracy), got {self.c2st_n}"
            )


def on_lattice(walls: np.ndarray) -> np.ndarray:
    """``walls: bool[B, H, W]`` -> ``bool[B]``: wall border and pillars, every cell open."""
    return (
        walls[:, [0, -1], :].all(axis=(1, 2))
        & walls[:, :, [0, -1]].all(axis=(1, 2))
        & walls[:, ::2, ::2].all(axis=(1, 2))
        & ~walls[:, 1::2, 1::2].any(axis=(1, 2))
    )


def fidelity(
    generator: MazeGenerator,
    samples: np.ndarray,
    data: MazeDataset,
    seed: int = 0,
    config: FidelityConfig | None = None,
    log: Any = print,
    proposal_std: float | None = None,
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Fidelity figures of ``samples: bool[n, H, W]`` (the generator's served mazes).

    ``data`` is the generator's training set: its config names the reference generator, its
    ``train`` split is what the count table is counted on. Returns a flat JSON-ready dict and the
    per-maze arrays behind it. ``proposal_std``: an AE's training code noise (its model card's
    ``code_noise``), the width its likelihood bound draws codes with (`likelihood.iwae_nll`).

    Raises:
        TypeError / ValueError: ``samples`` is not ``bool[n, 2h+1, 2w+1]`` with ``n >= 2`` (the
            two-sample tests need two mazes a side), ``data`` is not a `MazeDataset`, ``seed``
            is not an int >= 0 or ``config`` not a `FidelityConfig` (or ``None``).
    """
    samples = check_grids(samples, "samples")
    if len(samples) < MIN_SET:
        raise ValueError(
            f"samples must hold at least {MIN_SET} mazes (the two-sample tests need them), got {len(samples)}"
        )
    if not isinstance(data, MazeDataset):
        raise TypeError(f"data must be a MazeDataset, got {type(data).__name__}")
    seed = check_int(seed, "seed", 0)
    if config is not None and not isinstance(config, FidelityConfig):
        raise TypeError(f"config must be a FidelityConfig or None, got {type(config).__name__}")
    if proposal_std is not None:
        proposal_std = check_real(proposal_std, "proposal_std", 0.0, math.inf)
    cfg = config or FidelityConfig()
    dc = data.config
    reference = make_generator(dc.generator, size=dc.size, **dc.generator_kwargs)
    n = len(samples)
    log(f"fresh {dc.generator} mazes for the two-sample tests")
    ref = reference.generate_walls(n, np.random.default_rng(seed_stream("eval_reference", seed)))
    c2st_n = min(cfg.c2st_n, n)
    ref2 = reference.generate_walls(c2st_n, np.random.default_rng(seed_stream("eval_reference_2", seed)))
    metrics: dict[str, Any] = {"reference_generator": dc.generator}

    usable = on_lattice(samples)
    metrics["structure_n"] = int(usable.sum())
    sample_stats, ref_stats = structure_stats(samples[usable]), structure_stats(ref)
    for name in STAT_NAMES:
        d, p = ks_2samp(sample_stats[name], ref_stats[name])
        metrics[f"ks_{name}"] = d
        metrics[f"ks_p_{name}"] = p
        metrics[f"mean_{name}"] = float(np.nanmean(sample_stats[name])) if usable.any() else None
        metrics[f"ref_mean_{name}"] = float(np.nanmean(ref_stats[name]))

    log(f"classifier two-sample tests, {c2st_n} mazes a side")
    rng = np.random.default_rng(seed_stream("eval_classifier", seed))
    metrics["c2st_n"] = c2st_n
    rows = {"": c2st(samples[:c2st_n], ref[:c2st_n], rng, cfg.c2st_epochs)}
    rows["sanity_"] = c2st(ref2, ref[:c2st_n], rng, cfg.c2st_epochs)
    for prefix, results in rows.items():
        for r in results:
            metrics[f"c2st_{prefix}{r.classifier}"] = r.accuracy
            metrics[f"c2st_{prefix}{r.classifier}_ci"] = [r.ci_low, r.ci_high]
        metrics[f"c2st_{prefix}best"] = max(r.accuracy for r in results)
    metrics["c2st_test_n"] = rows[""][0].n_test

    log(f"held-out likelihoods and reconstructions, {cfg.heldout_n} fresh mazes")
    heldout = reference.generate_walls(
        cfg.heldout_n, np.random.default_rng(seed_stream("eval_heldout", seed))
    )
    table = FeatureCountTable.fit(data.train)
    metrics["heldout_n"] = cfg.heldout_n
    metrics["count_table_entries"] = table.entries
    metrics["nll_count_table"] = float(table.nll(heldout).mean())
    metrics["rules_open_share"] = table.rules_open_share()
    metrics["nll_rules_only"] = float(rules_nll(heldout, metrics["rules_open_share"]).mean())
    model = getattr(generator, "model", None)
    if model is not None and model.cfg.decoder == "dfs" and tuple(model.cfg.shape) == heldout.shape[1:]:
        # The same two baselines over the features this model's decoder sees.
        walk_table = WalkCountTable.fit(data.train)
        metrics["count_table_dfs_entries"] = walk_table.entries
        metrics["nll_count_table_dfs"] = float(walk_table.nll(heldout).mean())
        metrics["dfs_open_share"] = walk_table.open_share()
        metrics["nll_rules_only_dfs"] = float(walk_rules_nll(heldout, metrics["dfs_open_share"]).mean())
    metrics["iw_samples"] = cfg.iw_samples
    metrics["nll_model"] = None
    metrics["nll_model_note"] = "no model"
    metrics["recon_hamming_mean"] = metrics["recon_exact_pct"] = None
    arrays = {**{f"fidelity_sample_{k}": v for k, v in sample_stats.items()}}
    arrays.update({f"fidelity_ref_{k}": v for k, v in ref_stats.items()})
    if model is not None and tuple(model.cfg.shape) == heldout.shape[1:]:
        draws = getattr(generator, "decoding", None) == "sample"
        code_temperature = float(getattr(generator, "temperature", 1.0))
        if getattr(generator, "sampling", "prior") == "grid":
            metrics["nll_model_note"] = "n/a: the codes are points of a grid, which have no density"
        elif code_temperature == 0:
            metrics["nll_model_note"] = "n/a: at temperature 0 every code is the sampling Gaussian's mean"
        elif model.is_vae or (draws and proposal_std):
            import torch

            seed_t = int(rng.integers(2**63))
            temperature = float(getattr(generator, "decision_temperature", 1.0))

            def bound(scored: Any, t: float, code_t: float) -> float:
                gen = torch.Generator().manual_seed(seed_t)
                std = None if model.is_vae else proposal_std
                nll = iwae_nll(
                    scored,
                    heldout,
                    cfg.iw_samples,
                    gen,
                    proposal_std=std,
                    temperature=t,
                    code_temperature=code_t,
                )
                return float(nll.mean())

            # A VAE whose training chose a Gaussian fitted to its posterior draws samples that,
            # unless the generator was asked for N(0, I) (``sampling="normal"``).
            def standard(copy_of: Any) -> Any:
                own = copy.deepcopy(copy_of)
                own.reset_prior()
                return own

            fitted_prior = model.is_vae and not model.has_standard_prior()
            served = model
            if fitted_prior and getattr(generator, "sampling", "prior") == "normal":
                served, fitted_prior = standard(model), False
            metrics["decision_temperature"] = temperature
            metrics["sampling_density"] = "posterior Gaussian" if fitted_prior else "prior"
            metrics["code_temperature"] = code_temperature
            metrics["nll_model"] = bound(served, temperature, code_temperature)
            metrics["nll_model_note"] = f"importance-weighted bound, {cfg.iw_samples} samples"
            if not model.is_vae:
                metrics["nll_model_note"] += (
                    f" around each code (std {proposal_std:g}), weighed by the fitted Gaussian"
                )
            if fitted_prior:
                metrics["nll_model_note"] += ", codes weighed by the Gaussian fitted to posterior draws"
            if code_temperature != 1.0:
                metrics["nll_model_note"] += f", codes at temperature {code_temperature:g} as served"
            if temperature != 1.0:
                metrics["nll_model_note"] += f", decisions at temperature {temperature:g} as served"
            if temperature != 1.0 or code_temperature != 1.0 or fitted_prior:
                # The served distribution's bound above; the trained model's own (its training
                # prior, N(0, I) for a VAE, codes and decisions at temperature 1):
                metrics["nll_model_own"] = bound(standard(model) if model.is_vae else model, 1.0, 1.0)
        elif draws:
            metrics["nll_model_note"] = (
                "n/a: the AE was trained without code noise: no width to draw codes around a maze's own"
            )
        else:
            metrics["nll_model_note"] = (
                "n/a: the AE's served mazes are thresholded decodings, not draws from its Bernoullis"
            )
        threshold = getattr(generator, "threshold", 0.5)
        wrong = reconstruction(model, heldout, threshold)
        metrics["recon_hamming_mean"] = float(wrong.mean())
        metrics["recon_exact_pct"] = 100 * float((wrong == 0).mean())
        arrays["recon_hamming"] = wrong
    elif model is not None:
        metrics["nll_model_note"] = "n/a: the model is tiled to this size, it does not see whole mazes"
    return metrics, arrays
