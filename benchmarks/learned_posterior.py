"""``python -m benchmarks.learned_posterior --generator G --model FILE``: is a VAE's gap to its
training generator in its prior or in its decoder?

Three ways of choosing the codes, each decoded with every decision drawn and repaired as served,
each scored by the classifier two-sample tests against the same fresh mazes of the training
generator (fresh seeds, disjoint from training):

- **prior**: codes from N(0, I), the prior the VAE was trained against;
- **posterior**: one code drawn from each held-out maze's posterior (``mu + sigma * eps``): what
  the decoder makes of codes that real mazes give;
- **fitted Gaussian**: codes from a Gaussian (mean and full covariance) fitted to one posterior
  draw for each of ``--fit-n`` other mazes: what a prior that matches the codes would give.

If posterior codes are told apart as often as prior ones, the decoder is what misses; the gap
between the two is what a better prior could gain.
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

from benchmarks import generator_or_exit
from daedalus_gym.commands import int_range, seed_int
from generators import make_generator
from generators.models import load_model
from generators.two_sample import c2st


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--generator", required=True, help="the model's training generator")
    parser.add_argument("--model", required=True, help="a VAE's .safetensors file")
    parser.add_argument(
        "--n", type=int_range(100), default=3000, help="mazes a side for the classifier tests (default: 3000)"
    )
    parser.add_argument(
        "--fit-n",
        type=int_range(2),
        default=20000,
        help="mazes whose codes fit the Gaussian (default: 20000)",
    )
    parser.add_argument("--seed", type=seed_int, default=0, help="seed of every draw (default: 0)")
    args = parser.parse_args(argv)

    try:
        gen = make_generator("vae", model=args.model)
    except (ValueError, OSError) as err:
        parser.error(f"--model {args.model}: {err}")
    if gen.kind != "vae":
        parser.error(f"--model must hold a VAE, got {gen.kind!r}")
    model = load_model(args.model).double()  # a copy of its own: the generator's is shared
    ref = generator_or_exit(parser, args.generator, gen.cells, flag="--generator")
    seeds = np.random.SeedSequence([args.seed, 0x506F7374]).spawn(6)
    fresh = ref.generate_walls(args.n, np.random.default_rng(seeds[0]))
    held_out = ref.generate_walls(args.n, np.random.default_rng(seeds[1]))
    fit_set = ref.generate_walls(args.fit_n, np.random.default_rng(seeds[2]))
    rng = np.random.default_rng(seeds[3])
    edges = gen._lattice_model.num_edges

    def served(codes: np.ndarray) -> np.ndarray:
        tiles = gen.decode_codes(codes, rng.random((len(codes), edges)))
        return gen._clip_repair(tiles).walls

    def posterior_draws(walls: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            mu, logvar = model.encode(torch.from_numpy(walls.astype(np.float64)))
        mu, std = mu.numpy(), np.exp(0.5 * logvar.numpy())
        return mu + std * rng.standard_normal(mu.shape)

    fitted = posterior_draws(fit_set)
    mean, cov = fitted.mean(0), np.cov(fitted.T) + 1e-5 * np.eye(fitted.shape[1])
    rows = {
        "prior": served(rng.standard_normal((args.n, gen.latent_dim))),
        "posterior": served(posterior_draws(held_out)),
        "fitted Gaussian": served(
            mean + rng.standard_normal((args.n, len(mean))) @ np.linalg.cholesky(cov).T
        ),
    }
    print(f"{args.model} against fresh {args.generator} mazes, {args.n:,} a side")
    for name, walls in rows.items():
        results = c2st(walls, fresh, np.random.default_rng(seeds[4]))
        scores = ", ".join(
            f"{r.classifier} {r.accuracy:.3f} [{r.ci_low:.3f}, {r.ci_high:.3f}]" for r in results
        )
        print(f"  {name:16s} {scores}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
