"""Views of executions for the CLI: a JSON document (format version 1) and rich renderings of it.

The human renderings consume the same document ``--json`` prints, so the two cannot disagree.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import TYPE_CHECKING, Any

from flowctl.spec import Json
from flowctl.state._execution_access import ExecutionAccess
from flowctl.state._executions import AttemptRecord, ExecutionRecord, NodeRecord

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


def node_document(node: NodeRecord, attempts: list[AttemptRecord], created_at: datetime) -> dict[str, Json]:
    """``recovered``: the node's result was copied from an earlier execution (it started before this one)."""
    return {
        "id": node.node_id, "phase": node.phase, "cache_hit": node.cache_hit,
        "recovered": node.started_at is not None and node.started_at < created_at,
        "attempts": len(attempts), "started_at": _iso(node.started_at), "finished_at": _iso(node.finished_at),
        "duration_seconds": _seconds(node.started_at, node.finished_at),
        "error": {k: node.error.get(k) for k in ("kind", "code", "message")} if node.error and node.phase != "succeeded" else None,
    }


def execution_document(store: ExecutionAccess, x: ExecutionRecord) -> dict[str, Json]:
    nodes = store.load_nodes(x.id)
    attempts = store.load_attempts(x.id)
    return {
        "format_version": FORMAT_VERSION,
        "execution": execution_summary(x),
        "inputs": x.inputs,
        "outputs": x.outputs,
        "error": x.error,
        "nodes": [node_document(nodes[k], attempts.get(k, []), x.created_at) for k in sorted(nodes)],
    }


def _phase(phase: str) -> str:
    color = _COLORS.get(phase)
    return f"[{color}]{phase}[/{color}]" if color else phase


def render_execution(doc: dict[str, Any], console: Console) -> None:
    from rich.table import Table

    x = doc["execution"]
    console.print(f"[bold]{x['project']}/{x['domain']}/{x['name']}[/bold]  {_phase(x['phase'])}")
    console.print(f"  launch plan {x['launch_plan']['name']}@{x['launch_plan']['version']}  "
                  f"workflow {x['workflow']['name']}")
    console.print(f"  created {x['created_at']}  by {x['created_by']}  duration {x['duration_seconds'] or '-'}s")
    if doc.get("error"):
        console.print(f"  [red]error[/red] {doc['error'].get('code')}: {doc['error'].get('message')}")
    table = Table("node", "phase", "attempts", "seconds", "note", box=None, pad_edge=False)
    for node in doc["nodes"]:
        note = "cache hit" if node["cache_hit"] else "recovered" if node["recovered"] else ""
        if node["error"]:
            note = f"{node['error'].get('code')}: {str(node['error'].get('message'))[:60]}"
        table.add_row(node["id"], _phase(node["phase"]), str(node["attempts"]),
                      str(node["duration_seconds"] or "-"), note)
    console.print(table)


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


def watch(store: ExecutionAccess, execution_id: str, console: Console, *, interval: float = 0.3,
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


def _progress_table(doc: dict[str, Any]) -> Any:
    from rich.table import Table

    x = doc["execution"]
    table = Table(title=f"{x['name']}: {x['phase']}", box=None)
    table.add_column("node")
    table.add_column("phase")
    table.add_column("attempts")
    for node in doc["nodes"]:
        table.add_row(node["id"], _phase(node["phase"]), str(node["attempts"]))
    return table
