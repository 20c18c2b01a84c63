"""Training data for the learned generators: wall grids drawn by a registered classical generator.

A `DatasetConfig` names the generator, its size and settings, how many training and validation
mazes to draw and the seed. The two splits come from independent child streams of one
`numpy.random.SeedSequence`, so the validation mazes never depend on the training count.

Every other random draw around a model has its own child stream of a root seed (`seed_stream`,
`SEED_STREAMS`): the training set (child 0), the validation set (1), training's per-epoch check
of prior samples (2), and evaluation's prior samples (3), fresh reference mazes (4, 5 for the
second set of the same-generator check), held-out mazes (6), classifier splits and
initialisation (7), shuffled codes (8), and the sampling fit after training (9 for its prior
samples, 10 for its classifiers, 11 for its confirmation: fresh mazes, samples and classifiers;
12 for the posterior draws its fitted Gaussian is fitted to). Children of a `SeedSequence` with
different spawn keys are independent streams whatever the root seeds, so evaluation never reuses
a maze or a noise draw that training saw. The arrays are cached on disk as ``.npz`` under a name
derived from the whole config (its hash), so a model card that records the config can always
rebuild -- or find -- its exact training set. Whenever a cached file is read, the first mazes of
both splits (`PROBE` each) are drawn afresh and compared with the file's: a file drawn by other
generator code (or in another maze format), whose splits do not have the config's counts and
grid shape, or that cannot be read is drawn again and replaced.

Cost: one batched `generate_walls` call per split (100,000 backtracker mazes of 14x14 cells take
about five seconds) plus the compressed write.
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from generators.base import check_int, config_from_dict, config_to_dict, parse_size
from generators.registry import make_generator

CACHE_ENV_VAR = "DAEDALUS_GYM_CACHE"
# The spawn key of each purpose's child stream; 0 and 1 are `SeedSequence(seed).spawn(2)`, which
# is how the two splits were always drawn, so cached and shipped training sets are unchanged.
SEED_STREAMS = {
    "train": 0,
    "val": 1,
    "epoch_check": 2,
    "eval_samples": 3,
    "eval_reference": 4,
    "eval_reference_2": 5,
    "eval_heldout": 6,
    "eval_classifier": 7,
    "eval_shuffle": 8,
    "temperature_samples": 9,
    "temperature_classifier": 10,
    "temperature_confirm": 11,
    "sampling_codes": 12,
}
# Generated in chunks so that a large dataset never holds the generator's scratch space for all
# mazes at once.
_CHUNK = 20_000
# Mazes at the head of each split that are drawn afresh to check a cached file.
PROBE = 4


def seed_stream(purpose: str, seed: int) -> np.random.SeedSequence:
    """The child stream of root ``seed`` for ``purpose`` (a key of `SEED_STREAMS`)."""
    if purpose not in SEED_STREAMS:
        raise ValueError(f"purpose must be one of {sorted(SEED_STREAMS)}, got {purpose!r}")
    return np.random.SeedSequence(check_int(seed, "seed", 0), spawn_key=(SEED_STREAMS[purpose],))


def default_cache_dir() -> Path:
    """``$DAEDALUS_GYM_CACHE``, else ``$XDG_CACHE_HOME/daedalus-gym``, else ``~/.cache/daedalus-gym``."""
    if os.environ.get(CACHE_ENV_VAR):
        return Path(os.environ[CACHE_ENV_VAR])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "daedalus-gym"


@dataclass(frozen=True)
class DatasetConfig:
    """Everything that determines a training set.

    Attributes:
        generator: a registered classical generator name.
        size: ``(height, width)`` in cells.
        n_train, n_val: maze counts of the two splits.
        seed: root seed; the splits use its spawned children 0 (train) and 1 (validation).
        generator_kwargs: extra settings for the generator (JSON values).
    """

    generator: str = "backtracker"
    size: tuple[int, int] = (14, 14)
    n_train: int = 100_000
    n_val: int = 2_000
    seed: int = 0
    generator_kwargs: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "size", parse_size(tuple(self.size) if isinstance(self.size, list) else self.size)
        )
        for name in ("n_train", "n_val", "seed"):
            value = getattr(self, name)
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 0:
                raise ValueError(f"{name} must be a non-negative int, got {value!r}")
            object.__setattr__(self, name, int(value))  # a numpy int as the int JSON writes
        if self.n_train < 1:
            raise ValueError(f"n_train must be at least 1, got {self.n_train}")
        if not isinstance(self.generator, str):
            raise TypeError(
                f"generator must be a registered generator's name, got {type(self.generator).__name__} "
                f"{self.generator!r}"
            )
        if not isinstance(self.generator_kwargs, dict):
            raise TypeError(
                f"generator_kwargs must be a dict of the generator's settings, got "
                f"{type(self.generator_kwargs).__name__} {self.generator_kwargs!r}"
            )

    def to_dict(self) -> dict[str, Any]:
        return config_to_dict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> DatasetConfig:
        return config_from_dict(cls, d, "dataset")

    def cache_name(self) -> str:
        """A file name unique to this config, readable at a glance."""
        digest = hashlib.sha256(json.dumps(self.to_dict(), sort_keys=True).encode()).hexdigest()[:12]
        h, w = self.size
        return f"{self.generator}-{h}x{w}-train{self.n_train}-val{self.n_val}-seed{self.seed}-{digest}.npz"


@dataclass(frozen=True)
class MazeDataset:
    """The two splits: ``train: bool[n_train, H, W]`` and ``val: bool[n_val, H, W]`` wall grids."""

    config: DatasetConfig
    train: np.ndarray
    val: np.ndarray

    @property
    def shape(self) -> tuple[int, int]:
        """``(H, W)`` of the wall grids."""
        return self.train.shape[1:]  # type: ignore[return-value]


def _check_config(config: object) -> None:
    if not isinstance(config, DatasetConfig):
        raise TypeError(
            f"config must be a DatasetConfig (e.g. DatasetConfig.from_dict(d)), got {type(config).__name__}"
        )


def _draw(config: DatasetConfig, n: int, rng: np.random.Generator) -> np.ndarray:
    gen = make_generator(config.generator, size=config.size, **config.generator_kwargs)
    chunks = [gen.generate_walls(min(_CHUNK, n - i), rng) for i in range(0, n, _CHUNK)]
    return np.concatenate(chunks) if chunks else np.zeros((0, *gen.shape), dtype=bool)


def _probe(config: DatasetConfig, split: str) -> np.ndarray:
    """The first mazes (`PROBE`, at most the split's count) of ``split`` (``"train"`` or
    ``"val"``), drawn afresh by the current generator code."""
    n = min(PROBE, config.n_train if split == "train" else config.n_val)
    return _draw(config, n, np.random.default_rng(seed_stream(split, config.seed)))


def build_dataset(config: DatasetConfig) -> MazeDataset:
    """Generate both splits from scratch (no cache)."""
    _check_config(config)
    train = _draw(config, config.n_train, np.random.default_rng(seed_stream("train", config.seed)))
    val = _draw(config, config.n_val, np.random.default_rng(seed_stream("val", config.seed)))
    return MazeDataset(config, train, val)


def load_dataset(
    config: DatasetConfig, cache_dir: str | Path | None = None, *, use_cache: bool = True
) -> MazeDataset:
    """The dataset for ``config``, from the cache if it is there, else generated and cached.

    Args:
        config: what to draw.
        cache_dir: where cached files live; defaults to `default_cache_dir`.
        use_cache: ``False`` generates in memory and touches no file.

    A cached file is used only when it holds this config's splits (counts, grid shape, bool
    walls) and their first mazes equal the ones the generator draws now; any other file under
    the name -- damaged, foreign, or drawn by other generator code -- is replaced.
    """
    _check_config(config)
    if not use_cache:
        return build_dataset(config)
    path = Path(cache_dir if cache_dir is not None else default_cache_dir()) / config.cache_name()
    if path.exists():
        try:
            with np.load(path, allow_pickle=False) as data:
                stored = json.loads(str(data["config"]))
                train, val = data["train"], data["val"]
            head, val_head = _probe(config, "train"), _probe(config, "val")
            grid = head.shape[1:]
            if (
                stored == config.to_dict()
                and train.dtype == val.dtype == np.bool_
                and train.shape == (config.n_train, *grid)
                and val.shape == (config.n_val, *grid)
                and np.array_equal(train[: len(head)], head)
                and np.array_equal(val[: len(val_head)], val_head)
            ):
                return MazeDataset(config, train, val)
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, zlib.error):
            pass  # a damaged, foreign or stale cache file is rebuilt below
    dataset = build_dataset(config)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npz")
    np.savez_compressed(tmp, train=dataset.train, val=dataset.val, config=json.dumps(config.to_dict()))
    tmp.replace(path)
    return dataset
