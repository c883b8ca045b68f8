"""Views of executions for the CLI: a JSON document (format version 1) and rich renderings of it.

The human renderings consume the same document ``--json`` prints, so the two cannot disagree.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from flowctl.engine._view_nodes import (
    MapItems,
    NodeInfo,
    describe,
    info_of,
    is_workflow_json,
    map_items,
    map_parent,
    order_key,
)
from flowctl.spec import Json
from flowctl.state._execution_access import ExecutionReader
from flowctl.state._execution_records import AttemptRecord, ExecutionRecord, NodeRecord

if TYPE_CHECKING:
    from rich.console import Console

FORMAT_VERSION = "1"
_COLORS = {"succeeded": "green", "failed": "red", "timed_out": "red", "aborted": "yellow", "running": "cyan",
           "queued": "dim", "skipped": "dim"}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    return round((end - start).total_seconds(), 3) if start and end else None


def execution_summary(x: ExecutionRecord) -> dict[str, Json]:
    return {
        "id": x.id, "project": x.project, "domain": x.domain, "name": x.name, "phase": x.phase,
        "launch_plan": {"name": x.launch_plan_name, "version": x.launch_plan_version},
        "workflow": {"name": x.workflow_name, "version": x.workflow_version},
        "created_at": _iso(x.created_at), "started_at": _iso(x.started_at), "finished_at": _iso(x.finished_at),
        "duration_seconds": _seconds(x.started_at, x.finished_at), "created_by": x.created_by,
        "scheduled_at": _iso(x.scheduled_at), "parent_execution_id": x.parent_execution_id,
        "abort_requested": x.abort_requested,
    }


def node_document(node: NodeRecord, attempts: list[AttemptRecord], created_at: datetime,
                  info: NodeInfo | None = None, items: MapItems | None = None) -> dict[str, Json]:
    """``recovered``: the node's result was copied from an earlier execution (it started before this one).
    ``attempts``: how many attempts ran (None for a node that runs none itself: a map node's items run
    them, a subworkflow's nodes, ...); ``attempt``: the
    number of the latest, 1-based as everywhere it is shown. ``items``: a map node's items."""
    latest = max((a.attempt for a in attempts), default=None)
    return {
        "id": node.node_id, "kind": info.kind if info else None, "task": info.task if info else None,
        "phase": node.phase, "cache_hit": node.cache_hit,
        "recovered": node.started_at is not None and node.started_at < created_at,
        "attempts": None if items is not None or (info is not None and info.kind != "task") else len(attempts),
        "attempt": None if latest is None else latest + 1,
        "started_at": _iso(node.started_at), "finished_at": _iso(node.finished_at),
        "duration_seconds": _seconds(node.started_at, node.finished_at),
        "items": None if items is None else {"total": items.total, "succeeded": items.succeeded,
                                             "failed": items.failed, "running": items.running,
                                             "summary": items.text()},
        "map_node": map_parent(node.node_id),
        "error": {k: node.error.get(k) for k in ("kind", "code", "message", "traceback")}
        if node.error and node.phase != "succeeded" else None,
    }


def node_infos(store: ExecutionReader, x: ExecutionRecord) -> dict[str, NodeInfo]:
    """What the execution's workflow says about each node id (empty when its spec cannot be read).

    A registered workflow's JSON is read as it is; one that lacks what the view reads goes through
    the spec model (pydantic), so a spec the model rejects still shows no task names."""

    def load(name: str) -> Mapping[str, Any] | None:
        stored = store.get_spec("workflow", x.project, x.domain, name, x.workflow_version)
        if stored is None or is_workflow_json(stored.spec):
            return None if stored is None else stored.spec
        from pydantic import ValidationError

        from flowctl.spec import WorkflowSpec

        try:
            return WorkflowSpec.model_validate(stored.spec).to_json()
        except ValidationError:
            return None

    workflow = load(x.workflow_name)
    return describe(workflow, load) if workflow is not None else {}


def execution_document(store: ExecutionReader, x: ExecutionRecord) -> dict[str, Json]:
    nodes = store.load_nodes(x.id)
    attempts = store.load_attempts(x.id)
    infos = node_infos(store, x)
    maps = {k for k in nodes if (info_of(k, infos) or NodeInfo("", "", ())).kind == "map"}
    maps |= {parent for k in nodes if (parent := map_parent(k)) in nodes}
    return {
        "format_version": FORMAT_VERSION,
        "execution": execution_summary(x),
        "inputs": x.inputs,
        "outputs": x.outputs,
        "error": x.error,
        "nodes": [node_document(nodes[k], attempts.get(k, []), x.created_at, info_of(k, infos),
                                map_items(k, nodes) if k in maps else None)
                  for k in sorted(nodes, key=lambda k: order_key(k, infos))],
    }


def _phase(phase: str) -> str:
    color = _COLORS.get(phase)
    return f"[{color}]{phase}[/{color}]" if color else phase


def _clock(value: str | None) -> str:
    return value[11:19] if value else "-"  # the time of day of an ISO timestamp


def _duration(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.1f} s" if value < 60 else f"{value / 60:.1f} min"


def _attempts(node: dict[str, Any]) -> str:
    return "-" if node["attempts"] is None else str(node["attempts"])


def render_execution(doc: dict[str, Any], console: Console) -> None:
    """The execution, its nodes in the workflow's order (map items summarised), then every error whole."""
    from rich.table import Table
    from rich.text import Text

    x = doc["execution"]
    head = Text(f"{x['project']}/{x['domain']}/{x['name']}", style="bold")
    head.append("  ").append(x["phase"], style=_COLORS.get(x["phase"], ""))
    console.print(head, soft_wrap=True)
    console.print(f"  launch plan {x['launch_plan']['name']}@{x['launch_plan']['version']}  "
                  f"workflow {x['workflow']['name']}", markup=False, highlight=False, soft_wrap=True)
    console.print(f"  created {x['created_at']}  by {x['created_by']}  duration {_duration(x['duration_seconds'])}",
                  markup=False, highlight=False, soft_wrap=True)
    table = Table("node", "task", "phase", "start", "duration", "attempts", box=None, pad_edge=False)
    table.add_column("note", overflow="fold")  # wrapped on a terminal, never cut
    for node in doc["nodes"]:
        if node.get("map_node"):
            continue  # a map item: counted on its map node's row (all items are in --json)
        note = "cache hit" if node["cache_hit"] else "recovered" if node["recovered"] else ""
        if node.get("items"):
            note = node["items"]["summary"]
        elif node["error"]:
            note = str(node["error"].get("code") or "failed")
        table.add_row(Text(node["id"]), Text(node.get("task") or "-"), Text(node["phase"], style=_COLORS.get(node["phase"], "")),
                      _clock(node["started_at"]), _duration(node["duration_seconds"]), _attempts(node), Text(note))
    if console.is_terminal:
        console.print(table)
    else:  # pipes and files get whole values, one node per line
        import io

        from rich.console import Console as Plain

        buffer = io.StringIO()
        Plain(file=buffer, width=100_000, color_system=None).print(table)
        for line in buffer.getvalue().splitlines():
            console.print(line.rstrip(), markup=False, highlight=False, soft_wrap=True)
    _print_errors(doc, console)


def _print_errors(doc: dict[str, Any], console: Console) -> None:
    """Each failed node's error in full (message and the user's traceback), then the execution's."""
    from rich.text import Text

    failed = [n for n in doc["nodes"] if n["error"]]
    error = doc.get("error")
    if not failed and not error:
        return
    console.print("")
    for node in failed:
        where = f"{node['id']}" + (f" ({node['task']})" if node.get("task") else "")
        if node.get("attempt"):
            where += f", attempt {node['attempt']}"
        _print_error(console, Text(f"Error in {where}: ", style="red"), node["error"])
    node_errors = {(n["error"].get("code"), n["error"].get("message")) for n in failed}
    if error and (error.get("code"), error.get("message")) not in node_errors:
        _print_error(console, Text("Execution error: ", style="red"), error)


def _print_error(console: Console, head: Any, error: dict[str, Any]) -> None:
    head.append(f"{error.get('code')}: {error.get('message')}")
    console.print(head, soft_wrap=True, highlight=False)
    for line in str(error.get("traceback") or "").rstrip().splitlines():
        console.print("    " + line, markup=False, highlight=False, soft_wrap=True)


def render_list(executions: list[ExecutionRecord], console: Console) -> None:
    from rich.table import Table

    rows = [
        (x.name, f"{x.project}/{x.domain}", f"{x.launch_plan_name}@{x.launch_plan_version}", x.phase,
         x.created_at.strftime("%Y-%m-%d %H:%M:%S"), str(_seconds(x.started_at, x.finished_at) or "-"))
        for x in executions
    ]
    header = ("name", "project/domain", "launch plan", "phase", "created", "seconds")
    if not console.is_terminal:  # pipes and files get whole values, one execution per line
        for row in (header, *rows):
            console.print("  ".join(row), markup=False, highlight=False, soft_wrap=True)
        return
    table = Table(*header, box=None, pad_edge=False)
    for row in rows:
        table.add_row(*row[:3], _phase(row[3]), *row[4:])
    console.print(table)


def watch(store: ExecutionReader, execution_id: str, console: Console, *, interval: float = 0.3,
          timeout: float | None = None) -> ExecutionRecord:
    """Follow an execution until it is terminal, printing node progress (live on a terminal)."""
    end = time.monotonic() + timeout if timeout else None
    seen: dict[str, str] = {}
    live = None
    if console.is_terminal:
        from rich.live import Live

        live = Live(console=console, refresh_per_second=4, transient=False)
        live.start()
    try:
        while True:
            x = store.get_execution(execution_id)
            assert x is not None
            doc = execution_document(store, x)
            if live is not None:
                live.update(_progress_table(doc))
            else:
                for node in doc["nodes"]:
                    if seen.get(node["id"]) != node["phase"]:
                        seen[node["id"]] = node["phase"]
                        console.print(f"{node['id']}: {node['phase']}" + (" (cache hit)" if node["cache_hit"] else ""))
            if x.terminal or (end is not None and time.monotonic() > end):
                return x
            time.sleep(interval)
    finally:
        if live is not None:
            live.stop()


def progress_counts(doc: dict[str, Any]) -> dict[str, int]:
    """Nodes running, done (succeeded, cached or skipped) and failed; map items counted one by one."""
    counts = {"running": 0, "done": 0, "failed": 0, "queued": 0}
    for node in doc["nodes"]:
        if node.get("items"):
            continue  # its items are counted
        phase = node["phase"]
        key = ("done" if phase in ("succeeded", "skipped") else "failed" if phase in ("failed", "timed_out", "aborted")
               else "running" if phase == "running" else "queued")
        counts[key] += 1
    return counts


def _elapsed(x: dict[str, Any]) -> float | None:
    if x["duration_seconds"] is not None:
        return float(x["duration_seconds"])
    started = x["started_at"] or x["created_at"]
    if not started:
        return None
    from datetime import UTC

    begun = datetime.fromisoformat(started)
    return (datetime.now(UTC if begun.tzinfo else None) - begun).total_seconds()


def progress_line(doc: dict[str, Any]) -> str:
    """``wf-abc: running, 3 running, 5 done, 1 failed, 12.0 s elapsed``."""
    x = doc["execution"]
    counts = progress_counts(doc)
    parts = [f"{counts[k]} {k}" for k in ("running", "done", "failed", "queued") if counts[k]]
    return f"{x['name']}: {x['phase']}, {', '.join(parts) or 'no nodes yet'}, {_duration(_elapsed(x))} elapsed"


def _progress_table(doc: dict[str, Any]) -> Any:
    from rich.table import Table
    from rich.text import Text

    table = Table(title=progress_line(doc), title_justify="left", box=None)
    for column in ("node", "task", "phase", "attempts", "duration"):
        table.add_column(column)
    for node in doc["nodes"]:
        if node.get("map_node"):
            continue
        phase = node["items"]["summary"] if node.get("items") else node["phase"]
        table.add_row(Text(node["id"]), Text(node.get("task") or "-"), Text(phase, style=_COLORS.get(node["phase"], "")),
                      _attempts(node), _duration(node["duration_seconds"]))
    return table
