"""Fault injection for crash tests: hold a process at a named point so a test can kill -9 it there.

``FLOWCTL_TEST_PAUSE_AT=POINT:SECONDS`` makes :func:`pause_point` ``POINT`` write
``flowctl: paused at POINT`` to stderr and sleep (modelled on apply's
``FLOWCTL_TEST_PAUSE_BEFORE_COMMIT``). Points: ``submit:before-record``,
``submit:before-spawn`` (the local provider) and ``submit:before-flush`` (the engine).
Unset, a pause point costs one dictionary lookup.
"""

from __future__ import annotations

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
