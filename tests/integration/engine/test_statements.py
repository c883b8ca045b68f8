"""SQL per execution: a pass's writes go in one transaction, its reads in one; counted, not timed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from spec_flows import D, P, chain, register_specs
from sqlalchemy import event

from flowctl._blobstore import BlobStore
from flowctl.engine import Controller, EngineContext, launch
from flowctl.providers.testing import FakeProvider
from flowctl.state._executions import open_execution_store


class Counter:
    def __init__(self, engine: Any) -> None:
        self.statements: list[str] = []
        self.commits = 0
        self.checkouts = 0  # connections taken from the pool (on PostgreSQL each is a pre-ping round trip)
        self.engine = engine
        event.listen(engine, "before_cursor_execute", self._statement)
        event.listen(engine, "commit", self._commit)
        event.listen(engine.pool, "checkout", self._checkout)

    def stop(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._statement)
        event.remove(self.engine, "commit", self._commit)
        event.remove(self.engine.pool, "checkout", self._checkout)

    def _checkout(self, *_: Any) -> None:
        self.checkouts += 1

    def _statement(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        self.statements.append(statement.split(None, 1)[0].upper())

    def _commit(self, _conn: Any) -> None:
        self.commits += 1


def _one_node_execution(registry_url: str, tmp_path: Path) -> Counter:
    register_specs(registry_url, chain(1))
    ctx = EngineContext(open_execution_store(registry_url), FakeProvider(lambda r: {"o0": 1}),
                        BlobStore(str(tmp_path / "b")))
    execution = launch(ctx.store, P, D, "chain1", {"x": 0})
    controller = Controller(ctx, schedules=False, notifications=False)
    counter = Counter(ctx.store.engine)
    controller.step()  # FakeProvider's attempts end at submit: one step runs the execution
    counter.stop()
    done = ctx.store.get_execution(execution.id)
    assert done is not None and done.phase == "succeeded" and done.outputs == {"o0": 1}
    node = ctx.store.load_nodes(execution.id)["n0"]
    attempts = ctx.store.load_attempts(execution.id)["n0"]
    # what recovery needs is all there: the node's result and the attempt with its handle
    assert node.phase == "succeeded" and [a.phase for a in attempts] == ["succeeded"] and attempts[0].handle
    controller.shutdown()
    return counter


def test_a_one_node_execution_takes_few_statements_and_commits(registry_url: str, tmp_path: Path) -> None:
    counter = _one_node_execution(registry_url, tmp_path)
    # commits: the claim; the start (node and attempt rows, before the submit); the result with the
    # execution's end. Statements: those plus one read of the execution's rows, the specs (cached
    # after the first execution) and the domain settings. Before: 5 commits, 20 (SQLite) and 19
    # (PostgreSQL) statements besides BEGIN.
    # Since cleanups are recorded (attempts.cleaned_at): one more, the record of the step's cleanups
    # (it follows the cleanup, so it cannot go with the execution's end), and the first step's
    # recovery sweep reads the attempts awaiting a cleanup: one SELECT.
    assert counter.commits <= 4, counter.commits
    data = [s for s in counter.statements if s != "BEGIN"]
    # Before the step held one connection and ownership went into the UPDATE that starts / ends
    # the execution: 16 statements (the SELECT of the owner twice, the start a statement of its own).
    # On PostgreSQL each of the two writes is one statement (state/_pass_write.py). The step's
    # renewal runs even when nothing is held (it renews what the rows say we hold): one UPDATE.
    assert len(data) <= (13 if registry_url.startswith("postgresql") else 17), counter.statements
    assert counter.checkouts == 1, counter.checkouts  # was 5: one per store call


def test_a_drained_batch_costs_per_execution_only_its_two_writes(registry_url: str, tmp_path: Path) -> None:
    """One step drains a batch of one-node executions: what is per execution is the write before the
    submit and the write of the result (three statements each: the ownership check is the UPDATE
    that starts or ends the execution); the claim, the reads of the rows and of the domain settings
    are per step; the step takes one connection from the pool."""
    count = 12
    register_specs(registry_url, chain(1))
    ctx = EngineContext(open_execution_store(registry_url), FakeProvider(lambda r: {"o0": r.ref.attempt}),
                        BlobStore(str(tmp_path / "b")))
    ids = [launch(ctx.store, P, D, "chain1", {"x": i}).id for i in range(count)]
    controller = Controller(ctx, schedules=False, notifications=False)
    controller.step()  # the specs are read once and cached: count a step after that
    ids += [launch(ctx.store, P, D, "chain1", {"x": i}).id for i in range(count)]
    counter = Counter(ctx.store.engine)
    controller.step()
    counter.stop()
    assert [x.phase for x in map(ctx.store.get_execution, ids) if x is not None] == ["succeeded"] * 2 * count
    data = [s for s in counter.statements if s != "BEGIN"]
    # before: 12 per execution (its own read of its rows and of the domain settings, the owner
    # checked with a SELECT in each write) and 4 checkouts per execution; on PostgreSQL each write
    # is now one statement
    per_execution = 2 if registry_url.startswith("postgresql") else 6
    # + 1 per step: the record of the step's cleanups (attempts.cleaned_at), one statement for all
    assert len(data) <= per_execution * count + 7, (len(data), counter.statements)
    assert counter.commits <= 2 * count + 2, counter.commits
    assert counter.checkouts == 1, counter.checkouts
    controller.shutdown()
