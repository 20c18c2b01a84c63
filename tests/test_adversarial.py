"""Property tests over the public API: any input gives a clear error or correct behaviour.

Never a crash, a hang or a silent wrong: each property draws arbitrary values (wrong types,
bools for ints, NaN and infinities, negative and huge numbers, strings, nested lists) for one
entry point -- env constructors, reset seeds and options, actions, the `Maze` type, level text,
model files -- and checks that the call either raises ``ValueError``/``TypeError`` with a message,
or behaves as documented: observations in their space, every served maze solvable by an
independent BFS, text that round-trips, weights that are finite.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from daedalus_gym import MazeEnv, MazeVectorEnv
from generators import Maze, make_generator
from generators.models import MazeAutoencoder, ModelConfig, init_parameters, load_model, save_model
from generators.shortest_paths import shortest_path_lengths

CLEAR = (ValueError, TypeError)
PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**66), 2**66),
    st.integers(-3, 12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=6),
    st.binary(max_size=4),
)
ANY = st.one_of(
    SCALARS,
    st.lists(SCALARS, max_size=3),
    st.dictionaries(st.text(max_size=5), SCALARS, max_size=2),
)


def _independent_length(maze: Maze) -> int:
    """The served maze's start -> goal distance by the batched BFS (not the env's own check)."""
    walls = np.asarray(maze.walls, dtype=bool)[None]
    return int(shortest_path_lengths(walls, np.array([maze.start]), np.array([maze.goal]))[0])


def _message(err: BaseException) -> str:
    event(f"refused: {type(err).__name__}")
    text = str(err)
    assert text.strip(), f"{type(err).__name__} without a message"
    return text


# --------------------------------------------------------------------- env constructors
ENV_KEYS = {
    "generator": st.one_of(ANY, st.sampled_from(["backtracker", "prim", "kruskal", "wilson", "nope"])),
    "generator_kwargs": st.one_of(
        ANY,
        st.fixed_dictionaries(
            {},
            optional={
                "size": st.one_of(st.integers(-2, 9), SCALARS),
                "goal": st.one_of(SCALARS, st.just("farthest")),
            },
        ),
    ),
    "obs_mode": st.one_of(ANY, st.sampled_from(["image", "grid", "egocentric", "rgb"])),
    "view_size": st.one_of(ANY, st.sampled_from([3, 5, 7])),
    "obs_tile_size": st.one_of(ANY, st.integers(1, 4)),
    "render_mode": st.one_of(ANY, st.sampled_from(["rgb_array", "ansi", "human"])),
    "render_tile_size": st.one_of(ANY, st.integers(2, 8)),
    "show_path": ANY,
    "max_attempts": st.one_of(ANY, st.integers(1, 5)),
}


def _small(kwargs: dict) -> dict:
    # Small mazes keep the drawn cases fast (a tile size too large for memory is refused with a
    # ValueError at any size: test_an_image_too_large_for_memory_is_refused).
    gk = kwargs.get("generator_kwargs")
    if isinstance(gk, dict) and "size" not in gk:
        kwargs["generator_kwargs"] = {**gk, "size": 4}
    elif gk is None:
        kwargs["generator_kwargs"] = {"size": 4}
    return kwargs


def _build_or_refuse(cls: type, kwargs: dict):
    """``cls(**kwargs)``, or ``None`` after checking the error is a clear one."""
    try:
        return cls(**kwargs)
    except CLEAR as err:
        _message(err)
        return None


@PROPERTY
@given(kwargs=st.fixed_dictionaries({}, optional=ENV_KEYS))
def test_env_constructor_gives_a_working_env_or_a_clear_error(kwargs):
    env = _build_or_refuse(MazeEnv, _small(kwargs))
    if env is None:
        return
    obs, info = env.reset(seed=0)
    assert env.observation_space.contains(obs)
    assert _independent_length(env.unwrapped.maze) == info["optimal_path_length"] >= 0
    obs, reward, *_ = env.step(1)
    assert env.observation_space.contains(obs)
    assert 0.0 <= reward <= 1.0
    if env.render_mode in ("rgb_array", "ansi"):
        assert env.render() is not None
    env.close()


def _not_large_and_valid(value: object) -> bool:
    # A num_envs in the thousands or more is valid but takes seconds to build and roll out (1e5:
    # about 18 s); past memory it is refused at once (test_a_vector_env_too_large_for_memory_is_refused).
    return not (isinstance(value, int) and not isinstance(value, bool) and 64 < value < 2**40)


@PROPERTY
@given(
    kwargs=st.fixed_dictionaries(
        {"num_envs": st.one_of(ANY.filter(_not_large_and_valid), st.integers(1, 3))}, optional=ENV_KEYS
    )
)
def test_vector_env_constructor_gives_a_working_env_or_a_clear_error(kwargs):
    kwargs = _small(kwargs)
    kwargs.pop("render_mode", None)  # "human" is the single env's; tested there
    envs = _build_or_refuse(MazeVectorEnv, kwargs)
    if envs is None:
        return
    obs, _ = envs.reset(seed=0)
    assert envs.observation_space.contains(obs)
    obs, reward, *_ = envs.step(np.ones(envs.num_envs, dtype=np.int64))
    assert envs.observation_space.contains(obs)
    assert ((reward >= 0) & (reward <= 1)).all()
    for i in range(envs.num_envs):
        assert _independent_length(envs.maze(i)) >= 0
    envs.close()


# --------------------------------------------------------------------- reset, step
@pytest.fixture(scope="module")
def env():
    return MazeEnv("backtracker", {"size": 4})


@pytest.fixture(scope="module")
def vector_env():
    return MazeVectorEnv(3, "backtracker", {"size": 4})


@PROPERTY
@given(
    seed=ANY,
    options=st.one_of(ANY, st.dictionaries(st.sampled_from(["maze", "level", "x"]), ANY, max_size=2)),
)
def test_reset_takes_a_seed_and_options_or_says_why_not(env, seed, options):
    try:
        obs, info = env.reset(seed=seed, options=options)
    except CLEAR as err:
        _message(err)
        return
    assert seed is None or (isinstance(seed, int) and not isinstance(seed, bool) and seed >= 0)
    assert env.observation_space.contains(obs)
    assert _independent_length(env.maze) == info["optimal_path_length"]


@PROPERTY
@given(
    action=st.one_of(ANY, st.integers(-5, 8), st.sampled_from([np.int64(2), np.uint8(3), np.float64(1.0)]))
)
def test_step_takes_an_action_or_says_why_not(env, action):
    env.reset(seed=1)
    before = env.unwrapped.agent_pos
    try:
        obs, *_ = env.step(action)
    except CLEAR as err:
        _message(err)
        assert env.unwrapped.agent_pos == before  # a refused action moves nothing
        return
    assert env.action_space.contains(int(action))
    assert env.observation_space.contains(obs)


@PROPERTY
@given(seed=st.one_of(ANY, st.lists(st.one_of(SCALARS, st.integers(0, 99)), min_size=3, max_size=3)))
def test_vector_reset_takes_seeds_or_says_why_not(vector_env, seed):
    try:
        obs, _ = vector_env.reset(seed=seed)
    except CLEAR as err:
        _message(err)
        return
    assert vector_env.observation_space.contains(obs)
    seeds = [seed + i for i in range(3)] if isinstance(seed, int) else seed
    if seeds is not None:  # same seeds, same mazes as single envs
        for i, s in enumerate(seeds):
            if s is None:  # a fresh random stream
                continue
            single = MazeEnv("backtracker", {"size": 4})
            single.reset(seed=s)
            assert single.maze == vector_env.maze(i)


@PROPERTY
@given(
    actions=st.one_of(
        ANY,
        st.lists(st.integers(-2, 6), min_size=0, max_size=4),
        st.lists(st.floats(allow_nan=True), min_size=3, max_size=3),
    )
)
@example(actions=[b"\x80", "a", 2])  # numpy raised UnicodeDecodeError building the array
@example(actions=[[1], 2, 3])  # a ragged list
def test_vector_step_takes_actions_or_says_why_not(vector_env, actions):
    vector_env.reset(seed=0)
    before = vector_env.agent_pos.copy()
    try:
        obs, *_ = vector_env.step(actions)
    except CLEAR as err:
        _message(err)
        assert (vector_env.agent_pos == before).all()
        return
    assert vector_env.action_space.contains(np.asarray(actions))
    assert vector_env.observation_space.contains(obs)


# --------------------------------------------------------------------- the Maze type, level text
@st.composite
def maze_inputs(draw):
    h, w = draw(st.integers(0, 7)), draw(st.integers(0, 7))
    walls = draw(
        st.one_of(
            st.lists(st.lists(st.booleans(), min_size=w, max_size=w), min_size=h, max_size=h).map(np.array),
            st.lists(st.lists(st.integers(-1, 2), min_size=w, max_size=w), min_size=h, max_size=h).map(
                np.array
            ),
            ANY,
        )
    )
    cell = st.one_of(st.tuples(st.integers(-1, 8), st.integers(-1, 8)), ANY)
    return walls, draw(cell), draw(cell)


@PROPERTY
@given(inputs=maze_inputs())
def test_maze_is_valid_or_refused_and_plays_when_valid(inputs):
    walls, start, goal = inputs
    try:
        maze = Maze(walls, start, goal)
    except CLEAR as err:
        _message(err)
        return
    assert maze.walls.dtype == np.bool_ and maze.walls.ndim == 2
    assert not maze.walls[maze.start] and not maze.walls[maze.goal]
    assert maze.is_solvable() == (_independent_length(maze) >= 0)
    assert Maze.from_text(maze.to_text()) == maze
    if maze.shape[0] >= 1 and maze.shape[1] >= 1 and maze.is_solvable():
        # Any solvable wall grid plays, border or not, and the agent never leaves it.
        env = MazeEnv("backtracker", {"size": 3})
        try:
            env.reset(options={"maze": maze})
        except CLEAR as err:  # another shape than the env's
            assert "shape" in _message(err)
            return
        for a in np.random.default_rng(0).integers(0, 4, 30):
            env.step(int(a))
            r, c = env.agent_pos
            assert 0 <= r < maze.shape[0] and 0 <= c < maze.shape[1]
            assert not maze.walls[r, c]


@st.composite
def level_texts(draw):
    """A served maze's text with a few characters or lines changed, or free text."""
    if draw(st.booleans()):
        return draw(st.text(alphabet="#.SGA x\n\t", max_size=60))
    size = draw(st.integers(2, 4))
    text = make_generator("backtracker", size=size).generate(np.random.default_rng(size)).to_text()
    chars = list(text)
    for _ in range(draw(st.integers(0, 3))):
        i = draw(st.integers(0, len(chars) - 1))
        chars[i] = draw(st.sampled_from(list("#.SGA x\n")))
    lines = "".join(chars).split("\n")
    if draw(st.booleans()) and len(lines) > 1:
        del lines[draw(st.integers(0, len(lines) - 1))]
    return "\n".join(lines)


@PROPERTY
@given(text=level_texts())
def test_level_text_parses_or_is_refused(text):
    try:
        maze = Maze.from_text(text)
    except CLEAR as err:
        _message(err)
        return
    assert Maze.from_text(maze.to_text()) == maze


# --------------------------------------------------------------------- model files
@pytest.fixture(scope="module")
def model_bytes(tmp_path_factory):
    cfg = ModelConfig(kind="vae", size=(3, 3), latent_dim=4, hidden=16, depth=1, channels=4)
    model = MazeAutoencoder(cfg)
    init_parameters(model, torch.Generator().manual_seed(0))
    path = tmp_path_factory.mktemp("model") / "m.safetensors"
    save_model(model, path, dtype="float16")
    return path.read_bytes()


@PROPERTY
@given(data=st.data())
def test_a_damaged_model_file_loads_sound_or_is_refused(tmp_path_factory, model_bytes, data):
    raw = bytearray(model_bytes)
    kind = data.draw(st.sampled_from(["flip", "truncate", "overwrite"]))
    if kind == "truncate":
        raw = raw[: data.draw(st.integers(0, len(raw) - 1))]
    else:
        for _ in range(data.draw(st.integers(1, 8))):
            i = data.draw(st.integers(0, len(raw) - 1))
            raw[i] = data.draw(st.integers(0, 255)) if kind == "overwrite" else raw[i] ^ 0xFF
    path = tmp_path_factory.mktemp("bad") / "m.safetensors"
    path.write_bytes(bytes(raw))
    try:
        model = load_model(path)
    except CLEAR as err:
        assert "m.safetensors" in _message(err)
        return
    for name, tensor in model.state_dict().items():
        assert torch.isfinite(tensor).all(), name
    gen = make_generator("vae", size=3, model=str(path), repair="perfect")
    mazes = gen.generate_batch(4, np.random.default_rng(0))
    assert all(m.is_perfect() for m in mazes)


@pytest.mark.parametrize("cls", [MazeEnv, MazeVectorEnv])
@pytest.mark.parametrize("obs_mode", ["image", "rgb"])
def test_an_image_too_large_for_memory_is_refused(cls, obs_mode):
    kwargs = {"generator_kwargs": {"size": 4}, "obs_mode": obs_mode, "obs_tile_size": 14807}
    args = (2,) if cls is MazeVectorEnv else ()
    with pytest.raises(
        ValueError,
        match=r"obs_tile_size=14807 makes a 133263x133263x3 image .* \(at most obs_tile_size=\d+ here\)",
    ):
        cls(*args, **kwargs)


@pytest.mark.parametrize("num_envs", [2**40, 2**66])
def test_a_vector_env_too_large_for_memory_is_refused(num_envs):
    with pytest.raises(
        ValueError, match=rf"num_envs={num_envs} needs about [\d,.]+ GiB .* more than half of this"
    ):
        MazeVectorEnv(num_envs, "backtracker", {"size": 4})
