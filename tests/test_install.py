"""The maze generators install as the top-level `generators` package: another package of that
name earlier on ``sys.path`` makes ``import daedalus_gym`` fail with a message that says so.

(The wheel itself, installed in a fresh venv away from the repository, is checked by ``.ci/run``.)
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def _import_daedalus(cwd: Path, pythonpath: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    code = "import daedalus_gym, generators; print(generators.__file__)"
    return subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def test_a_shadowing_generators_package_is_a_clear_import_error(tmp_path: Path) -> None:
    fake = tmp_path / "elsewhere" / "generators"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text('"""Somebody else\'s generators."""\n')
    done = _import_daedalus(tmp_path, pythonpath=fake.parent)
    assert done.returncode != 0
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("ImportError: the 'generators' package at "), done.stderr
    assert str(fake / "__init__.py") in last
    assert "another package named 'generators' shadows it" in last


def test_ours_imports_from_anywhere(tmp_path: Path) -> None:
    done = _import_daedalus(tmp_path)
    assert done.returncode == 0, done.stderr
    package = Path(done.stdout.strip()).parent
    assert (package / "pretrained").is_dir()  # the real one, with its shipped weights
