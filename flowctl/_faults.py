"""Fault injection for crash tests: hold a process at a named point so a test can kill -9 it there.

``FLOWCTL_TEST_PAUSE_AT=POINT:SECONDS`` makes :func:`pause_point` ``POINT`` write
``flowctl: paused at POINT`` to stderr and sleep (modelled on apply's
``FLOWCTL_TEST_PAUSE_BEFORE_COMMIT``). Points: ``submit:before-record``,
``submit:before-spawn`` (the local provider), ``submit:before-flush`` and ``cleanup:before`` (the
engine: after a pass wrote its attempts' ends, before it cleans them up).
Unset, a pause point costs one dictionary lookup. ``FLOWCTL_TEST_WRITE_ERROR`` fails writes
(:func:`write_fault`).
"""

from __future__ import annotations

import errno
import os
import sys
import time

PAUSE_AT_ENV = "FLOWCTL_TEST_PAUSE_AT"


def pause_point(name: str) -> None:
    setting = os.environ.get(PAUSE_AT_ENV)
    if not setting:
        return
    target, _, seconds = setting.rpartition(":")
    if target == name and seconds:
        sys.stderr.write(f"flowctl: paused at {name}\n")
        sys.stderr.flush()
        time.sleep(float(seconds))


WRITE_ERROR_ENV = "FLOWCTL_TEST_WRITE_ERROR"


def write_fault(path: object) -> None:
    """``FLOWCTL_TEST_WRITE_ERROR=ERRNO[:PART[,PART...]]`` (e.g. ``ENOSPC:bundles/``) makes every atomic
    write (``flowctl._files.write_atomic``) whose path contains one ``PART`` fail half way with that OS
    error, as a full disk does. Unset, it costs one dictionary lookup."""
    setting = os.environ.get(WRITE_ERROR_ENV)
    if not setting:
        return
    name, _, parts = setting.partition(":")
    if any(part in str(path) for part in parts.split(",")):
        code = getattr(errno, name, errno.EIO)
        raise OSError(code, os.strerror(code))
