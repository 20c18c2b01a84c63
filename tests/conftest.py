"""Shared test set-up: headless pygame, no audio; SB3's loggers write under pytest's temp dir."""

import os

import pytest

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

# Property tests explore new examples on every local run; CI (which sets CI=true) replays a
# fixed, derandomised sequence so that a submission's result does not depend on luck.
try:
    from hypothesis import settings as _hypothesis_settings
except ImportError:  # the dev extra is missing; the property tests will say so
    pass
else:
    _hypothesis_settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
    if os.environ.get("CI"):
        _hypothesis_settings.load_profile("ci")


@pytest.fixture(autouse=True, scope="session")
def _sb3_log_dir(tmp_path_factory: pytest.TempPathFactory) -> None:
    # SB3's default logger makes a new SB3-<time> folder in the system's temp dir on every
    # learn(); under the tests they go in one folder of pytest's own (which it rotates).
    os.environ.setdefault("SB3_LOGDIR", str(tmp_path_factory.mktemp("sb3")))
