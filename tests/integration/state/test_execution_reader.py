"""The light execution reader of ``executions list|get|show|outputs`` (state/_execution_browser: the
SQL of state/_execution_reads on the DB-API connection of state/_browser, no SQLAlchemy) against the
execution store's SQLAlchemy reads of the table models (``load_passes``), on SQLite and PostgreSQL;
registries it cannot serve open the execution store."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from flowctl._address import EntityKind
from flowctl._errors import FlowctlError
from flowctl.spec import ProjectSpec, digest_of
from flowctl.state import open_store
from flowctl.state._execution_browser import DbApiExecutions, open_execution_reader
from flowctl.state._execution_records import AttemptRecord, ExecutionRecord, NewExecution, NodeRecord
from flowctl.state._executions import ENTITIES, ExecutionStore, open_execution_store
from flowctl.state.testing import task_spec

NOW = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)


def _fill(url: str) -> list[ExecutionRecord]:
    """A registered workflow; four executions: queued, running with nodes and attempts, failed with
    errors, and a child with labels and a schedule time."""
    store = open_store(url)
    try:
        with store.transaction() as tx:
            tx.upsert_project(ProjectSpec(name="alpha"), managed_by="manifests")
            for kind in (EntityKind.TASK, EntityKind.WORKFLOW):
                spec = task_spec("wf", code="x")
                tx.register(kind, "alpha", "production", "wf", "v1", spec, digest_of(spec), managed_by="m",
                            created_by="alice", bundle_uri="file:///b")
    finally:
        store.close()
    executions = open_execution_store(url, create=False)
    try:
        made = [executions.create_execution(NewExecution("alpha", "production", f"run-{n}", "lp", "v1", "wf", "v1",
                                                         {"n": n, "deep": {"a": [1, 2]}}, created_by="carol"))
                for n in range(3)]
        made.append(executions.create_execution(NewExecution(
            "alpha", "development", "child", "lp", "v2", "wf", "v1", {}, parent_execution_id=made[1].id,
            parent_node_id="n0", scheduled_at=NOW, max_parallelism=3, labels={"team": "a"})))
        assert executions.claim_executions("w", now=NOW, lease_seconds=60, limit=10)
        for x in made[1:3]:
            executions.mark_running(x.id, "w", NOW)
            nodes = [NodeRecord("n0", "succeeded", {"a": 1}, {"o": "x"}, None, NOW, NOW + timedelta(seconds=2),
                                cache_hit=True),
                     NodeRecord("n1", "failed", None, None, {"kind": "user", "message": "boom"}, NOW, None,
                                retry_count=1),
                     NodeRecord("n2[0]", "running", started_at=NOW)]
            attempts = [AttemptRecord("n1", 0, "failed", "local", "h0", NOW, NOW, "user", "boom", None, "file:///l0"),
                        AttemptRecord("n1", 1, "running", "local", "h1", NOW),
                        AttemptRecord("n0", 0, "succeeded", "local", None, NOW, NOW, outputs_uri="file:///o")]
            assert executions.save(x.id, "w", nodes=nodes, new_attempts=attempts)
        executions.finish_execution(made[2].id, "w", phase="failed", outputs=None,
                                    error={"code": "E", "message": "m"}, now=NOW + timedelta(seconds=3))
        executions.request_abort(made[0].id)
        return [found for x in made if (found := executions.get_execution(x.id)) is not None]
    finally:
        executions.close()


@pytest.fixture
def filled(registry_url: str) -> tuple[str, list[ExecutionRecord]]:
    return registry_url, _fill(registry_url)


@pytest.fixture
def reader(filled: tuple[str, list[ExecutionRecord]]) -> Iterator[DbApiExecutions]:
    found = open_execution_reader(filled[0])
    assert isinstance(found, DbApiExecutions), "an existing registry at the head schema is read without SQLAlchemy"
    yield found
    found.close()


@pytest.fixture
def store(filled: tuple[str, list[ExecutionRecord]]) -> Iterator[ExecutionStore]:
    found = open_execution_store(filled[0], create=False)
    yield found
    found.close()


def test_each_execution_with_its_nodes_and_attempts_is_the_table_models_read(
        filled: tuple[str, list[ExecutionRecord]], reader: DbApiExecutions, store: ExecutionStore) -> None:
    made = filled[1]
    passes = store.load_passes([x.id for x in made])  # SQLAlchemy's select of the table models
    assert len(passes) == 4
    for execution, nodes, attempts in passes.values():
        assert reader.get_execution(execution.id) == execution
        assert reader.load_nodes(execution.id) == nodes
        assert reader.load_attempts(execution.id) == attempts
        assert reader.find_executions(execution.id) == [execution]
        assert reader.find_executions(f"{execution.project}/{execution.domain}/{execution.name}") == [execution]
        assert reader.find_executions(execution.name) == [execution]
        _same_types(reader.get_execution(execution.id), execution)
        for node_id, node in reader.load_nodes(execution.id).items():
            _same_types(node, nodes[node_id])
        for node_id, found in reader.load_attempts(execution.id).items():
            for light, full in zip(found, attempts[node_id], strict=True):
                _same_types(light, full)
        assert execution.created_at.tzinfo is UTC
    running = passes[made[1].id]
    assert list(running[2]) == ["n0", "n1"] and [a.attempt for a in running[2]["n1"]] == [0, 1]
    assert running[1]["n0"].cache_hit is True and running[1]["n1"].error == {"kind": "user", "message": "boom"}
    child = passes[made[3].id][0]
    assert child.labels == {"team": "a"} and child.scheduled_at == NOW and child.max_parallelism == 3
    assert passes[made[0].id][0].abort_requested is True
    assert reader.get_execution("nope") is None and reader.find_executions("nope") == []
    assert reader.load_nodes("nope") == {} and reader.load_attempts("nope") == {}


@pytest.mark.parametrize("filters", [{}, {"project": "alpha", "domain": "production"}, {"phase": "failed"},
                                     {"launch_plan": "lp"}, {"top_level_only": True}, {"project": "beta"}])
@pytest.mark.parametrize("limit", [1, 50])
def test_listings_are_the_execution_store_s(reader: DbApiExecutions, store: ExecutionStore,
                                            filters: dict[str, object], limit: int) -> None:
    listed = reader.list_executions(**filters, limit=limit)  # type: ignore[arg-type]
    passes = store.load_passes([x.id for x in store.list_executions(limit=1000)])
    everything = sorted((x for x, _, _ in passes.values()), key=lambda x: x.id)
    everything.sort(key=lambda x: x.created_at, reverse=True)  # newest first, then by id
    matching = [x for x in everything
                if all((x.parent_execution_id is None) if key == "top_level_only" else
                       getattr(x, "launch_plan_name" if key == "launch_plan" else key) == value
                       for key, value in filters.items())]
    assert listed == matching[:limit]
    assert listed == store.list_executions(**filters, limit=limit)  # type: ignore[arg-type]


def test_a_spec_is_the_table_s(filled: tuple[str, list[ExecutionRecord]], reader: DbApiExecutions,
                               store: ExecutionStore) -> None:
    found = reader.get_spec("workflow", "alpha", "production", "wf", "v1")
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(ENTITIES.c.spec, ENTITIES.c.bundle_uri).where(
            ENTITIES.c.kind == "workflow", ENTITIES.c.name == "wf", ENTITIES.c.version == "v1")).one()
    assert found is not None and (found.name, found.version, found.spec, found.bundle_uri) == ("wf", "v1", *row)
    assert found == store.get_spec("workflow", "alpha", "production", "wf", "v1")
    assert reader.get_spec("workflow", "alpha", "production", "wf", "v2") is None


def _same_types(light: object, full: object) -> None:
    """Equal is not enough (1 == True, a naive and an aware datetime differ only in type): every field's type too."""
    assert type(light) is type(full)
    for name in type(full).__dataclass_fields__:  # type: ignore[attr-defined]
        assert type(getattr(light, name)) is type(getattr(full, name)), name


def _message(url: str) -> str:
    with pytest.raises(FlowctlError) as raised:
        open_execution_reader(url).close()
    return str(raised.value)


def test_a_registry_it_cannot_serve_gives_the_store_s_message(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'missing.db'}"
    message = _message(url)
    with pytest.raises(FlowctlError) as raised:
        open_execution_store(url, create=False).close()
    assert message == str(raised.value)
    assert not (tmp_path / "missing.db").exists(), "reading never creates a registry"


def test_urls_it_does_not_serve_open_the_execution_store(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'r.db'}?timeout=5"
    open_store(url).close()
    found = open_execution_reader(url)
    try:
        assert isinstance(found, ExecutionStore) and found.list_executions() == []
    finally:
        found.close()


def test_a_failing_read_gives_the_same_message_on_both(filled: tuple[str, list[ExecutionRecord]],
                                                       store: ExecutionStore) -> None:
    with store.engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE attempts"))
    messages, reader = [], open_execution_reader(filled[0])
    try:
        for opened in (store, reader):
            with pytest.raises(FlowctlError) as raised:
                opened.load_attempts(filled[1][1].id)
            messages.append(raised.value.render())
    finally:
        reader.close()
    assert messages[0] == messages[1] and "Cannot read the registry" in messages[0] and "attempts" in messages[0]
