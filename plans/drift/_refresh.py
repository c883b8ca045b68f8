"""``flowctl apply --refresh-only``: accept the world as the new baseline.

Terraform's refresh-only apply: nothing in the registry or the cluster changes; a history entry
(operation ``refresh-only``) records the registry's managed view as the desired state, so the next
``flowctl drift`` compares against it. The CLI first shows what would be accepted
(:func:`refresh_preview`), asks, then calls :func:`accept_world` with the serial it showed.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from datetime import UTC, datetime
from typing import Protocol

from pydantic import ValidationError

from flowctl._address import EntityKind
from flowctl._errors import ApplyError
from flowctl.plans.drift._gather import HISTORY_DEPTH, build_report, select_baseline
from flowctl.plans.drift._model import DriftReport
from flowctl.spec import (
    ActivationSpec,
    DesiredState,
    LaunchPlanSpec,
    RegistrationSpec,
    TaskSpec,
    WorkflowSpec,
)
from flowctl.state._interface import ApplyRecord, Locker, RegistryReader, RegistrySnapshot, RegistryWriter

REFRESH_OPERATION = "refresh-only"
_SPEC_TYPES: dict[EntityKind, type[TaskSpec] | type[WorkflowSpec] | type[LaunchPlanSpec]] = {
    EntityKind.TASK: TaskSpec,
    EntityKind.WORKFLOW: WorkflowSpec,
    EntityKind.LAUNCH_PLAN: LaunchPlanSpec,
}


class RefreshStore(RegistryReader, RegistryWriter, Locker, Protocol):
    """What a refresh needs of a store: read it, lock it, write one history entry."""


def refresh_preview(store: RegistryReader, *, now: datetime | None = None) -> DriftReport:
    """What ``accept_world`` would accept: the drift report of the registry (no acceptances)."""
    return build_report(store, now=now or datetime.now(UTC))


def managed_view(
    snapshot: RegistrySnapshot, baseline: DesiredState, managed: Collection[str]
) -> DesiredState:
    """The registry's state of what ``baseline`` manages, as a desired state.

    Kept from the baseline: registrations still present (promoted ones as declared); taken from the
    registry: project and domain settings, every entity registered outside an apply, the stored
    spec of changed versions, and every activation.
    """
    registrations: dict[tuple[EntityKind, str, str, str, str | None], RegistrationSpec] = {}
    for reg in baseline.registrations:
        key = (reg.kind, reg.project, reg.domain, reg.name, reg.version)
        if reg.version is None or reg.promoted_from is not None:
            registrations[key] = reg
            continue
        entity = snapshot.entities.get((reg.kind, reg.project, reg.domain, reg.name, reg.version))
        if entity is not None:
            registrations[key] = reg.model_copy(update={"spec": _spec_of(reg.kind, entity.spec) or reg.spec})
    for entity in snapshot.entities.values():
        key = (entity.kind, entity.project, entity.domain, entity.name, entity.version)
        spec = _spec_of(entity.kind, entity.spec)
        if entity.project in managed and key not in registrations and spec is not None:
            registrations[key] = RegistrationSpec(
                project=entity.project,
                domain=entity.domain,
                kind=entity.kind,
                name=entity.name,
                version=entity.version,
                spec=spec,
                source=f"refresh-only ({entity.managed_by})",
            )
    live = {k: a for k, a in snapshot.active_launch_plans.items() if k[0] in managed}
    activations = [
        ActivationSpec(project=p, domain=d, name=n, version=a.version)
        for (p, d, n), a in sorted(live.items())
    ]
    activations += [
        a.model_copy(update={"active": False, "version": None})
        for a in baseline.activations
        if (a.project, a.domain, a.name) not in live and a.project in managed
    ]
    return DesiredState(
        manifest_id=baseline.manifest_id,
        projects=tuple(
            r.spec for name, r in sorted(snapshot.projects.items()) if name in managed and r.state == "active"
        ),
        domain_settings=tuple(s for (p, _), s in sorted(snapshot.domain_settings.items()) if p in managed),
        registrations=tuple(
            sorted(
                registrations.values(),
                key=lambda r: (r.project, r.domain, r.kind.value, r.name, r.version or ""),
            )
        ),
        activations=tuple(activations),
        version_source=baseline.version_source,
    )


def _spec_of(kind: EntityKind, spec: dict[str, object]) -> TaskSpec | WorkflowSpec | LaunchPlanSpec | None:
    try:
        return _SPEC_TYPES[kind].model_validate(spec)
    except ValidationError:
        return None


def accept_world(
    store: RefreshStore,
    *,
    user: str | None = None,
    expected_serial: int | None = None,
    lock_timeout: float = 0.0,
    now: datetime | None = None,
) -> ApplyRecord:
    """Record the registry's managed view as the new baseline; return the stored history entry.

    Args:
        store: the registry.
        user: recorded as who accepted (default: the current user).
        expected_serial: the serial the user was shown (``refresh_preview(...).registry_serial``);
            when the registry moved since, nothing is recorded (ApplyError "stale").
        lock_timeout: seconds to wait for the registry lock.
        now: the clock (tests).

    The entry's ``plan`` holds the drift report that was accepted (``{"refresh_only": report}``).
    Raises ApplyError when no apply was ever recorded (there is nothing to refresh).
    """
    from flowctl.state import lock_info, new_apply_record

    with store.lock(lock_info(REFRESH_OPERATION), timeout=lock_timeout):
        report = refresh_preview(store, now=now)
        if expected_serial is not None and report.registry_serial != expected_serial:
            raise ApplyError(
                f"The registry changed while you reviewed the refresh (serial {expected_serial} -> "
                f"{report.registry_serial})",
                detail="Run `flowctl apply --refresh-only` again to see what it would accept now.",
            )
        baseline = select_baseline(store.apply_history(HISTORY_DEPTH))
        if baseline.desired is None:
            raise ApplyError(
                "Nothing to refresh: no apply has been recorded in this registry",
                detail="Run `flowctl apply` first; refresh-only accepts changes made after an apply.",
            )
        desired = managed_view(store.snapshot(), baseline.desired, baseline.managed_projects)
        accepted = len(report.findings)
        summary = f"Refresh-only: accepted {accepted} drift finding(s) as the new baseline."
        record = new_apply_record(
            REFRESH_OPERATION,
            plan={
                "refresh_only": report.to_json(),
                "accepted_kinds": sorted({f.kind.value for f in report.findings}),
            },
            desired_state=desired.to_json(),
            summary=summary,
        )
        if user is not None:
            record = replace(record, user=user)
        with store.transaction(expected_serial=report.registry_serial) as tx:
            tx.record_apply(record)
    stored = store.last_apply()
    if stored is None:  # pragma: no cover - the transaction above wrote it
        raise ApplyError("The refresh-only history entry was not recorded")
    return stored
