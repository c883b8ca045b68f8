"""``@dynamic``: a task whose body runs at execution time and returns a sub-workflow.

The body gets real input values (so it may loop over a list) and calls tasks, subworkflows, map
tasks and other dynamic tasks like a workflow body does; the calls are recorded as nodes with the
SDK's compiler (same binding and type checks, same errors with file:line), and the result is a
sub-workflow run as part of the execution:

* local runs (``flowctl run``): the sub-DAG runs in the same runner, under the parent node id
  (``n3/d0``, ``n3/d1``...), with the same type checks, caching and retries as static nodes;
* the controller: the dynamic task's attempt returns the compiled sub-workflow as its output
  document (:data:`DYNAMIC_KEY`), and the controller runs its nodes under the parent node id;
  finished sub-nodes are reused on recovery like any node.
"""

from __future__ import annotations

import dataclasses
import sys
import types
from collections.abc import Callable, Mapping
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar, overload

from flowctl._errors import CompileError, ManifestError
from flowctl.sdk._interface import Interface
from flowctl.sdk._source import frame_location, location_of_frame
from flowctl.sdk._task import DEFINITION_ATTR, TASK_OPTIONS, TaskDefinition, check_function, unknown_options
from flowctl.spec import Json, TaskSpec, WorkflowSpec

if TYPE_CHECKING:
    from flowctl.sdk._compile import CompiledWorkflow

F = TypeVar("F", bound=Callable[..., Any])
DYNAMIC_KEY = "flowctl.dynamic"  # the one key of a dynamic attempt's output document
DYNAMIC_NODE_PREFIX = "d"


@dataclasses.dataclass(frozen=True, eq=False)
class DynamicDefinition(TaskDefinition):
    """A ``@task`` definition whose spec says ``dynamic: true``."""

    is_dynamic: ClassVar[bool] = True  # what the local runner checks (without compiling the spec)

    @cached_property
    def spec(self) -> TaskSpec:
        base = TaskDefinition.spec.func(self)  # type: ignore[attr-defined]
        assert isinstance(base, TaskSpec)
        return base.model_copy(update={"dynamic": True})


def _attach(fn: Any, options: Mapping[str, Any], call_site: str) -> Any:
    from flowctl.sdk import _task

    check_function(fn, decorator="dynamic", source=call_site)
    base = _task._make_definition(fn, options, call_site)
    values = {f.name: getattr(base, f.name) for f in dataclasses.fields(TaskDefinition)}
    setattr(fn, DEFINITION_ATTR, DynamicDefinition(**values))
    register = getattr(_task, "_register_code", None)
    if register is not None:
        register(fn)  # a direct call of it inside a workflow body is then reported, as for @task
    return fn


@overload
def dynamic(fn: F, /) -> F: ...


@overload
def dynamic(**options: Any) -> Callable[[F], F]: ...


def dynamic(fn: Any = None, /, **options: Any) -> Any:
    """Declare a dynamic task: ``@dynamic`` or ``@dynamic(retries=1, cache=True, ...)`` (the options of @task).

    The body runs when the task executes, with real input values; the task calls it makes become
    the nodes of a sub-workflow, and what it returns (promises or plain values) are the outputs::

        @dynamic
        def square_all(xs: list[int]) -> list[int]:
            return [square(x=x) for x in xs]
    """
    call_site = frame_location(1)
    unknown_options(options, TASK_OPTIONS, decorator="dynamic", source=call_site)
    if fn is not None:
        return _attach(fn, options, call_site)

    def decorate(f: F) -> F:
        result: F = _attach(f, options, call_site)
        return result

    return decorate


# ---------------------------------------------------------------- compiling the body at run time
def compile_dynamic(definition: TaskDefinition, kwargs: Mapping[str, Any]) -> CompiledWorkflow:
    """Run the body of a dynamic task with ``kwargs`` (Python values) and compile what it called.

    Raises CompileError for wiring mistakes (located in the body); an exception of the user's code
    propagates (the attempt fails with the user's traceback)."""
    from flowctl.sdk import _compile as sdk
    from flowctl.sdk._promise import Trace, TraceAbort, pop_trace, push_trace
    from flowctl.sdk._workflow import WorkflowDefinition

    class _Trace(Trace):
        def new_id(self) -> str:
            return DYNAMIC_NODE_PREFIX + super().new_id()[1:]

    name = f"{definition.name}.dynamic"
    trace = _Trace(name, sdk.call_in_trace)
    fn = definition.function
    body = types.FunctionType(fn.__code__, sdk.TracingGlobals(fn.__globals__, trace), fn.__name__, fn.__defaults__,
                              fn.__closure__)
    body.__kwdefaults__ = fn.__kwdefaults__
    iface = definition.interface
    sub_interface = Interface((), iface.outputs, iface.style, iface.return_type)
    wf = WorkflowDefinition(fn, name, definition.module, definition.qualname, definition.source_file,
                            definition.source_line, sub_interface)
    result: Any = None
    finished = False
    previous = sys.getprofile()
    push_trace(trace)
    sys.setprofile(sdk._profile)
    try:
        result = body(**kwargs)
        finished = True
    except TraceAbort:
        pass
    except sdk._DirectCall as call:
        trace.error(
            f"`{call.frame.f_code.co_name}` was called directly inside dynamic task `{definition.name}`, not as a node",
            "Call tasks by their name (or module.name) with keyword arguments.",
            source=location_of_frame(call.frame.f_back),
        )
    except ManifestError as exc:
        trace.diags.diagnostics.extend(exc.diagnostics)
    finally:
        sys.setprofile(previous)
        pop_trace()
    outputs = sdk._bind_outputs(trace, wf, result) if finished else {}
    nodes = sdk._ordered(trace, wf)
    sdk._check_subentities(trace)
    trace.diags.raise_if_any(CompileError)
    entities = dict(trace.entities)
    spec = WorkflowSpec(
        name=name, interface=sub_interface.to_spec(), nodes=tuple(n.to_spec() for n in nodes), outputs=outputs,
        tasks=tuple(sorted(n for n, e in entities.items() if isinstance(e, TaskDefinition))),
        subworkflows=tuple(sorted(n for n, e in entities.items() if isinstance(e, WorkflowDefinition))),
        launch_plans=tuple(sorted(n for n, e in entities.items() if not isinstance(e, TaskDefinition | WorkflowDefinition))),
        source=definition.source,
    )
    return sdk.CompiledWorkflow(wf, spec, entities, dict(trace.py_types))


def result_of(definition: TaskDefinition, outputs: Mapping[str, Any]) -> Any:
    """The sub-workflow's ``outputs`` shaped like the dynamic function's return value."""
    values = [outputs[o.name] for o in definition.interface.outputs]
    style = definition.interface.style
    if style == "none":
        return None
    if style == "single":
        return values[0]
    if style == "namedtuple":
        return definition.interface.return_type._make(values)
    return tuple(values)


# ---------------------------------------------------------------- the controller's side
def dynamic_document(definition: TaskDefinition, kwargs: Mapping[str, Any]) -> dict[str, Json]:
    """The output document of a dynamic attempt: the sub-workflow and every spec it needs.

    ``{"flowctl.dynamic": {"workflow": WorkflowSpec, "tasks": {name: TaskSpec}, "workflows": {name: WorkflowSpec}}}``
    Launch plans called from the body are referred to by name (they are registered)."""
    from flowctl.sdk import compile_entity
    from flowctl.sdk._workflow import WorkflowDefinition

    compiled = compile_dynamic(definition, kwargs)
    tasks: dict[str, Json] = {}
    workflows: dict[str, Json] = {}
    for name, entity in compiled.entities.items():
        if isinstance(entity, TaskDefinition):
            tasks[name] = entity.spec.to_json()
        elif isinstance(entity, WorkflowDefinition):
            sub = compile_entity(entity.function)
            tasks.update({n: s.to_json() for n, s in sub.tasks.items()})
            workflows.update({n: s.to_json() for n, s in sub.workflows.items()})
    return {DYNAMIC_KEY: {"workflow": compiled.spec.to_json(), "tasks": tasks, "workflows": workflows}}


def execute_dynamic(task: TaskSpec, inputs: Mapping[str, Json], *, root: Path | None = None) -> dict[str, Json]:
    """``flowctl._execute.execute_attempt`` for a dynamic spec: the attempt's output document."""
    from flowctl._runtime import error_from_exception, load_task
    from flowctl.types import from_json_value

    definition = load_task(task, root=root)
    kwargs: dict[str, Any] = {}
    for param in definition.interface.inputs:
        if param.name in inputs:
            kwargs[param.name] = from_json_value(inputs[param.name], param.py_type)
        elif param.has_default:
            kwargs[param.name] = param.default
    try:
        return dynamic_document(definition, kwargs)
    except (CompileError, ManifestError):
        raise
    except Exception as exc:
        raise error_from_exception(exc, task_name=task.name) from None


def sub_workflow(document: Json) -> tuple[WorkflowSpec, dict[str, TaskSpec], dict[str, WorkflowSpec]] | None:
    """The sub-workflow in a dynamic attempt's output document (None when it is not one)."""
    if not isinstance(document, dict) or set(document) != {DYNAMIC_KEY}:
        return None
    body = document[DYNAMIC_KEY]
    workflow = WorkflowSpec.model_validate(body["workflow"])
    tasks = {n: TaskSpec.model_validate(s) for n, s in (body.get("tasks") or {}).items()}
    workflows = {n: WorkflowSpec.model_validate(s) for n, s in (body.get("workflows") or {}).items()}
    return workflow, tasks, workflows
