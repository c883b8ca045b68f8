"""Read operations: projects, registered entities, the overview matrix, schedules, history, drift."""

from __future__ import annotations

import difflib
import json
from collections import defaultdict
from datetime import UTC, datetime

from flowctl._address import EntityKind
from flowctl._errors import NotFoundError
from flowctl.server._graph import layout
from flowctl.server._models import (
    ActivationOut,
    ApplyDetailOut,
    ApplyOut,
    DriftOut,
    EntityNameOut,
    EntityOut,
    EntityVersionOut,
    LaunchPlanOut,
    OverviewCell,
    OverviewOut,
    OverviewRow,
    ProjectOut,
    ScheduleOut,
    ServerInfo,
    SpecDiffOut,
    WorkflowOut,
)
from flowctl.server._operations import Call, operation
from flowctl.server._services import Services
from flowctl.server._views import entity_out, execution_out, form_field, project_out, version_out
from flowctl.spec import DesiredState, LaunchPlanSpec, ScheduleSpec, WorkflowSpec
from flowctl.state import ActivationRecord, ApplyRecord, ProjectRecord, StoredEntity
from flowctl.state._queries import RegistryQueries

NEXT_FIRES = 3
KINDS = {"tasks": EntityKind.TASK, "workflows": EntityKind.WORKFLOW, "launch_plans": EntityKind.LAUNCH_PLAN}


def registry_reads(s: Services) -> RegistryQueries:
    return RegistryQueries(s.registry.engine, s.registry.url)


@operation("server.info")
def server_info(s: Services, call: Call) -> ServerInfo:
    """What this server serves and who the caller is."""
    from importlib.metadata import version

    return ServerInfo(version=version("flowctl"), registry=s.registry.url, blob_store=s.config.blob_store_url,
                      controller=s.controller, actor=call.actor.label, auth=s.auth_mode,
                      roles=[f"{b.role}@{b.scope}" for b in call.actor.bindings])


# ---------------------------------------------------------------- projects
@operation("project.list")
def list_projects(s: Services, call: Call) -> list[ProjectOut]:
    """Every project with its domains and their settings."""
    reads = registry_reads(s)
    return [_visible_domains(call, project_out(r, reads.domain_settings(r.spec.name)))
            for r in reads.projects() if call.sees(r.spec.name)]


def _visible_domains(call: Call, project: ProjectOut) -> ProjectOut:
    """The project with only the domains the caller may read."""
    return project.model_copy(update={"domains": [d for d in project.domains if call.sees(project.name, d.name)]})


@operation("project.read")
def read_project(s: Services, call: Call) -> ProjectOut:
    """One project with its domains and their settings."""
    project = _project(s, call)
    return _visible_domains(call, project_out(project, registry_reads(s).domain_settings(project.spec.name)))


def _project(s: Services, call: Call) -> ProjectRecord:
    for record in registry_reads(s).projects():
        if record.spec.name == call.scope.project:
            if call.scope.domain is not None and call.scope.domain not in record.spec.domains:
                raise NotFoundError(
                    f"Project `{call.scope.project}` has no domain `{call.scope.domain}`",
                    address=str(call.scope), detail=f"Its domains: {', '.join(record.spec.domains)}.")
            return record
    raise NotFoundError(f"No project `{call.scope.project}`", address=str(call.scope),
                        detail="List the projects with GET /api/v1/projects (or `flowctl get projects`).")


# ---------------------------------------------------------------- entities
@operation("entity.list")
def list_entities(s: Services, call: Call, *, kind: str) -> list[EntityNameOut]:
    """Registered names of one kind in a project/domain, each with its newest version."""
    entities = s.registry.list_entities(_kind(kind), call.scope.project, call.scope.domain)
    active = _active(s, call)
    by_name: dict[str, list[StoredEntity]] = defaultdict(list)
    for entity in entities:
        by_name[entity.name].append(entity)
    return [
        EntityNameOut(kind=versions[-1].kind.value, name=name, versions=len(versions),
                      latest=version_out(versions[-1], active.get(name)), active_version=active.get(name))
        for name, versions in sorted(by_name.items())
    ]


@operation("entity.versions")
def entity_versions(s: Services, call: Call, *, kind: str, name: str) -> list[EntityVersionOut]:
    """Every version of one task, workflow or launch plan, newest first."""
    return _versions(s, call, _kind(kind), name)


@operation("entity.read")
def read_entity(s: Services, call: Call, *, kind: str, name: str, version: str) -> EntityOut:
    """One version with its spec."""
    return entity_out(_entity(s, call, _kind(kind), name, version), _active(s, call).get(name))


@operation("workflow.read")
def read_workflow(s: Services, call: Call, *, name: str, version: str | None = None,
                  diff_from: str | None = None) -> WorkflowOut:
    """A workflow version (default: the newest) with its versions, its DAG and optionally a spec diff."""
    versions = _versions(s, call, EntityKind.WORKFLOW, name)
    entity = _entity(s, call, EntityKind.WORKFLOW, name, version or versions[0].version)
    spec = WorkflowSpec.model_validate(entity.spec)
    key = (entity.project, entity.domain, entity.name, entity.version)
    graph = s.graph(key, lambda: layout(spec))
    diff = _diff(_entity(s, call, EntityKind.WORKFLOW, name, diff_from), entity) if diff_from else None
    return WorkflowOut(entity=entity_out(entity), versions=versions, graph=graph, diff=diff)


@operation("launch_plan.read")
def read_launch_plan(s: Services, call: Call, *, name: str, version: str | None = None) -> LaunchPlanOut:
    """A launch plan version (default: the active one, else the newest) and its launch form fields."""
    from flowctl.plans._forecast import describe_schedule

    versions = _versions(s, call, EntityKind.LAUNCH_PLAN, name)
    active = _active(s, call).get(name)
    entity = _entity(s, call, EntityKind.LAUNCH_PLAN, name, version or active or versions[0].version)
    spec = LaunchPlanSpec.model_validate(entity.spec)
    workflow = WorkflowSpec.model_validate(
        _entity(s, call, EntityKind.WORKFLOW, spec.workflow, entity.version).spec)
    return LaunchPlanOut(
        entity=entity_out(entity, active), versions=versions, workflow=spec.workflow, active_version=active,
        fields=[form_field(i, spec) for i in workflow.interface.inputs],
        schedule=describe_schedule(spec.schedule.to_json()) if spec.schedule else None,
    )


def _kind(kind: str) -> EntityKind:
    if kind in KINDS:
        return KINDS[kind]
    raise NotFoundError(f"Unknown kind `{kind}`", detail=f"Use one of: {', '.join(KINDS)}.")


def _active(s: Services, call: Call) -> dict[str, str]:
    return {a.name: a.version for a in registry_reads(s).activations(call.scope.project, call.scope.domain)}


def _versions(s: Services, call: Call, kind: EntityKind, name: str) -> list[EntityVersionOut]:
    found = s.registry.list_entities(kind, call.scope.project, call.scope.domain, name)
    if not found:
        raise NotFoundError(f"No {kind.value.replace('_', ' ')} `{name}` in {call.scope}",
                            address=f"{call.scope}/{kind.value}/{name}",
                            detail="Check the name, or register it with `flowctl apply`.")
    active = _active(s, call).get(name)
    return [version_out(e, active) for e in reversed(found)]


def _entity(s: Services, call: Call, kind: EntityKind, name: str, version: str) -> StoredEntity:
    entity = s.registry.get_entity(kind, call.scope.project or "", call.scope.domain or "", name, version)
    if entity is None:
        raise NotFoundError(f"No version `{version}` of {kind.value.replace('_', ' ')} `{name}` in {call.scope}",
                            address=f"{call.scope}/{kind.value}/{name}@{version}",
                            detail="List its versions with GET .../versions (or `flowctl get`).")
    return entity


def _diff(old: StoredEntity, new: StoredEntity) -> SpecDiffOut:
    from flowctl.state._diff import spec_diff

    def lines(entity: StoredEntity) -> list[str]:
        return json.dumps(entity.spec, indent=2, sort_keys=True).splitlines()

    unified = list(difflib.unified_diff(lines(old), lines(new), f"{old.name}@{old.version}",
                                        f"{new.name}@{new.version}", lineterm="", n=3))
    changes = spec_diff(old.spec, new.spec, label=f"workflow {new.name}") if old.digest != new.digest else []
    return SpecDiffOut(from_version=old.version, to_version=new.version, changes=changes, unified=unified)


# ---------------------------------------------------------------- overview, activations, schedules
@operation("project.overview")
def overview(s: Services, call: Call) -> OverviewOut:
    """Domains x workflows/launch plans: what is active where, since when, from where, next fires."""
    project = read_project(s, call)
    domains = [d.name for d in project.domains]
    entities = s.registry.list_entities(None, project.name)
    activations = {(a.domain, a.name): a for a in registry_reads(s).activations(project.name)}
    promoted = _promoted_from(s, project.name)
    grouped: dict[tuple[str, str], dict[str, list[StoredEntity]]] = defaultdict(lambda: defaultdict(list))
    for entity in entities:
        if entity.kind is not EntityKind.TASK and entity.domain in domains:  # only the domains the caller sees
            grouped[(entity.kind.value, entity.name)][entity.domain].append(entity)
    now = datetime.now(UTC)
    rows = [
        OverviewRow(kind=kind, name=name, cells={
            d: _cell(s, versions[d], activations.get((d, name)) if kind == "launch_plan" else None,
                     promoted.get((d, kind, name)), now) if versions.get(d) else None
            for d in domains
        })
        for (kind, name), versions in sorted(grouped.items(), key=lambda item: (item[0][0] != "workflow", item[0]))
    ]
    return OverviewOut(project=project, domains=domains, rows=rows)


def _cell(s: Services, versions: list[StoredEntity], activation: ActivationRecord | None, promoted_from: str | None,
          now: datetime) -> OverviewCell:
    from flowctl.plans._forecast import describe_schedule

    version = activation.version if activation else None
    shown = next((e for e in versions if e.version == version), versions[-1])
    schedule = shown.spec.get("schedule") if shown.kind is EntityKind.LAUNCH_PLAN else None
    next_fire = None
    if isinstance(schedule, dict) and activation is not None:
        next_fire = _next_fires(ScheduleSpec.model_validate(schedule), now, activation.activated_at, 1)[0]
    last = (s.queries.last_execution(shown.project, shown.domain, shown.name)
            if shown.kind is EntityKind.LAUNCH_PLAN else None)
    return OverviewCell(
        version=shown.version, registered_at=shown.created_at, registered_by=shown.created_by, versions=len(versions),
        promoted_from=promoted_from, active=(activation is not None) if shown.kind is EntityKind.LAUNCH_PLAN else None,
        schedule=describe_schedule(schedule) if isinstance(schedule, dict) else None, next_fire=next_fire,
        last_execution=execution_out(last) if last else None,
    )


def _promoted_from(s: Services, project: str) -> dict[tuple[str, str, str], str]:
    """(domain, kind, name) -> the domain the last applies promoted it from."""
    from flowctl.plans.drift._gather import HISTORY_DEPTH, select_baseline

    desired: DesiredState | None = select_baseline(s.registry.apply_history(HISTORY_DEPTH)).desired
    if desired is None:
        return {}
    found = {(r.domain, r.kind.value, r.name): r.promoted_from for r in desired.registrations
             if r.project == project and r.promoted_from}
    found.update({(a.domain, "launch_plan", a.name): a.promoted_from for a in desired.activations
                  if a.project == project and a.promoted_from})
    return {k: v for k, v in found.items() if v}


def _next_fires(schedule: ScheduleSpec, now: datetime, anchor: datetime, count: int) -> list[datetime]:
    from flowctl.engine._scheduler import next_after

    fires, current = [], now
    for _ in range(count):
        current = next_after(schedule, current, anchor)
        fires.append(current)
    return fires


@operation("activation.list")
def list_activations(s: Services, call: Call) -> list[ActivationOut]:
    """Active launch plan versions in a project (and domain)."""
    return [ActivationOut(**a.__dict__) for a in registry_reads(s).activations(call.scope.project, call.scope.domain)
            if call.sees(a.project, a.domain)]


@operation("schedule.list")
def list_schedules(s: Services, call: Call) -> list[ScheduleOut]:
    """Active schedules with their next fire times and the last recorded fire."""
    from flowctl.plans._forecast import describe_schedule

    now = datetime.now(UTC)
    last = s.queries.last_fires(call.scope.project)
    found = []
    for active in s.executions.active_schedules():
        if (call.scope.project not in (None, active.project) or call.scope.domain not in (None, active.domain)
                or not call.sees(active.project, active.domain)):
            continue
        schedule = ScheduleSpec.model_validate(active.spec["schedule"])
        found.append(ScheduleOut(
            project=active.project, domain=active.domain, launch_plan=active.name, version=active.version,
            schedule=describe_schedule(schedule.to_json()), next_fires=_next_fires(schedule, now, active.activated_at,
                                                                                   NEXT_FIRES),
            last_fire=last.get((active.project, active.domain, active.name)),
        ))
    return sorted(found, key=lambda x: (x.project, x.domain, x.launch_plan))


# ---------------------------------------------------------------- history and drift
def apply_out(record: ApplyRecord) -> ApplyOut:
    return ApplyOut(serial=record.serial, lineage=record.lineage, applied_at=record.applied_at, user=record.user,
                    host=record.host, ci_run_url=record.ci_run_url, operation=record.operation, summary=record.summary)


@operation("apply.list")
def list_applies(s: Services, call: Call, *, limit: int = 50) -> list[ApplyOut]:
    """The apply history, newest first: who applied what, when, from where."""
    return [apply_out(r) for r in s.registry.apply_history(limit=max(1, min(limit, 500)))]


@operation("apply.read")
def read_apply(s: Services, call: Call, *, serial: int) -> ApplyDetailOut:
    """One apply with its plan (the `flowctl plan --json` document) and the plan as text."""
    from flowctl.plans import render_plan_text

    record = registry_reads(s).apply(serial)
    if record is None:
        raise NotFoundError(f"No apply with serial {serial}", address=f"apply/{serial}",
                            detail="List the history with GET /api/v1/applies.")
    try:
        text = render_plan_text(record.plan)
    except (KeyError, TypeError, ValueError):
        text = json.dumps(record.plan, indent=2)
    return ApplyDetailOut(**apply_out(record).model_dump(), plan=record.plan, plan_text=text)


@operation("drift.read")
def read_drift(s: Services, call: Call) -> DriftOut:
    """The drift report of `flowctl drift` (registry, schedules, and the cluster with kubernetes)."""
    from flowctl.plans.drift._gather import build_report

    cluster = None
    if (s.config.get("provider.name") or "local") == "kubernetes":
        from flowctl.plans.drift._kube import cluster_reader_from_config

        cluster = cluster_reader_from_config(s.config, s.config.registry_url)
    report = build_report(s.registry, now=datetime.now(UTC),
                          fire_reader=lambda p, d, n: [f.fire_time for f in s.executions.fires(p, d, n)],
                          cluster_reader=cluster)
    return DriftOut(drift=report.has_drift, summary=report.summary_line(), report=report.to_json())
