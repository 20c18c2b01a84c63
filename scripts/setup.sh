#!/usr/bin/env bash
# Set up a virtual environment in .venv with Daedalus-Gym installed (editable).
#   bash scripts/setup.sh           # runtime only
#   bash scripts/setup.sh dev       # + test tools (pytest, hypothesis, ruff)
#   bash scripts/setup.sh dev,rl    # any extras from pyproject.toml: dev, rl, ray, bench, plot, video,
#                                   # minari, docs
# Torch is installed first as the CPU build: an unpinned torch would pull a multi-GB CUDA build.
set -euo pipefail
cd "$(dirname "$0")/.."
EXTRAS="${1:-}"
PYTHON="${PYTHON:-python3}"
TORCH_VERSION="${TORCH_VERSION:-2.13.0}"

if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
PY=.venv/bin/python
"$PY" -m pip install --quiet --upgrade pip

if ! "$PY" -c "import torch" >/dev/null 2>&1; then
    # A local CPU wheel where the machine has one (pip finds it), else PyTorch's CPU index.
    "$PY" -m pip install --quiet "torch==${TORCH_VERSION}" \
        || "$PY" -m pip install --quiet "torch==${TORCH_VERSION}" --index-url https://download.pytorch.org/whl/cpu
fi

TARGET="."
if [ -n "$EXTRAS" ]; then
    TARGET=".[${EXTRAS}]"
fi
"$PY" -m pip install --quiet -e "$TARGET"
echo "ready: $("$PY" -c 'import torch, gymnasium, daedalus_gym; print("daedalus-gym", daedalus_gym.__version__, "| torch", torch.__version__, "| gymnasium", gymnasium.__version__)')"
