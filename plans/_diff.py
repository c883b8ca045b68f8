"""``compute_plan(desired, snapshot, *, now) -> Plan``: the pure heart of ``flowctl plan``.

No database, no clock (``now`` is passed in for the schedule forecasts), no printing. Problems the
user must fix (different content under an existing version, a promotion that cannot resolve)
are collected and raised once as a ``PlanError``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from flowctl._address import Address, EntityKind
from flowctl._errors import Diagnostic, PlanError
from flowctl.plans._attrs import attribute_changes, describe_spec_difference
from flowctl.plans._compat import compare_interfaces, effective_inputs
from flowctl.plans._forecast import forecast
from flowctl.plans._model import (
    Action,
    Change,
    CompatFinding,
    ObjectType,
    Plan,
    PlanMode,
    PlanWarning,
    Reason,
    ScheduleForecast,
)
from flowctl.plans._references import check_references
from flowctl.plans._resolve import Activation, Entity, Resolution, SnapshotIndex, resolve
from flowctl.plans._versions import replaced_version, version_change
from flowctl.spec import DesiredState, DomainSettingsSpec, Json
from flowctl.spec._locations import strip_locations
from flowctl.state._interface import RegistrySnapshot

_KIND_ORDER = {ObjectType.PROJECT: 0, ObjectType.DOMAIN_SETTINGS: 1, ObjectType.TASK: 2, ObjectType.WORKFLOW: 3,
               ObjectType.LAUNCH_PLAN: 4, ObjectType.ACTIVATION: 5}


def compute_plan(
    desired: DesiredState,
    snapshot: RegistrySnapshot,
    *,
    now: datetime,
    mode: PlanMode = PlanMode.NORMAL,
    targets: Sequence[Address] = (),
) -> Plan:
    """Compare what the manifests declare with what the registry holds.

    Args:
        desired: the compiled, version-stamped manifests.
        snapshot: the registry as read just before (lineage and serial are recorded in the plan).
        now: an aware datetime, for schedule forecasts and ``created_at``.
        mode: ``NORMAL`` deactivates launch plans this manifest activated and no longer declares;
            ``PROMOTE`` (a partial desired state) never deactivates.
        targets: limit the plan to these addresses (and what they need).

    Raises:
        PlanError: every problem found, at once.
    """
    index = SnapshotIndex(snapshot)
    res = resolve(desired, index, now=now)
    errors = list(res.errors)
    changes: list[Change] = []
    changes += _project_changes(desired, snapshot)
    changes += _settings_changes(desired, snapshot)
    changes += _entity_changes(res, snapshot, index, errors, desired.manifest_id)
    errors += _check_launch_plans(res)
    errors += check_references(res.entities, snapshot)  # reference_task / reference_launch_plan
    act_changes, forecasts, findings = _activation_changes(desired, res, snapshot, now, mode)
    changes += act_changes
    if errors:
        raise PlanError(diagnostics=errors)
    changes.sort(key=_order)
    warnings = list(res.warnings)
    if targets:
        changes = _apply_targets(changes, targets)
        kept = {c.address for c in changes}
        forecasts = [f for f in forecasts if f.address in kept or _unversioned(f.address) in kept]
        findings = [f for f in findings if f.address in kept]
    return Plan(
        mode=mode,
        lineage=snapshot.lineage,
        base_serial=snapshot.serial,
        manifest_id=desired.manifest_id,
        version_source=desired.version_source,
        created_at=now.isoformat(timespec="seconds"),
        targets=tuple(str(t) for t in targets),
        changes=tuple(changes),
        forecasts=tuple(forecasts),
        compatibility=tuple(findings),
        warnings=tuple(warnings),
        promotions=tuple(res.steps),
        desired_state=resolved_desired_state(desired, res),
    )


def resolved_desired_state(desired: DesiredState, res: Resolution) -> dict[str, Json]:
    """``desired`` as JSON, with each promoted workflow and activation at the version it resolved to
    (inactive when there is nothing to follow yet).

    This is what an apply records as its desired state, so ``flowctl drift`` knows which version the
    apply left active in a promoted domain (a hand switch to another version is drift)."""
    versions = {(s.project, s.domain, s.workflow): s.version for s in res.steps if s.version is not None}
    registrations = [
        reg.model_copy(update={"version": versions[(reg.project, reg.domain, reg.name)]})
        if reg.promoted_from and reg.version is None and reg.kind is EntityKind.WORKFLOW
        and (reg.project, reg.domain, reg.name) in versions else reg
        for reg in desired.registrations
    ]
    activations = []
    for act in desired.activations:
        if act.promoted_from and act.active and act.version is None:
            got = res.activations.get((act.project, act.domain, act.name))
            version = got.version if got is not None else None
            # nothing to follow yet (waiting, or held before a first version): the apply leaves it inactive
            act = act.model_copy(update={"version": version} if version else {"active": False})
        activations.append(act)
    # Dumping the specs is most of it, and the resolver has their JSON already: dump without them, then
    # put each one back (its key keeps its place: the JSON's key order is the fields' order).
    bare = tuple(reg if reg.spec is None else reg.model_copy(update={"spec": None}) for reg in registrations)
    doc = desired.model_copy(update={"registrations": bare, "activations": tuple(activations)}).to_json()
    for reg, item in zip(registrations, doc["registrations"], strict=True):
        if reg.spec is not None:
            item["spec"] = res.digests.payload(reg.spec)
    return doc


def _order(change: Change) -> tuple[str, str, int, str]:
    """Grouped by project, then domain (the project itself first), then kind, then address."""
    parts = change.address.split("/")
    return (parts[0], parts[1] if len(parts) > 1 else "", _KIND_ORDER[change.object_type], change.address)


# ---------------------------------------------------------------- projects and settings
def _project_changes(desired: DesiredState, snapshot: RegistrySnapshot) -> list[Change]:
    changes = []
    for spec in desired.projects:
        after = strip_locations(spec.to_json())
        stored = snapshot.projects.get(spec.name)
        if stored is None:
            changes.append(Change(address=spec.name, object_type=ObjectType.PROJECT, action=Action.REGISTER,
                                  reason=Reason.REGISTER_BECAUSE_NEW_PROJECT, after=after, source=spec.source))
            continue
        before = strip_locations(stored.spec.to_json())
        attrs, unchanged = attribute_changes(before, after)
        if attrs or stored.state != "active":
            changes.append(Change(address=spec.name, object_type=ObjectType.PROJECT, action=Action.CHANGE,
                                  reason=Reason.CHANGE_BECAUSE_PROJECT_ATTRIBUTES_DIFFER, before=before, after=after,
                                  attributes=attrs, unchanged_attributes=unchanged, source=spec.source))
    return changes


def _settings_changes(desired: DesiredState, snapshot: RegistrySnapshot) -> list[Change]:
    changes = []
    for spec in desired.domain_settings:
        after = strip_locations(spec.to_json())
        stored = snapshot.domain_settings.get((spec.project, spec.domain))
        address = f"{spec.project}/{spec.domain}"
        if stored is None:
            empty = strip_locations(DomainSettingsSpec(project=spec.project, domain=spec.domain).to_json())
            if after != empty:
                attrs, unchanged = attribute_changes(empty, after)
                changes.append(Change(address=address, object_type=ObjectType.DOMAIN_SETTINGS, action=Action.REGISTER,
                                      reason=Reason.REGISTER_BECAUSE_SETTINGS_DECLARED, after=after, attributes=attrs,
                                      unchanged_attributes=unchanged, source=spec.source))
            continue
        before = strip_locations(stored.to_json())
        attrs, unchanged = attribute_changes(before, after)
        if attrs:
            changes.append(Change(address=address, object_type=ObjectType.DOMAIN_SETTINGS, action=Action.CHANGE,
                                  reason=Reason.CHANGE_BECAUSE_SETTINGS_DIFFER, before=before, after=after,
                                  attributes=attrs, unchanged_attributes=unchanged, source=spec.source))
    return changes


# ---------------------------------------------------------------- versioned entities
def _entity_changes(res: Resolution, snapshot: RegistrySnapshot, index: SnapshotIndex,
                    errors: list[Diagnostic], manifest_id: str) -> list[Change]:
    changes = []
    for key, entity in res.entities.items():
        stored = snapshot.entities.get(key)
        if stored is not None:
            if stored.digest != entity.digest and entity.promoted_from and not entity.promoted_identical:
                # A launch plan with domain overlays at a promoted (older) version: the registered one stays;
                # blocking every plan because the code of a newer version moved on would help nobody.
                res.warnings.append(PlanWarning(
                    summary=f"{entity.address} stays as registered: the manifest's launch plan differs",
                    detail="; ".join(describe_spec_difference(stored.spec, entity.spec, limit=4))
                    + ". Launch plan versions are immutable; the manifest's version takes effect with the next "
                    f"version promoted from {entity.promoted_from}.",
                    address=entity.address, source=entity.source))
            elif stored.digest != entity.digest:
                errors.append(_immutability_error(entity, stored.spec, stored.managed_by))
            continue
        if entity.promoted_from is not None:
            reason = Reason.REGISTER_BECAUSE_PROMOTED
            note = (f"promoted from {entity.promoted_from} (identical digest)" if entity.promoted_identical
                    else f"promoted from {entity.promoted_from} with {entity.domain} launch plan settings")
        else:
            reason = (Reason.REGISTER_BECAUSE_NEW_VERSION if index.versions(*key[:4])
                      else Reason.REGISTER_BECAUSE_NEW_ENTITY)
            note = "new version" if reason is Reason.REGISTER_BECAUSE_NEW_VERSION else "new"
        after: dict[str, Json] = {"digest": entity.digest, "spec": entity.spec}
        if entity.bundle_uri is not None:
            after["bundle_uri"] = entity.bundle_uri
        old = replaced_version(index, entity, manifest_id)
        changes.append(Change(address=entity.address, object_type=ObjectType(entity.kind.value), action=Action.REGISTER,
                              reason=reason, after=after, promoted_from=entity.promoted_from, note=note,
                              source=entity.source, replaces=version_change(old, entity) if old else None))
    return changes


def _immutability_error(entity: Entity, stored_spec: dict[str, Json], managed_by: str) -> Diagnostic:
    lines = describe_spec_difference(stored_spec, entity.spec)
    return Diagnostic(
        f"{entity.kind.value.replace('_', ' ').capitalize()} version already registered with different content",
        "Versions are immutable. The registry holds this version (registered by "
        f"{managed_by or 'unknown'}) with other content:\n  " + "\n  ".join(lines) + "\n"
        "Fix: bump the version (commit your change so the git SHA changes, or pass --version NEW), "
        "or use --allow-dirty, which appends a content digest to the version.",
        source=entity.source, address=entity.address)


def _check_launch_plans(res: Resolution) -> list[Diagnostic]:
    """A launch plan's default and fixed inputs must be inputs of its workflow at the same version."""
    errors = []
    for key, entity in res.entities.items():
        if key[0] != EntityKind.LAUNCH_PLAN or entity.promoted_identical:
            continue
        workflow = res.entities.get((EntityKind.WORKFLOW, key[1], key[2], str(entity.spec.get("workflow")), key[4]))
        if workflow is None:
            continue
        names = {i["name"] for i in (workflow.spec.get("interface") or {}).get("inputs") or ()}
        for field in ("default_inputs", "fixed_inputs"):
            unknown = sorted(set(entity.spec.get(field) or {}) - names)
            if unknown:
                errors.append(Diagnostic(
                    f"Launch plan `{entity.name}` sets unknown inputs in {field}: {', '.join(unknown)}",
                    f"Workflow `{workflow.name}`@{workflow.version} takes: {', '.join(sorted(names)) or '(none)'}.",
                    source=entity.source, address=entity.address))
    return errors


# ---------------------------------------------------------------- activations
def _activation_changes(
    desired: DesiredState, res: Resolution, snapshot: RegistrySnapshot, now: datetime, mode: PlanMode
) -> tuple[list[Change], list[ScheduleForecast], list[CompatFinding]]:
    changes: list[Change] = []
    forecasts: list[ScheduleForecast] = []
    findings: list[CompatFinding] = []
    for key, act in sorted(res.activations.items()):
        current = snapshot.active_launch_plans.get(key)
        old = current.version if current else None
        address = str(Address.entity(EntityKind.LAUNCH_PLAN, *key))
        if act.version is None:
            if old is not None:
                changes.append(_activation_change(key, Action.DEACTIVATE, Reason.DEACTIVATE_BECAUSE_MARKED_INACTIVE,
                                                  old, None, act, res, snapshot))
            continue
        if old == act.version:
            continue
        if old is None:
            action, reason = Action.CHANGE, Reason.CHANGE_BECAUSE_ACTIVATED
        else:
            action = Action.SUPERSEDE
            reason = Reason.SUPERSEDE_BECAUSE_PROMOTED if act.promoted_from else Reason.SUPERSEDE_BECAUSE_NEW_VERSION_ACTIVE
            findings += _compat(address, key, old, act.version, res, snapshot)
        changes.append(_activation_change(key, action, reason, old, act.version, act, res, snapshot))
        new_schedule = _launch_plan_spec(res, snapshot, key, act.version).get("schedule")
        old_schedule = _launch_plan_spec(res, snapshot, key, old).get("schedule") if old else None
        if new_schedule and new_schedule != old_schedule:
            forecasts.append(forecast(address, new_schedule, now))
    if mode is PlanMode.NORMAL:
        projects = {p.name for p in desired.projects}
        for key, record in sorted(snapshot.active_launch_plans.items()):
            if key in res.activations or record.managed_by != desired.manifest_id or key[0] not in projects:
                continue
            address = str(Address.entity(EntityKind.LAUNCH_PLAN, *key))
            changes.append(_activation_change(key, Action.DEACTIVATE, Reason.DEACTIVATE_BECAUSE_NOT_IN_MANIFEST,
                                              record.version, None, None, res, snapshot))
    return changes, forecasts, findings


def _activation_change(key: tuple[str, str, str], action: Action, reason: Reason, old: str | None, new: str | None,
                       act: Activation | None, res: Resolution, snapshot: RegistrySnapshot) -> Change:
    address = str(Address.entity(EntityKind.LAUNCH_PLAN, *key))
    before = {"active_version": old, "schedule": _schedule_of(res, snapshot, key, old)} if old else None
    after = {"active_version": new, "schedule": _schedule_of(res, snapshot, key, new)} if new else None
    attrs, unchanged = attribute_changes(before or {}, after or {}) if before and after else ((), 0)
    note = ""
    if act is not None and act.promoted_from:
        note = f"follows {act.promoted_from}"
    return Change(address=address, object_type=ObjectType.ACTIVATION, action=action, reason=reason,
                  before=before, after=after, attributes=attrs, unchanged_attributes=unchanged,
                  promoted_from=act.promoted_from if act else None, note=note, source=act.source if act else "")


def _schedule_of(res: Resolution, snapshot: RegistrySnapshot, key: tuple[str, str, str], version: str | None) -> Json:
    if version is None:
        return None
    return _launch_plan_spec(res, snapshot, key, version).get("schedule")


def _launch_plan_spec(res: Resolution, snapshot: RegistrySnapshot, key: tuple[str, str, str],
                      version: str) -> dict[str, Json]:
    entity_key = (EntityKind.LAUNCH_PLAN, key[0], key[1], key[2], version)
    found = res.entities.get(entity_key)
    if found is not None:
        return found.spec
    stored = snapshot.entities.get(entity_key)
    return stored.spec if stored is not None else {}


def _workflow_spec(res: Resolution, snapshot: RegistrySnapshot, project: str, domain: str, name: str,
                   version: str) -> dict[str, Json]:
    entity_key = (EntityKind.WORKFLOW, project, domain, name, version)
    found = res.entities.get(entity_key)
    if found is not None:
        return found.spec
    stored = snapshot.entities.get(entity_key)
    return stored.spec if stored is not None else {}


def _compat(address: str, key: tuple[str, str, str], old: str, new: str, res: Resolution,
            snapshot: RegistrySnapshot) -> list[CompatFinding]:
    old_lp, new_lp = _launch_plan_spec(res, snapshot, key, old), _launch_plan_spec(res, snapshot, key, new)
    if not old_lp or not new_lp:
        return []
    old_wf = _workflow_spec(res, snapshot, key[0], key[1], str(old_lp.get("workflow")), old)
    new_wf = _workflow_spec(res, snapshot, key[0], key[1], str(new_lp.get("workflow")), new)
    if not old_wf or not new_wf:
        return []
    return compare_interfaces(address, old, new, effective_inputs(old_wf, old_lp), effective_inputs(new_wf, new_lp))


# ---------------------------------------------------------------- targeting
def _unversioned(address: str) -> str:
    return address.partition("@")[0]


def _apply_targets(changes: list[Change], targets: Sequence[Address]) -> list[Change]:
    """Changes matching a target, plus what they need: a workflow's tasks, subworkflows and default
    launch plan at its version, and a new project they live in."""
    def matches(change: Change) -> bool:
        address = Address.parse(change.address)
        return any(t.contains(address) or (change.object_type is ObjectType.ACTIVATION
                                            and t.without_version().contains(address)) for t in targets)

    selected = {c.address + c.object_type.value for c in changes if matches(c)}
    by_address = {c.address + c.object_type.value: c for c in changes}
    for change in [c for c in changes if c.address + c.object_type.value in selected]:
        address = Address.parse(change.address)
        if change.object_type is ObjectType.WORKFLOW and change.after:
            spec = change.after["spec"]
            needed = [(EntityKind.TASK, n) for n in spec.get("tasks") or ()]
            needed += [(EntityKind.WORKFLOW, n) for n in spec.get("subworkflows") or ()]
            needed += [(EntityKind.LAUNCH_PLAN, address.name or "")]
            for kind, name in needed:
                dep = Address.entity(kind, address.project, address.domain or "", name, address.version)
                selected.add(str(dep) + kind.value)
            selected.add(str(Address.entity(EntityKind.LAUNCH_PLAN, address.project, address.domain or "",
                                            address.name or "")) + ObjectType.ACTIVATION.value)
        if address.project + ObjectType.PROJECT.value in by_address:
            selected.add(address.project + ObjectType.PROJECT.value)
    return [c for c in changes if c.address + c.object_type.value in selected]
