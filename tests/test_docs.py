"""The Python examples in README.md and docs/ run as written (in the slow pass: 25 s).

Each page's ``python`` blocks run in order in one namespace (a later block may use what an
earlier one made, as a reader going down the page would), in a fresh folder holding the files
the page tells its reader to make first: a level file, models trained with the project's own
command (here the shipped ones, copied to where that command writes), a Minari dataset. A block
right after ``<!-- not run: why -->`` is only compiled (an hour of training is not a test); one
right after ``<!-- needs: module -->`` runs where that optional module is installed and is only
compiled, with a warning, where it is not.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
FENCE = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
MARK = re.compile(r"^<!-- (not run|needs): (.+) -->$")
UNKNOWN_COMMENT = re.compile(r"^<!-- ")


@dataclass(frozen=True)
class Block:
    page: str
    line: int
    code: str
    not_run: str | None  # why the block is only compiled
    needs: str | None  # the optional module it runs with


def page_blocks(page: Path) -> list[Block]:
    text = page.read_text()
    blocks = []
    for match in FENCE.finditer(text):
        before = text[: match.start()].rstrip("\n").rsplit("\n", 1)[-1]
        mark = MARK.match(before)
        if mark is None and UNKNOWN_COMMENT.match(before):
            raise ValueError(f"{page}: the comment {before!r} before a python block is not a block mark")
        line = text.count("\n", 0, match.start()) + 1
        kind, value = (mark.group(1), mark.group(2)) if mark else (None, None)
        blocks.append(
            Block(
                page=str(page.relative_to(ROOT)),
                line=line,
                code=match.group(1),
                not_run=value if kind == "not run" else None,
                needs=value if kind == "needs" else None,
            )
        )
    return blocks


PAGES = [p for p in [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))] if page_blocks(p)]


def write_page_files(text: str, folder: Path) -> None:
    """The files ``text`` asks its reader to have made before its examples."""
    if "my_level.txt" in text:
        # A Kruskal maze the size of the env the page plays it in (the last one it made before).
        import gymnasium as gym

        import daedalus_gym  # noqa: F401 -- registers the ids
        from generators import make_generator

        env_id = re.findall(r'gym\.make\("([\w-]+)"', text[: text.index("my_level.txt")])[-1]
        env = gym.make(env_id)
        env.reset(seed=0)
        cells = [(n - 1) // 2 for n in env.unwrapped.maze.walls.shape]
        env.close()
        maze = make_generator("kruskal", size=tuple(cells)).generate(np.random.default_rng(0))
        (folder / "my_level.txt").write_text(maze.to_str())
    from generators.learned import pretrained_path

    shipped = pretrained_path("vae")
    for model in sorted(set(re.findall(r"runs/[\w./-]+?\.safetensors", text))):
        target = folder / model
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shipped, target)
        shutil.copyfile(shipped.with_suffix(".json"), target.with_suffix(".json"))
    if "minari.load_dataset(" in text and importlib.util.find_spec("minari") is not None:
        from daedalus_gym.commands.dataset import write_dataset

        for name in sorted(set(re.findall(r'minari\.load_dataset\("([\w-]+)"\)', text))):
            env_id = "Daedalus-Backtracker-7x7-v0"
            agent = name.removeprefix("daedalus-backtracker-7x7-").removesuffix("-v0")
            write_dataset(env_id, agent, episodes=3, out=folder / "datasets", name=name)


def test_every_page_with_examples_is_found() -> None:
    names = {str(p.relative_to(ROOT)) for p in PAGES}
    assert {"README.md", "docs/levels.md", "docs/learned.md", "docs/control.md"} <= names


def test_marks_say_why() -> None:
    blocks = [b for p in PAGES for b in page_blocks(p)]
    for block in blocks:
        for value in (block.not_run, block.needs):
            assert value is None or value.strip(), f"{block.page}:{block.line}: a mark with no reason"
    # Most examples run: the marked ones are the exceptions.
    assert sum(b.not_run is not None for b in blocks) <= len(blocks) // 4


def test_every_example_compiles() -> None:
    for page in PAGES:
        for block in page_blocks(page):
            compile(block.code, f"{block.page}:{block.line}", "exec")


@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_page_examples_run(page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    monkeypatch.setenv("MINARI_DATASETS_PATH", str(tmp_path / "datasets"))
    monkeypatch.chdir(tmp_path)
    write_page_files(page.read_text(), tmp_path)
    namespace: dict[str, object] = {"__name__": "__docs__"}
    ran = 0
    for block in page_blocks(page):
        code = compile(block.code, f"{block.page}:{block.line}", "exec")
        if block.not_run is not None:
            continue
        if block.needs is not None and importlib.util.find_spec(block.needs) is None:
            warnings.warn(f"{block.page}:{block.line} not run: it needs {block.needs}", stacklevel=1)
            continue
        exec(code, namespace)  # the page's own example
        ran += 1
    assert ran > 0, f"{page}: no example ran"
