"""``python -m benchmarks.learned_ablation``: what each part of the depth-first VAE contributes.

Every row is a way of drawing mazes with the ``dfs`` decoder's walk, scored with the same figures
against fresh mazes of the model's training generator (fresh seeds, disjoint from training):

- **rules only**: the walk's two tree rules, every other decision open with the training set's
  share of open decisions;
- **count table**: each decision drawn from ``P(open | direction, the walk's ten features)``
  counted on the model's training set (no network, no code);
- **model, sampled**: the served mazes (prior code, each decision drawn at the model's decision
  temperature); its NLL is the bound on that served distribution (codes weighed by the prior it
  samples, decisions at that temperature);
- **model, greedy**: prior code, each decision clipped at 0.5;
- **code zeroed**: the model with every code set to the prior mean, decisions drawn;
- **code shuffled**: each cell's part of the code taken from another held-out maze's posterior
  mean (an independent shuffle per cell), decoded greedily for the reconstruction figure and with
  drawn decisions for the sample figures.

Figures: the best classifier two-sample test accuracy (MLP on structure statistics and motifs,
CNN on the wall grid; 0.5 = indistinguishable), the largest two-sample KS statistic over the
structure statistics, held-out NLL in nats per maze where the row is a likelihood model, and
reconstruction of held-out mazes (mean passages wrong of ``E``, greedy decoding of the row's code).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

from benchmarks import writable_or_exit
from daedalus_gym.commands import int_range, positive_int, seed_int
from generators import make_generator
from generators.dataset import load_dataset, seed_stream
from generators.dfs_decoder import NUM_CODES, decode_walk
from generators.lattice import lattice
from generators.likelihood import WalkCountTable, iwae_nll, walk_rules_nll
from generators.structure import STAT_NAMES, structure_stats
from generators.training import TrainConfig
from generators.two_sample import c2st, ks_2samp


def _scores(walls: np.ndarray, ref: np.ndarray, ref_stats: dict, n: int, seed: int) -> dict:
    stats = structure_stats(walls)
    ks = {k: ks_2samp(stats[k], ref_stats[k])[0] for k in STAT_NAMES}
    results = c2st(walls[:n], ref[:n], np.random.default_rng(seed), 8)
    return {
        "c2st_best": max(r.accuracy for r in results),
        **{f"c2st_{r.classifier}": r.accuracy for r in results},
        "ks_max": max(ks.values()),
        "ks_max_statistic": max(ks, key=ks.get),
    }


def _table_walk(
    logit_of_code: np.ndarray, n: int, size: tuple[int, int], rng: np.random.Generator
) -> np.ndarray:
    """Mazes drawn along the walk with each decision's wall logit read from a table."""
    lat = lattice(*size)
    emb = np.zeros((n, size[0] * size[1], 1))
    _, opened = decode_walk(
        emb,
        np.zeros((4 * NUM_CODES, 1)),
        np.zeros((4, 1)),
        np.zeros(4),
        logit_of_code,
        size,
        u=rng.random((n, lat.num_edges)),
    )
    return lat.walls_from_passages(opened)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--model", default=None, help="a dfs-decoder VAE (.safetensors); default: the shipped one"
    )
    parser.add_argument("--n", type=int_range(100), default=4000, help="mazes drawn per row (default: 4000)")
    parser.add_argument(
        "--c2st-n",
        type=int_range(100),
        default=2000,
        help="mazes a side for the classifier tests (default: 2000)",
    )
    parser.add_argument(
        "--heldout-n",
        type=positive_int,
        default=1000,
        help="held-out mazes for NLL and reconstruction (default: 1000)",
    )
    parser.add_argument("--seed", type=seed_int, default=0, help="seed of every draw (default: 0)")
    parser.add_argument("--json", default=None, help="write the rows here")
    args = parser.parse_args(argv)
    writable_or_exit(parser, args.json, "--json")
    started = time.perf_counter()
    try:
        gen = make_generator("vae", model=args.model) if args.model else make_generator("vae")
    except (ValueError, OSError) as err:
        parser.error(f"--model {args.model}: {err}")
    model = gen.model
    if model.cfg.decoder != "dfs":
        parser.error(f"--model must have the dfs decoder, got {model.cfg.decoder!r}")
    size = tuple(model.cfg.size)
    card = json.loads(Path(gen.model_path).with_suffix(".json").read_text())
    train_cfg = TrainConfig(
        **{k: v for k, v in card["train_config"].items() if k in TrainConfig.__dataclass_fields__}
    )
    data = load_dataset(train_cfg.dataset_config())
    reference = make_generator(train_cfg.generator, size=size)
    gen = make_generator("vae", size=size, model=gen.model_path)
    ref = reference.generate_walls(args.n, np.random.default_rng(seed_stream("eval_reference", args.seed)))
    heldout = reference.generate_walls(
        args.heldout_n, np.random.default_rng(seed_stream("eval_heldout", args.seed))
    )
    ref_stats = structure_stats(ref)
    rng = np.random.default_rng(seed_stream("eval_samples", args.seed))
    lat = lattice(*size)
    rows: dict[str, dict] = {}

    table = WalkCountTable.fit(data.train)
    share = table.open_share()
    p_open = (table.opened + 1) / (table.total + 2)
    rules = _table_walk(np.full(4 * NUM_CODES, np.log((1 - share) / share)), args.n, size, rng)
    rows["rules only"] = {
        **_scores(rules, ref, ref_stats, args.c2st_n, args.seed),
        "nll": float(walk_rules_nll(heldout, share).mean()),
    }
    counted = _table_walk(np.log((1 - p_open) / p_open), args.n, size, rng)
    rows["count table"] = {
        **_scores(counted, ref, ref_stats, args.c2st_n, args.seed),
        "nll": float(table.nll(heldout).mean()),
    }
    print(f"baselines done ({time.perf_counter() - started:.0f}s)", flush=True)

    torch_gen = torch.Generator().manual_seed(args.seed)
    # The served distribution's bound: the prior the generator samples and its decision temperature.
    nll = float(iwae_nll(model, heldout, 32, torch_gen, temperature=gen.decision_temperature).mean())
    with torch.no_grad():
        mu = model.encode(torch.from_numpy(heldout).float())[0]
        recon = (model.decode(mu) > 0).numpy()
        cells = size[0] * size[1]
        per_cell = mu.view(len(mu), -1, cells)  # [B, channels, cells] for a spatial code
        mixed = per_cell.clone()
        shuffle_rng = np.random.default_rng(seed_stream("eval_shuffle", args.seed))
        for k in range(cells):
            mixed[:, :, k] = per_cell[shuffle_rng.permutation(len(mu)), :, k]
        mixed = mixed.view(len(mu), -1)
        shuffled_recon = (model.decode(mixed) > 0).numpy()
    shuffled = gen.decode_codes(mixed.double().numpy(), rng.random((len(mixed), lat.num_edges))) > 0
    truth = lat.passages_from_walls(heldout)

    def wrong(walls: np.ndarray) -> float:
        return float((lat.passages_from_walls(walls) != truth).sum(1).mean())

    sampled = gen.generate_walls(args.n, rng)
    rows["model, sampled"] = {
        **_scores(sampled, ref, ref_stats, args.c2st_n, args.seed),
        "nll": nll,
        "recon_wrong": wrong(recon),
    }
    greedy = make_generator("vae", size=size, model=gen.model_path, decoding="greedy").generate_walls(
        args.n, rng
    )
    rows["model, greedy"] = {
        **_scores(greedy, ref, ref_stats, args.c2st_n, args.seed),
        "nll": nll,
        "recon_wrong": wrong(recon),
    }
    prior_mean = model.prior_mean.double().numpy()  # 0 for N(0, I); a fitted Gaussian's mean
    zero = np.tile(prior_mean, (args.n, 1))
    uniforms = rng.random((args.n, lat.num_edges))
    zeroed = gen.decode_codes(zero, uniforms) > 0
    with torch.no_grad():
        zero_recon = (model.decode(model.prior_mean.expand_as(mu).contiguous()) > 0).numpy()
    rows["code zeroed"] = {
        **_scores(zeroed, ref, ref_stats, args.c2st_n, args.seed),
        "recon_wrong": wrong(zero_recon),
    }
    rows["code shuffled"] = {
        **_scores(shuffled, ref, ref_stats, min(args.c2st_n, len(shuffled)), args.seed),
        "recon_wrong": wrong(shuffled_recon),
    }

    e = lat.num_edges
    print(
        f"\n{model.cfg.size[0]}x{model.cfg.size[1]} cells, {train_cfg.generator} mazes; "
        f"{args.n} drawn per row, {args.heldout_n} held out ({time.perf_counter() - started:.0f}s)"
    )
    print(
        f"{'row':16s} {'C2ST best':>9s} {'MLP':>6s} {'CNN':>6s} {'KS max':>7s} {'(statistic)':20s} "
        f"{'NLL nats':>9s} {'recon wrong of ' + str(e):>18s}"
    )
    for name, r in rows.items():
        nll_s = f"{r['nll']:.1f}" if "nll" in r else "-"
        rec_s = f"{r['recon_wrong']:.1f}" if "recon_wrong" in r else "-"
        print(
            f"{name:16s} {r['c2st_best']:9.3f} {r['c2st_mlp_motifs']:6.3f} {r['c2st_cnn_walls']:6.3f} "
            f"{r['ks_max']:7.3f} "
            f"{r['ks_max_statistic']:20s} {nll_s:>9s} {rec_s:>18s}"
        )
    if args.json:
        Path(args.json).write_text(
            json.dumps({"size": list(size), "generator": train_cfg.generator, "rows": rows}, indent=2)
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
