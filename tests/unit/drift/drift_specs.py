"""Literal desired states and the registry snapshots a clean apply of them leaves (drift tests)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flowctl._address import EntityKind
from flowctl.plans.drift import DriftReport
from flowctl.spec import (
    ActivationSpec,
    DesiredState,
    DomainSettingsSpec,
    InterfaceSpec,
    LaunchPlanSpec,
    ProjectSpec,
    RegistrationSpec,
    ResourcesSpec,
    ScheduleSpec,
    TaskSpec,
    WorkflowSpec,
)
from flowctl.state import ActivationRecord, ProjectRecord, RegistrySnapshot, StoredEntity

MANIFEST = "manifests"
APPLIED_AT = datetime(2026, 11, 23, 20, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 23, 20, 30, tzinfo=UTC)


def task(name: str = "etl.load", retries: int = 0) -> TaskSpec:
    return TaskSpec(name=name, interface=InterfaceSpec(), retries=retries)


def workflow(name: str = "etl.wf") -> WorkflowSpec:
    return WorkflowSpec(name=name, interface=InterfaceSpec(), nodes=(), tasks=("etl.load",))


def launch_plan(name: str = "nightly", cron: str | None = "0 * * * *") -> LaunchPlanSpec:
    schedule = ScheduleSpec(kind="cron", cron_expression=cron) if cron else None
    return LaunchPlanSpec(name=name, workflow="etl.wf", schedule=schedule)


def reg(
    spec: TaskSpec | WorkflowSpec | LaunchPlanSpec,
    domain: str = "development",
    version: str = "v1",
    project: str = "ml",
) -> RegistrationSpec:
    kind = {
        TaskSpec: EntityKind.TASK,
        WorkflowSpec: EntityKind.WORKFLOW,
        LaunchPlanSpec: EntityKind.LAUNCH_PLAN,
    }[type(spec)]
    return RegistrationSpec(
        project=project, domain=domain, kind=kind, name=spec.name, version=version, spec=spec
    )


def desired_state(project: str = "ml") -> DesiredState:
    """ml with two domains: a task, a workflow, a scheduled launch plan active in both, settings."""
    regs = []
    acts = []
    for domain in ("development", "production"):
        regs += [
            reg(task(), domain, project=project),
            reg(workflow(), domain, project=project),
            reg(launch_plan(), domain, project=project),
            reg(launch_plan("adhoc", None), domain, project=project),
        ]
        acts.append(ActivationSpec(project=project, domain=domain, name="nightly", version="v1"))
    return DesiredState(
        manifest_id=MANIFEST,
        projects=(
            ProjectSpec(name=project, description="ML pipelines", domains=("development", "production")),
        ),
        domain_settings=(
            DomainSettingsSpec(
                project=project,
                domain="production",
                requests=ResourcesSpec(cpu="1", mem="2Gi"),
                service_account="ml-runner",
            ),
        ),
        registrations=tuple(regs),
        activations=tuple(acts),
    )


def snapshot_after_apply(
    desired: DesiredState, *, applied_at: datetime = APPLIED_AT, serial: int = 7, lineage: str = "lineage-1"
) -> RegistrySnapshot:
    """What a clean apply of ``desired`` leaves in the registry (created just before ``applied_at``)."""
    created = applied_at - timedelta(seconds=5)
    entities = {}
    for r in desired.registrations:
        assert r.spec is not None and r.version is not None
        entity = StoredEntity(
            r.kind,
            r.project,
            r.domain,
            r.name,
            r.version,
            r.spec.digest(),
            r.spec.to_json(),
            created,
            "alice",
            desired.manifest_id,
        )
        entities[entity.key] = entity
    active = {
        (a.project, a.domain, a.name): ActivationRecord(
            a.project, a.domain, a.name, a.version or "", created, desired.manifest_id
        )
        for a in desired.activations
        if a.active
    }
    return RegistrySnapshot(
        lineage=lineage,
        serial=serial,
        projects={p.name: ProjectRecord(p, "active", desired.manifest_id) for p in desired.projects},
        domain_settings={(s.project, s.domain): s for s in desired.domain_settings},
        entities=entities,
        active_launch_plans=active,
    )


def hourly_fires(since: datetime, until: datetime) -> list[datetime]:
    """On-the-hour fire times in (since, until]."""
    moment = since.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    fires = []
    while moment <= until:
        fires.append(moment)
        moment += timedelta(hours=1)
    return fires


def sample_report() -> DriftReport:
    """A report with several kinds of findings, an accepted one, an expired acceptance, pending changes."""
    from datetime import date

    from flowctl.plans.drift import (
        Acceptance,
        AcceptedFinding,
        Finding,
        FindingKind,
        LastApply,
        PendingChange,
        PendingChanges,
    )

    findings = (
        Finding(
            FindingKind.ACTIVATION_CHANGED,
            "ml/production/launch_plan/nightly",
            {"active_version": "v1"},
            {"active_version": "v0"},
            "The active version was switched by hand to v0; `flowctl apply` switches it back.",
            "error",
            "ml",
            "production",
        ),
        Finding(
            FindingKind.REGISTERED_OUTSIDE_APPLY,
            "ml/development/task/etl.load@hotfix",
            None,
            {"created_by": "bob", "managed_by": "manual", "version": "hotfix"},
            "Registered by hand (managed_by manual) by bob at 2026-11-23 20:10 UTC; no apply declared it.",
            "warning",
            "ml",
            "development",
        ),
        Finding(
            FindingKind.DOMAIN_SETTINGS_CHANGED,
            "ml/production",
            {"requests.cpu": "1"},
            {"requests.cpu": "8"},
            "Settings of this project/domain were changed outside an apply; `flowctl apply` restores them.",
            "error",
            "ml",
            "production",
        ),
        Finding(
            FindingKind.PROJECT_CHANGED,
            "ml",
            {"description": "ML pipelines"},
            {"description": "<b>edited</b> | by hand"},
            "Project attributes were changed outside an apply; `flowctl apply` restores them.",
            "error",
            "ml",
        ),
        Finding(
            FindingKind.SCHEDULE_NOT_FIRED,
            "ml/development/launch_plan/nightly",
            {"last_fire": "2026-11-23T21:00:00+00:00", "missing_fires": 0},
            {"last_fire": None, "missing_fires": 1},
            "Schedule 0 * * * * (UTC) was due at 2026-11-23 21:00 UTC and did not fire. Is `flowctl controller` running?",
            "error",
            "ml",
            "development",
        ),
    )
    accepted = AcceptedFinding(
        Finding(
            FindingKind.ORPHANED_SCHEDULE,
            "web/staging/launch_plan/hourly",
            {"active_version": None},
            {"active_version": "v3", "schedule": "@hourly (UTC)"},
            "Version v3 is active and its schedule fires.",
            "error",
            "web",
            "staging",
        ),
        Acceptance(
            "web/staging", "load test until the migration ends", "carol@example.com", date(2026, 12, 31)
        ),
    )
    expired = Acceptance("ml/development/task/etl.load", "old hotfix", "dave@example.com", date(2026, 11, 1))
    pending = PendingChanges(
        available=True,
        summary="Plan: 1 to register, 0 to change, 0 to deactivate.",
        counts={"register": 1},
        changes=(
            PendingChange("ml/development/workflow/etl.wf@v2", "register", "register_because_new_version"),
        ),
    )
    report = DriftReport(
        generated_at=NOW,
        registry_lineage="lineage-1",
        registry_serial=9,
        last_apply=LastApply(7, APPLIED_AT, "alice", "apply", MANIFEST),
        managed_projects=("ml", "web"),
        accepted=(accepted,),
        expired_acceptances=(expired,),
        pending_changes=pending,
    )
    return report.with_findings(findings)
