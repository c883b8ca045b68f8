"""Compile errors name the file:line of the offending call (fixture modules under tests/fixtures)."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

import pytest

from flowctl._errors import CompileError, ManifestError
from flowctl.sdk import compile_entity

Loader = Callable[[str], ModuleType]
WHERE = "tests/fixtures/workflows/"


def _errors(module: ModuleType, name: str) -> list[tuple[str, str]]:
    with pytest.raises(CompileError) as info:
        compile_entity(getattr(module, name))
    return [(d.summary, d.source) for d in info.value.diagnostics]


def test_type_mismatch(load_fixture: Loader) -> None:
    [(summary, source)] = _errors(load_fixture("wf_type_mismatch"), "mismatch_wf")
    assert summary.startswith("Type mismatch: input `text` of task `wf_type_mismatch.shout` has type `str`")
    assert "output `o0` of `wf_type_mismatch.count`" in summary and summary.endswith("is `int`")
    assert source.endswith(WHERE + "wf_type_mismatch.py:19")


def test_all_errors_are_collected(load_fixture: Loader) -> None:
    errors = _errors(load_fixture("wf_many_errors"), "many_errors_wf")
    assert [source.rsplit(":", 1)[1] for _, source in errors] == ["13", "14", "15"]
    assert errors[0][0] == "Input `b` of task `wf_many_errors.add` is not bound"
    assert errors[1][0] == "task `wf_many_errors.add` has no input `c`"
    assert errors[2][0].startswith("Type mismatch: input `b` of task `wf_many_errors.add` has type `int`")


def test_truth_test_of_a_promise(load_fixture: Loader) -> None:
    [(summary, source)] = _errors(load_fixture("wf_truth_test"), "truth_wf")
    assert summary == "The output `o0` of `wf_truth_test.positive` (node n0) was used as a truth value"
    assert source.endswith("wf_truth_test.py:18")


def test_cycle(load_fixture: Loader) -> None:
    [(summary, source)] = _errors(load_fixture("wf_cycle"), "cycle_wf")
    assert summary.startswith("Cycle: nodes n0 (`wf_cycle.step_a`), n1 (`wf_cycle.step_b`)")
    assert source.endswith("wf_cycle.py:21")


def test_task_called_directly_with_promises(load_fixture: Loader) -> None:
    [(summary, source)] = _errors(load_fixture("wf_direct_call"), "direct_wf")
    assert "`wf_direct_call.inc` was called directly inside workflow `wf_direct_call.direct_wf`" in summary
    assert source.endswith("wf_direct_call.py:17")


def test_output_count_mismatch(load_fixture: Loader) -> None:
    [(summary, source)] = _errors(load_fixture("wf_output_count"), "count_wf")
    assert summary == "Output count mismatch: workflow `wf_output_count.count_wf` declares 2 outputs but returns 1"
    assert source.endswith("wf_output_count.py:13")


def test_missing_annotation_at_decoration(load_fixture: Loader) -> None:
    with pytest.raises(ManifestError) as info:
        load_fixture("wf_bad_task")
    text = str(info.value)
    assert "Input `x` of task `wf_bad_task.no_annotation` has no type annotation" in text
    assert "wf_bad_task.py:7" in text


def test_error_render_says_how_to_fix(load_fixture: Loader) -> None:
    with pytest.raises(CompileError) as info:
        compile_entity(load_fixture("wf_truth_test").truth_wf)
    rendered = info.value.render()
    assert rendered.startswith("Error: The output")
    assert "conditional(" in rendered and "on tests/fixtures/workflows/wf_truth_test.py:18" in rendered


def test_task_called_with_a_promise_outside_a_workflow(load_fixture: Loader) -> None:
    module = load_fixture("wf_leak")
    compile_entity(module.leak_wf)
    with pytest.raises(CompileError) as info:
        module.inc(x=module.LEAKED[0])
    [diagnostic] = info.value.diagnostics
    assert diagnostic.summary == "`+` applied to the workflow input `x` outside its workflow body"
    assert diagnostic.source.endswith("wf_leak.py:10")
