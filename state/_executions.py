"""The execution store: executions, node executions, attempts, cache, schedule fires, outbox.

What the controller, the scheduler and the ``launch``/``executions`` commands read and write.
Guarantees come from the database, not from Python, so several controllers can share one registry:

- **claims**: a controller owns an execution while ``claimed_by`` is its id and the lease
  (``claim_expires_at``) runs; it renews the lease every pass. PostgreSQL claims with
  ``FOR UPDATE SKIP LOCKED``; SQLite with one atomic ``UPDATE ... WHERE claimed_by IS NULL OR
  claim_expires_at < now`` (its writes are serialised anyway). A killed controller's executions
  are taken over when the lease ends.
- **attempts**: ``uq_attempts_attempt`` makes attempt *n* of a node exist once, so even a
  controller that lost its lease without noticing cannot start the same attempt twice.
- **schedule fires**: ``uq_schedule_fire`` makes each due time of a launch plan fire once; the fire
  row and its execution are written in one transaction, with a deterministic execution name.
- **cache**: ``uq_cache_key`` per project/domain.

No row leaves this module: callers get the frozen records below.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from flowctl import _names
from flowctl._errors import InputError
from flowctl._redact import mask_url
from flowctl.spec import Json
from flowctl.state._browse import Sql, password_of
from flowctl.state._engine import IMMEDIATE, Conflict, translate_errors, write_transaction
from flowctl.state._execution_access import ExecutionAccess
from flowctl.state._execution_reads import ExecutionReading
from flowctl.state._execution_records import (
    ACTIVE_PHASES,
    TERMINAL_PHASES,
    ActiveSchedule,
    AttemptRecord,
    ExecutionRecord,
    NewExecution,
    NodeRecord,
    OutboxRecord,
    ScheduleFire,
    StoredSpec,
    UncleanedAttempt,
    _attempt,
    _execution,
    _node,
    _node_values,
)
from flowctl.state._pass_write import Finish, inserted_of, one_write, ownership_of, ownership_statement
from flowctl.state._signals import SignalRecord, SignalsMixin
from flowctl.state._tables import (
    ActivationRow,
    AttemptRow,
    CacheEntryRow,
    DomainRow,
    EntityRow,
    ExecutionRow,
    NodeExecutionRow,
    NotificationOutboxRow,
    ScheduleFireRow,
    table,
)
from flowctl.state._types import utcnow
from flowctl.state._wakeups import Listener, listen, notify_statement, ring_folder, wakeup_folder

EXECUTIONS = table(ExecutionRow)
NODES = table(NodeExecutionRow)
ATTEMPTS = table(AttemptRow)
CACHE = table(CacheEntryRow)
FIRES = table(ScheduleFireRow)
OUTBOX = table(NotificationOutboxRow)
ENTITIES = table(EntityRow)
ACTIVATIONS = table(ActivationRow)
DOMAINS = table(DomainRow)


_ATTEMPT_FIELDS = tuple(AttemptRecord.__dataclass_fields__)
MARK_BATCH = 2000  # attempts per UPDATE of ``mark_cleaned`` (three bound parameters each)
PassRows = tuple[ExecutionRecord, dict[str, NodeRecord], dict[str, list[AttemptRecord]]]


# ---------------------------------------------------------------- the store
class ExecutionStore(ExecutionReading, SignalsMixin):
    """Executions and everything the engine keeps about them. Thread-safe (one engine, short transactions).

    Gate signals: ``set_signal`` / ``signals`` (``state/_signals.py``). The reads of the execution
    commands (``get_execution``, ``find_executions``, ``list_executions``, ``load_nodes``,
    ``load_attempts``, ``get_spec``) are the SQL of ``_execution_reads``, which the light reader runs too."""

    def __init__(self, engine: Engine, url: str) -> None:
        self.engine = engine
        self._raw_url = url
        self.url = mask_url(url)  # for display: the password never leaves
        self.backend = engine.dialect.name
        self._node_upsert: Any = None  # statements built once (building ON CONFLICT clauses is not free)
        self._attempt_insert: Any = None
        self._attempt_update: Any = None
        self._local = threading.local()  # the connection :meth:`connection` holds, per thread

    # ------------------------------------------------------------ plumbing
    @contextmanager
    def connection(self) -> Iterator[None]:
        """Run this thread's store calls inside the block on one connection (a controller step).

        Each call still has its own transaction; what the block saves is the pool checkout per
        call, which on PostgreSQL is a round trip (the pre-ping) besides the transaction's own.
        Nested blocks reuse the outer connection."""
        if getattr(self._local, "conn", None) is not None:
            yield
            return
        with translate_errors(self._raw_url, "open"):
            conn = self.engine.connect()
        self._local.conn = conn
        try:
            yield
        finally:
            self._local.conn = None
            with translate_errors(self._raw_url, "close"):
                conn.close()

    def _held(self) -> sa.Connection | None:
        """The connection of :meth:`connection`, unless a transaction of this thread is using it
        (a call made inside another gets a connection of its own, as without the block)."""
        conn: sa.Connection | None = getattr(self._local, "conn", None)
        return conn if conn is not None and not conn.in_transaction() else None

    @contextmanager
    def _connection(self, action: str) -> Iterator[tuple[sa.Connection, bool]]:
        """A connection for one call, and whether it is the one :meth:`connection` holds (else a
        pool checkout, returned after the call)."""
        held = self._held()
        with translate_errors(self._raw_url, action), (
                nullcontext(held) if held is not None else self.engine.connect()) as conn:
            yield conn, held is not None

    @contextmanager
    def _read(self) -> Iterator[sa.Connection]:
        with self._connection("read") as (conn, held):
            if not held:
                yield conn
                return
            transaction = conn.begin()
            try:
                yield conn
            finally:
                transaction.rollback()  # a read ends as the pool ends it when a connection returns

    @contextmanager
    def _browse(self) -> Iterator[Sql]:
        """One read transaction for the SQL of ``_execution_reads``, run through SQLAlchemy's
        ``exec_driver_sql`` (the driver's values, as the light reader gets them; engine events,
        such as the statement counters of the tests, see every statement)."""
        with self._read() as conn:
            transaction = None if conn.in_transaction() else conn.begin()
            try:
                yield Sql(_DriverStatements(conn), self.backend, self._raw_url,
                          errors=conn.dialect.loaded_dbapi.Error, password=password_of(self._raw_url))
            finally:
                if transaction is not None:
                    transaction.rollback()  # a read ends as the pool ends it when a connection returns

    @contextmanager
    def _write(self) -> Iterator[sa.Connection]:
        """One write transaction; a unique-key violation that escapes it becomes :class:`Conflict`."""
        with self._connection("write") as (conn, held):
            conn.execution_options(**{IMMEDIATE: True})  # in place: SQLite begins this transaction IMMEDIATE
            try:
                with write_transaction(conn):
                    yield conn
            finally:
                if held:
                    conn.execution_options(**{IMMEDIATE: False})

    @contextmanager
    def _one_statement(self) -> Iterator[sa.Connection]:
        """A connection on which the one statement run is its own transaction (PostgreSQL
        autocommit): one round trip, where BEGIN, the statement and COMMIT are three."""
        with self._connection("write") as (conn, held):
            level = conn.default_isolation_level
            conn.execution_options(isolation_level="AUTOCOMMIT")
            try:
                yield conn
                conn.commit()  # ends SQLAlchemy's transaction; nothing is left for the server to commit
            finally:
                if held:  # the rest of the step runs real transactions again
                    conn.rollback()
                    conn.execution_options(isolation_level=level)

    def close(self) -> None:
        self.engine.dispose()

    def _ring(self) -> None:
        """Wake the controllers of a SQLite registry (PostgreSQL's NOTIFY went with the commit)."""
        if self.backend == "sqlite" and self.engine.url.database not in (None, "", ":memory:"):
            ring_folder(wakeup_folder(Path(str(self.engine.url.database))))

    def listen(self, callback: Callable[[], None]) -> Listener | None:
        """Call ``callback`` (from another thread) whenever an execution is created; ``close()`` the result.
        None when this registry cannot tell (the controller polls)."""
        return listen(self.engine, self._raw_url, callback)

    def _picked(self, column: sa.ColumnElement[Any], candidates: sa.Select[Any]) -> sa.ColumnElement[bool]:
        """``column`` is one of the ``candidates`` rows, chosen once.

        PostgreSQL: the candidates are a CTE locked with ``FOR UPDATE SKIP LOCKED`` (a plain ``IN
        (subquery ... LIMIT)`` may be re-evaluated per row and claim more than the limit), so two
        controllers pick disjoint rows without waiting. SQLite serialises writers, so the atomic
        ``UPDATE ... WHERE id IN (SELECT ... LIMIT)`` is enough.
        """
        if self.backend == "postgresql":
            picked = candidates.with_for_update(skip_locked=True).cte("picked")
            return column.in_(sa.select(picked.c[0]))
        return column.in_(candidates.scalar_subquery())

    # ------------------------------------------------------------ registry reads
    def latest_version(self, kind: str, project: str, domain: str, name: str) -> str | None:
        e = ENTITIES.c
        query = (
            sa.select(e.version)
            .where(e.kind == kind, e.project == project, e.domain == domain, e.name == name)
            .order_by(e.created_at.desc(), e.id.desc())
            .limit(1)
        )
        with self._read() as conn:
            value = conn.execute(query).scalar()
        return str(value) if value is not None else None

    def active_version(self, project: str, domain: str, launch_plan: str) -> str | None:
        a = ACTIVATIONS.c
        query = sa.select(a.version).where(a.project == project, a.domain == domain, a.name == launch_plan)
        with self._read() as conn:
            value = conn.execute(query).scalar()
        return str(value) if value is not None else None

    def domain_settings(self, project: str, domain: str) -> dict[str, Json] | None:
        d = DOMAINS.c
        with self._read() as conn:
            value = conn.execute(sa.select(d.settings).where(d.project == project, d.name == domain)).scalar()
        return value if isinstance(value, dict) else None

    def active_schedules(self) -> list[ActiveSchedule]:
        """Active launch plan versions whose spec has a schedule."""
        a, e = ACTIVATIONS.c, ENTITIES.c
        query = sa.select(a.project, a.domain, a.name, a.version, a.activated_at, e.spec).join(
            ENTITIES,
            sa.and_(e.kind == "launch_plan", e.project == a.project, e.domain == a.domain, e.name == a.name,
                    e.version == a.version),
        )
        with self._read() as conn:
            rows = conn.execute(query).all()
        return [
            ActiveSchedule(r.project, r.domain, r.name, r.version, r.spec, r.activated_at)
            for r in rows
            if isinstance(r.spec, dict) and r.spec.get("schedule")
        ]

    # ------------------------------------------------------------ executions
    def create_execution(self, new: NewExecution, *, recover_from: str | None = None) -> ExecutionRecord:
        """Insert a queued execution; with ``recover_from``, copy that execution's succeeded nodes.

        Raises InputError when the name is taken in the project/domain.
        """
        try:
            with self._write() as conn:
                created = self._insert_execution(conn, new, recover_from)
        except Conflict:
            raise InputError(
                f"An execution named `{new.name}` already exists in {new.project}/{new.domain}",
                detail="Execution names are unique per project and domain; choose another --name.",
            ) from None
        self._ring()
        return created

    def _insert_execution(self, conn: sa.Connection, new: NewExecution, recover_from: str | None) -> ExecutionRecord:
        import uuid

        _check_new_execution(new)
        execution_id = uuid.uuid4().hex
        values = {
            "id": execution_id, "project": new.project, "domain": new.domain, "name": new.name,
            "launch_plan_name": new.launch_plan_name, "launch_plan_version": new.launch_plan_version,
            "workflow_name": new.workflow_name, "workflow_version": new.workflow_version, "phase": "queued",
            "inputs": new.inputs, "outputs": None, "error": None, "created_at": utcnow(), "started_at": None,
            "finished_at": None, "created_by": new.created_by, "parent_execution_id": new.parent_execution_id,
            "parent_node_id": new.parent_node_id, "scheduled_at": new.scheduled_at, "claimed_by": None,
            "claim_expires_at": None, "abort_requested": False, "max_parallelism": new.max_parallelism,
            "labels": new.labels,
        }
        conn.execute(EXECUTIONS.insert().values(**values))
        if self.backend == "postgresql":  # delivered to the listening controllers at commit
            conn.execute(sa.text(notify_statement()))
        if recover_from is not None:
            n = NODES.c
            rows = conn.execute(sa.select(NODES).where(n.execution_id == recover_from, n.phase == "succeeded")).all()
            if rows:
                conn.execute(NODES.insert(), [_node_values(execution_id, _node(r)) for r in rows])
        return _execution(conn.execute(sa.select(EXECUTIONS).where(EXECUTIONS.c.id == execution_id)).one())

    def count_executions(self, *, phases: Sequence[str] = ACTIVE_PHASES) -> int:
        x = EXECUTIONS.c
        with self._read() as conn:
            return int(conn.execute(sa.select(sa.func.count()).where(x.phase.in_(phases))).scalar() or 0)

    def child_execution(self, parent_id: str, node_id: str) -> ExecutionRecord | None:
        x = EXECUTIONS.c
        query = sa.select(EXECUTIONS).where(x.parent_execution_id == parent_id, x.parent_node_id == node_id)
        with self._read() as conn:
            row = conn.execute(query).first()
        return _execution(row) if row else None

    def children(self, parent_id: str) -> list[ExecutionRecord]:
        x = EXECUTIONS.c
        with self._read() as conn:
            rows = conn.execute(sa.select(EXECUTIONS).where(x.parent_execution_id == parent_id)).all()
        return [_execution(r) for r in rows]

    def running_of_launch_plan(self, project: str, domain: str, launch_plan: str) -> int:
        x = EXECUTIONS.c
        query = sa.select(sa.func.count()).where(
            x.project == project, x.domain == domain, x.launch_plan_name == launch_plan, x.phase.in_(ACTIVE_PHASES)
        )
        with self._read() as conn:
            return int(conn.execute(query).scalar() or 0)

    def request_abort(self, execution_id: str) -> bool:
        """Ask the owning controller to abort; False when the execution has already finished."""
        x = EXECUTIONS.c
        with self._write() as conn:
            result = conn.execute(
                EXECUTIONS.update()
                .where(x.id == execution_id, x.phase.in_(ACTIVE_PHASES))
                .values(abort_requested=True)
            )
        return result.rowcount > 0

    # ------------------------------------------------------------ claims
    def claim_executions(self, owner: str, *, now: datetime, lease_seconds: float, limit: int) -> list[str]:
        """Claim up to ``limit`` queued/running executions that nobody (alive) holds; also renews ours."""
        with self._write() as conn:
            return self._claim(conn, owner, now, lease_seconds, limit)

    def _claim(self, conn: sa.Connection, owner: str, now: datetime, lease_seconds: float, limit: int, *,
               ours: bool = True) -> list[str]:
        """``ours``: our own executions count as claimable (and are renewed); without, only others'
        free ones do, so the ``limit`` is all for new claims."""
        x = EXECUTIONS.c
        expires = now + timedelta(seconds=lease_seconds)
        free = sa.or_(x.claimed_by.is_(None), x.claim_expires_at < now, *([x.claimed_by == owner] if ours else []))
        candidates = (
            sa.select(x.id).where(x.phase.in_(ACTIVE_PHASES), free).order_by(x.created_at, x.id).limit(limit)
        )
        statement = (
            EXECUTIONS.update()
            .where(self._picked(x.id, candidates), x.phase.in_(ACTIVE_PHASES), free)
            .values(claimed_by=owner, claim_expires_at=expires)
            .returning(x.id)
        )
        return [str(r[0]) for r in conn.execute(statement).all()]

    def renew_claims(self, owner: str, ids: Iterable[str], *, now: datetime, lease_seconds: float) -> set[str]:
        """Extend our leases; returns the ids we still hold."""
        ids = list(ids)
        if not ids:
            return set()
        with self._write() as conn:
            return self._renew(conn, owner, ids, now, lease_seconds)

    def _renew(self, conn: sa.Connection, owner: str, ids: list[str] | None, now: datetime,
               lease_seconds: float) -> set[str]:
        """Extend the leases of ``ids`` (None: of every active execution ``owner`` holds)."""
        x = EXECUTIONS.c
        which = x.phase.in_(ACTIVE_PHASES) if ids is None else x.id.in_(ids)
        statement = (
            EXECUTIONS.update()
            .where(which, x.claimed_by == owner)
            .values(claim_expires_at=now + timedelta(seconds=lease_seconds))
            .returning(x.id)
        )
        return {str(r[0]) for r in conn.execute(statement).all()}

    def renew_and_claim(self, owner: str, *, now: datetime, lease_seconds: float, batch: int) -> set[str]:
        """Renew the leases of every execution ``owner`` holds, then claim free ones up to ``batch``
        held, in one transaction; returns every id we hold. The ones held take no room from the claim."""
        with self._write() as conn:
            kept = self._renew(conn, owner, None, now, lease_seconds)
            room = batch - len(kept)
            if room > 0:
                kept.update(self._claim(conn, owner, now, lease_seconds, room, ours=False))  # renewed above
        return kept

    def release_claims(self, owner: str, ids: Iterable[str] | None = None) -> None:
        x = EXECUTIONS.c
        statement = EXECUTIONS.update().where(x.claimed_by == owner)
        if ids is not None:
            statement = statement.where(x.id.in_(list(ids)))
        with self._write() as conn:
            conn.execute(statement.values(claimed_by=None, claim_expires_at=None))

    def mark_running(self, execution_id: str, owner: str, now: datetime) -> None:
        x = EXECUTIONS.c
        with self._write() as conn:
            conn.execute(
                EXECUTIONS.update()
                .where(x.id == execution_id, x.claimed_by == owner, x.phase == "queued")
                .values(phase="running", started_at=now)
            )

    def finish_execution(
        self,
        execution_id: str,
        owner: str,
        *,
        phase: str,
        outputs: dict[str, Json] | None,
        error: dict[str, Json] | None,
        now: datetime,
        notifications: Sequence[tuple[dict[str, Json], dict[str, Json]]] = (),
    ) -> bool:
        """Set the terminal phase, release the claim and queue notifications, in one transaction."""
        with self._write() as conn:
            return self._finish(conn, execution_id, owner, Finish(phase, outputs, error, now, tuple(notifications)))

    def _finish(self, conn: sa.Connection, execution_id: str, owner: str, finish: Finish) -> bool:
        """End the execution if ``owner`` holds it."""
        kind, params = ownership_of(execution_id, owner, None, finish)
        if conn.execute(ownership_statement(kind), params).first() is None:
            return False
        self._queue_notifications(conn, execution_id, finish)
        return True

    def _queue_notifications(self, conn: sa.Connection, execution_id: str, finish: Finish) -> None:
        if finish.notifications:
            conn.execute(OUTBOX.insert(), [
                {"execution_id": execution_id, "target": target, "payload": payload, "attempts": 0,
                 "next_attempt_at": finish.now, "delivered_at": None, "last_error": None, "created_at": finish.now}
                for target, payload in finish.notifications
            ])

    # ------------------------------------------------------------ nodes and attempts
    def load_pass(self, execution_id: str) -> tuple[ExecutionRecord | None, dict[str, NodeRecord],
                                                     dict[str, list[AttemptRecord]]]:
        """The execution with its nodes and attempts (oldest first), read in one transaction."""
        found = self.load_passes([execution_id]).get(execution_id)
        return found if found is not None else (None, {}, {})

    def load_passes(self, execution_ids: Sequence[str]) -> dict[str, PassRows]:
        """:meth:`load_pass` for several executions in one transaction of three statements
        (a controller step reads the rows of the executions it holds together); missing ones are left out."""
        if not execution_ids:
            return {}
        a, n, x = ATTEMPTS.c, NODES.c, EXECUTIONS.c
        ids = list(execution_ids)
        with self._read() as conn:
            executions = conn.execute(sa.select(EXECUTIONS).where(x.id.in_(ids))).all()
            nodes = conn.execute(sa.select(NODES).where(n.execution_id.in_(ids))).all()
            attempts = conn.execute(
                sa.select(ATTEMPTS).where(a.execution_id.in_(ids)).order_by(a.execution_id, a.node_id, a.attempt)
            ).all()
        found: dict[str, PassRows] = {row.id: (_execution(row), {}, {}) for row in executions}
        for row in nodes:
            if row.execution_id in found:
                found[row.execution_id][1][row.node_id] = _node(row)
        for row in attempts:
            if row.execution_id in found:
                found[row.execution_id][2].setdefault(row.node_id, []).append(_attempt(row))
        return found

    def save(
        self,
        execution_id: str,
        owner: str,
        *,
        nodes: Sequence[NodeRecord] = (),
        new_attempts: Sequence[AttemptRecord] = (),
        attempts: Sequence[AttemptRecord] = (),
        cache: Sequence[tuple[str, str, str, dict[str, Json], bool]] = (),
        started_at: datetime | None = None,
        finish: Finish | None = None,
    ) -> list[AttemptRecord]:
        """Write one pass's changes in one transaction, if we still own the execution.

        ``new_attempts`` whose number already exists are dropped (another controller made them)
        and the ones inserted are returned. ``cache``: (project, domain, key, outputs, overwrite).
        ``started_at``: the execution moves from queued to running. ``finish``: it ends, in the same
        transaction as the rows that made it end (as :meth:`finish_execution`).
        """
        kind, params = ownership_of(execution_id, owner, started_at, finish)
        if self.backend == "postgresql" and not cache and not (finish and finish.notifications):
            statement, params = one_write(kind, params, nodes=nodes, attempts=attempts, new_attempts=new_attempts)
            with self._one_statement() as conn:
                row = conn.execute(statement, params).one()
            return inserted_of(row, new_attempts) if row.owned else []
        with self._write() as conn:
            if conn.execute(ownership_statement(kind), params).first() is None:
                return []
            if finish is not None:
                self._queue_notifications(conn, execution_id, finish)
            self._upsert_nodes(conn, execution_id, nodes)
            if attempts:
                conn.execute(self._attempt_update_statement(),
                             [{**{f"v_{f}": getattr(attempt, f) for f in _ATTEMPT_FIELDS}, "b_execution": execution_id,
                               "b_node": attempt.node_id, "b_attempt": attempt.attempt} for attempt in attempts])
            inserted = self._insert_attempts(conn, execution_id, new_attempts)
            for project, domain, key, outputs, overwrite in cache:
                self._cache_put(conn, project, domain, key, outputs, execution_id, overwrite)
        return inserted

    def _attempt_update_statement(self) -> Any:
        if self._attempt_update is None:
            a = ATTEMPTS.c
            self._attempt_update = (
                ATTEMPTS.update()
                .where(a.execution_id == sa.bindparam("b_execution"), a.node_id == sa.bindparam("b_node"),
                       a.attempt == sa.bindparam("b_attempt"))
                .values(**{f: sa.bindparam(f"v_{f}") for f in _ATTEMPT_FIELDS})
            )
        return self._attempt_update

    def _insert(self, table_: sa.Table) -> Any:
        """A dialect INSERT that supports ``ON CONFLICT`` (both backends do)."""
        if self.backend == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            return pg_insert(table_)
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(table_)

    def _upsert_nodes(self, conn: sa.Connection, execution_id: str, nodes: Sequence[NodeRecord]) -> None:
        """One ``INSERT ... ON CONFLICT (execution_id, node_id) DO UPDATE`` for all changed nodes."""
        if not nodes:
            return
        if self._node_upsert is None:
            statement = self._insert(NODES)
            columns = [f for f in NodeRecord.__dataclass_fields__ if f != "node_id"]
            self._node_upsert = statement.on_conflict_do_update(
                index_elements=["execution_id", "node_id"], set_={c: statement.excluded[c] for c in columns}
            )
        conn.execute(self._node_upsert, [_node_values(execution_id, x) for x in nodes])

    def _insert_attempts(
        self, conn: sa.Connection, execution_id: str, attempts: Sequence[AttemptRecord]
    ) -> list[AttemptRecord]:
        """Insert attempts that do not exist yet (``ON CONFLICT DO NOTHING``, one multi-row statement);
        returns the ones inserted."""
        if not attempts:
            return []
        if self._attempt_insert is None:
            a = ATTEMPTS.c
            self._attempt_insert = self._insert(ATTEMPTS).on_conflict_do_nothing(
                index_elements=["execution_id", "node_id", "attempt"]
            ).returning(a.node_id, a.attempt)
        rows = [{"execution_id": execution_id, **{f: getattr(attempt, f) for f in _ATTEMPT_FIELDS}}
                for attempt in attempts]
        result = conn.execute(self._attempt_insert, rows[0]) if len(rows) == 1 else conn.execute(
            self._attempt_insert, rows)
        made = {(str(r[0]), int(r[1])) for r in result.all()}
        return [attempt for attempt in attempts if (attempt.node_id, attempt.attempt) in made]

    def delete_attempt(self, execution_id: str, node_id: str, attempt: int) -> None:
        """Forget an attempt that was never started (the provider was throttled)."""
        a = ATTEMPTS.c
        with self._write() as conn:
            conn.execute(
                ATTEMPTS.delete().where(a.execution_id == execution_id, a.node_id == node_id, a.attempt == attempt)
            )

    def mark_cleaned(self, attempts: Sequence[tuple[str, str, int]], now: datetime) -> None:
        """Record that the provider cleanup of ``attempts`` ((execution id, node id, attempt) each) ran:
        one statement (one per :data:`MARK_BATCH`, within SQLite's bound parameters). An attempt
        marked before (by another controller's sweep) keeps its time."""
        if not attempts:
            return
        a = ATTEMPTS.c
        keys = list(attempts)
        statements = [ATTEMPTS.update().where(a.cleaned_at.is_(None),
                                              sa.tuple_(a.execution_id, a.node_id, a.attempt).in_(keys[i:i + MARK_BATCH]))
                      .values(cleaned_at=now) for i in range(0, len(keys), MARK_BATCH)]
        with self._one_statement() if self.backend == "postgresql" and len(statements) == 1 else self._write() as conn:
            for statement in statements:
                conn.execute(statement)

    def uncleaned_attempts(self, provider: str, *, ended_before: datetime, limit: int,
                           after: tuple[datetime, int] | None = None) -> list[UncleanedAttempt]:
        """The attempts of ``provider`` that ended before ``ended_before`` and whose cleanup is not
        recorded, oldest end first (then by row id), at most ``limit``, those after the cursor ``after``
        (``(finished_at, id)`` of the last one a sweep saw) only: one query on ``ix_attempts_uncleaned``."""
        a, x = ATTEMPTS.c, EXECUTIONS.c
        query = (
            sa.select(a.execution_id, x.project, x.domain, x.name, a.node_id, a.attempt, a.handle, a.finished_at, a.id)
            .join(EXECUTIONS, x.id == a.execution_id)
            .where(a.cleaned_at.is_(None), a.finished_at < ended_before, a.provider == provider,
                   a.phase.in_(sorted(TERMINAL_PHASES)))
            .order_by(a.finished_at, a.id).limit(limit)
        )
        if after is not None:
            ended, row = after
            query = query.where(sa.or_(a.finished_at > ended, sa.and_(a.finished_at == ended, a.id > row)))
        with self._read() as conn:
            return [UncleanedAttempt(*row) for row in conn.execute(query).all()]

    # ------------------------------------------------------------ cache
    def cache_get(self, project: str, domain: str, key: str) -> dict[str, Json] | None:
        c = CACHE.c
        query = sa.select(c.outputs).where(c.project == project, c.domain == domain, c.cache_key == key)
        with self._read() as conn:
            value = conn.execute(query).scalar()
        return value if isinstance(value, dict) else None

    def cache_put(self, project: str, domain: str, key: str, outputs: dict[str, Json], *,
                  execution_id: str | None = None, overwrite: bool = False) -> None:
        with self._write() as conn:
            self._cache_put(conn, project, domain, key, outputs, execution_id, overwrite)

    def _cache_put(self, conn: sa.Connection, project: str, domain: str, key: str, outputs: dict[str, Json],
                   execution_id: str | None, overwrite: bool) -> None:
        c = CACHE.c
        where = sa.and_(c.project == project, c.domain == domain, c.cache_key == key)
        if conn.execute(sa.select(c.id).where(where)).first() is not None:
            if overwrite:
                conn.execute(CACHE.update().where(where).values(outputs=outputs, source_execution_id=execution_id,
                                                                created_at=utcnow()))
            return
        try:
            with conn.begin_nested():
                conn.execute(CACHE.insert().values(project=project, domain=domain, cache_key=key, outputs=outputs,
                                                   created_at=utcnow(), source_execution_id=execution_id))
        except IntegrityError:
            pass  # another controller cached the same key first: equal by construction

    def cache_count(self, project: str, domain: str) -> int:
        c = CACHE.c
        with self._read() as conn:
            query = sa.select(sa.func.count()).where(c.project == project, c.domain == domain)
            return int(conn.execute(query).scalar() or 0)

    # ------------------------------------------------------------ schedules
    def last_fire(self, project: str, domain: str, launch_plan: str) -> datetime | None:
        f = FIRES.c
        query = sa.select(sa.func.max(f.fire_time)).where(
            f.project == project, f.domain == domain, f.launch_plan_name == launch_plan
        )
        with self._read() as conn:
            value = conn.execute(query).scalar()
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        if isinstance(value, datetime) and value.tzinfo is None:
            from datetime import UTC

            value = value.replace(tzinfo=UTC)
        return value if isinstance(value, datetime) else None

    def fires(self, project: str, domain: str, launch_plan: str) -> list[ScheduleFire]:
        f = FIRES.c
        query = (
            sa.select(f.fire_time, f.execution_name)
            .where(f.project == project, f.domain == domain, f.launch_plan_name == launch_plan)
            .order_by(f.fire_time)
        )
        with self._read() as conn:
            return [ScheduleFire(r.fire_time, r.execution_name) for r in conn.execute(query).all()]

    def fire_schedule(
        self, project: str, domain: str, launch_plan: str, fire_time: datetime, execution: NewExecution | None
    ) -> bool:
        """Record the fire of ``fire_time`` and create its execution, exactly once.

        Returns False when this due time was already fired (by us earlier or by another
        controller). ``execution`` None records a skipped fire.
        """
        try:
            with self._write() as conn:
                conn.execute(FIRES.insert().values(
                    project=project, domain=domain, launch_plan_name=launch_plan, fire_time=fire_time,
                    execution_name=execution.name if execution else None, created_at=utcnow(),
                ))
                if execution is not None:
                    self._insert_execution(conn, execution, None)
        except Conflict:
            return False
        if execution is not None:
            self._ring()
        return True

    # ------------------------------------------------------------ notifications outbox
    def claim_notifications(self, *, now: datetime, limit: int, hold_seconds: float) -> list[OutboxRecord]:
        """Due, undelivered notifications, each pushed ``hold_seconds`` ahead so one sender gets it."""
        o = OUTBOX.c
        due = sa.and_(o.delivered_at.is_(None), o.next_attempt_at.is_not(None), o.next_attempt_at <= now)
        candidates = sa.select(o.id).where(due).order_by(o.next_attempt_at, o.id).limit(limit)
        statement = (
            OUTBOX.update()
            .where(self._picked(o.id, candidates), due)
            .values(next_attempt_at=now + timedelta(seconds=hold_seconds), attempts=o.attempts + 1)
            .returning(o.id, o.execution_id, o.target, o.payload, o.attempts)
        )
        with self._write() as conn:
            rows = conn.execute(statement).all()
        return [OutboxRecord(r.id, r.execution_id, r.target, r.payload, r.attempts) for r in rows]

    def notification_done(self, notification_id: int, *, now: datetime, error: str | None,
                          retry_at: datetime | None) -> None:
        """Delivered (``error`` None), or failed: retry at ``retry_at`` (None: give up)."""
        o = OUTBOX.c
        values: dict[str, Any] = (
            {"delivered_at": now, "last_error": None} if error is None
            else {"last_error": error[:2000], "next_attempt_at": retry_at}
        )
        with self._write() as conn:
            conn.execute(OUTBOX.update().where(o.id == notification_id).values(**values))

    def notifications(self, execution_id: str) -> list[dict[str, Any]]:
        o = OUTBOX.c
        with self._read() as conn:
            rows = conn.execute(sa.select(OUTBOX).where(o.execution_id == execution_id).order_by(o.id)).all()
        return [dict(r._mapping) for r in rows]


class _DriverStatements:
    """The cursor :class:`~flowctl.state._browse.Sql` needs, over a SQLAlchemy connection: each
    statement (in the driver's paramstyle) goes through ``exec_driver_sql``; a failure is the
    driver's error, as on a plain cursor."""

    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn
        self._rows: Sequence[Any] = ()

    def execute(self, statement: str, params: dict[str, Any]) -> None:
        try:
            self._rows = self._conn.exec_driver_sql(statement, params).fetchall()
        except sa.exc.DBAPIError as exc:
            if exc.orig is None:
                raise
            raise exc.orig from exc

    def fetchall(self) -> Sequence[Any]:
        return self._rows


def _check_new_execution(new: NewExecution) -> None:
    """The names of an execution, checked before anything is stored (they become blob store paths)."""
    _names.validate_project_domain(new.project, new.domain)
    _names.validate_execution_name(new.name)
    _names.validate_labels(new.labels, f"execution `{new.name}`")


def open_execution_store(url: str, *, create: bool = True) -> ExecutionStore:
    """An ExecutionStore on the registry at ``url`` (``create`` as for ``open_store``)."""
    from flowctl.state._open import open_engine

    return ExecutionStore(open_engine(url, create=create), url)


__all__ = [
    "TERMINAL_PHASES",
    "ActiveSchedule",
    "AttemptRecord",
    "ExecutionRecord",
    "ExecutionStore",
    "Finish",
    "NewExecution",
    "NodeRecord",
    "OutboxRecord",
    "ScheduleFire",
    "SignalRecord",
    "StoredSpec",
    "open_execution_store",
]


def _conforms(store: ExecutionStore) -> ExecutionAccess:
    """mypy checks here that the SQL execution store is an ExecutionAccess."""
    return store
