"""The execution reads of ``flowctl executions list|get|show|outputs``: their SQL, written once.

Two stores run these statements on a DB-API cursor (:class:`~flowctl.state._browse.Sql`): the
:class:`~flowctl.state._executions.ExecutionStore` on the driver connection under its SQLAlchemy
connection (so the controller, the server and the CLI read executions alike), and the light reader
of ``_browser`` on a plain ``sqlite3`` / ``psycopg`` connection, which imports no SQLAlchemy.
:class:`ExecutionReading` holds the methods once; a store supplies ``_browse``, a cursor in one
read transaction. Rows become the records of ``_execution_records`` with the column types the
table models give them (aware UTC datetimes, parsed JSON, booleans).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from typing import Any

from flowctl.state._browse import Sql, at, json_value, when
from flowctl.state._execution_records import (
    ACTIVE_PHASES,
    ATTEMPT_ACTIVE_PHASES,
    TERMINAL_PHASES,
    AccountedAttempt,
    AttemptRecord,
    ExecutionRecord,
    NodeRecord,
    StoredSpec,
)

Convert = Callable[[Any], Any]
_JSON_COLUMNS = ("inputs", "outputs", "error", "labels")
_TIME_COLUMNS = ("started_at", "finished_at", "scheduled_at", "claim_expires_at")
_BOOL_COLUMNS = ("abort_requested", "cache_hit")


def _converters(fields: Mapping[str, Any]) -> tuple[tuple[str, Convert], ...]:
    """Each record field (a column of the same name) with how its value is read."""

    def convert(name: str) -> Convert:
        if name in _JSON_COLUMNS:
            return json_value
        if name == "created_at":
            return at
        if name in _TIME_COLUMNS:
            return when
        if name in _BOOL_COLUMNS:
            return bool
        return _same

    return tuple((name, convert(name)) for name in fields)


def _same(value: Any) -> Any:
    return value


_EXECUTION = _converters(ExecutionRecord.__dataclass_fields__)
_NODE = _converters(NodeRecord.__dataclass_fields__)
_ATTEMPT = _converters(AttemptRecord.__dataclass_fields__)
_EXECUTION_SELECT = f"SELECT {', '.join(name for name, _ in _EXECUTION)} FROM executions"


def _record(columns: tuple[tuple[str, Convert], ...], row: Any) -> dict[str, Any]:
    return {name: convert(value) for (name, convert), value in zip(columns, row, strict=True)}


def _executions(sql: Sql, where: str, params: dict[str, Any]) -> list[ExecutionRecord]:
    return [ExecutionRecord(**_record(_EXECUTION, row)) for row in sql.rows(f"{_EXECUTION_SELECT}{where}", params)]


def get_spec(sql: Sql, kind: str, project: str, domain: str, name: str, version: str) -> StoredSpec | None:
    found = sql.rows("SELECT name, version, spec, bundle_uri FROM entities WHERE kind = :kind AND project = :project "
                     "AND domain = :domain AND name = :name AND version = :version",
                     {"kind": kind, "project": project, "domain": domain, "name": name, "version": version})
    return StoredSpec(found[0][0], found[0][1], json_value(found[0][2]), found[0][3]) if found else None


def get_execution(sql: Sql, execution_id: str) -> ExecutionRecord | None:
    found = _executions(sql, " WHERE id = :id", {"id": execution_id})
    return found[0] if found else None


def find_executions(sql: Sql, ref: str) -> list[ExecutionRecord]:
    parts = ref.split("/")
    if len(parts) == 3:
        return _executions(sql, " WHERE project = :project AND domain = :domain AND name = :name",
                           {"project": parts[0], "domain": parts[1], "name": parts[2]})
    return _executions(sql, " WHERE id = :ref OR name = :ref", {"ref": ref})


def list_executions(sql: Sql, *, project: str | None, domain: str | None, phase: str | None,
                    launch_plan: str | None, limit: int, top_level_only: bool) -> list[ExecutionRecord]:
    given = {column: value for column, value in (("project", project), ("domain", domain), ("phase", phase),
                                                  ("launch_plan_name", launch_plan)) if value is not None}
    conditions = [f"{column} = :{column}" for column in given]
    if top_level_only:
        conditions.append("parent_execution_id IS NULL")
    where = " WHERE " + " AND ".join(conditions) if conditions else ""
    return _executions(sql, f"{where} ORDER BY created_at DESC, id LIMIT :row_limit", {**given, "row_limit": limit})


def load_nodes(sql: Sql, execution_id: str) -> dict[str, NodeRecord]:
    found = sql.rows(f"SELECT {', '.join(name for name, _ in _NODE)} FROM node_executions "
                     "WHERE execution_id = :id ORDER BY id", {"id": execution_id})
    return {row[0]: NodeRecord(**_record(_NODE, row)) for row in found}


def load_attempts(sql: Sql, execution_id: str) -> dict[str, list[AttemptRecord]]:
    found: dict[str, list[AttemptRecord]] = {}
    for row in sql.rows(f"SELECT {', '.join(name for name, _ in _ATTEMPT)} FROM attempts "
                        "WHERE execution_id = :id ORDER BY node_id, attempt", {"id": execution_id}):
        found.setdefault(row[0], []).append(AttemptRecord(**_record(_ATTEMPT, row)))
    return found


def _phases(phases: Any) -> str:
    return ", ".join(f"'{phase}'" for phase in sorted(phases))


_ACCOUNTED = (
    "SELECT x.project, x.domain, x.name, a.node_id, a.attempt, a.handle "
    "FROM attempts a JOIN executions x ON x.id = a.execution_id WHERE a.provider = :provider AND ("
    f"(x.phase IN ({_phases(ACTIVE_PHASES)}) AND a.phase IN ({_phases(ATTEMPT_ACTIVE_PHASES)})) "
    f"OR (a.phase IN ({_phases(TERMINAL_PHASES)}) AND a.cleaned_at IS NULL))"
)


def accounted_attempts(sql: Sql, provider: str) -> frozenset[AccountedAttempt]:
    """The attempts of ``provider`` whose resource the registry accounts for, in one query.

    Active (submitting or running) attempts of active executions, and the ended attempts whose
    cleanup is not recorded (``attempts.cleaned_at``): the pass that ended them is still to clean
    their resource up, or its controller was killed first and the recovery sweep of a controller
    will (engine/_cleanup.py), whether or not the execution is still running.
    """
    return frozenset(AccountedAttempt(str(row[0]), str(row[1]), str(row[2]), str(row[3]), int(row[4]), row[5])
                     for row in sql.rows(_ACCOUNTED, {"provider": provider}))


class ExecutionReading(ABC):
    """The :class:`~flowctl.state._execution_access.ExecutionReader` methods over ``_browse``."""

    @abstractmethod
    def _browse(self) -> AbstractContextManager[Sql]:
        """A cursor in one read transaction: the store's own connection or the DB-API driver's."""

    def get_spec(self, kind: str, project: str, domain: str, name: str, version: str) -> StoredSpec | None:
        with self._browse() as sql:
            return get_spec(sql, kind, project, domain, name, version)

    def get_execution(self, execution_id: str) -> ExecutionRecord | None:
        with self._browse() as sql:
            return get_execution(sql, execution_id)

    def find_executions(self, ref: str) -> list[ExecutionRecord]:
        """Executions matching ``ref``: an id, a name, or ``project/domain/name``."""
        with self._browse() as sql:
            return find_executions(sql, ref)

    def list_executions(self, *, project: str | None = None, domain: str | None = None, phase: str | None = None,
                        launch_plan: str | None = None, limit: int = 50,
                        top_level_only: bool = False) -> list[ExecutionRecord]:
        """Executions matching every filter given, newest first."""
        with self._browse() as sql:
            return list_executions(sql, project=project, domain=domain, phase=phase, launch_plan=launch_plan,
                                   limit=limit, top_level_only=top_level_only)

    def load_nodes(self, execution_id: str) -> dict[str, NodeRecord]:
        with self._browse() as sql:
            return load_nodes(sql, execution_id)

    def load_attempts(self, execution_id: str) -> dict[str, list[AttemptRecord]]:
        """Attempts by node id, oldest first."""
        with self._browse() as sql:
            return load_attempts(sql, execution_id)

    def accounted_attempts(self, provider: str) -> frozenset[AccountedAttempt]:
        """The attempts of ``provider`` whose resource the registry accounts for (see the function)."""
        with self._browse() as sql:
            return accounted_attempts(sql, provider)

