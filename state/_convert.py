"""Conversions between table rows and the records of ``_interface`` (nothing above state/ sees a row)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from flowctl._address import EntityKind
from flowctl.state._browse import gc_paused
from flowctl.state._interface import ApplyRecord, LockRecord, StoredEntity
from flowctl.state._tables import EntityRow, table

_entities = table(EntityRow)

ENTITY_COLUMNS = (
    _entities.c.kind, _entities.c.project, _entities.c.domain, _entities.c.name, _entities.c.version,
    _entities.c.digest, _entities.c.spec, _entities.c.created_at, _entities.c.created_by,
    _entities.c.managed_by, _entities.c.bundle_uri,
)


_KINDS = {kind.value: kind for kind in EntityKind}

# On SQLite the spec and the creation time are read as text and parsed here: SQLAlchemy's JSON result
# processor costs a third more than json.loads itself, its SQLite DateTime processor (a regex, then
# UTCDateTime) five times datetime.fromisoformat, and a snapshot of 30,000 entities is mostly these.
SQLITE_ENTITY_COLUMNS = (*ENTITY_COLUMNS[:6], sa.type_coerce(_entities.c.spec, sa.Text),
                         sa.type_coerce(_entities.c.created_at, sa.Text), *ENTITY_COLUMNS[8:])


def entity_columns(dialect: str) -> tuple[Any, ...]:
    return SQLITE_ENTITY_COLUMNS if dialect == "sqlite" else ENTITY_COLUMNS


def entities_from_rows(rows: Any, dialect: str) -> list[StoredEntity]:
    """Rows of ``entity_columns(dialect)``."""
    with gc_paused():
        if dialect != "sqlite":
            return [entity_from_row(row) for row in rows]
        loads, kinds, when = json.loads, _KINDS, sqlite_utc
        return [
            StoredEntity(kinds[r[0]], r[1], r[2], r[3], r[4], r[5], loads(r[6]), when(r[7]), r[8], r[9], r[10])
            for r in rows
        ]


def sqlite_utc(text: str) -> datetime:
    """A timestamp as SQLite holds it (naive UTC text), aware: what ``UTCDateTime`` reads."""
    value = datetime.fromisoformat(text)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def entity_from_row(row: Any) -> StoredEntity:
    """A row of ``ENTITY_COLUMNS`` (positional, for speed: snapshots convert 10,000 of them)."""
    return StoredEntity(_KINDS[row[0]], row[1], row[2], row[3], row[4], row[5], row[6], row[7], row[8], row[9], row[10])


def apply_from_row(row: Any) -> ApplyRecord:
    return ApplyRecord(
        serial=row.serial, lineage=row.lineage, applied_at=row.applied_at, user=row.user, host=row.host,
        ci_run_url=row.ci_run_url, operation=row.operation, plan=row.plan, desired_state=row.desired_state,
        summary=row.summary,
    )


def lock_from_row(row: Any) -> LockRecord:
    return LockRecord(
        id=row.id, operation=row.operation, holder=row.holder, info=row.info, created_at=row.created_at,
        heartbeat_at=row.heartbeat_at, ttl_seconds=row.ttl_seconds,
    )
