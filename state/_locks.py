"""The registry lock: one writer at a time, visible in ``flowctl lock list``, breakable.

- SQLite: the lock *is* a row of ``locks`` (``name`` unique), inserted in a ``BEGIN IMMEDIATE``
  transaction; a row whose heartbeat is older than its TTL belongs to a dead process and is taken
  over in the same transaction.
- PostgreSQL: the database's own session-level advisory lock (key derived from the schema, so two
  registries in one database do not share a lock), held on a dedicated connection; the server
  releases it when the holder's session ends (kill -9 included). A row is kept for visibility.
  A holder whose heartbeat is older than its TTL (hung, or its host vanished) has its session
  terminated by the next writer; ``break_lock`` does the same on request.

A background thread heartbeats the lock every TTL/3 seconds while the block runs. Holding the lock
is not taken on trust from that thread: every write transaction of the holder checks, inside the
transaction, that the lock is still its own (:meth:`verify`: the row on SQLite, where writers are
serialised anyway; on PostgreSQL the row, locked ``FOR UPDATE`` just before the commit, and the
advisory lock held by the recorded session). A lost lock is a LockError that rolls the transaction
back, so nothing commits unlocked: whoever takes the lock over deletes the row first, and waits for
that row lock.
"""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import timedelta
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from flowctl.state._convert import lock_from_row
from flowctl.state._engine import IMMEDIATE, Backend, is_memory
from flowctl.state._interface import LockInfo, LockRecord
from flowctl.state._lock_messages import held_error, lost_error
from flowctl.state._snapshot_reads import HOLDER_PIDS, REGISTRY_LOCK, advisory_key, key_halves
from flowctl.state._tables import LockRow, table
from flowctl.state._types import utcnow

DEFAULT_TTL = 30
POLL_SECONDS = 0.1
_locks = table(LockRow)


class Locker(Protocol):
    def lock(self, info: LockInfo, *, timeout: float, ttl: int | None) -> AbstractContextManager[LockRecord]: ...

    def verify(self, conn: sa.Connection, record: LockRecord, *, final: bool) -> None:
        """Raise LockError (lost) unless ``record`` is still held, checked in ``conn``'s transaction;
        ``final``: just before the commit (PostgreSQL also locks the lock's row until then)."""

    def break_lock(self, lock_id: str) -> bool: ...


def make_locker(engine: Engine, url: str, backend: Backend, *, default_ttl: int) -> Locker:
    if backend == "postgresql":
        return PostgresLocker(engine, default_ttl)
    return SqliteLocker(engine, default_ttl, heartbeat=not is_memory(url))


class _Heartbeat:
    """Calls ``beat()`` every ``interval`` seconds on a daemon thread until stopped.

    ``beat`` returns False when the lock is no longer ours (its row is gone, or on PostgreSQL the
    session holding it was lost); then ``lost`` is set. Other errors are transient: the next beat
    tries again. Writes never rely on this flag alone: each transaction verifies the lock itself.
    """

    def __init__(self, beat: Any, interval: float) -> None:
        self._beat = beat
        self._interval = interval
        self._stop = threading.Event()
        self.lost = False
        self._thread = threading.Thread(target=self._run, name="flowctl-lock-heartbeat", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                if not self._beat():
                    self.lost = True
                    return
            except Exception:  # a transient database error: try again at the next beat
                continue

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


class SqliteLocker:
    def __init__(self, engine: Engine, default_ttl: int, *, heartbeat: bool = True) -> None:
        self._engine = engine
        self._default_ttl = default_ttl
        self._heartbeat = heartbeat

    @contextmanager
    def _write(self) -> Iterator[sa.Connection]:
        with self._engine.connect() as conn:
            conn = conn.execution_options(**{IMMEDIATE: True})
            with conn.begin():
                yield conn

    def _try_acquire(self, info: LockInfo, ttl: int) -> tuple[LockRecord | None, LockRecord | None]:
        """(ours, theirs): one of them is None."""
        with self._write() as conn:
            row = conn.execute(sa.select(_locks).where(_locks.c.name == REGISTRY_LOCK)).first()
            now = utcnow()
            if row is not None:
                theirs = lock_from_row(row)
                if theirs.heartbeat_at + timedelta(seconds=theirs.ttl_seconds) > now:
                    return None, theirs
                conn.execute(_locks.delete().where(_locks.c.id == theirs.id))  # expired: take it over
            ours = LockRecord(uuid.uuid4().hex[:12], info.operation, info.holder, info.info, now, now, ttl)
            conn.execute(
                _locks.insert().values(
                    id=ours.id, name=REGISTRY_LOCK, operation=ours.operation, holder=ours.holder, info=ours.info,
                    created_at=now, heartbeat_at=now, ttl_seconds=ttl,
                )
            )
            return ours, None

    def _beat(self, lock_id: str) -> bool:
        with self._write() as conn:
            return bool(conn.execute(_locks.update().where(_locks.c.id == lock_id).values(heartbeat_at=utcnow())).rowcount)

    @contextmanager
    def lock(self, info: LockInfo, *, timeout: float, ttl: int | None) -> Iterator[LockRecord]:
        ttl = max(1, int(ttl or self._default_ttl))
        deadline = time.monotonic() + max(0.0, timeout)
        while True:
            ours, theirs = self._try_acquire(info, ttl)
            if ours is not None:
                break
            assert theirs is not None
            if time.monotonic() >= deadline:
                raise held_error(theirs)
            time.sleep(min(POLL_SECONDS, max(0.0, deadline - time.monotonic())))
        heartbeat = _Heartbeat(lambda: self._beat(ours.id), ttl / 3) if self._heartbeat else None
        failed = False
        try:
            yield ours
        except BaseException:
            failed = True
            raise
        finally:
            if heartbeat is not None:
                heartbeat.stop()
            with self._write() as conn:
                conn.execute(_locks.delete().where(_locks.c.id == ours.id))
            if heartbeat is not None and heartbeat.lost and not failed:
                raise lost_error(ours)

    def verify(self, conn: sa.Connection, record: LockRecord, *, final: bool) -> None:
        """Our row is there (writers are serialised: nobody can take it over during this transaction)."""
        if conn.execute(sa.select(_locks.c.id).where(_locks.c.id == record.id)).first() is None:
            raise lost_error(record)

    def break_lock(self, lock_id: str) -> bool:
        with self._write() as conn:
            return bool(conn.execute(_locks.delete().where(_locks.c.id == lock_id)).rowcount)


class PostgresLocker:
    def __init__(self, engine: Engine, default_ttl: int) -> None:
        self._engine = engine
        self._default_ttl = default_ttl
        self._key: int | None = None

    def _lock_key(self, conn: sa.Connection) -> int:
        """A signed 64-bit advisory key for this registry (schema-qualified)."""
        if self._key is None:
            self._key = advisory_key(conn.execute(sa.text("SELECT current_database() || '.' || current_schema()"))
                                     .scalar_one())
        return self._key

    def _holder_pids(self, conn: sa.Connection) -> set[int]:
        """Sessions holding this registry's advisory lock (pg_locks splits a bigint key in two)."""
        rows = conn.execute(sa.text(HOLDER_PIDS), key_halves(self._lock_key(conn)))
        return {int(pid) for pid in rows.scalars()}

    def _autocommit(self) -> sa.Connection:
        return self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")

    def _current_row(self, conn: sa.Connection) -> Any:
        return conn.execute(sa.select(_locks).where(_locks.c.name == REGISTRY_LOCK)).first()

    def _take_over_if_expired(self, conn: sa.Connection) -> LockRecord | None:
        """The holder's row, after terminating its session when its heartbeat is older than its TTL."""
        row = self._current_row(conn)
        if row is None:
            return None
        theirs = lock_from_row(row)
        expired = theirs.heartbeat_at + timedelta(seconds=theirs.ttl_seconds) <= utcnow()
        if expired and row.backend_pid is not None and row.backend_pid in self._holder_pids(conn):
            conn.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": row.backend_pid})
        return theirs

    def _wait_for_row(self, conn: sa.Connection, ttl: int) -> LockRecord:
        """The holder's row: a holder that has just taken the advisory lock writes it a moment later."""
        for _ in range(20):
            row = self._current_row(conn)
            if row is not None:
                return lock_from_row(row)
            time.sleep(0.05)
        return LockRecord("?", "unknown", "another session", "", utcnow(), utcnow(), ttl)

    @contextmanager
    def lock(self, info: LockInfo, *, timeout: float, ttl: int | None) -> Iterator[LockRecord]:
        ttl = max(1, int(ttl or self._default_ttl))
        deadline = time.monotonic() + max(0.0, timeout)
        conn = self._autocommit()
        try:
            key = self._lock_key(conn)
            while not conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar_one():
                theirs = self._take_over_if_expired(conn)
                if time.monotonic() >= deadline:
                    raise held_error(theirs or self._wait_for_row(conn, ttl))
                time.sleep(min(POLL_SECONDS, max(0.0, deadline - time.monotonic())))
        except BaseException:
            conn.close()
            raise
        now = utcnow()
        ours = LockRecord(uuid.uuid4().hex[:12], info.operation, info.holder, info.info, now, now, ttl)
        try:
            pid = conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
            conn.execute(_locks.delete().where(_locks.c.name == REGISTRY_LOCK))  # a dead holder's row
            conn.execute(
                _locks.insert().values(
                    id=ours.id, name=REGISTRY_LOCK, operation=ours.operation, holder=ours.holder, info=ours.info,
                    created_at=now, heartbeat_at=now, ttl_seconds=ttl, backend_pid=pid,
                )
            )
        except BaseException:
            conn.close()
            raise
        heartbeat = _Heartbeat(lambda: self._beat(conn, ours.id), ttl / 3)
        failed = False
        try:
            yield ours
        except BaseException:
            failed = True
            raise
        finally:
            heartbeat.stop()
            self._release(conn, ours, key)
            if heartbeat.lost and not failed:
                raise lost_error(ours)

    @staticmethod
    def _release(conn: sa.Connection, ours: LockRecord, key: int) -> None:
        """Delete our row and unlock. A session that is already gone released the lock with it; the
        block's writes were checked against the lock in their own transactions (``verify``)."""
        try:
            conn.execute(_locks.delete().where(_locks.c.id == ours.id))
            conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": key})
        except sa.exc.SQLAlchemyError:  # a dead or broken session (PendingRollbackError included)
            pass
        finally:
            with contextlib.suppress(sa.exc.SQLAlchemyError):
                conn.close()

    def verify(self, conn: sa.Connection, record: LockRecord, *, final: bool) -> None:
        """Our row is there and the session it names holds the advisory lock.

        ``final`` locks the row until the commit: a process taking the lock over deletes the row
        first, so it waits for this transaction instead of writing beside it."""
        query = sa.select(_locks.c.backend_pid).where(_locks.c.id == record.id)
        row = conn.execute(query.with_for_update() if final else query).first()
        if row is None or row.backend_pid not in self._holder_pids(conn):
            raise lost_error(record)

    @staticmethod
    def _beat(conn: sa.Connection, lock_id: str) -> bool:
        """False when the row is gone or the lock's session was lost (the server released the lock)."""
        try:
            result = conn.execute(_locks.update().where(_locks.c.id == lock_id).values(heartbeat_at=utcnow()))
        except sa.exc.DBAPIError as exc:
            if exc.connection_invalidated:
                return False
            raise
        return bool(result.rowcount)

    def break_lock(self, lock_id: str) -> bool:
        """Delete the lock's row and end the holder's session, which releases the advisory lock."""
        with self._autocommit() as conn:
            row = conn.execute(sa.select(_locks).where(_locks.c.id == lock_id)).first()
            if row is None:
                return False
            if row.backend_pid is not None and row.backend_pid in self._holder_pids(conn):
                conn.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": row.backend_pid})
            conn.execute(_locks.delete().where(_locks.c.id == lock_id))
            return True
