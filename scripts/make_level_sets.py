"""Write the frozen evaluation level sets shipped in ``daedalus_gym/level_sets/``.

For every registered id: the first held-out levels (level seeds counting up from 2**31) that,
up to rotation and reflection, are neither a training level ``[0, 10000)`` of that id nor a level
already in the set (`daedalus_gym.splits.make_eval_set`). Each set is gzip-compressed level
strings (`generators.level_files` format) plus one manifest with every set's size and digest.
Running it again writes the same bytes; a new version (``eval-v2``) is a new name, never a
rewrite of a shipped one. Where a new version's levels for an id are an earlier version's, level
for level, its manifest names the earlier file instead of shipping a copy. Usage::

    .venv/bin/python scripts/make_level_sets.py            # every id
    .venv/bin/python scripts/make_level_sets.py --check    # regenerate and compare, write nothing
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass

import gymnasium as gym

import daedalus_gym  # noqa: F401 -- registers the ids
from daedalus_gym.core import EVAL_SETS
from daedalus_gym.registration import env_specs
from daedalus_gym.splits import (
    LEVEL_SET_DIR,
    level_set_digest,
    level_set_manifest,
    level_set_path,
    make_eval_set,
    write_level_set,
)
from generators.level_files import levels_to_text


@dataclass
class Settings:
    version: str = EVAL_SETS[-1]
    levels: int = 200  # per id, at every size
    max_attempts: int = 10


def same_levels_in(env_id: str, digest: str, version: str) -> str | None:
    """The earliest version before ``version`` whose set for ``env_id`` has ``digest``, if any."""
    for earlier in EVAL_SETS[: EVAL_SETS.index(version)]:
        if level_set_manifest(earlier).get(env_id, {}).get("sha256") == digest:
            return earlier
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="regenerate and compare with the shipped files")
    parser.add_argument("ids", nargs="*", help="env ids (default: every registered id)")
    args = parser.parse_args()
    settings = Settings()
    ids = args.ids or [spec["id"] for spec in env_specs()]
    manifest_path = LEVEL_SET_DIR / f"{settings.version}.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    LEVEL_SET_DIR.mkdir(exist_ok=True)
    failed = []
    for env_id in ids:
        t0 = time.perf_counter()
        env = gym.make(env_id)
        mazes, seeds = make_eval_set(
            env.unwrapped.generator, settings.levels, max_attempts=settings.max_attempts
        )
        env.close()
        path = LEVEL_SET_DIR / f"{env_id}.{settings.version}.txt.gz"  # this version's own file
        if args.check:
            digest = level_set_digest(levels_to_text(mazes))
            ok = manifest.get(env_id, {}).get("sha256") == digest
            failed += [] if ok else [env_id]
            print(f"{env_id}: {'same' if ok else 'DIFFERENT'} ({digest[:16]})", file=sys.stderr)
            continue
        entry = {
            "levels": len(mazes),
            "shape": list(mazes[0].shape),
            "first_seed": seeds[0],
            "last_seed": seeds[-1],
            "sha256": level_set_digest(levels_to_text(mazes)),
        }
        earlier = same_levels_in(env_id, entry["sha256"], settings.version)
        if earlier is None:
            write_level_set(path, mazes)
        else:  # the same levels as an earlier version: its file serves this one too
            path.unlink(missing_ok=True)
            path = level_set_path(env_id, earlier)
            entry["file"] = path.name
        manifest[env_id] = entry
        size = path.stat().st_size
        print(
            f"{env_id}: {len(mazes)} levels, {size / 1024:.0f} KiB, {time.perf_counter() - t0:.1f} s",
            file=sys.stderr,
        )
    if not args.check:
        manifest_path.write_text(json.dumps(dict(sorted(manifest.items())), indent=1) + "\n")
    print("| id | levels | grid | sha256 |\n|---|---|---|---|")
    for env_id, entry in sorted(manifest.items()):
        height, width = entry["shape"]
        print(f"| `{env_id}` | {entry['levels']} | {height}x{width} | `{entry['sha256']}` |")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
