"""Evaluate a generator on prior samples: validity, repair cost, novelty, diversity and style
against its training set, and fidelity against fresh mazes of the training set's generator
(classifier two-sample tests, KS statistics, held-out likelihoods beside baselines,
reconstructions); writes JSON and pictures.

Examples::

    daedalus-gym evaluate --generator vae --n 10000 --out runs/eval
    daedalus-gym evaluate --generator ae --model runs/blog/ae.safetensors --name blog --out runs/eval
    daedalus-gym evaluate --generator vae --repair connect --out runs/eval

For a learned generator the training set is rebuilt from its model card (the ``.json`` beside the
weights); for a classical one it is a fresh dataset of that generator.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from daedalus_gym.commands import (
    check_writable,
    file_stem,
    int_range,
    json_object,
    make_generator_from_flags,
    positive_int,
    seed_int,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--generator", required=True, help="registered generator name, e.g. vae, ae, backtracker"
    )
    parser.add_argument("--n", type=int_range(2), default=10_000, help="samples to draw")
    parser.add_argument("--seed", type=seed_int, default=0, help="seed of the sampling rng")
    parser.add_argument("--size", type=positive_int, default=14, help="cells a side")
    parser.add_argument("--model", default=None, help="model weights (.safetensors); none: the shipped model")
    parser.add_argument(
        "--repair",
        choices=["none", "connect", "perfect"],
        default=None,
        help="repair mode (learned generators only); none: the generator's default",
    )
    parser.add_argument(
        "--kwargs",
        type=json_object,
        default={},
        help="other generator settings as JSON, e.g. '{\"temperature\": 0.8}'",
    )
    parser.add_argument(
        "--out",
        default=None,
        help="directory for <name>.json and the pictures; none: the report is printed only",
    )
    parser.add_argument(
        "--name",
        type=file_stem,
        default=None,
        help="file stem of the outputs in --out; none: the generator name",
    )
    parser.add_argument("--no-figures", action="store_true", help="write no pictures into --out")
    parser.add_argument(
        "--update-card",
        action="store_true",
        help="also write the figures into the model card beside the weights",
    )
    parser.add_argument("--threads", type=positive_int, default=2, help="torch CPU threads")
    parser.add_argument(
        "--c2st-n", type=positive_int, default=2_000, help="mazes a side for each classifier two-sample test"
    )
    parser.add_argument(
        "--c2st-epochs", type=positive_int, default=8, help="training epochs of each classifier"
    )
    parser.add_argument(
        "--heldout-n",
        type=positive_int,
        default=1_000,
        help="fresh mazes for likelihoods and reconstructions",
    )
    parser.add_argument(
        "--iw-samples",
        type=positive_int,
        default=32,
        help="posterior samples per maze of the likelihood bound",
    )


def run(args: argparse.Namespace) -> int:
    if args.out is None:
        given = [flag for flag, value in (("--name", args.name), ("--no-figures", args.no_figures)) if value]
        if given:
            verb = "applies" if len(given) == 1 else "apply"
            raise ValueError(f"{' and '.join(given)} {verb} to the files written into --out DIR: give --out")
    check_writable(args.out, "--out", directory=True)
    flags = {"size": args.size}
    if args.model is not None:
        flags["model"] = args.model
    if args.repair is not None:
        flags["repair"] = None if args.repair == "none" else args.repair
    generator = make_generator_from_flags(args.generator, flags, args.kwargs)

    import torch

    from generators.evaluation import evaluate, format_report, model_card, save_figures
    from generators.fidelity import FidelityConfig

    card = model_card(generator) if args.update_card else None
    if args.update_card:
        if card is None:
            raise ValueError(
                f"--update-card needs a learned generator with a model card; {args.generator!r} has none"
            )
        check_writable(Path(generator.model_path).with_suffix(".json"), "--update-card")

    torch.set_num_threads(args.threads)
    fid = FidelityConfig(
        c2st_n=args.c2st_n, c2st_epochs=args.c2st_epochs, heldout_n=args.heldout_n, iw_samples=args.iw_samples
    )
    started = time.perf_counter()

    def log(line: str) -> None:
        print(f"[{time.perf_counter() - started:6.1f}s] {line}", flush=True)

    metrics, arrays = evaluate(generator, n=args.n, seed=args.seed, fidelity_config=fid, log=log)
    metrics["evaluation_seconds"] = round(time.perf_counter() - started, 1)
    print(format_report(metrics))
    name = args.name or args.generator
    if args.out is not None:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        (out / f"{name}.json").write_text(json.dumps(metrics, indent=2) + "\n")
        written = [] if args.no_figures else save_figures(out, generator, arrays, name)
        print(f"wrote {out / f'{name}.json'}" + "".join(f", {p}" for p in written))
    if card is not None:
        card_path = Path(generator.model_path).with_suffix(".json")
        card.setdefault("evaluation", {})[args.repair or str(getattr(generator, "repair_mode", None))] = {
            "command": "daedalus-gym evaluate " + _command(args),
            **metrics,
        }
        card_path.write_text(json.dumps(card, indent=2) + "\n")
        print(f"updated {card_path}")
    return 0


def _command(args: argparse.Namespace) -> str:
    import shlex

    parts = [
        "--generator",
        args.generator,
        "--n",
        str(args.n),
        "--seed",
        str(args.seed),
        "--size",
        str(args.size),
    ]
    for flag in ("c2st_n", "c2st_epochs", "heldout_n", "iw_samples"):
        parts += [f"--{flag.replace('_', '-')}", str(getattr(args, flag))]
    for flag in ("model", "repair", "out", "name"):
        if getattr(args, flag) is not None:
            parts += [f"--{flag}", str(getattr(args, flag))]
    if args.kwargs:
        parts += ["--kwargs", json.dumps(args.kwargs)]
    return " ".join(shlex.quote(p) for p in parts)
