"""``flowctl run FILE NAME [--INPUT VALUE ...]``: run a workflow, launch plan or task in this process,
in milliseconds, or (``--remote``) register it and launch it on the registry.

Inputs become options generated from the interface (``--values '[1.0,2.0]'``: plain text for
strings and dates, JSON for lists, dicts and dataclasses), or come as ``-i NAME=VALUE`` and
``--inputs FILE``: the reader ``flowctl launch`` uses (``flowctl.types._inputs``), so both take
inputs the same way and follow the same rules. ``flowctl run FILE NAME --help`` lists them.
"""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from flowctl.cli._options import InputOpt, InputsCommand, InputsFileOpt

_HELP = """Run a workflow, launch plan or task locally (in this process).

Inputs are given as --NAME VALUE (JSON for lists, dicts and dataclasses), -i NAME=VALUE or
--inputs FILE.json|yaml. Use `flowctl run FILE NAME --help` to list the inputs of NAME.
"""


def register(app: typer.Typer) -> None:
    @app.command(
        "run",
        cls=InputsCommand,
        help=_HELP,
        add_help_option=False,
        context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    )
    def run(
        ctx: typer.Context,
        file: Annotated[str | None, typer.Argument(help="Python file with the workflow.", show_default=False)] = None,
        name: Annotated[str | None, typer.Argument(help="Workflow, launch plan or task name in FILE.", show_default=False)] = None,
        json_output: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
        no_cache: Annotated[bool, typer.Option("--no-cache", help="Do not read or write the local cache.")] = False,
        overwrite_cache: Annotated[bool, typer.Option("--overwrite-cache", help="Run cached tasks and replace their results.")] = False,
        show_help: Annotated[bool, typer.Option("--help", "-h", help="Show this message (with FILE NAME: its inputs).")] = False,
        remote: Annotated[bool, typer.Option("--remote", help="Register NAME (workflow, launch plan or task) in the "
                                             "registry at a content version and launch it there; a running `flowctl "
                                             "controller` executes it.")] = False,
        wait: Annotated[bool, typer.Option("--wait", help="With --remote: follow the execution, print its outputs, exit "
                                           "with its phase: 0 succeeded, 1 failed, 3 aborted, 4 timed out.")] = False,
        inputs: InputOpt = None,
        inputs_file: InputsFileOpt = None,
        project: Annotated[str | None, typer.Option("--project", "-p", help="With --remote: project (default "
                                                    "FLOWCTL_PROJECT, else `default`).", show_default=False)] = None,
        domain: Annotated[str | None, typer.Option("--domain", "-d", help="With --remote: domain (default "
                                                   "FLOWCTL_DOMAIN, else `development`).", show_default=False)] = None,
        signal: Annotated[list[str] | None, typer.Option("--signal", help="NAME=VALUE: answer the gate waiting for "
                                                         "NAME (approvals: yes/no); else a terminal is asked.")] = None,
    ) -> None:
        if show_help or file is None or name is None:
            typer.echo(ctx.get_help())
            if file is not None and name is not None:
                typer.echo("\n" + _inputs_help(_load(file, name)))
            elif not show_help:
                sys.exit(2)
            return
        entity = _load(file, name)
        given = _read_inputs(entity, list(ctx.args), inputs or [], inputs_file or [])
        if remote:
            _run_remote(file, entity, given, wait=wait, json_output=json_output, project=project, domain=domain)
            return
        _run(entity, given, json_output=json_output, no_cache=no_cache, overwrite_cache=overwrite_cache,
             signals=signal or [])


def _load(file: str, name: str) -> Any:
    """The task function, workflow function or LaunchPlan NAME names in FILE (imported)."""
    from flowctl._runtime import import_file
    from flowctl.cli._warnings import show_declaration_warnings
    from flowctl.sdk._lookup import find_entity

    entity = find_entity(import_file(file), name, file=file)
    show_declaration_warnings()
    return entity


def _kind_and_label(entity: Any) -> tuple[str, str]:
    from flowctl.sdk import definition_of
    from flowctl.sdk._lookup import kind_of

    kind = kind_of(entity)
    return kind, f"{kind.replace('_', ' ')} `{definition_of(entity).name}`"


def _read_inputs(entity: Any, args: list[str], assignments: list[str], files: list[str]) -> dict[str, Any]:
    """The given inputs as JSON values, by the rules every launch follows (compile errors first)."""
    from flowctl.sdk import LaunchPlan, WorkflowDefinition, compile_workflow, definition_of
    from flowctl.types._inputs import read_inputs

    definition = definition_of(entity)
    lp = definition if isinstance(definition, LaunchPlan) else None
    workflow = lp.workflow if lp else definition
    if isinstance(workflow, WorkflowDefinition):
        compile_workflow(workflow)  # compile errors before anything runs
    _, label = _kind_and_label(entity)
    return read_inputs(definition.interface.to_spec(), args=args, assignments=assignments, files=files,
                       launch_plan=lp.spec if lp else None, address=label)


def _inputs_help(entity: Any) -> str:
    from flowctl.sdk import LaunchPlan, definition_of

    definition = definition_of(entity)
    kind, _ = _kind_and_label(entity)
    lines = [f"Inputs of {kind.replace('_', ' ')} {definition.name}:"]
    interface = definition.interface
    rows = []
    for param in interface.inputs:
        default = f"default: {_dump(param.default_json)}" if param.has_default else "required"
        rows.append((f"--{param.name}", str(param.spec), default))
    if isinstance(definition, LaunchPlan):
        for key, value in definition.fixed_inputs.items():
            rows.append((f"({key})", "fixed", f"{_dump(value)} (cannot be overridden)"))
    if not rows:
        lines.append("  (none)")
    width = [max(len(r[i]) for r in rows) for i in range(2)] if rows else [0, 0]
    lines.extend(f"  {a:<{width[0]}}  {b:<{width[1]}}  {c}" for a, b, c in rows)
    outputs = ", ".join(f"{o.name}: {o.spec}" for o in interface.outputs) or "(none)"
    lines.append(f"Outputs: {outputs}")
    lines.append("Give inputs as --NAME VALUE, -i NAME=VALUE or --inputs FILE.json|yaml.")
    return "\n".join(lines)


def _dump(value: Any) -> str:
    import json

    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


def _run_remote(file: str, entity: Any, given: dict[str, Any], *, wait: bool, json_output: bool,
                project: str | None, domain: str | None) -> None:
    """``flowctl run --remote``: register NAME at a content version, launch it, show it as `launch` does."""
    from flowctl._config import Config
    from flowctl.cli._engine import open_execution_access
    from flowctl.cli._results import finish_command
    from flowctl.cli._stores import open_registry
    from flowctl.engine._remote import launch_remote

    config = Config()
    store = open_execution_access(config, create=True)  # like apply, a remote run may create the registry
    registry = open_registry(config, create=True)
    try:
        execution = launch_remote(entity, file, given, config, store, project=project, domain=domain,
                                  registry=registry, upload=getattr(registry, "upload_bundle", None))
        finish_command(store, execution, wait=wait, json_output=json_output, verb="launched")
    finally:
        registry.close()
        store.close()


def _run(entity: Any, given: dict[str, Any], *, json_output: bool, no_cache: bool, overwrite_cache: bool,
         signals: list[str]) -> None:
    import contextlib
    import json
    import time

    from flowctl._config import Config
    from flowctl._local import LocalCache, LocalRunner, NodeFailure, WorkflowFailure
    from flowctl.cli._results import RunSummary, show_summary
    from flowctl.sdk import LaunchPlan, definition_of
    from flowctl.types import from_json_value

    definition = definition_of(entity)
    kind, _ = _kind_and_label(entity)
    interface = definition.workflow.interface if isinstance(definition, LaunchPlan) else definition.interface
    values = {k: from_json_value(v, interface.param(k).py_type) for k, v in given.items()}  # type: ignore[union-attr]
    cache = None if no_cache else LocalCache(Config().cache_dir)
    from flowctl.cli._gate_commands import parse_signals, terminal_prompt, write_local_decks

    runner = LocalRunner(cache=cache, overwrite_cache=overwrite_cache, signals=parse_signals(signals),
                         prompt=terminal_prompt())
    # with --json, stdout carries only the JSON document: what tasks print goes to stderr
    redirect = contextlib.redirect_stdout(sys.stderr) if json_output else contextlib.nullcontext()
    started = time.perf_counter()
    try:
        with redirect:
            result = runner.run(definition, values)
    except (NodeFailure, WorkflowFailure) as failure:
        write_local_decks(runner.decks, definition.name, Config().cache_dir.parent / "decks" / runner.run_name)
        failures = failure.failures if isinstance(failure, WorkflowFailure) else [failure]
        if json_output:
            failed: dict[str, Any] = {
                "name": definition.name,
                "kind": kind,
                "status": "failed",
                "outputs": None,
                "error": failures[0].to_json(),
                "errors": [f.to_json() for f in failures],
                "nodes": [n.to_json() for n in runner.records],
            }
            typer.echo(json.dumps(failed, indent=2, ensure_ascii=False))
            sys.stderr.write(failure.render() + "\n")
            sys.exit(1)
        sys.exit(show_summary(RunSummary(definition.name, "failed", time.perf_counter() - started, None,
                                         len(runner.records), failure=failure.render())))
    outputs = result.outputs_json()
    write_local_decks(result.decks, result.name, Config().cache_dir.parent / "decks" / runner.run_name)
    if json_output:
        document: dict[str, Any] = {
            "name": definition.name,
            "kind": kind,
            "status": "succeeded",
            "outputs": outputs,
            "nodes": [n.to_json() for n in result.nodes],
            "duration_ms": round(result.duration_s * 1000, 3),
        }
        typer.echo(json.dumps(document, indent=2, ensure_ascii=False))
        return
    cached = sum(1 for n in result.nodes if n.status == "cached")
    show_summary(RunSummary(result.name, "succeeded", result.duration_s, outputs, len(result.nodes), cached))
