"""Starting an attempt exactly once: a lock file recorded before the spawn, a pid file before the body.

In the attempt's local folder:

* ``attempt.lock`` is created (``O_EXCL``) and ``flock``-ed by the controller *before* it spawns
  the process, and inherited by that process, which holds the lock until it exits;
* ``attempt.pid`` (``pid:start_ticks:deadline``, the handle) is written by the process itself
  (``_child``) before the task body runs.

So whatever point a controller was killed at, its successor's submit of the same attempt knows:

==========================  ===============  =========================================================
``attempt.pid``             lock             meaning / what submit does
==========================  ===============  =========================================================
there                       (any)            the process started: adopt its handle
missing, lock file missing  -                nothing was recorded: claim and start
missing                     free             nothing runs and no body started: claim and start
missing                     held             a process is starting (or a controller is starting one):
                                             try again later (Throttled)
==========================  ===============  =========================================================

A pid is not an identity (pids are reused): the handle carries the process start time.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path

from flowctl._files import FILE_MODE, write_private
from flowctl._record import record
from flowctl._workdir import make_folder
from flowctl.providers.local._process import ProcessHandle

LOCK_FILE = "attempt.lock"
PID_FILE = "attempt.pid"


@record
class Claim:
    """We hold the attempt's start lock (``fd``): no process of this attempt runs or ever ran its body."""

    fd: int

    def release(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self.fd)


Found = Claim | str | None  # a claim, a handle to adopt, or None: someone is starting it


def claim(folder: Path, owner: str) -> Found:
    """Claim the start of the attempt whose folder is ``folder``; see the module docstring."""
    make_folder(folder)
    lock = folder / LOCK_FILE
    try:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, FILE_MODE)
    except FileExistsError:
        return _existing(folder, lock)
    if not _try_lock(fd):  # another controller opened the new file first: it is starting the attempt
        os.close(fd)
        return None
    os.write(fd, f"{owner}\n".encode())
    _durable(fd, folder)
    return Claim(fd)


def _existing(folder: Path, lock: Path) -> Found:
    handle = read_handle(folder)
    if handle is not None:
        return handle
    fd = os.open(lock, os.O_RDWR | os.O_CLOEXEC)
    if not _try_lock(fd):
        os.close(fd)
        return None
    handle = read_handle(folder)  # it may have started, recorded itself and exited meanwhile
    if handle is not None:
        os.close(fd)
        return handle
    return Claim(fd)


def _try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _durable(fd: int, folder: Path) -> None:
    os.fsync(fd)
    dir_fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def read_handle(folder: Path) -> str | None:
    """The handle the attempt's process recorded, or None (not started, or not far enough)."""
    try:
        text = (folder / PID_FILE).read_text().strip()
        return str(ProcessHandle.parse(text))
    except (OSError, ValueError):
        return None


def record_handle(folder: Path, handle: ProcessHandle) -> None:
    """Written by the attempt's process itself, atomically, before the task body runs."""
    write_private(folder / PID_FILE, f"{handle}\n".encode(), what="the attempt's process id")
