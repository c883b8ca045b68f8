"""Resolve a DesiredState into concrete versioned entities and activations (pure).

Registrations with a spec are taken as they are. ``promoted_from`` registrations take the
version the source domain will have after this plan (declared in the same manifests) or has now
(the registry), with the exact specs and digests stored there: never rebuilt. Domains are
resolved in promotion order (staging before production); a cycle is an error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flowctl._address import Address, EntityKind
from flowctl._errors import Diagnostic
from flowctl.plans._attrs import strip_locations
from flowctl.plans._model import PlanWarning
from flowctl.spec import ActivationSpec, DesiredState, Json, RegistrationSpec, digest_of
from flowctl.state._interface import EntityKey, RegistrySnapshot, StoredEntity

DomainKey = tuple[str, str]  # project, domain


@dataclass
class Entity:
    """One versioned entity the plan wants to exist."""

    kind: EntityKind
    project: str
    domain: str
    name: str
    version: str
    spec: dict[str, Json]
    digest: str
    source: str = ""
    promoted_from: str | None = None
    promoted_identical: bool = False  # same digest as in the source domain
    bundle_uri: str | None = None  # kept from the source for promoted entities

    @property
    def key(self) -> EntityKey:
        return (self.kind, self.project, self.domain, self.name, self.version)

    @property
    def address(self) -> str:
        return str(Address.entity(self.kind, self.project, self.domain, self.name, self.version))


@dataclass
class Activation:
    project: str
    domain: str
    name: str
    version: str | None  # None: deactivate
    source: str = ""
    promoted_from: str | None = None


@dataclass
class Resolution:
    entities: dict[EntityKey, Entity] = field(default_factory=dict)
    versions: dict[tuple[EntityKind, str, str, str], set[str]] = field(default_factory=dict)
    activations: dict[tuple[str, str, str], Activation] = field(default_factory=dict)
    warnings: list[PlanWarning] = field(default_factory=list)
    errors: list[Diagnostic] = field(default_factory=list)


class _DigestCache:
    """Specs are frozen: their JSON and digest are computed once per object."""

    def __init__(self) -> None:
        self._cache: dict[int, tuple[Any, dict[str, Json], str]] = {}

    def of(self, spec: Any) -> tuple[dict[str, Json], str]:
        hit = self._cache.get(id(spec))
        if hit is not None and hit[0] is spec:
            return hit[1], hit[2]
        payload = spec.to_json()
        digest = digest_of(strip_locations(payload))  # what Spec.digest() computes, from one dump
        self._cache[id(spec)] = (spec, payload, digest)
        return payload, digest


def resolve(desired: DesiredState, snapshot: RegistrySnapshot, index: SnapshotIndex) -> Resolution:
    res = Resolution()
    cache = _DigestCache()
    for reg in desired.registrations:
        if reg.spec is not None and reg.version is not None and reg.promoted_from is None:
            payload, digest = cache.of(reg.spec)
            _add(res, Entity(reg.kind, reg.project, reg.domain, reg.name, reg.version, payload, digest, reg.source))
        elif reg.promoted_from is None:
            res.errors.append(Diagnostic(
                f"Registration of {reg.kind} `{reg.name}` has neither a spec nor promoted_from",
                "This is a manifest loader bug: every registration needs a spec and a version, or promoted_from.",
                source=reg.source))
    promoted = [r for r in desired.registrations if r.promoted_from is not None]
    by_domain: dict[DomainKey, list[RegistrationSpec]] = {}
    for reg in promoted:
        by_domain.setdefault((reg.project, reg.domain), []).append(reg)
    acts_by_domain: dict[DomainKey, list[ActivationSpec]] = {}
    for act in desired.activations:
        acts_by_domain.setdefault((act.project, act.domain), []).append(act)
    order = _domain_order(desired, res)
    for key in order:
        for reg in sorted(by_domain.get(key, ()), key=lambda r: r.kind != EntityKind.WORKFLOW):
            _resolve_promoted(res, reg, snapshot, index, desired, cache)
        for act in acts_by_domain.get(key, ()):
            _resolve_activation(res, act)
    return res


def _add(res: Resolution, entity: Entity, *, replace: bool = False) -> None:
    existing = res.entities.get(entity.key)
    if existing is not None and existing.digest != entity.digest and not replace:
        res.errors.append(Diagnostic(
            f"Two different definitions of {entity.address}",
            f"It is declared at {existing.source or '?'} and at {entity.source or '?'} with different content. "
            "Give one of them another name or register them at different versions.",
            source=entity.source, address=entity.address))
        return
    if existing is None or replace or (entity.promoted_from is None and existing.promoted_from is not None):
        res.entities[entity.key] = entity
        res.versions.setdefault(entity.key[:4], set()).add(entity.version)


def _domain_order(desired: DesiredState, res: Resolution) -> list[DomainKey]:
    edges: dict[DomainKey, set[DomainKey]] = {}
    items: list[RegistrationSpec | ActivationSpec] = [*desired.registrations, *desired.activations]
    for item in items:
        node = (item.project, item.domain)
        edges.setdefault(node, set())
        if item.promoted_from:
            edges[node].add((item.project, item.promoted_from))
            edges.setdefault((item.project, item.promoted_from), set())
    order: list[DomainKey] = []
    state: dict[DomainKey, int] = {}

    def visit(node: DomainKey, trail: list[DomainKey]) -> None:
        if state.get(node) == 2:
            return
        if state.get(node) == 1:
            cycle = " -> ".join(f"{p}/{d}" for p, d in [*trail[trail.index(node):], node])
            res.errors.append(Diagnostic("Promotion cycle between domains", f"{cycle}: each domain is promoted "
                                         "from the next. Make one of them register code instead of promoting."))
            return
        state[node] = 1
        for dep in sorted(edges[node]):
            visit(dep, [*trail, node])
        state[node] = 2
        order.append(node)

    for node in sorted(edges):
        visit(node, [])
    return order


def active_version(res: Resolution, snapshot: RegistrySnapshot, index: SnapshotIndex, desired: DesiredState,
                   project: str, domain: str, workflow: str) -> str | None:
    """The version of ``workflow`` that ``domain`` runs after this plan (or runs now)."""
    act = res.activations.get((project, domain, workflow))
    if act is not None and act.version is not None:
        return act.version
    declared = res.versions.get((EntityKind.WORKFLOW, project, domain, workflow), set())
    if len(declared) == 1:
        return next(iter(declared))
    stored = snapshot.active_launch_plans.get((project, domain, workflow))
    if stored is not None:
        return stored.version
    versions = index.versions(EntityKind.WORKFLOW, project, domain, workflow)
    mine = [e for e in versions if e.managed_by == desired.manifest_id] or versions
    return max(mine, key=lambda e: (e.created_at, e.version)).version if mine else None


class SnapshotIndex:
    """Stored versions per (kind, project, domain, name), built once per plan."""

    def __init__(self, snapshot: RegistrySnapshot) -> None:
        self._by_name: dict[tuple[EntityKind, str, str, str], list[StoredEntity]] = {}
        for key, entity in snapshot.entities.items():
            self._by_name.setdefault(key[:4], []).append(entity)

    def versions(self, kind: EntityKind, project: str, domain: str, name: str) -> list[StoredEntity]:
        return self._by_name.get((kind, project, domain, name), [])


def _lookup(res: Resolution, snapshot: RegistrySnapshot, key: EntityKey) -> Entity | None:
    found = res.entities.get(key)
    if found is not None:
        return found
    stored = snapshot.entities.get(key)
    if stored is None:
        return None
    return Entity(stored.kind, stored.project, stored.domain, stored.name, stored.version, stored.spec,
                  stored.digest, bundle_uri=stored.bundle_uri)


def _closure(res: Resolution, snapshot: RegistrySnapshot, project: str, domain: str, workflow: str,
             version: str) -> tuple[list[Entity], list[str]]:
    """The workflow at ``version`` with its tasks, subworkflows and default launch plan; missing names."""
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
        entity = _lookup(res, snapshot, key)
        if entity is None:
            if not (kind == EntityKind.LAUNCH_PLAN and name == workflow):
                missing.append(str(Address.entity(kind, project, domain, name, version)))
            continue
        found.append(entity)
        if kind == EntityKind.WORKFLOW:
            pending += [(EntityKind.TASK, t) for t in entity.spec.get("tasks") or ()]
            pending += [(EntityKind.WORKFLOW, w) for w in entity.spec.get("subworkflows") or ()]
    return found, missing


def _resolve_promoted(res: Resolution, reg: RegistrationSpec, snapshot: RegistrySnapshot, index: SnapshotIndex,
                      desired: DesiredState, cache: _DigestCache) -> None:
    source_domain = reg.promoted_from or ""
    where = f"{reg.project}/{reg.domain}/{reg.kind}/{reg.name}"
    if reg.kind == EntityKind.LAUNCH_PLAN:
        _resolve_promoted_launch_plan(res, reg, snapshot, cache)
        return
    if reg.kind != EntityKind.WORKFLOW:
        res.errors.append(Diagnostic(f"Cannot promote {reg.kind} `{reg.name}` on its own",
                                     "Promote the workflow that uses it; its tasks come along at the same version.",
                                     source=reg.source, address=where))
        return
    version = reg.version or active_version(res, snapshot, index, desired, reg.project, source_domain, reg.name)
    if version is None:
        res.warnings.append(PlanWarning(
            summary=f"Nothing to promote yet: workflow `{reg.name}` has no version in {reg.project}/{source_domain}",
            detail=f"{reg.project}/{reg.domain} gets it once {source_domain} has one (apply {source_domain} first).",
            address=where, source=reg.source))
        return
    entities, missing = _closure(res, snapshot, reg.project, source_domain, reg.name, version)
    if missing or not entities:
        res.errors.append(Diagnostic(
            f"Cannot promote workflow `{reg.name}`@{version} from {source_domain}: it is not registered there",
            "Missing: " + (", ".join(missing) or f"{reg.project}/{source_domain}/workflow/{reg.name}@{version}")
            + f". Register that version in {source_domain} first, or pin another version with "
            f'promoted_from("{source_domain}", version="...").',
            source=reg.source, address=where))
        return
    for entity in entities:
        _add(res, Entity(entity.kind, reg.project, reg.domain, entity.name, version, entity.spec, entity.digest,
                         reg.source, promoted_from=source_domain, promoted_identical=True,
                         bundle_uri=entity.bundle_uri))


def _resolve_promoted_launch_plan(res: Resolution, reg: RegistrationSpec, snapshot: RegistrySnapshot,
                                  cache: _DigestCache) -> None:
    """A launch plan declared in a promoted domain: at the version its workflow was promoted to.

    Without domain overlays it is the source's exact spec; with overlays it is the manifest's spec
    (checked against the promoted workflow's interface by the caller)."""
    if reg.spec is None:
        return
    payload, digest = cache.of(reg.spec)
    workflow = str(payload.get("workflow"))
    versions = sorted(res.versions.get((EntityKind.WORKFLOW, reg.project, reg.domain, workflow), ()))
    if not versions:
        return  # the workflow's promotion was skipped (warned) or failed (reported)
    version = versions[-1] if reg.version is None else reg.version
    source = _lookup(res, snapshot, (EntityKind.LAUNCH_PLAN, reg.project, reg.promoted_from or "", reg.name, version))
    identical = source is not None and source.digest == digest
    _add(res, Entity(EntityKind.LAUNCH_PLAN, reg.project, reg.domain, reg.name, version, payload, digest, reg.source,
                     promoted_from=reg.promoted_from, promoted_identical=identical,
                     bundle_uri=source.bundle_uri if source is not None and identical else None), replace=True)


def _resolve_activation(res: Resolution, act: ActivationSpec) -> None:
    key = (act.project, act.domain, act.name)
    if not act.active:
        res.activations[key] = Activation(act.project, act.domain, act.name, None, act.source, act.promoted_from)
        return
    version = act.version
    if version is None:
        versions = sorted(res.versions.get((EntityKind.LAUNCH_PLAN, *key), ()))
        if not versions:
            return  # the promotion it follows was skipped or failed
        version = versions[-1]
    previous = res.activations.get(key)
    if previous is not None and previous.version != version:
        res.errors.append(Diagnostic(
            f"Launch plan `{act.name}` is activated twice in {act.project}/{act.domain}",
            f"Versions {previous.version} ({previous.source or '?'}) and {version} ({act.source or '?'}); "
            "at most one version of a launch plan can be active. Keep one of the declarations.",
            source=act.source))
        return
    res.activations[key] = Activation(act.project, act.domain, act.name, version, act.source, act.promoted_from)
