"""An in-memory registry that follows the state/_interface.py contract, for pure plan/apply tests."""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from flowctl._address import EntityKind
from flowctl._errors import ApplyError, ImmutabilityError, LockError
from flowctl.spec import DomainSettingsSpec, Json, ProjectSpec
from flowctl.state._interface import (
    ActivationRecord,
    ApplyRecord,
    ApprovalRecord,
    LockInfo,
    LockRecord,
    ProjectRecord,
    RegisterItem,
    RegisterResult,
    RegistrySnapshot,
    StoredEntity,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass
class _Data:
    serial: int = 0
    projects: dict[str, ProjectRecord] = field(default_factory=dict)
    settings: dict[tuple[str, str], DomainSettingsSpec] = field(default_factory=dict)
    entities: dict[tuple[EntityKind, str, str, str, str], StoredEntity] = field(default_factory=dict)
    active: dict[tuple[str, str, str], ActivationRecord] = field(default_factory=dict)
    history: list[ApplyRecord] = field(default_factory=list)
    successes: dict[tuple[str, str, str, str], int] = field(default_factory=dict)
    approvals: dict[tuple[str, str, str, str], tuple[ApprovalRecord, ...]] = field(default_factory=dict)
    now: datetime = T0  # the clock of activations (tests move it to test soak times)


class MemTransaction:
    def __init__(self, data: _Data, clock: int) -> None:
        self.data = data
        self.wrote = False
        self.clock = clock

    def upsert_project(self, spec: ProjectSpec, *, managed_by: str) -> None:
        self.wrote = True
        self.data.projects[spec.name] = ProjectRecord(spec, "active", managed_by)

    def archive_project(self, name: str) -> None:
        self.wrote = True
        self.data.projects[name] = replace(self.data.projects[name], state="archived")

    def upsert_domain_settings(self, spec: DomainSettingsSpec, *, managed_by: str) -> None:
        self.wrote = True
        self.data.settings[(spec.project, spec.domain)] = spec

    def register(self, kind: EntityKind, project: str, domain: str, name: str, version: str, spec: dict[str, Json],
                 digest: str, *, managed_by: str, created_by: str, bundle_uri: str | None = None) -> RegisterResult:
        key = (kind, project, domain, name, version)
        existing = self.data.entities.get(key)
        if existing is not None:
            if existing.digest != digest:
                raise ImmutabilityError(f"{key} exists with different content")
            return RegisterResult(existing, False)
        self.wrote = True
        entity = StoredEntity(kind, project, domain, name, version, digest, copy.deepcopy(spec),
                              T0.replace(second=self.clock % 60, minute=self.clock // 60 % 60), created_by,
                              managed_by, bundle_uri)
        self.data.entities[key] = entity
        return RegisterResult(entity, True)

    def register_many(self, items: Sequence[RegisterItem], *, managed_by: str,
                      created_by: str) -> list[RegisterResult]:
        return [self.register(i.kind, i.project, i.domain, i.name, i.version, i.spec, i.digest, managed_by=managed_by,
                              created_by=created_by, bundle_uri=i.bundle_uri) for i in items]

    def activate_many(self, items: Sequence[tuple[str, str, str, str]], *, managed_by: str,
                      activated_by: str = "") -> None:
        for project, domain, name, version in items:
            self.activate(project, domain, name, version, managed_by=managed_by, activated_by=activated_by)

    def activate(self, project: str, domain: str, name: str, version: str, *, managed_by: str,
                 activated_by: str = "") -> None:
        if (EntityKind.LAUNCH_PLAN, project, domain, name, version) not in self.data.entities:
            raise ApplyError(f"launch plan {project}/{domain}/{name}@{version} is not registered")
        self.wrote = True
        before = self.data.active.get((project, domain, name))
        if before is not None and before.version == version:
            self.data.active[(project, domain, name)] = replace(before, managed_by=managed_by)
            return
        self.data.active[(project, domain, name)] = ActivationRecord(project, domain, name, version,
                                                                     self.data.now, managed_by, activated_by)

    def deactivate(self, project: str, domain: str, name: str) -> None:
        self.wrote = True
        self.data.active.pop((project, domain, name), None)

    def record_apply(self, record: ApplyRecord) -> None:
        self.wrote = True
        self.data.history.append(replace(record, serial=self.data.serial + 1, lineage="mem-lineage"))


class MemStore:
    url = "memory://"

    def __init__(self) -> None:
        self.data = _Data()
        self.locked_by: str | None = None
        self.fail_on: str | None = None  # an address: the transaction raises when it reaches it
        self.clock = 0

    def snapshot(self) -> RegistrySnapshot:
        d = self.data
        return RegistrySnapshot("mem-lineage", d.serial, dict(d.projects), dict(d.settings), dict(d.entities),
                                dict(d.active), dict(d.successes), dict(d.approvals))

    def record_approval(self, record: ApprovalRecord) -> bool:
        key = (record.project, record.domain, record.workflow, record.version)
        known = self.data.approvals.get(key, ())
        if any(a.approved_by == record.approved_by for a in known):
            return False
        self.data.approvals[key] = (*known, record)
        return True

    def get_entity(self, kind: EntityKind, project: str, domain: str, name: str, version: str) -> StoredEntity | None:
        return self.data.entities.get((kind, project, domain, name, version))

    def list_entities(self, kind: EntityKind | None = None, project: str | None = None, domain: str | None = None,
                      name: str | None = None) -> Sequence[StoredEntity]:
        return list(self.data.entities.values())

    def last_apply(self) -> ApplyRecord | None:
        return self.data.history[-1] if self.data.history else None

    def apply_history(self, limit: int = 20) -> Sequence[ApplyRecord]:
        return list(reversed(self.data.history))[:limit]

    @contextmanager
    def transaction(self, *, expected_serial: int | None = None) -> Iterator[MemTransaction]:
        if expected_serial is not None and expected_serial != self.data.serial:
            raise ApplyError(f"Plan is stale (serial {expected_serial} -> {self.data.serial})")
        work = copy.deepcopy(self.data)
        self.clock += 1
        tx = MemTransaction(work, self.clock)
        yield tx
        if tx.wrote:
            work.serial += 1
        self.data = work

    @contextmanager
    def lock(self, info: LockInfo, *, timeout: float = 0.0) -> Iterator[LockRecord]:
        if self.locked_by is not None:
            raise LockError(f"The registry is locked by {self.locked_by}")
        self.locked_by = info.holder
        try:
            yield LockRecord("1", info.operation, info.holder, info.info, T0, T0, 60)
        finally:
            self.locked_by = None

    def list_locks(self) -> Sequence[LockRecord]:
        return []

    def break_lock(self, lock_id: str) -> bool:
        return False

    def close(self) -> None:
        pass
