"""The web console: server-rendered pages (Jinja2) over the same operations as the API.

Every page route is bound to one operation, like the API's, and renders the model it returns. The
little JavaScript there is (``static/console.js``) draws nothing itself: it recolours the DAG from
the live event stream, swaps server-rendered fragments in, and posts forms to the JSON API.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from flowctl.server._api import execution_filter
from flowctl.server._models import ExecutionDetailOut, GraphOut, NodeOut, Problem
from flowctl.server._operations import Invocation, Scope, invoke
from flowctl.state._queries import ExecutionFilter

HERE = Path(__file__).parent
PD = "/console/projects/{project}/domains/{domain}"
PHASES = ("queued", "running", "succeeded", "failed", "timed_out", "aborted")
templates = Jinja2Templates(directory=str(HERE / "templates"))
router = APIRouter(include_in_schema=False)


# ---------------------------------------------------------------- template helpers
def _ago(value: datetime | None) -> str:
    if value is None:
        return "-"
    delta = (datetime.now(UTC) - value).total_seconds()
    future, delta = delta < 0, abs(delta)
    for size, unit in ((86400, "d"), (3600, "h"), (60, "min")):
        if delta >= size:
            text = f"{int(delta // size)} {unit}"
            break
    else:
        text = f"{int(delta)} s"
    return f"in {text}" if future else f"{text} ago"


def _when(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if value else "-"


def _duration(value: float | None) -> str:
    if value is None:
        return "-"
    if value < 60:
        return f"{value:.1f}s"
    minutes, secs = divmod(int(value), 60)
    return f"{minutes}m {secs:02d}s" if minutes < 60 else f"{minutes // 60}h {minutes % 60:02d}m"


def _short(value: str, size: int = 12) -> str:
    return value if len(value) <= size else value[:size] + "…"


def _json(value: Any) -> str:
    import json

    return json.dumps(value, indent=2, sort_keys=True, default=str)


def _node_phases(nodes: list[NodeOut]) -> dict[str, str]:
    return {n.id: n.phase for n in nodes}


def _compact(value: Any) -> Any:
    """Without the nulls and empty values (settings documents list every field)."""
    if isinstance(value, dict):
        kept = {k: _compact(v) for k, v in value.items() if k not in ("project", "domain", "source")}
        return {k: v for k, v in kept.items() if v not in (None, {}, [], "")}
    if isinstance(value, list):
        return [_compact(v) for v in value]
    return value


templates.env.filters.update(ago=_ago, when=_when, duration=_duration, short=_short, pretty=_json,
                             node_phases=_node_phases, compact=_compact)
templates.env.globals.update(PHASES=PHASES)


def _session_of(request: Request) -> dict[str, Any] | None:
    """The console session of the request (set by ``_sessions``), for the header's identity and CSRF token."""
    return getattr(request.state, "flowctl_session", None)


templates.env.globals.update(session_of=_session_of)


def _dag_svg(graph: GraphOut) -> Markup:
    """The DAG as SVG, rendered once per laid-out graph (graphs are cached per workflow version).
    Node phases are not part of it: the page colours the nodes from its embedded phases."""
    hit = _svgs.get(id(graph))
    if hit is None or hit[0] is not graph:
        hit = (graph, Markup(templates.env.get_template("_dag.html.j2").render(graph=graph)))
        _svgs[id(graph)] = hit
        while len(_svgs) > 256:
            _svgs.pop(next(iter(_svgs)))
    return hit[1]


_svgs: dict[int, tuple[GraphOut, Markup]] = {}
templates.env.globals.update(dag_svg=_dag_svg)

_ROW = ('<div class="row" data-open-node="{id}" title="{id}: {phase}"><div class="nid" style="padding-left:{indent}px">'
        '<span class="phase {phase}">{phase_text}</span> {id}{target}<small>{note}</small></div>'
        '<div class="track">{bars}</div><div class="dur">{duration}</div></div>')
_BAR = '<div class="bar {phase}" style="left:{left}%;width:{width}%" title="{label}"></div>'


def _timeline_rows(rows: list[TimelineRow]) -> Markup:
    """The timeline's rows: one format string per row (Jinja2 tokens cost ~20 ms on a 500-node page)."""
    return Markup("\n".join(_ROW.format(
        id=escape(r.id), phase=r.phase, indent=r.indent, phase_text=r.phase_text,
        target=f" <b>{escape(r.target)}</b>" if r.target else "", note=escape(r.note), duration=r.duration,
        bars="".join(_BAR.format(phase=b.phase, left=b.left, width=b.width, label=escape(b.label)) for b in r.bars),
    ) for r in rows))


templates.env.filters.update(timeline_rows=_timeline_rows)


def page(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    return templates.TemplateResponse(request, name, context, status_code=status_code)


def error_page(request: Request, problem: Problem) -> Response:
    return page(request, "error.html.j2", problem.status, problem=problem)


def signin_redirect(path: str) -> Response:
    """Where a console page sends a visitor without a session (to ``_signin``'s form, then back)."""
    return RedirectResponse(f"/console/signin?next={quote(path)}", status_code=303)


# ---------------------------------------------------------------- timeline (Gantt)
@dataclass(slots=True)
class Bar:
    left: float  # percent of the timeline
    width: float
    phase: str
    label: str


@dataclass(slots=True)
class TimelineRow:
    """One line of the timeline, its text ready (a 500-node page renders 500 of them)."""

    id: str
    phase: str
    phase_text: str
    target: str
    note: str
    indent: int
    duration: str
    bars: list[Bar]

    @classmethod
    def of(cls, node: NodeOut, bars: list[Bar]) -> TimelineRow:
        note = (node.map.text if node.map else "cache hit" if node.cache_hit else "recovered" if node.recovered
                else f"{len(node.attempts)} attempts" if len(node.attempts) > 1 else "")
        return cls(node.id, node.phase, node.phase.replace("_", " "), node.target, note, node.depth * 14,
                   _duration(node.duration_seconds), bars)


def timeline(detail: ExecutionDetailOut, now: datetime | None = None) -> tuple[list[TimelineRow], float]:
    """One row per started node; one bar per attempt (or the node's span when it has no attempts)."""
    x = detail.execution
    start = (x.started_at or x.created_at).timestamp()
    ends = [t.timestamp() for n in detail.nodes for t in (n.finished_at, *(a.finished_at for a in n.attempts)) if t]
    end = max([(x.finished_at or now or datetime.now(UTC)).timestamp(), *ends])
    total = max(end - start, 0.001)
    scale = 100 / total

    def bar(a: datetime | None, b: datetime | None, phase: str, label: str) -> Bar:
        left = max(0.0, ((a.timestamp() if a else start) - start) * scale)
        right = ((b.timestamp() if b else end) - start) * scale
        return Bar(round(left, 2), round(max(right - left, 0.4), 2), phase, label)

    rows = []
    for node in detail.nodes:
        if node.started_at is None and not node.attempts:
            continue
        bars = [bar(a.started_at, a.finished_at, a.phase, f"attempt {a.attempt + 1}: {a.phase}") for a in node.attempts]
        rows.append(TimelineRow.of(node, bars or [bar(node.started_at, node.finished_at, node.phase, node.phase)]))
    return rows, total


# ---------------------------------------------------------------- pages
@router.get("/")
def root(run: Invocation = invoke("server.info")) -> Response:
    run(Scope())
    return RedirectResponse("/console/", status_code=307)


@router.get("/console/")
def projects(request: Request, run: Invocation = invoke("project.list")) -> Response:
    return page(request, "projects.html.j2", projects=run(Scope()), nav="projects")


@router.get("/console/projects/{project}")
def overview(request: Request, project: str, run: Invocation = invoke("project.overview")) -> Response:
    return page(request, "overview.html.j2", o=run(Scope(project)), nav="projects")


@router.get(PD + "/workflows/{name}")
def workflow(request: Request, project: str, domain: str, name: str, version: str | None = None,
             diff_from: str | None = None, run: Invocation = invoke("workflow.read")) -> Response:
    wf = run(Scope(project, domain), name=name, version=version or None, diff_from=diff_from or None)
    return page(request, "workflow.html.j2", wf=wf, spec=wf.entity.spec, project=project, domain=domain,
                nav="projects")


@router.get(PD + "/launch_plans/{name}")
def launch_plan(request: Request, project: str, domain: str, name: str, version: str | None = None,
                run: Invocation = invoke("launch_plan.read")) -> Response:
    lp = run(Scope(project, domain), name=name, version=version or None)
    return page(request, "launch.html.j2", lp=lp, project=project, domain=domain, nav="projects")


@router.get("/console/executions")
def executions(request: Request, project: str | None = None, domain: str | None = None,
               limit: Annotated[int, Query(ge=1, le=500)] = 50, cursor: str | None = None,
               where: ExecutionFilter = Depends(execution_filter),
               run: Invocation = invoke("execution.list")) -> Response:
    found = run(Scope(project or None, domain or None), where=where, limit=limit, cursor=cursor or None)
    params = {k: v for k, v in request.query_params.multi_items() if k != "cursor" and v}
    return page(request, "executions.html.j2", page_=found, filters=params, where=where, nav="executions",
                project=project or "", domain=domain or "")


@router.get(PD + "/executions/{name}")
def execution(request: Request, project: str, domain: str, name: str,
              part: Annotated[str | None, Query(description="live: only the parts that change")] = None,
              run: Invocation = invoke("execution.read")) -> Response:
    detail = run(Scope(project, domain), name=name)
    rows, total = timeline(detail)
    failed = sum(n.phase in ("failed", "timed_out") for n in detail.nodes)
    template = "execution_live.html.j2" if part == "live" else "execution.html.j2"
    return page(request, template, d=detail, x=detail.execution, rows=rows, total=total, failed=failed,
                nav="executions")


@router.get(PD + "/executions/{name}/node")
def node(request: Request, project: str, domain: str, name: str, id: str,
         run: Invocation = invoke("execution.node")) -> Response:
    return page(request, "node_panel.html.j2", n=run(Scope(project, domain), name=name, node=id),
                project=project, domain=domain, execution=name)


@router.get(PD + "/executions/{name}/logs")
def logs(request: Request, project: str, domain: str, name: str, node: str, attempt: int,
         run: Invocation = invoke("execution.logs")) -> Response:
    return page(request, "logs.html.j2", logs=run(Scope(project, domain), name=name, node=node, attempt=attempt))


@router.get("/console/schedules")
def schedules(request: Request, run: Invocation = invoke("schedule.list")) -> Response:
    return page(request, "schedules.html.j2", schedules=run(Scope()), nav="schedules")


@router.get("/console/applies")
def applies(request: Request, run: Invocation = invoke("apply.list")) -> Response:
    return page(request, "applies.html.j2", applies=run(Scope(), limit=100), nav="applies")


@router.get("/console/applies/{serial}")
def apply(request: Request, serial: int, run: Invocation = invoke("apply.read")) -> Response:
    return page(request, "apply.html.j2", a=run(Scope(), serial=serial), nav="applies")


@router.get("/console/drift")
def drift(request: Request, run: Invocation = invoke("drift.read")) -> Response:
    return page(request, "drift.html.j2", drift=run(Scope()), nav="drift")


@router.get("/console/audit")
def audit(request: Request, run: Invocation = invoke("audit.list")) -> Response:
    return page(request, "audit.html.j2", entries=run(Scope(), limit=200), nav="audit")
