"""The direct-call watch while a workflow body runs sees the body's own calls, not flowctl's (counts)."""

from __future__ import annotations

import weakref
from collections.abc import Callable
from types import FrameType, ModuleType
from typing import Any

import pytest

import flowctl.sdk._compile as compile_module
from flowctl._errors import CompileError
from flowctl.sdk import compile_entity
from flowctl.sdk._task import DEFINITION_ATTR
from flowctl.sdk._workflow import WorkflowDefinition


@pytest.fixture
def watched(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The functions whose call events reach the profile hook during a compile."""
    seen: list[str] = []
    real = compile_module._profile

    def counting(frame: FrameType, event: str, arg: Any) -> None:
        if event == "call":
            seen.append(frame.f_code.co_name)
        real(frame, event, arg)

    monkeypatch.setattr(compile_module, "_profile", counting)
    monkeypatch.setattr(compile_module, "_COMPILED", weakref.WeakKeyDictionary())  # compile again, watched
    return seen


def test_flowctl_recording_a_node_is_not_watched(load_fixture: Callable[[str], ModuleType],
                                                 watched: list[str]) -> None:
    module = load_fixture("wf_good")
    workflows = [obj for obj in vars(module).values() if isinstance(getattr(obj, DEFINITION_ATTR, None), WorkflowDefinition)]
    assert workflows
    for obj in workflows:
        compile_entity(obj)
    assert watched, "the hook runs while workflow bodies run"
    assert "call_in_trace" in watched  # where flowctl takes over from the body: nothing below it is watched
    assert not {"_record_call", "bind_call"} & set(watched)


def test_a_direct_call_is_still_caught(load_fixture: Callable[[str], ModuleType], watched: list[str]) -> None:
    with pytest.raises(CompileError) as info:
        compile_entity(load_fixture("wf_direct_call").direct_wf)
    assert "was called directly inside workflow" in str(info.value)
    assert "inc" in watched
