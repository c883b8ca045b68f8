"""The provider interface: where task attempts run (local processes, Kubernetes Jobs).

A narrow protocol with request/response types (Terraform's provider requests, httpx's transport).
Expected failures come back as data in the response (``error``); library exceptions never leave a
provider, only broken invariants raise.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, Protocol

AttemptPhase = Literal["pending", "running", "succeeded", "failed"]
ErrorKind = Literal["user", "system"]


@dataclass(frozen=True)
class AttemptRef:
    """Identifies one attempt of one node of one execution."""

    project: str
    domain: str
    execution: str  # execution name, unique in project/domain
    node: str  # node id (with map index / dynamic path where relevant, e.g. "n2-3")
    attempt: int


@dataclass(frozen=True)
class SubmitRequest:
    """Everything a provider needs to start one attempt.

    The attempt reads ``{inputs_uri}`` and writes ``{outputs_uri}`` (or an error document) in the
    blob store; ``bundle_uri`` is the content-addressed code bundle of the registered version.
    """

    ref: AttemptRef
    task: dict[str, object]  # TaskSpec.to_json()
    inputs_uri: str
    outputs_uri: str
    bundle_uri: str | None
    blob_store: str  # blob store root URL, as the attempt should see it
    image: str | None = None
    environment: dict[str, str] = field(default_factory=dict)
    service_account: str | None = None
    timeout_seconds: float | None = None
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    # where the attempt reads its TaskSpec (``--task-spec-uri``); when None, a provider that needs
    # one writes ``task.json`` next to ``outputs_uri`` (added by the kubernetes provider)
    task_spec_uri: str | None = None
    # the project-domain's default requests/limits (ResourcesSpec JSON: cpu, mem, gpu,
    # ephemeral_storage) for resources the task does not set; the provider's own defaults fill the rest
    default_requests: dict[str, str] = field(default_factory=dict)
    default_limits: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ProviderFailure:
    """An expected failure, as data: ``kind`` says who is to blame, ``retryable`` whether to retry."""

    kind: ErrorKind
    code: str  # e.g. "Timeout", "OOMKilled", "ImagePullBackOff", "Forbidden", "NonZeroExit"
    message: str
    retryable: bool = True


@dataclass(frozen=True)
class SubmitResponse:
    handle: str  # provider-specific id (pid, job name); stable across controller restarts
    error: ProviderFailure | None = None
    adopted: bool = False  # the attempt already existed (an earlier submit of the same ref started it)


@dataclass(frozen=True)
class StatusResponse:
    phase: AttemptPhase
    error: ProviderFailure | None = None
    message: str = ""


@dataclass(frozen=True)
class LogsResponse:
    text: str
    error: ProviderFailure | None = None


class Provider(Protocol):
    """Where attempts run. ``submit`` must be idempotent per :class:`AttemptRef`.

    The controller writes an attempt's row before submitting it and the handle only after, so a
    controller killed in between submits the same ref again after its restart. A provider must then
    adopt what the first submit started (``SubmitResponse(handle, adopted=True)``), never start a
    second copy: it records the attempt under a name derived from the ref *before* it starts
    anything (local: ``attempt.lock``/``attempt.pid`` in the attempt's folder; Kubernetes: the Job
    name, a 409 on create means "adopt"). A ref whose start is still in progress elsewhere gets
    ``THROTTLED`` (nothing started, ask again later).
    """

    name: str

    def submit(self, request: SubmitRequest) -> SubmitResponse: ...

    def status(self, ref: AttemptRef, handle: str) -> StatusResponse: ...

    def cancel(self, ref: AttemptRef, handle: str) -> None: ...

    def logs(self, ref: AttemptRef, handle: str) -> LogsResponse: ...

    def cleanup(self, ref: AttemptRef, handle: str) -> None: ...

    def close(self) -> None: ...

    # Optional (a provider may lack it; callers check with ``getattr``):
    #     def subscribe(self, callback: Callable[[], None]) -> None
    # "call ``callback``, from any thread, whenever an attempt's status may have changed" (a process
    # exited, a deadline passed), so the controller acts at once instead of at its next poll. The
    # callback must be quick and thread-safe (set an event); it carries no detail: the controller
    # asks ``status`` as usual. Polling stays the safety net.


StatusCallback = Callable[[], None]
"""What ``subscribe`` takes: called with no arguments, from any thread."""


class SubscribingProvider(Provider, Protocol):
    """A provider that also reports status changes as they happen (see ``Provider``)."""

    def subscribe(self, callback: StatusCallback) -> None: ...


THROTTLED = "Throttled"
"""``SubmitResponse.error.code`` meaning "nothing was started, no capacity now: submit again later".

The controller does not count a throttled submit as an attempt (no retry is used up)."""

TIMEOUT = "Timeout"
"""``ProviderFailure.code`` of an attempt killed because it exceeded ``SubmitRequest.timeout_seconds``."""
