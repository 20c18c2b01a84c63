"""Generator registry: names -> generator classes, loaded lazily.

Built-in generators are registered by import path so that asking for ``"backtracker"`` never
imports torch. Third-party packages register theirs through the ``daedalus_gym.generators``
entry-point group::

    [project.entry-points."daedalus_gym.generators"]
    my-maze = "my_package.module:MyGenerator"
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from importlib.metadata import entry_points
from typing import Any

from generators.base import Generator, MazeGenerator

ENTRY_POINT_GROUP = "daedalus_gym.generators"

_REGISTRY: dict[str, str | Callable[..., MazeGenerator]] = {}
_entry_points_loaded = False


def register_generator(
    name: str, entry_point: str | Callable[..., MazeGenerator], *, override: bool = False
) -> None:
    """Register a generator under ``name``: a ``"module:Class"`` string or a callable."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"generator name must be a non-empty string, got {name!r}")
    if isinstance(entry_point, str):
        module_name, colon, attr = entry_point.partition(":")
        if not (module_name and colon and attr):
            raise ValueError(
                f"entry point of generator {name!r} must be 'module:attribute', got {entry_point!r}"
            )
    elif not callable(entry_point):
        raise TypeError(
            f"entry point of generator {name!r} must be a 'module:attribute' string or a callable, "
            f"got {type(entry_point).__name__}"
        )
    if name in _REGISTRY and not override and _REGISTRY[name] != entry_point:
        raise ValueError(f"a generator named {name!r} is already registered ({_REGISTRY[name]!r})")
    _REGISTRY[name] = entry_point


def _load_entry_points() -> None:
    global _entry_points_loaded
    if _entry_points_loaded:
        return
    _entry_points_loaded = True
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name not in _REGISTRY:
            _REGISTRY[ep.name] = ep.value


def registered_generators() -> Mapping[str, str | Callable[..., MazeGenerator]]:
    """A read-only view of every registered name (built-in and entry points)."""
    _load_entry_points()
    return dict(_REGISTRY)


def generator_class(name: str) -> Callable[..., MazeGenerator]:
    """Resolve a registered name to its class (or factory).

    Raises:
        TypeError: ``name`` is not a string.
        ValueError: no generator is registered under ``name``.
        ImportError: the registered entry point names a module or attribute that does not exist.
    """
    if not isinstance(name, str):
        raise TypeError(f"generator name must be a string, got {type(name).__name__} {name!r}")
    _load_entry_points()
    if name not in _REGISTRY:
        raise ValueError(f"unknown generator {name!r}; registered: {', '.join(sorted(_REGISTRY))}")
    target = _REGISTRY[name]
    if isinstance(target, str):
        module_name, _, attr = target.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise ImportError(
                f"generator {name!r} is registered as {target!r}, but its module {module_name!r} "
                f"cannot be imported ({exc})"
            ) from exc
        if not hasattr(module, attr):
            raise ImportError(
                f"generator {name!r} is registered as {target!r}, but module {module_name!r} has no "
                f"attribute {attr!r}"
            )
        target = getattr(module, attr)
    return target


def make_generator(name: str, **kwargs: Any) -> MazeGenerator:
    """Build a registered generator, e.g. ``make_generator("backtracker", size=14)``.

    ``target={"path_length": L, "dead_ends": f}`` or ``difficulty=d`` (d in [0, 1]) steers any
    generator's mazes (`generators.control`; ``path_head`` says whether a learned generator's
    path head steers them, see `generators.control.ControlledGenerator`); without them the
    generator is served as is.

    Raises:
        TypeError: ``name`` is not a string, or its registered factory returned something that
            is not a maze generator.
    """
    target, difficulty = kwargs.pop("target", None), kwargs.pop("difficulty", None)
    head = kwargs.pop("path_head", False)
    generator = generator_class(name)(**kwargs)
    if not isinstance(generator, Generator):
        raise TypeError(
            f"generator {name!r} (registered as {_REGISTRY[name]!r}) returned "
            f"{type(generator).__name__} {generator!r:.80}; expected a maze generator (a "
            "generators.MazeGenerator, or an object with name, shape, generate and generate_batch)"
        )
    if target is None and difficulty is None:
        if head is not False:
            raise ValueError(
                f"path_head={head!r} applies to difficulty control; give a target or a difficulty"
            )
        return generator
    from generators.control import ControlledGenerator

    return ControlledGenerator(generator, target=target, difficulty=difficulty, path_head=head)
