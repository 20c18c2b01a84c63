"""``python -m benchmarks.decision_temperature --model FILE``: the decision temperature `train`
fits for a model, from its model card.

`daedalus-gym train` ends by fitting the temperature at which a ``dfs``-decoder model draws its
decisions (`generators.training.fit_decision_temperature`): prior samples at each temperature
are told apart from the validation mazes by the classifier two-sample tests, and the best
temperature replaces 1 only when fresh mazes confirm that its samples are told apart less often
by more than chance. This runs the same fit on a model file, with the same inputs `train` gives
it (the validation split its card names, fresh mazes of its generator, its training seed, the
torch threads its card records unless ``--threads`` says otherwise), and prints each test's row
and the temperature chosen. For a model trained before the fit was part of `train`,
``--write`` stores the result as `train` would have: in the file's metadata and in the card.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch

from generators.dataset import DatasetConfig, load_dataset
from generators.models import load_model, save_model
from generators.training import confirmation_mazes, fit_decision_temperature


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True, help="a .safetensors model with its card (.json) beside it")
    parser.add_argument("--threads", type=int, help="torch threads (default: the card's, else 1)")
    parser.add_argument("--write", action="store_true", help="store the temperature in the file and card")
    args = parser.parse_args(argv)

    path = Path(args.model)
    card_path = path.with_suffix(".json")
    if not card_path.is_file():
        parser.error(f"no model card {card_path} beside {path}: the fit needs its dataset and seed")
    card = json.loads(card_path.read_text())
    torch.set_num_threads(args.threads or int(card.get("threads", 1)))
    model = load_model(path)
    config, seed = DatasetConfig.from_dict(card["dataset_config"]), int(card["train_config"]["seed"])
    val = np.asarray(load_dataset(config).val, dtype=bool)
    temperature, rows = fit_decision_temperature(model, val, confirmation_mazes(config, seed), seed)
    print(f"{path.name}: decision temperature {temperature:g} (the file has {model.decision_temperature:g})")
    if args.write:
        model.decision_temperature = temperature
        save_model(model, path, dtype=card.get("weights_dtype", "float32"))
        card["decision_temperature"] = temperature
        card["decision_temperature_fit"] = rows
        card_path.write_text(json.dumps(card, indent=2) + "\n")
        print(f"wrote {path} and {card_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
