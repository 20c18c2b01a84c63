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
import shlex
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


ALL_PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
PAGES = [p for p in ALL_PAGES if page_blocks(p)]


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


# The command lines in the pages' code blocks: ``daedalus-gym ...`` (or ``python -m daedalus_gym.cli
# ...``) and ``python -m benchmarks.<module> ...``. A line with a placeholder (``FILE``,
# ``<checkout>``, ``[,ppo:FILE]``, a shell variable) or no arguments is a pattern, not a command.
COMMAND = re.compile(r"(daedalus-gym|python -m daedalus_gym\.cli|python -m benchmarks\.([\w.]+))\s+\S")
PLACEHOLDER = re.compile(r"[<\[$]|\bFILE\b|\bID\b")


def page_commands(page: Path) -> list[tuple[str, list[str]]]:
    """``(module, argv)`` per command line on ``page``: module ``""`` for the CLI."""
    text = page.read_text()
    lines = []
    for match in re.finditer(r"^```[^\n]*\n(.*?)^```", text, re.S | re.M):
        lines += [
            part
            for line in match.group(1).replace("\\\n", " ").splitlines()
            for part in re.split(r"&&|\|", line)
        ]
    commands = []
    for line in lines:
        match = COMMAND.search(line)
        if match is None:
            continue
        words = shlex.split(line[match.start() :], comments=True)
        if PLACEHOLDER.search(" ".join(words)):
            continue
        module = match.group(2) or ""
        argv = words[1:] if words[0] == "daedalus-gym" else words[3:]
        if module or len(argv) > 1:
            commands.append((module, argv))
    return commands


class _Parsed(Exception):
    """Raised once a command line has parsed: the test runs nothing."""


def command_main(module: str):
    """The ``main(argv)`` that ``python -m`` runs for ``module`` (the CLI's for ``""``)."""
    import importlib

    if not module:
        return importlib.import_module("daedalus_gym.cli").main
    name = f"benchmarks.{module}"
    package = importlib.import_module(name)
    if hasattr(package, "__path__"):  # a package: ``python -m`` runs its __main__
        return importlib.import_module(f"{name}.__main__").main
    return package.main


@pytest.mark.parametrize("page", ALL_PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_page_command_lines_parse(page: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    import argparse

    parse = argparse.ArgumentParser.parse_args

    def parse_then_stop(self, args=None, namespace=None):
        parse(self, args, namespace)
        raise _Parsed

    monkeypatch.setattr(argparse.ArgumentParser, "parse_args", parse_then_stop)
    for module, argv in page_commands(page):
        line = (
            f"{page.name}: {f'python -m benchmarks.{module}' if module else 'daedalus-gym'} {' '.join(argv)}"
        )
        try:
            command_main(module)(argv)
        except _Parsed:
            continue
        except SystemExit as exit:
            raise AssertionError(f"{line}: {capsys.readouterr().err}") from exit
        # The CLI reports a bad argument and returns 2 rather than exit.
        raise AssertionError(f"{line}: does not parse: {capsys.readouterr().err}")
