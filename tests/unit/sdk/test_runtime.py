"""execute_task: the boundary the execution engine calls in a subprocess."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

import pytest

from flowctl._runtime import TaskExecutionError, execute_task, load_task
from flowctl.sdk import definition_of

Loader = Callable[[str], ModuleType]


def test_execute_task_json_in_json_out(load_fixture: Loader) -> None:
    module = load_fixture("wf_good")
    spec = definition_of(module.stats).spec  # type: ignore[union-attr]
    assert execute_task(spec, {"values": [1.5, 2.5]}) == {"total": 4, "count": 2}
    norm = definition_of(module.norm).spec  # type: ignore[union-attr]
    assert execute_task(norm, {"p": {"x": 3, "y": 4}}) == {"o0": 5.0}
    log = definition_of(module.log).spec  # type: ignore[union-attr]
    assert execute_task(log, {"message": "hi"}) == {}
    label = definition_of(module.label).spec  # type: ignore[union-attr]
    assert execute_task(label, {"total": 1}) == {"o0": "red:1"}  # default used
    assert load_task(spec) is definition_of(module.stats)


def test_user_error_and_non_retryable(load_fixture: Loader) -> None:
    module = load_fixture("wf_good")
    module.ATTEMPTS.clear()
    with pytest.raises(TaskExecutionError) as info:
        execute_task(definition_of(module.flaky).spec, {"key": "z"})  # type: ignore[union-attr]
    assert info.value.retryable and "RuntimeError: attempt 1 fails" in info.value.render()
    assert "flowctl/_runtime.py" not in info.value.user_traceback and "wf_good.py" in info.value.user_traceback
    with pytest.raises(TaskExecutionError) as info:
        execute_task(definition_of(module.hopeless).spec, {"key": "y"})  # type: ignore[union-attr]
    assert info.value.retryable is False and info.value.error_type.endswith("NonRetryable")
