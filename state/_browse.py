"""The reads of ``flowctl get`` and ``flowctl registry info``: their SQL, written once, on a DB-API cursor.

Two stores run these same statements: :class:`~flowctl.state._store.SqlStore` on the driver
connection under its SQLAlchemy connection (inside its read transaction: the server's store API
answers with them), and the light reader of ``_browser`` on a plain ``sqlite3`` / ``psycopg``
connection, which imports neither SQLAlchemy, the table models nor pydantic. :class:`Browsing` holds
the methods once; a store supplies :meth:`Browsing._browse`, a cursor in one read transaction.

Values come back as the table models' column types give them: timestamps as aware UTC datetimes
(SQLite stores naive UTC text), JSON columns parsed (SQLite stores text; psycopg parses JSONB).
"""

from __future__ import annotations

import gc
import json
import re
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from flowctl._address import EntityKind
from flowctl.spec import Json
from flowctl.state._failures import cause_text, store_error
from flowctl.state._interface import (
    ActivationRecord,
    ExecutionSummary,
    ProjectListing,
    RegistryInfo,
    StoredEntity,
)
from flowctl.state._schema import SCHEMA_HEAD

_NAMED = re.compile(r"(?<!:):(\w+)")  # not a `::type` cast
_KINDS = {kind.value: kind for kind in EntityKind}
_ENTITY_ORDER = "project, domain, kind, name, created_at, id"
_SUMMARY_COLUMNS = ("id", "project", "domain", "name", "launch_plan_name", "launch_plan_version", "workflow_name",
                    "workflow_version", "phase", "created_at", "started_at", "finished_at", "created_by")


class Sql:
    """A DB-API cursor in a read transaction: ``:name`` parameters on every backend, errors as StoreError."""

    def __init__(self, cursor: Any, backend: str, url: str, *, errors: type[Exception],
                 password: str | None) -> None:
        self.cursor, self.backend, self._url = cursor, backend, url
        self._errors, self._password = errors, password
        self.action = "read"  # what a failure says flowctl could not do: "open" while checking the schema

    def rows(self, statement: str, params: dict[str, Any] | None = None) -> list[Any]:
        if self.backend == "postgresql":  # psycopg takes %(name)s
            statement = _NAMED.sub(r"%(\1)s", statement)
        try:
            self.cursor.execute(statement, params or {})
            return list(self.cursor.fetchall())
        except self._errors as exc:
            raise store_error(self._url, self.action, cause_text(exc, self._password)) from exc

    def one(self, statement: str, params: dict[str, Any] | None = None) -> Any:
        return self.rows(statement, params)[0]


def _where(filters: Sequence[tuple[str, object]]) -> tuple[str, dict[str, Any]]:
    """``WHERE a = :a AND ...`` for the filters given (None: no filter on that column)."""
    given = {column: value for column, value in filters if value is not None}
    return (" WHERE " + " AND ".join(f"{c} = :{c}" for c in given) if given else ""), given


def when(value: Any) -> datetime | None:
    """A nullable timestamp column's value (None stays None)."""
    return None if value is None else at(value)


def at(value: Any) -> datetime:
    """A timestamp column's value as an aware UTC datetime (as ``_types.UTCDateTime`` reads it)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while thousands of spec dicts are built.

    Parsing 10,000 specs allocates some 300,000 containers, which triggers full collections that
    walk the whole heap again and again: snapshots become 2-3x slower and grow worse than linearly.
    The objects built here hold no cycles; the collector resumes (and catches up) afterwards.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def json_value(value: Any) -> Any:
    """A JSON column's value, parsed (SQLite stores text; psycopg parses JSONB)."""
    return json.loads(value) if isinstance(value, str) else value


def list_entities(sql: Sql, kind: EntityKind | None, project: str | None, domain: str | None, name: str | None,
                  version: str | None) -> list[StoredEntity]:
    where, params = _where((("kind", EntityKind(kind).value if kind is not None else None), ("project", project),
                            ("domain", domain), ("name", name), ("version", version)))
    found = sql.rows("SELECT kind, project, domain, name, version, digest, spec, created_at, created_by, managed_by, "
                     f"bundle_uri FROM entities{where} ORDER BY {_ENTITY_ORDER}", params)
    return list(map(entity_of, found))


def entity_of(r: Sequence[Any]) -> StoredEntity:
    """A row of ``kind, project, domain, name, version, digest, spec, created_at, created_by, managed_by,
    bundle_uri`` (positional, for speed: a snapshot converts tens of thousands)."""
    return StoredEntity(_KINDS[r[0]], r[1], r[2], r[3], r[4], r[5], json_value(r[6]), at(r[7]), r[8], r[9], r[10])


def list_executions(sql: Sql, project: str | None, domain: str | None, name: str | None,
                    limit: int) -> list[ExecutionSummary]:
    where, params = _where((("project", project), ("domain", domain), ("name", name)))
    found = sql.rows(f"SELECT {', '.join(_SUMMARY_COLUMNS)} FROM executions{where} "
                     "ORDER BY created_at DESC, id LIMIT :row_limit", {**params, "row_limit": limit})
    return [ExecutionSummary(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], at(r[9]), when(r[10]), when(r[11]),
                             r[12]) for r in found]


def list_projects(sql: Sql) -> list[ProjectListing]:
    settings: dict[str, dict[str, dict[str, Json]]] = {}
    for project, domain, value in sql.rows(
            "SELECT project, name, settings FROM domains WHERE settings IS NOT NULL ORDER BY project, name"):
        settings.setdefault(project, {})[domain] = json_value(value)
    return [ProjectListing(name, state, managed_by, json_value(spec), settings.get(name, {}))
            for name, spec, state, managed_by in sql.rows("SELECT name, spec, state, managed_by FROM projects ORDER BY name")]


def active_launch_plans(sql: Sql) -> list[ActivationRecord]:
    found = sql.rows("SELECT project, domain, name, version, activated_at, managed_by, activated_by "
                     "FROM launch_plan_activations ORDER BY project, domain, name")
    return [ActivationRecord(r[0], r[1], r[2], r[3], at(r[4]), r[5], r[6]) for r in found]


def info(sql: Sql, url: str) -> RegistryInfo:
    lineage, serial, schema = sql.one("SELECT lineage, serial, schema_version FROM registry_meta")
    kinds = dict(sql.rows("SELECT kind, COUNT(*) FROM entities GROUP BY kind"))
    counts = {
        "projects": _count(sql, "projects"),
        "tasks": kinds.get(EntityKind.TASK.value, 0),
        "workflows": kinds.get(EntityKind.WORKFLOW.value, 0),
        "launch_plans": kinds.get(EntityKind.LAUNCH_PLAN.value, 0),
        "active_launch_plans": _count(sql, "launch_plan_activations"),
        "executions": _count(sql, "executions"),
        "applies": _count(sql, "apply_history"),
    }
    return RegistryInfo(url, sql.backend, schema, SCHEMA_HEAD, lineage, serial, counts)


def _count(sql: Sql, table: str) -> int:
    return int(sql.one(f"SELECT COUNT(*) FROM {table}")[0])


class Browsing(ABC):
    """The :class:`~flowctl.state._interface.RegistryBrowser` methods over :meth:`_browse`."""

    url: str  # masked

    @abstractmethod
    def _browse(self) -> AbstractContextManager[Sql]:
        """A cursor in one read transaction: the store's own connection or the DB-API driver's."""

    def list_projects(self) -> Sequence[ProjectListing]:
        with self._browse() as sql:
            return list_projects(sql)

    def active_launch_plans(self) -> Sequence[ActivationRecord]:
        with self._browse() as sql:
            return active_launch_plans(sql)

    def list_entities(self, kind: EntityKind | None = None, project: str | None = None, domain: str | None = None,
                      name: str | None = None, version: str | None = None) -> Sequence[StoredEntity]:
        """Entities matching every filter given, by project, domain, kind, name, then creation."""
        with gc_paused(), self._browse() as sql:
            return list_entities(sql, kind, project, domain, name, version)

    def list_executions(self, project: str | None = None, domain: str | None = None, name: str | None = None, *,
                        limit: int = 100) -> Sequence[ExecutionSummary]:
        """Executions, newest first (for ``flowctl get executions``)."""
        with self._browse() as sql:
            return list_executions(sql, project, domain, name, limit)

    def info(self) -> RegistryInfo:
        with self._browse() as sql:
            return info(sql, self.url)


def password_of(url: str) -> str | None:
    """The password in a registry URL (masked in what a failure says), if any."""
    try:
        return urlsplit(url).password
    except ValueError:
        return None


@contextmanager
def cursor_of(connection: Any) -> Iterator[Any]:
    cursor = connection.cursor()
    try:
        yield cursor
    finally:
        cursor.close()
