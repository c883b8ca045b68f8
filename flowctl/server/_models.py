"""What crosses the HTTP boundary: pydantic models of every request and response.

Operations return these models; the API serialises them as JSON (and documents them in OpenAPI),
the console renders the same objects with Jinja2, so the two cannot disagree.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from flowctl.spec import Json


class Model(BaseModel):
    model_config = ConfigDict(frozen=True)


# ---------------------------------------------------------------- projects
class DomainOut(Model):
    name: str
    settings: dict[str, Any] | None = None


class ProjectOut(Model):
    name: str
    description: str
    labels: dict[str, str]
    state: str
    managed_by: str
    domains: list[DomainOut]


# ---------------------------------------------------------------- registered entities
class EntityVersionOut(Model):
    kind: str
    project: str
    domain: str
    name: str
    version: str
    digest: str
    created_at: datetime
    created_by: str
    managed_by: str
    active: bool | None = Field(None, description="Launch plans only: this version is the active one.")


class EntityOut(EntityVersionOut):
    spec: dict[str, Any]


class EntityNameOut(Model):
    kind: str
    name: str
    versions: int
    latest: EntityVersionOut
    active_version: str | None = None


class GraphNode(Model):
    id: str
    kind: str  # task | workflow | launch_plan | branch | map
    target: str
    label: str
    x: float
    y: float
    width: float
    height: float


class GraphEdge(Model):
    source: str
    target: str
    path: str  # SVG path data


class GraphOut(Model):
    """The workflow's DAG laid out left to right (SVG coordinates)."""

    nodes: list[GraphNode]
    edges: list[GraphEdge]
    width: float
    height: float


class SpecDiffOut(Model):
    from_version: str
    to_version: str
    changes: list[str]  # one readable line per changed field
    unified: list[str]  # unified diff of the canonical JSON specs


class WorkflowOut(Model):
    entity: EntityOut
    versions: list[EntityVersionOut]
    graph: GraphOut
    diff: SpecDiffOut | None = None


class FormField(Model):
    """One input of a launch form: typed, its default, locked when the launch plan fixes it."""

    name: str
    type: str
    kind: str  # bool | int | float | str | enum | json | ...
    required: bool
    value: str  # the default as the CLI would accept it ("" when none)
    fixed: bool
    choices: list[str] = []


class LaunchPlanOut(Model):
    entity: EntityOut
    versions: list[EntityVersionOut]
    workflow: str
    active_version: str | None
    fields: list[FormField]
    schedule: str | None = None


class ActivationOut(Model):
    project: str
    domain: str
    name: str
    version: str
    activated_at: datetime
    managed_by: str


class ScheduleOut(Model):
    project: str
    domain: str
    launch_plan: str
    version: str
    schedule: str
    next_fires: list[datetime]
    last_fire: datetime | None = None


class OverviewCell(Model):
    version: str
    registered_at: datetime
    registered_by: str
    versions: int
    promoted_from: str | None = None
    active: bool | None = None
    schedule: str | None = None
    next_fire: datetime | None = None
    last_execution: ExecutionOut | None = None


class OverviewRow(Model):
    kind: str
    name: str
    cells: dict[str, OverviewCell | None]  # domain -> what is there (None: nothing)


class OverviewOut(Model):
    project: ProjectOut
    domains: list[str]
    rows: list[OverviewRow]


# ---------------------------------------------------------------- executions
class ExecutionOut(Model):
    id: str
    project: str
    domain: str
    name: str
    phase: str
    launch_plan: str
    launch_plan_version: str
    workflow: str
    workflow_version: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    duration_seconds: float | None
    created_by: str
    labels: dict[str, str]
    parent_execution_id: str | None
    scheduled_at: datetime | None
    abort_requested: bool
    error: dict[str, Any] | None


class ExecutionPageOut(Model):
    items: list[ExecutionOut]
    next_cursor: str | None = Field(None, description="Pass as `cursor` for the next page; null on the last.")


class AttemptOut(Model):
    attempt: int
    phase: str
    provider: str
    started_at: datetime | None
    finished_at: datetime | None
    error_kind: str | None
    message: str | None


class MapProgress(Model):
    total: int
    succeeded: int
    failed: int
    running: int

    @property
    def text(self) -> str:
        return f"{self.succeeded} of {self.total} items succeeded"


class NodeOut(Model):
    id: str
    phase: str
    kind: str  # from the spec (task, map, ...); "item" for a map item, "" when unknown
    target: str = ""  # what the node runs (task, subworkflow or launch plan name), when known
    depth: int  # 0 for the workflow's own nodes, 1+ inside subworkflows
    cache_hit: bool
    recovered: bool
    retry_count: int
    started_at: datetime | None
    finished_at: datetime | None
    duration_seconds: float | None
    error: dict[str, Any] | None
    attempts: list[AttemptOut]
    map: MapProgress | None = None


class NodeDetailOut(NodeOut):
    inputs: dict[str, Json] | None
    outputs: dict[str, Json] | None


class ExecutionDetailOut(Model):
    execution: ExecutionOut
    inputs: dict[str, Json]
    outputs: dict[str, Json] | None
    nodes: list[NodeOut]
    graph: GraphOut | None = None


class LogsOut(Model):
    node: str
    attempt: int
    phase: str
    text: str


class ExecutionEvent(Model):
    """What the live stream sends whenever an execution changes."""

    phase: str
    terminal: bool
    nodes: dict[str, str]  # node id -> phase
    attempts: int
    finished_at: datetime | None


class LaunchRequest(Model):
    """``inputs`` are typed JSON values; ``inputs_text`` are command-line text (as `--input NAME=VALUE`)."""

    inputs: dict[str, Json] = {}
    inputs_text: dict[str, str] = {}
    version: str | None = None
    name: str | None = None
    overwrite_cache: bool = False


class ActivateRequest(Model):
    version: str


# ---------------------------------------------------------------- history, drift, server
class ApplyOut(Model):
    serial: int
    lineage: str
    applied_at: datetime
    user: str
    host: str
    ci_run_url: str | None
    operation: str
    summary: str


class ApplyDetailOut(ApplyOut):
    plan: dict[str, Any]
    plan_text: str


class DriftOut(Model):
    drift: bool
    summary: str
    report: dict[str, Any]  # the `flowctl drift --format json` document


class ServerInfo(Model):
    version: str
    registry: str
    blob_store: str
    controller: bool
    actor: str
    auth: str = "off"  # how callers are identified: off (loopback only), API tokens, OIDC
    roles: list[str] = []  # the caller's role bindings, ROLE@PLACE


class AuditEntryOut(Model):
    at: datetime
    identity: str
    identity_kind: str
    action: str
    operation: str
    address: str
    client: str
    detail: str


class Problem(Model):
    """An RFC 9457 problem document (``application/problem+json``)."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str = ""
    instance: str = ""
    code: str = ""
    where: str = ""
    fix: str = ""
    errors: list[dict[str, str]] = []
    # a 403: who was refused which action where, and the least role that would allow it
    identity: str | None = None
    action: str | None = None
    address: str | None = None
    required_role: str | None = None
    holder: str | None = None  # a 403 for a registry lock another identity took: who holds it
