"""The sampler registry: curriculum names -> `LevelSampler` classes, and `make_sampler`."""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np

from daedalus_gym.curriculum.accel import ACCEL
from daedalus_gym.curriculum.base import LevelSampler
from daedalus_gym.curriculum.domain_randomization import DomainRandomization
from daedalus_gym.curriculum.latent import LatentTeacher
from daedalus_gym.curriculum.plr import RobustPLR
from daedalus_gym.curriculum.sfl import SFL
from generators.base import Generator, check_choice

_CLASSES: dict[str, type[LevelSampler]] = {
    "dr": DomainRandomization,
    "plr": RobustPLR,
    "accel": ACCEL,
    "sfl": SFL,
    "latent": LatentTeacher,
}
SAMPLERS: tuple[str, ...] = tuple(_CLASSES)


def sampler_class(name: str) -> type[LevelSampler]:
    """The class registered under ``name`` (one of `SAMPLERS`).

    Raises:
        ValueError: ``name`` is not one of `SAMPLERS`.
    """
    return _CLASSES[check_choice(name, "sampler name", SAMPLERS)]


def make_sampler(name: str, generator: Generator, rng: np.random.Generator, **kwargs: Any) -> LevelSampler:
    """Build the curriculum ``name`` over ``generator``.

    Args:
        name: one of `SAMPLERS`: ``"dr"``, ``"plr"``, ``"accel"``, ``"sfl"``, ``"latent"``.
        generator: the source of fresh levels (``"latent"`` needs a learned one,
            ``make_generator("vae")``).
        rng: all the sampler's randomness.
        **kwargs: the sampler's settings (see its class; every one has a default).

    Raises:
        ValueError: an unknown name, or a bad setting.
        TypeError: a setting the sampler does not have, or a generator it cannot use.
    """
    cls = sampler_class(name)
    accepted = [p for p in inspect.signature(cls).parameters if p not in ("generator", "rng")]
    unknown = sorted(set(kwargs) - set(accepted))
    if unknown:
        raise TypeError(
            f"sampler {name!r} has no setting {', '.join(map(repr, unknown))}; "
            f"its settings are: {', '.join(accepted) or 'none'}"
        )
    return cls(generator, rng, **kwargs)
