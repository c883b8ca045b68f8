"""Process handles that survive a controller restart: ``pid:start_ticks:deadline``.

A pid alone is not an identity (pids are reused), so the handle also records the process start time
(clock ticks since boot, as ``/proc/<pid>/stat`` has it; psutil where there is no ``/proc``). ``deadline`` is the epoch second after which
the attempt is killed (``0`` for none), so a restarted controller still enforces timeouts.
"""

from __future__ import annotations

import contextlib
import functools
import os
import time
from typing import TYPE_CHECKING

from flowctl._record import record

if TYPE_CHECKING:
    import signal

_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


@record(frozen=True)
class ProcessHandle:
    pid: int
    start_ticks: int
    deadline: float  # epoch seconds; 0 means no timeout

    def __str__(self) -> str:
        return f"{self.pid}:{self.start_ticks}:{self.deadline:.3f}"

    @classmethod
    def parse(cls, text: str) -> ProcessHandle:
        pid, ticks, deadline = text.split(":")
        return cls(int(pid), int(ticks), float(deadline))


def start_ticks(pid: int) -> int:
    """Start time of ``pid`` in clock ticks since boot, or -1 when it is gone.

    The unit is the one ``/proc/<pid>/stat`` reports, so handles recorded by earlier versions still match.
    It is read from there where there is one: every attempt records its own handle first thing, and
    psutil would cost it about 20 ms of imports (subprocess, socket...); elsewhere psutil.
    """
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return int(stat.read().rsplit(b")", 1)[1].split()[19])
    except (FileNotFoundError, ProcessLookupError):
        if os.path.isdir("/proc/self"):
            return -1  # there is a /proc, and the process is not in it
    except (OSError, ValueError, IndexError):
        pass
    import psutil

    try:
        created = psutil.Process(pid).create_time()
    except psutil.NoSuchProcess:
        return -1
    except psutil.Error:
        return 0
    return round((created - _boot_time()) * _CLOCK_TICKS)


@functools.cache
def _boot_time() -> float:
    import psutil

    return psutil.boot_time()


def is_alive(handle: ProcessHandle) -> bool:
    """True while the very process of ``handle`` runs (not a zombie, not a reused pid)."""
    import psutil

    ticks = start_ticks(handle.pid)
    if ticks < 0 or (handle.start_ticks and ticks != handle.start_ticks):
        return False
    try:
        return psutil.Process(handle.pid).status() not in (psutil.STATUS_ZOMBIE, psutil.STATUS_DEAD)
    except psutil.Error:
        return False


def kill_tree(handle: ProcessHandle, *, grace: float = 0.5) -> None:
    """SIGTERM the attempt's whole session/process group, then SIGKILL what is left after ``grace``."""
    import signal  # here: an attempt's _child records its handle with this module and never kills (~0.5 ms)

    if not is_alive(handle):
        _kill_group(handle.pid, signal.SIGKILL)  # stragglers of a finished leader
        return
    _kill_group(handle.pid, signal.SIGTERM)
    end = time.monotonic() + grace
    while time.monotonic() < end and is_alive(handle):
        time.sleep(0.02)
    _kill_group(handle.pid, signal.SIGKILL)


def _kill_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)
