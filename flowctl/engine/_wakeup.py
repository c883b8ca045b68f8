"""A wake-up the controller loop waits on: set from any thread when there may be work.

The controller sleeps for its poll interval between steps that made no progress; whatever learns of
new work (a provider callback on process exit, a registry notification of a new execution) calls
``set()`` and the sleep ends at once. ``wait`` clears the flag it consumed, so a wake-up that comes
while a step runs is not lost: the next wait returns immediately.
"""

from __future__ import annotations

import threading


class Wakeup:
    def __init__(self) -> None:
        self._event = threading.Event()

    def set(self) -> None:
        self._event.set()

    def wait(self, timeout: float | None) -> bool:
        """Sleep until ``set()`` or ``timeout`` seconds; True when woken."""
        woken = self._event.wait(timeout)
        self._event.clear()
        return woken
