"""Write the frozen zero-shot suite's level files in ``daedalus_gym/level_sets/``.

The suite (`daedalus_gym.curriculum.suite.zero_shot_suite`) is a list of groups of held-out
levels. Most groups are shipped ``eval-v0`` sets, referred to by id; this script writes the two
groups that have their own files, and the manifest ``<suite>.json`` that lists every group with its
level count, grid shape and the sha256 of its level strings:

- ``backtracker-21x21``: 200 levels of 21x21 cells, a size no registered id serves, made like the
  ``eval-v0`` sets (`daedalus_gym.splits.make_eval_set`): level seeds count up from ``2**31`` and
  a level is kept when, up to rotation and reflection, it is neither one of the levels
  ``[0, 10000)`` that ``Daedalus-Backtracker-v0`` serves at 21x21 cells
  (``gym.make("Daedalus-Backtracker-v0", generator_kwargs={"size": 21}, num_levels=...)``) nor
  a level already kept.
- ``named``: the hand-designed mazes below, drawn as level strings (`generators.level_files`
  format: ``#`` wall, ``.`` free, ``>`` start, ``G`` goal, border left out), in this order;
  their names are kept in the manifest (the level format has no place for a name).

Running it again writes the same bytes; a changed suite is a new name (``zero-shot-v1``), never a
rewrite of a shipped one. Usage::

    .venv/bin/python scripts/make_zero_shot_suite.py            # write the files and the manifest
    .venv/bin/python scripts/make_zero_shot_suite.py --check    # regenerate and compare, write nothing
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from typing import Any

import gymnasium as gym

import daedalus_gym  # noqa: F401 -- registers the ids
from daedalus_gym.splits import (
    EVAL_TRAIN_LEVELS,
    LEVEL_SET_DIR,
    level_set_digest,
    level_set_manifest,
    make_eval_set,
    write_level_set,
)
from generators import Maze
from generators.level_files import levels_to_text


@dataclass
class Settings:
    suite: str = "zero-shot-v0"
    shipped_set: str = "eval-v0"  # the version of the shipped sets the suite refers to
    levels: int = 200  # in the backtracker-21x21 group
    size: int = 21  # cells a side of the backtracker-21x21 group
    base_id: str = "Daedalus-Backtracker-v0"  # whose generator, at `size`, draws that group
    max_attempts: int = 10


# The suite's groups in order: a shipped set (by id), or None for a group with its own file.
GROUPS: dict[str, str | None] = {
    "backtracker-14x14": "Daedalus-Backtracker-v0",
    "backtracker-21x21": None,
    "backtracker-28x28": "Daedalus-Backtracker-28x28-v0",
    "kruskal-14x14": "Daedalus-Kruskal-v0",
    "prim-14x14": "Daedalus-Prim-v0",
    "wilson-14x14": "Daedalus-Wilson-v0",
    "vae-14x14": "Daedalus-VAE-v0",
    "named": None,
}

# Hand-designed mazes, (2h+1) x (2w+1) grids of 7x7 to 14x14 cells written without their border.
# Not lattice mazes: open rooms and thick walls are allowed; every one is solvable.
NAMED: dict[str, str] = {
    "long-corridor": """
>............
############.
.............
.############
.............
############.
.............
.############
.............
############.
.............
.############
............G""",
    "spiral": """
>................
################.
...............#.
.#############.#.
.#...........#.#.
.#.#########.#.#.
.#.#.......#.#.#.
.#.#.#####.#.#.#.
.#.#.#..G#.#.#.#.
.#.#.#.###.#.#.#.
.#.#.#.....#.#.#.
.#.#.#######.#.#.
.#.#.........#.#.
.#.###########.#.
.#.............#.
.###############.
.................""",
    "comb": """
>..................
.#.#.#.#.#.#.#.#.#.
.#.#.#.#.#.#.#.#.#.
.#.#.#.#.#.#.#.#.#.
.#.#.#.#.#.#.#.#.#.
.#.#.#.#.#.#.#.#.#.
.#.#.#.#.#.#.#.#.#.
.#.#.#.#.#.#.#.#.#.
.#.#.#.#.#.#.#.#.#.
.#.#.#.#.#.#.#.#.#.
.#.#.#.#.#.#.#.#.#.
.#.#.#.#.#.#.#.#.#.
.#.#.#.#.#.#.#.#.#.
.#.#.#.#.#.#.#.#.#.
.#.#.#.#.#.#.#.#.#.
.#.#.#.#.#.#.#.#.#.
.#.#.#.#.#.#.#.#.#.
.#.#.#.#.#.#.#.#.#.
.#.#.#.#.#.#G#.#.#.""",
    "open-room": """
>....................
.....................
.....................
...#...#...#...#...#.
.....................
.....................
.....................
...#...#...#...#...#.
.....................
.....................
.....................
...#...#...#...#...#.
.....................
.....................
.....................
...#...#...#...#...#.
.....................
.....................
.....................
...#...#...#...#...#.
....................G""",
    "two-rooms": """
...........#...........
.>.........#...........
...........#.........G.
...........#...........
...........#...........
...........#...........
...........#...........
...........#...........
...........#...........
...........#...........
...........#...........
...........#...........
.......................
...........#...........
...........#...........""",
    "cross": """
##########.##########
##########.##########
##########.##########
##########.##########
##########.##########
##########.##########
##########.##########
##########.##########
##########.##########
##########.##########
>....................
##########.##########
##########.##########
##########.##########
##########.##########
##########.##########
##########.##########
##########.##########
##########.##########
##########.##########
##########G##########""",
    "zigzag": """
>..############
##.############
##...##########
####.##########
####...########
######.########
######...######
########.######
########...####
##########.####
##########...##
############.##
############...
##############.
##############G""",
    "dead-end-forest": """
>#.###########.########
.#.###########.########
.#...#.#####...###.####
.#.###.#######.###.####
.#.###...#.###.#...###.
.#.###.###.###.###.###.
...###.#...###...#.###.
.#.###.###.###.###.###.
.#.#...###.###.###...#.
.#.###.###.###.###.###.
.#...#.###.....###.#...
.#.###.###.###.###.###.
......................G
##.###.###.###.###.###.
...###.#...###...#.###.
.#.###.###.###.###.###.
.#.#...###.###.###...#.
.#.###.###.###.###.###.
.#...#.###.....###.#...
.#.#######.###.#######.
.#.#######.###.#######.
.#########.###########.
.#########.###########.""",
    "ring": """
>..................
.#####.###########.
.#####.###########.
.#####.###########.
.###...........###.
.###.#########.###.
.###.#########.###.
.###.#########.###.
.###.###...###.###.
.###.....G.###.###.
.....###...###.###.
.###.#########.###.
.###.#########.###.
.###.#########.###.
.###...............
.###########.#####.
.###########.#####.
.###########.#####.
...................""",
    "goal-behind-start": """
...................
.#################.
.#################.
.#################.
.#################.
.#################.
........G#>........
.#########.########
.#########.########
.#########.########
.#########.########
.#########.########
.......###.........""",
    "bottleneck": """
........................>
.........................
.........................
.........................
....#.....#.....#.....#..
.........................
.........................
.........................
.........................
.########################
.........................
########################.
.........................
.########################
.............############
############.############
.........................
.........................
.........................
.........................
..#.....#.....#.....#....
.........................
.........................
.........................
G........................""",
    "big-hall": """
>..........................
...........................
...........................
...........................
...........................
.....###...........###.....
.....###...........###.....
.....###...........###.....
...........................
...........................
...........................
...........................
............###............
............###............
............###............
...........................
...........................
...........................
...........................
.....###...........###.....
.....###...........###.....
.....###...........###.....
...........................
...........................
...........................
...........................
..........................G""",
}


def held_out_group(settings: Settings) -> tuple[list[Maze], list[int]]:
    """The ``backtracker-21x21`` levels and their level seeds."""
    env = gym.make(settings.base_id, generator_kwargs={"size": settings.size})
    generator = env.unwrapped.generator
    env.close()
    return make_eval_set(generator, settings.levels, max_attempts=settings.max_attempts)


def named_group() -> list[Maze]:
    """The hand-designed mazes of `NAMED`, in order."""
    return [Maze.from_str(text) for text in NAMED.values()]


def manifest_entries(settings: Settings) -> tuple[dict[str, dict[str, Any]], dict[str, list[Maze]]]:
    """Every group's manifest entry, and the mazes of the groups that have their own file."""
    shipped = level_set_manifest(settings.shipped_set)
    entries: dict[str, dict[str, Any]] = {}
    files: dict[str, list[Maze]] = {}
    for name, env_id in GROUPS.items():
        if env_id is not None:
            entry = shipped[env_id]
            entries[name] = {
                "env_id": env_id,
                "set": settings.shipped_set,
                "levels": entry["levels"],
                "shape": entry["shape"],
                "sha256": entry["sha256"],
            }
            continue
        if name == "named":
            mazes = named_group()
            entries[name] = {
                "file": f"{settings.suite}.{name}.txt.gz",
                "levels": len(mazes),
                "names": list(NAMED),
                "shapes": [list(m.shape) for m in mazes],
            }
        else:
            mazes, seeds = held_out_group(settings)
            entries[name] = {
                "file": f"{settings.suite}.{name}.txt.gz",
                "generator_id": settings.base_id,
                "size": settings.size,
                "train_levels": [0, EVAL_TRAIN_LEVELS],
                "first_seed": seeds[0],
                "last_seed": seeds[-1],
                "levels": len(mazes),
                "shape": list(mazes[0].shape),
            }
        entries[name]["sha256"] = level_set_digest(levels_to_text(mazes))
        files[name] = mazes
    return entries, files


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="regenerate and compare with the shipped files")
    args = parser.parse_args()
    settings = Settings()
    manifest_path = LEVEL_SET_DIR / f"{settings.suite}.json"
    entries, files = manifest_entries(settings)
    if args.check:
        shipped = json.loads(manifest_path.read_text(encoding="utf-8"))
        different = [
            name for name in entries if shipped.get(name, {}).get("sha256") != entries[name]["sha256"]
        ]
        for name in entries:
            print(f"{name}: {'DIFFERENT' if name in different else 'same'}", file=sys.stderr)
        return 1 if different or list(shipped) != list(entries) else 0
    for name, mazes in files.items():
        digest = write_level_set(LEVEL_SET_DIR / entries[name]["file"], mazes)
        assert digest == entries[name]["sha256"]
    manifest_path.write_text(json.dumps(entries, indent=1) + "\n", encoding="utf-8")
    print("| group | levels | grid | source | sha256 of the level strings |\n|---|---|---|---|---|")
    for name, entry in entries.items():
        shape = entry.get("shape") or "various"
        grid = f"{shape[0]}x{shape[1]}" if isinstance(shape, list) else shape
        source = f"`{entry['env_id']}` {entry['set']}" if "env_id" in entry else f"`{entry['file']}`"
        print(f"| `{name}` | {entry['levels']} | {grid} | {source} | `{entry['sha256']}` |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
