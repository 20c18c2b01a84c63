"""Evaluate a generator on prior samples: validity, repair cost, novelty, diversity and style
against its training set; writes JSON and pictures.

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
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--generator", required=True, help="registered generator name, e.g. vae, ae, backtracker"
    )
    parser.add_argument("--n", type=int, default=10_000, help="samples to draw (default 10000)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the sampling rng (default 0)")
    parser.add_argument("--size", type=int, default=14, help="cells a side (default 14)")
    parser.add_argument(
        "--model", default=None, help="model weights (.safetensors); default: the shipped model"
    )
    parser.add_argument(
        "--repair",
        choices=["none", "connect", "perfect"],
        default=None,
        help="repair mode (learned generators)",
    )
    parser.add_argument(
        "--kwargs", default="{}", help="extra generator settings as JSON, e.g. '{\"temperature\": 0.8}'"
    )
    parser.add_argument("--out", default=None, help="directory for <name>.json and the pictures")
    parser.add_argument("--name", default=None, help="file stem of the outputs (default: the generator name)")
    parser.add_argument("--no-figures", action="store_true", help="skip the pictures")
    parser.add_argument(
        "--update-card",
        action="store_true",
        help="also write the figures into the model card beside the weights",
    )
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads (default 2)")


def run(args: argparse.Namespace) -> int:
    import torch

    from daedalus_gym.commands import parse_json_object
    from generators import make_generator
    from generators.evaluation import evaluate, format_report, model_card, save_figures, targets

    torch.set_num_threads(args.threads)
    if args.n < 2:
        raise ValueError(f"--n must be at least 2, got {args.n}")
    kwargs = parse_json_object(args.kwargs, "--kwargs")
    if args.model is not None:
        kwargs["model"] = args.model
    if args.repair is not None:
        kwargs["repair"] = None if args.repair == "none" else args.repair
    generator = make_generator(args.generator, size=args.size, **kwargs)
    metrics, arrays = evaluate(generator, n=args.n, seed=args.seed)
    report = format_report(metrics)
    if getattr(generator, "_model", None) is not None:
        checks = targets(metrics)
        metrics["targets"] = checks
        report += "\n\nissue-3 targets:\n" + "\n".join(
            f"  [{'x' if ok else ' '}] {k}" for k, ok in checks.items()
        )
    print(report)
    name = args.name or args.generator
    if args.out is not None:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        (out / f"{name}.json").write_text(json.dumps(metrics, indent=2) + "\n")
        written = [] if args.no_figures else save_figures(out, generator, arrays, name)
        print(f"wrote {out / f'{name}.json'}" + "".join(f", {p}" for p in written))
    if args.update_card:
        card = model_card(generator)
        if card is None:
            raise ValueError(
                f"--update-card needs a learned generator with a model card; {args.generator!r} has none"
            )
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
    for flag in ("model", "repair", "out", "name"):
        if getattr(args, flag) is not None:
            parts += [f"--{flag}", str(getattr(args, flag))]
    if args.kwargs != "{}":
        parts += ["--kwargs", args.kwargs]
    return " ".join(shlex.quote(p) for p in parts)
