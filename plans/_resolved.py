"""What resolving a DesiredState produces: concrete entities, activations and promotion steps.

Shared by ``_resolve`` (the walk over the desired state) and ``_promotion`` (``promoted_from``).
"""

from __future__ import annotations

import marshal
import math
from dataclasses import dataclass, field
from typing import Any

from flowctl._address import Address, EntityKind
from flowctl._errors import Diagnostic
from flowctl.plans._model import PlanWarning, PromotionStep
from flowctl.spec import Json, digest_of
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
        self._in_order = True  # the registry gives specs back with their keys in order (SQLite's JSON text)

    def _same(self, payload: Json, stored: Json) -> bool:
        """:func:`same_json`, first by marshal's bytes (format 2: no object references), which are equal
        when types, values and key order are (a few µs in C). A registry that reorders keys (JSONB)
        fails that every time: after the first such spec, only the walk of :func:`same_json` runs."""
        if payload != stored:
            return False
        if self._in_order:
            try:
                if marshal.dumps(payload, 2) == marshal.dumps(stored, 2):
                    return True
            except ValueError:  # not JSON (a Decimal): the digest decides
                return False
        same = _typed_equal(payload, stored)
        if same:
            self._in_order = False
        return same

    def of(self, spec: Any, stored: StoredEntity | None = None) -> tuple[dict[str, Json], str]:
        hit = self._cache.get(id(spec))
        if hit is not None and hit[0] is spec:
            return hit[1], hit[2]
        payload = spec.to_json()
        if stored is not None and self._same(payload, stored.spec):
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
    does not. Once ``==`` holds, the two documents have the same keys, lengths and values, so they
    differ canonically only where a value's type differs or a zero's sign does: :func:`_same_types`
    checks those, pairing dict items by key, so the order of keys (PostgreSQL's JSONB returns them
    in its own) does not matter. A value that is not plain JSON (a ``Decimal``, a tuple, a non-string
    key, an infinite float) is reported unequal: it only costs the digest, which decides."""
    return a == b and _typed_equal(a, b)


def _typed_equal(a: Json, b: Json) -> bool:
    """``a == b`` given: the same type (and sign of zero) at every place of both."""
    try:
        return type(a) is type(b) and _same_types(a, b)
    except (KeyError, TypeError, ValueError):  # not JSON: compared by the digest
        return False


def _same_types(a: Json, b: Json) -> bool:
    """``a == b`` and ``type(a) is type(b)``: the same type (and sign of zero) at every place of both.

    A key of ``b`` equals one of ``a``, which is checked to be a ``str``: so it is a string too."""
    if type(a) is dict:
        return all(type(key) is str and _same_value(value, b[key]) for key, value in a.items())
    if type(a) is list:
        return all(_same_value(value, other) for value, other in zip(a, b, strict=True))
    if type(a) is float:  # equal finite floats have one text, but for the sign of zero
        return math.isfinite(a) and (a != 0.0 or math.copysign(1.0, a) == math.copysign(1.0, b))
    return type(a) in _SCALARS


def _same_value(value: Json, other: Json) -> bool:
    """One item of a dict or list of :func:`_same_types`."""
    kind = type(value)
    if kind is not type(other):
        return False
    if kind is dict or kind is list or kind is float:
        return _same_types(value, other)
    return kind is str or kind is int or kind is bool or value is None


_SCALARS = frozenset({str, int, bool, type(None)})


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
