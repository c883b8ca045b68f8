"""What resolving a DesiredState produces: concrete entities, activations and promotion steps.

Shared by ``_resolve`` (the walk over the desired state) and ``_promotion`` (``promoted_from``).
"""

from __future__ import annotations

import marshal
from dataclasses import dataclass, field
from typing import Any

from flowctl._address import Address, EntityKind
from flowctl._errors import Diagnostic
from flowctl.plans._model import PlanWarning, PromotionStep
from flowctl.spec import Json, canonical_json, digest_of
from flowctl.spec._locations import strip_locations
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

    @classmethod
    def stored(cls, entity: StoredEntity) -> Entity:
        return cls(entity.kind, entity.project, entity.domain, entity.name, entity.version, entity.spec,
                   entity.digest, bundle_uri=entity.bundle_uri)


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
    steps: list[PromotionStep] = field(default_factory=list)
    warnings: list[PlanWarning] = field(default_factory=list)
    errors: list[Diagnostic] = field(default_factory=list)
    digests: DigestCache = field(default_factory=lambda: DigestCache())  # the JSON of every spec resolved

    def add(self, entity: Entity, *, replace: bool = False) -> None:
        """Want ``entity``; two different definitions of one address are an error (unless ``replace``)."""
        existing = self.entities.get(entity.key)
        if existing is not None and existing.digest != entity.digest and not replace:
            self.errors.append(Diagnostic(
                f"Two different definitions of {entity.address}",
                f"It is declared at {existing.source or '?'} and at {entity.source or '?'} with different content. "
                "Give one of them another name or register them at different versions.",
                source=entity.source, address=entity.address))
            return
        if existing is None or replace or (entity.promoted_from is None and existing.promoted_from is not None):
            self.entities[entity.key] = entity
            self.versions.setdefault(entity.key[:4], set()).add(entity.version)


class DigestCache:
    """Specs are frozen: their JSON and digest are computed once per object.

    ``stored``: the registered entity at the address the spec is planned for. When the spec's JSON
    is exactly the stored JSON, the stored digest is its digest: the digest is a function of the JSON
    alone, so an unchanged entity costs a comparison instead of stripping, sorting and hashing it.
    """

    def __init__(self) -> None:
        self._cache: dict[int, tuple[Any, dict[str, Json], str]] = {}

    def of(self, spec: Any, stored: StoredEntity | None = None) -> tuple[dict[str, Json], str]:
        hit = self._cache.get(id(spec))
        if hit is not None and hit[0] is spec:
            return hit[1], hit[2]
        payload = spec.to_json()
        if stored is not None and same_json(payload, stored.spec):
            digest = stored.digest
        else:
            digest = digest_of(strip_locations(payload))  # what Spec.digest() computes, from one dump
        self._cache[id(spec)] = (spec, payload, digest)
        return payload, digest

    def payload(self, spec: Any) -> dict[str, Json]:
        """``spec.to_json()``, from the cache when :meth:`of` made it."""
        hit = self._cache.get(id(spec))
        return hit[1] if hit is not None and hit[0] is spec else spec.to_json()


def same_json(a: Json, b: Json) -> bool:
    """``a`` and ``b`` are the same JSON document: the same canonical text, so the same digest.

    ``==`` alone is not enough: Python has ``1 == 1.0 == True`` and ``0.0 == -0.0``, canonical JSON
    does not. marshal's format 2 (no object references, so no dependence on object identity) writes
    the type of every value, floats bit for bit and dict items in order: equal bytes mean equal
    types, values and order, the common case of a spec read back from SQLite. When the bytes
    differ, the order of keys may (PostgreSQL's JSONB returns them in its own order): the canonical
    texts (sorted keys, C encoder) decide, and they tell the types apart as the digest does. A
    value that is not JSON (a ``Decimal``, a NaN) is reported unequal: it only costs the digest."""
    if a != b:
        return False
    try:
        if marshal.dumps(a, 2) == marshal.dumps(b, 2):
            return True
    except ValueError:
        return False
    try:
        return canonical_json(a) == canonical_json(b)
    except (TypeError, ValueError):
        return False


class SnapshotIndex:
    """Stored versions per (kind, project, domain, name), built once per plan."""

    def __init__(self, snapshot: RegistrySnapshot) -> None:
        self.snapshot = snapshot
        self._by_name: dict[tuple[EntityKind, str, str, str], list[StoredEntity]] = {}
        for key, entity in snapshot.entities.items():
            self._by_name.setdefault(key[:4], []).append(entity)

    def versions(self, kind: EntityKind, project: str, domain: str, name: str) -> list[StoredEntity]:
        return self._by_name.get((kind, project, domain, name), [])

    def running_version(self, project: str, domain: str, workflow: str, manifest_id: str) -> str | None:
        """The version of ``workflow`` that ``domain`` runs in the registry: the version of its active
        default launch plan, else the newest version registered (by this manifest, if any)."""
        stored = self.snapshot.active_launch_plans.get((project, domain, workflow))
        if stored is not None:
            return stored.version
        versions = self.versions(EntityKind.WORKFLOW, project, domain, workflow)
        mine = [e for e in versions if e.managed_by == manifest_id] or versions
        return max(mine, key=lambda e: (e.created_at, e.version)).version if mine else None
