"""``promoted_from``: one step along the promotion chain per apply, behind the declared gates.

A promoted workflow takes the version its source domain runs in the registry *the plan was made
from* (or the pinned version, which must be registered there): never a version the same apply
creates. So a change registered in development reaches staging on the next apply and production on
the one after; the plan says so (``PromotionStep.next_version``). The target gets the source's
exact stored specs and digests (never rebuilt), unless a gate is not met: then it keeps the
version it runs (``HELD``), and nothing it runs is deactivated.
"""

from __future__ import annotations

from datetime import datetime

from flowctl._address import Address, EntityKind
from flowctl._errors import Diagnostic
from flowctl.plans._gates import evaluate_gates
from flowctl.plans._model import GateStatus, PlanWarning, PromotionState, PromotionStep
from flowctl.plans._resolved import DigestCache, Entity, Resolution, SnapshotIndex
from flowctl.spec import DesiredState, PromotionGates, RegistrationSpec
from flowctl.state._interface import EntityKey

NO_GATES = PromotionGates()


def planned_version(res: Resolution, project: str, domain: str, workflow: str) -> str | None:
    """The version of ``workflow`` that ``domain`` runs after this plan, as far as it declares one."""
    act = res.activations.get((project, domain, workflow))
    if act is not None and act.version is not None:
        return act.version
    declared = res.versions.get((EntityKind.WORKFLOW, project, domain, workflow), set())
    return next(iter(declared)) if len(declared) == 1 else None


def resolve_promoted_workflow(res: Resolution, reg: RegistrationSpec, index: SnapshotIndex, desired: DesiredState,
                              now: datetime) -> None:
    """Resolve ``reg`` (a workflow with ``promoted_from``) into entities and one PromotionStep."""
    source = reg.promoted_from or ""
    candidate, next_version = _candidate(res, reg, index, desired)
    current = index.running_version(reg.project, reg.domain, reg.name, desired.manifest_id)
    gates = reg.gates or NO_GATES
    statuses: tuple[GateStatus, ...] = ()
    if candidate is None:
        state, keep = PromotionState.WAITING, current
        if next_version is None:
            _warn_nothing_yet(res, reg)
    elif candidate == current:
        state, keep = PromotionState.CURRENT, None
    else:
        statuses = evaluate_gates(gates, index.snapshot, project=reg.project, source=source, target=reg.domain,
                                  workflow=reg.name, version=candidate, now=now)
        held = not all(s.met for s in statuses)
        state, keep = (PromotionState.HELD, current) if held else (PromotionState.MOVES, None)
    version = None
    if keep is not None:  # the target keeps what it runs: resolve at that version, from the target itself
        version = keep if _copy_closure(res, reg, index, reg.domain, keep) else None
    elif state in (PromotionState.MOVES, PromotionState.CURRENT) and candidate is not None:
        version = candidate if _copy_closure(res, reg, index, source, candidate) else None
        if version is None:
            return  # reported by _copy_closure
    res.steps.append(PromotionStep.model_construct(  # trusted values; a plan of 10,000 workflows makes 20,000
        project=reg.project, domain=reg.domain, source=source, workflow=reg.name, state=state, current=current,
        candidate=candidate, version=version, pinned=reg.version is not None, next_version=next_version,
        requires=gates.to_json() if gates.any else {}, gates=statuses, source_location=reg.source))


def _candidate(res: Resolution, reg: RegistrationSpec, index: SnapshotIndex,
               desired: DesiredState) -> tuple[str | None, str | None]:
    """(what the target would get from the registry as it is, the source's new version in this plan)."""
    source = reg.promoted_from or ""
    after = planned_version(res, reg.project, source, reg.name)
    if reg.version is not None:  # pinned: the pin must be registered in the source already
        stored = (EntityKind.WORKFLOW, reg.project, source, reg.name, reg.version) in index.snapshot.entities
        created = (EntityKind.WORKFLOW, reg.project, source, reg.name, reg.version) in res.entities
        return (reg.version if stored else None), (reg.version if created and not stored else None)
    candidate = index.running_version(reg.project, source, reg.name, desired.manifest_id)
    return candidate, (after if after is not None and after != candidate else None)


def _warn_nothing_yet(res: Resolution, reg: RegistrationSpec) -> None:
    if reg.version is not None:
        res.errors.append(Diagnostic(
            f"Cannot promote workflow `{reg.name}`@{reg.version} from {reg.promoted_from}: it is not registered there",
            f"Missing: {reg.project}/{reg.promoted_from}/workflow/{reg.name}@{reg.version}. Register that version "
            f'in {reg.promoted_from} first, or pin another version with promoted_from("{reg.promoted_from}", '
            'version="...").', source=reg.source, address=f"{reg.project}/{reg.domain}/workflow/{reg.name}"))
        return
    res.warnings.append(PlanWarning(
        summary=f"Nothing to promote yet: workflow `{reg.name}` has no version in {reg.project}/{reg.promoted_from}",
        detail=f"{reg.project}/{reg.domain} gets it on the apply after {reg.promoted_from} has one (one step "
        "along the chain per apply).", address=f"{reg.project}/{reg.domain}/workflow/{reg.name}", source=reg.source))


def _copy_closure(res: Resolution, reg: RegistrationSpec, index: SnapshotIndex, domain: str, version: str) -> bool:
    """Want, in the target, the stored closure of ``reg``'s workflow at ``version`` in ``domain``."""
    entities, missing = closure(index, reg.project, domain, reg.name, version)
    if missing or not entities:
        res.errors.append(Diagnostic(
            f"Cannot promote workflow `{reg.name}`@{version} from {domain}: it is not registered there",
            "Missing: " + (", ".join(missing) or f"{reg.project}/{domain}/workflow/{reg.name}@{version}")
            + f". Register that version in {domain} first, or pin another version with "
            f'promoted_from("{reg.promoted_from}", version="...").',
            source=reg.source, address=f"{reg.project}/{reg.domain}/workflow/{reg.name}"))
        return False
    for entity in entities:
        res.add(Entity(entity.kind, reg.project, reg.domain, entity.name, version, entity.spec, entity.digest,
                       reg.source, promoted_from=reg.promoted_from, promoted_identical=True,
                       bundle_uri=entity.bundle_uri))
    return True


def closure(index: SnapshotIndex, project: str, domain: str, workflow: str,
            version: str) -> tuple[list[Entity], list[str]]:
    """The stored workflow at ``version`` with its tasks, subworkflows and default launch plan; missing names."""
    found: list[Entity] = []
    missing: list[str] = []
    seen: set[EntityKey] = set()
    pending: list[tuple[EntityKind, str]] = [(EntityKind.WORKFLOW, workflow), (EntityKind.LAUNCH_PLAN, workflow)]
    while pending:
        kind, name = pending.pop()
        key = (kind, project, domain, name, version)
        if key in seen:
            continue
        seen.add(key)
        stored = index.snapshot.entities.get(key)
        if stored is None:
            if not (kind == EntityKind.LAUNCH_PLAN and name == workflow):
                missing.append(str(Address.entity(kind, project, domain, name, version)))
            continue
        found.append(Entity.stored(stored))
        if kind == EntityKind.WORKFLOW:
            pending += [(EntityKind.TASK, t) for t in stored.spec.get("tasks") or ()]
            pending += [(EntityKind.WORKFLOW, w) for w in stored.spec.get("subworkflows") or ()]
    return found, missing


def resolve_promoted_launch_plan(res: Resolution, reg: RegistrationSpec, index: SnapshotIndex,
                                 cache: DigestCache) -> None:
    """A launch plan declared in a promoted domain: at the version its workflow resolved to.

    With a spec (a manifest's launch plan): without domain overlays it is the source's exact spec;
    with overlays it is the manifest's spec (checked against the promoted workflow's interface by the
    caller). Without a spec (``flowctl promote``): the source's stored launch plan at that version."""
    if reg.spec is None:
        _copy_launch_plan(res, reg, index)
        return
    payload, digest = cache.of(reg.spec)
    version = _workflow_version(res, reg, str(payload.get("workflow")))
    if version is None:
        return  # the workflow's promotion is waiting (warned) or failed (reported)
    source = index.snapshot.entities.get((EntityKind.LAUNCH_PLAN, reg.project, reg.promoted_from or "", reg.name,
                                          version))
    identical = source is not None and source.digest == digest
    res.add(Entity(EntityKind.LAUNCH_PLAN, reg.project, reg.domain, reg.name, version, payload, digest, reg.source,
                   promoted_from=reg.promoted_from, promoted_identical=identical,
                   bundle_uri=source.bundle_uri if source is not None and identical else None), replace=True)


def _workflow_version(res: Resolution, reg: RegistrationSpec, workflow: str) -> str | None:
    versions = sorted(res.versions.get((EntityKind.WORKFLOW, reg.project, reg.domain, workflow), ()))
    if not versions:
        return None
    return versions[-1] if reg.version is None or reg.version not in versions else reg.version


def _copy_launch_plan(res: Resolution, reg: RegistrationSpec, index: SnapshotIndex) -> None:
    entities = index.snapshot.entities
    named = entities.get((EntityKind.LAUNCH_PLAN, reg.project, reg.promoted_from or "", reg.name, reg.version or ""))
    if named is None:
        return
    version = _workflow_version(res, reg, str(named.spec.get("workflow")))
    source = entities.get((EntityKind.LAUNCH_PLAN, reg.project, reg.promoted_from or "", reg.name, version or ""))
    if version is None or source is None:
        return  # held at a version the source has no such launch plan for: nothing to follow
    res.add(Entity(EntityKind.LAUNCH_PLAN, reg.project, reg.domain, reg.name, version, source.spec, source.digest,
                   reg.source, promoted_from=reg.promoted_from, promoted_identical=True, bundle_uri=source.bundle_uri))
