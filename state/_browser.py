"""The registry for ``flowctl get``, ``registry info``, ``plan`` and ``executions list|get|show|outputs``,
opened without SQLAlchemy.

``open_browser(url)`` connects with the DB-API driver itself (``sqlite3``; ``psycopg`` for
PostgreSQL), checks that the registry is at the schema this flowctl needs, and answers the
:class:`~flowctl.state._interface.RegistryBrowser` listings with the SQL of ``_browse`` (the same
statements the SQL store runs), ``open_plan_reader(url)`` the snapshot and lock listing of
:class:`~flowctl.state._interface.PlanSource` with the SQL of ``_snapshot_reads``; ``_execution_browser.open_execution_reader(url)`` likewise answers
the :class:`~flowctl.state._execution_access.ExecutionReader` reads with the SQL of
``_execution_reads`` (the same statements the execution store runs). A read command then starts in a fraction of the time importing
SQLAlchemy and building the table models takes.

Only the plain case is served here: an existing SQLite file named by ``sqlite:///path``, or a
PostgreSQL URL, at ``SCHEMA_HEAD``. Anything else (no file, an empty or foreign database, an
older or newer schema, an in-memory or unusual URL) opens the SQL store (or the execution store)
instead, which gives the same answer or the same message as before (what to run, what is wrong). A database that cannot
be reached gives the StoreError of ``_failures``, as the SQL store does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote

from flowctl._redact import mask_url
from flowctl.state._browse import Browsing, Sql, cursor_of, password_of
from flowctl.state._failures import cause_text, store_error
from flowctl.state._interface import PlanSource, RegistryBrowser
from flowctl.state._schema import SCHEMA_HEAD
from flowctl.state._snapshot_reads import SnapshotReading

if TYPE_CHECKING:
    from flowctl.state._store import SqlStore

SQLITE_BUSY_TIMEOUT_S = 30.0  # as the SQL store's engine (``_engine.SQLITE_BUSY_TIMEOUT_MS``)
PG_CONNECT_TIMEOUT_S = 10
Reader = TypeVar("Reader", bound="DbApiReader")
Full = TypeVar("Full")
_SQLITE_PREFIX = "sqlite:///"
_PG_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg")


class DbApiReader:
    """One DB-API connection; every read of a subclass runs in one transaction (:meth:`_browse`)."""

    def __init__(self, connection: Any, raw_url: str, backend: str, *, errors: type[Exception]) -> None:
        self._connection, self._raw_url, self.backend, self._errors = connection, raw_url, backend, errors
        self.url = mask_url(raw_url)

    @contextmanager
    def _browse(self) -> Iterator[Sql]:
        with cursor_of(self._connection) as cursor:
            sql = Sql(cursor, self.backend, self._raw_url, errors=self._errors, password=password_of(self._raw_url))
            if self.backend == "sqlite":  # autocommit connection: one explicit read transaction
                sql.rows("BEGIN")
            try:
                yield sql
            finally:
                self._connection.rollback()

    def close(self) -> None:
        self._connection.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.url!r})"


class DbApiBrowser(DbApiReader, Browsing):
    """The listings of ``flowctl get`` and ``registry info`` (``_browse``)."""


class DbApiPlanReader(DbApiReader, SnapshotReading):
    """The snapshot and lock listing of ``flowctl plan`` (``_snapshot_reads``)."""


def open_browser(url: str) -> RegistryBrowser:
    """The registry at ``url`` for listing (never created or changed); see the module docstring."""
    return open_reader(url, DbApiBrowser, _sql_store)


def open_plan_reader(url: str) -> PlanSource:
    """The registry at ``url`` for ``flowctl plan`` (never created or changed); see the module docstring."""
    return open_reader(url, DbApiPlanReader, _sql_store)


def _sql_store(url: str) -> SqlStore:
    from flowctl.state._store import open_store  # the full store says what is wrong (or opens what is right)

    return open_store(url, create=False)


def open_reader(url: str, kind: type[Reader], full: Callable[[str], Full]) -> Reader | Full:
    """A ``kind`` reader of a registry at the head schema, else ``full(url)`` (the store that can
    open anything else, or says what is wrong)."""
    browser = _sqlite(url, kind) if url.startswith(_SQLITE_PREFIX) else _postgres(url, kind)
    if browser is not None and _at_head(browser):
        return browser
    if browser is not None:
        browser.close()
    return full(url)


def _sqlite(url: str, kind: type[Reader]) -> Reader | None:
    rest = url[len(_SQLITE_PREFIX):]
    if not rest or rest == ":memory:" or any(c in rest for c in "?#%"):
        return None
    path = Path(rest).expanduser()
    if not path.is_file() or path.stat().st_size == 0:
        return None
    import sqlite3

    try:  # mode=rw: never create the file (it may have gone since the check)
        connection = sqlite3.connect(f"file:{quote(str(path))}?mode=rw", uri=True, timeout=SQLITE_BUSY_TIMEOUT_S,
                                     isolation_level=None, check_same_thread=False)
    except sqlite3.Error as exc:
        raise store_error(url, "open", cause_text(exc, None)) from exc
    return kind(connection, url, "sqlite", errors=sqlite3.Error)


def _postgres(url: str, kind: type[Reader]) -> Reader | None:
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.lower() not in _PG_SCHEMES:
        return None  # not a URL the SQL store would take either: it says so
    import psycopg

    try:
        connection = psycopg.connect(f"postgresql://{rest}", connect_timeout=PG_CONNECT_TIMEOUT_S)
    except psycopg.Error as exc:
        raise store_error(url, "open", cause_text(exc, password_of(url))) from exc
    connection.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ  # one consistent view per listing
    return kind(connection, url, "postgresql", errors=psycopg.Error)


def _at_head(browser: DbApiReader) -> bool:
    """Whether the registry's schema is the one this flowctl needs (False: no flowctl schema at all)."""
    with browser._browse() as sql:
        sql.action = "open"
        if sql.backend == "sqlite":
            exists = sql.rows("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'")
        else:
            exists = [row for row in sql.rows("SELECT to_regclass('alembic_version')") if row[0] is not None]
        return bool(exists) and [tuple(r) for r in sql.rows("SELECT version_num FROM alembic_version")] == [(SCHEMA_HEAD,)]


