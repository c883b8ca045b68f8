"""``conditional("name").if_(...).then(...).elif_(...).then(...).else_().then(...)`` or ``.fail("msg")``.

In a workflow body each ``then`` takes exactly one call (a task, subworkflow, launch plan or map
task); the nodes of the arms are recorded inside one ``branch`` node. Outside a workflow body (a
workflow function called as plain Python) the conditions are plain booleans.
"""

from __future__ import annotations

from typing import Any

from flowctl._errors import ExecutionError
from flowctl.sdk._interface import Interface
from flowctl.sdk._promise import (
    Comparison,
    Conjunction,
    NodeBuilder,
    Promise,
    Trace,
    _as_condition,
    _dependables,
    active_trace,
)
from flowctl.sdk._source import frame_location
from flowctl.spec import WORKFLOW_INPUTS_NODE, BranchCaseSpec, BranchSpec, is_assignable


class _Case:
    __slots__ = ("condition", "fail", "interface", "node", "source")

    def __init__(self, condition: Comparison | Conjunction | None, source: str) -> None:
        self.condition = condition
        self.source = source
        self.node: NodeBuilder | None = None
        self.interface: Interface | None = None
        self.fail: str | None = None


class ConditionalBuilder:
    """A conditional being declared in a workflow body."""

    __flowctl_unfinished__ = True

    def __init__(self, trace: Trace, name: str, source: str) -> None:
        self._trace = trace
        self.name = name
        self.source = source
        self.node_id = trace.new_id()
        self._cases: list[_Case] = []
        self._open: _Case | None = None
        self._saved_capture: list[NodeBuilder] | None = None
        self._else = False
        self._done = False
        trace.open_conditionals.append(self)

    def _start(self, condition: Any, source: str, *, is_else: bool = False) -> ConditionalBuilder:
        if self._open is not None:
            self._trace.abort(f"conditional `{self.name}`: each if_/elif_/else_ needs a .then(...) first", source=source)
        if self._else or self._done:
            self._trace.abort(f"conditional `{self.name}` already has its else_()", source=source)
        if not is_else and not self._cases and condition is None:
            self._trace.abort(f"conditional `{self.name}` starts with if_(...)", source=source)
        cond = None if is_else else _as_condition(self._trace, condition)
        self._open = _Case(cond, source)
        self._else = is_else
        self._saved_capture = self._trace.capture
        self._trace.capture = []
        return self

    def if_(self, condition: Any) -> ConditionalBuilder:
        source = frame_location(1)
        if self._cases or self._open is not None:
            self._trace.abort(f"conditional `{self.name}`: use elif_(...) for further conditions", source=source)
        return self._start(condition, source)

    def elif_(self, condition: Any) -> ConditionalBuilder:
        source = frame_location(1)
        if not self._cases:
            self._trace.abort(f"conditional `{self.name}` starts with if_(...), not elif_(...)", source=source)
        return self._start(condition, source)

    def else_(self) -> ConditionalBuilder:
        source = frame_location(1)
        if not self._cases:
            self._trace.abort(f"conditional `{self.name}` starts with if_(...), not else_()", source=source)
        return self._start(None, source, is_else=True)

    def _close(self, source: str) -> tuple[_Case, list[NodeBuilder]]:
        case = self._open
        if case is None:
            self._trace.abort(f"conditional `{self.name}`: then()/fail() must follow if_, elif_ or else_", source=source)
        captured = self._trace.capture or []
        self._trace.capture = self._saved_capture
        self._open = None
        self._cases.append(case)
        return case, captured

    def then(self, result: Any) -> Any:
        source = frame_location(1)
        case, captured = self._close(source)
        if len(captured) != 1:
            self._trace.error(
                f"then() of conditional `{self.name}` must get exactly one task, workflow or map_task call, "
                f"got {len(captured)} calls",
                "Write `.then(my_task(x=...))`; to run several steps in an arm, wrap them in a @workflow.",
                source=source,
            )
        else:
            node = captured[0]
            dependables = _dependables(result)
            if not dependables or any(d.node != node.id for d in dependables):
                self._trace.error(
                    f"then() of conditional `{self.name}` must get the result of the call made inside it",
                    "Write `.then(my_task(x=...))` directly.",
                    source=source,
                )
            case.node = node
            case.interface = getattr(node.entity, "interface", None)
        return self._finish() if self._else else self

    def fail(self, message: str) -> Any:
        source = frame_location(1)
        case, captured = self._close(source)
        if captured:
            self._trace.error(f"fail() of conditional `{self.name}` cannot contain calls", source=source)
        if not self._else:
            self._trace.error(f"conditional `{self.name}`: fail() ends the else_() arm", "Write .else_().fail(\"...\").", source=source)
        case.fail = str(message)
        return self._finish()

    def _finish(self) -> Any:
        trace = self._trace
        self._done = True
        if self in trace.open_conditionals:
            trace.open_conditionals.remove(self)
        with_nodes = [c for c in self._cases if c.node is not None]
        first = with_nodes[0] if with_nodes else None
        outputs = first.node.outputs if first is not None and first.node is not None else ()
        for case in with_nodes[1:]:
            assert case.node is not None
            theirs = case.node.outputs
            if len(theirs) != len(outputs) or not all(is_assignable(t.spec, o.spec) for t, o in zip(theirs, outputs, strict=False)):
                trace.error(
                    f"The arms of conditional `{self.name}` return different outputs: "
                    f"({', '.join(str(o.spec) for o in outputs)}) and ({', '.join(str(t.spec) for t in theirs)})",
                    "Every arm must produce the same number and types of outputs.",
                    source=case.source,
                )
        upstream: dict[str, str] = {}
        for case in self._cases:
            if case.condition is not None:
                for node_id in case.condition.promise_nodes():
                    if node_id != WORKFLOW_INPUTS_NODE:
                        upstream.setdefault(node_id, case.source)
            if case.node is not None:
                for node_id, where in case.node.upstream.items():
                    upstream.setdefault(node_id, where)
        cases = tuple(
            BranchCaseSpec(
                condition=c.condition.to_spec(c.source) if c.condition is not None else None,
                node=c.node.to_spec() if c.node is not None else None,
                fail=c.fail,
            )
            for c in self._cases
        )
        branch = NodeBuilder(
            id=self.node_id,
            kind="branch",
            target=self.name,
            entity=self,
            source=self.source,
            upstream=upstream,
            outputs=outputs,
            branch=BranchSpec(name=self.name, cases=cases),
        )
        branch_nodes = [c.node for c in self._cases]
        branch.entity = branch_nodes
        trace.add(branch)
        interface = first.interface if first is not None else None
        if interface is None or not outputs:
            return trace.promises_for(branch, Interface((), (), "none", None))
        return trace.promises_for(branch, Interface((), outputs, interface.style, interface.return_type))

    def __repr__(self) -> str:
        return f"conditional({self.name!r}) (unfinished)"


class _EagerConditional:
    """``conditional`` outside a workflow body: conditions are plain values."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._chosen = False
        self._value: Any = None
        self._pending: bool | None = None

    def if_(self, condition: Any) -> _EagerConditional:
        self._pending = bool(condition)
        return self

    elif_ = if_

    def else_(self) -> _EagerConditional:
        self._pending = True
        self._else = True
        return self

    def then(self, result: Any) -> Any:
        if self._pending and not self._chosen:
            self._chosen, self._value = True, result
        return self._value if getattr(self, "_else", False) else self

    def fail(self, message: str) -> Any:
        if not self._chosen:
            raise ExecutionError(f"conditional `{self.name}` failed: {message}")
        return self._value


def conditional(name: str) -> Any:
    """Start a conditional named ``name`` (the name shows in specs and errors)."""
    trace = active_trace()
    if trace is None:
        return _EagerConditional(name)
    return ConditionalBuilder(trace, name, frame_location(1))


__all__ = ["ConditionalBuilder", "Promise", "conditional"]
