"""Gate nodes on the controller: sleeping, waiting for a signal, waiting for an approval.

Everything a gate decides comes from rows, so a restarted controller keeps waiting where the last
one stopped: the node row's ``started_at`` (written by the pass that first reached the gate)
anchors the sleep and the timeout, and the ``signals`` table holds the answers
(``flowctl executions signal|approve``). A gate whose timeout passes fails with ``TIMEOUT``, so
its execution ends ``timed_out``; a rejected approval fails with ``USER:ApprovalRejected``.

``send_signal`` is the operation behind the CLI: it finds the gate waiting for the name, checks the
value against the gate's type and records it once.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from flowctl._dag import resolve_inputs
from flowctl._errors import InputError
from flowctl.engine._outcome import RUNNING, Outcome
from flowctl.entrypoint import error_document
from flowctl.providers._interface import TIMEOUT
from flowctl.sdk._gates import parse_approval
from flowctl.spec import GateSpec, Json, NodeSpec, TypeSpec, WorkflowSpec
from flowctl.state._executions import ExecutionRecord, ExecutionStore
from flowctl.state._signals import SignalRecord

if TYPE_CHECKING:
    from flowctl.engine._pass import ExecutionPass
    from flowctl.engine._specs import SpecLoader

def drive_gate(p: ExecutionPass, node: NodeSpec, node_id: str, known: dict[str, dict[str, Json]]) -> Outcome:
    """Advance one gate node of the pass ``p``: RUNNING while it waits."""
    gate = node.gate
    assert gate is not None
    record = p._node(node_id, resolve_inputs(node.inputs, known))
    started = record.started_at or p.now
    if gate.kind == "sleep":
        due = started + timedelta(seconds=gate.duration_seconds or 0)
        return p._succeed_node(node_id, {}) if p.now >= due else RUNNING
    signal = p.ctx.store.signals(p.x.id).get(gate.name)
    if signal is None:
        if gate.timeout_seconds is not None and p.now >= started + timedelta(seconds=gate.timeout_seconds):
            message = f"nobody answered `{gate.name}` within {timedelta(seconds=gate.timeout_seconds)}"
            return p._fail_node(node_id, Outcome("failed", error=error_document("user", TIMEOUT, message, "", False)))
        return RUNNING
    if gate.kind == "signal":
        return p._succeed_node(node_id, {"o0": signal.value})
    if signal.value is True:
        return p._succeed_node(node_id, dict(record.inputs or {}))
    message = f"approval `{gate.name}` was rejected by {signal.created_by or 'someone'}"
    return p._fail_node(node_id, Outcome("failed", error=error_document("user", "USER:ApprovalRejected", message, "", False)))


# ---------------------------------------------------------------- the signal operation
@dataclass(frozen=True)
class GateRef:
    """A gate of an execution's workflow, with where it sits (node path)."""

    node_id: str
    gate: GateSpec


def gates_of(specs: SpecLoader, execution: ExecutionRecord) -> list[GateRef]:
    """Every gate of the execution's workflow, subworkflows and conditional arms included."""
    wf, _ = specs.workflow(execution.project, execution.domain, execution.workflow_name, execution.workflow_version)
    return list(_walk(specs, execution, wf, ""))


def _walk(specs: SpecLoader, x: ExecutionRecord, wf: WorkflowSpec, prefix: str) -> Iterator[GateRef]:
    for node in wf.nodes:
        yield from _node_gates(specs, x, node, prefix + node.id)


def _node_gates(specs: SpecLoader, x: ExecutionRecord, node: NodeSpec, node_id: str) -> Iterator[GateRef]:
    if node.gate is not None and node.gate.kind != "sleep":
        yield GateRef(node_id, node.gate)
    elif node.kind == "workflow":
        sub, _ = specs.workflow(x.project, x.domain, node.target, x.workflow_version)
        yield from _walk(specs, x, sub, node_id + "/")
    elif node.branch is not None:
        for case in node.branch.cases:
            if case.node is not None:
                yield from _node_gates(specs, x, case.node, f"{node_id}/{case.node.id}")


def parse_signal_value(text: str, gate: GateSpec) -> Json:
    """The JSON value of a command-line answer for ``gate``: yes/no for approvals, else by its type."""
    from flowctl.types import validate_json_against

    if gate.kind == "approve":
        return parse_approval(text, name=gate.name)
    spec = gate.type or TypeSpec(kind="any")
    value = _json_of(text, spec)
    validate_json_against(spec, value, where=f"the value of signal `{gate.name}`")
    return value


def _json_of(text: str, spec: TypeSpec) -> Json:
    kinds = {v.kind for v in spec.args} if spec.kind == "union" else {spec.kind}
    if kinds <= {"str", "datetime", "date", "timedelta", "file", "directory", "bytes"}:
        return text
    try:
        return json.loads(text)
    except ValueError:
        if kinds & {"str", "enum", "file", "directory", "dataframe"}:
            return text
        raise InputError(f"{text!r} is not valid JSON for a `{spec}` signal",
                         detail="Numbers, booleans, lists and objects are given as JSON (e.g. 0.7, true, [1, 2]).") from None


def send_signal(store: ExecutionStore, specs: SpecLoader, execution: ExecutionRecord, name: str, text: str,
                *, actor: str = "", approve: bool = False) -> SignalRecord:
    """Give the gate ``name`` of ``execution`` its value (``approve``: only approval gates)."""
    if execution.terminal:
        raise InputError(f"Execution {execution.name} is {execution.phase}: its gates no longer wait",
                         address=f"{execution.project}/{execution.domain}/{execution.name}")
    gates = gates_of(specs, execution)
    found = [g for g in gates if g.gate.name == name]
    if not found:
        names = ", ".join(sorted({g.gate.name for g in gates})) or "(none)"
        raise InputError(f"Execution {execution.name} has no gate waiting for `{name}`", detail=f"Its gates: {names}.")
    gate = found[0].gate
    if approve and gate.kind != "approve":
        raise InputError(f"`{name}` is not an approval but wait_for_input of type `{gate.type}`",
                         detail=f"Send its value: flowctl executions signal {execution.name} {name} VALUE")
    return store.set_signal(execution.id, name, parse_signal_value(text, gate), created_by=actor)
