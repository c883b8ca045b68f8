"""Read what drift compares: the baseline apply, the registry, schedule fires, the plan.

This is the side-effecting edge of drift (reads only, never writes): it talks to the registry
through the store interface and hands plain data to the pure ``detect_drift``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from pydantic import ValidationError

from flowctl._address import EntityKind
from flowctl._errors import Diagnostic, FlowctlError, StoreError
from flowctl.plans._diff import compute_plan
from flowctl.plans._model import Plan
from flowctl.plans._render_json import render_plan_json
from flowctl.plans.drift._accept import apply_acceptances
from flowctl.plans.drift._cluster import ClusterView
from flowctl.plans.drift._detect import detect_drift
from flowctl.plans.drift._model import Acceptance, DriftReport, LastApply, PendingChange, PendingChanges
from flowctl.plans.drift._remedy import attach_remedies
from flowctl.spec import DesiredState
from flowctl.state._interface import ApplyRecord, LaunchPlanKey, RegistryReader, RegistrySnapshot

FireReader = Callable[[str, str, str], Sequence[datetime]]  # (project, domain, launch plan) -> fire times
Scope = tuple[str, str]  # project, domain
ClusterReader = Callable[[Sequence[Scope]], ClusterView]  # the kubernetes view of these project-domains
HISTORY_DEPTH = 200
PROMOTE_OPERATION = "promote"


@dataclass(frozen=True)
class Baseline:
    """The apply drift compares against, and what it manages."""

    record: ApplyRecord | None
    desired: DesiredState | None
    last_apply: LastApply | None
    managed_projects: frozenset[str]


def select_baseline(history: Sequence[ApplyRecord], manifest_id: str | None = None) -> Baseline:
    """What the last applies left: the newest full apply (of ``manifest_id``'s manifest when given
    and present), with the promotions recorded after it layered on top.

    ``flowctl promote`` records a partial desired state (only what it promoted), so it cannot be
    the baseline on its own.
    """
    full = [r for r in history if r.operation != PROMOTE_OPERATION]
    base = next((r for r in full if manifest_id and r.desired_state.get("manifest_id") == manifest_id), None)
    base = base or (full[0] if full else None)
    promotions = sorted(
        (r for r in history if r.operation == PROMOTE_OPERATION and (base is None or r.serial > base.serial)),
        key=lambda r: r.serial,
    )
    records = [r for r in (base, *promotions) if r is not None]
    if not records:
        return Baseline(None, None, None, frozenset())
    desired = _read_desired(records[0])
    for promotion in records[1:]:
        desired = _layer(desired, _read_desired(promotion))
    newest = records[-1]
    last = LastApply(newest.serial, newest.applied_at, newest.user, newest.operation, desired.manifest_id)
    return Baseline(newest, desired, last, managed_projects_of(desired))


def _read_desired(record: ApplyRecord) -> DesiredState:
    try:
        return DesiredState.model_validate(record.desired_state)
    except ValidationError as exc:
        raise StoreError(
            f"Cannot read the desired state recorded by apply serial {record.serial}",
            detail=f"{exc.error_count()} problem(s), first: {exc.errors()[0]['msg']}. The history entry was "
            "written by another flowctl version; run `flowctl apply` (or `apply --refresh-only`) to record "
            "a new baseline.",
        ) from None


def _layer(base: DesiredState, promotion: DesiredState) -> DesiredState:
    """``base`` with a promotion's registrations added and its activations taking precedence."""
    activations = {(a.project, a.domain, a.name): a for a in base.activations}
    activations.update({(a.project, a.domain, a.name): a for a in promotion.activations})
    return base.model_copy(
        update={
            "registrations": (*base.registrations, *promotion.registrations),
            "activations": tuple(activations.values()),
        }
    )


def managed_projects_of(desired: DesiredState) -> frozenset[str]:
    """Every project the desired state declares or puts something into."""
    names = {p.name for p in desired.projects}
    names |= {s.project for s in desired.domain_settings}
    names |= {r.project for r in desired.registrations}
    names |= {a.project for a in desired.activations}
    return frozenset(names)


def managed_scopes(desired: DesiredState | None) -> list[Scope]:
    """Every project-domain the desired state manages: declared domains and those it puts things in."""
    if desired is None:
        return []
    scopes = {(p.name, d) for p in desired.projects for d in p.domains}
    scopes |= {(s.project, s.domain) for s in desired.domain_settings}
    scopes |= {(r.project, r.domain) for r in desired.registrations}
    scopes |= {(a.project, a.domain) for a in desired.activations}
    return sorted(scopes)


def read_fires(
    snapshot: RegistrySnapshot, managed: Collection[str], reader: FireReader
) -> dict[LaunchPlanKey, list[datetime]]:
    """Recorded fire times of every active, scheduled launch plan in the managed projects."""
    fires: dict[LaunchPlanKey, list[datetime]] = {}
    for key, activation in snapshot.active_launch_plans.items():
        entity = snapshot.entities.get((EntityKind.LAUNCH_PLAN, *key, activation.version))
        if key[0] in managed and entity is not None and entity.spec.get("schedule"):
            fires[key] = list(reader(*key))
    return fires


@dataclass(frozen=True)
class PlannedNext:
    """The plan drift states its remedies from: what ``flowctl plan`` shows for the same desired state."""

    plan: Plan | None
    errors: tuple[Diagnostic, ...]
    source: str  # "the manifests" or "the last apply's manifests"

    @property
    def changes(self) -> list[dict[str, Any]] | None:
        return render_plan_json(self.plan)["changes"] if self.plan is not None else None


def plan_next(desired: DesiredState | None, snapshot: RegistrySnapshot, *, now: datetime,
              source: str) -> PlannedNext:
    """``compute_plan(desired, snapshot)``, or the problems it reports."""
    if desired is None:
        return PlannedNext(None, (), source)
    try:
        return PlannedNext(compute_plan(desired, snapshot, now=now), (), source)
    except FlowctlError as error:
        return PlannedNext(None, tuple(error.diagnostics), source)


def pending_changes(manifest: DesiredState | None, planned: PlannedNext) -> PendingChanges:
    """The plan's changes (manifest vs registry), summarised; never drift."""
    if manifest is None:
        return PendingChanges(available=False, note="no manifest was given (pass PATH, or set manifests.path in "
                              "flowctl.toml)")
    if planned.plan is None:
        summary = planned.errors[0].summary if planned.errors else "unknown error"
        return PendingChanges(available=False, note=f"the plan failed: {summary}")
    plan = planned.plan
    changes = tuple(PendingChange(c.address, c.action.value, c.reason.value) for c in plan.visible_changes)
    counts = {k: v for k, v in plan.counts().items() if v}
    return PendingChanges(available=True, summary=plan.summary(), counts=counts, changes=changes)


def build_report(
    store: RegistryReader,
    *,
    now: datetime,
    manifest: DesiredState | None = None,
    fire_reader: FireReader | None = None,
    cluster_reader: ClusterReader | None = None,
    acceptances: Sequence[Acceptance] = (),
    today: date | None = None,
) -> DriftReport:
    """Read the registry, detect drift, state what apply does about it, apply acceptances, attach the
    pending changes."""
    snapshot = store.snapshot()
    history = store.apply_history(HISTORY_DEPTH)
    baseline = select_baseline(history, manifest.manifest_id if manifest else None)
    fires = read_fires(snapshot, baseline.managed_projects, fire_reader) if fire_reader else None
    cluster = (
        cluster_reader(managed_scopes(baseline.desired)) if cluster_reader and baseline.desired else None
    )
    report = detect_drift(
        baseline.desired,
        snapshot,
        managed_projects=baseline.managed_projects,
        now=now,
        last_apply=baseline.last_apply,
        schedule_fires=fires,
        cluster=cluster,
        known_manifests={str(r.desired_state.get("manifest_id", "")) for r in history},
    )
    planned = plan_next(manifest or baseline.desired, snapshot, now=now,
                        source="the manifests" if manifest is not None else "the last apply's manifests")
    report = report.with_findings(attach_remedies(report.findings, planned.changes, planned.errors,
                                                  source=planned.source))
    report = apply_acceptances(report, list(acceptances), today=today or now.date())
    return replace(report, pending_changes=pending_changes(manifest, planned))
