"""Table models of the registry (SQLModel ``...Row`` classes), kept apart from the specs.

Nothing above ``state/`` sees these: the store converts rows to the records of ``_interface``.
Invariants live in the database as constraints (named, so migrations can refer to them):

- ``uq_entities_key``: one row per (kind, project, domain, name, version) — versions are immutable;
- ``uq_activation_one_active``: at most one active version per launch plan (project, domain, name);
- ``uq_executions_name``, ``uq_node_executions_node``, ``uq_attempts_attempt``, ``uq_cache_key``,
  ``uq_schedule_fire``: what the execution engine relies on when two controllers run;
- ``uq_signal_name``: a gate's signal is given once;
- ``uq_tokens_name``, ``uq_role_binding``: one token per name, one role per subject and scope.

Every change to these models needs an Alembic revision in ``state/migrations/versions``;
``tests/unit/state/test_migrations.py`` fails when models and migrations disagree.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from flowctl.state._types import UTCDateTime, json_type, utcnow

metadata = SQLModel.metadata
UNCLEANED = sa.text("cleaned_at IS NULL")  # ix_attempts_uncleaned's rows (migration 0005 says the same)


def _json(*, nullable: bool = False) -> Any:
    if nullable:
        return Field(default=None, sa_column=sa.Column(json_type(), nullable=True))
    return Field(default_factory=dict, sa_column=sa.Column(json_type(), nullable=False))


def _when(*, nullable: bool = False, index: bool = False) -> Any:
    if nullable:
        return Field(default=None, sa_column=sa.Column(UTCDateTime(), nullable=True, index=index))
    return Field(default_factory=utcnow, sa_column=sa.Column(UTCDateTime(), nullable=False, index=index))


# ---------------------------------------------------------------- registry
class MetaRow(SQLModel, table=True):
    """One row (id 1): the registry's lineage (a UUID set once), serial and schema version."""

    __tablename__: ClassVar[str] = "registry_meta"

    id: int = Field(default=1, primary_key=True)
    lineage: str
    serial: int = 0
    schema_version: str
    created_at: datetime = _when()


class ProjectRow(SQLModel, table=True):
    __tablename__: ClassVar[str] = "projects"

    name: str = Field(primary_key=True)
    description: str = ""
    labels: dict[str, str] = _json()
    spec: dict[str, Any] = _json()  # ProjectSpec.to_json()
    state: str = "active"  # "active" | "archived"
    managed_by: str = "manual"
    created_at: datetime = _when()
    updated_at: datetime = _when()


class DomainRow(SQLModel, table=True):
    """A domain of a project; ``settings`` holds its DomainSettingsSpec when one was applied."""

    __tablename__: ClassVar[str] = "domains"

    project: str = Field(primary_key=True)
    name: str = Field(primary_key=True)
    settings: dict[str, Any] | None = _json(nullable=True)
    managed_by: str = "manual"
    updated_at: datetime = _when()


class EntityRow(SQLModel, table=True):
    """An immutable version of a task, workflow or launch plan."""

    __tablename__: ClassVar[str] = "entities"
    __table_args__ = (
        sa.UniqueConstraint("kind", "project", "domain", "name", "version", name="uq_entities_key"),
        sa.Index("ix_entities_scope", "project", "domain", "kind", "name"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str  # EntityKind value
    project: str
    domain: str
    name: str
    version: str
    digest: str
    spec: dict[str, Any] = _json()
    created_at: datetime = _when()
    created_by: str = ""
    managed_by: str = "manual"
    bundle_uri: str | None = None


class ActivationRow(SQLModel, table=True):
    """The active version of a launch plan (drives its schedule)."""

    __tablename__: ClassVar[str] = "launch_plan_activations"
    __table_args__ = (sa.UniqueConstraint("project", "domain", "name", name="uq_activation_one_active"),)

    id: int | None = Field(default=None, primary_key=True)
    project: str
    domain: str
    name: str
    version: str
    activated_at: datetime = _when()
    managed_by: str = "manual"
    activated_by: str = ""  # the user who made ``version`` active (added in 0002)


class PromotionApprovalRow(SQLModel, table=True):
    """``flowctl promote --approve``: who approved which workflow version for which target domain."""

    __tablename__: ClassVar[str] = "promotion_approvals"
    __table_args__ = (
        sa.UniqueConstraint("project", "domain", "workflow", "version", "approved_by", name="uq_promotion_approval"),
    )

    id: int | None = Field(default=None, primary_key=True)
    project: str
    domain: str  # the target domain
    source_domain: str
    workflow: str
    version: str
    approved_by: str
    approved_at: datetime = _when()


class ApplyRow(SQLModel, table=True):
    """One entry of the apply history."""

    __tablename__: ClassVar[str] = "apply_history"

    id: int | None = Field(default=None, primary_key=True)
    serial: int = Field(index=True)
    lineage: str
    applied_at: datetime = _when()
    user: str
    host: str
    ci_run_url: str | None = None
    operation: str
    plan: dict[str, Any] = _json()
    desired_state: dict[str, Any] = _json()
    summary: str = ""


class LockRow(SQLModel, table=True):
    """A held lock, for visibility (``flowctl lock list``) and, on SQLite, the lock itself.

    ``name`` is unique: one row per named lock (``registry``). ``backend_pid`` is the PostgreSQL
    session holding the advisory lock (None on SQLite).
    """

    __tablename__: ClassVar[str] = "locks"
    __table_args__ = (sa.UniqueConstraint("name", name="uq_locks_name"),)

    id: str = Field(primary_key=True)
    name: str = Field(sa_column=sa.Column(sa.String(), nullable=False))
    operation: str
    holder: str
    info: str = ""
    created_at: datetime = _when()
    heartbeat_at: datetime = _when()
    ttl_seconds: int = 30
    backend_pid: int | None = None


# ---------------------------------------------------------------- executions
def _new_id() -> str:
    return uuid.uuid4().hex


class ExecutionRow(SQLModel, table=True):
    """One execution of a launch plan. ``name`` is unique per project/domain."""

    __tablename__: ClassVar[str] = "executions"
    __table_args__ = (
        sa.UniqueConstraint("project", "domain", "name", name="uq_executions_name"),
        sa.Index("ix_executions_phase", "phase"),
    )

    id: str = Field(default_factory=_new_id, primary_key=True)
    project: str
    domain: str
    name: str
    launch_plan_name: str
    launch_plan_version: str
    workflow_name: str
    workflow_version: str
    phase: str = "queued"
    inputs: dict[str, Any] = _json()
    outputs: dict[str, Any] | None = _json(nullable=True)
    error: dict[str, Any] | None = _json(nullable=True)
    created_at: datetime = _when()
    started_at: datetime | None = _when(nullable=True)
    finished_at: datetime | None = _when(nullable=True)
    created_by: str = ""
    parent_execution_id: str | None = Field(default=None, index=True)
    parent_node_id: str | None = None
    scheduled_at: datetime | None = _when(nullable=True)
    claimed_by: str | None = None
    claim_expires_at: datetime | None = _when(nullable=True)
    abort_requested: bool = False
    max_parallelism: int | None = None
    labels: dict[str, str] = _json()


class NodeExecutionRow(SQLModel, table=True):
    __tablename__: ClassVar[str] = "node_executions"
    __table_args__ = (sa.UniqueConstraint("execution_id", "node_id", name="uq_node_executions_node"),)

    id: int | None = Field(default=None, primary_key=True)
    execution_id: str = Field(foreign_key="executions.id")
    node_id: str
    phase: str = "queued"
    inputs: dict[str, Any] | None = _json(nullable=True)
    outputs: dict[str, Any] | None = _json(nullable=True)
    error: dict[str, Any] | None = _json(nullable=True)
    started_at: datetime | None = _when(nullable=True)
    finished_at: datetime | None = _when(nullable=True)
    cache_hit: bool = False
    retry_count: int = 0


class AttemptRow(SQLModel, table=True):
    """One attempt of a node (retries make more). ``error_kind`` is "user" or "system"."""

    __tablename__: ClassVar[str] = "attempts"
    __table_args__ = (
        sa.UniqueConstraint("execution_id", "node_id", "attempt", name="uq_attempts_attempt"),
        # the recovery sweep's and the drift check's: only the attempts whose cleanup is not recorded
        sa.Index("ix_attempts_uncleaned", "provider", "finished_at", "id", sqlite_where=UNCLEANED,
                 postgresql_where=UNCLEANED),
    )

    id: int | None = Field(default=None, primary_key=True)
    execution_id: str = Field(foreign_key="executions.id")
    node_id: str
    attempt: int
    phase: str = "queued"
    provider: str = ""
    handle: str | None = None
    started_at: datetime | None = _when(nullable=True)
    finished_at: datetime | None = _when(nullable=True)
    error_kind: str | None = None
    message: str | None = None
    outputs_uri: str | None = None
    log_uri: str | None = None
    cleaned_at: datetime | None = _when(nullable=True)  # its provider cleanup ran (logs kept, Job removed)


class CacheEntryRow(SQLModel, table=True):
    """A cached task result, scoped to one project and domain."""

    __tablename__: ClassVar[str] = "cache_entries"
    __table_args__ = (sa.UniqueConstraint("project", "domain", "cache_key", name="uq_cache_key"),)

    id: int | None = Field(default=None, primary_key=True)
    project: str
    domain: str
    cache_key: str
    outputs: dict[str, Any] = _json()
    created_at: datetime = _when()
    source_execution_id: str | None = None


class ScheduleFireRow(SQLModel, table=True):
    """A schedule fire claimed by a scheduler: the unique key makes each fire happen once."""

    __tablename__: ClassVar[str] = "schedule_fires"
    __table_args__ = (
        sa.UniqueConstraint("project", "domain", "launch_plan_name", "fire_time", name="uq_schedule_fire"),
    )

    id: int | None = Field(default=None, primary_key=True)
    project: str
    domain: str
    launch_plan_name: str
    fire_time: datetime = Field(sa_column=sa.Column(UTCDateTime(), nullable=False))
    execution_name: str | None = None
    created_at: datetime = _when()


class NotificationOutboxRow(SQLModel, table=True):
    """A notification waiting to be delivered (retried with backoff until ``delivered_at`` is set)."""

    __tablename__: ClassVar[str] = "notifications_outbox"
    __table_args__ = (sa.Index("ix_notifications_pending", "delivered_at", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    execution_id: str = Field(index=True)
    target: dict[str, Any] = _json()
    payload: dict[str, Any] = _json()
    attempts: int = 0
    next_attempt_at: datetime | None = _when(nullable=True)
    delivered_at: datetime | None = _when(nullable=True)
    last_error: str | None = None
    created_at: datetime = _when()


class SignalRow(SQLModel, table=True):
    """A value sent to a gate of an execution (``flowctl executions signal/approve``): set once per name."""

    __tablename__: ClassVar[str] = "signals"
    __table_args__ = (sa.UniqueConstraint("execution_id", "name", name="uq_signal_name"),)

    id: int | None = Field(default=None, primary_key=True)
    execution_id: str = Field(foreign_key="executions.id")
    name: str
    value: Any = Field(default=None, sa_column=sa.Column(json_type(), nullable=True))
    created_at: datetime = _when()
    created_by: str = ""


# ---------------------------------------------------------------- access control (0004)
class TokenRow(SQLModel, table=True):
    """An API token: ``id`` is the public lookup part of ``fct_<id>_<secret>``; only a salted
    scrypt hash of the secret is kept. Revoked tokens stay (``revoked_at``) for the audit trail."""

    __tablename__: ClassVar[str] = "tokens"
    __table_args__ = (sa.UniqueConstraint("name", name="uq_tokens_name"),)

    id: str = Field(primary_key=True)
    name: str = Field(sa_column=sa.Column(sa.String(), nullable=False))
    salt: str
    secret_hash: str
    created_at: datetime = _when()
    created_by: str = ""
    expires_at: datetime | None = _when(nullable=True)
    revoked_at: datetime | None = _when(nullable=True)
    last_used_at: datetime | None = _when(nullable=True)


class RoleBindingRow(SQLModel, table=True):
    """A role given to a subject (``token:NAME``, ``user:SUBJECT``, ``group:NAME``) on every project
    (project None), one project (domain None) or one project/domain."""

    __tablename__: ClassVar[str] = "role_bindings"
    __table_args__ = (sa.UniqueConstraint("subject", "project", "domain", name="uq_role_binding"),)

    id: int | None = Field(default=None, primary_key=True)
    subject: str = Field(index=True)
    role: str
    project: str | None = None
    domain: str | None = None
    created_at: datetime = _when()
    created_by: str = ""


class AuditRow(SQLModel, table=True):
    """One allowed write through the server: who, which operation (and its action), where, when, from where."""

    __tablename__: ClassVar[str] = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _when(index=True)
    identity: str
    identity_kind: str
    action: str
    operation: str
    address: str
    client: str = ""
    detail: str = ""


def table(row: type[SQLModel]) -> sa.Table:
    """The Core table of a row class (for bulk queries without ORM objects)."""
    result = row.__table__  # type: ignore[attr-defined]
    assert isinstance(result, sa.Table)
    return result


ALL_ROWS: tuple[type[SQLModel], ...] = (
    MetaRow, ProjectRow, DomainRow, EntityRow, ActivationRow, PromotionApprovalRow, ApplyRow, LockRow,
    ExecutionRow, NodeExecutionRow, AttemptRow, CacheEntryRow, ScheduleFireRow, NotificationOutboxRow, SignalRow,
    TokenRow, RoleBindingRow, AuditRow,
)
