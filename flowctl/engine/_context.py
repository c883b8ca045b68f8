"""What every part of the engine shares: the store, the provider, the blob store, options."""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass, field

from flowctl._blobstore import BlobStore
from flowctl._dag import dependencies, topological_order
from flowctl.engine._specs import SpecLoader
from flowctl.providers._interface import Provider
from flowctl.spec import Json, NodeSpec, WorkflowSpec
from flowctl.state._executions import ExecutionStore


def _env_float(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


@dataclass(frozen=True)
class EngineOptions:
    """Knobs of the controller (the ``FLOWCTL_*`` environment variables set the defaults)."""

    lease_seconds: float = field(default_factory=lambda: _env_float("FLOWCTL_LEASE_SECONDS", 15.0))
    retry_backoff: float = field(default_factory=lambda: _env_float("FLOWCTL_RETRY_BACKOFF", 1.0))
    retry_backoff_max: float = 60.0
    claim_batch: int = 100
    inner_passes: int = 25  # passes over one execution in one step while it makes progress
    notify_max_attempts: int = 8
    notify_backoff: float = field(default_factory=lambda: _env_float("FLOWCTL_NOTIFY_BACKOFF", 2.0))
    catchup_none_tolerance: float = 10.0  # seconds: a late fire within this is still "on time"


def new_owner_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@dataclass
class EngineContext:
    store: ExecutionStore
    provider: Provider
    blobs: BlobStore
    owner: str = field(default_factory=new_owner_id)
    options: EngineOptions = field(default_factory=EngineOptions)
    specs: SpecLoader = field(init=False)

    def __post_init__(self) -> None:
        self.specs = SpecLoader(self.store)
        self._plans: dict[int, tuple[WorkflowSpec, list[tuple[NodeSpec, frozenset[str]]]]] = {}
        self._settings: dict[tuple[str, str], dict[str, Json]] = {}
        # (execution id, node id, attempt) of the cleanups the step's passes ran, recorded at the
        # end of the step in one statement (engine/_cleanup.py record_cleanups)
        self.cleaned: list[tuple[str, str, int]] = []

    def domain_settings(self, project: str, domain: str) -> dict[str, Json]:
        """A project/domain's settings (``{}`` when none), read once per step (:meth:`new_step`)."""
        found = self._settings.get((project, domain))
        if found is None:
            found = self._settings[(project, domain)] = self.store.domain_settings(project, domain) or {}
        return found

    def new_step(self) -> None:
        """Forget what is read once per step: a change of domain settings applies from the next step."""
        self._settings.clear()

    def plan_of(self, wf: WorkflowSpec) -> list[tuple[NodeSpec, frozenset[str]]]:
        """The workflow's nodes in dependency order with what each waits for (computed once per spec)."""
        hit = self._plans.get(id(wf))
        if hit is None or hit[0] is not wf:
            hit = (wf, [(n, frozenset(dependencies(n))) for n in topological_order(wf)])
            self._plans[id(wf)] = hit
        return hit[1]
