"""``python -m benchmarks.sampling_fit --model FILE``: the code density and decision temperature
`train` fits for a model, from its model card.

`daedalus-gym train` ends by fitting how a ``dfs``-decoder model samples
(`generators.training.fit_sampling`): prior samples at each decision temperature, and for a VAE
also from a Gaussian fitted to its training mazes' posterior draws, are told apart from the
validation mazes by the classifier two-sample tests, and the best setting replaces the model's
own (its prior, temperature 1) only when fresh mazes confirm that its samples are told apart
less often by more than chance. This runs the same fit on a model file, with the same inputs
`train` gives it (the training and validation splits its card names, fresh mazes of its
generator, its training seed, the torch threads its card records unless ``--threads`` says
otherwise), and prints each test's row and the setting chosen. For a model trained before the
fit was part of `train`, ``--write`` stores the result as `train` would have: in the file (its
prior and metadata) and in the card.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch

from daedalus_gym.commands import positive_int
from generators.dataset import DatasetConfig, load_dataset
from generators.models import load_model, save_model
from generators.training import (
    POSTERIOR_FIT_MAZES,
    confirmation_mazes,
    fit_sampling,
    posterior_draws,
    sampling_card,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True, help="a .safetensors model with its card (.json) beside it")
    parser.add_argument("--threads", type=positive_int, help="torch threads (default: the card's, else 1)")
    parser.add_argument("--write", action="store_true", help="store the fit in the file and card")
    args = parser.parse_args(argv)

    path = Path(args.model)
    card_path = path.with_suffix(".json")
    if not card_path.is_file():
        parser.error(f"no model card {card_path} beside {path}: the fit needs its dataset and seed")
    card = json.loads(card_path.read_text())
    torch.set_num_threads(args.threads or int(card.get("threads", 1)))
    model = load_model(path)
    if model.is_vae and not model.has_standard_prior():
        parser.error(f"{path} already samples a fitted Gaussian; fit the file train wrote")
    config, seed = DatasetConfig.from_dict(card["dataset_config"]), int(card["train_config"]["seed"])
    data = load_dataset(config)
    codes = posterior_draws(model, data.train[:POSTERIOR_FIT_MAZES], seed) if model.is_vae else None
    was = model.decision_temperature
    fit = fit_sampling(model, np.asarray(data.val, dtype=bool), confirmation_mazes(config, seed), seed, codes)
    print(f"{path.name}: {fit.density}, decision temperature {fit.temperature:g} (the file has {was:g})")
    if args.write:
        save_model(model, path, dtype=card.get("weights_dtype", "float32"))
        card.pop("decision_temperature_fit", None)  # an earlier fit's record, of the temperature only
        card.update(sampling_card(fit))
        card_path.write_text(json.dumps(card, indent=2) + "\n")
        print(f"wrote {path} and {card_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
