"""The in-process runner behind ``flowctl run``: same type checks, retries, timeouts, caching and
failure policy as remote executions, in milliseconds.

Each workflow is turned once into an execution plan: steps in dependency order, each with
precomputed input resolvers and cached pydantic adapters, so running a node costs a few dict
look-ups, one validation per output and the call itself. Values are passed between tasks as the
validated Python objects (no JSON round trip); JSON is produced only for the cache and the output.

Timeouts: in the main thread a task is interrupted with SIGALRM (it really stops, unless it is
blocked inside C code that does not check for signals). Elsewhere the task runs in a worker thread
that is abandoned when the timeout passes: the node fails at once, but Python cannot kill the
thread, which keeps running in the background until it returns.
"""

from __future__ import annotations

import contextvars
import dataclasses
import functools
import operator
import signal
import threading
import time
import weakref
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flowctl._errors import DiagnosticCollector, ExecutionError, InputError, NonRetryable
from flowctl._local._cache import LocalCache
from flowctl._local._gates import GateAnswers, Prompt, run_gate
from flowctl._runtime import user_traceback
from flowctl.sdk import (
    Cache,
    CompiledWorkflow,
    Interface,
    LaunchPlan,
    TaskDefinition,
    WorkflowDefinition,
    compile_workflow,
    definition_of,
)
from flowctl.sdk._context import (
    ExecutionId,
    ExecutionParameters,
    SecretsManager,
    TaskId,
    enter_task,
    exit_task,
    local_session,
)
from flowctl.spec import (
    WORKFLOW_INPUTS_NODE,
    ComparisonSpec,
    ConjunctionSpec,
    ListBinding,
    LiteralBinding,
    MapBinding,
    NodeOverridesSpec,
    NodeSpec,
    PromiseBinding,
)
from flowctl.types import adapter_for, from_json_value, to_json_value, type_spec_of

Values = dict[str, dict[str, Any]]
Resolver = Callable[[Values], Any]


# ---------------------------------------------------------------- results and failures
@dataclass
class NodeRun:
    """What happened to one node: ``status`` succeeded, failed, skipped or cached."""

    id: str
    kind: str
    target: str
    status: str
    attempts: int = 0
    duration_s: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "target": self.target,
            "status": self.status,
            "attempts": self.attempts,
            "duration_ms": round(self.duration_s * 1000, 3),
        }


class NodeFailure(ExecutionError):
    """A node failed after its attempts: names the node, the attempt and the user's traceback."""

    code = "USER:NodeFailed"

    def __init__(
        self, node: str, target: str, attempt: int, attempts: int, message: str, traceback_text: str, *, retryable: bool
    ) -> None:
        self.node, self.target, self.attempt, self.attempts = node, target, attempt, attempts
        self.message, self.traceback, self.retryable = message, traceback_text, retryable
        super().__init__(
            f"Node {node} (`{target}`) failed on attempt {attempt}/{attempts}: {message}",
            detail=traceback_text,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "node": self.node,
            "target": self.target,
            "attempt": self.attempt,
            "attempts": self.attempts,
            "message": self.message,
            "traceback": self.traceback,
        }


class WorkflowFailure(ExecutionError):
    """Several nodes failed (``fail_after_executable_nodes_complete``)."""

    code = "USER:NodeFailed"

    def __init__(self, failures: list[NodeFailure]) -> None:
        self.failures = failures
        super().__init__(diagnostics=[d for f in failures for d in f.diagnostics])


@dataclass
class RunResult:
    """Outputs (Python values) of a local run and what each node did."""

    name: str
    outputs: dict[str, Any]
    output_types: dict[str, Any]
    nodes: list[NodeRun] = field(default_factory=list)
    duration_s: float = 0.0
    decks: dict[str, dict[str, str]] = field(default_factory=dict)  # node id -> deck name -> HTML

    def outputs_json(self) -> dict[str, Any]:
        return {name: to_json_value(value, self.output_types[name]) for name, value in self.outputs.items()}


class TaskTimeout(BaseException):
    pass


# ---------------------------------------------------------------- calling a task
def _call_with_timeout(fn: Callable[..., Any], kwargs: dict[str, Any], seconds: float) -> Any:
    if threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer"):

        def alarm(signum: int, frame: Any) -> None:
            raise TaskTimeout()

        previous = signal.signal(signal.SIGALRM, alarm)
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            return fn(**kwargs)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
    box: dict[str, Any] = {}
    context = contextvars.copy_context()  # the task's current_context() follows it into the thread

    def target() -> None:
        try:
            box["result"] = context.run(fn, **kwargs)
        except BaseException as exc:
            box["error"] = exc

    worker = threading.Thread(target=target, name="flowctl-task", daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise TaskTimeout()
    if "error" in box:
        raise box["error"]
    return box["result"]


class _TaskCall:
    """A task with its output checks precomputed."""

    __slots__ = ("checks", "definition", "fn", "name", "retries", "single", "style", "timeout")

    def __init__(self, definition: TaskDefinition) -> None:
        self.definition = definition
        self.fn = definition.function
        self.name = definition.name
        self.retries = definition.retries
        self.timeout = definition.timeout_seconds
        interface = definition.interface
        self.style = interface.style
        self.checks = [(o.name, adapter_for(o.py_type)) for o in interface.outputs]
        self.single = self.checks[0] if self.style == "single" else None

    def outputs(self, result: Any) -> dict[str, Any]:
        single = self.single
        if single is not None:
            return {single[0]: single[1].validate_python(result, strict=True)}
        if self.style == "none":
            return {}
        values = tuple(result)
        if len(values) != len(self.checks):
            raise ValueError(f"returned {len(values)} values for {len(self.checks)} outputs")
        return {name: adapter.validate_python(v, strict=True) for (name, adapter), v in zip(self.checks, values, strict=True)}


class LocalRunner:
    """Runs tasks, workflows and launch plans in this process.

    ``cache``: where ``cache=True`` tasks keep results (None: no caching). ``overwrite_cache``:
    run anyway and replace cached results.
    """

    def __init__(
        self,
        *,
        cache: LocalCache | None = None,
        overwrite_cache: bool = False,
        signals: Mapping[str, str] | None = None,
        prompt: Prompt | None = None,
    ) -> None:
        self.cache = cache
        self.overwrite_cache = overwrite_cache
        self.records: list[NodeRun] = []
        self.gates = GateAnswers(signals, prompt)
        self.decks: dict[str, dict[str, str]] = {}
        self.run_name = ""
        self._calling: tuple[TaskDefinition, str, int] | None = None  # the task being called: current_context()
        self._params: ExecutionParameters | None = None  # built when the task asks for it

    # -- public
    def run(self, entity: Any, inputs: Mapping[str, Any] | None = None) -> RunResult:
        """Run a @task function, @workflow function or LaunchPlan with Python input values."""
        token = enter_task(self)  # this runner answers current_context() in its tasks
        try:
            return self._run(entity, inputs)
        finally:
            exit_task(token)

    def _run(self, entity: Any, inputs: Mapping[str, Any] | None) -> RunResult:
        started = time.perf_counter()
        self.records = []
        self.decks = {}
        definition = definition_of(entity)
        self.run_name = f"local-{time.strftime('%Y%m%d-%H%M%S')}"
        given = dict(inputs or {})
        if isinstance(definition, TaskDefinition):
            values = _check_inputs(definition.interface, given, f"task `{definition.name}`")
            call = _TaskCall(definition)
            outputs = self._run_task(call, values, node="n0", kind="task")
            types = {o.name: o.py_type for o in definition.interface.outputs}
            return RunResult(definition.name, outputs, types, self.records, time.perf_counter() - started, self.decks)
        if isinstance(definition, LaunchPlan):
            given = definition.resolve_inputs(given)
            definition = definition.workflow
        plan = plan_for(definition)
        values = _check_inputs(definition.interface, given, f"workflow `{definition.name}`")
        outputs = plan.execute(self, values, prefix="")
        types = {o.name: o.py_type for o in definition.interface.outputs}
        return RunResult(definition.name, outputs, types, self.records, time.perf_counter() - started, self.decks)

    def params(self) -> ExecutionParameters:
        """``current_context()`` inside the task being called (a local session between tasks)."""
        if self._calling is None:
            return local_session()
        if self._params is None:
            definition, node, attempt = self._calling
            self._params = ExecutionParameters(
                ExecutionId("local", "local", self.run_name), TaskId("local", "local", definition.name, "local"),
                node_id=node, attempt=attempt, secrets=SecretsManager(definition.secret_requests))
        return self._params

    # -- one task node (retries, timeout, cache)
    def _run_task(self, call: _TaskCall, kwargs: dict[str, Any], *, node: str, kind: str) -> dict[str, Any]:
        started = time.perf_counter()
        cache = self.cache if call.definition.cache is not None else None
        key = ""
        if cache is not None:
            key = cache.key(call.definition, kwargs)
            if not self.overwrite_cache:
                hit = cache.get(call.definition, key)
                if hit is not None:
                    self.records.append(NodeRun(node, kind, call.name, "cached", 0, time.perf_counter() - started))
                    return hit
        attempts = call.retries + 1
        attempt = 0
        while True:
            attempt += 1
            try:
                fn = call.fn
                if getattr(call.definition, "is_dynamic", False):  # @dynamic (flowctl.tasktypes): run its sub-workflow here
                    fn = functools.partial(_run_dynamic, self, call.definition, node)
                saved = self._calling, self._params  # a @dynamic task calls tasks inside its own call
                self._calling, self._params = (call.definition, node, attempt - 1), None
                try:
                    result = _call_with_timeout(fn, kwargs, call.timeout) if call.timeout else fn(**kwargs)
                finally:
                    if self._params is not None and self._params.decks:
                        self.decks[node] = self._params.deck_documents()
                    self._calling, self._params = saved
            except TaskTimeout:
                failure = NodeFailure(
                    node, call.name, attempt, attempts, f"timed out after {call.timeout:g} s", "", retryable=True
                )
            except Exception as exc:
                failure = NodeFailure(
                    node,
                    call.name,
                    attempt,
                    attempts,
                    f"{type(exc).__name__}: {exc}",
                    user_traceback(exc),
                    retryable=not isinstance(exc, NonRetryable),
                )
            else:
                try:
                    outputs = call.outputs(result)
                except Exception as exc:
                    failure = NodeFailure(
                        node, call.name, attempt, attempts, f"returned a wrong value: {_brief(exc)}", "", retryable=False
                    )
                else:
                    if cache is not None:
                        cache.put(call.definition, key, outputs)
                    self.records.append(NodeRun(node, kind, call.name, "succeeded", attempt, time.perf_counter() - started))
                    return outputs
            if not failure.retryable or attempt >= attempts:
                self.records.append(NodeRun(node, kind, call.name, "failed", attempt, time.perf_counter() - started))
                raise failure


def _run_dynamic(runner: LocalRunner, definition: TaskDefinition, node: str, /, **kwargs: Any) -> Any:
    """A ``@dynamic`` task run in place: its body compiled, the sub-DAG run in ``runner`` under ``node/``.

    The runner calls ``functools.partial(_run_dynamic, runner, definition, node)`` where it would
    call the task's function; the result is shaped like the function's return value (the runner
    checks its types, caches and retries it like any task's). The runner's side of ``@dynamic``
    lives here, so ``flowctl.tasktypes._dynamic`` never imports the runner."""
    from flowctl.tasktypes._dynamic import compile_dynamic, result_of

    compiled = compile_dynamic(definition, kwargs)
    outputs = Plan(compiled).execute(runner, {}, prefix=f"{node}/")
    return result_of(definition, outputs)


def _brief(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return " ".join(line.strip() for line in text[:4])


def _check_inputs(interface: Interface, given: dict[str, Any], what: str) -> dict[str, Any]:
    diags = DiagnosticCollector()
    values: dict[str, Any] = {}
    names = [p.name for p in interface.inputs]
    for key in given:
        if interface.param(key) is None:
            diags.add(f"{what} has no input `{key}`", f"Inputs: {', '.join(names) or '(none)'}.")
    for param in interface.inputs:
        if param.name in given:
            try:
                values[param.name] = adapter_for(param.py_type).validate_python(given[param.name])
            except Exception as exc:
                diags.add(f"Input `{param.name}` of {what} must be `{param.spec}`", _brief(exc))
        elif param.has_default:
            values[param.name] = param.default
        else:
            diags.add(f"Input `{param.name}` of {what} is required", f"Give it a value of type `{param.spec}`.")
    diags.raise_if_any(InputError)
    return values


# ---------------------------------------------------------------- execution plans
class _Step(ABC):
    """One node of a precompiled local execution plan."""

    id: str
    upstream: tuple[str, ...]

    @abstractmethod
    def run(self, runner: LocalRunner, values: Values, prefix: str) -> dict[str, Any]: ...


def _resolver(binding: Any, target_type: Any, compiled: CompiledWorkflow) -> Resolver:
    if isinstance(binding, PromiseBinding):
        node, output = binding.node, binding.output
        source_type = compiled.py_types.get((node, output))
        same = source_type is None or target_type is None or type_spec_of(source_type, where="output") == type_spec_of(
            target_type, where="input"
        )
        if same:
            return lambda values: values[node][output]
        adapter = adapter_for(target_type)
        return lambda values: adapter.validate_python(values[node][output])
    if isinstance(binding, LiteralBinding):
        constant = from_json_value(binding.value, target_type) if target_type is not None else binding.value
        return lambda values: constant
    if isinstance(binding, ListBinding):
        element = _element(target_type)
        items = [_resolver(b, element, compiled) for b in binding.items]
        return lambda values: [r(values) for r in items]
    if isinstance(binding, MapBinding):
        element = _element(target_type)
        entries = {k: _resolver(b, element, compiled) for k, b in binding.items.items()}
        return lambda values: {k: r(values) for k, r in entries.items()}
    raise TypeError(binding)  # pragma: no cover


def _element(py_type: Any) -> Any:
    from typing import get_args

    from flowctl.sdk._promise import _container_arg

    for origin in (list, dict):
        found = _container_arg(py_type, origin)
        if found is not None:
            return found
    args = get_args(py_type)
    return args[-1] if args else None


def _input_resolvers(node: NodeSpec, interface: Interface, compiled: CompiledWorkflow) -> list[tuple[str, Resolver]]:
    resolvers = []
    for name, binding in node.inputs.items():
        param = interface.param(name)
        resolvers.append((name, _resolver(binding, param.py_type if param else None, compiled)))
    return resolvers


def _overridden(definition: TaskDefinition, overrides: NodeOverridesSpec | None) -> TaskDefinition:
    """The task as a node with ``with_overrides(...)`` runs it (retries, timeout, cache)."""
    if overrides is None:
        return definition
    changes: dict[str, Any] = {}
    if overrides.retries is not None:
        changes["retries"] = overrides.retries
    if overrides.timeout_seconds is not None:
        changes["timeout_seconds"] = overrides.timeout_seconds
    if overrides.cache is not None:
        changes["cache"] = Cache(overrides.cache.version, overrides.cache.ignored_inputs)
    if overrides.cache_off:
        changes["cache"] = None
    return dataclasses.replace(definition, **changes) if changes else definition


class _TaskStep(_Step):
    def __init__(self, node: NodeSpec, definition: TaskDefinition, compiled: CompiledWorkflow) -> None:
        self.id, self.upstream = node.id, node.upstream
        self.call = _TaskCall(_overridden(definition, node.overrides))
        self.resolvers = _input_resolvers(node, definition.interface, compiled)

    def run(self, runner: LocalRunner, values: Values, prefix: str) -> dict[str, Any]:
        kwargs = {name: resolve(values) for name, resolve in self.resolvers}
        return runner._run_task(self.call, kwargs, node=prefix + self.id, kind="task")


class _WorkflowStep(_Step):
    def __init__(self, node: NodeSpec, definition: WorkflowDefinition | LaunchPlan, compiled: CompiledWorkflow) -> None:
        self.id, self.upstream, self.kind, self.target = node.id, node.upstream, node.kind, node.target
        self.definition = definition
        interface = definition.interface
        self.resolvers = _input_resolvers(node, interface, compiled)
        self.workflow = definition.workflow if isinstance(definition, LaunchPlan) else definition

    def run(self, runner: LocalRunner, values: Values, prefix: str) -> dict[str, Any]:
        started = time.perf_counter()
        kwargs = {name: resolve(values) for name, resolve in self.resolvers}
        if isinstance(self.definition, LaunchPlan):
            kwargs = self.definition.resolve_inputs(kwargs)
        for param in self.workflow.interface.inputs:
            if param.name not in kwargs and param.has_default:
                kwargs[param.name] = param.default
        node = prefix + self.id
        try:
            outputs = plan_for(self.workflow).execute(runner, kwargs, prefix=node + "/")
        except ExecutionError:
            runner.records.append(NodeRun(node, self.kind, self.target, "failed", 1, time.perf_counter() - started))
            raise
        runner.records.append(NodeRun(node, self.kind, self.target, "succeeded", 1, time.perf_counter() - started))
        return outputs


_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
}  # fmt: skip


def _condition(spec: Any, compiled: CompiledWorkflow) -> Callable[[Values], bool]:
    if isinstance(spec, ConjunctionSpec):
        left, right = _condition(spec.left, compiled), _condition(spec.right, compiled)
        if spec.op == "and":
            return lambda values: left(values) and right(values)
        return lambda values: left(values) or right(values)
    assert isinstance(spec, ComparisonSpec)
    left_binding = spec.left
    left_type = compiled.py_types.get((left_binding.node, left_binding.output)) if isinstance(left_binding, PromiseBinding) else None
    get_left = _resolver(left_binding, None, compiled)
    if spec.op == "is_true":
        return lambda values: bool(get_left(values))
    if spec.op == "is_none":
        return lambda values: get_left(values) is None
    assert spec.right is not None
    get_right = _resolver(spec.right, left_type if isinstance(spec.right, LiteralBinding) else None, compiled)
    op = _OPS[spec.op]
    return lambda values: bool(op(get_left(values), get_right(values)))


class _BranchStep(_Step):
    def __init__(self, node: NodeSpec, compiled: CompiledWorkflow) -> None:
        self.id, self.upstream, self.target = node.id, node.upstream, node.target
        assert node.branch is not None
        self.output_names = [o.name for o in node.outputs]
        self.cases: list[tuple[Callable[[Values], bool] | None, _Step | None, str | None]] = []
        for case in node.branch.cases:
            condition = _condition(case.condition, compiled) if case.condition is not None else None
            step = _step(case.node, compiled) if case.node is not None else None
            self.cases.append((condition, step, case.fail))

    def run(self, runner: LocalRunner, values: Values, prefix: str) -> dict[str, Any]:
        started = time.perf_counter()
        node = prefix + self.id
        for condition, step, fail in self.cases:
            if condition is not None and not condition(values):
                continue
            if step is None:
                runner.records.append(NodeRun(node, "branch", self.target, "failed", 1, time.perf_counter() - started))
                raise NodeFailure(node, self.target, 1, 1, f"conditional failed: {fail}", "", retryable=False)
            outputs = step.run(runner, values, prefix)
            runner.records.append(NodeRun(node, "branch", self.target, "succeeded", 1, time.perf_counter() - started))
            return dict(zip(self.output_names, outputs.values(), strict=False))
        raise NodeFailure(node, self.target, 1, 1, "no arm of the conditional matched", "", retryable=False)


class _MapStep(_Step):
    def __init__(self, node: NodeSpec, definition: TaskDefinition, compiled: CompiledWorkflow) -> None:
        self.id, self.upstream, self.target = node.id, node.upstream, node.target
        self.call = _TaskCall(_overridden(definition, node.overrides))
        assert node.map is not None
        self.min_success_ratio = node.map.min_success_ratio
        mapped = {p.name: list[p.py_type] for p in definition.interface.inputs}  # type: ignore[name-defined]
        self.resolvers = [(name, _resolver(b, mapped.get(name), compiled)) for name, b in node.inputs.items()]
        self.output_names = [o.name for o in definition.interface.outputs]

    def run(self, runner: LocalRunner, values: Values, prefix: str) -> dict[str, Any]:
        started = time.perf_counter()
        node = prefix + self.id
        lists = {name: resolve(values) for name, resolve in self.resolvers}
        lengths = {len(v) for v in lists.values()}
        if len(lengths) > 1:
            runner.records.append(NodeRun(node, "map", self.target, "failed", 0, time.perf_counter() - started))
            raise NodeFailure(node, self.target, 1, 1, f"the mapped input lists have different lengths {sorted(lengths)}", "", retryable=False)
        count = lengths.pop() if lengths else 0
        results: dict[str, list[Any]] = {name: [] for name in self.output_names}
        failures: list[NodeFailure] = []
        for index in range(count):
            kwargs = {name: items[index] for name, items in lists.items()}
            try:
                outputs = runner._run_task(self.call, kwargs, node=f"{node}-{index}", kind="map_item")
            except NodeFailure as failure:
                failures.append(failure)
                outputs = dict.fromkeys(self.output_names)
            for name in self.output_names:
                results[name].append(outputs[name])
        succeeded = count - len(failures)
        if failures and (count == 0 or succeeded / count < self.min_success_ratio):
            runner.records.append(NodeRun(node, "map", self.target, "failed", 1, time.perf_counter() - started))
            first = failures[0]
            raise NodeFailure(
                first.node, first.target, first.attempt, first.attempts,
                f"{len(failures)} of {count} items failed (min_success_ratio={self.min_success_ratio:g}); first: {first.message}",
                first.traceback, retryable=False,
            )  # fmt: skip
        runner.records.append(NodeRun(node, "map", self.target, "succeeded", 1, time.perf_counter() - started))
        return results


class _GateStep(_Step):
    """sleep / wait_for_input / approve (see ``_gates``)."""

    def __init__(self, node: NodeSpec, compiled: CompiledWorkflow) -> None:
        self.id, self.upstream, self.target, self.node = node.id, node.upstream, node.target, node
        self.py_type = compiled.py_types.get((node.id, "o0"))
        self.resolvers = [(name, _resolver(b, self.py_type, compiled)) for name, b in node.inputs.items()]

    def run(self, runner: LocalRunner, values: Values, prefix: str) -> dict[str, Any]:
        started = time.perf_counter()
        node = prefix + self.id
        inputs = {name: resolve(values) for name, resolve in self.resolvers}
        outputs, failure = run_gate(self.node, runner.gates, inputs, self.py_type)
        status = "failed" if failure else "succeeded"
        runner.records.append(NodeRun(node, "gate", self.target, status, 1, time.perf_counter() - started))
        if failure:
            raise NodeFailure(node, self.target, 1, 1, failure, "", retryable=False)
        return outputs


def _step(node: NodeSpec, compiled: CompiledWorkflow) -> _Step:
    if node.kind == "branch":
        return _BranchStep(node, compiled)
    if node.kind == "gate":
        return _GateStep(node, compiled)
    if node.reference is not None:
        ref = node.reference
        raise ExecutionError(
            f"Node {node.id} calls the reference {node.kind.replace('_', ' ')} `{ref.name}` "
            f"({ref.project}/{ref.domain}@{ref.version}), which cannot run locally",
            source=node.source,
            detail="Its code is registered elsewhere, not in this manifest. Run the workflow through the "
            "controller (`flowctl run --remote ...`), or test the rest with a stand-in @task.",
        )
    entity = compiled.entities[node.target]
    if node.kind == "task" and isinstance(entity, TaskDefinition):
        return _TaskStep(node, entity, compiled)
    if node.kind == "map" and isinstance(entity, TaskDefinition):
        return _MapStep(node, entity, compiled)
    if isinstance(entity, WorkflowDefinition | LaunchPlan):
        return _WorkflowStep(node, entity, compiled)
    raise ExecutionError(f"Node {node.id} of kind {node.kind} cannot run locally")  # pragma: no cover


class Plan:
    """A compiled workflow ready to run: steps in dependency order, outputs resolvers."""

    def __init__(self, compiled: CompiledWorkflow) -> None:
        self.name = compiled.spec.name
        self.steps = [_step(node, compiled) for node in compiled.spec.nodes]
        self.fail_fast = compiled.spec.failure_policy == "fail_immediately"
        out_types = {o.name: o.py_type for o in compiled.definition.interface.outputs}
        self.outputs = [(name, _resolver(b, out_types.get(name), compiled)) for name, b in compiled.spec.outputs.items()]

    def execute(self, runner: LocalRunner, inputs: dict[str, Any], *, prefix: str) -> dict[str, Any]:
        values: Values = {WORKFLOW_INPUTS_NODE: inputs}
        if self.fail_fast:
            for step in self.steps:
                values[step.id] = step.run(runner, values, prefix)
        else:
            failures: list[NodeFailure] = []
            for step in self.steps:
                if any(up not in values for up in step.upstream):
                    runner.records.append(NodeRun(prefix + step.id, "skipped", getattr(step, "target", ""), "skipped"))
                    continue
                try:
                    values[step.id] = step.run(runner, values, prefix)
                except WorkflowFailure as failure:
                    failures.extend(failure.failures)
                except NodeFailure as failure:
                    failures.append(failure)
            if failures:
                raise failures[0] if len(failures) == 1 else WorkflowFailure(failures)
        return {name: resolve(values) for name, resolve in self.outputs}


_PLANS: weakref.WeakKeyDictionary[WorkflowDefinition, Plan] = weakref.WeakKeyDictionary()


def plan_for(definition: WorkflowDefinition) -> Plan:
    """The execution plan of a workflow (compiled and planned once per definition)."""
    plan = _PLANS.get(definition)
    if plan is None:
        plan = _PLANS[definition] = Plan(compile_workflow(definition))
    return plan


def run_local(
    entity: Any,
    inputs: Mapping[str, Any] | None = None,
    *,
    cache: LocalCache | None = None,
    overwrite_cache: bool = False,
    signals: Mapping[str, str] | None = None,
) -> RunResult:
    """Run a task, workflow or launch plan in this process (see :class:`LocalRunner`)."""
    return LocalRunner(cache=cache, overwrite_cache=overwrite_cache, signals=signals).run(entity, inputs)



