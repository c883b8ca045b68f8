"""Process handles that survive a controller restart: ``pid:start_ticks:deadline``.

A pid alone is not an identity (pids are reused), so the handle also records the process start time
from ``/proc/<pid>/stat`` (clock ticks since boot). ``deadline`` is the epoch second after which
the attempt is killed (``0`` for none), so a restarted controller still enforces timeouts.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from dataclasses import dataclass


@dataclass(frozen=True)
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
    """Start time of ``pid`` in clock ticks since boot, or -1 when it is gone (0 off Linux)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            stat = handle.read().decode(errors="replace")
    except FileNotFoundError:
        return -1
    except OSError:
        return 0
    fields = stat.rsplit(")", 1)[1].split()
    return int(fields[19])  # field 22 of stat; fields[0] is field 3 (state)


def _state(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            return handle.read().decode(errors="replace").rsplit(")", 1)[1].split()[0]
    except OSError:
        return ""


def is_alive(handle: ProcessHandle) -> bool:
    """True while the very process of ``handle`` runs (not a zombie, not a reused pid)."""
    if not os.path.exists("/proc/self/stat"):  # not Linux: fall back to signal 0
        try:
            os.kill(handle.pid, 0)
        except OSError:
            return False
        return True
    ticks = start_ticks(handle.pid)
    if ticks < 0 or (handle.start_ticks and ticks != handle.start_ticks):
        return False
    return _state(handle.pid) not in ("Z", "X", "")


def kill_tree(handle: ProcessHandle, *, grace: float = 0.5) -> None:
    """SIGTERM the attempt's whole session/process group, then SIGKILL what is left after ``grace``."""
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
