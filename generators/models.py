"""Autoencoder and variational autoencoder over maze wall grids (PyTorch).

Both models share the same encoder and decoder blocks; the VAE's encoder head emits a mean and a
log-variance (``std = exp(0.5 * logvar)``) instead of a code. Two architectures:

- ``mlp``: the blog's shape. The encoder reads the ``(H-1) x (W-1)`` grid without its top row and
  left column (784 values for 14x14 cells), ``depth`` hidden layers (the blog: one of 512), then
  the latent.
- ``conv`` (the default): a stride-2 convolution whose every output sits on one lattice cell
  (it sees the cell, its four passages and four pillars), two more conv layers, then a dense
  layer. Convolutions suit the grid on the way in; the decoders are below.

The decoder's output parameterisation:

- ``grid``: a wall logit for every cell of the ``(H-1) x (W-1)`` crop (the blog's);
- ``passages`` (the default): a wall logit for each of the ``E`` passages of the cell lattice
  only. Border, pillars and cells are fixed to the lattice template -- they are the same in every
  maze, so there is nothing to learn there -- and the network spends all its capacity on the
  ``E`` bits that make one maze differ from another.

Either way `decode` returns full-grid wall logits ``float[B, H, W]`` (fixed cells get
``+/-FIXED_LOGIT``), so thresholding, repair and evaluation never need to know which was used.

Two decoders (``decoder=``): ``mlp`` maps the code to every wall logit at once (about 1.6 M
multiply-adds a 14x14 maze); ``ar`` (`generators.ar_decoder.ARDecoder`, the shipped VAE's)
decides the passages one at a time from a per-cell embedding of the code and exact frontier
features of the passages decided before. Both generate about 10,000-15,000 mazes per second with the repair on
two CPU cores.
"""

from __future__ import annotations

import itertools
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
from torch import Tensor, nn
from torch.nn import functional as F

from generators.base import config_from_dict, config_to_dict, parse_size
from generators.lattice import lattice

Kind = Literal["ae", "vae"]
Arch = Literal["mlp", "conv", "spatial"]
DecoderKind = Literal["mlp", "ar", "dfs"]
Output = Literal["grid", "passages"]
ReconLoss = Literal["bce", "mse"]

# Logit given to cells the decoder does not predict (fixed by the template): sigmoid(20) = 1 - 2e-9.
FIXED_LOGIT = 20.0


@dataclass(frozen=True)
class ModelConfig:
    """The architecture of a maze autoencoder.

    Attributes:
        kind: ``"ae"`` or ``"vae"``.
        arch: ``"mlp"`` or ``"conv"`` encoder (one code for the maze), or ``"spatial"``: a conv
            encoder whose code is a map of ``latent_dim / N`` channels per cell (needs the
            ``dfs`` decoder).
        size: ``(height, width)`` in cells.
        latent_dim: size of the code.
        hidden: width of the hidden layers.
        depth: hidden layers in the decoder (the mlp encoder has ``depth`` too; the conv encoder
            has one after its convolutions).
        channels: conv encoder width (unused by ``mlp``).
        output: decoder parameterisation, ``"passages"`` or ``"grid"``.
        recon_loss: ``"bce"`` (on logits) or ``"mse"`` (on probabilities, the blog's).
        decoder: ``"mlp"`` (every wall logit at once from the code) or ``"ar"`` (autoregressive:
            passage by passage, each logit from a per-cell embedding of the code and the
            frontier features of the passages decided before it; `ARDecoder`). ``"ar"`` needs
            ``output="passages"``.
            ``"dfs"`` (`generators.dfs_decoder.DFSDecoder`: the maze's spanning tree written down
            by a depth-first walk from the start cell, each decision from a per-cell embedding
            of the code and the walk's state; every decoded maze is perfect).
        ar_hidden: units of the ``ar`` / ``dfs`` decoder's per-decision layer (the per-cell
            embedding size).
    """

    kind: Kind = "vae"
    arch: Arch = "conv"
    size: tuple[int, int] = (14, 14)
    latent_dim: int = 64
    hidden: int = 1024
    depth: int = 2
    channels: int = 16
    output: Output = "passages"
    recon_loss: ReconLoss = "bce"
    decoder: DecoderKind = "mlp"
    ar_hidden: int = 16

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "size", parse_size(tuple(self.size) if isinstance(self.size, list) else self.size)
        )
        choices = {
            "kind": ("ae", "vae"),
            "arch": ("mlp", "conv", "spatial"),
            "output": ("grid", "passages"),
            "recon_loss": ("bce", "mse"),
            "decoder": ("mlp", "ar", "dfs"),
        }
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name} must be one of {allowed}, got {getattr(self, name)!r}")
        if self.decoder in ("ar", "dfs") and self.output != "passages":
            raise ValueError(
                f"decoder={self.decoder!r} decides passages: it needs output='passages', got {self.output!r}"
            )
        cells = self.size[0] * self.size[1]
        if self.arch == "spatial":
            if self.decoder != "dfs":
                raise ValueError(
                    f"arch='spatial' (a code per cell) needs decoder='dfs', got {self.decoder!r}"
                )
            if not isinstance(self.latent_dim, int) or self.latent_dim % cells:
                raise ValueError(
                    f"arch='spatial' keeps latent_dim / {cells} channels per cell of a {self.size} "
                    f"maze: latent_dim must be a multiple of {cells}, got {self.latent_dim!r}"
                )
        for name in ("latent_dim", "hidden", "depth", "channels", "ar_hidden"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")

    @property
    def shape(self) -> tuple[int, int]:
        """``(H, W)`` of the wall grid."""
        h, w = self.size
        return (2 * h + 1, 2 * w + 1)

    def to_dict(self) -> dict[str, Any]:
        return config_to_dict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ModelConfig:
        return config_from_dict(cls, d, "model")


def mlp(sizes: list[int]) -> nn.Sequential:
    """Linear layers with GELU between them (none after the last)."""
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(itertools.pairwise(sizes)):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(nn.GELU())
    return nn.Sequential(*layers)


class MLPEncoder(nn.Module):
    """``float[B, H, W]`` walls -> features ``float[B, hidden]`` via the ``(H-1) x (W-1)`` crop."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        height, width = cfg.shape
        self.net = mlp([(height - 1) * (width - 1)] + [cfg.hidden] * cfg.depth)
        self.out_features = cfg.hidden

    def forward(self, walls: Tensor) -> Tensor:
        return F.gelu(self.net(walls[:, 1:, 1:].flatten(1)))


class ConvEncoder(nn.Module):
    """``float[B, H, W]`` walls -> features ``float[B, hidden]``.

    The first convolution (kernel 3, stride 2, no padding) maps the ``(2h+1) x (2w+1)`` grid onto
    the ``h x w`` cells exactly; a second stride-2 convolution halves that again.
    """

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        c = cfg.channels
        h, w = cfg.size
        self.convs = nn.Sequential(
            nn.Conv2d(1, c, 3, stride=2),
            nn.GELU(),
            nn.Conv2d(c, c, 3, padding=1),
            nn.GELU(),
            nn.Conv2d(c, 2 * c, 4, stride=2, padding=1),
            nn.GELU(),
        )
        flat = 2 * c * (h // 2) * (w // 2)
        self.head = nn.Sequential(nn.Linear(flat, cfg.hidden), nn.GELU())
        self.out_features = cfg.hidden

    def forward(self, walls: Tensor) -> Tensor:
        return self.head(self.convs(walls[:, None]).flatten(1))


class PassageDecoder(nn.Module):
    """Base of the decoders that decide the ``E`` passages of the lattice (``ar``, ``dfs``):
    the lattice template's fixed logits and `to_grid`, which places passage logits on the grid."""

    def init_grid(self, cfg: ModelConfig) -> None:
        height, width = cfg.shape
        lat = lattice(*cfg.size)
        template = torch.from_numpy(lat.template()).float()
        self.register_buffer("base_logits", ((template * 2 - 1) * FIXED_LOGIT).flatten(), persistent=False)
        self.register_buffer(
            "flat_index", torch.from_numpy(lat.edge_rc[:, 0] * width + lat.edge_rc[:, 1]), persistent=False
        )
        self.shape = (height, width)

    def to_grid(self, passage_logits: Tensor) -> Tensor:
        """Passage wall logits ``[B, E]`` (lattice order) -> full-grid wall logits ``[B, H, W]``."""
        logits = self.base_logits.to(passage_logits.dtype).expand(len(passage_logits), -1).clone()
        logits[:, self.flat_index] = passage_logits
        return logits.view(len(passage_logits), *self.shape)

    def grid_array(self, passage_logits: np.ndarray) -> np.ndarray:
        """`to_grid` in numpy, to ``float32[B, H, W]``: each float64 logit rounded once, as
        ``to_grid(...).float()`` rounds it (a one-maze decode spent more on torch's grid
        assembly than on its walk)."""
        grid = np.empty((len(passage_logits), self.base_logits.numel()), dtype=np.float32)
        grid[:] = self.base_logits.numpy()
        grid[:, self.flat_index.numpy()] = passage_logits
        return grid.reshape(len(passage_logits), *self.shape)


class SpatialEncoder(nn.Module):
    """``float[B, H, W]`` walls -> features ``float[B, channels, h, w]``, one vector per cell.

    A 3x3 convolution over the grid, a stride-2 3x3 convolution that lands on the cells (each
    output sees a cell, its four passages and its neighbours' walls), then ``depth`` 3x3
    convolutions over the cells.
    """

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        c = cfg.channels
        layers: list[nn.Module] = [
            nn.Conv2d(1, c, 3, padding=1),
            nn.GELU(),
            nn.Conv2d(c, c, 3, stride=2),
            nn.GELU(),
        ]
        for _ in range(cfg.depth):
            layers += [nn.Conv2d(c, c, 3, padding=1), nn.GELU()]
        self.convs = nn.Sequential(*layers)
        self.out_features = c

    def forward(self, walls: Tensor) -> Tensor:
        return self.convs(walls[:, None])


class Decoder(nn.Module):
    """Code ``float[B, latent]`` -> full-grid wall logits ``float[B, H, W]``."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        height, width = cfg.shape
        lat = lattice(*cfg.size)
        self.output = cfg.output
        n_out = lat.num_edges if cfg.output == "passages" else (height - 1) * (width - 1)
        self.net = mlp([cfg.latent_dim] + [cfg.hidden] * cfg.depth + [n_out])
        template = torch.from_numpy(lat.template()).float()
        base = (template * 2 - 1) * FIXED_LOGIT
        if cfg.output == "passages":
            flat_index = torch.from_numpy(lat.edge_rc[:, 0] * width + lat.edge_rc[:, 1])
        else:
            rows, cols = torch.meshgrid(torch.arange(1, height), torch.arange(1, width), indexing="ij")
            flat_index = (rows * width + cols).flatten()
        self.register_buffer("base_logits", base.flatten(), persistent=False)
        self.register_buffer("flat_index", flat_index, persistent=False)
        self.shape = (height, width)

    def forward(self, z: Tensor) -> Tensor:
        """Wall logits of the codes ``z``."""
        out = self.net(z)
        logits = self.base_logits.expand(len(z), -1).clone()
        logits[:, self.flat_index] = out
        return logits.view(len(z), *self.shape)

    def teacher(self, z: Tensor, walls: Tensor) -> Tensor:
        """The logits training compares with ``walls``: the same as `forward` here."""
        return self(z)


class MazeAutoencoder(nn.Module):
    """Autoencoder (``kind="ae"``) or VAE (``kind="vae"``) over wall grids.

    Inputs are wall grids ``float[B, H, W]`` (1 = wall); outputs are wall logits of the same shape.

    The AE also carries the Gaussian fitted to its training codes (`fit_prior`), so that `sample`
    means the same thing for both kinds: decode a draw from the model's prior. A VAE samples
    N(0, I), the prior it was trained against, unless `train`'s sampling fit found that a
    Gaussian fitted to its training mazes' posterior draws serves mazes closer to them
    (`generators.training.fit_sampling`); then it carries that Gaussian the same way.
    """

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        encoders = {"mlp": MLPEncoder, "conv": ConvEncoder, "spatial": SpatialEncoder}
        self.encoder = encoders[cfg.arch](cfg)
        n_heads = 2 if cfg.kind == "vae" else 1
        if cfg.arch == "spatial":
            per_cell = cfg.latent_dim // (cfg.size[0] * cfg.size[1])
            self.to_latent: nn.Module = nn.Conv2d(self.encoder.out_features, n_heads * per_cell, 1)
        else:
            self.to_latent = nn.Linear(self.encoder.out_features, n_heads * cfg.latent_dim)
        if cfg.decoder == "dfs":
            from generators.dfs_decoder import DFSDecoder

            self.decoder = DFSDecoder(cfg)
        elif cfg.decoder == "ar":
            # Imported here: the ar decoder's module builds on this one's layers.
            from generators.ar_decoder import ARDecoder

            self.decoder: nn.Module = ARDecoder(cfg)
        else:
            self.decoder = Decoder(cfg)
        # Drawn decisions (the ``dfs`` decoder's sampling) use wall logits / this; fitted after
        # training (`generators.training.fit_sampling`), 1 for the likelihood itself.
        self.decision_temperature = 1.0
        d = cfg.latent_dim
        # The prior codes are drawn from: N(0, I) for the VAE (or the Gaussian fitted to its
        # posterior draws, when the sampling fit chose it), the fitted Gaussian for the AE.
        self.register_buffer("prior_mean", torch.zeros(d))
        self.register_buffer("prior_scale_tril", torch.eye(d))
        lat = lattice(*cfg.size)
        self.register_buffer(
            "edge_index",
            torch.from_numpy(lat.edge_rc[:, 0] * cfg.shape[1] + lat.edge_rc[:, 1]),
            persistent=False,
        )

    @property
    def is_vae(self) -> bool:
        return self.cfg.kind == "vae"

    def _check(self, walls: Tensor) -> Tensor:
        if walls.ndim != 3 or tuple(walls.shape[1:]) != self.cfg.shape:
            raise ValueError(
                f"walls must be float[B, {self.cfg.shape[0]}, {self.cfg.shape[1]}], "
                f"got shape {tuple(walls.shape)}"
            )
        return walls.to(self.prior_mean.dtype)

    # ------------------------------------------------------------------ interface
    def encode(self, walls: Tensor) -> tuple[Tensor, Tensor | None]:
        """``walls: float[B, H, W]`` -> ``(mu, logvar)``, each ``float[B, latent]``.

        For the AE ``mu`` is the code and ``logvar`` is ``None``.
        """
        out = self.to_latent(self.encoder(self._check(walls)))
        if self.is_vae:
            mu, logvar = out.chunk(2, dim=1)  # channels (spatial) or units
            return mu.flatten(1), logvar.flatten(1)
        return out.flatten(1), None

    @property
    def samples_decisions(self) -> bool:
        """Whether `decode` can draw each decision (the ``dfs`` decoder) given uniforms."""
        return self.cfg.decoder == "dfs"

    def decode(self, z: Tensor, threshold: float = 0.5, u: Any = None, temperature: float = 1.0) -> Tensor:
        """``z: float[B, latent]`` -> wall logits ``float[B, H, W]``.

        ``threshold`` matters only to the ``ar`` and ``dfs`` decoders, which clip each passage at
        it before deciding the next; clip their output at the same threshold. ``u``
        (``float[B, E]`` uniforms, ``dfs`` decoder only) draws each decision instead, at its
        wall logit divided by ``temperature``.
        """
        if u is not None and not self.samples_decisions:
            raise ValueError(f"decoder={self.cfg.decoder!r} decodes greedily; only 'dfs' draws decisions")
        if self.cfg.decoder == "dfs":
            return self.decoder(z, threshold=threshold, u=u, temperature=temperature)
        if self.cfg.decoder == "ar":
            return self.decoder(z, threshold=threshold)
        return self.decoder(z)

    def teacher_logits(self, z: Tensor, walls: Tensor, walk: Any = None) -> Tensor:
        """The logits the loss compares with ``walls``: `decode` for the ``mlp`` decoder; for the
        ``ar`` and ``dfs`` decoders each passage conditioned on the earlier passages of ``walls``
        itself (``walk``: the ``dfs`` decoder's walk of ``walls``, when already computed)."""
        if walk is not None:
            return self.decoder.teacher(z, walls, walk)
        return self.decoder.teacher(z, walls)

    def passage_logits(self, logits: Tensor) -> Tensor:
        """Full-grid ``logits: float[B, H, W]`` -> passage wall logits ``float[B, E]`` (lattice order)."""
        return logits.flatten(1)[:, self.edge_index]

    def reparameterize(self, mu: Tensor, logvar: Tensor, generator: torch.Generator | None = None) -> Tensor:
        eps = torch.randn(mu.shape, generator=generator, dtype=mu.dtype, device=mu.device)
        return mu + eps * torch.exp(0.5 * logvar)

    def forward(
        self,
        walls: Tensor,
        generator: torch.Generator | None = None,
        walk: Any = None,
        code_noise: float = 0.0,
    ) -> dict[str, Tensor]:
        """Encode, draw ``z``, decode: ``logits``, ``mu``, ``logvar``, ``z``.

        The VAE draws ``z`` from its posterior; the AE decodes its code ``mu``, plus Gaussian
        noise of standard deviation ``code_noise`` when that is positive (training only).
        """
        if self.is_vae and code_noise:
            raise ValueError(f"code_noise is for the AE; the VAE draws its own noise, got {code_noise!r}")
        mu, logvar = self.encode(walls)
        if logvar is not None:
            z = self.reparameterize(mu, logvar, generator)
        elif code_noise > 0:
            z = mu + code_noise * torch.randn(mu.shape, generator=generator, dtype=mu.dtype, device=mu.device)
        else:
            z = mu
        out = {"logits": self.teacher_logits(z, walls.float(), walk), "mu": mu, "z": z}
        if logvar is not None:
            out["logvar"] = logvar
        return out

    def prior_codes(self, eps: Tensor, temperature: float = 1.0) -> Tensor:
        """Standard-normal ``eps: float[B, latent]`` -> codes from the prior, scaled by ``temperature``."""
        return self.prior_mean + temperature * eps @ self.prior_scale_tril.T

    @torch.no_grad()
    def reset_prior(self) -> None:
        """Set the sampling Gaussian back to N(0, I) (a VAE's own prior)."""
        self.prior_mean.zero_()
        self.prior_scale_tril.copy_(torch.eye(len(self.prior_mean), dtype=self.prior_scale_tril.dtype))

    def has_standard_prior(self) -> bool:
        """Whether the codes are drawn from N(0, I): a VAE's own prior, and no fitted Gaussian."""
        eye = torch.eye(len(self.prior_mean), dtype=self.prior_scale_tril.dtype)
        return not bool(self.prior_mean.any()) and torch.equal(self.prior_scale_tril.cpu(), eye)

    def prior_std(self) -> Tensor:
        """Standard deviation of each latent unit under the prior, ``float[latent]``."""
        return self.prior_scale_tril.pow(2).sum(dim=1).sqrt()

    def sample(
        self,
        n: int,
        generator: torch.Generator | None = None,
        temperature: float = 1.0,
        threshold: float = 0.5,
    ) -> Tensor:
        """Wall logits ``float[n, H, W]`` of ``n`` mazes decoded from prior codes."""
        eps = torch.randn((n, self.cfg.latent_dim), generator=generator, device=self.prior_mean.device)
        return self.decode(self.prior_codes(eps, temperature), threshold)

    def reconstruct(self, walls: Tensor, threshold: float = 0.5) -> Tensor:
        """Wall logits ``float[B, H, W]`` decoded from the mean code of ``walls``."""
        return self.decode(self.encode(walls)[0], threshold)

    @torch.no_grad()
    def fit_prior(self, codes: Tensor, noise: float = 0.0) -> None:
        """Fit the sampling Gaussian to ``codes: float[B, latent]`` (mean and full covariance):
        the AE's training codes, or one posterior draw for each of a VAE's training mazes (a
        Gaussian over its aggregate posterior, which the VAE then samples instead of N(0, I)).

        ``noise``: the standard deviation of the noise the codes were trained with; its variance
        is added to the covariance, so the Gaussian matches what the decoder saw (the AE's code
        noise; a VAE's posterior draws already carry theirs).
        """
        if codes.ndim != 2 or codes.shape[1] != self.cfg.latent_dim or len(codes) < 2:
            raise ValueError(
                f"codes must be float[B, {self.cfg.latent_dim}] with B >= 2, got shape {tuple(codes.shape)}"
            )
        if not noise >= 0:
            raise ValueError(f"noise must be a standard deviation >= 0, got {noise!r}")
        mean = codes.mean(0)
        cov = torch.cov(codes.T).reshape(self.cfg.latent_dim, self.cfg.latent_dim)
        cov = cov + (1e-5 + noise**2) * torch.eye(len(mean), device=cov.device)
        self.prior_mean.copy_(mean)
        self.prior_scale_tril.copy_(torch.linalg.cholesky(cov))

    # ------------------------------------------------------------------ loss
    def loss(
        self,
        walls: Tensor,
        out: dict[str, Tensor],
        beta: float = 1.0,
        free_bits: float = 0.0,
        code_penalty: float = 0.0,
    ) -> dict[str, Tensor]:
        """Named loss terms, each averaged over the batch and summed over cells / latent units.

        Args:
            walls: the target ``float[B, H, W]``.
            out: what `forward` returned.
            beta: weight of the KL term (the annealing schedule's current value).
            free_bits: nats per latent unit below which the KL is not penalised (Kingma et al.
                2016): each unit contributes ``max(free_bits, KL_j)`` averaged over the batch.
            code_penalty: AE only: weight of the code's ``||mu||^2 / 2`` (averaged over the batch)
                in ``total``.

        Returns:
            ``recon`` (BCE or MSE), ``kl`` (closed-form KL to N(0, I), 0 for the AE), ``total``
            (``recon + beta * kl``, free bits applied).
        """
        target, logits = walls.float(), out["logits"]
        # Only the predicted cells carry a loss: the rest are fixed and identical in every maze.
        if self.cfg.output == "passages":
            target, logits = self.passage_logits(target), self.passage_logits(logits)
        else:
            target, logits = target[:, 1:, 1:].flatten(1), logits[:, 1:, 1:].flatten(1)
        if self.cfg.recon_loss == "bce":
            recon = F.binary_cross_entropy_with_logits(logits, target, reduction="sum") / len(walls)
        else:
            recon = F.mse_loss(torch.sigmoid(logits), target, reduction="sum") / len(walls)
        if "logvar" in out:
            mu, logvar = out["mu"], out["logvar"]
            kl_units = -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).mean(0)
            kl = kl_units.sum()
            penalised = kl_units.clamp(min=free_bits).sum() if free_bits > 0 else kl
        else:
            kl = penalised = torch.zeros((), device=walls.device)
        total = recon + beta * penalised
        if code_penalty:
            if self.is_vae:
                raise ValueError(f"code_penalty is for the AE; the VAE has its KL term, got {code_penalty!r}")
            total = total + code_penalty * 0.5 * out["mu"].pow(2).sum(1).mean()
        return {"recon": recon, "kl": kl, "total": total}


# ---------------------------------------------------------------------- KL schedules
Anneal = Literal["constant", "monotonic", "cyclical"]


def kl_weight(
    step: int,
    total_steps: int,
    schedule: Anneal = "constant",
    beta: float = 1.0,
    cycles: int = 4,
    ratio: float = 0.5,
) -> float:
    """KL weight at ``step`` of ``total_steps``.

    - ``constant``: ``beta`` throughout.
    - ``monotonic``: linear ramp from 0 to ``beta`` over the first ``ratio`` of the run, then ``beta``.
    - ``cyclical`` (Fu et al. 2019): the run is split into ``cycles`` equal cycles; in each the
      weight ramps linearly from 0 to ``beta`` over the first ``ratio`` of the cycle, then stays.
    """
    if schedule == "constant":
        return beta
    if not 0 < ratio <= 1:
        raise ValueError(f"ratio must be in (0, 1], got {ratio}")
    if schedule == "monotonic":
        return beta * min(1.0, step / max(1.0, ratio * total_steps))
    if schedule == "cyclical":
        if cycles < 1:
            raise ValueError(f"cycles must be >= 1, got {cycles}")
        period = max(1.0, total_steps / cycles)
        tau = (step % period) / period
        return beta * min(1.0, tau / ratio)
    raise ValueError(f"schedule must be 'constant', 'monotonic' or 'cyclical', got {schedule!r}")


def num_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


# ---------------------------------------------------------------------- initialisation
@torch.no_grad()
def init_parameters(model: nn.Module, generator: torch.Generator) -> None:
    """PyTorch's default Linear/Conv initialisation, drawn from ``generator`` (no global seeding);
    an embedding table is drawn from N(0, ``init_std``), its own attribute (1 by default, torch's)."""
    for module in model.modules():
        if isinstance(module, nn.Embedding):
            module.weight.normal_(0.0, getattr(module, "init_std", 1.0), generator=generator)
        if isinstance(module, (nn.Linear, nn.Conv2d)):
            fan_in = module.weight[0].numel()
            bound = 1.0 / fan_in**0.5
            # kaiming_uniform_(a=sqrt(5)) as in nn.Linear.reset_parameters gives this same bound.
            module.weight.uniform_(-bound, bound, generator=generator)
            if module.bias is not None:
                module.bias.uniform_(-bound, bound, generator=generator)


# ---------------------------------------------------------------------- persistence
FORMAT_VERSION = 1


def save_model(model: MazeAutoencoder, path: str | Path, dtype: str = "float32") -> None:
    """Write the weights as safetensors (no pickle); the model config goes in the file's metadata.

    ``dtype="float16"`` halves the file (the shipped models use it); `load_model` always returns
    float32 parameters.
    """
    from safetensors.torch import save_file

    if dtype not in ("float32", "float16"):
        raise ValueError(f"dtype must be 'float32' or 'float16', got {dtype!r}")
    target = torch.float16 if dtype == "float16" else torch.float32
    state = {
        k: (v.to(target) if v.is_floating_point() else v).detach().contiguous().cpu()
        for k, v in model.state_dict().items()
    }
    metadata = {
        "format": "daedalus-gym-maze-autoencoder",
        "format_version": str(FORMAT_VERSION),
        "config": json.dumps(model.cfg.to_dict()),
    }
    if model.decision_temperature != 1.0:  # files without it draw at 1
        metadata["decision_temperature"] = repr(float(model.decision_temperature))
    save_file(state, str(path), metadata=metadata)


# Bounds on a model config read from a file: far above any useful maze model, low enough that a
# hostile file cannot make the loader allocate gigabytes before it has checked a tensor.
MAX_MODEL_CELLS_PER_SIDE = 256
MAX_MODEL_PARAMETERS = 50_000_000
FILE_DTYPES = (torch.float16, torch.float32)
# Drawn decisions' temperature, as a file or a generator may set it.
MAX_DECISION_TEMPERATURE = 4.0


def _expected_state(cfg: ModelConfig) -> dict[str, Tensor]:
    """The persistent tensors of a model of ``cfg``, shapes and dtypes only (built on torch's
    ``meta`` device: no memory for the weights)."""
    with torch.device("meta"):
        return MazeAutoencoder(cfg).state_dict()


def load_model(path: str | Path) -> MazeAutoencoder:
    """Read a model written by `save_model`; never executes pickle.

    Everything is checked before the model is built: the config in the file's metadata (its
    sizes bounded), every tensor's name, shape and dtype against that config (read from the
    header, before any tensor data), then every tensor's values (finite; ``prior_scale_tril`` a
    lower-triangular matrix with a positive diagonal, as a Cholesky factor must be).

    Raises:
        FileNotFoundError: no such file.
        ValueError: the file is not a readable safetensors file, is not a Daedalus-Gym model, or
            a tensor does not match the architecture its metadata describes or holds values no
            trained model has; the message names the file and the tensor.
    """
    from safetensors import safe_open

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no model file at {path}")
    try:
        with safe_open(str(path), framework="pt") as f:
            metadata = f.metadata() or {}
            header = {k: (tuple(f.get_slice(k).get_shape()), f.get_slice(k).get_dtype()) for k in f.keys()}  # noqa: SIM118
    except Exception as exc:  # safetensors raises its own error types for damaged headers
        raise ValueError(f"{path} is not a readable safetensors model file ({exc})") from exc
    cfg = _config_from_metadata(path, metadata)
    _check_header(path, cfg, header)
    try:
        with safe_open(str(path), framework="pt") as f:
            state = {k: f.get_tensor(k) for k in header}
    except Exception as exc:
        raise ValueError(f"{path} is not a readable safetensors model file ({exc})") from exc
    for name, tensor in state.items():
        if tensor.dtype not in FILE_DTYPES:
            raise ValueError(
                f"{path}: tensor {name!r} is {tensor.dtype}; model files hold float16 or float32"
            )
        if not torch.isfinite(tensor).all():
            raise ValueError(f"{path}: tensor {name!r} holds NaN or infinite values (a damaged file?)")
    tril = state["prior_scale_tril"].float()
    if not (torch.equal(tril, tril.tril()) and (tril.diagonal() > 0).all()):
        raise ValueError(
            f"{path}: tensor 'prior_scale_tril' must be lower-triangular with a positive diagonal "
            "(a Cholesky factor)"
        )
    model = MazeAutoencoder(cfg)
    model.load_state_dict({k: v.float() for k, v in state.items()})
    model.decision_temperature = _decision_temperature(path, cfg, metadata)
    model.eval()
    return model


def _decision_temperature(path: Path, cfg: ModelConfig, metadata: dict[str, str]) -> float:
    text = metadata.get("decision_temperature")
    if text is None:
        return 1.0
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0.0 < value <= MAX_DECISION_TEMPERATURE:
        raise ValueError(
            f"{path}: decision_temperature {text!r} in its metadata must be a number in "
            f"(0, {MAX_DECISION_TEMPERATURE}]"
        )
    if cfg.decoder != "dfs" and value != 1.0:
        raise ValueError(
            f"{path}: decision_temperature {value} is for a model that draws its decisions "
            f"(decoder 'dfs'); this one's decoder is {cfg.decoder!r}"
        )
    return value


def _config_from_metadata(path: Path, metadata: dict[str, str]) -> ModelConfig:
    if metadata.get("format") != "daedalus-gym-maze-autoencoder":
        raise ValueError(
            f"{path} is a safetensors file but not a Daedalus-Gym maze model (metadata {metadata})"
        )
    if metadata.get("format_version") != str(FORMAT_VERSION):
        raise ValueError(
            f"{path} has model format version {metadata.get('format_version')!r}; "
            f"this code reads {FORMAT_VERSION}"
        )
    try:
        cfg = ModelConfig.from_dict(json.loads(metadata["config"]))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ValueError(f"{path} has a missing or invalid model config in its metadata ({exc})") from exc
    if max(cfg.size) > MAX_MODEL_CELLS_PER_SIDE:
        raise ValueError(
            f"{path}: model config size {cfg.size} exceeds {MAX_MODEL_CELLS_PER_SIDE} cells a side"
        )
    # Each layer's size is bounded before the meta-device model below multiplies them.
    for name in ("latent_dim", "hidden", "channels", "ar_hidden"):
        if getattr(cfg, name) > 1 << 16:
            raise ValueError(f"{path}: model config {name}={getattr(cfg, name)} exceeds {1 << 16}")
    if cfg.depth > 64:
        raise ValueError(f"{path}: model config depth={cfg.depth} exceeds 64")
    return cfg


def _check_header(path: Path, cfg: ModelConfig, header: dict[str, tuple[tuple[int, ...], str]]) -> None:
    expected = _expected_state(cfg)
    n_params = sum(t.numel() for t in expected.values())
    if n_params > MAX_MODEL_PARAMETERS:
        raise ValueError(
            f"{path}: its model config describes {n_params:,} parameters, more than {MAX_MODEL_PARAMETERS:,}"
        )
    missing, unexpected = sorted(set(expected) - set(header)), sorted(set(header) - set(expected))
    wrong = [
        f"{k}: file {header[k][0]} vs model {tuple(v.shape)}"
        for k, v in expected.items()
        if k in header and header[k][0] != tuple(v.shape)
    ]
    if missing or unexpected or wrong:
        raise ValueError(
            f"{path} does not match its config {cfg}: missing {missing}, unexpected {unexpected}, "
            f"wrong shapes {wrong}"
        )
    for name, (_, dtype) in header.items():
        if dtype not in ("F16", "F32"):
            raise ValueError(
                f"{path}: tensor {name!r} is {dtype}; model files hold F16 or F32 (float16/float32)"
            )
