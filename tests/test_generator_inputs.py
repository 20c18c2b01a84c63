"""Bad input to the generators' public entry points: a clear error, never a crash or a silent wrong."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import daedalus_gym  # noqa: F401 - registers the env ids
from generators import is_perfect, load_mazes, make_generator, register_generator
from generators.registry import _REGISTRY
from generators.symmetry import canonical_hash, canonical_hashes, symmetries, transform

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


# --------------------------------------------------------------------- settings that would do nothing
def test_grid_settings_are_refused_without_grid_sampling():
    # The grid's extent and steps only place sampling="grid"'s codes: elsewhere they would be ignored.
    with pytest.raises(
        ValueError, match=r"grid_radius=9\.5 \(default 2\.0\) and grid_steps=3 \(default 9\) set"
    ):
        make_generator("vae", size=7, grid_radius=9.5, grid_steps=3)
    with pytest.raises(ValueError, match=r"grid_steps=3 \(default 9\) sets the grid.*sampling='prior'"):
        make_generator("ae", size=7, grid_steps=3)
    grid = make_generator("ae", size=7, sampling="grid", grid_radius=1.0, grid_steps=3)
    assert grid.config()["grid_steps"] == 3
    assert make_generator("vae", size=7, grid_radius=2, grid_steps=9).grid_radius == 2.0  # the defaults


@pytest.mark.parametrize("env_id", [i for i in gym.registry if i.startswith("Daedalus-")])
def test_every_registered_envs_generator_config_rebuilds_it(env_id):
    generator = gym.make(env_id).unwrapped.generator
    again = make_generator(**generator.config())
    assert again.config() == generator.config()


def test_threshold_clips_the_greedy_decodes_of_a_sampling_generator():
    # With decoding="sample" the served mazes draw every decision (the threshold does not move
    # them), but decode() without an rng and interpolate() clip each decision at the threshold.
    plain, high = make_generator("vae", size=7), make_generator("vae", size=7, threshold=0.9)
    assert plain.decoding == high.decoding == "sample"
    assert np.array_equal(
        plain.generate_walls(4, np.random.default_rng(0)), high.generate_walls(4, np.random.default_rng(0))
    )
    code = np.random.default_rng(1).standard_normal(plain.latent_dim)
    assert plain.decode(code) != high.decode(code)


def test_a_factory_that_returns_no_generator_is_refused():
    try:
        register_generator("test-returns-int", lambda **kwargs: 5)
        with pytest.raises(
            TypeError, match=r"generator 'test-returns-int' .*returned int 5; expected a maze"
        ):
            make_generator("test-returns-int")
    finally:
        _REGISTRY.pop("test-returns-int", None)


@pytest.mark.parametrize("size", [1, (1, 1)])
def test_a_single_cell_is_refused_as_too_small(size):
    with pytest.raises(ValueError, match=r"is a single cell; a maze needs at least 2 cells") as info:
        make_generator("backtracker", size=size)
    assert f"size {size!r}" in str(info.value)
    assert make_generator("backtracker", size=(1, 2)).shape == (3, 5)


# --------------------------------------------------------------------- symmetry
def test_symmetry_functions_check_their_input():
    maze = make_generator("backtracker", size=5).generate(np.random.default_rng(0))
    walls, start, goal = maze.walls[None], np.array([maze.start]), np.array([maze.goal])
    with pytest.raises(TypeError, match=r"maze must be a generators\.Maze, got ndarray"):
        transform(maze.walls, "identity")
    with pytest.raises(TypeError, match=r"shape must be a \(height, width\) pair of ints, got int 5"):
        symmetries(5)
    with pytest.raises(ValueError, match=r"shape must have sides of at least 1, got \(0, 3\)"):
        symmetries((0, 3))
    assert transform(maze, np.str_("rot180")) == transform(maze, "rot180")
    for bad, match in [
        ((walls, np.array([[1.9, 1.2]]), goal), r"start must be int\[1, 2\], got float64"),
        ((walls.astype(np.int64) * 7, start, goal), r"walls must be bool\[B, H, W\], got int64"),
        ((np.where(walls, np.nan, 0.0), start, goal), r"walls must be bool\[B, H, W\], got float64"),
        ((walls, np.array([[100, 1]]), goal), r"start \(100, 1\) of row 0 is outside the 11x11 grid"),
        ((walls, start, start), r"start and goal must differ, both are \(1, 1\) in row 0"),
    ]:
        with pytest.raises(ValueError, match=match):
            canonical_hashes(*bad)
    assert canonical_hashes(walls, start, goal)[0] == canonical_hash(maze)
