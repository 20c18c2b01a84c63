"""Held-out likelihood of mazes, in nats per maze over the passages, for a model and two baselines.

A maze of ``h x w`` cells is its ``E`` passages (open or wall); every other square of the grid is
fixed, so each figure is ``-log p`` of the ``E`` passage decisions.

- `iwae_nll`: for a VAE, the importance-weighted bound (Burda et al. 2016) with ``K`` samples of
  the posterior, ``-log (1/K) sum_k p(x | z_k) p(z_k) / q(z_k | x)``, an upper bound on the
  true NLL that tightens as ``K`` grows. ``p(x | z)`` is the decoder's product of per-passage
  Bernoullis; for the ``ar`` decoder under teacher forcing (each passage conditioned on the
  maze's own earlier passages, exactly the autoregressive factorisation). Cost: ``K`` decoder
  passes per maze (about 1 ms per maze at ``K = 32`` for the shipped 14x14 VAE on two cores).
- `FeatureCountTable`: ``P(open | the ar decoder's ten frontier features)``, counted on a
  training set with add-one smoothing and applied in the same raster order: the likelihood a
  table of at most 1,024 entries reaches with the decoder's hand features and no network.
- `rules_nll`: only the two tree rules of those features: a passage that would close a loop is a
  wall (``P(open) = 0``), one whose closing would strand a component is open (``P(open) = 1``),
  and every other passage is open with the training set's share of open passages among the
  undecided ones. Finite on perfect mazes, which never break either rule.
- `reconstruction`: decode each maze from its posterior mean (greedy, thresholded) and count the
  passages that differ.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch.nn import functional as F

from generators.ar_decoder import FEATURE_NAMES, decision_order, frontier_features
from generators.base import check_int, check_real
from generators.lattice import lattice
from generators.structure import check_grids

if TYPE_CHECKING:
    from generators.models import MazeAutoencoder

_BITS = 1 << np.arange(len(FEATURE_NAMES))
_LOOP, _STRAND = FEATURE_NAMES.index("loop"), FEATURE_NAMES.index("strand")
_CHUNK = 4096  # mazes per feature pass: [chunk, E, 10] float32 stays ~60 MB at 14x14
_EPS = 1e-12


def decisions(walls: np.ndarray) -> np.ndarray:
    """``walls: bool[B, H, W]`` lattice grids -> ``bool[B, E]`` open passages in the ar decoder's order."""
    walls = check_grids(walls)
    h, w = (walls.shape[1] - 1) // 2, (walls.shape[2] - 1) // 2
    return lattice(h, w).passages_from_walls(walls)[:, decision_order(h, w)[2]]


def feature_codes(walls: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Teacher-forced feature codes ``int64[B, E]`` (the ten bits as one integer) and the
    decisions ``bool[B, E]`` of ``walls: bool[B, H, W]``."""
    walls = check_grids(walls)
    h, w = (walls.shape[1] - 1) // 2, (walls.shape[2] - 1) // 2
    opened = decisions(walls)
    codes = np.empty(opened.shape, dtype=np.int64)
    for i in range(0, len(walls), _CHUNK):
        feats = frontier_features(opened[i : i + _CHUNK], (h, w))
        codes[i : i + _CHUNK] = (feats.astype(np.int64) * _BITS).sum(-1)
    return codes, opened


def _count(walls: np.ndarray, size: int, codes_of: Any) -> tuple[np.ndarray, np.ndarray]:
    """Open and all decisions per code, ``int64[size]`` each, over ``walls`` in chunks;
    ``codes_of(walls) -> (codes, open)``, a negative code marking a passage that is not a decision."""
    opened = np.zeros(size, dtype=np.int64)
    total = np.zeros(size, dtype=np.int64)
    for i in range(0, len(walls), _CHUNK):
        codes, dec = codes_of(walls[i : i + _CHUNK])
        mask = codes >= 0
        total += np.bincount(codes[mask], minlength=size)
        opened += np.bincount(codes[mask], weights=dec[mask], minlength=size).astype(np.int64)
    return opened, total


def _table_nll(opened: np.ndarray, total: np.ndarray, codes: np.ndarray, dec: np.ndarray) -> np.ndarray:
    """``float64[B]`` nats per maze of the decisions ``dec`` with ``codes`` (negative: not a
    decision) under the add-one smoothed table."""
    p_open = (opened + 1) / (total + 2)
    c = np.maximum(codes, 0)
    p = np.where(dec, p_open[c], 1 - p_open[c])
    return -(np.log(p) * (codes >= 0)).sum(axis=1)


@dataclass(frozen=True)
class FeatureCountTable:
    """Counts of open and all decisions per feature code, ``int64[1024]`` each."""

    opened: np.ndarray
    total: np.ndarray

    @classmethod
    def fit(cls, walls: np.ndarray) -> FeatureCountTable:
        """Count on ``walls: bool[B, H, W]`` (the training set)."""
        return cls(*_count(check_grids(walls), 1 << len(FEATURE_NAMES), feature_codes))

    @property
    def entries(self) -> int:
        """Feature codes seen at least once in the training set."""
        return int((self.total > 0).sum())

    def nll(self, walls: np.ndarray) -> np.ndarray:
        """``float64[B]`` nats per maze of ``walls: bool[B, H, W]`` under the smoothed table."""
        return _table_nll(self.opened, self.total, *feature_codes(walls))

    def rules_open_share(self) -> float:
        """Share of open passages among the counted decisions that neither rule decides."""
        codes = np.arange(len(self.total))
        free = ((codes >> _LOOP & 1) == 0) & ((codes >> _STRAND & 1) == 0)
        return float(self.opened[free].sum() / max(1, self.total[free].sum()))


def rules_nll(walls: np.ndarray, open_share: float) -> np.ndarray:
    """``float64[B]`` nats per maze under the rules-only decoder (see the module docstring);
    ``open_share``: a probability in ``[0, 1]``."""
    open_share = check_real(open_share, "open_share", 0.0, 1.0)
    codes, dec = feature_codes(walls)
    loop, strand = (codes >> _LOOP & 1) == 1, (codes >> _STRAND & 1) == 1
    p_open = np.where(loop, 0.0, np.where(strand, 1.0, open_share))
    p = np.where(dec, p_open, 1 - p_open)
    return -np.log(np.maximum(p, _EPS)).sum(axis=1)


def iwae_nll(
    model: MazeAutoencoder,
    walls: np.ndarray,
    samples: int,
    gen: torch.Generator,
    batch: int = 64,
    proposal_std: float | None = None,
    temperature: float = 1.0,
    code_temperature: float = 1.0,
) -> np.ndarray:
    """``float64[B]`` importance-weighted NLL bound (nats per maze) of ``walls: bool[B, H, W]``
    with ``samples`` draws per maze from the ``torch.Generator`` ``gen``.

    ``temperature``: the decisions' temperature (`generators.learned.LearnedGenerator`'s
    ``decision_temperature``): each passage's Bernoulli at its wall logit divided by it, the
    distribution a generator drawing at that temperature serves (still exact per decision, so
    still a bound); 1 is the trained model's own likelihood. ``code_temperature``: the scale of
    the codes' noise (the generator's ``temperature``): codes weighed by the sampling Gaussian
    with its covariance scaled by its square, the density a generator at that temperature draws
    its codes from; 1 is the Gaussian itself.

    A VAE ``model`` (`generators.models.MazeAutoencoder`) draws from its encoder's posterior and
    weighs by its prior ``N(0, I)``. An AE is scored as the generative model it samples from, its
    fitted Gaussian over codes and its decoder: the draws come from ``N(code, proposal_std^2 I)``
    around the maze's code (the noise it was trained with is the natural width) and are weighed
    by the fitted Gaussian. Any proposal gives a bound; a poor one gives a loose one.
    """
    samples, batch = check_int(samples, "samples", 1), check_int(batch, "batch", 1)
    temperature = check_real(temperature, "temperature", 0.0, math.inf, low_open=True)
    code_temperature = check_real(code_temperature, "code_temperature", 0.0, math.inf, low_open=True)
    if not isinstance(gen, torch.Generator):
        raise TypeError(f"gen must be a torch.Generator, got {type(gen).__name__}")
    walls = check_grids(walls, model_shape=model.cfg.shape)
    if model.is_vae:
        if proposal_std is not None:
            raise ValueError(
                f"proposal_std is for the AE; the VAE draws from its posterior, got {proposal_std!r}"
            )
    elif proposal_std is None:
        raise ValueError(f"an AE's bound needs a proposal_std > 0 around its codes, got {proposal_std!r}")
    else:
        check_real(proposal_std, "proposal_std", 0.0, math.inf, low_open=True)
    prior = torch.distributions.MultivariateNormal(
        model.prior_mean.double(), scale_tril=code_temperature * model.prior_scale_tril.double()
    )
    out = np.empty(len(walls), dtype=np.float64)
    with torch.no_grad():
        for i in range(0, len(walls), batch):
            x = torch.from_numpy(walls[i : i + batch]).float()
            mu, logvar = model.encode(x)
            if logvar is None:
                logvar = torch.full_like(mu, 2 * math.log(proposal_std))
            std = torch.exp(0.5 * logvar)
            eps = torch.randn((samples, *mu.shape), generator=gen)
            z = mu + eps * std  # [K, B, latent]
            xk = x.expand(samples, *x.shape).reshape(-1, *x.shape[1:])
            logits = model.teacher_logits(z.reshape(-1, mu.shape[1]), xk)
            target = model.passage_logits(xk)
            passages = model.passage_logits(logits) / temperature
            log_px = -F.binary_cross_entropy_with_logits(passages, target, reduction="none").sum(1)
            log_px = log_px.view(samples, -1).double()
            log_pz = prior.log_prob(z.double())
            log_qz = (-0.5 * (eps.double() ** 2 + math.log(2 * math.pi)) - 0.5 * logvar.double()).sum(-1)
            bound = torch.logsumexp(log_px + log_pz - log_qz, dim=0) - math.log(samples)
            out[i : i + len(x)] = (-bound).numpy()
    return out


def reconstruction(model: MazeAutoencoder, walls: np.ndarray, threshold: float = 0.5) -> np.ndarray:
    """``int64[B]`` passages that differ between ``walls: bool[B, H, W]`` and its greedy decoding
    from the posterior mean (the AE's code); ``threshold``: the wall probability in ``(0, 1)``
    above which a decoded passage is a wall."""
    threshold = check_real(threshold, "threshold", 0.0, 1.0, low_open=True, high_open=True)
    walls = check_grids(walls, model_shape=model.cfg.shape)
    h, w = (walls.shape[1] - 1) // 2, (walls.shape[2] - 1) // 2
    lat = lattice(h, w)
    out = np.empty(len(walls), dtype=np.int64)
    with torch.no_grad():
        for i in range(0, len(walls), 1024):
            x = walls[i : i + 1024]
            logits = model.reconstruct(torch.from_numpy(x).float(), threshold).numpy()
            decoded = logits > math.log(threshold / (1 - threshold))
            out[i : i + len(x)] = (lat.passages_from_walls(decoded) != lat.passages_from_walls(x)).sum(1)
    return out


def _walk_codes(walls: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The ``dfs`` decoder's teacher-forced walk codes ``int64[B, E]`` and the open passages
    ``bool[B, E]`` (lattice order) of lattice mazes ``walls: bool[B, H, W]``."""
    from generators.dfs_decoder import walk_features

    walls = check_grids(walls)
    h, w = (walls.shape[1] - 1) // 2, (walls.shape[2] - 1) // 2
    opened = lattice(h, w).passages_from_walls(walls)
    codes = np.empty(opened.shape, dtype=np.int64)
    for i in range(0, len(walls), _CHUNK):
        codes[i : i + _CHUNK] = walk_features(opened[i : i + _CHUNK], (h, w))[1]
    return codes, opened


@dataclass(frozen=True)
class WalkCountTable:
    """``P(open | direction, the dfs decoder's ten walk features)``: counts of open and all
    decisions per code, ``int64[4096]`` each, applied along the decoder's depth-first walk.

    Passages the walk does not decide follow its two tree rules (a passage to a cell already in
    the tree is a wall, one whose closing would cut cells off is open), so on a perfect maze the
    table's NLL is the sum over the walk's decisions only.
    """

    opened: np.ndarray
    total: np.ndarray

    @classmethod
    def fit(cls, walls: np.ndarray) -> WalkCountTable:
        """Count on ``walls: bool[B, H, W]`` (the training set)."""
        from generators.dfs_decoder import NUM_CODES

        return cls(*_count(walls, 4 * NUM_CODES, _walk_codes))

    @property
    def entries(self) -> int:
        """Codes seen at least once in the training set."""
        return int((self.total > 0).sum())

    def nll(self, walls: np.ndarray) -> np.ndarray:
        """``float64[B]`` nats per maze of perfect mazes ``walls: bool[B, H, W]``."""
        return _table_nll(self.opened, self.total, *_walk_codes(walls))

    def open_share(self) -> float:
        """Share of open passages among all the walk's decisions."""
        return float(self.opened.sum() / max(1, self.total.sum()))


def walk_rules_nll(walls: np.ndarray, open_share: float) -> np.ndarray:
    """``float64[B]`` nats per perfect maze under the walk's two tree rules alone: every decision
    the rules leave open is open with probability ``open_share`` (in ``[0, 1]``)."""
    open_share = check_real(open_share, "open_share", 0.0, 1.0)
    codes, dec = _walk_codes(walls)
    mask = codes >= 0
    p = np.where(dec, open_share, 1 - open_share)
    return -(np.log(np.maximum(p, _EPS)) * mask).sum(axis=1)
