"""A pass's write (``ExecutionStore.save``): only the claim holder writes, new attempts exist once,
start and end go with the rows. On PostgreSQL the write is one statement (state/_pass_write.py),
on SQLite a transaction of statements: the same test runs on both."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from spec_flows import D, P, chain, register_specs
from sqlalchemy import event

from flowctl.engine import launch
from flowctl.state._executions import (
    AttemptRecord,
    ExecutionStore,
    Finish,
    NewExecution,
    NodeRecord,
    open_execution_store,
)

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def _claimed(registry_url: str, owner: str) -> tuple[ExecutionStore, str]:
    register_specs(registry_url, chain(1))
    store = open_execution_store(registry_url)
    execution = launch(store, P, D, "chain1", {"x": 0})
    assert store.claim_executions(owner, now=datetime.now(UTC), lease_seconds=60, limit=1) == [execution.id]
    return store, execution.id


def _attempt(number: int, phase: str = "submitting", handle: str | None = None) -> AttemptRecord:
    return AttemptRecord("n0", number, phase, "fake", handle=handle, started_at=NOW, outputs_uri=f"mem://o{number}")


def test_a_controller_that_does_not_hold_the_execution_writes_nothing(registry_url: str) -> None:
    store, execution_id = _claimed(registry_url, "a")
    node = NodeRecord("n0", "running", {"x": 0}, started_at=NOW)
    for started_at, finish in ((None, None), (NOW, None), (NOW, Finish("succeeded", {"o0": 1}, None, NOW))):
        assert store.save(execution_id, "b", nodes=[node], new_attempts=[_attempt(0)], started_at=started_at,
                          finish=finish) == []
    assert store.load_nodes(execution_id) == {} and store.load_attempts(execution_id) == {}
    execution = store.get_execution(execution_id)
    assert execution is not None and (execution.phase, execution.started_at, execution.claimed_by) == ("queued", None, "a")
    store.close()


def test_the_holder_starts_writes_and_ends_the_execution_and_attempts_exist_once(registry_url: str) -> None:
    store, execution_id = _claimed(registry_url, "a")
    node = NodeRecord("n0", "running", {"x": 0, "nested": {"xs": [1.5, None]}}, started_at=NOW)
    first = _attempt(0)
    assert store.save(execution_id, "a", nodes=[node], new_attempts=[first], started_at=NOW) == [first]
    execution = store.get_execution(execution_id)
    assert execution is not None and (execution.phase, execution.started_at) == ("running", NOW)
    # the same attempt again (a second controller that lost its lease unnoticed): not inserted
    again, second = _attempt(0), _attempt(1)
    assert store.save(execution_id, "a", new_attempts=[again, second]) == [second]
    running = _attempt(0, "running", "h0")
    running.finished_at = NOW + timedelta(seconds=1)
    node.phase, node.outputs, node.finished_at = "succeeded", {"o0": 1}, NOW + timedelta(seconds=2)
    assert store.save(execution_id, "a", nodes=[node], attempts=[running],
                      finish=Finish("succeeded", {"o0": 1}, None, NOW + timedelta(seconds=3))) == []
    assert store.load_nodes(execution_id) == {"n0": node}
    assert store.load_attempts(execution_id)["n0"] == [running, second]
    execution = store.get_execution(execution_id)
    assert execution is not None
    assert (execution.phase, execution.outputs, execution.error, execution.claimed_by, execution.started_at,
            execution.finished_at) == ("succeeded", {"o0": 1}, None, None, NOW, NOW + timedelta(seconds=3))
    store.close()


def test_a_pass_write_on_postgresql_is_one_statement(postgres_url: str) -> None:
    """Before: BEGIN, the ownership SELECT, the node upsert, the attempt inserts, COMMIT (and a pool
    pre-ping): each a round trip. Now one statement, run as its own transaction."""
    store, execution_id = _claimed(postgres_url, "a")
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    event.listen(store.engine, "before_cursor_execute", count)
    with store.connection():
        store.save(execution_id, "a", nodes=[NodeRecord("n0", "running", {"x": 0}, started_at=NOW)],
                   new_attempts=[_attempt(0)], started_at=NOW)
    event.remove(store.engine, "before_cursor_execute", count)
    assert len(statements) == 1 and statements[0].lstrip().startswith("WITH"), statements
    assert len(store.load_attempts(execution_id)["n0"]) == 1
    store.close()


def test_after_a_one_statement_write_the_steps_connection_runs_transactions_again(postgres_url: str) -> None:
    """The write runs in autocommit on the step's connection; the next write on it must be atomic
    again: a schedule fire whose execution cannot be created leaves no fire row."""
    store, execution_id = _claimed(postgres_url, "a")
    taken = store.get_execution(execution_id)
    assert taken is not None
    clash = NewExecution(P, D, taken.name, taken.launch_plan_name, taken.launch_plan_version, taken.workflow_name,
                         taken.workflow_version, {"x": 1})
    with store.connection():
        store.save(execution_id, "a", nodes=[NodeRecord("n0", "running", {"x": 0}, started_at=NOW)], started_at=NOW)
        assert store.fire_schedule(P, D, "chain1", NOW, clash) is False  # the name is taken: Conflict
    assert store.fires(P, D, "chain1") == []
    store.close()
