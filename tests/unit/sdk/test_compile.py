"""Compiled specs: nodes, bindings, edges, subworkflows, conditionals, map tasks, launch-plan nodes."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

from flowctl._address import EntityKind
from flowctl.sdk import compile_entity
from flowctl.spec import ListBinding, LiteralBinding, PromiseBinding, WorkflowSpec

Loader = Callable[[str], ModuleType]


def test_compile_entity_collects_everything(load_fixture: Loader) -> None:
    module = load_fixture("wf_good")
    compiled = compile_entity(module.main_wf)
    assert compiled.kind is EntityKind.WORKFLOW and compiled.name == "wf_good.main_wf"
    assert set(compiled.tasks) == {f"wf_good.{n}" for n in ("make_points", "norm", "stats", "label", "small", "big", "log")}
    assert list(compiled.workflows) == ["wf_good.norms_wf", "wf_good.main_wf"]  # dependency order
    assert set(compiled.launch_plans) == {"wf_good.norms_wf", "wf_good.main_wf"}
    default_lp = compiled.launch_plans["wf_good.main_wf"]
    assert default_lp.workflow == "wf_good.main_wf" and default_lp.default_inputs == {} and default_lp.fixed_inputs == {}


def test_workflow_spec_shape(load_fixture: Loader) -> None:
    spec = compile_entity(load_fixture("wf_good").main_wf).spec
    assert isinstance(spec, WorkflowSpec)
    kinds = {n.id: (n.kind, n.target) for n in spec.nodes}
    assert kinds["n0"] == ("workflow", "wf_good.norms_wf")
    stats = next(n for n in spec.nodes if n.target == "wf_good.stats")
    assert stats.inputs["values"] == PromiseBinding(node="n0", output="o0")
    label = next(n for n in spec.nodes if n.target == "wf_good.label")
    log = next(n for n in spec.nodes if n.target == "wf_good.log")
    assert log.id in label.upstream and stats.id in label.upstream  # `first >> text` and data
    branch = next(n for n in spec.nodes if n.kind == "branch")
    assert branch.branch is not None and branch.target == "size"
    assert [c.node.target for c in branch.branch.cases if c.node] == ["wf_good.small", "wf_good.big"]
    assert branch.branch.cases[0].condition is not None and branch.branch.cases[1].condition is None
    assert [o.name for o in spec.interface.outputs] == ["o0", "o1", "o2"]
    assert spec.interface.inputs[1].default == "blue" and spec.interface.inputs[0].default == 3
    assert spec.outputs["o2"] == PromiseBinding(node=stats.id, output="count")
    assert spec.tasks and spec.subworkflows == ("wf_good.norms_wf",)
    ids = [n.id for n in spec.nodes]
    for node in spec.nodes:  # dependency order
        assert all(ids.index(up) < ids.index(node.id) for up in node.upstream)


def test_map_node(load_fixture: Loader) -> None:
    spec = compile_entity(load_fixture("wf_good").norms_wf).spec
    assert isinstance(spec, WorkflowSpec)
    node = next(n for n in spec.nodes if n.kind == "map")
    assert node.target == "wf_good.norm" and node.map is not None and node.map.min_success_ratio == 1.0
    assert str(node.outputs[0].type) == "list[float]"


def test_launch_plan_node_and_entity(load_fixture: Loader) -> None:
    module = load_fixture("wf_good")
    compiled = compile_entity(module.lp_node_wf)
    spec = compiled.spec
    assert isinstance(spec, WorkflowSpec)
    assert spec.nodes[0].kind == "launch_plan" and spec.nodes[0].target == "main_lp"
    assert spec.launch_plans == ("main_lp",)
    assert "main_lp" in compiled.launch_plans and "wf_good.main_wf" in compiled.workflows
    lp = compile_entity(module.main_lp)
    assert lp.kind is EntityKind.LAUNCH_PLAN and lp.spec == compiled.launch_plans["main_lp"]
    assert lp.spec.fixed_inputs == {"color": "red"} and lp.spec.default_inputs == {"n": 4}


def test_task_entity(load_fixture: Loader) -> None:
    compiled = compile_entity(load_fixture("wf_good").norm)
    assert compiled.kind is EntityKind.TASK and list(compiled.tasks) == ["wf_good.norm"]
    assert compiled.workflows == {} and compiled.launch_plans == {}


def test_literal_and_list_bindings(tmp_path: object, load_fixture: Loader) -> None:
    module = load_fixture("wf_literals")
    spec = compile_entity(module.literals_wf).spec
    assert isinstance(spec, WorkflowSpec)
    total = next(n for n in spec.nodes if n.target == "wf_literals.total")
    assert isinstance(total.inputs["values"], ListBinding)
    assert total.inputs["values"].items[1] == LiteralBinding(value=5)
    assert spec.digest() == compile_entity(module.literals_wf).spec.digest()  # deterministic
