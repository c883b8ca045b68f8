"""Execution operations: list, read, node detail, logs, live state; launch, abort, relaunch, recover;
and launch plan activation. Writes call the engine functions the CLI calls, with the actor as creator."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from pydantic import ValidationError

from flowctl._errors import FlowctlError, NotFoundError
from flowctl.engine import abort, launch, recover, relaunch, resolve_launch_plan
from flowctl.engine._logs import recorded_provider, shown_text
from flowctl.server._graph import layout
from flowctl.server._models import (
    ActivationOut,
    ExecutionDetailOut,
    ExecutionEvent,
    ExecutionOut,
    ExecutionPageOut,
    GraphOut,
    LaunchRequest,
    LogsOut,
    MapProgress,
    NodeDetailOut,
    NodeOut,
)
from flowctl.server._operations import Call, operation
from flowctl.server._reads import entity_versions, read_entity, registry_reads
from flowctl.server._services import Services
from flowctl.server._views import execution_out, map_progress, node_out
from flowctl.spec import WorkflowSpec
from flowctl.state import lock_info
from flowctl.state._executions import AttemptRecord, ExecutionRecord, NodeRecord
from flowctl.state._queries import ExecutionFilter
from flowctl.types._inputs import read_inputs

ACTIVATION_LOCK_TIMEOUT = 10.0
MANUAL = "manual"  # activations made outside an apply: drift reports them


# ---------------------------------------------------------------- reads
@operation("execution.list")
def list_executions(s: Services, call: Call, *, where: ExecutionFilter, limit: int = 50,
                    cursor: str | None = None) -> ExecutionPageOut:
    """Executions matching the filters, newest first, one page (cursor pagination in the database)."""
    scoped = ExecutionFilter(**{**where.__dict__, "project": call.scope.project, "domain": call.scope.domain,
                                "visible": call.visible})
    page = s.queries.page(scoped, limit=limit, cursor=cursor)
    return ExecutionPageOut(items=[execution_out(x) for x in page.items], next_cursor=page.next_cursor)


@operation("execution.read")
def read_execution(s: Services, call: Call, *, name: str, graph: bool = True) -> ExecutionDetailOut:
    """An execution with every node and attempt (without node values), and its workflow's DAG."""
    x = find(s, call, name)
    nodes, attempts = s.queries.nodes(x.id), s.queries.attempts(x.id)
    workflow, laid_out = _workflow(s, x)
    kinds = _kinds(workflow)
    ordered = sorted(nodes.values(), key=lambda n: (n.started_at or x.finished_at or x.created_at, n.node_id))
    outs = [_node(s, x, n, attempts.get(n.node_id, []), kinds, nodes) for n in ordered]
    return ExecutionDetailOut(execution=execution_out(x), inputs=x.inputs, outputs=x.outputs,
                                              nodes=outs, graph=laid_out if graph else None)


@operation("execution.node")
def read_node(s: Services, call: Call, *, name: str, node: str) -> NodeDetailOut:
    """One node of an execution: inputs, outputs, error (with the user's traceback) and attempts."""
    x = find(s, call, name)
    record = s.queries.node(x.id, node)
    if record is None:
        started = sorted(s.queries.nodes(x.id))
        raise NotFoundError(f"Execution `{x.name}` has no node `{node}` (yet)", address=f"{call.scope}/{x.name}/{node}",
                            detail=f"Its nodes: {', '.join(started[:20]) or '(none started)'}.")
    workflow, _ = _workflow(s, x)
    out = _node(s, x, record, s.queries.attempts(x.id).get(node, []), _kinds(workflow), None)
    return NodeDetailOut(**out.model_dump(), inputs=record.inputs, outputs=record.outputs)


@operation("execution.logs")
def read_logs(s: Services, call: Call, *, name: str, node: str, attempt: int | None = None) -> list[LogsOut]:
    """The logs of a node's attempts (every attempt, or one), as `flowctl executions logs` prints them."""
    x = find(s, call, name)
    found = [a for a in s.executions.load_attempts(x.id).get(node, []) if attempt in (None, a.attempt)]
    if not found:
        raise NotFoundError(f"Execution `{x.name}` has no attempt {attempt or ''} of node `{node}`".replace("  ", " "),
                            address=f"{call.scope}/{x.name}/{node}", detail="A node has attempts once it started.")
    return [LogsOut(node=node, attempt=a.attempt, phase=a.phase, text=shown_text(x, a, lambda row: s.provider(recorded_provider(row))))
            for a in found]


@operation("execution.watch")
def watch_execution(s: Services, call: Call, *, name: str) -> Callable[[], ExecutionEvent]:
    """Live state of an execution (node phases), polled by the server-sent event stream."""
    execution_id = find(s, call, name).id

    def poll() -> ExecutionEvent:
        x = s.executions.get_execution(execution_id)
        assert x is not None
        nodes = s.queries.nodes(execution_id)  # without their values: the stream polls often
        attempts = sum(len(a) for a in s.queries.attempts(execution_id).values())
        return ExecutionEvent(phase=x.phase, terminal=x.terminal, nodes={k: n.phase for k, n in nodes.items()},
                              attempts=attempts, finished_at=x.finished_at)

    return poll


def find(s: Services, call: Call, name: str) -> ExecutionRecord:
    found = s.executions.find_executions(f"{call.scope.project}/{call.scope.domain}/{name}")
    if not found:
        raise NotFoundError(f"No execution `{name}` in {call.scope}", address=f"{call.scope}/execution/{name}",
                            detail="List executions with GET /api/v1/executions (or `flowctl executions list`).")
    return found[0]


def _workflow(s: Services, x: ExecutionRecord) -> tuple[WorkflowSpec | None, GraphOut | None]:
    try:
        spec, _ = s.specs.workflow(x.project, x.domain, x.workflow_name, x.workflow_version)
    except (FlowctlError, ValidationError):  # missing, or written by another flowctl: no DAG, the rest shows
        return None, None
    return spec, s.graph((x.project, x.domain, x.workflow_name, x.workflow_version), lambda: layout(spec))


def _kinds(workflow: WorkflowSpec | None) -> dict[str, tuple[str, str]]:
    """node id -> (kind, target) of the workflow's own nodes."""
    return {n.id: (n.kind, n.target) for n in workflow.nodes} if workflow else {}


def _node(s: Services, x: ExecutionRecord, node: NodeRecord, attempts: list[AttemptRecord],
          kinds: Mapping[str, tuple[str, str]], nodes: Mapping[str, NodeRecord] | None) -> NodeOut:
    """``nodes``: the execution's (light) nodes, for map progress; None: read them when needed."""
    kind, target = kinds.get(node.node_id, ("", ""))
    if node.node_id.endswith("]"):
        kind, target = "item", kinds.get(node.node_id.rsplit("[", 1)[0], ("", ""))[1]
    progress = _map_progress(s, x, node, nodes if nodes is not None else s.queries.nodes(x.id)) if kind == "map" else None
    return node_out(node, attempts, kind=kind, target=target.rsplit(".", 1)[-1], created_at=x.created_at,
                    map_progress=progress)


def _map_progress(s: Services, x: ExecutionRecord, node: NodeRecord, nodes: Mapping[str, NodeRecord]) -> MapProgress:
    """Items done so far; the total comes from the map node's inputs (items may not all have started)."""
    prefix = f"{node.node_id}["
    phases = [n.phase for k, n in nodes.items() if k.startswith(prefix) and "/" not in k[len(prefix):]]
    inputs = node.inputs if node.inputs is not None else getattr(s.queries.node(x.id, node.node_id), "inputs", None)
    total = max((len(v) for v in (inputs or {}).values() if isinstance(v, list)), default=0)
    return map_progress(phases, total)


# ---------------------------------------------------------------- writes
@operation("execution.launch", write=True)
def launch_execution(s: Services, call: Call, *, launch_plan: str, request: LaunchRequest) -> ExecutionOut:
    """Start an execution of a launch plan, exactly as `flowctl launch` does (same validation)."""
    project, domain = call.scope.project or "", call.scope.domain or ""
    lp = resolve_launch_plan(s.executions, s.specs, project, domain, launch_plan, request.version)
    given = dict(request.inputs)
    given.update(read_inputs(lp.workflow.interface, assignments=[f"{k}={v}" for k, v in request.inputs_text.items()],
                             launch_plan=lp.spec, address=lp.address))
    x = launch(s.executions, project, domain, launch_plan, given, version=lp.version, name=request.name,
               overwrite_cache=request.overwrite_cache, created_by=call.actor.label)
    return execution_out(x)


@operation("execution.abort", write=True)
def abort_execution(s: Services, call: Call, *, name: str) -> ExecutionOut:
    """Ask the controller to abort an execution (it kills the running attempts)."""
    find(s, call, name)
    return execution_out(abort(s.executions, f"{call.scope.project}/{call.scope.domain}/{name}"))


@operation("execution.relaunch", write=True)
def relaunch_execution(s: Services, call: Call, *, name: str) -> ExecutionOut:
    """A new execution of the same launch plan version with the same inputs."""
    find(s, call, name)
    return execution_out(relaunch(s.executions, f"{call.scope.project}/{call.scope.domain}/{name}",
                                  created_by=call.actor.label))


@operation("execution.recover", write=True)
def recover_execution(s: Services, call: Call, *, name: str) -> ExecutionOut:
    """Re-run a failed execution, reusing the outputs of the nodes that succeeded."""
    find(s, call, name)
    return execution_out(recover(s.executions, f"{call.scope.project}/{call.scope.domain}/{name}",
                                 created_by=call.actor.label))


@operation("launch_plan.activate", write=True)
def activate(s: Services, call: Call, *, name: str, version: str) -> ActivationOut:
    """Make a version the active one (its schedule runs), under the registry lock like apply."""
    project, domain = call.scope.project or "", call.scope.domain or ""
    read_entity(s, call, kind="launch_plans", name=name, version=version)  # 404 naming the version
    with s.registry.lock(lock_info("activate", f"{project}/{domain}/{name}@{version} by {call.actor.label}"),
                         timeout=ACTIVATION_LOCK_TIMEOUT), s.registry.transaction() as tx:
        tx.activate(project, domain, name, version, managed_by=MANUAL)
    found = [a for a in registry_reads(s).activations(project, domain) if a.name == name]
    return ActivationOut(**found[0].__dict__)


@operation("launch_plan.deactivate", write=True)
def deactivate(s: Services, call: Call, *, name: str) -> None:
    """Deactivate a launch plan (its schedule stops); every version stays registered."""
    project, domain = call.scope.project or "", call.scope.domain or ""
    entity_versions(s, call, kind="launch_plans", name=name)  # 404 for a launch plan that does not exist
    with s.registry.lock(lock_info("deactivate", f"{project}/{domain}/{name} by {call.actor.label}"),
                         timeout=ACTIVATION_LOCK_TIMEOUT), s.registry.transaction() as tx:
        tx.deactivate(project, domain, name)
