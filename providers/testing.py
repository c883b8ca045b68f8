"""FakeProvider: a provider for tests that records every request (httpx's MockTransport).

``handler(request)`` decides what an attempt does:

* a mapping: the attempt succeeds with these outputs (written to ``outputs.json``);
* a :class:`ProviderFailure`: the attempt fails with it (written to ``error.json``);
* ``None``: the attempt keeps running until :meth:`FakeProvider.finish` is called.

Without a handler every attempt succeeds at once with each declared output set to ``None``.
Like every provider, submitting the same attempt again adopts it (``adopted=True``) instead of
starting it twice; ``submitted`` still records each request.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from flowctl import _blobstore as blobs
from flowctl.entrypoint import error_document, error_uri
from flowctl.providers._interface import (
    AttemptRef,
    LogsResponse,
    ProviderFailure,
    StatusResponse,
    SubmitRequest,
    SubmitResponse,
)
from flowctl.spec import Json

FakeResult = Mapping[str, Json] | ProviderFailure | None
FakeHandler = Callable[[SubmitRequest], FakeResult]


def _default_handler(request: SubmitRequest) -> FakeResult:
    interface = request.task.get("interface")
    outputs = interface.get("outputs", []) if isinstance(interface, dict) else []
    return {str(o["name"]): None for o in outputs if isinstance(o, dict)}


@dataclass
class _Attempt:
    request: SubmitRequest
    phase: str = "running"
    error: ProviderFailure | None = None


@dataclass
class FakeProvider:
    """Records ``submitted``, ``cancelled`` and ``cleaned``; thread-safe."""

    handler: FakeHandler | None = None
    write_documents: bool = True
    name: str = "fake"
    submitted: list[SubmitRequest] = field(default_factory=list)
    cancelled: list[AttemptRef] = field(default_factory=list)
    cleaned: list[AttemptRef] = field(default_factory=list)
    _attempts: dict[str, _Attempt] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def submit(self, request: SubmitRequest) -> SubmitResponse:
        handle = f"fake-{request.ref.execution}-{request.ref.node}-{request.ref.attempt}"
        with self._lock:
            self.submitted.append(request)
            adopted = handle in self._attempts
            if adopted:
                return SubmitResponse(handle, adopted=True)
            self._attempts[handle] = _Attempt(request)
        result = (self.handler or _default_handler)(request)
        if result is not None:
            self.finish(handle, result)
        return SubmitResponse(handle)

    def finish(self, handle: str, result: Mapping[str, Json] | ProviderFailure) -> None:
        """Complete a running attempt with outputs or a failure."""
        with self._lock:
            attempt = self._attempts[handle]
        if isinstance(result, ProviderFailure):
            attempt.phase, attempt.error = "failed", result
            if self.write_documents:
                doc = error_document(result.kind, result.code, result.message, "", result.retryable)
                blobs.write_json(error_uri(attempt.request.outputs_uri), doc)
        else:
            if self.write_documents:
                blobs.write_json(attempt.request.outputs_uri, dict(result))
            attempt.phase = "succeeded"

    def handles(self) -> list[str]:
        with self._lock:
            return list(self._attempts)

    def status(self, ref: AttemptRef, handle: str) -> StatusResponse:
        with self._lock:
            attempt = self._attempts.get(handle)
        if attempt is None:
            return StatusResponse("failed", ProviderFailure("system", "Lost", f"unknown attempt {handle}", True))
        return StatusResponse(attempt.phase, attempt.error)  # type: ignore[arg-type]

    def cancel(self, ref: AttemptRef, handle: str) -> None:
        with self._lock:
            self.cancelled.append(ref)
            attempt = self._attempts.get(handle)
        if attempt is not None and attempt.phase == "running":
            attempt.phase = "failed"
            attempt.error = ProviderFailure("system", "Aborted", "cancelled", False)

    def logs(self, ref: AttemptRef, handle: str) -> LogsResponse:
        return LogsResponse(f"fake logs of {handle}\n")

    def cleanup(self, ref: AttemptRef, handle: str) -> None:
        with self._lock:
            self.cleaned.append(ref)

    def close(self) -> None:
        return None
