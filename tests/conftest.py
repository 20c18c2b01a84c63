"""Shared test set-up: headless pygame, no audio."""

import os

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
