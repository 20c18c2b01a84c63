"""Bad input to the generators' public entry points: a clear error, never a crash or a silent wrong."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generators import is_perfect, load_mazes, make_generator, register_generator
from generators.registry import _REGISTRY

UNIFORM_ERROR = r"u must hold uniforms in \[0, 1\)"


@pytest.mark.parametrize("value", [1.0, 5.0, -0.5, np.nan, np.inf, -np.inf, 1.0 + 1e-12])
@pytest.mark.parametrize("name", ["backtracker", "prim", "kruskal"])
def test_out_of_range_uniforms_are_refused(name, value):
    # These reached the compiled kernels unchecked: 1.0, NaN, 5.0 and inf crashed the backtracker
    # (segfault), -0.5 crashed Prim, and others silently gave walls that are not a perfect maze.
    gen = make_generator(name, size=4)
    u = np.full((2, gen.num_draws()), 0.5)
    u[1, 3] = value
    with pytest.raises(ValueError, match=UNIFORM_ERROR) as info:
        gen.walls_from_uniforms(u)
    assert "(1, 3)" in str(info.value)


@pytest.mark.parametrize("name", ["backtracker", "prim", "kruskal"])
def test_uniforms_at_the_edges_of_the_range_are_accepted(name):
    gen = make_generator(name, size=4)
    for value in (0.0, 1.0 - 2.0**-53):
        walls = gen.walls_from_uniforms(np.full((1, gen.num_draws()), value))
        assert walls.shape == (1, 9, 9)


@pytest.mark.parametrize("name", ["backtracker", "prim", "kruskal"])
def test_uniforms_of_the_wrong_kind_are_refused(name):
    gen = make_generator(name, size=4)
    with pytest.raises(ValueError, match="shape"):
        gen.walls_from_uniforms(np.full((2, gen.num_draws() + 1), 0.5))
    with pytest.raises(ValueError, match="dtype"):
        gen.walls_from_uniforms(np.full((2, gen.num_draws()), "a"))
    with pytest.raises(ValueError, match="dtype"):
        gen.walls_from_uniforms(np.zeros((2, gen.num_draws()), dtype=bool))


def test_non_finite_noise_is_refused():
    gen = make_generator("vae")
    noise = np.zeros((2, gen.noise_dim))
    for bad in (np.nan, np.inf):
        noise[1, 0] = bad
        with pytest.raises(ValueError, match="noise must be finite"):
            gen.walls_from_noise(noise)
    with pytest.raises(ValueError, match="shape"):
        gen.walls_from_noise(np.zeros((2, gen.noise_dim + 1)))
    with pytest.raises(ValueError, match="codes must be finite"):
        gen.decode_codes(np.full((1, gen.latent_dim), np.nan))
    with pytest.raises(ValueError, match=r"eps must be float\[B, "):
        gen.codes_from_noise(np.zeros(gen.latent_dim))


@pytest.mark.parametrize("name", ["backtracker", "prim"])
def test_place_batch_checks_its_walls(name):
    gen = make_generator(name, size=4)
    walls = gen.generate_walls(2, np.random.default_rng(0))
    assert gen.place_batch(walls)[0].shape == (2, 2)
    with pytest.raises(ValueError, match=r"walls must be bool\[B, 9, 9\]"):
        gen.place_batch(walls[:, :-1])
    with pytest.raises(ValueError, match=r"walls must be bool\[B, 9, 9\]"):
        gen.place_batch(walls.astype(np.uint8))


@pytest.mark.parametrize("temperature", [np.inf, 1e308, np.nan, -1.0, 10.5])
def test_absurd_temperatures_are_refused(temperature):
    # inf and 1e308 decoded every seed to one identical maze.
    with pytest.raises(ValueError, match=r"temperature must be a finite number in \[0.0, 10.0\]"):
        make_generator("vae", temperature=temperature)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"threshold": True}, TypeError, "threshold must be a real number"),
        ({"threshold": 1.0}, ValueError, "threshold"),
        ({"threshold": np.nan}, ValueError, "threshold"),
        ({"temperature": "1"}, TypeError, "temperature must be a real number"),
        ({"batch_size": True}, TypeError, "batch_size must be an int"),
        ({"batch_size": 0}, ValueError, "batch_size"),
        ({"grid_steps": 2.0}, TypeError, "grid_steps must be an int"),
        ({"grid_radius": np.inf}, ValueError, "grid_radius"),
        ({"model": 5}, TypeError, "model must be a path"),
    ],
)
def test_learned_settings_are_checked(kwargs, error, match):
    with pytest.raises(error, match=match):
        make_generator("ae", **kwargs)


@pytest.mark.parametrize("size", [True, 2.5, "14", (3, True), (0, 4), 1025])
@pytest.mark.parametrize("name", ["backtracker", "prim", "kruskal", "wilson"])
def test_bad_sizes_are_refused(name, size):
    with pytest.raises(ValueError, match="size"):
        make_generator(name, size=size)


@pytest.mark.parametrize("name", [["a"], 5, None, b"backtracker"])
def test_make_generator_needs_a_string_name(name):
    with pytest.raises(TypeError, match="generator name must be a string"):
        make_generator(name)


def test_a_bad_entry_point_names_what_is_missing():
    try:
        register_generator("test-missing-attr", "generators.backtracker:NoSuchGenerator")
        register_generator("test-missing-module", "generators.no_such_module:Gen")
        with pytest.raises(ImportError, match=r"'test-missing-attr'.*has no attribute 'NoSuchGenerator'"):
            make_generator("test-missing-attr")
        with pytest.raises(ImportError, match=r"'test-missing-module'.*'generators\.no_such_module'"):
            make_generator("test-missing-module")
    finally:
        _REGISTRY.pop("test-missing-attr", None)
        _REGISTRY.pop("test-missing-module", None)
    with pytest.raises(ValueError, match="'module:attribute'"):
        register_generator("test-no-colon", "generators.backtracker")
    with pytest.raises(TypeError, match="callable"):
        register_generator("test-not-callable", 5)
    assert "test-no-colon" not in _REGISTRY


def test_load_mazes_refuses_a_pickled_file(tmp_path):
    path = tmp_path / "pickled.npz"
    walls = np.empty(1, dtype=object)
    walls[0] = np.ones((3, 3), dtype=bool)
    np.savez(path, walls=walls, start=np.ones((1, 2), int), goal=np.ones((1, 2), int))
    with pytest.raises(ValueError, match="pickled"):
        load_mazes(path)


ANY_VALUE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
    st.lists(st.integers(-3, 30), max_size=3),
    st.sampled_from(["corner", "farthest", "prior", "grid", "perfect", "connect", "float32"]),
)
CLASSICAL_KEYS = ["size", "goal"]
LEARNED_KEYS = [*CLASSICAL_KEYS, "repair", "threshold", "temperature", "grid_radius", "grid_steps"]


def _maze_or_clear_error(name: str, kwargs: dict) -> None:
    """A clear TypeError/ValueError, or a generator whose mazes honour the generator contract."""
    try:
        gen = make_generator(name, **kwargs)
    except (TypeError, ValueError) as exc:
        assert str(exc), "errors must say what was wrong"
        return
    maze = gen.generate(np.random.default_rng(0))
    assert maze.walls.shape == gen.shape and maze.walls.dtype == np.bool_
    if getattr(gen, "repair_mode", "perfect") is not None:  # repair=None serves raw drawings
        assert maze.is_solvable()


@settings(max_examples=60, deadline=None)
@given(
    name=st.sampled_from(["backtracker", "prim", "kruskal", "wilson"]),
    kwargs=st.dictionaries(st.sampled_from(CLASSICAL_KEYS), ANY_VALUE, max_size=2),
)
def test_classical_generator_kwargs_give_a_maze_or_a_clear_error(name, kwargs):
    if isinstance(kwargs.get("size"), int) and not isinstance(kwargs["size"], bool):
        kwargs["size"] = min(kwargs["size"], 40)  # valid sizes up to 1024 are fine, just slow
    _maze_or_clear_error(name, kwargs)


@settings(max_examples=40, deadline=None)
@given(kwargs=st.dictionaries(st.sampled_from(LEARNED_KEYS), ANY_VALUE, max_size=3))
def test_learned_generator_kwargs_give_a_maze_or_a_clear_error(kwargs):
    if isinstance(kwargs.get("size"), int) and not isinstance(kwargs["size"], bool):
        kwargs["size"] = min(kwargs["size"], 30)
    _maze_or_clear_error("vae", kwargs)


@settings(max_examples=60, deadline=None)
@given(
    name=st.sampled_from(["backtracker", "prim", "kruskal"]),
    u=st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=1, max_size=4),
)
def test_any_uniforms_give_perfect_walls_or_a_clear_error(name, u):
    gen = make_generator(name, size=(2, 3))
    row = np.resize(np.array(u, dtype=np.float64), gen.num_draws())
    try:
        walls = gen.walls_from_uniforms(row[None])
    except ValueError as exc:
        assert "u must hold uniforms in [0, 1)" in str(exc)
        assert not ((row >= 0) & (row < 1)).all()
        return
    assert is_perfect(walls).all()
