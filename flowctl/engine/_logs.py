"""The log of one attempt, the same way for every provider and whether it runs or has finished.

A finished attempt's log is in the blob store (``log_uri``): the local provider writes it there
(or copies it there at cleanup when the blob store is remote), the kubernetes provider copies the
pods' logs there before it deletes the Job. A running attempt's log comes live from the provider.
``follow`` prints a running attempt's log as it grows and ends with the stored copy.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from flowctl import _blobstore as blobs
from flowctl.state._execution_access import ExecutionReader
from flowctl.state._execution_records import AttemptRecord, ExecutionRecord

if TYPE_CHECKING:  # a stored log needs no provider: `executions logs` of finished attempts loads none
    from flowctl.providers._interface import Provider

ProviderFor = Callable[[AttemptRecord], "Provider"]


@dataclass(frozen=True)
class AttemptLog:
    text: str
    note: str = ""  # why there is no text (never started, no logs kept, provider error)


def read_log(execution: ExecutionRecord, attempt: AttemptRecord, provider_for: ProviderFor) -> AttemptLog:
    """The stored log when there is one, else the provider's live log."""
    stored = _stored(attempt)
    if stored is not None:
        return AttemptLog(stored)
    if attempt.handle is None:
        return AttemptLog("", "no logs recorded: the attempt never started")
    from flowctl.providers._interface import AttemptRef

    ref = AttemptRef(execution.project, execution.domain, execution.name, attempt.node_id, attempt.attempt)
    live = provider_for(attempt).logs(ref, attempt.handle)
    if live.error is not None:
        return AttemptLog(live.text, f"no logs: {live.error.message}")
    return AttemptLog(live.text)


def shown_text(execution: ExecutionRecord, attempt: AttemptRecord, provider_for: ProviderFor) -> str:
    """What ``flowctl executions logs`` prints for one attempt, and the console shows."""
    found = read_log(execution, attempt, provider_for)
    return found.text if not found.note else f"({found.note})"


def recorded_provider(attempt: AttemptRecord) -> str | None:
    """The provider that ran ``attempt`` (None: the configured one, for rows of unknown providers)."""
    return attempt.provider if attempt.provider in ("local", "kubernetes") else None


def follow(store: ExecutionReader, execution: ExecutionRecord, attempt: AttemptRecord, provider_for: ProviderFor, *,
           poll: float = 0.5, sleep: Callable[[float], None] = time.sleep) -> Iterator[str]:
    """The attempt's log, piece by piece, until the attempt has finished and its log is complete."""
    return follow_text(store, execution, attempt, lambda a: read_log(execution, a, provider_for).text,
                       poll=poll, sleep=sleep)


def follow_text(store: ExecutionReader, execution: ExecutionRecord, attempt: AttemptRecord,
                text_of: Callable[[AttemptRecord], str], *, poll: float = 0.5,
                sleep: Callable[[float], None] = time.sleep) -> Iterator[str]:
    """``follow`` with the log read by ``text_of`` (through the server: the server reads it)."""
    shown = 0
    while True:
        current = _current(store, execution, attempt) or attempt
        done = not current.active
        text = text_of(current)
        if len(text) > shown:
            yield text[shown:]
            shown = len(text)
        if done:
            return
        sleep(poll)


def _current(store: ExecutionReader, execution: ExecutionRecord, attempt: AttemptRecord) -> AttemptRecord | None:
    rows = store.load_attempts(execution.id).get(attempt.node_id, [])
    return next((a for a in rows if a.attempt == attempt.attempt), None)


def _stored(attempt: AttemptRecord) -> str | None:
    if not attempt.log_uri:
        return None
    try:
        return blobs.read_bytes(attempt.log_uri).decode(errors="replace")
    except (FileNotFoundError, OSError):
        return None
