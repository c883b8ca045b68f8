"""How a run ends on the terminal: one rendering for local runs and remote executions.

Human output: progress and one summary line (phase, duration, nodes) on stderr, then the failure
when there is one; each output as ``name: <json>`` on stdout. ``--json``: one document on stdout.
The exit code tells the phase: :data:`EXIT_CODES` (documented in docs/executions.md).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from flowctl.state._execution_access import ExecutionAccess
    from flowctl.state._executions import ExecutionRecord

# 2 is the command-line usage error (click); 1 also covers any error before the run started.
EXIT_CODES = {"succeeded": 0, "failed": 1, "aborted": 3, "timed_out": 4}
RESULT_FORMAT_VERSION = "1"


@dataclass(frozen=True)
class RunSummary:
    """What a finished run (local or remote) shows: ``failure`` is the rendered error, if any."""

    name: str
    phase: str
    seconds: float | None
    outputs: Mapping[str, Any] | None
    nodes: int
    cached: int = 0
    execution: str = ""  # project/domain/name of a remote execution
    failure: str = ""


def duration_text(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def show_summary(summary: RunSummary) -> int:
    """Print ``summary`` (summary line and failure to stderr, outputs to stdout); return the exit code."""
    facts = [f"{summary.nodes} node{'' if summary.nodes == 1 else 's'}"] + ([f"{summary.cached} from cache"] if summary.cached else [])
    if summary.execution:
        facts.append(f"execution {summary.execution}")
    verb = "in" if summary.phase == "succeeded" else "after"
    head = summary.phase.replace("_", " ").capitalize()
    sys.stderr.write(f"{head}: {summary.name} {verb} {duration_text(summary.seconds)} ({', '.join(facts)})\n")
    if summary.failure:
        sys.stderr.write(summary.failure.rstrip() + "\n")
    for key, value in (summary.outputs or {}).items():
        typer.echo(f"{key}: {json.dumps(value, ensure_ascii=False)}")
    return EXIT_CODES.get(summary.phase, 1)


def execution_summary_of(store: ExecutionAccess, execution: ExecutionRecord) -> RunSummary:
    nodes = store.load_nodes(execution.id)
    seconds = ((execution.finished_at - execution.started_at).total_seconds()
               if execution.started_at and execution.finished_at else None)
    return RunSummary(
        name=execution.launch_plan_name, phase=execution.phase, seconds=seconds,
        outputs=execution.outputs if execution.phase == "succeeded" else None, nodes=len(nodes),
        cached=sum(1 for n in nodes.values() if n.cache_hit),
        execution=f"{execution.project}/{execution.domain}/{execution.name}",
        failure=_failure_text(execution.error, [k for k, n in sorted(nodes.items()) if n.phase in FAILED_NODES]),
    )


FAILED_NODES = ("failed", "timed_out")


def _failure_text(error: Mapping[str, Any] | None, failed_nodes: list[str]) -> str:
    if not error:
        return ""
    lines = [f"Error: {error.get('code')}: {error.get('message')}"]
    if failed_nodes:
        lines.append(f"  on node {', '.join(failed_nodes)}")
    lines += ["  " + line for line in str(error.get("traceback") or "").splitlines()]
    return "\n".join(lines)


def result_document(store: ExecutionAccess, execution: ExecutionRecord) -> dict[str, Any]:
    """``{id, name, phase, started, finished, duration_seconds, outputs, error}`` first, then the
    execution document (``flowctl executions get --json``) it extends."""
    from flowctl.engine._view import execution_document

    doc = execution_document(store, execution)
    summary = doc["execution"]
    assert isinstance(summary, dict)
    return {
        "result_format_version": RESULT_FORMAT_VERSION, "id": execution.id, "name": execution.name,
        "project": execution.project, "domain": execution.domain, "phase": execution.phase,
        "started": summary["started_at"], "finished": summary["finished_at"],
        "duration_seconds": summary["duration_seconds"], **doc,
    }


def finish_command(store: ExecutionAccess, execution: ExecutionRecord, *, wait: bool, json_output: bool,
                   verb: str) -> None:
    """After creating an execution: say so; with ``wait``, follow it, show the result and exit with
    its phase's code. Without ``wait`` stdout carries the execution name (or the JSON document)."""
    from rich.console import Console

    from flowctl.engine._view import watch

    err = Console(stderr=True)
    err.print(f"{verb} execution {execution.project}/{execution.domain}/{execution.name} "
              f"({execution.launch_plan_name}@{execution.launch_plan_version})", markup=False, highlight=False,
              soft_wrap=True)
    if wait:
        execution = watch(store, execution.id, err)
    if json_output:
        typer.echo(json.dumps(result_document(store, execution), indent=2, ensure_ascii=False))
        code = EXIT_CODES.get(execution.phase, 1) if wait else 0
    elif wait:
        code = show_summary(execution_summary_of(store, execution))
    else:
        typer.echo(execution.name)
        code = 0
    if code:
        raise SystemExit(code)
