"""@dynamic: the body runs at execution time and its calls become a sub-workflow."""

from __future__ import annotations

from pathlib import Path

import pytest
import tasktype_dynamic_flows as flows

from flowctl._errors import CompileError
from flowctl.sdk import TaskDefinition, compile_entity, definition_of
from flowctl.tasktypes._dynamic import DYNAMIC_KEY, compile_dynamic, dynamic_document, sub_workflow


def test_a_dynamic_task_compiles_to_a_dynamic_task_spec() -> None:
    definition = definition_of(flows.squares)
    assert isinstance(definition, TaskDefinition)
    spec = definition.spec
    assert spec.dynamic and spec.task_type == "python" and spec.code is not None
    compiled = compile_entity(flows.fan_out)
    assert compiled.tasks["tasktype_dynamic_flows.squares"].dynamic
    assert [n.kind for n in compiled.spec.nodes] == ["task", "task"]  # type: ignore[union-attr]


def test_the_fan_out_is_decided_by_the_input() -> None:
    definition = definition_of(flows.squares)
    assert isinstance(definition, TaskDefinition)
    for n in (0, 1, 4):
        compiled = compile_dynamic(definition, {"n": n})
        assert [node.id for node in compiled.spec.nodes] == [f"d{i}" for i in range(n)]
        assert all(node.target == "tasktype_dynamic_flows.square" for node in compiled.spec.nodes)
        assert compiled.spec.nodes[0].inputs["x"].value == 0 if n else True  # type: ignore[union-attr]


def test_wiring_mistakes_in_a_dynamic_body_are_compile_errors_with_the_line() -> None:
    definition = definition_of(flows.miswired)
    assert isinstance(definition, TaskDefinition)
    with pytest.raises(CompileError) as info:
        compile_dynamic(definition, {"n": 1})
    diag = info.value.diagnostics[0]
    line = next(i for i, text in enumerate(Path(flows.__file__).read_text().splitlines(), 1) if "square(y=n)" in text)
    assert "has no input `y`" in diag.summary and diag.source.endswith(f"tasktype_dynamic_flows.py:{line}")


def test_the_output_document_carries_the_sub_workflow_and_its_task_specs() -> None:
    definition = definition_of(flows.sum_of_squares)
    assert isinstance(definition, TaskDefinition)
    document = dynamic_document(definition, {"n": 3})
    assert set(document) == {DYNAMIC_KEY}
    parsed = sub_workflow(document)
    assert parsed is not None
    workflow, tasks, _ = parsed
    assert [n.target for n in workflow.nodes] == ["tasktype_dynamic_flows.squares", "tasktype_dynamic_flows.total"]
    assert tasks["tasktype_dynamic_flows.squares"].dynamic
    assert sub_workflow({"o0": 1}) is None


def _local(entity: object, inputs: dict[str, object], tmp_path: Path | None = None) -> object:
    from flowctl._local import LocalCache, LocalRunner

    cache = LocalCache(tmp_path / "cache") if tmp_path is not None else None  # type: ignore[call-arg]
    return LocalRunner(cache=cache).run(entity, inputs)


def test_local_runs_of_dynamic_fan_out_nested_and_other_task_types() -> None:
    assert _local(flows.fan_out, {"n": 4}).outputs == {"o0": 14}  # type: ignore[attr-defined]
    assert _local(flows.nested, {"n": 3}).outputs == {"o0": 5}  # type: ignore[attr-defined]
    assert _local(flows.nested, {"n": 0}).outputs == {"o0": 0}  # type: ignore[attr-defined]
    assert _local(flows.shouting, {"words": ["a", "b"]}).outputs == {"o0": ["a!", "b!"]}  # type: ignore[attr-defined]


def test_local_runs_record_the_sub_nodes_under_the_parent_node() -> None:
    result = _local(flows.nested, {"n": 2})
    ids = [n.id for n in result.nodes]  # type: ignore[attr-defined]
    assert ids == ["n0/d0/d0", "n0/d0/d1", "n0/d0", "n0/d1", "n0"]


def test_local_runs_cache_sub_nodes(tmp_path: Path) -> None:
    flows.CALLS.clear()
    assert _local(flows.cached_squares, {"n": 3}, tmp_path).outputs == {"o0": [0, 1, 4]}  # type: ignore[attr-defined]
    assert _local(flows.cached_squares, {"n": 4}, tmp_path).outputs == {"o0": [0, 1, 4, 9]}  # type: ignore[attr-defined]
    assert flows.CALLS == [0, 1, 2, 3]  # the second run computed only the new item


def test_a_failing_sub_node_fails_the_dynamic_task() -> None:
    from flowctl._errors import ExecutionError

    with pytest.raises(ExecutionError, match="two is bad"):
        _local(flows.all_fragile, {"n": 3})


def test_public_exports() -> None:
    import flowctl

    assert {"ContainerTask", "ShellTask", "OutputLocation", "dynamic"} <= set(flowctl.__all__)
    assert flowctl.dynamic is flows.dynamic
