"""``flowctl executions list|get|logs|outputs|abort|relaunch|recover``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from flowctl.state._executions import ExecutionRecord, ExecutionStore

Registry = Annotated[str | None, typer.Option("--registry", help="Registry URL.")]
Wait = Annotated[bool, typer.Option("--wait", help="Follow the execution; exit 0 if it succeeds, 1 otherwise.")]
Json = Annotated[bool, typer.Option("--json", help="Print JSON.")]
Ref = Annotated[str, typer.Argument(help="Execution id, name, or project/domain/name.")]


def _stderr() -> object:
    from rich.console import Console

    return Console(stderr=True)


def finish_command(store: ExecutionStore, execution: ExecutionRecord, *, wait: bool, json_output: bool, verb: str) -> None:
    """Print what was created; with ``wait``, follow it and exit with its result."""
    import json

    from rich.console import Console

    from flowctl.engine._view import execution_document, watch

    err = Console(stderr=True)
    err.print(f"{verb} execution {execution.project}/{execution.domain}/{execution.name}")
    if wait:
        execution = watch(store, execution.id, err)
    if json_output:
        typer.echo(json.dumps(execution_document(store, execution), indent=2))
    else:
        typer.echo(execution.name)
    if wait:
        err.print(f"execution {execution.name} {execution.phase}")
        if execution.error:
            err.print(f"{execution.error.get('code')}: {execution.error.get('message')}", markup=False)
        raise SystemExit(0 if execution.phase == "succeeded" else 1)  # see note: typer.Exit codes are lost by main()


def register(app: typer.Typer) -> None:
    ex = typer.Typer(help="Inspect and control executions.", no_args_is_help=True)

    def _store(registry: str | None) -> ExecutionStore:
        from flowctl.cli._engine import config_for, open_executions

        return open_executions(config_for(registry))

    @ex.command("list")
    def list_(
        project: Annotated[str | None, typer.Option("--project", "-p")] = None,
        domain: Annotated[str | None, typer.Option("--domain", "-d")] = None,
        phase: Annotated[str | None, typer.Option("--phase")] = None,
        launch_plan: Annotated[str | None, typer.Option("--launch-plan")] = None,
        limit: Annotated[int, typer.Option("--limit")] = 50,
        json_output: Json = False,
        registry: Registry = None,
    ) -> None:
        """List executions, newest first."""
        import json

        from rich.console import Console

        from flowctl.engine._view import FORMAT_VERSION, execution_summary, render_list

        found = _store(registry).list_executions(project=project, domain=domain, phase=phase,
                                                 launch_plan=launch_plan, limit=limit)
        if json_output:
            typer.echo(json.dumps({"format_version": FORMAT_VERSION,
                                   "executions": [execution_summary(x) for x in found]}, indent=2))
            return
        render_list(found, Console())

    @ex.command("get")
    def get(ref: Ref, json_output: Json = False, wait: Wait = False, registry: Registry = None) -> None:
        """Show an execution and its nodes."""
        import json

        from rich.console import Console

        from flowctl.engine import find_execution
        from flowctl.engine._view import execution_document, render_execution, watch

        store = _store(registry)
        execution = find_execution(store, ref)
        if wait:
            from rich.console import Console as C

            execution = watch(store, execution.id, C(stderr=True))
        doc = execution_document(store, execution)
        if json_output:
            typer.echo(json.dumps(doc, indent=2))
        else:
            render_execution(doc, Console())
        if wait:
            raise SystemExit(0 if execution.phase == "succeeded" else 1)  # see note: typer.Exit codes are lost by main()

    @ex.command("outputs")
    def outputs(ref: Ref, registry: Registry = None) -> None:
        """Print an execution's outputs as JSON (exit 1 when it has none)."""
        import json

        from flowctl.engine import find_execution

        execution = find_execution(_store(registry), ref)
        if execution.outputs is None:
            typer.echo(f"execution {execution.name} is {execution.phase}: no outputs", err=True)
            raise SystemExit(1)
        typer.echo(json.dumps(execution.outputs, indent=2, sort_keys=True))

    @ex.command("logs")
    def logs(
        ref: Ref,
        node: Annotated[str | None, typer.Option("--node", help="Only this node.")] = None,
        attempt: Annotated[int | None, typer.Option("--attempt", help="Only this attempt number.")] = None,
        follow: Annotated[bool, typer.Option("--follow", "-f", help="Keep printing running attempts' logs as they grow.")] = False,
        registry: Registry = None,
    ) -> None:
        """Print the logs of an execution's attempts (running ones live, finished ones from the blob store)."""
        from flowctl.cli._engine import config_for
        from flowctl.engine import find_execution
        from flowctl.engine._logs import follow as follow_log
        from flowctl.engine._logs import read_log
        from flowctl.providers import Provider, get_provider
        from flowctl.state._executions import AttemptRecord

        store = _store(registry)
        execution = find_execution(store, ref)
        providers: dict[str, Provider] = {}

        def provider_for(a: AttemptRecord) -> Provider:
            name = a.provider if a.provider in ("local", "kubernetes") else ""
            if name not in providers:
                providers[name] = get_provider(config_for(registry), name=name or None)
            return providers[name]

        for node_id, attempts in sorted(store.load_attempts(execution.id).items()):
            for a in attempts:
                if (node is not None and node_id != node) or (attempt is not None and a.attempt != attempt):
                    continue
                typer.echo(f"==> {node_id} attempt {a.attempt} ({a.phase}) <==")
                if follow and a.active:
                    for piece in follow_log(store, execution, a, provider_for):
                        typer.echo(piece, nl=False)
                    typer.echo("")
                    continue
                found = read_log(execution, a, provider_for)
                typer.echo(found.text if not found.note else f"({found.note})")

    @ex.command("abort")
    def abort(ref: Ref, wait: Wait = False, registry: Registry = None) -> None:
        """Abort an execution: the controller kills its running attempts."""
        from flowctl.engine import abort as do_abort

        store = _store(registry)
        execution = do_abort(store, ref)
        typer.echo(f"abort requested for {execution.name}", err=True)
        if wait:
            from flowctl.engine._view import watch

            final = watch(store, execution.id, _stderr())  # type: ignore[arg-type]
            typer.echo(final.phase)

    @ex.command("relaunch")
    def relaunch(ref: Ref, wait: Wait = False, json_output: Json = False,
                 overwrite_cache: Annotated[bool, typer.Option("--overwrite-cache")] = False,
                 registry: Registry = None) -> None:
        """Start a new execution of the same launch plan version with the same inputs."""
        from flowctl.engine import relaunch as do_relaunch

        store = _store(registry)
        finish_command(store, do_relaunch(store, ref, overwrite_cache=overwrite_cache), wait=wait,
                       json_output=json_output, verb="relaunched as")

    @ex.command("recover")
    def recover(ref: Ref, wait: Wait = False, json_output: Json = False, registry: Registry = None) -> None:
        """Re-run a failed execution, reusing the outputs of the nodes that succeeded."""
        from flowctl.engine import recover as do_recover

        store = _store(registry)
        finish_command(store, do_recover(store, ref), wait=wait, json_output=json_output, verb="recovered as")

    app.add_typer(ex, name="executions")
