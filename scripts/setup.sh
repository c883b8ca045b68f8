#!/usr/bin/env bash
# Create .venv (if missing) and install flowctl with every extra the tests need.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[dev]" -c scripts/constraints.txt
# An editable install leaves flowctl's own modules uncompiled; where PYTHONDONTWRITEBYTECODE is set,
# every flowctl process would compile them again (~30 ms per command, benchmarks/README.md "CLI
# start-up"). Compile them once, as pip does for a wheel; an edited module is recompiled as usual.
.venv/bin/python -m compileall -q flowctl state plans providers >/dev/null
