"""Drift detection (pure): the world against what the last apply left.

``detect_drift`` takes the desired state recorded by the last apply, a registry snapshot, the
recorded schedule fires and optionally a :class:`ClusterView`, and returns a :class:`DriftReport`.
No database, no cluster, no clock: the CLI reads everything before and passes ``now``.

Only what flowctl manages is judged: projects that an apply declared (``managed_projects``).
A manifest change that is not applied yet is not drift; ``pending_changes`` is filled by the CLI
from ``compute_plan``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flowctl._address import Address, EntityKind
from flowctl._structdiff import SPEC_UNORDERED, structural_diff
from flowctl.plans.drift._cluster import ClusterView, cluster_findings
from flowctl.plans.drift._model import DriftReport, Finding, FindingKind, LastApply
from flowctl.plans.drift._schedules import as_utc, missed_fire
from flowctl.spec import (
    ActivationSpec,
    DesiredState,
    DomainSettingsSpec,
    RegistrationSpec,
    ScheduleSpec,
    digest_of,
)
from flowctl.spec._locations import strip_locations
from flowctl.state._interface import (
    AD_HOC,
    MANUAL,
    ActivationRecord,
    LaunchPlanKey,
    RegistrySnapshot,
    StoredEntity,
)

DEFAULT_GRACE = timedelta(minutes=5)


@dataclass(frozen=True)
class _Baseline:
    desired: DesiredState
    applied_at: datetime | None
    managed: frozenset[str]
    manifests: frozenset[str]  # manifest ids that applies recorded (``managed_by`` of their writes)

    def in_scope(self, project: str) -> bool:
        return project in self.managed


def detect_drift(
    last_applied: DesiredState | None,
    snapshot: RegistrySnapshot,
    *,
    managed_projects: Collection[str],
    now: datetime,
    last_apply: LastApply | None = None,
    schedule_fires: Mapping[LaunchPlanKey, Sequence[datetime]] | None = None,
    cluster: ClusterView | None = None,
    grace: timedelta = DEFAULT_GRACE,
    known_manifests: Collection[str] = (),
) -> DriftReport:
    """Classify every difference between ``snapshot`` (and ``cluster``) and ``last_applied``.

    Args:
        last_applied: the desired state the last apply recorded; None when nothing was applied.
        snapshot: the registry now.
        managed_projects: the projects whose objects are judged.
        now: the clock, for schedules that should have fired.
        last_apply: the history entry (serial, time) ``last_applied`` comes from.
        schedule_fires: recorded fire times per (project, domain, launch plan); None skips the
            missed-schedule check (the scheduler's table is not available).
        cluster: the kubernetes view; None when the provider is not kubernetes.
        grace: how late a fire may be before it counts as missed.
        known_manifests: manifest ids of earlier applies (besides ``last_applied.manifest_id``);
            a non-manual entity managed by another id was registered outside an apply.
    """
    desired = last_applied or DesiredState(manifest_id="")
    manifests = frozenset({desired.manifest_id, *known_manifests} - {""})
    base = _Baseline(
        desired, last_apply.applied_at if last_apply else None, frozenset(managed_projects), manifests
    )
    findings: list[Finding] = [
        *_entity_findings(base, snapshot),
        *_activation_findings(base, snapshot),
        *_project_findings(base, snapshot),
        *_domain_settings_findings(base, snapshot),
    ]
    if schedule_fires is not None:
        findings.extend(_schedule_findings(base, snapshot, schedule_fires, now=now, grace=grace))
    if cluster is not None:
        findings.extend(f for f in cluster_findings(cluster) if base.in_scope(f.project))
    report = DriftReport(
        generated_at=now,
        registry_lineage=snapshot.lineage,
        registry_serial=snapshot.serial,
        last_apply=last_apply,
        managed_projects=tuple(sorted(base.managed)),
        cluster_checked=cluster is not None,
        notes=() if schedule_fires is not None else ("Schedule fires were not checked.",),
    )
    return report.with_findings(tuple(findings))


# ---------------------------------------------------------------- entities
def _entity_findings(base: _Baseline, snapshot: RegistrySnapshot) -> Iterator[Finding]:
    # Promoted registrations without a version resolve to what the source domain had; apply
    # registered them under its manifest id, which ``_registered_outside`` accepts.
    exact: dict[tuple[EntityKind, str, str, str, str], RegistrationSpec] = {
        (reg.kind, reg.project, reg.domain, reg.name, reg.version): reg
        for reg in base.desired.registrations
        if reg.version is not None and base.in_scope(reg.project)
    }
    for key, entity in sorted(snapshot.entities.items(), key=lambda item: (item[0][0].value, *item[0][1:])):
        if not base.in_scope(entity.project):
            continue
        applied = exact.get(key)
        if applied is not None:
            yield from _changed_entity(applied, entity)
        elif _registered_outside(base, entity):
            yield _outside_finding(entity)
    for key, reg in sorted(exact.items(), key=lambda item: (item[0][0].value, *item[0][1:])):
        if key not in snapshot.entities:
            yield Finding(
                FindingKind.ENTITY_MISSING,
                str(reg.address),
                before={"version": reg.version},
                after=None,
                detail="The last apply registered this version; it is no longer in the registry "
                "(deleted outside flowctl).",
                severity="error",
                project=reg.project,
                domain=reg.domain,
            )


def _registered_outside(base: _Baseline, entity: StoredEntity) -> bool:
    """Registered by hand, or under a manifest id that no apply ever recorded (an edited row).

    A version an earlier apply registered (and the baseline no longer declares) is not drift:
    versions are never deleted, and apply records its manifest id as ``managed_by``. Neither is an
    ad-hoc registration (``flowctl run --remote``): no manifest declares it, so nothing differs.
    """
    if entity.managed_by == AD_HOC:
        return False
    return entity.managed_by == MANUAL or entity.managed_by not in base.manifests


def _outside_finding(entity: StoredEntity) -> Finding:
    address = Address.entity(entity.kind, entity.project, entity.domain, entity.name, entity.version)
    by = (
        "by hand (managed_by manual)"
        if entity.managed_by == MANUAL
        else f"as `{entity.managed_by}`, a manifest no apply recorded,"
    )
    return Finding(
        FindingKind.REGISTERED_OUTSIDE_APPLY,
        str(address),
        before=None,
        after={
            "version": entity.version,
            "digest": entity.digest,
            "created_by": entity.created_by,
            "created_at": as_utc(entity.created_at).isoformat(),
            "managed_by": entity.managed_by,
        },
        detail=f"Registered {by} by {entity.created_by} at {as_utc(entity.created_at):%Y-%m-%d %H:%M} UTC; "
        "no apply declared it.",
        severity="warning",
        project=entity.project,
        domain=entity.domain,
    )


def _changed_entity(reg: RegistrationSpec, entity: StoredEntity) -> Iterator[Finding]:
    if reg.spec is None:
        return
    want = strip_locations(reg.spec.to_json())
    have = strip_locations(entity.spec)
    if digest_of(want) == digest_of(have):
        return
    before, after = diff_fields(want, have)
    yield Finding(
        FindingKind.ENTITY_CHANGED,
        str(reg.address),
        before=before,
        after=after,
        detail="The stored spec of this immutable version differs from what the last apply "
        "registered: the registry was edited outside flowctl. Restore it from a backup or "
        "register a new version.",
        severity="error",
        project=reg.project,
        domain=reg.domain,
    )


# ---------------------------------------------------------------- activations and schedules
def _lp_schedule(snapshot: RegistrySnapshot, key: LaunchPlanKey, version: str) -> ScheduleSpec | None:
    entity = snapshot.entities.get((EntityKind.LAUNCH_PLAN, *key, version))
    if entity is None or not isinstance(entity.spec.get("schedule"), dict):
        return None
    try:
        return ScheduleSpec.model_validate(entity.spec["schedule"])
    except ValueError:
        return None


def _activation_findings(base: _Baseline, snapshot: RegistrySnapshot) -> Iterator[Finding]:
    desired: dict[LaunchPlanKey, ActivationSpec] = {
        (a.project, a.domain, a.name): a for a in base.desired.activations if base.in_scope(a.project)
    }
    for key, act in sorted(desired.items()):
        finding = _activation_finding(key, act, snapshot)
        if finding is not None:
            yield finding
    for key, live in sorted(snapshot.active_launch_plans.items()):
        if key in desired or not base.in_scope(key[0]):
            continue
        address = str(Address.entity(EntityKind.LAUNCH_PLAN, *key))
        schedule = _lp_schedule(snapshot, key, live.version)
        kind = FindingKind.ORPHANED_SCHEDULE if schedule is not None else FindingKind.ACTIVATION_CHANGED
        detail = (
            f"Version {live.version} is active and its schedule fires, but no apply activated it ({_who(live)})."
            if schedule is not None
            else f"Version {live.version} was activated outside an apply ({_who(live)})."
        )
        yield Finding(
            kind,
            address,
            before={"active_version": None, "schedule": None},
            after={"active_version": live.version, "schedule": _schedule_text(schedule)},
            detail=detail,
            severity="error",
            project=key[0],
            domain=key[1],
        )


def _activation_finding(
    key: LaunchPlanKey, act: ActivationSpec, snapshot: RegistrySnapshot
) -> Finding | None:
    live = snapshot.active_launch_plans.get(key)
    live_version = live.version if live else None
    if act.active and act.version is None:  # promoted: any version an apply activated
        if live is not None and live.managed_by != MANUAL:
            return None
        # what the source domain runs: the version an apply would have left active here
        source = snapshot.active_launch_plans.get((act.project, act.promoted_from or "", act.name))
        expected: str | None = source.version if source is not None else None
    else:
        expected = act.version if act.active else None
        if live_version == expected:
            return None
    if live is None:
        detail = "Deactivated outside an apply: its schedule no longer fires."
    elif act.active and act.version is None:
        runs = f", which runs {expected}" if expected else ""
        detail = (f"Version {live.version} was activated by hand ({_who(live)}); the last apply had it follow "
                  f"{act.promoted_from}{runs}.")
    elif expected is None:
        detail = f"Version {live.version} was activated outside an apply ({_who(live)}); the last apply left it inactive."
    else:
        detail = f"The active version was switched by hand from {expected} to {live.version} ({_who(live)})."
    return Finding(
        FindingKind.ACTIVATION_CHANGED,
        str(Address.entity(EntityKind.LAUNCH_PLAN, *key)),
        before={"active_version": expected},
        after={"active_version": live_version},
        detail=detail,
        severity="error",
        project=key[0],
        domain=key[1],
    )


def _who(live: ActivationRecord) -> str:
    """``by bob at 2026-03-27 10:32 UTC`` from the activation record (who is empty before schema 0002)."""
    by = f"by {live.activated_by} " if live.activated_by else ""
    return f"{by}at {as_utc(live.activated_at):%Y-%m-%d %H:%M} UTC, managed_by {live.managed_by}"


def _schedule_findings(
    base: _Baseline,
    snapshot: RegistrySnapshot,
    fires: Mapping[LaunchPlanKey, Sequence[datetime]],
    *,
    now: datetime,
    grace: timedelta,
) -> Iterator[Finding]:
    for key, live in sorted(snapshot.active_launch_plans.items()):
        schedule = _lp_schedule(snapshot, key, live.version) if base.in_scope(key[0]) else None
        if schedule is None:
            continue
        since = as_utc(live.activated_at)
        if base.applied_at is not None:
            since = max(since, as_utc(base.applied_at))
        missed = missed_fire(schedule, since=since, now=now, fires=fires.get(key, ()), grace=grace)
        if missed is None:
            continue
        last = (
            f"the last recorded fire was {missed.last_fire:%Y-%m-%d %H:%M} UTC"
            if missed.last_fire
            else "no fire was ever recorded"
        )
        yield Finding(
            FindingKind.SCHEDULE_NOT_FIRED,
            str(Address.entity(EntityKind.LAUNCH_PLAN, *key)),
            before={"last_fire": missed.expected.isoformat(), "missing_fires": 0},
            after={
                "last_fire": missed.last_fire.isoformat() if missed.last_fire else None,
                "missing_fires": missed.missing,
            },
            detail=f"Schedule {_schedule_text(schedule)} was due at {missed.expected:%Y-%m-%d %H:%M} UTC and did "
            f"not fire ({missed.missing} due fire(s) missing since {since:%Y-%m-%d %H:%M} UTC; {last}). "
            "Is `flowctl controller` running?",
            severity="error",
            project=key[0],
            domain=key[1],
        )


def _schedule_text(schedule: ScheduleSpec | None) -> str | None:
    if schedule is None:
        return None
    if schedule.kind == "rate":
        return f"every {schedule.rate_seconds}s"
    return f"{schedule.cron_expression} ({schedule.timezone})"


# ---------------------------------------------------------------- projects and settings
def _project_findings(base: _Baseline, snapshot: RegistrySnapshot) -> Iterator[Finding]:
    for spec in sorted(base.desired.projects, key=lambda p: p.name):
        if not base.in_scope(spec.name):
            continue
        record = snapshot.projects.get(spec.name)
        want = {**strip_locations(spec.to_json()), "state": "active"}
        if record is None:
            before: Any = want
            after: Any = None
            detail = "The project is gone from the registry."
        else:
            before, after = diff_fields(want, {**strip_locations(record.spec.to_json()), "state": record.state})
            if not before and not after:
                continue
            detail = "Project attributes were changed outside an apply."
        yield Finding(FindingKind.PROJECT_CHANGED, spec.name, before, after, detail, "error", spec.name)


def _domain_settings_findings(base: _Baseline, snapshot: RegistrySnapshot) -> Iterator[Finding]:
    desired = {(s.project, s.domain): s for s in base.desired.domain_settings if base.in_scope(s.project)}
    keys = set(desired) | {k for k in snapshot.domain_settings if base.in_scope(k[0])}
    for project, domain in sorted(keys):
        want_spec = desired.get((project, domain)) or DomainSettingsSpec(project=project, domain=domain)
        live = snapshot.domain_settings.get((project, domain))
        have_spec = live or DomainSettingsSpec(project=project, domain=domain)
        before, after = diff_fields(strip_locations(want_spec.to_json()), strip_locations(have_spec.to_json()))
        if not before and not after:
            continue
        yield Finding(
            FindingKind.DOMAIN_SETTINGS_CHANGED,
            f"{project}/{domain}",
            before,
            after,
            "Settings of this project/domain were changed outside an apply.",
            "error",
            project,
            domain,
        )


# ---------------------------------------------------------------- helpers
def diff_fields(before: Any, after: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The leaves that differ, by address: ``({"requests.cpu": "1"}, {"requests.cpu": "2"})``."""
    changes = structural_diff(before, after, unordered=SPEC_UNORDERED)
    return {c.path or "value": c.before for c in changes}, {c.path or "value": c.after for c in changes}
