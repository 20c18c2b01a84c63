"""Two-sample tests between a generator's mazes and fresh mazes of a reference generator.

- `ks_2samp`: the two-sample Kolmogorov-Smirnov statistic ``D = max_x |F_a(x) - F_b(x)|`` over
  the pooled values (ties handled exactly, so discrete statistics such as counts are fine) and
  its asymptotic p-value from the Kolmogorov distribution with the Stephens correction
  (Numerical Recipes 14.3). ``O((n_a + n_b) log(n_a + n_b))``.
- `c2st`: classifier two-sample tests (Lopez-Paz & Oquab 2017). Label the two sets 0 and 1, train
  a classifier on a random part of them, and report its accuracy on the held-out rest with a
  95% Wilson interval: about 0.5 when the sets are indistinguishable to the classifier, 1.0 when
  it always tells them apart. Two classifiers: an MLP on structure statistics plus local-motif
  counts (`generators.structure`), and a small CNN on the wall grid. Both run on the CPU in
  torch, seeded by a `torch.Generator` drawn from the numpy rng; with 2,000 mazes a side
  (14x14 cells) each trains in seconds on two cores.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from generators.base import check_int, check_real, check_reals, check_rng
from generators.structure import STAT_NAMES, check_grids, motif_counts, structure_stats

if TYPE_CHECKING:  # torch is imported where a classifier is trained
    import torch

Z95 = 1.959963984540054
TEST_FRACTION = 1 / 3  # of each set, held out for the accuracy
# The fewest mazes a side `c2st` takes: fewer leave the classifiers nothing to train on.
MIN_SET = 2


def ks_2samp(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """``(D, p)`` for samples ``a: float[n_a]`` and ``b: float[n_b]``; NaNs are dropped (no value
    left on a side: ``(nan, nan)``)."""
    a, b = _sample(a, "a"), _sample(b, "b")
    a, b = np.sort(a[~np.isnan(a)]), np.sort(b[~np.isnan(b)])
    if len(a) == 0 or len(b) == 0:
        return float("nan"), float("nan")
    pooled = np.concatenate([a, b])
    cdf_a = np.searchsorted(a, pooled, side="right") / len(a)
    cdf_b = np.searchsorted(b, pooled, side="right") / len(b)
    d = float(np.abs(cdf_a - cdf_b).max())
    return d, kolmogorov_p(d, len(a) * len(b) / (len(a) + len(b)))


def _sample(x: object, name: str) -> np.ndarray:
    """``x`` as ``float64[n]`` of real numbers, or a ValueError naming ``name``."""
    return check_reals(x, name, "maze")


def kolmogorov_p(d: float, n_eff: float) -> float:
    """Asymptotic ``P(D > d)`` for effective sample size ``n_eff = n_a n_b / (n_a + n_b)``.

    ``Q(lam) = 2 sum_k (-1)^(k-1) exp(-2 k^2 lam^2)`` at ``lam = (sqrt(n_eff) + 0.12 +
    0.11 / sqrt(n_eff)) d``. That series converges slowly for small ``lam`` (a hundred terms are
    far from its limit below ``lam`` of about 0.02), so there ``Q = 1 - P(K <= lam)`` comes from
    the equivalent fast series ``P(K <= lam) = sqrt(2 pi) / lam sum_k exp(-(2k-1)^2 pi^2 / (8 lam^2))``.
    ``d``: a finite number in ``[0, 1]``; ``n_eff``: a finite number ``> 0``.
    """
    d = check_real(d, "d", 0.0, 1.0)
    n_eff = check_real(n_eff, "n_eff", 0.0, math.inf, low_open=True, high_open=True)
    lam = (math.sqrt(n_eff) + 0.12 + 0.11 / math.sqrt(n_eff)) * d
    if lam < 1e-3:
        return 1.0
    if lam < 1.18:
        cdf = math.sqrt(2 * math.pi) / lam
        cdf *= sum(math.exp(-((2 * k - 1) ** 2) * math.pi**2 / (8 * lam * lam)) for k in range(1, 11))
        return float(min(1.0, max(0.0, 1 - cdf)))
    total = sum((-1) ** (k - 1) * math.exp(-2 * k * k * lam * lam) for k in range(1, 101))
    return float(min(1.0, max(0.0, 2 * total)))


def wilson_interval(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of a binomial proportion (95% by default); ``(nan, nan)`` for
    ``n = 0``. ``z``: a finite number ``> 0``."""
    n = check_int(n, "n", 0)
    successes = check_int(successes, "successes", 0, n)
    z = check_real(z, "z", 0.0, math.inf, low_open=True, high_open=True)
    if n == 0:
        return float("nan"), float("nan")
    return wilson_score(successes / n, n, z)


def wilson_score(p: float, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval at success rate ``p`` in ``[0, 1]`` over ``n >= 1`` trials:
    ``(p + z²/2n ± z sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n)``, exactly 0 and 1 at its ends (the
    formula, the one shared by every Wilson interval here; callers check their arguments)."""
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    low = 0.0 if p == 0 else max(0.0, centre - half)
    high = 1.0 if p == 1 else min(1.0, centre + half)
    return low, high


@dataclass(frozen=True)
class C2STResult:
    """Held-out accuracy of one classifier, with its 95% Wilson interval and the test size."""

    classifier: str
    accuracy: float
    ci_low: float
    ci_high: float
    n_test: int


def tabular_features(walls: np.ndarray) -> np.ndarray:
    """``walls: bool[B, H, W]`` -> ``float32[B, F]``: `structure_stats` (NaN as -1) and `motif_counts`."""
    stats = structure_stats(walls)
    table = np.stack([np.nan_to_num(stats[k], nan=-1.0) for k in STAT_NAMES], axis=1)
    return np.concatenate([table.astype(np.float32), motif_counts(walls)], axis=1)


def _split(n_a: int, n_b: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Shuffled train / test indices into the concatenation of the two sets, and the labels."""
    labels = np.concatenate([np.zeros(n_a), np.ones(n_b)]).astype(np.float32)
    order = rng.permutation(n_a + n_b)
    n_test = max(2, round((n_a + n_b) * TEST_FRACTION))
    return order[n_test:], order[:n_test], labels


def _fit(
    net: torch.nn.Module,
    x: np.ndarray,
    y: np.ndarray,
    train: np.ndarray,
    test: np.ndarray,
    epochs: int,
    gen: torch.Generator,
) -> int:
    """Train ``net`` (a torch module, logit out) with Adam on ``x[train]``; correct test predictions."""
    import torch
    from torch.nn import functional as F

    xs, ys = torch.from_numpy(x), torch.from_numpy(y)
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-3, weight_decay=1e-4)
    tr = torch.from_numpy(train)
    for _ in range(epochs):
        net.train()
        perm = tr[torch.randperm(len(tr), generator=gen)]
        for i in range(0, len(perm), 64):
            idx = perm[i : i + 64]
            loss = F.binary_cross_entropy_with_logits(net(xs[idx]).squeeze(1), ys[idx])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
    net.eval()
    with torch.no_grad():
        te = torch.from_numpy(test)
        pred = net(xs[te]).squeeze(1) > 0
        return int((pred == ys[te].bool()).sum())


def _result(name: str, correct: int, n_test: int) -> C2STResult:
    low, high = wilson_interval(correct, n_test)
    return C2STResult(name, correct / n_test, low, high, n_test)


def c2st(a: np.ndarray, b: np.ndarray, rng: np.random.Generator, epochs: int = 8) -> list[C2STResult]:
    """Classifier two-sample tests of ``a: bool[n_a, H, W]`` against ``b: bool[n_b, H, W]``.

    Both classifiers see the same random split (a third held out). Returns one `C2STResult` per
    classifier: ``"mlp_motifs"`` (MLP, 2 x 64 hidden, on standardised `tabular_features`) and
    ``"cnn_walls"`` (three 3x3 convolutions, 16-32-32 channels, strides 1-2-2, then a linear
    layer over the whole map, so position is visible to it).

    Raises:
        TypeError / ValueError: a set is not ``bool[n, 2h+1, 2w+1]`` with at least `MIN_SET`
            mazes, the two differ in shape, ``rng`` is not a `numpy.random.Generator` or
            ``epochs`` is not an int >= 1.
    """
    import torch
    from torch import nn

    a, b = check_grids(a, "a"), check_grids(b, "b")
    rng, epochs = check_rng(rng), check_int(epochs, "epochs", 1)
    if a.shape[1:] != b.shape[1:]:
        raise ValueError(f"the two sets must have the same grid shape, got {a.shape[1:]} and {b.shape[1:]}")
    for name, walls in (("a", a), ("b", b)):
        if len(walls) < MIN_SET:
            raise ValueError(
                f"{name} must hold at least {MIN_SET} mazes (a third of each set is held out for "
                f"the accuracy), got {len(walls)}"
            )
    train, test, labels = _split(len(a), len(b), rng)
    results = []

    feats = tabular_features(np.concatenate([a, b]))
    mean, std = feats[train].mean(0), feats[train].std(0) + 1e-6  # from the training part only
    feats = ((feats - mean) / std).astype(np.float32)
    gen = torch.Generator().manual_seed(int(rng.integers(2**63)))
    mlp = nn.Sequential(
        nn.Linear(feats.shape[1], 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1)
    )
    _init(mlp, gen)
    results.append(_result("mlp_motifs", _fit(mlp, feats, labels, train, test, epochs, gen), len(test)))

    grids = np.concatenate([a, b]).astype(np.float32)[:, None] * 2 - 1
    height, width = a.shape[1:]
    out_h, out_w = _conv_out(_conv_out(height)), _conv_out(_conv_out(width))
    cnn = nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(16, 32, 3, stride=2, padding=1),
        nn.ReLU(),
        nn.Conv2d(32, 32, 3, stride=2, padding=1),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(32 * out_h * out_w, 1),
    )
    _init(cnn, gen)
    results.append(_result("cnn_walls", _fit(cnn, grids, labels, train, test, epochs, gen), len(test)))
    return results


def _conv_out(size: int) -> int:
    return (size - 1) // 2 + 1  # 3x3, stride 2, padding 1


def _init(net: torch.nn.Module, gen: torch.Generator) -> None:
    """Re-draw every parameter from ``gen``: torch's default init reads the global rng."""
    import torch

    with torch.no_grad():
        for p in net.parameters():
            if p.ndim > 1:
                bound = 1 / math.sqrt(p[0].numel())
                p.copy_(torch.rand(p.shape, generator=gen) * 2 * bound - bound)
            else:
                p.zero_()
