"""`flowctl executions show/watch` views from literal records: nodes in the workflow's order (n2
before n10), task names, map items summarised, 1-based attempts, errors whole with the user's
traceback, and tracebacks that name the manifest's files rather than the bundle cache."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console

from flowctl.engine._view import execution_document, progress_line, render_execution
from flowctl.engine._view_nodes import map_items, order_key
from flowctl.entrypoint import frames_in_manifest
from flowctl.spec import InterfaceSpec, NodeSpec, WorkflowSpec
from flowctl.state._execution_records import AttemptRecord, ExecutionRecord, NodeRecord, StoredSpec

T0 = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
LONG = "the input file has " + " ".join(f"word{i}" for i in range(60)) + " and ends here"


def _workflow() -> WorkflowSpec:
    nodes = [NodeSpec(id=f"n{i}", kind="task", target=f"flows.step{i}") for i in range(11)]
    nodes.insert(3, NodeSpec(id="n11", kind="workflow", target="flows.inner"))  # compiled order is not id order
    nodes.append(NodeSpec(id="n12", kind="map", target="flows.square"))
    return WorkflowSpec(name="flows.big", interface=InterfaceSpec(), nodes=tuple(nodes))


INNER = WorkflowSpec(name="flows.inner", interface=InterfaceSpec(),
                     nodes=(NodeSpec(id="n0", kind="task", target="flows.add"),))


@dataclass
class FakeStore:
    nodes: dict[str, NodeRecord]
    attempts: dict[str, list[AttemptRecord]] = field(default_factory=dict)

    def get_spec(self, kind: str, project: str, domain: str, name: str, version: str) -> StoredSpec | None:
        spec = {"flows.big": _workflow(), "flows.inner": INNER}.get(name)
        return StoredSpec(name, version, spec.to_json(), None) if spec else None  # type: ignore[arg-type]

    def load_nodes(self, execution_id: str) -> dict[str, NodeRecord]:
        return self.nodes

    def load_attempts(self, execution_id: str) -> dict[str, list[AttemptRecord]]:
        return self.attempts


def _execution(phase: str = "failed") -> ExecutionRecord:
    return ExecutionRecord(
        id="x1", project="p", domain="development", name="ex-1", launch_plan_name="flows.big",
        launch_plan_version="v1", workflow_name="flows.big", workflow_version="v1", phase=phase, inputs={},
        outputs=None, error=None, created_at=T0, started_at=T0, finished_at=T0 + timedelta(seconds=75),
        created_by="me", parent_execution_id=None, parent_node_id=None, scheduled_at=None, claimed_by=None,
        claim_expires_at=None, abort_requested=False, max_parallelism=None, labels={})


def _node(node_id: str, phase: str = "succeeded", **kw: Any) -> NodeRecord:
    return NodeRecord(node_id=node_id, phase=phase, started_at=T0 + timedelta(seconds=1),
                      finished_at=T0 + timedelta(seconds=3), **kw)


def _store() -> FakeStore:
    nodes = {k: _node(k) for k in [*(f"n{i}" for i in range(11)), "n11", "n11/n0"]}
    failure = {"kind": "user", "code": "USER:ValueError", "message": LONG,
               "traceback": 'Traceback (most recent call last):\n  File "flows/etl.py", line 12, in step\n'
                            "ValueError: " + LONG}
    nodes["n7"] = _node("n7", "failed", error=failure)
    nodes["n12"] = _node("n12", "failed", error={"kind": "user", "code": "USER:MapFailed", "message": "too few"})
    for i in range(40):
        nodes[f"n12[{i}]"] = _node(f"n12[{i}]", "failed" if i in (4, 17, 22) else "succeeded")
    attempts = {"n7": [AttemptRecord("n7", 0, "failed"), AttemptRecord("n7", 1, "failed")],
                "n0": [AttemptRecord("n0", 0, "succeeded")]}
    return FakeStore(dict(sorted(nodes.items())), attempts)  # sorted as text, as the store returns them


def test_nodes_come_in_the_workflows_order_with_their_tasks() -> None:
    doc = execution_document(_store(), _execution())  # type: ignore[arg-type]
    ids = [n["id"] for n in doc["nodes"] if not n["map_node"]]  # type: ignore[index]
    assert ids == ["n0", "n1", "n2", "n11", "n11/n0", "n3", "n4", "n5", "n6", "n7", "n8", "n9", "n10", "n12"]
    items = [n["id"] for n in doc["nodes"] if n["map_node"] == "n12"]  # type: ignore[index]
    assert items[:3] == ["n12[0]", "n12[1]", "n12[2]"] and items[10] == "n12[10]" and len(items) == 40
    by_id = {n["id"]: n for n in doc["nodes"]}  # type: ignore[index]
    assert by_id["n11"]["task"] == "workflow flows.inner" and by_id["n11/n0"]["task"] == "flows.add"
    assert by_id["n12[4]"]["task"] == "flows.square[4]"
    assert by_id["n7"]["attempts"] == 2 and by_id["n7"]["attempt"] == 2  # the second attempt, 1-based
    assert by_id["n0"]["attempt"] == 1


def test_a_map_node_tells_its_items_never_attempts_0() -> None:
    doc = execution_document(_store(), _execution())  # type: ignore[arg-type]
    node = next(n for n in doc["nodes"] if n["id"] == "n12")  # type: ignore[index]
    assert node["items"]["summary"] == "37/40 items succeeded, 3 failed (items 4, 17, 22)"  # type: ignore[index]
    assert node["attempts"] is None
    text = _rendered(doc)
    row = next(line for line in text.splitlines() if line.startswith("n12 "))
    assert "37/40 items succeeded, 3 failed (items 4, 17, 22)" in row and " 0 " not in row
    assert "n12[4]" not in text  # items are summed up on their map node's row


def test_errors_are_shown_whole_with_the_users_traceback() -> None:
    text = _rendered(execution_document(_store(), _execution()))  # type: ignore[arg-type]
    assert f"Error in n7 (flows.step7), attempt 2: USER:ValueError: {LONG}" in text
    assert '    File "flows/etl.py", line 12, in step' in text
    header = text.splitlines()[3]
    assert header.split() == ["node", "task", "phase", "start", "duration", "attempts", "note"]
    assert "12:00:01" in text and "2.0 s" in text and "1.2 min" in text


def _rendered(doc: dict[str, Any]) -> str:
    buffer = io.StringIO()
    render_execution(doc, Console(file=buffer, width=100, color_system=None))
    return buffer.getvalue()


def test_node_ids_the_spec_does_not_know_sort_by_number() -> None:
    ids = ["n10", "n2", "n1", "n0", "n2[10]", "n2[9]"]
    assert sorted(ids, key=lambda k: order_key(k, {})) == ["n0", "n1", "n2", "n2[9]", "n2[10]", "n10"]


def test_map_items_counts_running_items() -> None:
    items = map_items("n1", {"n1[0]": NodeRecord("n1[0]", "running"), "n1[1]": NodeRecord("n1[1]", "succeeded"),
                             "n10[0]": NodeRecord("n10[0]", "failed")})
    assert items.text() == "1/2 items succeeded, 1 running"


def test_progress_line_counts_running_done_failed_and_elapsed() -> None:
    doc = execution_document(_store(), _execution())  # type: ignore[arg-type]
    assert progress_line(doc) == "ex-1: failed, 49 done, 4 failed, 1.2 min elapsed"  # type: ignore[arg-type]


def test_tracebacks_name_the_manifest_files_not_the_bundle_cache(tmp_path: Path) -> None:
    root = tmp_path / "cache" / "bundles" / "abc123"
    tb = (f'Traceback (most recent call last):\n  File "{root}/flows/etl.py", line 12, in load\n'
          '  File "/usr/lib/python3.11/json/__init__.py", line 346, in loads\nValueError: bad\n')
    fixed = frames_in_manifest(tb, root)
    assert 'File "flows/etl.py", line 12, in load' in fixed
    assert 'File "/usr/lib/python3.11/json/__init__.py"' in fixed and str(root) not in fixed


def test_watch_on_a_terminal_shows_live_progress_with_counts() -> None:
    from flowctl.engine._view import watch

    class Watched(FakeStore):
        def get_execution(self, execution_id: str) -> ExecutionRecord:
            return _execution()

    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, width=120, color_system=None)
    final = watch(Watched(_store().nodes, _store().attempts), "x1", console, interval=0)  # type: ignore[arg-type]
    shown = buffer.getvalue()
    assert final.phase == "failed"
    assert "ex-1: failed, 49 done, 4 failed, 1.2 min elapsed" in shown
    assert "37/40 items succeeded, 3 failed (items 4, 17, 22)" in shown and "flows.step7" in shown
