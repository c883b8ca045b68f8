"""Read queries of the HTTP API and the console: filtered, cursor-paginated execution lists and
the per-execution aggregates the pages show. Filtering, ordering and paging happen in the database.

Pages are ordered newest first by ``(created_at, id)``; a cursor is the opaque, URL-safe key of the
last row of a page, and the next page starts strictly after it (keyset pagination: no OFFSET, so
page 200 costs what page 1 costs, and rows inserted meanwhile never shift a page).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from flowctl._errors import InputError
from flowctl.spec import DomainSettingsSpec, ProjectSpec
from flowctl.state._convert import apply_from_row
from flowctl.state._engine import translate_errors
from flowctl.state._execution_records import AttemptRecord, ExecutionRecord, NodeRecord, _execution
from flowctl.state._interface import ActivationRecord, ApplyRecord, ProjectRecord
from flowctl.state._tables import (
    ActivationRow,
    ApplyRow,
    AttemptRow,
    DomainRow,
    ExecutionRow,
    NodeExecutionRow,
    ProjectRow,
    ScheduleFireRow,
    table,
)

EXECUTIONS = table(ExecutionRow)
NODES = table(NodeExecutionRow)
ATTEMPTS = table(AttemptRow)
FIRES = table(ScheduleFireRow)
PROJECTS = table(ProjectRow)
DOMAINS = table(DomainRow)
ACTIVATIONS = table(ActivationRow)
APPLIES = table(ApplyRow)
MAX_PAGE = 500
_HEAVY = ("inputs", "outputs")  # columns a list never needs (an execution's values can be large)


@dataclass(frozen=True)
class ExecutionFilter:
    """Every field given must match; ``phases`` and ``labels`` (key -> value) match all listed."""

    project: str | None = None
    domain: str | None = None
    phases: Sequence[str] = ()
    launch_plan: str | None = None
    workflow: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    top_level_only: bool = False
    # access control: only these (project, domain) places, a None domain meaning the whole project;
    # None: everywhere. An empty tuple matches nothing.
    visible: Sequence[tuple[str, str | None]] | None = None


@dataclass(frozen=True)
class ExecutionPage:
    """One page; ``next_cursor`` None on the last page. Records carry no inputs/outputs (empty/None)."""

    items: list[ExecutionRecord]
    next_cursor: str | None


def encode_cursor(created_at: datetime, execution_id: str) -> str:
    raw = json.dumps([created_at.isoformat(), execution_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created, execution_id = json.loads(raw)
        return datetime.fromisoformat(created), str(execution_id)
    except (ValueError, TypeError) as exc:
        raise InputError(
            f"Invalid cursor `{cursor[:40]}`",
            detail="Pass the `next_cursor` value of a previous page unchanged, or omit it for the first page.",
        ) from exc


class _Reads:
    """Reads over one engine; database errors become StoreError naming the (masked) URL."""

    def __init__(self, engine: Engine, url: str) -> None:
        self.engine = engine
        self.url = url

    @contextmanager
    def _conn(self) -> Iterator[sa.Connection]:
        with translate_errors(self.url, "read"), self.engine.connect() as conn:
            yield conn


class RegistryQueries(_Reads):
    """Small registry reads (no full snapshot): projects, activations, one apply record."""


    def projects(self) -> list[ProjectRecord]:
        p = PROJECTS.c
        with self._conn() as conn:
            rows = conn.execute(sa.select(p.spec, p.state, p.managed_by).order_by(p.name)).all()
        return [ProjectRecord(ProjectSpec.model_validate(r.spec), r.state, r.managed_by) for r in rows]

    def domain_settings(self, project: str) -> dict[str, DomainSettingsSpec]:
        d = DOMAINS.c
        query = sa.select(d.name, d.settings).where(d.project == project, d.settings.is_not(None))
        with self._conn() as conn:
            return {r.name: DomainSettingsSpec.model_validate(r.settings) for r in conn.execute(query).all()}

    def activations(self, project: str | None = None, domain: str | None = None) -> list[ActivationRecord]:
        a = ACTIVATIONS.c
        query = sa.select(a.project, a.domain, a.name, a.version, a.activated_at, a.managed_by).order_by(
            a.project, a.domain, a.name)
        for column, value in ((a.project, project), (a.domain, domain)):
            if value is not None:
                query = query.where(column == value)
        with self._conn() as conn:
            return [ActivationRecord(*row) for row in conn.execute(query).all()]

    def apply(self, serial: int) -> ApplyRecord | None:
        """The history entry of ``serial`` (the newest one when several share it)."""
        query = sa.select(APPLIES).where(APPLIES.c.serial == serial).order_by(APPLIES.c.id.desc()).limit(1)
        with self._conn() as conn:
            row = conn.execute(query).first()
        return apply_from_row(row) if row is not None else None


class ExecutionQueries(_Reads):
    """The API's execution reads (over the execution store's engine)."""

    _columns = [c for c in EXECUTIONS.c if c.name not in _HEAVY]

    def page(self, where: ExecutionFilter, *, limit: int = 50, cursor: str | None = None) -> ExecutionPage:
        """Executions matching ``where``, newest first, at most ``limit`` (capped at 500) after ``cursor``."""
        limit = max(1, min(limit, MAX_PAGE))
        x = EXECUTIONS.c
        query = sa.select(*self._columns).where(*_conditions(where))
        if cursor:
            created, last_id = decode_cursor(cursor)
            query = query.where(sa.or_(x.created_at < created, sa.and_(x.created_at == created, x.id < last_id)))
        query = query.order_by(x.created_at.desc(), x.id.desc()).limit(limit + 1)
        with self._conn() as conn:
            rows = conn.execute(query).all()
        items = [_light(r) for r in rows[:limit]]
        more = len(rows) > limit
        return ExecutionPage(items, encode_cursor(items[-1].created_at, items[-1].id) if more and items else None)

    def count(self, where: ExecutionFilter) -> int:
        with self._conn() as conn:
            return int(conn.execute(sa.select(sa.func.count()).where(*_conditions(where))).scalar() or 0)

    def node_phase_counts(self, execution_ids: Sequence[str]) -> dict[str, dict[str, int]]:
        """execution id -> node phase -> count (for progress bars in lists)."""
        if not execution_ids:
            return {}
        n = NODES.c
        query = (sa.select(n.execution_id, n.phase, sa.func.count())
                 .where(n.execution_id.in_(list(execution_ids))).group_by(n.execution_id, n.phase))
        found: dict[str, dict[str, int]] = {}
        with self._conn() as conn:
            for execution_id, phase, count in conn.execute(query).all():
                found.setdefault(execution_id, {})[phase] = int(count)
        return found

    def nodes(self, execution_id: str) -> dict[str, NodeRecord]:
        """An execution's node rows without their values (``inputs``/``outputs`` None): what pages list."""
        fields = [f for f in NodeRecord.__dataclass_fields__ if f not in _HEAVY]
        query = sa.select(*_columns(NODES, fields, self.engine)).where(NODES.c.execution_id == execution_id)
        with self._conn() as conn:
            return {r[0]: NodeRecord(**dict(zip(fields, _times(r, fields), strict=True)))
                    for r in conn.execute(query).all()}

    def node(self, execution_id: str, node_id: str) -> NodeRecord | None:
        """One node row with its values."""
        n = NODES.c
        fields = list(NodeRecord.__dataclass_fields__)
        with self._conn() as conn:
            row = conn.execute(sa.select(*(n[f] for f in fields)).where(
                n.execution_id == execution_id, n.node_id == node_id)).first()
        return NodeRecord(*row) if row is not None else None

    def attempts(self, execution_id: str) -> dict[str, list[AttemptRecord]]:
        """An execution's attempts by node id, oldest first."""
        a = ATTEMPTS.c
        fields = list(AttemptRecord.__dataclass_fields__)
        query = (sa.select(*_columns(ATTEMPTS, fields, self.engine)).where(a.execution_id == execution_id)
                 .order_by(a.node_id, a.attempt))
        found: dict[str, list[AttemptRecord]] = {}
        with self._conn() as conn:
            for r in conn.execute(query).all():
                found.setdefault(r[0], []).append(AttemptRecord(*_times(r, fields)))
        return found

    def last_execution(self, project: str, domain: str, launch_plan: str) -> ExecutionRecord | None:
        """The newest execution of a launch plan in a project/domain."""
        page = self.page(ExecutionFilter(project=project, domain=domain, launch_plan=launch_plan), limit=1)
        return page.items[0] if page.items else None

    def last_fires(self, project: str | None = None) -> dict[tuple[str, str, str], datetime]:
        """(project, domain, launch plan) -> the newest recorded fire time."""
        f = FIRES.c
        query = sa.select(f.project, f.domain, f.launch_plan_name, sa.func.max(f.fire_time)).group_by(
            f.project, f.domain, f.launch_plan_name)
        if project is not None:
            query = query.where(f.project == project)
        with self._conn() as conn:
            rows = conn.execute(query).all()
        return {(r[0], r[1], r[2]): _aware(r[3]) for r in rows if r[3] is not None}


def _conditions(where: ExecutionFilter) -> list[sa.ColumnElement[bool]]:
    x = EXECUTIONS.c
    found: list[sa.ColumnElement[bool]] = [
        column == value
        for column, value in ((x.project, where.project), (x.domain, where.domain),
                              (x.launch_plan_name, where.launch_plan), (x.workflow_name, where.workflow))
        if value is not None
    ]
    if where.phases:
        found.append(x.phase.in_(list(where.phases)))
    if where.created_after is not None:
        found.append(x.created_at >= where.created_after)
    if where.created_before is not None:
        found.append(x.created_at < where.created_before)
    found += [x.labels[key].as_string() == value for key, value in where.labels.items()]
    if where.top_level_only:
        found.append(x.parent_execution_id.is_(None))
    if where.visible is not None:
        found.append(sa.or_(sa.false(), *(
            x.project == project if domain is None else sa.and_(x.project == project, x.domain == domain)
            for project, domain in where.visible)))
    return found


_TIMES = frozenset({"started_at", "finished_at"})


def _columns(table_: sa.Table, fields: list[str], engine: Engine) -> list[Any]:
    """``fields`` of ``table_``; on SQLite the timestamps as their stored text, parsed by ``_times``
    (SQLAlchemy's SQLite parser is a regular expression: a third of the time of a 500-node page)."""
    if engine.dialect.name != "sqlite":
        return [table_.c[f] for f in fields]
    return [sa.type_coerce(table_.c[f], sa.String).label(f) if f in _TIMES else table_.c[f] for f in fields]


def _times(row: Any, fields: list[str]) -> list[Any]:
    return [_aware(v) if f in _TIMES and isinstance(v, str) else v for f, v in zip(fields, row, strict=True)]


def _light(row: Any) -> ExecutionRecord:
    values = dict(row._mapping)
    values.update(inputs={}, outputs=None)
    return _execution(_Row(values))


def _aware(value: Any) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value if "+" in value[19:] else value + "+00:00")
    assert isinstance(value, datetime)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


@dataclass(frozen=True)
class _Row:
    _mapping: dict[str, Any]
