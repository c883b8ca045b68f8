"""The registry's store interface, split by capability (Terraform's statemgr).

Everything above ``state/`` talks to the registry through these protocols and record types;
nothing above it sees a table row or SQL.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from flowctl._address import EntityKind
from flowctl.spec import Json

if TYPE_CHECKING:  # the records name the spec models; reading a listing (``flowctl get``) needs no pydantic
    from flowctl.spec import DomainSettingsSpec, ProjectSpec

EntityKey = tuple[EntityKind, str, str, str, str]  # kind, project, domain, name, version
LaunchPlanKey = tuple[str, str, str]  # project, domain, name
MANUAL = "manual"  # ``managed_by`` of what was written by hand, outside an apply: drift reports it
AD_HOC = "flowctl run --remote"  # ``managed_by`` of ad-hoc registrations for one execution: never drift


@dataclass(frozen=True)
class StoredEntity:
    """A registered, immutable version of a task, workflow or launch plan."""

    kind: EntityKind
    project: str
    domain: str
    name: str
    version: str
    digest: str
    spec: dict[str, Json]  # the spec's to_json(); parse with TaskSpec/WorkflowSpec/LaunchPlanSpec.model_validate
    created_at: datetime
    created_by: str
    managed_by: str  # manifest id, or "manual"
    bundle_uri: str | None = None  # code bundle of this version (not part of the digest)

    @property
    def key(self) -> EntityKey:
        return (self.kind, self.project, self.domain, self.name, self.version)


@dataclass(frozen=True)
class ProjectRecord:
    spec: ProjectSpec
    state: str  # "active" | "archived"
    managed_by: str


@dataclass(frozen=True)
class ActivationRecord:
    """The active version of a launch plan: since when (``activated_at``) and by whom it is active."""

    project: str
    domain: str
    name: str
    version: str
    activated_at: datetime
    managed_by: str
    activated_by: str = ""


@dataclass(frozen=True)
class ApprovalRecord:
    """``flowctl promote --approve``: ``approved_by`` approved ``workflow@version`` for ``domain``."""

    project: str
    domain: str  # the target domain
    source_domain: str
    workflow: str
    version: str
    approved_by: str
    approved_at: datetime


PromotionKey = tuple[str, str, str, str]  # project, domain, workflow, version


@dataclass(frozen=True)
class RegistrySnapshot:
    """Everything ``plan`` needs, read in one or a few queries.

    The promotion gates' inputs travel with it, so computing a plan stays pure:
    ``succeeded_executions`` counts succeeded executions per (project, domain, workflow, version);
    ``approvals`` holds the approvals per (project, target domain, workflow, version).
    """

    lineage: str
    serial: int
    projects: dict[str, ProjectRecord] = field(default_factory=dict)
    domain_settings: dict[tuple[str, str], DomainSettingsSpec] = field(default_factory=dict)
    entities: dict[EntityKey, StoredEntity] = field(default_factory=dict)
    active_launch_plans: dict[LaunchPlanKey, ActivationRecord] = field(default_factory=dict)
    succeeded_executions: dict[PromotionKey, int] = field(default_factory=dict)
    approvals: dict[PromotionKey, tuple[ApprovalRecord, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class RegisterItem:
    """One registration of ``RegistryTransaction.register_many``."""

    kind: EntityKind
    project: str
    domain: str
    name: str
    version: str
    spec: dict[str, Json]
    digest: str
    bundle_uri: str | None = None


@dataclass(frozen=True)
class RegisterResult:
    """``created`` False means the identical content was already there (a no-op)."""

    entity: StoredEntity
    created: bool


@dataclass(frozen=True)
class LockInfo:
    operation: str  # "apply", "promote", "migrate", ...
    holder: str  # user@host:pid
    info: str = ""


@dataclass(frozen=True)
class LockRecord:
    id: str
    operation: str
    holder: str
    info: str
    created_at: datetime
    heartbeat_at: datetime
    ttl_seconds: int


@dataclass(frozen=True)
class ApplyRecord:
    """One entry of the apply history: who applied what plan against which serial."""

    serial: int
    lineage: str
    applied_at: datetime
    user: str
    host: str
    ci_run_url: str | None
    operation: str  # "apply", "promote", "refresh-only"
    plan: dict[str, Any]
    desired_state: dict[str, Any]
    summary: str


@dataclass(frozen=True)
class RegistryInfo:
    """What ``flowctl registry info`` shows. (Added by the registry issue.)"""

    url: str  # password masked
    backend: str  # "sqlite" | "postgresql"
    schema_version: str
    schema_head: str  # the newest schema version this flowctl knows
    lineage: str
    serial: int
    counts: dict[str, int]  # projects, tasks, workflows, launch_plans, active_launch_plans, executions, ...


@dataclass(frozen=True)
class ExecutionSummary:
    """One execution as ``flowctl get executions`` lists it. (Added by the registry issue.)"""

    id: str
    project: str
    domain: str
    name: str
    launch_plan_name: str
    launch_plan_version: str
    workflow_name: str
    workflow_version: str
    phase: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    created_by: str


@dataclass(frozen=True)
class ProjectListing:
    """A project as ``flowctl get projects`` lists it: its spec and its domains' settings as stored JSON
    (``ProjectSpec.to_json()``, ``DomainSettingsSpec.to_json()`` by domain name): listing needs no models."""

    name: str
    state: str  # "active" | "archived"
    managed_by: str
    spec: dict[str, Json]
    domain_settings: dict[str, dict[str, Json]]


class RegistryBrowser(Protocol):
    """What ``flowctl get`` and ``flowctl registry info`` read: small listings, no snapshot.

    The SQL store, the light DB-API reader (``_browser``) and the remote store answer it alike."""

    def list_projects(self) -> Sequence[ProjectListing]: ...

    def active_launch_plans(self) -> Sequence[ActivationRecord]: ...

    def list_entities(self, kind: EntityKind | None = None, project: str | None = None, domain: str | None = None,
                      name: str | None = None, version: str | None = None) -> Sequence[StoredEntity]: ...

    def list_executions(self, project: str | None = None, domain: str | None = None, name: str | None = None, *,
                        limit: int = 100) -> Sequence[ExecutionSummary]: ...

    def info(self) -> RegistryInfo: ...

    def close(self) -> None: ...


class PlanSource(Protocol):
    """What ``flowctl plan`` reads: the snapshot, and who holds the registry lock.

    The SQL store, the light DB-API plan reader (``_browser``), the remote store and the empty
    registry of a first plan answer it alike."""

    def snapshot(self) -> RegistrySnapshot: ...

    def list_locks(self) -> Sequence[LockRecord]: ...

    def close(self) -> None: ...


class RegistryReader(Protocol):
    def snapshot(self) -> RegistrySnapshot: ...

    def get_entity(self, kind: EntityKind, project: str, domain: str, name: str, version: str) -> StoredEntity | None: ...

    def list_entities(
        self,
        kind: EntityKind | None = None,
        project: str | None = None,
        domain: str | None = None,
        name: str | None = None,
    ) -> Sequence[StoredEntity]: ...

    def last_apply(self) -> ApplyRecord | None: ...

    def apply_history(self, limit: int = 20) -> Sequence[ApplyRecord]: ...


class RegistryTransaction(Protocol):
    """Writes inside one database transaction; every write increments the serial once per commit."""

    def upsert_project(self, spec: ProjectSpec, *, managed_by: str) -> None: ...

    def archive_project(self, name: str) -> None: ...

    def upsert_domain_settings(self, spec: DomainSettingsSpec, *, managed_by: str) -> None: ...

    def register(
        self,
        kind: EntityKind,
        project: str,
        domain: str,
        name: str,
        version: str,
        spec: dict[str, Json],
        digest: str,
        *,
        managed_by: str,
        created_by: str,
        bundle_uri: str | None = None,
    ) -> RegisterResult:
        """Idempotent for identical content; raises ImmutabilityError (with a spec diff) otherwise."""
        ...

    def register_many(self, items: Sequence[RegisterItem], *, managed_by: str,
                      created_by: str) -> list[RegisterResult]:
        """``register`` for each item, in order, in a few round trips (apply registers thousands)."""
        ...

    def activate(self, project: str, domain: str, name: str, version: str, *, managed_by: str,
                 activated_by: str = "") -> None:
        """Make ``version`` the one active version of the launch plan (replacing any other)."""
        ...

    def activate_many(self, items: Sequence[tuple[str, str, str, str]], *, managed_by: str,
                      activated_by: str = "") -> None:
        """``activate(project, domain, name, version)`` for each item, in order, in a few round trips."""
        ...

    def deactivate(self, project: str, domain: str, name: str) -> None: ...

    def record_apply(self, record: ApplyRecord) -> None: ...


class RegistryWriter(Protocol):
    def transaction(self, *, expected_serial: int | None = None) -> AbstractContextManager[RegistryTransaction]:
        """A transaction; with ``expected_serial`` it fails (ApplyError "stale") if the serial moved."""
        ...


class Locker(Protocol):
    def lock(self, info: LockInfo, *, timeout: float = 0.0) -> AbstractContextManager[LockRecord]:
        """Hold the registry lock for the block (heartbeating); fail with LockError after ``timeout``."""
        ...

    def list_locks(self) -> Sequence[LockRecord]: ...

    def break_lock(self, lock_id: str) -> bool: ...


class Approver(Protocol):
    def record_approval(self, record: ApprovalRecord) -> bool:
        """Store an approval (idempotent per approver); True when it is new. Not a registry change:
        the serial does not move, as for executions, the other input of promotion gates."""
        ...


class Store(RegistryReader, RegistryWriter, Locker, Approver, Protocol):
    """A full registry backend (SQLite or PostgreSQL)."""

    url: str  # password masked

    def close(self) -> None: ...


class BrowsableStore(Store, RegistryBrowser, Protocol):
    """A Store that also answers ``flowctl get`` and ``flowctl registry info`` (the SQL store and the
    server's store API both do)."""

    def list_entities(self, kind: EntityKind | None = None, project: str | None = None, domain: str | None = None,
                      name: str | None = None, version: str | None = None) -> Sequence[StoredEntity]: ...


def iter_keys(snapshot: RegistrySnapshot) -> Iterator[EntityKey]:
    return iter(sorted(snapshot.entities, key=lambda k: (k[0].value, *k[1:])))
