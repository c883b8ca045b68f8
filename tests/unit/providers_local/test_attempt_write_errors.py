"""An attempt that cannot save its result (a full disk): no traceback, one last line on stderr saying
what could not be written and why, exit 2 (a retryable system failure for both providers)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from test_attempt_imports import INC, _write_attempt

from flowctl.entrypoint import EXIT_SYSTEM

FAILING = """
    from flowctl import task

    @task
    def work(x: int) -> int:
        raise ValueError(f"no {x}")
"""


def _attempt(tmp_path: Path, body: str, fault: str) -> subprocess.CompletedProcess[str]:
    args = _write_attempt(tmp_path, body)
    env = {**os.environ, "FLOWCTL_TEST_WRITE_ERROR": fault}
    return subprocess.run([sys.executable, "-m", "flowctl.entrypoint", *args], capture_output=True, text=True,
                          cwd=tmp_path, env=env, timeout=60)


def _left(tmp_path: Path) -> list[str]:
    return sorted(p.name for p in (tmp_path / "blobs" / "a").iterdir())


def test_outputs_that_cannot_be_written_become_a_system_error_document(tmp_path: Path) -> None:
    done = _attempt(tmp_path, INC, "ENOSPC:outputs.json")
    assert done.returncode == EXIT_SYSTEM, done.stderr
    assert "Traceback" not in done.stderr
    error = json.loads((tmp_path / "blobs" / "a" / "error.json").read_text())
    assert (error["kind"], error["code"], error["retryable"]) == ("system", "SYSTEM:WriteFailed", True)
    assert "Cannot write the task outputs to " in error["message"] and "(ENOSPC)" in error["message"]
    assert _left(tmp_path) == ["error.json", "inputs.json", "task.json"]


@pytest.mark.parametrize(("body", "was"), [(INC, "Cannot write the task outputs to "),
                                           (FAILING, "Task `attempt_mod.work` failed: ValueError: no 41")])
def test_neither_document_can_be_written(tmp_path: Path, body: str, was: str) -> None:
    done = _attempt(tmp_path, body, "ENOSPC:outputs.json,error.json")
    assert done.returncode == EXIT_SYSTEM, done.stderr
    last = done.stderr.rstrip("\n").splitlines()[-1]
    assert last.startswith(f"flowctl: Cannot write the task error document to {tmp_path / 'blobs' / 'a' / 'error.json'}: "
                           "No space left on device (ENOSPC); the attempt's result is lost (it was: "), last
    assert was in last
    assert "WriteError" not in done.stderr and "flowctl/entrypoint.py" not in done.stderr  # no traceback of flowctl's
    assert _left(tmp_path) == ["inputs.json", "task.json"]  # no half document, no temporary file
