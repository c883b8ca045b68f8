"""Gate nodes: ``sleep``, ``wait_for_input`` and ``approve`` (flytekit's ``flytekit.core.gate``).

Called in a workflow body, each records a ``gate`` node:

- ``sleep(timedelta(minutes=5))``: waits, then succeeds (order it with ``>>``);
- ``wait_for_input("threshold", timeout=timedelta(hours=1), expected_type=float)``: waits for the
  signal ``threshold`` (``flowctl executions signal ID threshold 0.7``) and returns its value;
- ``approve(report, "ship-it", timeout=timedelta(days=1))``: waits for a yes/no signal
  (``flowctl executions approve ID ship-it``) and then passes ``report`` through; a rejection fails.

A gate whose timeout passes fails its node. Signal names are unique in a workflow.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flowctl._errors import InputError, ManifestError
from flowctl.sdk._interface import Interface, Output
from flowctl.sdk._promise import NodeBuilder, NodeHandle, Promise, Trace, active_trace
from flowctl.sdk._source import frame_location
from flowctl.spec import GateSpec, TypeSpec
from flowctl.types import type_spec_of


def _trace(what: str, source: str) -> Trace:
    trace = active_trace()
    if trace is None:
        raise ManifestError(
            f"{what} was called outside a workflow body",
            source=source,
            detail="Gates are workflow nodes: call sleep, wait_for_input and approve inside a @workflow function.",
        )
    return trace


def _seconds(value: Any, label: str, trace: Trace, source: str) -> float | None:
    seconds = value.total_seconds() if isinstance(value, timedelta) else value
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds <= 0:
        trace.error(f"Invalid {label} {value!r}", "Give a positive timedelta (or a number of seconds).", source=source)
        return None
    return float(seconds)


def _name(name: Any, trace: Trace, source: str) -> str:
    if not isinstance(name, str) or not name.strip():
        trace.error(f"Invalid gate name {name!r}", "A signal name is a non-empty string, e.g. \"approve-model\".", source=source)
        return "gate"
    for node in trace.by_id.values():
        if node.gate is not None and node.gate.name == name:
            trace.error(f"Two gates wait for the signal `{name}` in workflow `{trace.workflow_name}`",
                        f"The other is at {node.source}. Give each gate its own name.", source=source)
    return name


def _add(trace: Trace, gate: GateSpec, source: str, outputs: tuple[Output, ...], return_type: Any) -> NodeBuilder:
    node = NodeBuilder(id=trace.new_id(), kind="gate", target=gate.name or gate.kind, entity=None, source=source,
                       outputs=outputs, gate=gate)
    trace.add(node)
    return node


def sleep(duration: timedelta) -> Any:
    """A node that waits ``duration`` (local runs do not wait); order it with ``>>``."""
    source = frame_location(1)
    trace = _trace("sleep()", source)
    gate = GateSpec(kind="sleep", duration_seconds=_seconds(duration, "sleep duration", trace, source))
    node = _add(trace, gate, source, (), None)
    return NodeHandle(trace, node.id, "sleep")


def wait_for_input(name: str, timeout: timedelta, expected_type: Any) -> Any:
    """A node that waits for the signal ``name`` and returns its value (of ``expected_type``)."""
    source = frame_location(1)
    trace = _trace(f"wait_for_input({name!r})", source)
    spec = type_spec_of(expected_type, where=f"expected_type of wait_for_input({name!r})")
    gate = GateSpec(kind="signal", name=_name(name, trace, source),
                    timeout_seconds=_seconds(timeout, "timeout", trace, source), type=spec)
    output = Output("o0", expected_type, spec)
    node = _add(trace, gate, source, (output,), expected_type)
    return trace.promises_for(node, Interface((), (output,), "single", expected_type))


def approve(upstream_item: Any, name: str, timeout: timedelta) -> Any:
    """A node that waits for approval ``name`` of ``upstream_item`` and then returns it unchanged."""
    source = frame_location(1)
    trace = _trace(f"approve(..., {name!r})", source)
    if not isinstance(upstream_item, Promise | NodeHandle):
        trace.error(f"approve({name!r}) needs the output of a task call to approve, got {type(upstream_item).__name__}",
                    "Pass what a task call returned: approve(report, \"ship-it\", timeout=timedelta(hours=1)).",
                    source=source)
        return None
    spec: TypeSpec | None = upstream_item.spec if isinstance(upstream_item, Promise) else None
    gate = GateSpec(kind="approve", name=_name(name, trace, source),
                    timeout_seconds=_seconds(timeout, "timeout", trace, source), type=spec)
    if not isinstance(upstream_item, Promise):
        node = _add(trace, gate, source, (), None)
        node.upstream[upstream_item.node] = source
        return NodeHandle(trace, node.id, f"approve {name}")
    output = Output("o0", upstream_item.py_type, upstream_item.spec)
    node = _add(trace, gate, source, (output,), upstream_item.py_type)
    if upstream_item.node != "start":
        node.upstream[upstream_item.node] = source
    node.inputs["o0"] = upstream_item.binding()
    return trace.promises_for(node, Interface((), (output,), "single", upstream_item.py_type))


_YES = {"y", "yes", "true", "1", "approve", "approved"}
_NO = {"n", "no", "false", "0", "reject", "rejected"}


def parse_approval(text: str, *, name: str) -> bool:
    """An answer to an approval gate: yes/no, true/false, approve/reject."""
    answer = text.strip().lower()
    if answer in _YES | _NO:
        return answer in _YES
    raise InputError(f"The answer to approval `{name}` must be yes or no, got {text!r}")
