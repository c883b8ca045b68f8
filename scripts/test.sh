#!/usr/bin/env bash
# The whole test suite (unit, integration on SQLite and PostgreSQL, end-to-end CLI), in parallel:
# FLOWCTL_TEST_WORKERS processes (default: cores + 1, since many tests wait on subprocesses and
# servers; 0 runs everything in this one process). The Kubernetes tests share one worker
# (tests/conftest.py), as k8s-sim is one cluster.
set -uo pipefail
cd "$(dirname "$0")/.."
workers="${FLOWCTL_TEST_WORKERS:-$(( $(nproc 2>/dev/null || echo 1) + 1 ))}"
.venv/bin/python -m pytest -n "$workers" --dist loadgroup "$@"
status=$?
# pytest exits 5 when no test was collected: that is a failure of the suite, not a pass.
if [ "$status" -eq 5 ]; then echo "no tests were collected" >&2; exit 1; fi
exit "$status"
