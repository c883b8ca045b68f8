"""Learning at once that an attempt's process ended: one thread waiting on the processes' pidfds.

``ExitWatcher.watch(handle)`` opens a pidfd (Linux ≥ 5.3) for the attempt's process, whether this
controller started it or adopted it after a restart; the watcher thread waits on all of them
(and on a wake-up pipe) and, when one becomes readable (the process exited) or an attempt's
deadline passes, calls ``on_exit(handle)`` and then ``notify()``. Without pidfds (another OS, an
old kernel) it looks at the watched processes every :data:`FALLBACK_INTERVAL` seconds instead.
"""

from __future__ import annotations

import contextlib
import logging
import os
import selectors
import threading
import time
from collections.abc import Callable

from flowctl.providers.local._process import ProcessHandle, is_alive, start_ticks

log = logging.getLogger("flowctl.providers.local")

FALLBACK_INTERVAL = 0.05


class ExitWatcher:
    """Calls ``on_exit(handle)`` then ``notify()`` when a watched process exits or passes its deadline."""

    def __init__(self, on_exit: Callable[[str], None], notify: Callable[[], None]) -> None:
        self._on_exit = on_exit
        self._notify = notify
        self._lock = threading.Lock()
        self._pending: list[ProcessHandle] = []  # handed to the thread, which owns the selector
        self._watched: set[str] = set()
        self._thread: threading.Thread | None = None
        self._closed = False
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)

    def watch(self, handle: ProcessHandle) -> None:
        """Watch the process of ``handle`` (again is a no-op) until it exits."""
        with self._lock:
            if self._closed or str(handle) in self._watched:
                return
            self._watched.add(str(handle))
            self._pending.append(handle)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="flowctl-local-exits", daemon=True)
                self._thread.start()
            self._wake()

    def close(self) -> None:
        """Stop watching; the thread closes the wake-up pipe as it ends (now, unless called from it)."""
        with self._lock:
            self._closed = True
            thread = self._thread
            self._wake()
            if thread is None:
                self._close_pipe()
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=2)

    # ------------------------------------------------------------ the thread
    def _wake(self) -> None:
        """Called with the lock held: the pipe is open until the thread closes it under the lock."""
        if self._wake_w < 0:
            return
        with contextlib.suppress(OSError):  # a full pipe wakes the thread just as well
            os.write(self._wake_w, b"x")

    def _close_pipe(self) -> None:
        for fd in (self._wake_r, self._wake_w):
            with contextlib.suppress(OSError):
                os.close(fd)
        self._wake_r = self._wake_w = -1

    def _run(self) -> None:
        selector = selectors.DefaultSelector()
        selector.register(self._wake_r, selectors.EVENT_READ)
        polled: set[ProcessHandle] = set()  # no pidfd: looked at every FALLBACK_INTERVAL
        deadlines: dict[ProcessHandle, float] = {}
        try:
            while True:
                with self._lock:
                    if self._closed:
                        return
                    pending, self._pending = self._pending, []
                ended = [h for h in pending if not self._register(selector, h, polled)]
                deadlines.update({h: h.deadline for h in pending if h.deadline and h not in ended})
                timeout = FALLBACK_INTERVAL if polled else None
                if ended:  # processes gone before they could be watched: report them now, not after the next event
                    timeout = 0.0
                elif deadlines:
                    until = max(0.0, min(deadlines.values()) - time.time()) + 0.01
                    timeout = until if timeout is None else min(timeout, until)
                for key, _ in selector.select(timeout):
                    if key.fd == self._wake_r:
                        with contextlib.suppress(OSError):
                            os.read(self._wake_r, 4096)
                        continue
                    selector.unregister(key.fd)
                    os.close(key.fd)
                    ended.append(key.data)
                ended += [h for h in polled if not is_alive(h)]
                polled.difference_update(ended)
                now = time.time()
                late = [h for h, at in deadlines.items() if at <= now]
                for handle in ended + late:
                    deadlines.pop(handle, None)
                self._report(ended, late)
        finally:
            for key in list(selector.get_map().values()):
                if key.fd != self._wake_r:
                    with contextlib.suppress(OSError):
                        os.close(key.fd)
            selector.close()
            with self._lock:
                self._close_pipe()

    def _register(self, selector: selectors.BaseSelector, handle: ProcessHandle, polled: set[ProcessHandle]) -> bool:
        """Start waiting for ``handle``'s process; False when it has already ended."""
        pidfd_open = getattr(os, "pidfd_open", None)
        if pidfd_open is None:
            polled.add(handle)
            return True
        try:
            fd = pidfd_open(handle.pid)
        except ProcessLookupError:
            return False
        except OSError:  # pidfds not supported here
            polled.add(handle)
            return True
        ticks = start_ticks(handle.pid)
        if ticks < 0 or (handle.start_ticks and ticks > 0 and ticks != handle.start_ticks):
            os.close(fd)  # the pid belongs to another process now: ours has ended
            return False
        selector.register(fd, selectors.EVENT_READ, handle)
        return True

    def _report(self, ended: list[ProcessHandle], late: list[ProcessHandle]) -> None:
        if not ended and not late:
            return
        for handle in ended:
            with self._lock:
                self._watched.discard(str(handle))
            try:
                self._on_exit(str(handle))
            except Exception:  # pragma: no cover - a broken callback must not stop the watcher
                log.exception("reaping the attempt process %s failed", handle)
        try:
            self._notify()
        except Exception:
            log.exception("an attempt-status subscriber failed")
