"""The docs site's environment pages: one per registered id, from the registry and `MazeEnv`'s
docstring, with a GIF of the oracle solving one of the id's mazes and the agents' results.

Two jobs, one file:

- As a MkDocs hook (``hooks:`` in ``mkdocs.yml``), it writes ``envs/index.md`` and one
  ``envs/<id>.md`` per id into the build, and lists them in the nav, so the pages always say
  what the registry and the docstring say now (nothing generated is committed but the GIFs).
- As a script, ``python scripts/docs_pages.py``, it redraws the GIFs into ``docs/envs/gifs/``
  (needs imageio: the ``docs`` extra). Rerun it when what an id serves changes; the build
  fails, naming this command, while an id has no GIF.
"""

from __future__ import annotations

import argparse
import inspect
import json
import re
import typing
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
GIFS = DOCS / "envs" / "gifs"
RESULTS = DOCS / "results"
ENVS_NAV = "envs/index.md"  # the nav entry the hook expands into the per-id pages
GIF_SEED = 0
GIF_PIXELS = 180  # frames of about this many pixels a side, whatever the maze size
GIF_FRAMES = 60  # at most: longer paths are drawn every k-th step


# --------------------------------------------------------------------------- facts
def env_ids() -> list[str]:
    """The ids in registration-table order (generator by generator, then size)."""
    from daedalus_gym.registration import env_specs

    return [spec["id"] for spec in env_specs()]


def docstring_sections(doc: str) -> list[tuple[str, str]]:
    """``[(title, body)]`` of a docstring's ``## Title`` sections, in order."""
    text = inspect.cleandoc(doc)
    parts = re.split(r"^## (.+)$", text, flags=re.MULTILINE)
    return [(title.strip(), body.strip()) for title, body in zip(parts[1::2], parts[2::2])]


def _space(env_id: str, **kwargs: Any) -> str:
    import gymnasium as gym

    env = gym.make(env_id, **kwargs)
    try:
        return str(env.observation_space)
    finally:
        env.close()


def observation_spaces(env_id: str) -> list[tuple[str, str]]:
    """``[(obs_mode label, space)]`` for every observation mode the env offers, the default first."""
    from daedalus_gym import MazeEnv, core

    default = inspect.signature(MazeEnv).parameters["obs_mode"].default
    others = [mode for mode in typing.get_args(getattr(core, "ObsMode", None)) if mode != default]
    rows = [(f"`{default}` (default)", _space(env_id))]
    return rows + [(f"`{mode}`", _space(env_id, obs_mode=mode)) for mode in others]


def result_rows(env_id: str) -> list[tuple[str, dict[str, Any]]]:
    """``[(results file stem, record)]``: every record for ``env_id`` in ``docs/results/*.json``."""
    rows = []
    for path in sorted(RESULTS.glob("*.json")):
        records = json.loads(path.read_text())
        if isinstance(records, list):
            rows += [(path.stem, r) for r in records if isinstance(r, dict) and r.get("env") == env_id]
    return rows


# --------------------------------------------------------------------------- pages
def env_page(spec: dict[str, Any]) -> str:
    import gymnasium as gym

    from daedalus_gym import MazeEnv
    from generators import generator_class

    env_id = spec["id"]
    name = spec["kwargs"]["generator"]
    settings = spec["kwargs"]["default_generator_kwargs"]
    summary = " ".join((inspect.getdoc(generator_class(name)) or "").split("\n\n")[0].split())
    env = gym.make(env_id)
    height, width = env.unwrapped.height, env.unwrapped.width
    action_space = env.action_space
    env.close()
    cells = f"{height // 2}x{width // 2}"
    lines = [
        f"# {env_id}",
        "",
        summary,
        "",
        f"![the oracle solving a maze of {env_id}](gifs/{env_id}.gif)",
        "",
        f"*The oracle (a shortest path) on the maze `reset(seed={GIF_SEED})` serves; "
        "drawn by `python scripts/docs_pages.py`.*",
        "",
        "| | |",
        "|---|---|",
        f'| Make | `gym.make("{env_id}")`, `gym.make_vec("{env_id}", num_envs=N)` (native `MazeVectorEnv`) |',
        f"| Generator | `{name}` with `{json.dumps(settings)}` |",
        f"| Maze | {cells} cells, a {height}x{width} grid (walls included) |",
        f"| Action space | `{action_space}` |",
        f"| Time limit | `max_episode_steps = {spec['max_episode_steps']}` |",
        "",
        "## Observation spaces",
        "",
        "| `obs_mode` | space |",
        "|---|---|",
        *(f"| {mode} | `{space}` |" for mode, space in observation_spaces(env_id)),
        "",
    ]
    rows = result_rows(env_id)
    if rows:
        lines += [
            "## Agents",
            "",
            "Success rate [95 % interval], SPL and mean episode length, from the runs in "
            "[Agents](../agents.md):",
            "",
            "| results | agent | episodes | success | SPL | mean length |",
            "|---|---|--:|--:|--:|--:|",
        ]
        for stem, r in rows:
            source = f"[{stem}](../results/{stem}.md)" if (RESULTS / f"{stem}.md").exists() else stem
            success = f"{r['success_rate']:.3f} [{r['success_low']:.3f}, {r['success_high']:.3f}]"
            lines.append(
                f"| {source} | `{r['agent']}` | {r['episodes']} | {success} | {r['spl']:.3f} "
                f"| {r['mean_length']:.1f} |"
            )
        lines.append("")
        for stem in dict.fromkeys(stem for stem, _ in rows):
            if (RESULTS / f"{stem}.png").exists():
                lines += [f"![{stem}](../results/{stem}.png)", ""]
    lines += [
        "## Manual",
        "",
        "From `MazeEnv`'s docstring (the same for every id; the id sets the generator and the time "
        "limit above).",
        "",
    ]
    for title, body in docstring_sections(MazeEnv.__doc__ or ""):
        lines += [f"### {title}", "", body, ""]
    return "\n".join(lines)


def index_page(specs: list[dict[str, Any]]) -> str:
    lines = [
        "# Environments",
        "",
        "Every registered id, from the registration table (`daedalus_gym.registration`). Each page "
        "has the id's spaces, its manual, a GIF of the oracle and the agents' results.",
        "",
        "| id | generator | cells | max steps |",
        "|---|---|---|--:|",
    ]
    for spec in specs:
        settings = dict(spec["kwargs"]["default_generator_kwargs"])
        size = settings.pop("size")
        extra = f" `{json.dumps(settings)}`" if settings else ""
        lines.append(
            f"| [{spec['id']}]({spec['id']}.md) | `{spec['kwargs']['generator']}`{extra} "
            f"| {size}x{size} | {spec['max_episode_steps']} |"
        )
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- GIFs
def oracle_frames(env_id: str) -> list[Any]:
    """Frames of the oracle playing ``reset(seed=GIF_SEED)``: at most `GIF_FRAMES` of them, the
    first and the last always included."""
    import gymnasium as gym

    from daedalus_gym.agents import OracleAgent, make_agent_env

    grid = gym.spec(env_id).kwargs["default_generator_kwargs"]["size"] * 2 + 1
    agent = OracleAgent()
    env = make_agent_env(agent, env_id, render_mode="rgb_array", render_tile_size=max(2, GIF_PIXELS // grid))
    obs, info = env.reset(seed=GIF_SEED)
    frames, terminated, truncated = [], False, False
    for _ in range(int(gym.spec(env_id).max_episode_steps or 0) + 1):
        frames.append(env.render())
        if terminated or truncated:
            break
        obs, _, terminated, truncated, info = env.step(agent.act(obs, info))
    env.close()
    if not terminated:
        raise RuntimeError(f"{env_id}: the oracle did not reach the goal")
    stride = -(-len(frames) // GIF_FRAMES)
    return frames[:-1:stride] + frames[-1:]


def write_gifs(ids: list[str]) -> None:
    import imageio.v3 as iio
    import numpy as np

    GIFS.mkdir(parents=True, exist_ok=True)
    for env_id in ids:
        frames = oracle_frames(env_id)
        # The last frame held for a second, so the solved maze is seen before the loop restarts.
        durations = [100] * (len(frames) - 1) + [1000]
        iio.imwrite(GIFS / f"{env_id}.gif", np.stack(frames), duration=durations, loop=0)
        print(f"{GIFS.relative_to(ROOT)}/{env_id}.gif: {len(frames)} frames")


# --------------------------------------------------------------------------- MkDocs hook
def on_config(config: Any) -> Any:
    """Expand the nav entry ``envs/index.md`` into a section: the index, then one page per id."""
    import daedalus_gym  # noqa: F401 - registers the ids

    pages = [ENVS_NAV, *({env_id: f"envs/{env_id}.md"} for env_id in env_ids())]

    def expand(items: list[Any]) -> list[Any]:
        out = []
        for item in items:
            if isinstance(item, dict):
                ((title, value),) = item.items()
                if value == ENVS_NAV:
                    value = pages
                elif isinstance(value, list):
                    value = expand(value)
                item = {title: value}
            out.append(item)
        return out

    config["nav"] = expand(config["nav"] or [])
    return config


def on_files(files: Any, config: Any) -> Any:
    """Add the generated pages to the build; refuse while an id has no GIF."""
    from mkdocs.exceptions import PluginError
    from mkdocs.structure.files import File

    from daedalus_gym.registration import env_specs

    specs = env_specs()
    missing = [spec["id"] for spec in specs if not (GIFS / f"{spec['id']}.gif").exists()]
    if missing:
        raise PluginError(f"no GIF for {', '.join(missing)}: run python scripts/docs_pages.py")
    files.append(File.generated(config, ENVS_NAV, content=index_page(specs)))
    for spec in specs:
        files.append(File.generated(config, f"envs/{spec['id']}.md", content=env_page(spec)))
    return files


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--ids", nargs="*", metavar="ID", help="redraw only these ids' GIFs; none: every id")
    args = parser.parse_args()
    import daedalus_gym  # noqa: F401 - registers the ids

    write_gifs(args.ids or env_ids())


if __name__ == "__main__":
    main()
