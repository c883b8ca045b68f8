"""The JSON API, ``/api/v1``: thin routes, each bound to one operation (parse, call, return).

Addresses follow the registry: ``/projects/{project}/domains/{domain}/...``, so every route names
the project/domain it touches (what access control will check).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from flowctl._errors import InputError
from flowctl.server import _admin, _reads, _runs  # noqa: F401  (they register the operations the routes bind)
from flowctl.server._events import event_stream
from flowctl.server._models import (
    ActivateRequest,
    ActivationOut,
    ApplyDetailOut,
    ApplyOut,
    AuditEntryOut,
    DriftOut,
    EntityNameOut,
    EntityOut,
    EntityVersionOut,
    ExecutionDetailOut,
    ExecutionOut,
    ExecutionPageOut,
    LaunchPlanOut,
    LaunchRequest,
    LogsOut,
    NodeDetailOut,
    OverviewOut,
    Problem,
    ProjectOut,
    ScheduleOut,
    ServerInfo,
    WorkflowOut,
)
from flowctl.server._operations import Invocation, Scope, invoke
from flowctl.state._queries import ExecutionFilter

PROBLEMS: dict[int | str, dict[str, Any]] = {
    status: {"model": Problem, "content": {"application/problem+json": {}}} for status in (400, 401, 403, 404, 409, 422)
}
router = APIRouter(prefix="/api/v1", responses=PROBLEMS)
PD = "/projects/{project}/domains/{domain}"
KindPath = Annotated[str, "tasks, workflows or launch_plans"]


def as_json(model: BaseModel) -> Response:
    """The model as JSON without re-validating it against ``response_model`` (the large documents:
    a 500-node execution would be validated twice). OpenAPI still documents ``response_model``."""
    return Response(model.model_dump_json(), media_type="application/json")


@router.get("/info", response_model=ServerInfo, tags=["server"])
def info(run: Invocation = invoke("server.info")) -> Any:
    return run(Scope())


# ---------------------------------------------------------------- projects
@router.get("/projects", response_model=list[ProjectOut], tags=["projects"])
def projects(run: Invocation = invoke("project.list")) -> Any:
    return run(Scope())


@router.get("/projects/{project}", response_model=ProjectOut, tags=["projects"])
def project(project: str, run: Invocation = invoke("project.read")) -> Any:
    return run(Scope(project))


@router.get("/projects/{project}/overview", response_model=OverviewOut, tags=["projects"])
def overview(project: str, run: Invocation = invoke("project.overview")) -> Any:
    return run(Scope(project))


@router.get("/projects/{project}/activations", response_model=list[ActivationOut], tags=["launch plans"])
def activations(project: str, domain: str | None = None, run: Invocation = invoke("activation.list")) -> Any:
    return run(Scope(project, domain))


@router.get("/schedules", response_model=list[ScheduleOut], tags=["launch plans"])
def schedules(project: str | None = None, domain: str | None = None, run: Invocation = invoke("schedule.list")) -> Any:
    return run(Scope(project, domain))


# ---------------------------------------------------------------- tasks, workflows, launch plans
@router.get(PD + "/workflows/{name}", response_model=WorkflowOut, tags=["entities"])
def workflow(project: str, domain: str, name: str, version: str | None = None,
             diff_from: Annotated[str | None, Query(description="Another version: include a spec diff.")] = None,
             run: Invocation = invoke("workflow.read")) -> Any:
    return run(Scope(project, domain), name=name, version=version, diff_from=diff_from)


@router.get(PD + "/launch_plans/{name}", response_model=LaunchPlanOut, tags=["launch plans"])
def launch_plan(project: str, domain: str, name: str, version: str | None = None,
                run: Invocation = invoke("launch_plan.read")) -> Any:
    return run(Scope(project, domain), name=name, version=version)


@router.put(PD + "/launch_plans/{name}/activation", response_model=ActivationOut, tags=["launch plans"])
def activate(project: str, domain: str, name: str, body: ActivateRequest,
             run: Invocation = invoke("launch_plan.activate")) -> Any:
    return run(Scope(project, domain), name=name, version=body.version)


@router.delete(PD + "/launch_plans/{name}/activation", status_code=204, tags=["launch plans"])
def deactivate(project: str, domain: str, name: str, run: Invocation = invoke("launch_plan.deactivate")) -> Response:
    run(Scope(project, domain), name=name)
    return Response(status_code=204)


@router.post(PD + "/launch_plans/{name}/executions", response_model=ExecutionOut, status_code=201,
             tags=["executions"])
def launch(project: str, domain: str, name: str, body: LaunchRequest,
           run: Invocation = invoke("execution.launch")) -> Any:
    return run(Scope(project, domain), launch_plan=name, request=body)


@router.get(PD + "/{kind}", response_model=list[EntityNameOut], tags=["entities"])
def entities(project: str, domain: str, kind: KindPath, run: Invocation = invoke("entity.list")) -> Any:
    return run(Scope(project, domain), kind=kind)


@router.get(PD + "/{kind}/{name}/versions", response_model=list[EntityVersionOut], tags=["entities"])
def versions(project: str, domain: str, kind: KindPath, name: str, run: Invocation = invoke("entity.versions")) -> Any:
    return run(Scope(project, domain), kind=kind, name=name)


@router.get(PD + "/{kind}/{name}/versions/{version}", response_model=EntityOut, tags=["entities"])
def entity(project: str, domain: str, kind: KindPath, name: str, version: str,
           run: Invocation = invoke("entity.read")) -> Any:
    return run(Scope(project, domain), kind=kind, name=name, version=version)


# ---------------------------------------------------------------- executions
def execution_filter(
    phase: Annotated[list[str] | None, Query(description="Repeatable: any of these phases.")] = None,
    launch_plan: str | None = None,
    workflow: str | None = None,
    created_after: datetime | None = None,
    created_before: datetime | None = None,
    label: Annotated[list[str] | None, Query(description="Repeatable KEY=VALUE: every label must match.")] = None,
    top_level: Annotated[bool, Query(description="Leave out child executions (launch plan nodes).")] = False,
) -> ExecutionFilter:
    labels = {}
    for pair in filter(None, label or []):
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise InputError(f"Invalid label filter `{pair}`", address="query parameter label",
                             detail="Write label=KEY=VALUE, e.g. label=team=ml.")
        labels[key] = value
    return ExecutionFilter(phases=tuple(p for p in phase or () if p), launch_plan=launch_plan or None,
                           workflow=workflow or None,
                           created_after=_utc(created_after), created_before=_utc(created_before), labels=labels,
                           top_level_only=top_level)


def _utc(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


@router.get("/executions", response_model=ExecutionPageOut, tags=["executions"])
def executions(project: str | None = None, domain: str | None = None,
               limit: Annotated[int, Query(ge=1, le=500)] = 50, cursor: str | None = None,
               where: ExecutionFilter = Depends(execution_filter),
               run: Invocation = invoke("execution.list")) -> Any:
    return as_json(run(Scope(project, domain), where=where, limit=limit, cursor=cursor))


@router.get(PD + "/executions/{name}", response_model=ExecutionDetailOut, tags=["executions"])
def execution(project: str, domain: str, name: str,
              graph: Annotated[bool, Query(description="Include the workflow's laid-out DAG.")] = False,
              run: Invocation = invoke("execution.read")) -> Any:
    return as_json(run(Scope(project, domain), name=name, graph=graph))


@router.get(PD + "/executions/{name}/node", response_model=NodeDetailOut, tags=["executions"])
def node(project: str, domain: str, name: str, id: Annotated[str, Query(description="Node id, e.g. n0 or n1/n0.")],
         run: Invocation = invoke("execution.node")) -> Any:
    return run(Scope(project, domain), name=name, node=id)


@router.get(PD + "/executions/{name}/logs", response_model=list[LogsOut], tags=["executions"])
def logs(project: str, domain: str, name: str, node: str, attempt: int | None = None,
         run: Invocation = invoke("execution.logs")) -> Any:
    return run(Scope(project, domain), name=name, node=node, attempt=attempt)


@router.get(PD + "/executions/{name}/events", tags=["executions"], response_class=StreamingResponse,
            responses={200: {"content": {"text/event-stream": {}}, "description": "`update` and `end` events."}})
def events(request: Request, project: str, domain: str, name: str,
           run: Invocation = invoke("execution.watch")) -> StreamingResponse:
    return event_stream(request, run(Scope(project, domain), name=name))


@router.post(PD + "/executions/{name}/abort", response_model=ExecutionOut, tags=["executions"])
def abort(project: str, domain: str, name: str, run: Invocation = invoke("execution.abort")) -> Any:
    return run(Scope(project, domain), name=name)


@router.post(PD + "/executions/{name}/relaunch", response_model=ExecutionOut, status_code=201, tags=["executions"])
def relaunch(project: str, domain: str, name: str, run: Invocation = invoke("execution.relaunch")) -> Any:
    return run(Scope(project, domain), name=name)


@router.post(PD + "/executions/{name}/recover", response_model=ExecutionOut, status_code=201, tags=["executions"])
def recover(project: str, domain: str, name: str, run: Invocation = invoke("execution.recover")) -> Any:
    return run(Scope(project, domain), name=name)


# ---------------------------------------------------------------- history and drift
@router.get("/applies", response_model=list[ApplyOut], tags=["history"])
def applies(limit: Annotated[int, Query(ge=1, le=500)] = 50, run: Invocation = invoke("apply.list")) -> Any:
    return run(Scope(), limit=limit)


@router.get("/applies/{serial}", response_model=ApplyDetailOut, tags=["history"])
def apply(serial: int, run: Invocation = invoke("apply.read")) -> Any:
    return run(Scope(), serial=serial)


@router.get("/drift", response_model=DriftOut, tags=["history"])
def drift(run: Invocation = invoke("drift.read")) -> Any:
    return run(Scope())


# ---------------------------------------------------------------- administration
@router.get("/audit", response_model=list[AuditEntryOut], tags=["administration"])
def audit(limit: Annotated[int, Query(ge=1, le=10_000)] = 100, identity: str | None = None,
          run: Invocation = invoke("audit.list")) -> Any:
    return run(Scope(), limit=limit, identity=identity)
