"""Promises and the trace of a workflow body.

While a workflow compiles, its body runs once with a :class:`Promise` per input; every call of a
task, subworkflow, launch plan or map task records a node and returns promises of its outputs.
A promise has no value: truth tests, iteration and arithmetic on it are compile errors that point
at the offending line. The :class:`Trace` lives only during one compilation.
"""

from __future__ import annotations

import difflib
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, NoReturn, Union, get_args, get_origin

from flowctl._errors import DiagnosticCollector, FlowctlError
from flowctl.sdk._interface import Interface, Output
from flowctl.sdk._source import location_of_frame
from flowctl.spec import (
    WORKFLOW_INPUTS_NODE,
    Binding,
    BranchSpec,
    ComparisonSpec,
    ConjunctionSpec,
    GateSpec,
    ListBinding,
    LiteralBinding,
    MapBinding,
    MapSpec,
    NodeOverridesSpec,
    NodeSpec,
    OutputSpec,
    PromiseBinding,
    ReferenceSpec,
    TypeSpec,
    is_assignable,
)
from flowctl.types import to_json_value, type_name


class TraceAbort(BaseException):
    """Stops a workflow body after a problem that makes the rest meaningless (the problem is recorded)."""


_LOCAL = threading.local()


def active_trace() -> Trace | None:
    stack: list[Trace] = getattr(_LOCAL, "stack", [])
    return stack[-1] if stack else None


def push_trace(trace: Trace) -> None:
    if not hasattr(_LOCAL, "stack"):
        _LOCAL.stack = []
    _LOCAL.stack.append(trace)


def pop_trace() -> None:
    _LOCAL.stack.pop()


@dataclass
class NodeBuilder:
    """A node while the body runs (mutable); ``to_spec`` freezes it."""

    id: str
    kind: str
    target: str
    entity: Any
    source: str
    inputs: dict[str, Binding] = field(default_factory=dict)
    upstream: dict[str, str] = field(default_factory=dict)  # node id -> where the dependency was made
    outputs: tuple[Output, ...] = ()
    branch: BranchSpec | None = None
    map: MapSpec | None = None
    gate: GateSpec | None = None
    overrides: NodeOverridesSpec | None = None
    reference: ReferenceSpec | None = None

    def to_spec(self) -> NodeSpec:
        return NodeSpec(
            id=self.id,
            kind=self.kind,
            target=self.target,
            inputs=self.inputs,
            upstream=tuple(sorted(self.upstream)),
            outputs=tuple(OutputSpec(name=o.name, type=o.spec) for o in self.outputs),
            branch=self.branch,
            map=self.map,
            source=self.source,
            gate=self.gate,
            overrides=self.overrides,
            reference=self.reference,
        )


Recorder = Callable[["Trace", Any, tuple[Any, ...], dict[str, Any], str], Any]
"""Records a call as a node of the trace: ``(trace, entity, args, kwargs, source) -> output promises``."""


class Trace:
    """The state of one workflow compilation."""

    def __init__(self, workflow_name: str, record: Recorder) -> None:
        """``record`` is the compiler's (``_compile.call_in_trace``): given here, so that what is called
        in a body (map tasks, launch plans, task plugins) records itself without importing the compiler."""
        self.workflow_name = workflow_name
        self._record = record
        self.diags = DiagnosticCollector()
        self.nodes: list[NodeBuilder] = []
        self.by_id: dict[str, NodeBuilder] = {}
        self.capture: list[NodeBuilder] | None = None
        self.open_conditionals: list[Any] = []
        self.entities: dict[str, Any] = {}  # target name -> definition (tasks, workflows, launch plans)
        self.py_types: dict[tuple[str, str], Any] = {}
        self.return_source = ""  # file:line of the body's return statement
        self._counter = 0

    def call(self, entity: Any, args: tuple[Any, ...], kwargs: dict[str, Any], source: str) -> Any:
        """Record a call of a task, workflow, launch plan or map task as a node; return its output promises."""
        return self._record(self, entity, args, kwargs, source)

    def new_id(self) -> str:
        node_id = f"n{self._counter}"
        self._counter += 1
        return node_id

    def add(self, node: NodeBuilder) -> None:
        self.by_id[node.id] = node
        for out in node.outputs:
            self.py_types[(node.id, out.name)] = out.py_type
        (self.capture if self.capture is not None else self.nodes).append(node)

    def error(self, summary: str, detail: str = "", *, source: str) -> None:
        self.diags.add(summary, detail, source=source)

    def abort(self, summary: str, detail: str = "", *, source: str) -> NoReturn:
        if active_trace() is not self:  # a promise used after its workflow compiled (e.g. passed to a task)
            from flowctl._errors import CompileError

            raise CompileError(
                summary + " outside its workflow body",
                detail=detail + " Promises exist only while a workflow body compiles; a task called with "
                "promises outside a @workflow body cannot run.",
                source=source,
            )
        self.diags.add(summary, detail, source=source)
        raise TraceAbort()

    def promises_for(self, node: NodeBuilder, interface: Interface) -> Any:
        """What a call returns: nothing (a handle for ``>>``), one promise, a tuple or a NamedTuple of
        them (the tuples have ``with_overrides`` too)."""
        promises = [Promise(self, node.id, o.name, o.spec, o.py_type, node.target) for o in node.outputs]
        if interface.style == "none" or not promises:
            return NodeHandle(self, node.id, node.target)
        if interface.style == "single":
            return promises[0]
        if interface.style == "namedtuple":
            return _overridable(interface.return_type)._make(promises)
        return _OutputTuple(promises)

    def override(self, node_id: str, options: dict[str, Any], source: str) -> None:
        """Record ``with_overrides(...)`` on a task or map node."""
        from flowctl.sdk._overrides import build_overrides

        node = self.by_id.get(node_id)
        if node is None or node.kind not in ("task", "map") or node.reference is not None:
            self.error(f"with_overrides applies to task and map_task calls, not to `{node.target if node else node_id}`",
                       "Call it on what a @task call returns: `t(x=1).with_overrides(retries=3)`.", source=source)
            return
        definition = getattr(node.entity, "task", node.entity)
        node.overrides = build_overrides(definition, options, self.diags, source)


def _where() -> str:
    """file:line of the user's code that triggered a promise operation (two frames up)."""
    return location_of_frame(sys._getframe(2))


_TRUTH_HELP = (
    "Its value is only known when the workflow runs, so Python control flow (`if`, `while`, `and`, "
    "`or`, `not`) cannot use it. Use `conditional(\"name\").if_(x == 1).then(...)` "
    "(`&` and `|` combine conditions), or move the logic into a task."
)


class _Dependable:
    """Something a ``>>`` can order: a node's output or a node without outputs."""

    __slots__ = ("_trace", "entity_name", "node")

    _trace: Trace
    node: str
    entity_name: str

    def with_overrides(self, **options: Any) -> Any:
        """Task settings for this node only (flytekit's ``Node.with_overrides``); returns the same promise."""
        self._trace.override(self.node, options, _where())
        return self

    def __rshift__(self, other: Any) -> Any:
        source = _where()
        targets = _dependables(other)
        if not targets:
            self._trace.error(
                f"`>>` needs a task call on its right side, got {type(other).__name__}",
                "Write `a >> b` where a and b are what task or workflow calls returned.",
                source=source,
            )
            return other
        for target in targets:
            if target.node == WORKFLOW_INPUTS_NODE or self.node == WORKFLOW_INPUTS_NODE:
                self._trace.error("`>>` orders nodes; a workflow input is not a node", source=source)
                continue
            builder = self._trace.by_id.get(target.node)
            if builder is not None and self.node != target.node:
                builder.upstream.setdefault(self.node, source)
            elif self.node == target.node:
                self._trace.error(f"`>>` orders node {self.node} after itself", source=source)
        return other


def _dependables(value: Any) -> list[_Dependable]:
    if isinstance(value, _Dependable):
        return [value]
    if isinstance(value, tuple | list):
        return [d for item in value for d in _dependables(item)]
    return []


def _with_overrides(outputs: Any, **options: Any) -> Any:
    first = outputs[0]
    first._trace.override(first.node, options, _where())
    return outputs


class _OutputTuple(tuple[Any, ...]):
    """The promises of a task with several outputs; ``with_overrides`` applies to their node."""

    __slots__ = ()
    with_overrides = _with_overrides


_OVERRIDABLE: dict[type, type] = {}


def _overridable(namedtuple_type: type) -> Any:
    """A subclass of the task's NamedTuple return type with ``with_overrides`` (made once per type)."""
    found = _OVERRIDABLE.get(namedtuple_type)
    if found is None:
        found = _OVERRIDABLE[namedtuple_type] = type(
            namedtuple_type.__name__, (namedtuple_type,), {"__slots__": (), "with_overrides": _with_overrides}
        )
    return found


class NodeHandle(_Dependable):
    """What a call of a task without outputs returns: usable only with ``>>``."""

    __slots__ = ()

    def __init__(self, trace: Trace, node: str, entity_name: str) -> None:
        self._trace, self.node, self.entity_name = trace, node, entity_name

    def __bool__(self) -> bool:
        self._trace.abort(f"The result of `{self.entity_name}` (node {self.node}) was used as a truth value", _TRUTH_HELP, source=_where())

    def __repr__(self) -> str:
        return f"NodeHandle({self.node}: {self.entity_name})"


class Promise(_Dependable):
    """The future value of an output (or of a workflow input) inside a workflow body."""

    __slots__ = ("output", "py_type", "spec")

    def __init__(self, trace: Trace, node: str, output: str, spec: TypeSpec, py_type: Any, entity_name: str) -> None:
        self._trace, self.node, self.output, self.spec, self.py_type = trace, node, output, spec, py_type
        self.entity_name = entity_name

    def describe(self) -> str:
        if self.node == WORKFLOW_INPUTS_NODE:
            return f"workflow input `{self.output}`"
        return f"output `{self.output}` of `{self.entity_name}` (node {self.node})"

    def __repr__(self) -> str:
        return f"Promise({self.node}.{self.output}: {self.spec})"

    def binding(self) -> PromiseBinding:
        return PromiseBinding(node=self.node, output=self.output)

    # -- conditions
    def is_true(self) -> Comparison:
        return Comparison(self._trace, "is_true", self, None)

    def is_none(self) -> Comparison:
        return Comparison(self._trace, "is_none", self, None)

    def __eq__(self, other: object) -> Comparison:  # type: ignore[override]
        return Comparison(self._trace, "==", self, other)

    def __ne__(self, other: object) -> Comparison:  # type: ignore[override]
        return Comparison(self._trace, "!=", self, other)

    def __lt__(self, other: Any) -> Comparison:
        return Comparison(self._trace, "<", self, other)

    def __le__(self, other: Any) -> Comparison:
        return Comparison(self._trace, "<=", self, other)

    def __gt__(self, other: Any) -> Comparison:
        return Comparison(self._trace, ">", self, other)

    def __ge__(self, other: Any) -> Comparison:
        return Comparison(self._trace, ">=", self, other)

    __hash__ = object.__hash__

    # -- what a promise cannot do
    def __bool__(self) -> bool:
        self._trace.abort(f"The {self.describe()} was used as a truth value", _TRUTH_HELP, source=_where())

    def __iter__(self) -> Iterator[Any]:
        self._trace.abort(
            f"The {self.describe()} was iterated or unpacked",
            "It is one output; its items are only known when the workflow runs. A task with several outputs "
            "returns a NamedTuple or tuple[...] of promises; to loop over a list use map_task(...).",
            source=_where(),
        )

    def __len__(self) -> int:
        self._trace.abort(f"len() of the {self.describe()}", "Its value is only known when the workflow runs; compute it in a task.", source=_where())

    def __getitem__(self, key: Any) -> Any:
        self._trace.abort(f"The {self.describe()} was indexed with [{key!r}]", "Index the value inside a task.", source=_where())

    def _arith(self, op: str) -> NoReturn:
        self._trace.abort(
            f"`{op}` applied to the {self.describe()}",
            "A workflow body only wires tasks together; do arithmetic inside a task.",
            source=location_of_frame(sys._getframe(2)),
        )

    def __add__(self, other: Any) -> Any:
        self._arith("+")

    def __radd__(self, other: Any) -> Any:
        self._arith("+")

    def __sub__(self, other: Any) -> Any:
        self._arith("-")

    def __rsub__(self, other: Any) -> Any:
        self._arith("-")

    def __mul__(self, other: Any) -> Any:
        self._arith("*")

    def __rmul__(self, other: Any) -> Any:
        self._arith("*")

    def __truediv__(self, other: Any) -> Any:
        self._arith("/")

    def __rtruediv__(self, other: Any) -> Any:
        self._arith("/")

    def __float__(self) -> float:
        self._arith("float()")

    def __int__(self) -> int:
        self._arith("int()")

    def __index__(self) -> int:
        self._arith("int()")

    def __format__(self, spec: str) -> str:
        self._arith("string formatting")


class Comparison:
    """A condition for ``conditional(...).if_``: ``promise <op> value`` or a truth/None test."""

    __slots__ = ("_trace", "left", "op", "right")

    def __init__(self, trace: Trace, op: str, left: Promise, right: Any) -> None:
        self._trace, self.op, self.left, self.right = trace, op, left, right

    def __and__(self, other: Any) -> Conjunction:
        return Conjunction(self._trace, "and", self, _as_condition(self._trace, other))

    def __or__(self, other: Any) -> Conjunction:
        return Conjunction(self._trace, "or", self, _as_condition(self._trace, other))

    def __bool__(self) -> bool:
        self._trace.abort(
            "A comparison of a promise was used as a truth value",
            "`if a > 1:`, `and`, `or` and `not` run at compile time. Pass the comparison to "
            "conditional(\"name\").if_(...) and combine comparisons with `&` and `|` (in parentheses).",
            source=_where(),
        )

    def promise_nodes(self) -> list[str]:
        nodes = [self.left.node]
        if isinstance(self.right, Promise):
            nodes.append(self.right.node)
        return nodes

    def to_spec(self, source: str) -> ComparisonSpec:
        right: Binding | None = None
        if self.op in ("is_true", "is_none"):
            right = None
        elif isinstance(self.right, Promise):
            right = self.right.binding()
        else:
            try:
                right = LiteralBinding(value=to_json_value(self.right, self.left.py_type))
            except FlowctlError as exc:
                self._trace.error(
                    f"Cannot compare the {self.left.describe()} (`{self.left.spec}`) with {self.right!r}",
                    exc.diagnostics[0].summary,
                    source=source,
                )
                right = LiteralBinding(value=None)
        return ComparisonSpec(op=self.op, left=self.left.binding(), right=right)


class Conjunction:
    __slots__ = ("_trace", "left", "op", "right")

    def __init__(self, trace: Trace, op: str, left: Comparison | Conjunction, right: Comparison | Conjunction) -> None:
        self._trace, self.op, self.left, self.right = trace, op, left, right

    def __and__(self, other: Any) -> Conjunction:
        return Conjunction(self._trace, "and", self, _as_condition(self._trace, other))

    def __or__(self, other: Any) -> Conjunction:
        return Conjunction(self._trace, "or", self, _as_condition(self._trace, other))

    def __bool__(self) -> bool:
        return Comparison.__bool__(self)  # type: ignore[arg-type]

    def promise_nodes(self) -> list[str]:
        return self.left.promise_nodes() + self.right.promise_nodes()

    def to_spec(self, source: str) -> ConjunctionSpec:
        return ConjunctionSpec(op=self.op, left=self.left.to_spec(source), right=self.right.to_spec(source))


def _as_condition(trace: Trace, value: Any) -> Comparison | Conjunction:
    if isinstance(value, Comparison | Conjunction):
        return value
    if isinstance(value, Promise):
        return value.is_true()
    trace.abort(
        f"{value!r} is not a condition on a promise",
        "Conditions compare promises: `(x > 1) & (y == \"a\")`.",
        source=location_of_frame(sys._getframe(2)),
    )


# ---------------------------------------------------------------- binding values to inputs
def _contains_promise(value: Any) -> bool:
    if isinstance(value, _Dependable | Comparison | Conjunction):
        return True
    if isinstance(value, list | tuple):
        return any(_contains_promise(v) for v in value)
    if isinstance(value, dict):
        return any(_contains_promise(v) for v in value.values())
    return False


def _container_arg(py_type: Any, origin: type) -> Any | None:
    """The element type of ``list[T]`` (or value type of ``dict[str, T]``), looking through Optional."""
    if get_origin(py_type) is origin:
        return get_args(py_type)[-1]
    if get_origin(py_type) is Union or type(py_type).__name__ == "UnionType":
        for arg in get_args(py_type):
            found = _container_arg(arg, origin)
            if found is not None:
                return found
    return None


def bind_value(trace: Trace, value: Any, py_type: Any, spec: TypeSpec, *, what: str, source: str) -> Binding | None:
    """The binding of ``value`` (promise, literal, or a list/dict holding promises) to an input of ``py_type``."""
    if isinstance(value, Promise):
        if value._trace is not trace:
            trace.error(f"{what} is bound to a promise of another workflow", source=source)
            return None
        if not is_assignable(value.spec, spec):
            trace.error(
                f"Type mismatch: {what} has type `{spec}`, but the {value.describe()} bound to it is `{value.spec}`",
                "Bind an output of a matching type, or convert the value in a task in between.",
                source=source,
            )
            return None
        return value.binding()
    if isinstance(value, NodeHandle):
        trace.error(
            f"{what} is bound to the result of `{value.entity_name}` (node {value.node}), which has no outputs",
            "To run it first without passing data, write `a >> b`.",
            source=source,
        )
        return None
    if isinstance(value, Comparison | Conjunction):
        trace.error(f"{what} is bound to a comparison of promises", "Comparisons are only for conditional(...).if_(...).", source=source)
        return None
    if hasattr(value, "__flowctl_unfinished__"):
        trace.error(f"{what} is bound to an unfinished conditional", "End it with .else_().then(...) or .else_().fail(...).", source=source)
        return None
    if isinstance(value, list | tuple) and _contains_promise(value):
        element = _container_arg(py_type, list)
        if spec.kind != "list" or element is None:
            trace.error(f"Type mismatch: {what} has type `{spec}`, but a list is bound to it", source=source)
            return None
        items = [bind_value(trace, v, element, spec.args[0], what=f"item {i} of {what}", source=source) for i, v in enumerate(value)]
        return None if any(i is None for i in items) else ListBinding(items=tuple(i for i in items if i is not None))
    if isinstance(value, dict) and _contains_promise(value):
        element = _container_arg(py_type, dict)
        if spec.kind != "map" or element is None:
            trace.error(f"Type mismatch: {what} has type `{spec}`, but a dict is bound to it", source=source)
            return None
        bound = {str(k): bind_value(trace, v, element, spec.args[0], what=f"key {k!r} of {what}", source=source) for k, v in value.items()}
        return None if any(v is None for v in bound.values()) else MapBinding(items={k: v for k, v in bound.items() if v is not None})
    try:
        return LiteralBinding(value=to_json_value(value, py_type))
    except FlowctlError as exc:
        trace.error(
            f"Type mismatch: {what} has type `{type_name(py_type)}`, but the value {_short(value)} does not fit",
            exc.diagnostics[0].detail or exc.diagnostics[0].summary,
            source=source,
        )
        return None


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def binding_nodes(binding: Any) -> Iterator[str]:
    """Node ids a binding reads from (``start`` excluded)."""
    if isinstance(binding, PromiseBinding):
        if binding.node != WORKFLOW_INPUTS_NODE:
            yield binding.node
    elif isinstance(binding, ListBinding):
        for item in binding.items:
            yield from binding_nodes(item)
    elif isinstance(binding, MapBinding):
        for item in binding.items.values():
            yield from binding_nodes(item)


def bind_call(
    trace: Trace, node: NodeBuilder, interface: Interface, args: tuple[Any, ...], kwargs: dict[str, Any], *, what: str
) -> None:
    """Bind a call's keyword arguments to the inputs of ``interface``; every problem is recorded."""
    source = node.source
    if args:
        trace.error(
            f"{what} was called with positional arguments",
            f"Call it with keyword arguments, e.g. {node.target.rsplit('.', 1)[-1]}("
            + ", ".join(f"{p.name}=..." for p in interface.inputs)
            + ").",
            source=source,
        )
    names = [p.name for p in interface.inputs]
    for key, value in kwargs.items():
        param = interface.param(key)
        if param is None:
            close = difflib.get_close_matches(key, names, n=1, cutoff=0.5)
            trace.error(
                f"{what} has no input `{key}`",
                (f"Did you mean `{close[0]}`? " if close else "") + f"Inputs: {', '.join(names) or '(none)'}.",
                source=source,
            )
            continue
        binding = bind_value(trace, value, param.py_type, param.spec, what=f"input `{key}` of {what}", source=source)
        if binding is not None:
            node.inputs[key] = binding
            for upstream in binding_nodes(binding):
                node.upstream.setdefault(upstream, source)
    for param in interface.inputs:
        if param.name not in kwargs and not param.has_default and not args:
            trace.error(
                f"Input `{param.name}` of {what} is not bound",
                f"Pass it: `{param.name}=...` (type `{param.spec}`), or give the parameter a default.",
                source=source,
            )
