"""Measuring a generator against its training set: validity, repair cost, novelty, diversity, style.

`evaluate` draws ``n`` mazes from a generator (prior samples for the learned ones) and returns a
flat dict of figures; `save_figures` draws the pictures (matplotlib, imported only there).

- Validity: raw (thresholded, before repair) solvable and perfect shares; the same after repair.
- Repair: cells changed (mean, median, p99) and the time to repair one maze at a time
  (median, p99, in ms), the latency an env reset pays.
- Novelty: exact copies of training mazes; Hamming distance (cells that differ) from each sample
  to its nearest training maze (median), beside the training set's own leave-one-out value
  (a held-in training maze to its nearest *other* training maze). Distances are exact, computed as
  ``(D - a.b) / 2`` on +/-1 grids with float32 matrix products (exact for integers < 2^24), in
  chunks: O(n * N_train * H * W).
- Diversity: duplicates among the samples; mean pairwise Hamming distance among them, beside the
  training set's (on an equal-sized training subset).
- Style: dead-end and junction fractions (cells with one / three or more open neighbouring
  cells, over all cells: passage squares are not cells) and start-goal path length, beside the
  training set's.
- Fidelity (`generators.fidelity`): classifier two-sample tests, KS statistics of structure
  statistics, held-out likelihoods beside a count-table and a rules-only baseline, and
  reconstructions, against fresh mazes of the training set's generator.

The samples come from evaluation's own seed stream (`generators.dataset.seed_stream`), never
from the streams of the training set, its validation split or training's per-epoch check.
- Latent: active units (Burda et al. 2016: variance over validation mazes of the mean code above
  0.01) for the learned generators.
- Throughput: mazes per second of `generate_walls` (batched, with repair).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from generators.base import MazeGenerator, check_int
from generators.dataset import DatasetConfig, MazeDataset, load_dataset, seed_stream
from generators.fidelity import FidelityConfig, fidelity
from generators.maze import is_perfect, open_degree
from generators.repair import repair
from generators.shortest_paths import path_lengths, solvable
from generators.structure import check_grids
from generators.two_sample import MIN_SET

ACTIVE_UNIT_THRESHOLD = 0.01


# ---------------------------------------------------------------------- batch statistics
def style_stats(walls: np.ndarray) -> dict[str, np.ndarray]:
    """``walls: bool[B, H, W]`` -> per-maze ``dead_end_fraction`` and ``junction_fraction`` (cells
    with one / three or more open neighbouring cells, over the ``h * w`` cells) and
    ``path_length`` (grid steps between the corner cells, -1 where cut off), each of ``B``.

    Only the cell squares (odd row, odd column) are counted: a passage square between two open
    cells always has two open neighbours, and dividing by it too would halve the fractions.
    """
    walls = check_grids(walls)
    degree = open_degree(walls)[:, 1::2, 1::2]
    cells = ~walls[:, 1::2, 1::2]
    n_cells = degree.shape[1] * degree.shape[2]
    return {
        "dead_end_fraction": ((degree == 1) & cells).sum(axis=(1, 2)) / n_cells,
        "junction_fraction": ((degree >= 3) & cells).sum(axis=(1, 2)) / n_cells,
        "path_length": path_lengths(walls),
    }


def _signs(walls: np.ndarray) -> Any:
    import torch

    return torch.from_numpy(np.where(walls.reshape(len(walls), -1), 1.0, -1.0).astype(np.float32))


def nearest_hamming(
    queries: np.ndarray, reference: np.ndarray, exclude_self: bool = False, chunk: int = 1024
) -> np.ndarray:
    """For each ``queries[i]``, the Hamming distance to the nearest grid in ``reference``.

    With ``exclude_self`` the queries must be ``reference[:len(queries)]`` and each skips itself
    (leave-one-out).
    """
    import torch

    queries = check_grids(queries, "queries", odd=False)
    reference = check_grids(reference, "reference", odd=False)
    chunk = check_int(chunk, "chunk", 1)
    if queries.shape[1:] != reference.shape[1:]:
        raise ValueError(
            f"queries and reference must have the same grid shape, got {queries.shape[1:]} and "
            f"{reference.shape[1:]}"
        )
    if len(reference) == 0 or (exclude_self and len(reference) < 2):
        raise ValueError(
            f"reference must hold at least {2 if exclude_self else 1} grids to find a nearest one "
            f"in, got {len(reference)}"
        )
    if exclude_self and len(queries) > len(reference):
        raise ValueError(
            f"with exclude_self the queries are reference[:len(queries)]: at most {len(reference)} "
            f"of them, got {len(queries)}"
        )

    ref = _signs(reference)
    dim = ref.shape[1]
    out = np.empty(len(queries), dtype=np.int64)
    for i in range(0, len(queries), chunk):
        q = _signs(queries[i : i + chunk])
        best = torch.full((len(q),), float("inf"))
        for j in range(0, len(ref), 16_384):
            dist = (dim - q @ ref[j : j + 16_384].T) / 2
            if exclude_self:
                rows = torch.arange(len(q))
                cols = rows + i - j
                ok = (cols >= 0) & (cols < dist.shape[1])
                dist[rows[ok], cols[ok]] = float("inf")
            best = torch.minimum(best, dist.min(dim=1).values)
        out[i : i + len(q)] = best.round().long().numpy()
    return out


def mean_pairwise_hamming(walls: np.ndarray, chunk: int = 2048) -> float:
    """Mean Hamming distance over all unordered pairs of distinct indices of ``walls: bool[B, H, W]``
    (0 for fewer than two grids)."""
    walls = check_grids(walls, odd=False)
    chunk = check_int(chunk, "chunk", 1)
    sign = _signs(walls)
    n, dim = sign.shape
    if n < 2:
        return 0.0
    total = 0.0
    for i in range(0, n, chunk):
        total += float(((dim - sign[i : i + chunk] @ sign.T) / 2).double().sum())
    return total / (n * (n - 1))  # the diagonal is 0


def _bytes_set(walls: np.ndarray) -> set[bytes]:
    packed = np.packbits(walls.reshape(len(walls), -1), axis=1)
    return {row.tobytes() for row in packed}


# ---------------------------------------------------------------------- evaluation
def _reference_dataset(generator: MazeGenerator) -> MazeDataset:
    """The training set of a learned generator (from its model card), else the generator's own."""
    card = model_card(generator)
    if card is not None:
        if not isinstance(card.get("dataset_config"), dict):
            raise ValueError(
                f"model card {Path(generator.model_path).with_suffix('.json')} has no 'dataset_config' "
                "(the generator name, size and counts of the training set), which evaluation compares with"
            )
        return load_dataset(DatasetConfig.from_dict(card["dataset_config"]))
    return load_dataset(DatasetConfig(generator=generator.name, size=generator.cells))


def model_card(generator: MazeGenerator) -> dict[str, Any] | None:
    """The JSON model card beside a learned generator's weights, if there is one."""
    path = getattr(generator, "model_path", None)
    if path is None:
        return None
    card = Path(path).with_suffix(".json")
    if not card.is_file():
        return None
    try:
        data = json.loads(card.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"model card {card} is not valid JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise ValueError(f"model card {card} must hold a JSON object, got {type(data).__name__}")
    return data


def _code_noise(generator: MazeGenerator) -> float | None:
    """The code noise an AE was trained with (its card's ``train_config.code_noise``); ``None``
    when there is no card or no noise."""
    train_cfg = (model_card(generator) or {}).get("train_config")
    noise = train_cfg.get("code_noise") if isinstance(train_cfg, dict) else None
    if noise is None:
        return None
    if isinstance(noise, bool) or not isinstance(noise, (int, float)) or not noise >= 0:
        raise ValueError(
            f"model card {Path(generator.model_path).with_suffix('.json')}: train_config.code_noise "
            f"must be a number >= 0, got {noise!r}"
        )
    return float(noise) or None


def _repair_times(generator: MazeGenerator, raw: np.ndarray, logits: np.ndarray | None) -> np.ndarray:
    """Seconds to repair each maze on its own (the latency of one env reset's repair)."""
    mode = getattr(generator, "repair_mode", None)
    times = np.zeros(len(raw))
    if mode is None:
        return times
    lat_rc = None
    if logits is not None:
        from generators.lattice import lattice

        lat = lattice(*generator.cells)
        lat_rc = (lat.edge_rc[:, 0], lat.edge_rc[:, 1])
    for i in range(len(raw)):
        start = time.perf_counter()
        passage = None if lat_rc is None else logits[i : i + 1][:, lat_rc[0], lat_rc[1]].astype(np.float64)
        repair(raw[i : i + 1], mode, passage)
        times[i] = time.perf_counter() - start
    return times


def active_units(generator: MazeGenerator, val: np.ndarray) -> int | None:
    model = getattr(generator, "model", None)
    if model is None:
        return None
    import torch

    with torch.no_grad():
        mu = torch.cat(
            [model.encode(torch.from_numpy(val[i : i + 1024]).float())[0] for i in range(0, len(val), 1024)]
        )
    return int((mu.var(0) > ACTIVE_UNIT_THRESHOLD).sum())


def evaluate(
    generator: MazeGenerator,
    n: int = 10_000,
    seed: int = 0,
    loo_size: int = 2_000,
    dataset: MazeDataset | None = None,
    log: Any = print,
    fidelity_config: FidelityConfig | None = None,
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Figures for ``n`` mazes drawn from ``generator`` with evaluation's stream of ``seed``
    (``seed_stream("eval_samples", seed)``).

    ``fidelity_config`` sizes the fidelity figures (`generators.fidelity.FidelityConfig`).
    Returns ``(metrics, arrays)``: a flat JSON-ready dict, and the per-maze arrays behind it (for
    the pictures).

    Raises:
        TypeError / ValueError: ``generator`` is not a `MazeGenerator`, ``n`` is not an int >= 2
            (the two-sample tests need two mazes a side), ``seed`` is not an int >= 0,
            ``loo_size`` not an int >= 1, ``dataset`` not a `MazeDataset` (or ``None``), or its
            grids differ from the generator's.
    """
    if not isinstance(generator, MazeGenerator):
        raise TypeError(f"generator must be a generators.MazeGenerator, got {type(generator).__name__}")
    n, seed = check_int(n, "n", MIN_SET), check_int(seed, "seed", 0)
    loo_size = check_int(loo_size, "loo_size", 1)
    if dataset is not None and not isinstance(dataset, MazeDataset):
        raise TypeError(f"dataset must be a MazeDataset or None, got {type(dataset).__name__}")
    if fidelity_config is not None and not isinstance(fidelity_config, FidelityConfig):
        raise TypeError(
            f"fidelity_config must be a FidelityConfig or None, got {type(fidelity_config).__name__}"
        )
    stream = seed_stream("eval_samples", seed)
    rng = np.random.default_rng(stream)
    data = dataset if dataset is not None else _reference_dataset(generator)
    train = data.train
    if tuple(generator.shape) != tuple(train.shape[1:]):
        # Novelty, diversity and the fidelity figures compare whole grids with the training set's.
        raise ValueError(
            f"evaluate compares samples with the training set, of grids {tuple(train.shape[1:])}; "
            f"{generator.name!r} at size {tuple(generator.cells)} draws grids {tuple(generator.shape)} "
            "(a learned model is measured at the size it was trained at)"
        )
    log(f"drawing {n} mazes from {generator!r}")
    generator.generate_walls(8, np.random.default_rng(seed + 1))  # warm-up: lazy loads, first-call costs
    start = time.perf_counter()
    walls = generator.generate_walls(n, rng)
    gen_seconds = time.perf_counter() - start
    draw = getattr(generator, "draw", None)
    if draw is not None:
        batch = draw(n, np.random.default_rng(stream))  # the same noise again: raw and logits too
        raw, logits, changed = batch.raw, batch.logits, batch.cells_changed
        walls = batch.walls
    else:
        raw, logits, changed = walls, None, np.zeros(n, dtype=np.int64)
    log("timing single-maze repairs")
    rtimes = _repair_times(generator, raw, logits) * 1e3

    log("validity and style")
    metrics: dict[str, Any] = {
        "generator": generator.config(),
        "n": n,
        "seed": seed,
        "dataset": data.config.to_dict(),
        "raw_solvable_pct": 100 * float(solvable(raw).mean()),
        "raw_perfect_pct": 100 * float(is_perfect(raw).mean()),
        "solvable_pct": 100 * float(solvable(walls).mean()),
        "perfect_pct": 100 * float(is_perfect(walls).mean()),
        "cells_changed_mean": float(changed.mean()),
        "cells_changed_median": float(np.median(changed)),
        "cells_changed_p99": float(np.percentile(changed, 99)),
        "repair_ms_median": float(np.median(rtimes)),
        "repair_ms_p99": float(np.percentile(rtimes, 99)),
        "mazes_per_second": n / gen_seconds,
    }
    ref_n = min(len(train), n)
    sample_style, train_style = style_stats(walls), style_stats(train[:ref_n])
    for key in ("dead_end_fraction", "junction_fraction"):
        metrics[f"{key}_pct"] = 100 * float(sample_style[key].mean())
        metrics[f"train_{key}_pct"] = 100 * float(train_style[key].mean())
    solved = sample_style["path_length"] >= 0
    metrics["path_length_mean"] = float(sample_style["path_length"][solved].mean()) if solved.any() else None
    metrics["train_path_length_mean"] = float(train_style["path_length"].mean())

    log("novelty and diversity")
    unique = _bytes_set(walls)
    metrics["duplicates"] = n - len(unique)
    train_set = _bytes_set(train)
    metrics["training_copies"] = sum(1 for b in unique if b in train_set)
    metrics["raw_training_copies"] = sum(1 for b in _bytes_set(raw) if b in train_set)
    near = nearest_hamming(walls, train)
    loo = nearest_hamming(train[:loo_size], train, exclude_self=True)
    metrics["nearest_train_hamming_median"] = float(np.median(near))
    metrics["train_loo_hamming_median"] = float(np.median(loo))
    metrics["nearest_train_hamming_ratio"] = metrics["nearest_train_hamming_median"] / max(
        1.0, metrics["train_loo_hamming_median"]
    )
    pair_n = min(n, 5_000, len(train))
    metrics["pairwise_hamming_mean"] = mean_pairwise_hamming(walls[:pair_n])
    metrics["train_pairwise_hamming_mean"] = mean_pairwise_hamming(train[:pair_n])
    metrics["pairwise_hamming_ratio"] = metrics["pairwise_hamming_mean"] / max(
        1e-9, metrics["train_pairwise_hamming_mean"]
    )
    metrics["active_units"] = active_units(generator, data.val)
    metrics["latent_dim"] = getattr(generator, "latent_dim", None)
    fid_metrics, fid_arrays = fidelity(
        generator, walls, data, seed, fidelity_config, log, proposal_std=_code_noise(generator)
    )
    metrics.update(fid_metrics)
    arrays = {
        "raw": raw,
        "walls": walls,
        "cells_changed": changed,
        "repair_ms": rtimes,
        "nearest_hamming": near,
        "train_loo_hamming": loo,
        **{f"sample_{k}": v for k, v in sample_style.items()},
        **{f"train_{k}": v for k, v in train_style.items()},
        "val": data.val,
        **fid_arrays,
    }
    return metrics, arrays


def format_report(metrics: dict[str, Any]) -> str:
    """The figures as aligned text lines (an interval as ``[low, high]``)."""
    skip = {"generator", "dataset"}
    width = max(len(k) for k in metrics)
    lines = [f"generator: {json.dumps(metrics['generator'])}"]
    for key, value in metrics.items():
        if key in skip:
            continue
        if isinstance(value, float):
            text = f"{value:.3g}" if key.startswith("ks_p_") else f"{value:.3f}"
        elif isinstance(value, list) and all(isinstance(v, float) for v in value):
            text = "[" + ", ".join(f"{v:.3f}" for v in value) + "]"
        else:
            text = str(value)
        lines.append(f"{key:<{width}}  {text}")
    return "\n".join(lines)


# ---------------------------------------------------------------------- pictures
def _plt() -> Any:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError('pictures need matplotlib: pip install "daedalus-gym[plot]"') from err
    return plt


def _show(ax: Any, walls: np.ndarray, title: str | None = None) -> None:
    ax.imshow(walls, cmap="gray_r", interpolation="nearest", vmin=0, vmax=1)
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=7)


def save_montage(path: str | Path, raw: np.ndarray, walls: np.ndarray, columns: int = 8) -> None:
    """Samples raw (top row of each pair) and repaired (below), ``columns`` per row."""
    plt = _plt()
    k = min(columns * 2, len(raw))
    rows = 2 * ((k + columns - 1) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(columns * 1.3, rows * 1.35), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for i in range(k):
        r, c = 2 * (i // columns), i % columns
        _show(axes[r, c], raw[i], "raw")
        _show(axes[r + 1, c], walls[i], "repaired")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def save_traversal(
    path: str | Path, generator: MazeGenerator, val: np.ndarray, steps: int = 9, span: float = 2.0
) -> None:
    """The blog's figure: decoded (raw, thresholded) mazes on a grid over two latent units.

    The units are the two most active ones (largest variance of the mean code over ``val``); the
    grid runs ``span`` standard deviations of the prior either side of its mean (N(0, I) for the
    VAE, the fitted Gaussian for the AE), the other units held at the prior mean.
    """
    model = getattr(generator, "model", None)
    if model is None:
        return
    import torch

    plt = _plt()
    with torch.no_grad():
        mu = model.encode(torch.from_numpy(val[:2000]).float())[0]
    order = np.argsort(-mu.var(0).numpy())
    i, j = int(order[0]), int(order[1 % len(order)])
    mean = model.prior_mean.double().numpy()
    std = model.prior_std().double().numpy()
    values = np.linspace(-span, span, steps)
    codes = np.tile(mean, (steps * steps, 1))
    for a, u in enumerate(values):
        for b, v in enumerate(values):
            codes[a * steps + b, i] = mean[i] + u * std[i]
            codes[a * steps + b, j] = mean[j] + v * std[j]
    logits = generator.decode_codes(codes)
    raw = logits > np.log(generator.threshold / (1 - generator.threshold))
    fig, axes = plt.subplots(steps, steps, figsize=(steps * 1.1, steps * 1.1), squeeze=False)
    for k, ax in enumerate(axes.flat):
        _show(ax, raw[k])
    fig.suptitle(f"latent traversal: unit {i} down, unit {j} across, {-span:+g} to {span:+g} std", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def save_interpolation(
    path: str | Path, generator: MazeGenerator, val: np.ndarray, pairs: int = 3, steps: int = 9
) -> bool:
    """Interpolations between the codes of ``pairs`` pairs of held-out mazes (one row each):
    ``generator.interpolate``, every maze repaired as the generator serves it. Written only when
    the generator works at its model's own size; returns whether it was."""
    interpolate = getattr(generator, "interpolate", None)
    if interpolate is None or tuple(generator.cells) != tuple(generator.model.cfg.size):
        return False
    plt = _plt()
    fig, axes = plt.subplots(pairs, steps, figsize=(steps * 1.1, pairs * 1.2), squeeze=False)
    for row in range(pairs):
        mazes = interpolate(val[2 * row], val[2 * row + 1], steps=steps)
        for k, maze in enumerate(mazes):
            title = "maze A" if k == 0 else "maze B" if k == steps - 1 else None
            _show(axes[row, k], maze.walls, title)
    fig.suptitle("decoded from codes on the line between two held-out mazes' codes", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return True


def save_histograms(path: str | Path, arrays: dict[str, np.ndarray]) -> None:
    """Samples against the training set: dead-end fraction, path length, nearest-train Hamming."""
    plt = _plt()
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.2))
    pairs = [
        ("dead-end fraction", arrays["sample_dead_end_fraction"], arrays["train_dead_end_fraction"]),
        (
            "start-goal path length",
            arrays["sample_path_length"][arrays["sample_path_length"] >= 0],
            arrays["train_path_length"],
        ),
        ("Hamming to nearest training maze", arrays["nearest_hamming"], arrays["train_loo_hamming"]),
    ]
    for ax, (title, sample, train) in zip(axes, pairs, strict=True):
        lo = float(min(sample.min(), train.min()))
        hi = float(max(sample.max(), train.max()))
        bins = np.linspace(lo, hi if hi > lo else lo + 1, 40)
        ax.hist(
            train,
            bins=bins,
            alpha=0.6,
            density=True,
            label="training (leave-one-out)" if "Hamming" in title else "training",
        )
        ax.hist(sample, bins=bins, alpha=0.6, density=True, label="samples")
        ax.set_title(title, fontsize=9)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def save_figures(
    out_dir: str | Path, generator: MazeGenerator, arrays: dict[str, np.ndarray], stem: str
) -> list[Path]:
    """Write ``<stem>_samples.png``, ``<stem>_histograms.png`` and, for a learned generator,
    ``<stem>_traversal.png`` and ``<stem>_interpolation.png`` (at the model's own size)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = [out / f"{stem}_samples.png", out / f"{stem}_histograms.png"]
    save_montage(written[0], arrays["raw"], arrays["walls"])
    save_histograms(written[1], arrays)
    if getattr(generator, "model", None) is not None:
        written.append(out / f"{stem}_traversal.png")
        save_traversal(written[-1], generator, arrays["val"])
        if save_interpolation(out / f"{stem}_interpolation.png", generator, arrays["val"]):
            written.append(out / f"{stem}_interpolation.png")
    return written
