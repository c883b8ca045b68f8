"""The statements of a pass's write: the ownership check, and on PostgreSQL the whole write as one.

**Ownership.** A pass writes only while its controller holds the execution. The check is the
statement that also starts the execution (``started_at``) or ends it (a :class:`Finish`): an
UPDATE whose ``claimed_by`` condition is the check, ``RETURNING id``; a plain SELECT otherwise.

**One statement on PostgreSQL.** There every statement is a round trip, and a pass's write was six:
BEGIN, the ownership check, the node upsert, the attempt updates, the attempt inserts, COMMIT.
The same writes as one ``WITH ... SELECT`` are atomic (a statement is its own transaction) and run
as PostgreSQL runs data-modifying CTEs: each once, to completion, on one snapshot. Every write is
gated on the ownership CTE, so a controller that lost its claim writes nothing::

    WITH own AS (UPDATE executions ... WHERE id = :x_id AND claimed_by = :x_owner RETURNING id),
         nodes_written AS (INSERT INTO node_executions ... SELECT ... FROM jsonb_to_recordset(:n_rows) ...
                           WHERE EXISTS (SELECT id FROM own) ON CONFLICT ... DO UPDATE ...),
         attempts_updated AS (UPDATE attempts ... FROM jsonb_to_recordset(:a_rows) ... WHERE ... AND EXISTS (...)),
         attempts_inserted AS (INSERT INTO attempts ... ON CONFLICT DO NOTHING RETURNING ...)
    SELECT (SELECT count(*) FROM own) AS owned, ..., (SELECT json_agg(...) FROM attempts_inserted)

The rows of each kind travel as one JSON parameter (``jsonb_to_recordset``), so the statement is
the same for any number of rows: SQLAlchemy compiles it once per combination of kinds and
PostgreSQL prepares it once. SQLite has no data-modifying CTEs (and no round trips): it keeps the
transaction of statements.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import insert as pg_insert

from flowctl.spec import Json
from flowctl.state._execution_records import ACTIVE_PHASES, AttemptRecord, NodeRecord
from flowctl.state._tables import AttemptRow, ExecutionRow, NodeExecutionRow, table

EXECUTIONS = table(ExecutionRow)
NODES = table(NodeExecutionRow)
ATTEMPTS = table(AttemptRow)
NODE_FIELDS = tuple(NodeRecord.__dataclass_fields__)
ATTEMPT_FIELDS = tuple(AttemptRecord.__dataclass_fields__)
Ownership = Literal["select", "start", "finish", "start_finish"]


@dataclass(frozen=True)
class Finish:
    """How an execution ends: its terminal phase, outputs or error, and the notifications it queues."""

    phase: str
    outputs: dict[str, Json] | None
    error: dict[str, Json] | None
    now: datetime
    notifications: tuple[tuple[dict[str, Json], dict[str, Json]], ...] = ()


def ownership_of(execution_id: str, owner: str, started_at: datetime | None,
                 finish: Finish | None) -> tuple[Ownership, dict[str, Any]]:
    """Which ownership statement a write needs, and its parameters."""
    params: dict[str, Any] = {"x_id": execution_id, "x_owner": owner}
    if started_at is not None:
        params["x_started"] = started_at
    if finish is not None:
        params.update(f_phase=finish.phase, f_outputs=finish.outputs, f_error=finish.error, f_now=finish.now)
        return ("finish" if started_at is None else "start_finish"), params
    return ("select" if started_at is None else "start"), params


@cache
def ownership_statement(kind: Ownership) -> Any:
    """The execution's ``id`` if ``x_owner`` holds it, in the statement that starts or ends it."""
    x = EXECUTIONS.c
    mine = sa.and_(x.id == sa.bindparam("x_id"), x.claimed_by == sa.bindparam("x_owner"))
    if kind == "select":
        return sa.select(x.id).where(mine)
    queued = x.phase == "queued"
    started = sa.case((queued, sa.bindparam("x_started", type_=x.started_at.type)), else_=x.started_at)
    values: dict[str, Any] = {"started_at": started} if kind in ("start", "start_finish") else {}
    if kind == "start":
        return EXECUTIONS.update().where(mine).values(phase=sa.case((queued, "running"), else_=x.phase),
                                                      **values).returning(x.id)
    return (EXECUTIONS.update().where(mine, x.phase.in_(ACTIVE_PHASES))
            .values(phase=sa.bindparam("f_phase"), outputs=sa.bindparam("f_outputs", type_=x.outputs.type),
                    error=sa.bindparam("f_error", type_=x.error.type),
                    finished_at=sa.bindparam("f_now", type_=x.finished_at.type), claimed_by=None,
                    claim_expires_at=None, **values)
            .returning(x.id))


def one_write(kind: Ownership, params: dict[str, Any], *, nodes: Sequence[NodeRecord],
              attempts: Sequence[AttemptRecord], new_attempts: Sequence[AttemptRecord]) -> tuple[Any, dict[str, Any]]:
    """The statement and its parameters; its one row says ``owned`` (0: nothing was written) and
    ``inserted``: a JSON list of ``[node_id, attempt]`` of the new attempts that did not exist yet.
    ``kind`` and ``params``: from :func:`ownership_of`. The rows of each kind are one JSON parameter."""
    values = dict(params)
    for key, fields, records in (("n_rows", NODE_FIELDS, nodes), ("a_rows", ATTEMPT_FIELDS, attempts),
                                 ("i_rows", ATTEMPT_FIELDS, new_attempts)):
        if records:
            values[key] = [{f: _plain(getattr(r, f)) for f in fields} for r in records]
    return _statement(kind, bool(nodes), bool(attempts), bool(new_attempts)), values


def inserted_of(row: Any, new_attempts: Sequence[AttemptRecord]) -> list[AttemptRecord]:
    """The new attempts the statement inserted (``row``: its result row)."""
    made = {(str(node), int(number)) for node, number in (row._mapping.get("inserted") or [])}
    return [attempt for attempt in new_attempts if (attempt.node_id, attempt.attempt) in made]


@cache
def _statement(kind: Ownership, nodes: bool, attempts: bool, new_attempts: bool) -> Any:
    own = ownership_statement(kind).cte("own")
    gate = sa.exists(sa.select(own.c.id))
    written: list[sa.ColumnElement[Any]] = [_count(own).label("owned")]
    execution = sa.bindparam("x_id", type_=NODES.c.execution_id.type)
    if nodes:
        rows = _rows(NODES, NODE_FIELDS, "n_rows")
        insert = pg_insert(NODES).from_select(
            ["execution_id", *NODE_FIELDS], sa.select(execution, *(rows.c[f] for f in NODE_FIELDS)).where(gate))
        upsert = insert.on_conflict_do_update(
            index_elements=["execution_id", "node_id"],
            set_={f: insert.excluded[f] for f in NODE_FIELDS if f != "node_id"},
        ).returning(NODES.c.id)
        written.append(_count(upsert.cte("nodes_written")).label("nodes"))
    a = ATTEMPTS.c
    if attempts:
        rows = _rows(ATTEMPTS, ATTEMPT_FIELDS, "a_rows")
        update = (
            ATTEMPTS.update()
            .where(a.execution_id == execution, a.node_id == rows.c.node_id, a.attempt == rows.c.attempt, gate)
            .values({f: rows.c[f] for f in ATTEMPT_FIELDS if f not in ("node_id", "attempt")})
            .returning(a.id)
        )
        written.append(_count(update.cte("attempts_updated")).label("attempts"))
    if new_attempts:
        rows = _rows(ATTEMPTS, ATTEMPT_FIELDS, "i_rows")
        made = pg_insert(ATTEMPTS).from_select(
            ["execution_id", *ATTEMPT_FIELDS],
            sa.select(execution, *(rows.c[f] for f in ATTEMPT_FIELDS)).where(gate),
        ).on_conflict_do_nothing(index_elements=["execution_id", "node_id", "attempt"]).returning(
            a.node_id, a.attempt).cte("attempts_inserted")
        pairs = sa.func.json_agg(sa.func.json_build_array(made.c.node_id, made.c.attempt))
        written.append(sa.select(pairs).scalar_subquery().label("inserted"))
    return sa.select(*written)


def _count(cte: sa.CTE) -> sa.ScalarSelect[Any]:
    return sa.select(sa.func.count()).select_from(cte).scalar_subquery()


def _rows(table_: sa.Table, fields: tuple[str, ...], name: str) -> Any:
    """``jsonb_to_recordset(:name) AS name(field type, ...)``: the rows of one JSON parameter, each
    field typed as its column."""
    columns = [sa.column(f, table_.c[f].type) for f in fields]
    rows = sa.func.jsonb_to_recordset(sa.bindparam(name, type_=JSONB))
    return rows.table_valued(*columns).render_derived(name=name, with_types=True)


def _plain(value: object) -> object:
    """A field as JSON: datetimes as ISO text with their offset (naive ones are UTC, as UTCDateTime takes them)."""
    if isinstance(value, datetime):
        return (value.replace(tzinfo=UTC) if value.tzinfo is None else value).isoformat()
    return value
