"""Train the path head of a learned depth-first AE or VAE: the decoder's decision tables told the
start-goal path length each maze should have (``generators.path_head``). Difficulty control
(``target={"path_length": ...}`` or ``difficulty=``) draws its candidates from the head when the
model has one, so most of them land near the target at once.

The head is fitted to the generator's own mazes (its codes, its decisions at its decision
temperature), not to a dataset, and is written beside the model file as
``<model>.path.safetensors`` with its card ``<model>.path.json``.

Examples::

    daedalus-gym train-path-head vae                                  # the shipped 14x14 VAE's head
    daedalus-gym train-path-head ae --size 28                         # the shipped 28x28 AE's head
    daedalus-gym train-path-head vae --model runs/vae/vae.safetensors # your own model's head
"""

from __future__ import annotations

import argparse
import shlex

from daedalus_gym.commands import check_writable, float_range, positive_int, seed_int

DEFAULT_SIZE = 14


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("kind", choices=["ae", "vae"], help="autoencoder or variational autoencoder")
    parser.add_argument(
        "--size",
        type=positive_int,
        default=None,
        help=f"cells a side of the shipped model (default: {DEFAULT_SIZE}; with --model: that model's size)",
    )
    parser.add_argument(
        "--model", default=None, help="a dfs-decoder model file (.safetensors); none: the shipped one"
    )
    parser.add_argument("--steps", type=positive_int, default=1500, help="Adam steps")
    parser.add_argument("--batch", type=positive_int, default=256, help="fresh model mazes a step")
    parser.add_argument("--lr", type=float_range(0, low_open=True), default=0.1, help="Adam learning rate")
    parser.add_argument("--seed", type=seed_int, default=0, help="seed of the mazes drawn")
    parser.add_argument("--held-out", type=positive_int, default=4096, help="mazes scored after training")
    parser.add_argument("--threads", type=positive_int, default=2, help="torch CPU threads")


def run(args: argparse.Namespace) -> int:
    import torch

    from generators import make_generator
    from generators.learned import load_cached
    from generators.path_head import head_path, save_trained_head, train_path_head

    torch.set_num_threads(args.threads)
    if args.model:
        # The head is fitted at the model's own size, which its file records.
        size = tuple(load_cached(args.model).cfg.size)
        if args.size is not None and (args.size, args.size) != size:
            raise ValueError(
                f"--size {args.size} disagrees with --model {args.model}, a model of {size[0]}x{size[1]} "
                "cells; leave --size out to use the model's size"
            )
        gen = make_generator(args.kind, size=size, model=args.model)
    else:
        gen = make_generator(args.kind, size=args.size or DEFAULT_SIZE)
    out = head_path(gen.model_path)
    check_writable(out, "the head file beside --model")
    print(
        f"training the path head of {gen.model_path} ({gen.cells[0]}x{gen.cells[1]}, decision temperature "
        f"{gen.decision_temperature}): {args.steps} steps of {args.batch} mazes",
        flush=True,
    )
    result = train_path_head(
        gen, steps=args.steps, batch=args.batch, lr=args.lr, seed=args.seed, held_out=args.held_out
    )
    parts = [args.kind] if args.size is None and args.model else [args.kind, "--size", str(gen.cells[0])]
    if args.model:
        parts += ["--model", args.model]
    for flag, default in (("steps", 1500), ("batch", 256), ("lr", 0.1), ("seed", 0), ("held_out", 4096)):
        if getattr(args, flag) != default:
            parts += [f"--{flag.replace('_', '-')}", str(getattr(args, flag))]
    command = "daedalus-gym train-path-head " + " ".join(shlex.quote(p) for p in parts)
    save_trained_head(result, gen.model_path, out, command)
    held = result.held_out
    print(
        f"trained in {result.seconds / 60:.1f} min; held out ({held['mazes']} model mazes): "
        f"{held['head_nats_per_maze']:.2f} nats a maze told its path, {held['model_nats_per_maze']:.2f} "
        f"by the model alone; wrote {out}"
    )
    return 0
