"""Train a maze autoencoder (``ae``) or variational autoencoder (``vae``) and write its weights
(safetensors) and model card (JSON).

Examples::

    daedalus-gym train vae --out runs/vae                  # the shipped VAE's settings (dfs decoder)
    daedalus-gym train ae --out runs/ae                    # the shipped AE's settings
    daedalus-gym train vae --decoder mlp --hidden 1024 --beta 1 --epochs 30 --out runs/vae-mlp
    daedalus-gym train ae --preset blog --out runs/blog    # the blog's MLP 784-512-2, MSE, 1,280 mazes

Flags given on the command line override the preset's values; unset ones keep the preset's,
or else the shipped model's settings for the kind (``generators.training.SHIPPED``). The
settings used are printed before training starts. The run is reproducible from its ``--seed``
(and ``--data-seed``): on the CPU, the same weights bit for bit on the same machine and torch
build with the same ``--threads``.
"""

from __future__ import annotations

import argparse
import shlex
from collections.abc import Callable
from typing import Any

from daedalus_gym.commands import check_writable, file_stem, float_range, positive_int, seed_int

# flag -> (TrainConfig field, argparse type or choices, help). Unset flags keep the starting
# settings: the shipped model's for the kind (`generators.training.SHIPPED`), then --preset's.
_FLAGS: dict[str, tuple[str, Callable[[str], Any] | tuple[str, ...], str]] = {
    "--arch": ("arch", ("conv", "mlp", "spatial"), "encoder architecture (spatial: a code per cell)"),
    "--latent-dim": ("latent_dim", positive_int, "size of the code"),
    "--hidden": ("hidden", positive_int, "width of the hidden layers"),
    "--depth": ("depth", positive_int, "hidden layers in the decoder (and the mlp encoder)"),
    "--channels": ("channels", positive_int, "conv encoder width"),
    "--output": ("output", ("passages", "grid"), "decoder output"),
    "--recon-loss": ("recon_loss", ("bce", "mse"), "reconstruction loss"),
    "--decoder": (
        "decoder",
        ("mlp", "ar", "dfs"),
        "mlp (all passages at once), ar (passage by passage, raster order) or dfs (a depth-first walk)",
    ),
    "--ar-hidden": ("ar_hidden", positive_int, "units per decision of the ar / dfs decoder"),
    "--generator": ("generator", str, "classical generator that makes the training data"),
    "--dataset-size": ("dataset_size", positive_int, "training mazes"),
    "--val-size": ("val_size", positive_int, "validation mazes"),
    "--data-seed": ("data_seed", seed_int, "seed of the dataset"),
    "--epochs": ("epochs", positive_int, "passes over the training set"),
    "--batch-size": ("batch_size", positive_int, "minibatch size"),
    "--lr": ("lr", float_range(0, low_open=True), "Adam learning rate"),
    "--lr-schedule": ("lr_schedule", ("cosine", "constant"), "learning-rate schedule"),
    "--anneal": ("anneal", ("constant", "monotonic", "cyclical"), "VAE: KL weight schedule"),
    "--beta": ("beta", float_range(0), "VAE: final KL weight"),
    "--cycles": ("cycles", positive_int, "VAE: cycles of the cyclical schedule (M)"),
    "--ratio": (
        "ratio",
        float_range(0, 1, low_open=True),
        "VAE: share of a cycle (or of the run) spent ramping the KL weight (R)",
    ),
    "--free-bits": ("free_bits", float_range(0), "VAE: nats per latent unit not penalised"),
    "--code-noise": (
        "code_noise",
        float_range(0),
        "AE: std of the Gaussian noise added to codes in training",
    ),
    "--code-penalty": (
        "code_penalty",
        float_range(0),
        "AE: weight of the codes' squared norm / 2 in the loss",
    ),
    "--threshold": ("threshold", float_range(0, 1), "wall probability threshold for validation samples"),
    "--val-samples": ("val_samples", positive_int, "prior samples checked after each epoch"),
    "--seed": ("seed", seed_int, "seed of initialisation, shuffling and noise"),
}
# Settings of the VAE's KL term: the AE has none, so these flags would change nothing for it.
VAE_ONLY = ("--anneal", "--beta", "--cycles", "--ratio", "--free-bits")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("kind", choices=["ae", "vae"], help="autoencoder or variational autoencoder")
    parser.add_argument("--preset", choices=["blog"], default=None, help="start from a preset's settings")
    parser.add_argument(
        "--size", type=positive_int, default=argparse.SUPPRESS, help="cells a side (default: 14)"
    )
    for flag, (_, kind, help_text) in _FLAGS.items():
        typed = {"choices": kind} if isinstance(kind, tuple) else {"type": kind}
        help_text += " (default: the kind's shipped setting, or --preset's)"
        parser.add_argument(flag, **typed, default=argparse.SUPPRESS, help=help_text)
    parser.add_argument("--out", required=True, help="output directory")
    parser.add_argument(
        "--name", type=file_stem, default=None, help="file stem of the outputs; none: the kind"
    )
    parser.add_argument("--cache-dir", default=None, help="dataset cache folder; none: ~/.cache/daedalus-gym")
    parser.add_argument("--threads", type=positive_int, default=2, help="torch CPU threads")
    parser.add_argument(
        "--weights-dtype",
        choices=["float32", "float16"],
        default="float32",
        help="storage type of the saved weights (float16 halves the file)",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    from dataclasses import asdict, replace

    import torch

    from generators.training import apply_preset, default_config, save_trained, train

    if args.kind == "ae":
        given = [f"{flag} {_given(args, flag)}" for flag in VAE_ONLY if _given(args, flag) is not None]
        if given:
            raise ValueError(
                f"{', '.join(given)}: the KL term's settings are for the VAE; the AE has no KL term "
                "(its settings are --code-noise and --code-penalty)"
            )
    check_writable(args.out, "--out", directory=True)
    check_writable(args.cache_dir, "--cache-dir", directory=True)
    torch.set_num_threads(args.threads)
    cfg = apply_preset(default_config(args.kind), args.preset)
    overrides = {field: _given(args, flag) for flag, (field, _, _) in _FLAGS.items()}
    overrides = {k: v for k, v in overrides.items() if v is not None}
    if _given(args, "--size") is not None:
        overrides["size"] = (args.size, args.size)
    cfg = replace(cfg, **overrides)
    if cfg.arch == "spatial" and "latent_dim" not in overrides:
        # A spatial code keeps its channels per cell at every size.
        shipped = default_config(args.kind)
        per_cell = max(1, shipped.latent_dim // (shipped.size[0] * shipped.size[1]))
        cfg = replace(cfg, latent_dim=per_cell * cfg.size[0] * cfg.size[1])
    cfg.model_config()  # validate before spending time on data
    print(f"training {args.kind}: " + ", ".join(f"{k}={v}" for k, v in asdict(cfg).items()), flush=True)
    command = "daedalus-gym train " + " ".join(shlex.quote(a) for a in _reconstruct(args))
    result = train(cfg, cache_dir=args.cache_dir, progress=not args.no_progress)
    name = args.name or args.kind
    weights, card = save_trained(result, args.out, name, command, weights_dtype=args.weights_dtype)
    print(f"trained in {result.seconds / 60:.1f} min; wrote {weights} and {card}")
    return 0


def _given(args: argparse.Namespace, flag: str) -> Any:
    """The value of ``flag`` if it was given on the command line, else None."""
    return getattr(args, flag[2:].replace("-", "_"), None)


def _reconstruct(args: argparse.Namespace) -> list[str]:
    """The command line equivalent to ``args`` (when called from Python rather than the console)."""
    out = [args.kind]
    if args.preset:
        out += ["--preset", args.preset]
    if _given(args, "--size") is not None:
        out += ["--size", str(args.size)]
    for flag in _FLAGS:
        value = _given(args, flag)
        if value is not None:
            out += [flag, str(value)]
    out += ["--out", args.out]
    for flag in ("name", "cache_dir"):
        if getattr(args, flag) is not None:
            out += [f"--{flag.replace('_', '-')}", getattr(args, flag)]
    if args.threads != 2:
        out += ["--threads", str(args.threads)]
    if args.weights_dtype != "float32":
        out += ["--weights-dtype", args.weights_dtype]
    if args.no_progress:
        out += ["--no-progress"]
    return out
