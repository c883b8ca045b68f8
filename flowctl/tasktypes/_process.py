"""Running a task's process on this machine: environment, timeout, captured output, failures."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from flowctl._errors import ExecutionError

STDERR_TAIL = 4000  # characters of stderr kept in the error message


class TaskProcessError(ExecutionError):
    """The process of a container or shell task failed (non-zero exit, not found, timeout).

    ``user_traceback`` (what error documents show as the traceback) is the end of its stderr."""

    code = "USER:TaskProcessFailed"

    def __init__(self, summary: str, *, detail: str = "", retryable: bool = True) -> None:
        super().__init__(summary, detail=detail)
        self.retryable = retryable
        self.user_traceback = detail


def tail(text: str, limit: int = STDERR_TAIL) -> str:
    text = text.rstrip()
    return text if len(text) <= limit else "...\n" + text[-limit:]


def run_process(argv: Sequence[str], *, cwd: Path, environment: Mapping[str, str], timeout: float | None,
                what: str, hint: str = "") -> subprocess.CompletedProcess[str]:
    """Run ``argv`` in ``cwd``; its output is passed on to ours (the attempt's log) after it ends.

    Raises :class:`TaskProcessError` with the stderr tail when it exits non-zero, cannot start or
    runs longer than ``timeout`` seconds (then it is killed and the failure is not retried)."""
    env = {**os.environ, **environment}
    try:
        done = subprocess.run(list(argv), cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout,
                              errors="replace", check=False)
    except FileNotFoundError:
        raise TaskProcessError(f"{what}: the command `{argv[0]}` was not found", detail=hint,
                               retryable=False) from None
    except PermissionError as exc:
        raise TaskProcessError(f"{what}: the command `{argv[0]}` cannot be run: {exc}", detail=hint,
                               retryable=False) from None
    except subprocess.TimeoutExpired as exc:
        stderr = exc.stderr.decode(errors="replace") if isinstance(exc.stderr, bytes) else (exc.stderr or "")
        raise TaskProcessError(f"{what} timed out after {timeout:g}s and was killed",
                               detail=tail(stderr) or "(no stderr)", retryable=False) from None
    if done.stdout:
        sys.stdout.write(done.stdout)
    if done.stderr:
        sys.stderr.write(done.stderr)
    if done.returncode != 0:
        status = f"signal {-done.returncode}" if done.returncode < 0 else f"status {done.returncode}"
        last = next((line.strip() for line in reversed(done.stderr.splitlines()) if line.strip()), "")
        summary = f"{what} exited with {status}" + (f": {last[:200]}" if last else "")
        raise TaskProcessError(summary, detail="stderr:\n" + (tail(done.stderr) or "(empty)"))
    return done
