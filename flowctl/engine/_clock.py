"""Clocks: the scheduler asks a clock for "now", so tests can move time by hand.

``FLOWCTL_CLOCK_FILE`` names a file holding an ISO-8601 timestamp (``2026-01-01T09:00:00Z``); while
it exists and is not empty, the scheduler's "now" is that instant. This is how end-to-end tests
drive a real controller process through due times. Everything else (leases, backoff, timeouts) runs
on the real clock.
"""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


def parse_instant(text: str) -> datetime:
    """An ISO-8601 instant; naive values are UTC."""
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class FileClock:
    """"now" is the instant written in ``path`` (the real time while the file is missing or empty)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def now(self) -> datetime:
        try:
            text = self.path.read_text()
        except OSError:
            text = ""
        return parse_instant(text) if text.strip() else datetime.now(UTC)


class ManualClock:
    """A clock for in-process tests: ``set`` and ``advance`` it."""

    def __init__(self, start: datetime) -> None:
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def set(self, value: datetime) -> None:
        with self._lock:
            self._now = value

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += timedelta(seconds=seconds)


def clock_from_env() -> Clock:
    path = os.environ.get("FLOWCTL_CLOCK_FILE")
    return FileClock(Path(path)) if path else SystemClock()
