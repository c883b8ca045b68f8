"""The light reader of ``flowctl get`` (state/_browser: the DB-API driver, no SQLAlchemy) against the
SQL store, on SQLite and PostgreSQL: every listing returns what the store's own reads return, and
every registry it cannot serve gives the store's message."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from flowctl._address import EntityKind
from flowctl._errors import FlowctlError
from flowctl.spec import DomainSettingsSpec, ProjectSpec, ResourcesSpec, digest_of
from flowctl.state import ExecutionSummary, SqlStore, open_store
from flowctl.state._browser import DbApiBrowser, open_browser
from flowctl.state._execution_records import NewExecution
from flowctl.state._executions import open_execution_store
from flowctl.state.testing import move_schema, task_spec

PROJECTS = ("alpha", "beta")
KINDS = (EntityKind.TASK, EntityKind.WORKFLOW, EntityKind.LAUNCH_PLAN)


def _fill(url: str) -> None:
    """Two projects (one with domain settings, one archived later), every kind in two domains, versions
    registered in two transactions, an active launch plan, executions (one finished) and an apply."""
    store = open_store(url)
    try:
        with store.transaction() as tx:
            for project in PROJECTS:
                tx.upsert_project(ProjectSpec(name=project, description=f"{project} team", labels={"team": project}),
                                  managed_by="manifests")
            tx.upsert_domain_settings(DomainSettingsSpec(project="alpha", domain="production",
                                                         requests=ResourcesSpec(cpu="2"), service_account="sa"),
                                      managed_by="manifests")
        for version in ("v1", "v2"):
            with store.transaction() as tx:
                for project in PROJECTS:
                    for domain in ("development", "production"):
                        for kind in KINDS:
                            spec = task_spec(f"{kind.value}-x", code=version)
                            tx.register(kind, project, domain, f"{kind.value}-x", version, spec, digest_of(spec),
                                        managed_by="manifests", created_by="alice",
                                        bundle_uri="file:///b" if kind is EntityKind.TASK else None)
        with store.transaction() as tx:
            tx.activate("alpha", "production", "launch_plan-x", "v2", managed_by="manifests", activated_by="bob")
            tx.archive_project("beta")
    finally:
        store.close()
    executions = open_execution_store(url, create=False)
    try:
        for n in range(3):
            created = executions.create_execution(NewExecution(
                "alpha", "production", f"run-{n}", "launch_plan-x", "v2", "workflow-x", "v2", {"x": n}, created_by="carol"))
        now = datetime.now(UTC)
        assert executions.claim_executions("w", now=now, lease_seconds=60, limit=10)
        executions.mark_running(created.id, "w", now)
        executions.finish_execution(created.id, "w", phase="succeeded", outputs={"y": 1}, error=None,
                                    now=now + timedelta(seconds=3))
    finally:
        executions.close()


@pytest.fixture
def filled(registry_url: str) -> str:
    _fill(registry_url)
    return registry_url


@pytest.fixture
def browser(filled: str) -> Any:
    found = open_browser(filled)
    assert isinstance(found, DbApiBrowser), "an existing registry at the head schema is read without SQLAlchemy"
    yield found
    found.close()


@pytest.fixture
def store(filled: str) -> Any:
    found = open_store(filled, create=False)
    yield found
    found.close()


def test_projects_are_the_snapshot_s_projects_and_settings(browser: DbApiBrowser, store: SqlStore) -> None:
    snap = store.snapshot()
    expected = [
        (name, record.state, record.managed_by, record.spec.to_json(),
         {domain: settings.to_json() for (project, domain), settings in snap.domain_settings.items() if project == name})
        for name, record in sorted(snap.projects.items())
    ]
    listed = browser.list_projects()
    assert [(p.name, p.state, p.managed_by, p.spec, p.domain_settings) for p in listed] == expected
    assert [p.state for p in listed] == ["active", "archived"]
    assert listed == store.list_projects()


def test_active_launch_plans_are_the_snapshot_s(browser: DbApiBrowser, store: SqlStore) -> None:
    active = browser.active_launch_plans()
    assert list(active) == list(store.snapshot().active_launch_plans.values())
    assert [(a.version, a.activated_by, a.activated_at.tzinfo) for a in active] == [("v2", "bob", UTC)]


@pytest.mark.parametrize("filters", [
    {}, {"kind": EntityKind.TASK}, {"kind": EntityKind.LAUNCH_PLAN, "project": "alpha"},
    {"project": "beta", "domain": "production"}, {"name": "workflow-x", "version": "v1"}, {"project": "nowhere"},
])
def test_entities_are_the_snapshot_s_in_listing_order(browser: DbApiBrowser, store: SqlStore,
                                                      filters: dict[str, Any]) -> None:
    def wanted(entity: Any) -> bool:
        return all(getattr(entity, key) == value for key, value in filters.items())

    expected = sorted((e for e in store.snapshot().entities.values() if wanted(e)),
                      key=lambda e: (e.project, e.domain, e.kind.value, e.name, e.created_at))
    listed = browser.list_entities(**filters)
    assert list(listed) == expected
    assert listed == store.list_entities(**filters)
    for entity in listed:
        assert entity == store.get_entity(entity.kind, entity.project, entity.domain, entity.name, entity.version)
        assert entity.created_at.tzinfo is UTC and isinstance(entity.spec, dict)


@pytest.mark.parametrize("filters", [{}, {"project": "alpha", "domain": "production"}, {"name": "run-1"},
                                     {"project": "beta"}])
@pytest.mark.parametrize("limit", [1, 100])
def test_executions_are_the_execution_store_s(filled: str, browser: DbApiBrowser, filters: dict[str, str],
                                              limit: int) -> None:
    executions = open_execution_store(filled, create=False)
    try:
        full = [x for x in executions.list_executions(limit=1000)
                if all(getattr(x, key) == value for key, value in filters.items())][:limit]
    finally:
        executions.close()
    listed = browser.list_executions(**filters, limit=limit)
    fields = list(ExecutionSummary.__dataclass_fields__)
    assert [[getattr(x, f) for f in fields] for x in listed] == [[getattr(x, f) for f in fields] for x in full]
    assert len(listed) == min(limit, 3 if filters.get("project") != "beta" and "name" not in filters else len(full))
    if not filters and limit == 100:
        finished = [x for x in listed if x.finished_at is not None]
        assert len(finished) == 1 and finished[0].started_at is not None and finished[0].finished_at.tzinfo is UTC


def test_info_counts_what_the_store_holds(browser: DbApiBrowser, store: SqlStore) -> None:
    snap = store.snapshot()
    info = browser.info()
    assert info == store.info()
    kinds = [e.kind for e in snap.entities.values()]
    assert (info.lineage, info.serial, info.schema_version) == (snap.lineage, snap.serial, info.schema_head)
    assert info.counts == {
        "projects": len(snap.projects), "tasks": kinds.count(EntityKind.TASK),
        "workflows": kinds.count(EntityKind.WORKFLOW), "launch_plans": kinds.count(EntityKind.LAUNCH_PLAN),
        "active_launch_plans": len(snap.active_launch_plans), "executions": 3, "applies": len(store.apply_history()),
    }


def _message(url: str, opener: Any) -> str:
    with pytest.raises(FlowctlError) as info:
        opener(url).close()
    return info.value.render()


def _newer(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()


@pytest.mark.parametrize("change", ["older schema", "newer schema"])
def test_a_registry_at_another_schema_gives_the_store_s_message(registry_url: str, change: str) -> None:
    open_store(registry_url).close()
    move_schema(registry_url, "0001") if change == "older schema" else _newer(registry_url)
    message = _message(registry_url, lambda u: open_store(u, create=False))
    assert _message(registry_url, open_browser) == message
    assert ("flowctl registry migrate" if change == "older schema" else "newer flowctl") in message


@pytest.mark.parametrize("content", ["missing", "empty", "not a database", "foreign tables"])
def test_a_sqlite_file_that_is_no_registry_gives_the_store_s_message(tmp_path: Path, content: str) -> None:
    path = tmp_path / "registry.db"
    if content == "empty":
        path.write_bytes(b"")
    elif content == "not a database":
        path.write_bytes(b"this is not sqlite" * 100)
    elif content == "foreign tables":
        engine = sa.create_engine(f"sqlite:///{path}")
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE invoices (id INTEGER)"))
        engine.dispose()
    url = f"sqlite:///{path}"
    before = path.read_bytes() if path.exists() else None
    assert _message(url, open_browser) == _message(url, lambda u: open_store(u, create=False))
    assert (path.read_bytes() if path.exists() else None) == before, "listing never creates or changes a file"


def test_an_unreachable_postgres_gives_the_store_s_message() -> None:
    url = "postgresql://alice:s3cret@127.0.0.1:1/registry"
    message = _message(url, open_browser)
    assert message == _message(url, lambda u: open_store(u, create=False))
    assert "alice:***@127.0.0.1:1" in message and "s3cret" not in message


def test_urls_it_does_not_serve_open_the_sql_store(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'r.db'}?timeout=5"
    open_store(url).close()
    found = open_browser(url)
    try:
        assert isinstance(found, SqlStore) and found.info().counts["projects"] == 0
    finally:
        found.close()
    assert "Unsupported registry URL" in _message("mysql://u:secret@h/db", open_browser)
