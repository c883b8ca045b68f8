"""``flowctl run FILE WORKFLOW_OR_LAUNCH_PLAN [--INPUT VALUE ...]``: run in this process, in milliseconds.

Inputs become options generated from the interface (``--values '[1.0,2.0]'``: plain text for
strings and dates, JSON for lists, dicts and dataclasses). ``flowctl run FILE NAME --help`` lists
them with types and defaults.
"""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

_HELP = """Run a workflow, launch plan or task locally (in this process).

Inputs are given as --NAME VALUE (JSON for lists, dicts and dataclasses). Use
`flowctl run FILE NAME --help` to list the inputs of NAME.
"""


def register(app: typer.Typer) -> None:
    @app.command(
        "run",
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
        remote: Annotated[bool, typer.Option("--remote", help="Register the workflow in the registry (at a content "
                                             "version) and launch it there; a running `flowctl controller` executes it.")] = False,
        wait: Annotated[bool, typer.Option("--wait", help="With --remote: follow the execution and exit 0/1 with its result.")] = False,
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
                typer.echo("\n" + _inputs_help(file, name))
            elif not show_help:
                sys.exit(2)
            return
        if remote:
            _run_remote(file, name, list(ctx.args), wait=wait, project=project, domain=domain)
            return
        _run(file, name, list(ctx.args), json_output=json_output, no_cache=no_cache, overwrite_cache=overwrite_cache,
             signals=signal or [])


def _run_remote(file: str, name: str, args: list[str], *, wait: bool, project: str | None, domain: str | None) -> None:
    """``flowctl run --remote``: the same input parsing as a local run, then register and launch."""
    from flowctl._config import Config
    from flowctl.engine._remote import run_remote

    definition = _load(file, name)
    inputs = _parse_args(args, definition.interface, f"workflow `{definition.name}`")
    code = run_remote(file, name, inputs, Config(), wait, project=project, domain=domain)
    if code:
        sys.exit(code)


def _load(file: str, name: str) -> Any:
    from flowctl._errors import InputError
    from flowctl._runtime import import_file
    from flowctl.sdk import LaunchPlan, TaskDefinition, WorkflowDefinition, definition_of

    module = import_file(file)
    target = getattr(module, name, None)
    if target is None:  # a launch plan by its name, or a qualified workflow/task name
        for value in list(vars(module).values()):
            definition = value if isinstance(value, LaunchPlan) else getattr(value, "__flowctl_definition__", None)
            if isinstance(definition, TaskDefinition | WorkflowDefinition | LaunchPlan) and definition.name == name:
                target = definition
                break
    if target is None:
        found = []
        for attr, value in vars(module).items():
            definition = value if isinstance(value, LaunchPlan) else getattr(value, "__flowctl_definition__", None)
            if isinstance(definition, TaskDefinition | WorkflowDefinition | LaunchPlan) and (
                not isinstance(definition, TaskDefinition | WorkflowDefinition) or definition.module == module.__name__
            ):
                found.append(attr)
        raise InputError(
            f"{file} has no workflow, launch plan or task named `{name}`",
            detail=f"Found: {', '.join(sorted(found)) or '(none)'}.",
        )
    return definition_of(target)


def _inputs_help(file: str, name: str) -> str:
    from flowctl.sdk import LaunchPlan, TaskDefinition

    definition = _load(file, name)
    from flowctl.cli._warnings import show_declaration_warnings

    show_declaration_warnings()
    kind = "task" if isinstance(definition, TaskDefinition) else "launch plan" if isinstance(definition, LaunchPlan) else "workflow"
    lines = [f"Inputs of {kind} {definition.name}:"]
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
    return "\n".join(lines)


def _dump(value: Any) -> str:
    import json

    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


def _parse_args(args: list[str], interface: Any, what: str) -> dict[str, Any]:
    from flowctl._errors import DiagnosticCollector, InputError
    from flowctl.types import parse_cli_value

    diags = DiagnosticCollector()
    values: dict[str, Any] = {}
    index = 0
    names = [p.name for p in interface.inputs]
    while index < len(args):
        token = args[index]
        index += 1
        if not token.startswith("--") or token == "--":
            diags.add(f"Unexpected argument {token!r}", "Inputs are given as --NAME VALUE.")
            continue
        key, eq, text = token[2:].partition("=")
        key = key.replace("-", "_")
        param = interface.param(key)
        if param is None:
            import difflib

            close = difflib.get_close_matches(key, names, n=1, cutoff=0.5)
            diags.add(
                f"{what} has no input `{key}`",
                (f"Did you mean --{close[0]}? " if close else "") + f"Inputs: {', '.join('--' + n for n in names) or '(none)'}.",
            )
            if not eq and index < len(args) and not args[index].startswith("--"):
                index += 1
            continue
        if not eq:
            if index < len(args) and not (param.spec.kind == "bool" and args[index].startswith("--")):
                text = args[index]
                index += 1
            elif param.spec.kind == "bool":
                text = "true"
            else:
                diags.add(f"--{key} needs a value", f"Give a value of type `{param.spec}`.")
                continue
        try:
            values[key] = parse_cli_value(text, param.py_type, name=key)
        except InputError as exc:
            diags.diagnostics.extend(exc.diagnostics)
    diags.raise_if_any(InputError)
    return values


def _run(file: str, name: str, args: list[str], *, json_output: bool, no_cache: bool, overwrite_cache: bool,
         signals: list[str]) -> None:
    import json

    from flowctl._config import Config
    from flowctl._errors import InputError
    from flowctl._local import LocalCache, LocalRunner, NodeFailure, WorkflowFailure
    from flowctl.sdk import LaunchPlan, TaskDefinition

    definition = _load(file, name)
    from flowctl.cli._warnings import show_declaration_warnings

    show_declaration_warnings()
    kind = "task" if isinstance(definition, TaskDefinition) else "launch_plan" if isinstance(definition, LaunchPlan) else "workflow"
    if isinstance(definition, LaunchPlan):
        for token in args:
            key = token[2:].partition("=")[0].replace("-", "_") if token.startswith("--") else ""
            if key in definition.fixed_inputs:
                raise InputError(
                    f"Input `{key}` is fixed by launch plan `{definition.name}` and cannot be overridden",
                    detail=f"Its value is {_dump(definition.fixed_inputs[key])}. Run the workflow "
                    f"`{definition.workflow.qualname}` itself, or another launch plan, to vary it.",
                )
    if kind != "task":
        from flowctl.sdk import compile_workflow

        workflow = definition.workflow if isinstance(definition, LaunchPlan) else definition
        compile_workflow(workflow)  # compile errors before anything runs
    inputs = _parse_args(args, definition.interface, f"{kind.replace('_', ' ')} `{definition.name}`")
    cache = None if no_cache else LocalCache(Config().cache_dir)
    from flowctl.cli._gate_commands import parse_signals, terminal_prompt, write_local_decks

    runner = LocalRunner(cache=cache, overwrite_cache=overwrite_cache, signals=parse_signals(signals),
                         prompt=terminal_prompt())
    import contextlib

    # with --json, stdout carries only the JSON document: what tasks print goes to stderr
    redirect = contextlib.redirect_stdout(sys.stderr) if json_output else contextlib.nullcontext()
    try:
        with redirect:
            result = runner.run(definition, inputs)
    except (NodeFailure, WorkflowFailure) as failure:
        write_local_decks(runner.decks, definition.name, Config().cache_dir.parent / "decks" / runner.run_name)
        failures = failure.failures if isinstance(failure, WorkflowFailure) else [failure]
        if json_output:
            document = {
                "name": definition.name,
                "kind": kind,
                "status": "failed",
                "outputs": None,
                "error": failures[0].to_json(),
                "errors": [f.to_json() for f in failures],
                "nodes": [n.to_json() for n in runner.records],
            }
            typer.echo(json.dumps(document, indent=2, ensure_ascii=False))
        sys.stderr.write(failure.render() + "\n")
        sys.exit(1)
    outputs = result.outputs_json()
    write_local_decks(result.decks, result.name, Config().cache_dir.parent / "decks" / runner.run_name)
    if json_output:
        document = {
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
    summary = f"Succeeded: {result.name} in {result.duration_s * 1000:.1f} ms ({len(result.nodes)} nodes"
    sys.stderr.write(summary + (f", {cached} from cache)" if cached else ")") + "\n")
    for key, value in outputs.items():
        typer.echo(f"{key}: {json.dumps(value, ensure_ascii=False)}")
