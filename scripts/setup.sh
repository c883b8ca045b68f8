#!/usr/bin/env bash
# Create .venv (if missing) and install flowctl with every extra the tests need.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[dev]" -c scripts/constraints.txt
# Bytecode once, as pip does for wheels: the editable install's modules would otherwise be compiled from
# source by every flowctl process where PYTHONDONTWRITEBYTECODE is set (about 0.1 CPU-s a command).
.venv/bin/python -m compileall -q -j 0 flowctl state plans providers >/dev/null  # compileall skips flowctl/'s links
