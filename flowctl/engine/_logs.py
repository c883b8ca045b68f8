"""The log text of one attempt: the copy in the blob store, else the provider's (a running attempt)."""

from __future__ import annotations

from collections.abc import Callable

from flowctl import _blobstore as blobs
from flowctl.providers._interface import AttemptRef, Provider
from flowctl.state._executions import AttemptRecord, ExecutionRecord

ProviderFor = Callable[[str | None], Provider]  # provider name recorded on the attempt (None: configured) -> provider
NO_LOGS = "(no logs recorded)"


def attempt_logs(execution: ExecutionRecord, node_id: str, attempt: AttemptRecord, provider_for: ProviderFor) -> str:
    """What ``flowctl executions logs`` prints for ``attempt`` (and the console shows)."""
    try:
        return blobs.read_bytes(attempt.log_uri or "").decode(errors="replace")
    except (FileNotFoundError, OSError):
        pass
    if attempt.handle is None:  # never started
        return NO_LOGS
    provider = provider_for(attempt.provider if attempt.provider in ("local", "kubernetes") else None)
    ref = AttemptRef(execution.project, execution.domain, execution.name, node_id, attempt.attempt)
    logs = provider.logs(ref, attempt.handle)
    return logs.text if logs.error is None else f"(no logs: {logs.error.message})"
