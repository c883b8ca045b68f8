"""``flowctl executions list|get|logs|watch|outputs|abort|relaunch|recover``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from flowctl.cli._options import ExecutionPhase, OutputFormatOpt, TableFormat, count, wants_json

if TYPE_CHECKING:
    from flowctl.providers import Provider
    from flowctl.state._execution_access import ExecutionAccess, ExecutionReader
    from flowctl.state._execution_records import AttemptRecord

Registry = Annotated[str | None, typer.Option("--registry", help="Registry URL.")]
Wait = Annotated[bool, typer.Option("--wait", help="Follow the execution; exit with its phase: 0 succeeded, "
                                    "1 failed, 3 aborted, 4 timed out.")]
Json = Annotated[bool, typer.Option("--json", help="Same as -o json.")]
Ref = Annotated[str, typer.Argument(help="Execution id, name, or project/domain/name.")]


def _stderr() -> object:
    from rich.console import Console

    return Console(stderr=True)


def register(app: typer.Typer) -> None:
    ex = typer.Typer(help="Inspect and control executions.", no_args_is_help=True)

    def _access(registry: str | None) -> ExecutionAccess:
        """Reads, launches and aborts: the registry database, or the flowctl server (FLOWCTL_SERVER)."""
        from flowctl.cli._engine import config_for, open_execution_access

        return open_execution_access(config_for(registry))

    def _reader(registry: str | None) -> ExecutionReader:
        """Plain reads (also `logs` and `watch`): the registry database without SQLAlchemy where it can be,
        or the flowctl server."""
        from flowctl.cli._engine import config_for, open_execution_reader

        return open_execution_reader(config_for(registry))

    @ex.command("list")
    def list_(
        project: Annotated[str | None, typer.Option("--project", "-p")] = None,
        domain: Annotated[str | None, typer.Option("--domain", "-d")] = None,
        phase: Annotated[ExecutionPhase | None, typer.Option("--phase", help="Only executions in this phase.")] = None,
        launch_plan: Annotated[str | None, typer.Option("--launch-plan")] = None,
        limit: Annotated[int, typer.Option("--limit", parser=count(1), help="At most this many (1-1000000).")] = 50,
        output: OutputFormatOpt = TableFormat.table,
        json_output: Json = False,
        registry: Registry = None,
    ) -> None:
        """List executions, newest first."""
        import json

        from rich.console import Console

        from flowctl.engine._view import FORMAT_VERSION, execution_summary, render_list

        found = _reader(registry).list_executions(project=project, domain=domain, phase=phase.value if phase else None,
                                                 launch_plan=launch_plan, limit=limit)
        if wants_json(output, json_output):
            typer.echo(json.dumps({"format_version": FORMAT_VERSION,
                                   "executions": [execution_summary(x) for x in found]}, indent=2))
            return
        render_list(found, Console())

    @ex.command("get")
    def get(ref: Ref, output: OutputFormatOpt = TableFormat.table, json_output: Json = False, wait: Wait = False,
            registry: Registry = None) -> None:
        """Show an execution and its nodes."""
        import json

        from rich.console import Console

        from flowctl.engine import find_execution
        from flowctl.engine._view import execution_document, render_execution, watch

        store = _reader(registry)
        execution = find_execution(store, ref)
        if wait:
            from rich.console import Console as C

            execution = watch(store, execution.id, C(stderr=True))
        doc = execution_document(store, execution)
        if wants_json(output, json_output):
            typer.echo(json.dumps(doc, indent=2))
        else:
            render_execution(doc, Console())
        if wait and execution.phase != "succeeded":
            from flowctl.cli._results import EXIT_CODES

            raise SystemExit(EXIT_CODES.get(execution.phase, 1))

    @ex.command("outputs")
    def outputs(ref: Ref, registry: Registry = None) -> None:
        """Print an execution's outputs as JSON (exit 1 when it has none)."""
        import json

        from flowctl.engine import find_execution

        execution = find_execution(_reader(registry), ref)
        if execution.outputs is None:
            typer.echo(f"execution {execution.name} is {execution.phase}: no outputs", err=True)
            raise SystemExit(1)
        typer.echo(json.dumps(execution.outputs, indent=2, sort_keys=True))

    @ex.command("logs")
    def logs(
        ref: Ref,
        node: Annotated[str | None, typer.Option("--node", help="Only this node.")] = None,
        attempt: Annotated[int | None, typer.Option("--attempt", parser=count(1), help="Only this attempt (1 is the "
                                                    "first, as `executions show` numbers them).")] = None,
        follow: Annotated[bool, typer.Option("--follow", "-f", help="Keep printing running attempts' logs as they grow.")] = False,
        registry: Registry = None,
    ) -> None:
        """Print the logs of an execution's attempts (running ones live, finished ones from the blob store)."""
        from flowctl.cli._engine import config_for
        from flowctl.engine import find_execution
        from flowctl.engine._logs import follow_text, read_log, recorded_provider

        store = _reader(registry)  # a finished attempt's log is in the blob store: no provider is loaded
        execution = find_execution(store, ref)
        providers: dict[str | None, Provider] = {}

        def provider_for(a: AttemptRecord) -> Provider:
            name = recorded_provider(a)
            if name not in providers:
                from flowctl.providers import get_provider  # a running attempt's log is the provider's

                providers[name] = get_provider(config_for(registry), name=name)
            return providers[name]

        remote = getattr(store, "attempt_log", None)  # through the server, the server reads the logs

        def log_of(a: AttemptRecord) -> tuple[str, str]:
            if remote is not None:
                found = remote(execution.id, a.node_id, a.attempt)
                return str(found.text), str(found.note)
            local = read_log(execution, a, provider_for)
            return local.text, local.note

        def shown(a: AttemptRecord) -> str:
            text, note = log_of(a)
            return text if not note else f"({note})"

        from flowctl.engine._view import node_infos
        from flowctl.engine._view_nodes import order_key

        infos = node_infos(store, execution)
        found = store.load_attempts(execution.id)
        if node is not None and node not in found:
            from flowctl._errors import InputError

            known = ", ".join(sorted(found, key=lambda k: order_key(k, infos))) or "none yet"
            raise InputError(f"Execution {execution.name} has no attempts of node `{node}`",
                             detail=f"Nodes with attempts: {known}. `flowctl executions show {execution.name}` "
                             "lists the nodes.")
        for node_id in sorted(found, key=lambda k: order_key(k, infos)):
            for a in found[node_id]:  # a.attempt counts from 0 in the store; people count from 1
                if (node is not None and node_id != node) or (attempt is not None and a.attempt + 1 != attempt):
                    continue
                typer.echo(f"==> {node_id} attempt {a.attempt + 1} ({a.phase}) <==")
                if follow and a.active:
                    for piece in follow_text(store, execution, a, lambda current: log_of(current)[0]):
                        typer.echo(piece, nl=False)
                    typer.echo("")
                    continue
                typer.echo(shown(a))

    @ex.command("watch")
    def watch_(ref: Ref, registry: Registry = None) -> None:
        """Follow an execution live (nodes running, done, failed, elapsed) until it ends; exit with its phase:
        0 succeeded, 1 failed, 3 aborted, 4 timed out."""
        from rich.console import Console

        from flowctl.cli._results import EXIT_CODES
        from flowctl.engine import find_execution
        from flowctl.engine._view import execution_document, progress_line, watch

        store = _reader(registry)
        console = Console()
        final = watch(store, find_execution(store, ref).id, console)
        if not console.is_terminal:  # the live table was not shown: end with the counts
            console.print(progress_line(execution_document(store, final)), markup=False, highlight=False,
                          soft_wrap=True)
        if final.phase != "succeeded":
            raise SystemExit(EXIT_CODES.get(final.phase, 1))

    @ex.command("abort")
    def abort(ref: Ref, wait: Wait = False, registry: Registry = None) -> None:
        """Abort an execution: the controller kills its running attempts."""
        from flowctl.engine import abort as do_abort

        store = _access(registry)
        execution = do_abort(store, ref)
        typer.echo(f"abort requested for {execution.name}", err=True)
        if wait:
            from flowctl.engine._view import watch

            final = watch(store, execution.id, _stderr())  # type: ignore[arg-type]
            typer.echo(final.phase)

    @ex.command("relaunch")
    def relaunch(ref: Ref, wait: Wait = False, output: OutputFormatOpt = TableFormat.table, json_output: Json = False,
                 overwrite_cache: Annotated[bool, typer.Option("--overwrite-cache")] = False,
                 registry: Registry = None) -> None:
        """Start a new execution of the same launch plan version with the same inputs."""
        from flowctl.cli._results import finish_command
        from flowctl.engine import relaunch as do_relaunch

        store = _access(registry)
        finish_command(store, do_relaunch(store, ref, overwrite_cache=overwrite_cache), wait=wait,
                       json_output=wants_json(output, json_output), verb="relaunched as")

    @ex.command("recover")
    def recover(ref: Ref, wait: Wait = False, output: OutputFormatOpt = TableFormat.table, json_output: Json = False,
                registry: Registry = None) -> None:
        """Re-run a failed execution, reusing the outputs of the nodes that succeeded."""
        from flowctl.cli._results import finish_command
        from flowctl.engine import recover as do_recover

        store = _access(registry)
        finish_command(store, do_recover(store, ref), wait=wait, json_output=wants_json(output, json_output),
                       verb="recovered as")

    from flowctl.cli._gate_commands import add_gate_commands

    add_gate_commands(ex, _access, _reader)  # signal, approve, show (--deck: task reports)
    app.add_typer(ex, name="executions")
