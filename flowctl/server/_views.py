"""Records of the store -> the response models (no reads here: pure conversions)."""

from __future__ import annotations

import json
from datetime import datetime

from flowctl.server._models import (
    AttemptOut,
    EntityOut,
    EntityVersionOut,
    ExecutionOut,
    FormField,
    MapProgress,
    NodeOut,
    ProjectOut,
)
from flowctl.spec import DomainSettingsSpec, InputSpec, Json, LaunchPlanSpec
from flowctl.state import ProjectRecord, StoredEntity
from flowctl.state._executions import AttemptRecord, ExecutionRecord, NodeRecord

_TEXT_KINDS = frozenset({"str", "datetime", "date", "timedelta", "file", "directory", "bytes"})
_FORM_KINDS = {"bool": "bool", "int": "int", "float": "float", "enum": "enum"}


def seconds(start: datetime | None, end: datetime | None) -> float | None:
    return round((end - start).total_seconds(), 3) if start and end else None


def project_out(record: ProjectRecord, settings: dict[str, DomainSettingsSpec]) -> ProjectOut:
    from flowctl.server._models import DomainOut

    spec = record.spec
    return ProjectOut(
        name=spec.name, description=spec.description, labels=dict(spec.labels), state=record.state,
        managed_by=record.managed_by,
        domains=[DomainOut(name=d, settings=settings[d].to_json() if d in settings else None) for d in spec.domains],
    )


def version_out(entity: StoredEntity, active: str | None = None) -> EntityVersionOut:
    return EntityVersionOut(
        kind=entity.kind.value, project=entity.project, domain=entity.domain, name=entity.name,
        version=entity.version, digest=entity.digest, created_at=entity.created_at, created_by=entity.created_by,
        managed_by=entity.managed_by,
        active=(entity.version == active) if entity.kind.value == "launch_plan" else None,
    )


def entity_out(entity: StoredEntity, active: str | None = None) -> EntityOut:
    return EntityOut(**version_out(entity, active).model_dump(), spec=entity.spec)


def execution_out(x: ExecutionRecord) -> ExecutionOut:
    return ExecutionOut(
        id=x.id, project=x.project, domain=x.domain, name=x.name, phase=x.phase, launch_plan=x.launch_plan_name,
        launch_plan_version=x.launch_plan_version, workflow=x.workflow_name, workflow_version=x.workflow_version,
        created_at=x.created_at, started_at=x.started_at, finished_at=x.finished_at,
        duration_seconds=seconds(x.started_at, x.finished_at), created_by=x.created_by, labels=dict(x.labels),
        parent_execution_id=x.parent_execution_id, scheduled_at=x.scheduled_at, abort_requested=x.abort_requested,
        error=x.error,
    )


def attempt_out(a: AttemptRecord) -> AttemptOut:
    return AttemptOut(attempt=a.attempt, phase=a.phase, provider=a.provider, started_at=a.started_at,
                      finished_at=a.finished_at, error_kind=a.error_kind, message=a.message)


def node_out(node: NodeRecord, attempts: list[AttemptRecord], *, kind: str, target: str, created_at: datetime,
             map_progress: MapProgress | None = None) -> NodeOut:
    """As ``flowctl executions get`` shows a node; ``recovered``: copied from an earlier execution."""
    return NodeOut(
        id=node.node_id, phase=node.phase, kind=kind, target=target, depth=node.node_id.count("/"), cache_hit=node.cache_hit,
        recovered=node.started_at is not None and node.started_at < created_at, retry_count=node.retry_count,
        started_at=node.started_at, finished_at=node.finished_at,
        duration_seconds=seconds(node.started_at, node.finished_at),
        error=node.error if node.error and node.phase != "succeeded" else None,
        attempts=[attempt_out(a) for a in attempts], map=map_progress,
    )


def map_progress(item_phases: list[str], total: int) -> MapProgress:
    return MapProgress(
        total=max(total, len(item_phases)), succeeded=item_phases.count("succeeded"),
        failed=sum(p in ("failed", "timed_out", "aborted") for p in item_phases),
        running=sum(p in ("running", "queued") for p in item_phases),
    )


def form_field(spec: InputSpec, launch_plan: LaunchPlanSpec) -> FormField:
    """A launch form field; its value is text exactly as `flowctl launch --input NAME=VALUE` takes it."""
    kind = spec.type.kind
    fixed = spec.name in launch_plan.fixed_inputs
    value: Json = None
    has_value = True
    if fixed:
        value = launch_plan.fixed_inputs[spec.name]
    elif spec.name in launch_plan.default_inputs:
        value = launch_plan.default_inputs[spec.name]
    elif spec.has_default:
        value = spec.default
    else:
        has_value = False
    return FormField(
        name=spec.name, type=str(spec.type), kind="text" if kind in _TEXT_KINDS else _FORM_KINDS.get(kind, "json"),
        required=not has_value, value=as_text(value, kind) if has_value else "", fixed=fixed,
        choices=list(spec.type.values) if kind == "enum" else [],
    )


def as_text(value: Json, kind: str) -> str:
    if kind in _TEXT_KINDS | {"enum"} and isinstance(value, str):
        return value
    if value is None:
        return "" if kind in _TEXT_KINDS else "null"
    return json.dumps(value)
