"""Records of the execution store: what leaves ``state/`` about executions (no rows, no SQL)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flowctl.spec import Json

TERMINAL_PHASES = frozenset({"succeeded", "failed", "timed_out", "aborted"})
ACTIVE_PHASES = ("queued", "running")


# ---------------------------------------------------------------- records
@dataclass(frozen=True)
class ExecutionRecord:
    id: str
    project: str
    domain: str
    name: str
    launch_plan_name: str
    launch_plan_version: str
    workflow_name: str
    workflow_version: str
    phase: str
    inputs: dict[str, Json]
    outputs: dict[str, Json] | None
    error: dict[str, Json] | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    created_by: str
    parent_execution_id: str | None
    parent_node_id: str | None
    scheduled_at: datetime | None
    claimed_by: str | None
    claim_expires_at: datetime | None
    abort_requested: bool
    max_parallelism: int | None
    labels: dict[str, str]

    @property
    def terminal(self) -> bool:
        return self.phase in TERMINAL_PHASES


@dataclass(frozen=True)
class NewExecution:
    """What ``create_execution`` needs; ``name`` must be unique in the project/domain."""

    project: str
    domain: str
    name: str
    launch_plan_name: str
    launch_plan_version: str
    workflow_name: str
    workflow_version: str
    inputs: dict[str, Json]
    created_by: str = ""
    parent_execution_id: str | None = None
    parent_node_id: str | None = None
    scheduled_at: datetime | None = None
    max_parallelism: int | None = None
    labels: dict[str, str] = field(default_factory=dict)


@dataclass
class NodeRecord:
    """A node execution; mutable so the controller can change it within a pass and save it."""

    node_id: str
    phase: str = "queued"
    inputs: dict[str, Json] | None = None
    outputs: dict[str, Json] | None = None
    error: dict[str, Json] | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    cache_hit: bool = False
    retry_count: int = 0

    @property
    def terminal(self) -> bool:
        return self.phase in TERMINAL_PHASES or self.phase == "skipped"


ATTEMPT_ACTIVE_PHASES = ("submitting", "running")  # an attempt's, as opposed to an execution's ACTIVE_PHASES


@dataclass
class AttemptRecord:
    node_id: str
    attempt: int
    phase: str = "submitting"  # submitting | running | succeeded | failed | timed_out | aborted
    provider: str = ""
    handle: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    error_kind: str | None = None
    message: str | None = None
    outputs_uri: str | None = None
    log_uri: str | None = None

    @property
    def active(self) -> bool:
        return self.phase in ATTEMPT_ACTIVE_PHASES


@dataclass(frozen=True)
class UncleanedAttempt:
    """An attempt that ended but whose provider cleanup (logs kept, Job or process removed) is not
    recorded: its controller was killed in between (the controller's recovery sweep finds these)."""

    execution_id: str
    project: str
    domain: str
    execution: str  # the execution's name, as in the provider's AttemptRef
    node_id: str
    attempt: int
    handle: str | None  # None: the handle was never recorded; the provider finds it by its ref
    finished_at: datetime
    id: int  # the row's: with ``finished_at``, the sweep's cursor (``SweepCursor``)


@dataclass(frozen=True)
class AccountedAttempt:
    """An attempt whose provider resource (a Kubernetes Job, a process) the registry accounts for:
    it is active, or it ended and its cleanup is not recorded yet (``attempts.cleaned_at``)."""

    project: str
    domain: str
    execution: str  # the execution's name, as in the provider's AttemptRef
    node_id: str
    attempt: int
    handle: str | None  # None: a controller was killed before it recorded the handle


@dataclass(frozen=True)
class StoredSpec:
    """A registered entity as the engine needs it."""

    name: str
    version: str
    spec: dict[str, Json]
    bundle_uri: str | None


@dataclass(frozen=True)
class ActiveSchedule:
    project: str
    domain: str
    name: str
    version: str
    spec: dict[str, Json]
    activated_at: datetime


@dataclass(frozen=True)
class OutboxRecord:
    id: int
    execution_id: str
    target: dict[str, Json]
    payload: dict[str, Json]
    attempts: int


@dataclass(frozen=True)
class ScheduleFire:
    fire_time: datetime
    execution_name: str | None  # None: skipped (skip_if_running)


def _execution(row: Any) -> ExecutionRecord:
    m = row._mapping
    return ExecutionRecord(**{f: m[f] for f in ExecutionRecord.__dataclass_fields__})


def _node(row: Any) -> NodeRecord:
    m = row._mapping
    return NodeRecord(**{f: m[f] for f in NodeRecord.__dataclass_fields__})


def _attempt(row: Any) -> AttemptRecord:
    m = row._mapping
    return AttemptRecord(**{f: m[f] for f in AttemptRecord.__dataclass_fields__})


def _node_values(execution_id: str, node: NodeRecord) -> dict[str, Any]:
    return {"execution_id": execution_id, **{f: getattr(node, f) for f in NodeRecord.__dataclass_fields__}}
