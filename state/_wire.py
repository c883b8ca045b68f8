"""The store interface's records as JSON documents: what the remote store and the server exchange.

Pydantic models for every request and response of the store API (``/api/v1/store``); the record
dataclasses of ``_interface`` travel as they are (pydantic validates dataclasses), only the
snapshot's tuple-keyed maps become lists. A registry write transaction is one request: its
operations in order (:class:`TransactionRequest`), executed in one server-side transaction.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from flowctl._address import Address, EntityKind
from flowctl.spec import DomainSettingsSpec, ProjectSpec
from flowctl.state._execution_records import (
    AttemptRecord,
    ExecutionRecord,
    NewExecution,
    NodeRecord,
    ScheduleFire,
    StoredSpec,
)
from flowctl.state._interface import (
    ActivationRecord,
    ApplyRecord,
    ApprovalRecord,
    ExecutionSummary,
    LockRecord,
    ProjectRecord,
    RegisterItem,
    RegisterResult,
    RegistryInfo,
    RegistrySnapshot,
    StoredEntity,
)


class Wire(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# ---------------------------------------------------------------- reads
class SnapshotDoc(Wire):
    lineage: str
    serial: int
    projects: list[ProjectRecord] = []
    domain_settings: list[DomainSettingsSpec] = []
    entities: list[StoredEntity] = []
    active_launch_plans: list[ActivationRecord] = []
    succeeded_executions: list[tuple[str, str, str, str, int]] = []
    approvals: list[ApprovalRecord] = []

    @classmethod
    def of(cls, snap: RegistrySnapshot) -> SnapshotDoc:
        settings = [s.model_copy(update={"project": p, "domain": d}) for (p, d), s in snap.domain_settings.items()]
        return cls.model_construct(
            lineage=snap.lineage, serial=snap.serial, projects=list(snap.projects.values()),
            domain_settings=settings, entities=list(snap.entities.values()),
            active_launch_plans=list(snap.active_launch_plans.values()),
            succeeded_executions=[(*key, n) for key, n in snap.succeeded_executions.items()],
            approvals=[a for records in snap.approvals.values() for a in records],
        )

    def to_snapshot(self) -> RegistrySnapshot:
        approvals: dict[tuple[str, str, str, str], list[ApprovalRecord]] = {}
        for a in self.approvals:
            approvals.setdefault((a.project, a.domain, a.workflow, a.version), []).append(a)
        return RegistrySnapshot(
            self.lineage, self.serial,
            projects={r.spec.name: r for r in self.projects},
            domain_settings={(s.project, s.domain): s for s in self.domain_settings},
            entities={e.key: e for e in self.entities},
            active_launch_plans={(a.project, a.domain, a.name): a for a in self.active_launch_plans},
            succeeded_executions={(p, d, w, v): n for p, d, w, v, n in self.succeeded_executions},
            approvals={key: tuple(records) for key, records in approvals.items()},
        )


# ``ProjectRecord.spec`` names ProjectSpec, which ``_interface`` imports for type checking only
# (listing projects needs no pydantic): resolve it here, whatever was imported first.
SnapshotDoc.model_rebuild(_types_namespace={"ProjectSpec": ProjectSpec, "DomainSettingsSpec": DomainSettingsSpec})


class EntitiesDoc(Wire):
    items: list[StoredEntity]


class EntityDoc(Wire):
    entity: StoredEntity | None


class HistoryDoc(Wire):
    items: list[ApplyRecord]


class ExecutionSummariesDoc(Wire):
    items: list[ExecutionSummary]


class InfoDoc(Wire):
    info: RegistryInfo


# ---------------------------------------------------------------- the write transaction
class UpsertProject(Wire):
    op: Literal["upsert_project"] = "upsert_project"
    spec: ProjectSpec
    managed_by: str


class ArchiveProject(Wire):
    op: Literal["archive_project"] = "archive_project"
    name: str


class UpsertDomainSettings(Wire):
    op: Literal["upsert_domain_settings"] = "upsert_domain_settings"
    spec: DomainSettingsSpec
    managed_by: str


class RegisterMany(Wire):
    """``register`` (one item) and ``register_many``: each returns its results in order."""

    op: Literal["register_many"] = "register_many"
    items: list[RegisterItem]
    managed_by: str
    created_by: str


class ActivateMany(Wire):
    """``activate`` (one item) and ``activate_many``: (project, domain, name, version) each."""

    op: Literal["activate_many"] = "activate_many"
    items: list[tuple[str, str, str, str]]
    managed_by: str
    activated_by: str = ""


class Deactivate(Wire):
    op: Literal["deactivate"] = "deactivate"
    project: str
    domain: str
    name: str


class RecordApply(Wire):
    op: Literal["record_apply"] = "record_apply"
    record: ApplyRecord


Op = Annotated[UpsertProject | ArchiveProject | UpsertDomainSettings | RegisterMany | ActivateMany | Deactivate
               | RecordApply, Field(discriminator="op")]


class TransactionRequest(Wire):
    """One registry write transaction: every operation, in order, committed together or not at all.

    ``lock_id``: the registry lock (from ``POST /store/locks``) this transaction runs under; the
    server checks inside the transaction that it still holds it, as a direct apply does."""

    expected_serial: int | None = None
    lock_id: str | None = None
    ops: list[Op] = []

    def scopes(self) -> Iterator[tuple[str, str | None]]:
        """The (project, domain) each operation touches (domain None: the whole project), for access control."""
        for op in self.ops:
            if isinstance(op, UpsertProject):
                yield op.spec.name, None
            elif isinstance(op, ArchiveProject):
                yield op.name, None
            elif isinstance(op, UpsertDomainSettings):
                yield op.spec.project, op.spec.domain
            elif isinstance(op, RegisterMany):
                yield from ((i.project, i.domain) for i in op.items)
            elif isinstance(op, ActivateMany):
                yield from ((p, d) for p, d, _, _ in op.items)
            elif isinstance(op, Deactivate):
                yield op.project, op.domain

    def addresses(self) -> Iterator[str]:
        """What each operation writes, as addresses (``project``, ``project/domain``,
        ``project/domain/kind/name@version``), in order: what the audit log records of the transaction."""
        for op in self.ops:
            if isinstance(op, RegisterMany):
                yield from (str(Address.entity(i.kind, i.project, i.domain, i.name, i.version)) for i in op.items)
            elif isinstance(op, ActivateMany):
                yield from (str(Address.entity(EntityKind.LAUNCH_PLAN, p, d, n, v)) for p, d, n, v in op.items)
            elif isinstance(op, Deactivate):
                yield str(Address.entity(EntityKind.LAUNCH_PLAN, op.project, op.domain, op.name))
            elif isinstance(op, UpsertDomainSettings):
                yield f"{op.spec.project}/{op.spec.domain}"
            elif isinstance(op, UpsertProject | ArchiveProject):
                yield op.spec.name if isinstance(op, UpsertProject) else op.name


class TransactionResult(Wire):
    """The registry's serial after the commit, and each operation's registrations (empty for others)."""

    serial: int
    results: list[list[RegisterResult]]


# ---------------------------------------------------------------- locks and approvals
class LockRequest(Wire):
    operation: str
    holder: str
    info: str = ""
    timeout: float = Field(0.0, ge=0, le=3600)
    ttl: int | None = Field(None, ge=1, le=3600)


class LockDoc(Wire):
    lock: LockRecord


class LocksDoc(Wire):
    items: list[LockRecord]


class DoneDoc(Wire):
    """The answer of an operation that may find nothing to do (a lock already gone, an approval already there)."""

    done: bool


class BundleDoc(Wire):
    uri: str


class ApprovalRequest(Wire):
    record: ApprovalRecord


def dump(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json")


# ---------------------------------------------------------------- executions (launch, executions list|get|abort|...)
class StoredSpecDoc(Wire):
    spec: StoredSpec | None


class VersionDoc(Wire):
    version: str | None


class ExecutionDoc(Wire):
    execution: ExecutionRecord | None


class ExecutionsDoc(Wire):
    items: list[ExecutionRecord]


class NodesDoc(Wire):
    nodes: dict[str, NodeRecord]


class AttemptsDoc(Wire):
    attempts: dict[str, list[AttemptRecord]]


class LogDoc(Wire):
    """One attempt's log as ``flowctl executions logs`` shows it (``note``: why there is no text)."""

    text: str
    note: str = ""


class FiresDoc(Wire):
    items: list[ScheduleFire]


class CreateExecutionRequest(Wire):
    """``create_execution``; the server checks ``new`` against the launch plan again, as a launch does."""

    new: NewExecution
    recover_from: str | None = None


# ---------------------------------------------------------------- gates, decks, backfill (executions signal|approve|show --deck, backfill)
class SignalRequest(Wire):
    """``flowctl executions signal|approve``: the server parses ``text`` against the gate, as the CLI would."""

    text: str
    approve: bool = False
    actor: str = ""


class SignalDoc(Wire):
    """The value a gate was given (``state._signals.SignalRecord``)."""

    name: str
    value: Any
    created_at: datetime
    created_by: str


class DecksDoc(Wire):
    """Node id -> the URI of its newest report (``flowctl executions show --deck``)."""

    decks: dict[str, str]


class DeckDoc(Wire):
    html: str


class BackfillRequest(Wire):
    start: datetime
    end: datetime
    version: str | None = None


class FiredTime(Wire):
    """One due time of a backfill (``flowctl.engine.Fire``): ``created`` False when it had fired already."""

    project: str
    domain: str
    launch_plan: str
    fire_time: datetime
    execution_name: str | None
    created: bool


class BackfillDoc(Wire):
    items: list[FiredTime]
