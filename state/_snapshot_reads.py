"""The reads of ``flowctl plan``: the registry snapshot and the lock listing, their SQL written once.

Two stores run these statements, as they do the listings of ``_browse``: :class:`~flowctl.state._store.SqlStore`
on the driver connection under its SQLAlchemy connection (so apply, promote and the server's store API
read the snapshot this way too), and the plan reader of ``_browser`` on a plain ``sqlite3`` /
``psycopg`` connection. A no-change ``flowctl plan`` then never imports SQLAlchemy or builds the table
models (about a third of its fixed cost).
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

from flowctl.state._browse import Sql, active_launch_plans, at, entity_of, gc_paused, json_value
from flowctl.state._interface import ApprovalRecord, LockRecord, ProjectRecord, PromotionKey, RegistrySnapshot

if TYPE_CHECKING:
    from flowctl.spec import DomainSettingsSpec

REGISTRY_LOCK = "registry"  # the name of the registry lock's row (``_locks``)
SUCCEEDED = "succeeded"  # the execution phase the promotion gates count
_LOCK_COLUMNS = "id, operation, holder, info, created_at, heartbeat_at, ttl_seconds"
# Sessions holding an advisory lock: pg_locks splits the bigint key in two (``key_halves``).
HOLDER_PIDS = ("SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1 "
               "AND classid::bigint = :hi AND objid::bigint = :lo")


def read_snapshot(sql: Sql) -> RegistrySnapshot:
    """Everything a plan compares against, in one read transaction."""
    from flowctl.spec import DomainSettingsSpec, ProjectSpec

    lineage, serial = sql.one("SELECT lineage, serial FROM registry_meta")
    projects = {name: ProjectRecord(ProjectSpec.model_validate(json_value(spec)), state, managed_by)
                for name, spec, state, managed_by in sql.rows("SELECT name, spec, state, managed_by FROM projects")}
    settings: dict[tuple[str, str], DomainSettingsSpec] = {
        (project, name): DomainSettingsSpec.model_validate(json_value(value))
        for project, name, value in sql.rows("SELECT project, name, settings FROM domains WHERE settings IS NOT NULL")}
    with gc_paused():
        entities = {entity.key: entity for entity in map(entity_of, sql.rows(
            "SELECT kind, project, domain, name, version, digest, spec, created_at, created_by, managed_by, bundle_uri "
            "FROM entities"))}
    active = {(a.project, a.domain, a.name): a for a in active_launch_plans(sql)}
    return RegistrySnapshot(lineage, serial, projects, settings, entities, active, succeeded_counts(sql),
                            read_approvals(sql))


def succeeded_counts(sql: Sql) -> dict[PromotionKey, int]:
    """Succeeded executions per (project, domain, workflow, version)."""
    return {(r[0], r[1], r[2], r[3]): int(r[4]) for r in sql.rows(
        "SELECT project, domain, workflow_name, workflow_version, COUNT(*) FROM executions WHERE phase = :phase "
        "GROUP BY project, domain, workflow_name, workflow_version", {"phase": SUCCEEDED})}


def read_approvals(sql: Sql) -> dict[PromotionKey, tuple[ApprovalRecord, ...]]:
    """Approvals per (project, target domain, workflow, version), oldest first."""
    found: dict[PromotionKey, list[ApprovalRecord]] = {}
    for project, domain, source, workflow, version, by, when in sql.rows(
            "SELECT project, domain, source_domain, workflow, version, approved_by, approved_at "
            "FROM promotion_approvals ORDER BY approved_at, id"):
        record = ApprovalRecord(project, domain, source, workflow, version, by, at(when))
        found.setdefault((project, domain, workflow, version), []).append(record)
    return {key: tuple(records) for key, records in found.items()}


def read_locks(sql: Sql) -> list[LockRecord]:
    """The held locks, oldest first. On PostgreSQL a row counts only while its session still holds the
    registry's advisory lock (the row of a session that died is stale: the server released the lock)."""
    if sql.backend != "postgresql":
        return [_lock(row) for row in sql.rows(f"SELECT {_LOCK_COLUMNS} FROM locks ORDER BY created_at")]
    key = advisory_key(sql.one("SELECT current_database() || '.' || current_schema()")[0])
    holders = {int(pid) for (pid,) in sql.rows(HOLDER_PIDS, key_halves(key))}
    rows = sql.rows(f"SELECT {_LOCK_COLUMNS}, backend_pid FROM locks ORDER BY created_at")
    return [_lock(row) for row in rows if row[7] is None or row[7] in holders]


def advisory_key(schema: str) -> int:
    """The signed 64-bit advisory lock key of the registry in ``database.schema``."""
    digest = hashlib.sha256(f"flowctl:{schema}:{REGISTRY_LOCK}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def key_halves(key: int) -> dict[str, int]:
    """The parameters of :data:`HOLDER_PIDS` for the advisory ``key``."""
    unsigned = key & 0xFFFFFFFFFFFFFFFF
    return {"hi": unsigned >> 32, "lo": unsigned & 0xFFFFFFFF}


def _lock(row: Sequence[object]) -> LockRecord:
    ttl = row[6]
    assert isinstance(ttl, int)
    return LockRecord(str(row[0]), str(row[1]), str(row[2]), str(row[3]), at(row[4]), at(row[5]), ttl)


class SnapshotReading(ABC):
    """``snapshot`` and ``list_locks`` over :meth:`_browse` (a cursor in one read transaction)."""

    @abstractmethod
    def _browse(self) -> AbstractContextManager[Sql]:
        """A cursor in one read transaction: the store's own connection or the DB-API driver's."""

    def snapshot(self) -> RegistrySnapshot:
        with self._browse() as sql:
            return read_snapshot(sql)

    def list_locks(self) -> Sequence[LockRecord]:
        with self._browse() as sql:
            sql.action = "read the locks of"
            return read_locks(sql)
