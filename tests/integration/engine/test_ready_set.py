"""The ready set: a pass drives only nodes whose inputs (or attempts) changed, so drives grow linearly."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from spec_flows import IFACE, TASK, D, P, chain, fan, register_specs, task_node

from flowctl._blobstore import BlobStore
from flowctl.engine import Controller, EngineContext, EngineOptions, launch
from flowctl.engine._pass import ExecutionPass
from flowctl.engine._ready import ReadySet, with_ancestors
from flowctl.providers._interface import SubmitRequest
from flowctl.providers.testing import FakeProvider
from flowctl.spec import (
    Json,
    NodeSpec,
    WorkflowSpec,
)
from flowctl.state._executions import open_execution_store


@pytest.fixture
def drives(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every ``_drive`` call (node ids), whatever pass makes it."""
    calls: list[str] = []
    original = ExecutionPass._drive

    def counting(self: ExecutionPass, node: NodeSpec, node_id: str, known: dict[str, dict[str, Json]]) -> Any:
        calls.append(node_id)
        return original(self, node, node_id, known)

    monkeypatch.setattr(ExecutionPass, "_drive", counting)
    yield calls


def _run(tmp_path: Path, wf: WorkflowSpec, handler: Any = None, parallelism: int | None = None) -> tuple[str, Any]:
    url = f"sqlite:///{tmp_path / 'r.db'}"
    register_specs(url, wf, parallelism=parallelism)
    provider = FakeProvider(handler or (lambda r: {"o0": 1}))
    ctx = EngineContext(open_execution_store(url), provider, BlobStore(str(tmp_path / "b")),
                        options=EngineOptions(retry_backoff=0.0))
    execution = launch(ctx.store, P, D, wf.name, {"x": 0})
    controller = Controller(ctx, schedules=False, notifications=False)
    for _ in range(200):
        controller.step()
        current = ctx.store.get_execution(execution.id)
        assert current is not None
        if current.terminal:
            break
    controller.shutdown()
    return current.phase, provider


def test_a_200_node_chain_drives_each_node_a_few_times(tmp_path: Path, drives: list[str]) -> None:
    phase, provider = _run(tmp_path, chain(200))
    assert phase == "succeeded"
    assert len(provider.submitted) == 200
    # re-driving every node on each iteration made this 20,300; each node is now driven when it becomes
    # ready, once when its attempt has been submitted and once when it finished
    assert len(drives) <= 3 * 200 + 10, len(drives)
    assert max(drives.count(f"n{i}") for i in range(200)) <= 3


def test_a_fan_out_drives_running_nodes_only_when_their_attempt_changes(tmp_path: Path, drives: list[str]) -> None:
    pending: list[str] = []

    def later(request: SubmitRequest) -> None:
        pending.append(f"fake-{request.ref.execution}-{request.ref.node}-{request.ref.attempt}")
        return None

    url = f"sqlite:///{tmp_path / 'r.db'}"
    wf = fan(50)
    register_specs(url, wf)
    provider = FakeProvider(later)  # type: ignore[arg-type]
    ctx = EngineContext(open_execution_store(url), provider, BlobStore(str(tmp_path / "b")))
    execution = launch(ctx.store, P, D, wf.name, {"x": 0})
    assert ctx.store.claim_executions(ctx.owner, now=datetime.now(UTC), lease_seconds=60, limit=1) == [execution.id]

    def one_pass() -> int:
        before = len(drives)
        current = ctx.store.get_execution(execution.id)
        assert current is not None
        ExecutionPass(ctx, current).run()
        return len(drives) - before

    assert one_pass() == 50 and len(pending) == 50  # each started once
    assert one_pass() == 0  # nothing changed: running attempts with handles need no drive
    for handle in pending[:25]:  # half of them finish, one at a time, one pass each
        provider.finish(handle, {"o0": 1})
        assert one_pass() == 1, drives[-3:]  # only the node whose attempt finished (the rows settle the rest)


def test_max_parallelism_starts_waiting_nodes_when_a_slot_frees(tmp_path: Path, drives: list[str]) -> None:
    phase, provider = _run(tmp_path, fan(6), parallelism=2)
    assert phase == "succeeded"
    assert len(provider.submitted) == 7


def test_a_failed_node_skips_what_is_below_it_and_the_first_error_is_by_order() -> None:
    wf = WorkflowSpec(name="w", interface=IFACE, failure_policy="fail_after_executable_nodes_complete", nodes=(
        task_node("a", "start", "x"), task_node("b", "a"), task_node("c", "b"), task_node("d", "start", "x")), tasks=(TASK.name,))
    from flowctl._dag import dependencies, topological_order

    plan = [(n, frozenset(dependencies(n))) for n in topological_order(wf)]
    ready = ReadySet(wf, plan, {"x": 1})
    assert sorted(ready.to_drive("", set())) == [0, 3]
    ready.driven |= {0, 3}
    assert ready.to_drive("", set()) == [] and ready.to_drive("", {"d"}) == [3]
    ready.settle(3, "failed", {}, {"code": "late"})
    assert ready.settle(0, "failed", {}, {"code": "first"}) == []
    assert ready.settled == {3: "failed", 0: "failed", 1: "skipped", 2: "skipped"}
    assert not ready.running and ready.first_error == {"code": "first"}


def test_hot_ids_carry_their_enclosing_nodes() -> None:
    assert with_ancestors(["a/b[3]/c", "x"]) == {"a", "a/b", "a/b[3]", "a/b[3]/c", "x"}
