#!/usr/bin/env bash
# The whole test suite (unit, integration on SQLite and PostgreSQL, end-to-end CLI).
set -uo pipefail
cd "$(dirname "$0")/.."
.venv/bin/python -m pytest "$@"
status=$?
# pytest exits 5 when no test was collected: that is a failure of the suite, not a pass.
if [ "$status" -eq 5 ]; then echo "no tests were collected" >&2; exit 1; fi
exit "$status"
