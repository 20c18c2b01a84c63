"""The scripts in examples/ run as their docstrings say, on small settings."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import gymnasium as gym
import pytest

from daedalus_gym import MazeEnv

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def load_example(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"daedalus_example_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the file runs
    spec.loader.exec_module(module)
    return module


def test_random_agent_plays_its_episodes(capsys) -> None:
    example = load_example("random_agent")
    example.main(example.Settings(episodes=3))
    out = capsys.readouterr().out
    assert out.count("episode ") == 3 and "success rate" in out


def test_record_gif_writes_the_episode(tmp_path: Path, capsys) -> None:
    iio = pytest.importorskip("imageio.v3")
    example = load_example("record_gif")
    out = tmp_path / "episode.gif"
    example.main(example.Settings(out=str(out)))
    frames = iio.imread(out)
    # One frame per step plus the first, tile_size pixels a square of the 15x15 wall grid.
    steps = int(capsys.readouterr().out.split(" in ")[1].split()[0])
    assert frames.shape[0] == steps + 1 and frames.shape[1:3] == (15 * 16, 15 * 16)


def test_play_keyboard_plays_the_keys_it_is_given(monkeypatch, capsys) -> None:
    # The oracle's moves on the example's first maze, as arrow keys, then Esc.
    from daedalus_gym.agents import make_agent, make_agent_env
    from daedalus_gym.rendering import import_pygame

    example = load_example("play_keyboard")
    settings = example.Settings()
    oracle = make_agent("oracle")
    env = make_agent_env(oracle, settings.env_id)
    obs, info = env.reset(seed=settings.seed)
    oracle.reset(settings.seed)
    actions, terminated = [], False
    while not terminated:
        actions.append(oracle.act(obs, info))
        obs, _, terminated, _, info = env.step(actions[-1])
    pg = import_pygame()
    keys = [pg.K_UP, pg.K_RIGHT, pg.K_DOWN, pg.K_LEFT]
    presses = [*(keys[a] for a in actions), pg.K_ESCAPE]
    events = iter([pg.event.Event(pg.KEYDOWN, key=key) for key in presses])
    monkeypatch.setattr(pg.event, "wait", lambda *args: next(events))
    monkeypatch.setitem(MazeEnv.metadata, "render_fps", 1000)  # the window paces no one here
    example.main(settings)
    out = capsys.readouterr().out
    assert f"solved in {len(actions)} steps (shortest {len(actions)})" in out
    assert "1 of 1 episodes solved" in out


def test_train_ppo_trains_saves_and_evaluates(tmp_path: Path, capsys) -> None:
    pytest.importorskip("stable_baselines3")
    from daedalus_gym.agents import PPOSettings, make_agent
    from daedalus_gym.splits import LevelRange

    example = load_example("train_ppo")
    out = tmp_path / "ppo.zip"
    settings = example.Settings(
        levels=LevelRange(0, 20),
        steps=256,
        ppo=PPOSettings(n_envs=2, n_steps=64, batch_size=128, n_epochs=1),
        out=str(out),
        eval_env_ids=("Daedalus-Backtracker-7x7-v0",),
        eval_episodes=4,
    )
    example.main(settings)
    printed = capsys.readouterr().out
    assert "trained 256 steps" in printed and f"ppo:{out}" in printed
    agent = make_agent(f"ppo:{out}")
    assert agent.meta["train_levels"] == [0, 20]
    assert isinstance(gym.make(agent.meta["env_id"], **agent.env_kwargs).observation_space, gym.spaces.Space)
