"""Engines for registry URLs, and the translation of database errors into StoreError.

- ``sqlite:///path/registry.db`` (relative or absolute), ``sqlite:////abs/path.db``. Creating an
  engine creates nothing on disk (``_open`` creates the file, for the commands allowed to, and
  sets the WAL journal once). ``busy_timeout``; write transactions begin with ``BEGIN IMMEDIATE``
  so writers queue on the database lock instead of failing on upgrade.
  ``sqlite://`` / ``sqlite:///:memory:`` is a private in-memory registry (tests).
- ``postgresql://`` and ``postgresql+psycopg://`` (psycopg 3).

No SQLAlchemy exception leaves ``state/``: :func:`translate_errors` turns them into one StoreError
that names the masked URL and the cause (httpx's ``map_httpcore_exceptions``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.pool import StaticPool

from flowctl._errors import FlowctlError, StoreError
from flowctl._redact import mask_url
from flowctl.state._failures import cause_text, store_error

Backend = Literal["sqlite", "postgresql"]
SQLITE_BUSY_TIMEOUT_MS = 30_000
IMMEDIATE = "flowctl_sqlite_immediate"  # execution option: begin the SQLite transaction IMMEDIATE


def backend_of(url: str) -> Backend:
    scheme = url.split(":", 1)[0].lower()
    if scheme == "sqlite" or scheme.startswith("sqlite+"):
        return "sqlite"
    if scheme in ("postgresql", "postgres", "postgresql+psycopg"):
        return "postgresql"
    raise StoreError(
        f"Unsupported registry URL `{mask_url(url)}`",
        detail="Use `sqlite:///path/to/registry.db` or `postgresql://user:password@host:5432/database` "
        "(set with --registry, FLOWCTL_REGISTRY or registry.url in flowctl.toml).",
    )


def is_memory(url: str) -> bool:
    return backend_of(url) == "sqlite" and url.split("?")[0] in ("sqlite://", "sqlite:///:memory:", "sqlite:///")


def create_engine(url: str) -> Engine:
    """An engine for ``url`` with the per-backend settings; raises StoreError for a bad URL."""
    backend = backend_of(url)
    try:
        if backend == "sqlite":
            return _sqlite_engine(url)
        return _postgres_engine(url)
    except (ArgumentError, NoSuchModuleError, ValueError) as exc:
        raise StoreError(f"Invalid registry URL `{mask_url(url)}`", detail=str(exc)) from None


def _postgres_engine(url: str) -> Engine:
    sa_url = make_url(url).set(drivername="postgresql+psycopg")
    return sa.create_engine(sa_url, pool_pre_ping=True, connect_args={"connect_timeout": 10})


def _sqlite_engine(url: str) -> Engine:
    if is_memory(url):
        engine = sa.create_engine(
            "sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False}
        )
    else:
        sa_url = make_url(url)
        path = Path(sa_url.database or "").expanduser()
        engine = sa.create_engine(
            sa_url.set(database=str(path)),
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        )
    _install_sqlite_hooks(engine, file_backed=not is_memory(url))
    return engine


def _install_sqlite_hooks(engine: Engine, *, file_backed: bool) -> None:
    """Take transaction control from pysqlite (SQLAlchemy's documented recipe) and set pragmas.

    Only per-connection pragmas: nothing here writes to the file (the journal mode is set once by
    ``_open`` when it creates the registry)."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if file_backed:
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        immediate = conn.get_execution_options().get(IMMEDIATE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


class Conflict(Exception):
    """A unique key said no (the thing exists already): what :func:`write_transaction` raises."""


@contextmanager
def write_transaction(conn: sa.Connection) -> Iterator[sa.Connection]:
    """One transaction on ``conn``; a unique-key violation that escapes it becomes :class:`Conflict`."""
    try:
        with conn.begin():
            yield conn
    except IntegrityError as exc:
        raise Conflict(str(exc.orig)) from exc


def describe_cause(exc: BaseException, url: str) -> str:
    """The first line of the driver's message, without the password."""
    original = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    password = make_url(url).password if "://" in url else None
    return cause_text(original, str(password) if password else None)


@contextmanager
def translate_errors(url: str, action: str = "use") -> Iterator[None]:
    """Turn database errors into one StoreError naming the masked URL and the cause."""
    try:
        yield
    except FlowctlError:
        raise
    except SQLAlchemyError as exc:
        raise store_error(url, action, describe_cause(exc, url)) from exc
