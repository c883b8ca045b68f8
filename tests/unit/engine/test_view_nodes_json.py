"""`executions show` names and orders nodes from the workflow's registered JSON without building the
spec models (pydantic): every kind of node reads as the model reads it, fields the JSON leaves out
(``added_field``: gate, reference) take the model's default, and JSON that lacks what the view reads
goes through the model (rejected: no task names, as before)."""

from __future__ import annotations

from typing import Any

import pytest

from flowctl.engine._view import node_infos
from flowctl.engine._view_nodes import NodeInfo, describe, is_workflow_json
from flowctl.spec import (
    BranchCaseSpec,
    BranchSpec,
    GateSpec,
    InterfaceSpec,
    NodeSpec,
    ReferenceSpec,
    WorkflowSpec,
)
from flowctl.state._execution_records import ExecutionRecord, StoredSpec
from tests.unit.engine.test_execution_views import T0

INNER = WorkflowSpec(name="flows.inner", interface=InterfaceSpec(), nodes=(NodeSpec(id="n0", kind="task", target="t.add"),))
OUTER = WorkflowSpec(name="flows.outer", interface=InterfaceSpec(), nodes=(
    NodeSpec(id="n0", kind="task", target="t.load"),
    NodeSpec(id="n1", kind="map", target="t.square"),
    NodeSpec(id="n2", kind="workflow", target="flows.inner"),
    NodeSpec(id="n3", kind="gate", gate=GateSpec(kind="approve", name="ok")),
    NodeSpec(id="n4", kind="gate", gate=GateSpec(kind="sleep", duration_seconds=1)),
    NodeSpec(id="n5", kind="branch", branch=BranchSpec(name="pick", cases=(
        BranchCaseSpec(node=NodeSpec(id="n0", kind="task", target="t.left")), BranchCaseSpec(fail="no")))),
    NodeSpec(id="n6", kind="launch_plan", target="lp.child"),
    NodeSpec(id="n7", kind="task", target="t.remote",
             reference=ReferenceSpec(project="p", domain="d", name="t.elsewhere", version="v9")),
))
SPECS = {"flows.outer": OUTER, "flows.inner": INNER}


class Specs:
    def __init__(self, specs: dict[str, Any]) -> None:
        self.specs = specs

    def get_spec(self, kind: str, project: str, domain: str, name: str, version: str) -> StoredSpec | None:
        return StoredSpec(name, version, self.specs[name], None) if name in self.specs else None


def _execution() -> ExecutionRecord:
    return ExecutionRecord("x", "p", "d", "run", "lp", "v1", "flows.outer", "v1", "running", {}, None, None, T0, None,
                           None, "", None, None, None, None, None, False, None, {})


def test_every_kind_of_node_reads_from_the_json_as_the_model_reads_it() -> None:
    stored = {name: spec.to_json() for name, spec in SPECS.items()}
    assert all(is_workflow_json(spec) for spec in stored.values())
    assert "gate" not in stored["flows.outer"]["nodes"][0], "added fields are left out of the JSON"
    infos = node_infos(Specs(stored), _execution())  # type: ignore[arg-type]
    assert infos == {
        "n0": NodeInfo("task", "t.load", (0,)), "n1": NodeInfo("map", "t.square", (1,)),
        "n2": NodeInfo("workflow", "workflow flows.inner", (2,)), "n2/n0": NodeInfo("task", "t.add", (2, 0)),
        "n3": NodeInfo("gate", "gate approve ok", (3,)), "n4": NodeInfo("gate", "gate sleep", (4,)),
        "n5": NodeInfo("branch", "branch pick", (5,)), "n5/n0": NodeInfo("task", "t.left", (5, 0, 0)),
        "n6": NodeInfo("launch_plan", "launch plan lp.child", (6,)), "n7": NodeInfo("task", "t.elsewhere", (7,)),
    }
    assert describe(stored["flows.outer"], stored.get) == infos


@pytest.mark.parametrize("spec", [{"name": "t", "code": "x"}, {"nodes": [{"id": "n0", "kind": "nope"}]},
                                  {"nodes": [{"id": 3, "kind": "task"}]}, {"nodes": "n0"}])
def test_json_the_view_cannot_read_goes_through_the_model(spec: dict[str, Any]) -> None:
    assert not is_workflow_json(spec)
    assert node_infos(Specs({"flows.outer": spec}), _execution()) == {}  # type: ignore[arg-type]


def test_fields_the_json_leaves_out_take_the_model_s_defaults() -> None:
    node = NodeSpec(id="n0", kind="task", target="t.load").to_json()
    sparse = {"name": "flows.outer", "interface": InterfaceSpec().to_json(),
              "nodes": [{k: v for k, v in node.items() if k not in ("branch", "target")}]}
    assert is_workflow_json(sparse)
    assert node_infos(Specs({"flows.outer": sparse}), _execution()) == {"n0": NodeInfo("task", "", (0,))}  # type: ignore[arg-type]
