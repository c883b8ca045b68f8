"""Compilation: run a workflow body once over promises and freeze the result into specs.

The body runs with a private globals mapping in which every task and workflow function resolves
to a recorder (``TracingGlobals``), so the decorated functions themselves stay untouched. Helpers
of the same module called from the body are traced too. A task reached another way (a list of
tasks, a helper from another module) is detected by a profile hook and reported.
All problems are collected and raised once as a :class:`CompileError`.
"""

from __future__ import annotations

import inspect
import sys
import types
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType, ModuleType
from typing import Any

from flowctl._address import EntityKind
from flowctl._errors import CompileError, Diagnostic, ManifestError
from flowctl.sdk._conditional import ConditionalBuilder
from flowctl.sdk._interface import Interface
from flowctl.sdk._launch_plan import LaunchPlan, default_launch_plan
from flowctl.sdk._map import MapTask
from flowctl.sdk._promise import (
    NodeBuilder,
    Promise,
    Trace,
    TraceAbort,
    bind_call,
    bind_value,
    binding_nodes,
    pop_trace,
    push_trace,
)
from flowctl.sdk._reference import ReferenceDefinition
from flowctl.sdk._source import display_path, frame_location, location_of_frame
from flowctl.sdk._task import _ENTITY_CODES, DEFINITION_ATTR, TaskDefinition, definition_of
from flowctl.sdk._workflow import WorkflowDefinition
from flowctl.spec import WORKFLOW_INPUTS_NODE, Binding, LaunchPlanSpec, TaskSpec, WorkflowSpec

_FLOWCTL_DIR = str(Path(__file__).resolve().parent.parent)

Entity = TaskDefinition | WorkflowDefinition | LaunchPlan


@dataclass(frozen=True)
class CompiledWorkflow:
    """A compiled workflow and what the local runner needs besides the spec."""

    definition: WorkflowDefinition
    spec: WorkflowSpec
    entities: dict[str, Entity]  # node target name -> definition (map nodes: the task)
    py_types: dict[tuple[str, str], Any]  # (node id, output) -> Python type; ("start", input) too


@dataclass(frozen=True)
class CompiledEntity:
    """Everything that must be registered together at one version, in dependency order."""

    kind: EntityKind
    name: str
    spec: TaskSpec | WorkflowSpec | LaunchPlanSpec
    tasks: dict[str, TaskSpec] = field(default_factory=dict)
    workflows: dict[str, WorkflowSpec] = field(default_factory=dict)
    launch_plans: dict[str, LaunchPlanSpec] = field(default_factory=dict)


# ---------------------------------------------------------------- tracing
class _ModuleProxy:
    """A module seen from a workflow body: its tasks and workflows resolve to recorders."""

    def __init__(self, module: ModuleType, trace: Trace) -> None:
        self.__dict__["_module"] = module
        self.__dict__["_trace"] = trace

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._module, name)
        return _wrap(value, self._trace, None)


def _recorder(trace: Trace, entity: TaskDefinition | WorkflowDefinition | ReferenceDefinition) -> Any:
    def record(*args: Any, **kwargs: Any) -> Any:
        return call_in_trace(trace, entity, args, kwargs, frame_location(1))

    setattr(record, DEFINITION_ATTR, entity)
    record.__name__ = record.__qualname__ = entity.qualname
    return record


def _wrap(value: Any, trace: Trace, globals_: TracingGlobals | None) -> Any:
    definition = getattr(value, DEFINITION_ATTR, None) if inspect.isfunction(value) else None
    if isinstance(definition, TaskDefinition | WorkflowDefinition | ReferenceDefinition):
        return _recorder(trace, definition)
    if isinstance(value, ModuleType):
        return _ModuleProxy(value, trace)
    if globals_ is not None and inspect.isfunction(value) and value.__globals__ is globals_.original:
        clone = types.FunctionType(value.__code__, globals_, value.__name__, value.__defaults__, value.__closure__)
        clone.__kwdefaults__ = value.__kwdefaults__
        return clone
    return value


class TracingGlobals(dict[str, Any]):
    """Globals of a traced workflow body: looked up lazily in the module, tasks replaced by recorders."""

    def __init__(self, original: dict[str, Any], trace: Trace) -> None:
        super().__init__(__builtins__=original.get("__builtins__", __builtins__))
        self.original = original
        self.trace = trace

    def __getitem__(self, key: str) -> Any:
        try:
            return super().__getitem__(key)
        except KeyError:
            pass
        value = _wrap(self.original[key], self.trace, self)
        self[key] = value
        return value


class _DirectCall(BaseException):
    def __init__(self, frame: FrameType) -> None:
        self.frame = frame


def _profile(frame: FrameType, event: str, arg: Any) -> None:
    """Runs on every call and return while a workflow body runs (half of compiling one): keep it lean."""
    if event == "call":
        if frame.f_code in _ENTITY_CODES and not isinstance(frame.f_globals, TracingGlobals):
            raise _DirectCall(frame)
    elif event == "return":
        back = frame.f_back
        if back is not None and back.f_code is _COMPILE_CODE:
            globals_ = frame.f_globals
            if isinstance(globals_, TracingGlobals):
                globals_.trace.return_source = location_of_frame(frame)


def _user_location(tb: types.TracebackType | None, fallback: str) -> str:
    where = fallback
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if not filename.startswith(_FLOWCTL_DIR) and not filename.startswith("<"):
            where = f"{display_path(filename)}:{tb.tb_lineno}"
        tb = tb.tb_next
    return where


_COMPILED: weakref.WeakKeyDictionary[WorkflowDefinition, CompiledWorkflow] = weakref.WeakKeyDictionary()
_COMPILING: list[WorkflowDefinition] = []


def compile_workflow(definition: WorkflowDefinition) -> CompiledWorkflow:
    """Compile a workflow (cached per definition); raise CompileError with every problem found."""
    cached = _COMPILED.get(definition)
    if cached is not None:
        return cached
    if definition in _COMPILING:
        chain = " -> ".join(d.name for d in [*_COMPILING, definition])
        raise CompileError(
            f"Workflow `{definition.name}` calls itself: {chain}",
            source=definition.source,
            detail="Workflows form a DAG; a workflow cannot contain itself, directly or through subworkflows.",
        )
    _COMPILING.append(definition)
    try:
        compiled = _compile(definition)
    finally:
        _COMPILING.pop()
    _COMPILED[definition] = compiled
    return compiled


def _compile(definition: WorkflowDefinition) -> CompiledWorkflow:
    trace = Trace(definition.name, call_in_trace)
    interface = definition.interface
    inputs = {
        p.name: Promise(trace, WORKFLOW_INPUTS_NODE, p.name, p.spec, p.py_type, definition.name) for p in interface.inputs
    }
    for p in interface.inputs:
        trace.py_types[(WORKFLOW_INPUTS_NODE, p.name)] = p.py_type
    fn = definition.function
    body = types.FunctionType(fn.__code__, TracingGlobals(fn.__globals__, trace), fn.__name__, fn.__defaults__, fn.__closure__)
    body.__kwdefaults__ = fn.__kwdefaults__
    result: Any = None
    finished = False
    previous_profile = sys.getprofile()
    hook = previous_profile is None  # under a profiler (cProfile) direct calls are not detected
    push_trace(trace)
    if hook:
        sys.setprofile(_profile)
    try:
        result = body(**inputs)
        finished = True
    except TraceAbort:
        pass
    except _DirectCall as call:
        called = call.frame.f_code
        trace.error(
            f"`{call.frame.f_globals.get('__name__', '?')}.{called.co_name}` was called directly inside "
            f"workflow `{definition.name}`, not as a workflow node",
            "Call tasks and workflows by their name (or module.name) in the workflow body, with keyword "
            "arguments; a task reached another way (a list or dict of tasks, a helper from another module) "
            "would run as plain Python on promises, outside any workflow.",
            source=location_of_frame(call.frame.f_back),
        )
    except ManifestError as exc:
        trace.diags.diagnostics.extend(exc.diagnostics)
    except Exception as exc:
        trace.error(
            f"The body of workflow `{definition.name}` raised {type(exc).__name__}: {exc}",
            "A workflow body runs once at compile time over promises: it may only call tasks, workflows, "
            "launch plans, conditional and map_task. Move computations into a task.",
            source=_user_location(exc.__traceback__, definition.source),
        )
    finally:
        if hook:
            sys.setprofile(None)
        pop_trace()
    if trace.capture is not None:
        trace.capture = None
    for open_conditional in trace.open_conditionals:
        if isinstance(open_conditional, ConditionalBuilder):
            trace.error(
                f"conditional `{open_conditional.name}` is not finished",
                "End it with .else_().then(...) or .else_().fail(\"message\").",
                source=open_conditional.source,
            )
    outputs = _bind_outputs(trace, definition, result) if finished else {}
    nodes = _ordered(trace, definition)
    _check_subentities(trace)
    trace.diags.raise_if_any(CompileError)
    entities = dict(trace.entities)
    spec = WorkflowSpec(
        name=definition.name,
        interface=interface.to_spec(),
        nodes=tuple(n.to_spec() for n in nodes),
        outputs=outputs,
        failure_policy=definition.failure_policy,
        tasks=tuple(sorted(n for n, e in entities.items() if isinstance(e, TaskDefinition))),
        subworkflows=tuple(sorted(n for n, e in entities.items() if isinstance(e, WorkflowDefinition))),
        launch_plans=tuple(sorted(n for n, e in entities.items() if isinstance(e, LaunchPlan))),
        source=definition.source,
    )
    return CompiledWorkflow(definition, spec, entities, dict(trace.py_types))


_COMPILE_CODE = _compile.__code__  # the workflow body's caller, for _profile


def call_in_trace(trace: Trace, entity: Any, args: tuple[Any, ...], kwargs: dict[str, Any], source: str) -> Any:
    """Record a call of a task, workflow, launch plan or map task as a node; return its output promises.

    flowctl's own calls need no watching for direct calls of tasks: the profile hook is off meanwhile
    (it ran on every call inside here, as much as the rest of a workflow's compile)."""
    hooked = sys.getprofile() is _profile
    if hooked:
        sys.setprofile(None)
    try:
        return _record_call(trace, entity, args, kwargs, source)
    finally:
        if hooked:
            sys.setprofile(_profile)


def _record_call(trace: Trace, entity: Any, args: tuple[Any, ...], kwargs: dict[str, Any], source: str) -> Any:
    interface: Interface
    registered: Entity
    map_spec = None
    if isinstance(entity, ReferenceDefinition):
        return _call_reference(trace, entity, args, kwargs, source)
    if isinstance(entity, TaskDefinition):
        kind, interface, target, registered, label = "task", entity.interface, entity.name, entity, "task"
    elif isinstance(entity, WorkflowDefinition):
        kind, interface, target, registered, label = "workflow", entity.interface, entity.name, entity, "workflow"
    elif isinstance(entity, LaunchPlan):
        kind, interface, target, registered, label = "launch_plan", entity.interface, entity.name, entity, "launch plan"
    elif isinstance(entity, MapTask):
        kind, interface, target, registered, label = "map", entity.interface, entity.name, entity.task, "map_task of"
        map_spec = entity.spec
    else:  # pragma: no cover - callers pass only the types above
        raise TypeError(entity)
    _register(trace, target, registered, source)
    node = NodeBuilder(
        id=trace.new_id(), kind=kind, target=target, entity=entity, source=source, outputs=interface.outputs, map=map_spec
    )
    bind_call(trace, node, interface, args, kwargs, what=f"{label} `{target}`")
    trace.add(node)
    return trace.promises_for(node, interface)


def _call_reference(trace: Trace, entity: ReferenceDefinition, args: tuple[Any, ...], kwargs: dict[str, Any], source: str) -> Any:
    """A node running an entity registered elsewhere: nothing of it is registered with this workflow."""
    label = f"reference {entity.kind.replace('_', ' ')}"
    node = NodeBuilder(id=trace.new_id(), kind=entity.kind, target=entity.name, entity=entity, source=source,
                       outputs=entity.interface.outputs, reference=entity.spec)
    bind_call(trace, node, entity.interface, args, kwargs, what=f"{label} `{entity.name}`")
    trace.add(node)
    return trace.promises_for(node, entity.interface)


def _register(trace: Trace, name: str, entity: Entity, source: str) -> None:
    existing = trace.entities.get(name)
    if existing is None:
        trace.entities[name] = entity
        return
    if existing is entity:
        return
    same = (
        isinstance(existing, LaunchPlan) and isinstance(entity, LaunchPlan) and existing.spec.digest() == entity.spec.digest()
    ) or (
        isinstance(existing, TaskDefinition | WorkflowDefinition)
        and isinstance(entity, TaskDefinition | WorkflowDefinition)
        and existing.function is entity.function
    )
    if not same:
        trace.error(
            f"Two different definitions are named `{name}` in workflow `{trace.workflow_name}`",
            f"One is declared at {getattr(existing, 'source', '?')}, the other at {getattr(entity, 'source', '?')}. "
            "Names must be unique; rename one of them.",
            source=source,
        )


def _bind_outputs(trace: Trace, definition: WorkflowDefinition, result: Any) -> dict[str, Binding]:
    interface = definition.interface
    outputs = interface.outputs
    source = trace.return_source or definition.source
    what = f"workflow `{definition.name}`"
    if interface.style == "none":
        if result is not None and not _is_handle(result):
            trace.error(
                f"{what} returns a value but declares no outputs",
                "Add a return annotation (e.g. `-> float`) or return nothing.",
                source=source,
            )
        return {}
    if interface.style == "single":
        values: tuple[Any, ...] = (result,)
        if isinstance(result, tuple) and not isinstance(result, Promise) and len(result) != 1:
            trace.error(
                f"Output count mismatch: {what} declares 1 output but returns {len(result)}",
                "Return one value, or declare a NamedTuple / tuple[...] return type.",
                source=source,
            )
            return {}
    else:
        if not isinstance(result, tuple | list):
            count = 0 if result is None else 1
            trace.error(
                f"Output count mismatch: {what} declares {len(outputs)} outputs but returns {count}",
                f"Return {len(outputs)} values: ({', '.join(o.name for o in outputs)}).",
                source=source,
            )
            return {}
        values = tuple(result)
        if len(values) != len(outputs):
            trace.error(
                f"Output count mismatch: {what} declares {len(outputs)} outputs but returns {len(values)}",
                f"Return {len(outputs)} values: ({', '.join(o.name for o in outputs)}).",
                source=source,
            )
            return {}
    bound: dict[str, Binding] = {}
    for out, value in zip(outputs, values, strict=True):
        if value is None and out.spec.kind not in ("none", "union", "any"):
            trace.error(f"{what} returns nothing for its output `{out.name}` (`{out.spec}`)", "Return the task call's result.", source=source)
            continue
        binding = bind_value(trace, value, out.py_type, out.spec, what=f"output `{out.name}` of {what}", source=source)
        if binding is not None:
            bound[out.name] = binding
    return bound


def _is_handle(value: Any) -> bool:
    from flowctl.sdk._promise import NodeHandle

    return isinstance(value, NodeHandle)


def _ordered(trace: Trace, definition: WorkflowDefinition) -> list[NodeBuilder]:
    """Top-level nodes in dependency order (stable); cycles and dangling references are reported."""
    nodes = trace.nodes
    ids = {n.id for n in nodes}
    for node in nodes:
        for upstream, where in list(node.upstream.items()):
            if upstream not in ids:
                trace.error(
                    f"Node {node.id} (`{node.target}`) uses node {upstream}, which is inside a conditional arm",
                    "Use the conditional's result instead of the promises of the call inside then().",
                    source=where,
                )
                del node.upstream[upstream]
    remaining = {n.id: set(n.upstream) for n in nodes}
    ordered: list[NodeBuilder] = []
    done: set[str] = set()
    progress = True
    while remaining and progress:
        progress = False
        for node in nodes:
            if node.id in remaining and remaining[node.id] <= done:
                ordered.append(node)
                done.add(node.id)
                del remaining[node.id]
                progress = True
    if remaining:
        cycle = [n for n in nodes if n.id in remaining]
        edges = sorted(
            {where for n in cycle for up, where in n.upstream.items() if up in remaining},
            key=lambda w: (w.rpartition(":")[0], int(w.rpartition(":")[2] or 0)),
        )
        trace.error(
            "Cycle: nodes " + ", ".join(f"{n.id} (`{n.target}`)" for n in cycle) + " depend on each other",
            "Remove one of the `>>` orderings (or data dependencies) that close the loop: " + ", ".join(edges),
            source=edges[-1] if edges else definition.source,
        )
        ordered.extend(cycle)
    return ordered


def _check_subentities(trace: Trace) -> None:
    for entity in list(trace.entities.values()):
        workflow = entity.workflow if isinstance(entity, LaunchPlan) else entity
        if isinstance(workflow, WorkflowDefinition):
            try:
                compile_workflow(workflow)
            except CompileError as exc:
                trace.diags.diagnostics.extend(
                    d if d.summary.startswith("In ") else Diagnostic(f"In workflow `{workflow.name}`: {d.summary}", d.detail, d.source, d.address)
                    for d in exc.diagnostics
                )


# ---------------------------------------------------------------- entities
def compile_entity(obj: Any) -> CompiledEntity:
    """Compile a @task function, @workflow function or LaunchPlan with everything it needs."""
    definition = definition_of(obj)
    if isinstance(definition, TaskDefinition):
        spec = definition.spec
        return CompiledEntity(EntityKind.TASK, definition.name, spec, {definition.name: spec})
    tasks: dict[str, TaskSpec] = {}
    workflows: dict[str, WorkflowSpec] = {}
    launch_plans: dict[str, LaunchPlanSpec] = {}
    workflow = definition.workflow if isinstance(definition, LaunchPlan) else definition
    _collect(workflow, tasks, workflows, launch_plans)
    if isinstance(definition, LaunchPlan):
        launch_plans[definition.name] = definition.spec
        return CompiledEntity(EntityKind.LAUNCH_PLAN, definition.name, definition.spec, tasks, workflows, launch_plans)
    return CompiledEntity(EntityKind.WORKFLOW, definition.name, workflows[definition.name], tasks, workflows, launch_plans)


def _collect(
    workflow: WorkflowDefinition,
    tasks: dict[str, TaskSpec],
    workflows: dict[str, WorkflowSpec],
    launch_plans: dict[str, LaunchPlanSpec],
) -> None:
    if workflow.name in workflows:
        return
    compiled = compile_workflow(workflow)
    for name, entity in compiled.entities.items():
        if isinstance(entity, TaskDefinition):
            _put(tasks, name, entity.spec, entity.source)
        elif isinstance(entity, WorkflowDefinition):
            _collect(entity, tasks, workflows, launch_plans)
        else:
            _collect(entity.workflow, tasks, workflows, launch_plans)
            _put(launch_plans, name, entity.spec, entity.source)
    _put(workflows, workflow.name, compiled.spec, workflow.source)
    _put(launch_plans, workflow.name, default_launch_plan(workflow).spec, workflow.source)


def _put(target: dict[str, Any], name: str, spec: Any, source: str) -> None:
    existing = target.get(name)
    if existing is not None and existing.digest() != spec.digest():
        raise CompileError(
            f"Two different definitions are named `{name}`",
            source=source,
            detail="Everything registered together needs a unique name; rename one of them.",
        )
    target[name] = spec


def binding_upstream(binding: Binding) -> list[str]:
    return list(binding_nodes(binding))
