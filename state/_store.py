"""The SQL store: the registry on SQLite or PostgreSQL behind the ``_interface`` protocols.

Reads use Core queries over the table models (no ORM objects: a 10,000-entity snapshot is five
queries). Every write transaction first locks the meta row (``BEGIN IMMEDIATE`` on SQLite,
``SELECT … FOR UPDATE`` on PostgreSQL): writers are serialized, the stale-plan check and the
serial increment are atomic, and writers cannot deadlock on each other.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

from flowctl._address import EntityKind
from flowctl._redact import mask_url
from flowctl.state._browse import Browsing, Sql, cursor_of
from flowctl.state._convert import ENTITY_COLUMNS, apply_from_row, entity_from_row
from flowctl.state._engine import IMMEDIATE, Backend, backend_of, translate_errors
from flowctl.state._interface import (
    ApplyRecord,
    ApprovalRecord,
    LockInfo,
    LockRecord,
    Store,
    StoredEntity,
)
from flowctl.state._locks import DEFAULT_TTL, make_locker
from flowctl.state._migrate import MigrationResult, upgrade
from flowctl.state._open import open_engine
from flowctl.state._promotions import insert_approval
from flowctl.state._snapshot_reads import SnapshotReading
from flowctl.state._tables import (
    ActivationRow,
    ApplyRow,
    DomainRow,
    EntityRow,
    MetaRow,
    ProjectRow,
    table,
)
from flowctl.state._transaction import SqlTransaction

_meta = table(MetaRow)
_projects = table(ProjectRow)
_domains = table(DomainRow)
_entities = table(EntityRow)
_activations = table(ActivationRow)
_applies = table(ApplyRow)

class SqlStore(Browsing, SnapshotReading):
    """The registry at one URL. Build it with :func:`open_store`; close it when done.

    The listings of ``flowctl get`` (:class:`Browsing`), the snapshot and the lock listing
    (:class:`SnapshotReading`) run their SQL on the driver connection under :meth:`read`, as the light
    readers of ``_browser`` run it on their own connection."""

    def __init__(self, engine: Engine, raw_url: str, *, lock_ttl: int = DEFAULT_TTL) -> None:
        self._engine = engine
        self._raw_url = raw_url
        self.url = mask_url(raw_url)
        self.backend: Backend = backend_of(raw_url)
        self._locker = make_locker(engine, raw_url, self.backend, default_ttl=lock_ttl)
        self._held: list[LockRecord] = []  # locks this store holds now: its writes check them

    # ------------------------------------------------------------ plumbing
    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine, for code inside ``state/`` only (e.g. the execution store)."""
        return self._engine

    @contextmanager
    def read(self) -> Iterator[sa.Connection]:
        """A read-only connection with one consistent view of the registry."""
        with translate_errors(self._raw_url, "read"), self._engine.connect() as conn:
            if self.backend == "postgresql":
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                yield conn

    @contextmanager
    def _browse(self) -> Iterator[Sql]:
        with self.read() as conn, cursor_of(conn.connection.driver_connection) as cursor:
            password = make_url(self._raw_url).password if "://" in self._raw_url else None
            yield Sql(cursor, self.backend, self._raw_url, errors=conn.dialect.loaded_dbapi.Error,
                      password=str(password) if password else None)

    @contextmanager
    def write(self) -> Iterator[sa.Connection]:
        """A write transaction (``BEGIN IMMEDIATE`` on SQLite): commits at the end, rolls back on error."""
        with translate_errors(self._raw_url, "write"), self._engine.connect() as conn:
            conn = conn.execution_options(**{IMMEDIATE: True})
            with conn.begin():
                yield conn

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> SqlStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"SqlStore({self.url!r})"

    # ------------------------------------------------------------ reader
    def get_entity(self, kind: EntityKind, project: str, domain: str, name: str, version: str) -> StoredEntity | None:
        query = sa.select(*ENTITY_COLUMNS).where(
            _entities.c.kind == EntityKind(kind).value, _entities.c.project == project,
            _entities.c.domain == domain, _entities.c.name == name, _entities.c.version == version,
        )
        with self.read() as conn:
            row = conn.execute(query).first()
        return entity_from_row(row) if row is not None else None

    def last_apply(self) -> ApplyRecord | None:
        history = self.apply_history(limit=1)
        return history[0] if history else None

    def apply_history(self, limit: int = 20) -> Sequence[ApplyRecord]:
        """The newest entries first."""
        query = sa.select(_applies).order_by(_applies.c.serial.desc(), _applies.c.id.desc()).limit(limit)
        with self.read() as conn:
            return [apply_from_row(row) for row in conn.execute(query)]

    # ------------------------------------------------------------ writer
    @contextmanager
    def transaction(self, *, expected_serial: int | None = None) -> Iterator[SqlTransaction]:
        """One write transaction; the serial moves by one at commit if anything was written.

        With ``expected_serial``, raises ApplyError ("Plan is stale") when the registry moved on.
        After the block, ``tx.serial`` is the registry's serial.
        """
        with self.write() as conn:
            self._verify_held(conn, final=False)
            tx = SqlTransaction(conn, expected_serial=expected_serial)
            yield tx
            tx.commit_serial()
            self._verify_held(conn, final=True)  # a lost lock rolls this transaction back

    def _verify_held(self, conn: sa.Connection, *, final: bool) -> None:
        for record in self._held:
            self._locker.verify(conn, record, final=final)

    def record_approval(self, record: ApprovalRecord) -> bool:
        """Store a promotion approval (``flowctl promote --approve``); the serial does not move."""
        with self.write() as conn:
            return insert_approval(conn, record)

    # ------------------------------------------------------------ locker
    @contextmanager
    def lock(self, info: LockInfo, *, timeout: float = 0.0, ttl: int | None = None) -> Iterator[LockRecord]:
        """Hold the registry lock for a ``with`` block (a context manager yielding a LockRecord).

        Waits up to ``timeout`` seconds, then raises LockError naming the holder, operation and age.
        The lock is heartbeated by a background thread; ``ttl`` seconds after the last heartbeat
        (a killed process) another process takes it over. While it is held, every
        :meth:`transaction` of this store checks inside the transaction that it still is, and rolls
        back with LockError when it was lost.
        """
        with ExitStack() as stack:
            with translate_errors(self._raw_url, "lock"):  # taking the lock; the block's own errors pass as they are
                record = stack.enter_context(self._locker.lock(info, timeout=timeout, ttl=ttl))
            self._held.append(record)
            try:
                yield record
            finally:
                self._held.remove(record)

    def break_lock(self, lock_id: str) -> bool:
        with translate_errors(self._raw_url, "break a lock of"):
            return self._locker.break_lock(lock_id)

    # ------------------------------------------------------------ admin
    def migrate(self) -> MigrationResult:
        return upgrade(self._engine, self._raw_url)


def open_store(url: str, *, create: bool = True, lock_ttl: int = DEFAULT_TTL) -> SqlStore:
    """Open the registry at ``url`` (``sqlite:///…`` or ``postgresql://…``).

    With ``create`` (apply, init, migrate) the registry is created or its schema brought up to date;
    without, it must exist at the current schema and is never changed (NoRegistryError,
    SchemaVersionError; see ``_open``).
    Raises StoreError, naming the masked URL and the cause, when the database cannot be reached or
    was written by a newer flowctl.
    """
    return SqlStore(open_engine(url, create=create), url, lock_ttl=lock_ttl)


def _conforms(store: SqlStore) -> Store:
    """mypy checks here that SqlStore implements the Store protocol (reader, writer, locker)."""
    return store
