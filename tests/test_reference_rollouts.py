"""Same seeds, same mazes and rollouts: every id replays the fingerprints recorded in
``tests/data/reference_rollouts.json`` (written by ``tests/_record_reference.py``)."""

from __future__ import annotations

import json

import _record_reference as ref
import pytest

REFERENCE = json.loads(ref.PATH.read_text())
# The 28x28 ids' vector rollouts refill envs with large mazes (the learned ones decode about a
# hundred each): the slow run. Their 14x14 and 7x7 twins run the same code by default.
KEYS = [pytest.param(k, marks=pytest.mark.slow) if "-28x28-v0|vector|" in k else k for k in sorted(REFERENCE)]


@pytest.mark.parametrize("key", KEYS)
def test_rollout_matches_reference(key: str) -> None:
    parts = key.split("|")
    if parts[0] == "generator":
        got = ref.generator_batch(parts[1], int(parts[2]))
    else:
        env_id, kind, mode, seed = parts
        run = ref.single_rollout if kind == "single" else ref.vector_rollout
        got = run(env_id, int(seed), mode)
    assert got == REFERENCE[key]
