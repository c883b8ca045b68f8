"""``flowctl launch PROJECT DOMAIN LAUNCH_PLAN``: start an execution of a registered launch plan."""

from __future__ import annotations

from typing import Annotated

import typer

from flowctl.cli._options import InputOpt, InputsCommand, InputsFileOpt


def register(app: typer.Typer) -> None:
    @app.command(
        "launch",
        cls=InputsCommand,
        context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    )
    def launch(
        ctx: typer.Context,
        project: Annotated[str, typer.Argument(help="Project.")],
        domain: Annotated[str, typer.Argument(help="Domain, e.g. development.")],
        launch_plan: Annotated[str, typer.Argument(help="Launch plan name.")],
        version: Annotated[str | None, typer.Option("--version", help="Launch plan version (default: the active one).")] = None,
        inputs: InputOpt = None,
        inputs_file: InputsFileOpt = None,
        name: Annotated[str | None, typer.Option("--name", help="Execution name (default: random).")] = None,
        overwrite_cache: Annotated[bool, typer.Option("--overwrite-cache", help="Run cached tasks again and replace their cache entries.")] = False,
        wait: Annotated[bool, typer.Option("--wait", help="Follow the execution, print its outputs, exit with its "
                                           "phase: 0 succeeded, 1 failed, 3 aborted, 4 timed out.")] = False,
        json_output: Annotated[bool, typer.Option("--json", help="Print the execution as one JSON document.")] = False,
        registry: Annotated[str | None, typer.Option("--registry", help="Registry URL.")] = None,
    ) -> None:
        """Create an execution of LAUNCH_PLAN; inputs as --NAME VALUE, --input NAME=VALUE or --inputs FILE.

        Defaults come from the workflow and the launch plan; fixed inputs cannot be given. A running
        `flowctl controller` executes it.
        """
        from flowctl.cli._engine import config_for, open_execution_access
        from flowctl.cli._results import finish_command
        from flowctl.engine import launch as do_launch
        from flowctl.engine import resolve_launch_plan
        from flowctl.engine._specs import SpecLoader
        from flowctl.types._inputs import read_inputs

        store = open_execution_access(config_for(registry))
        lp = resolve_launch_plan(store, SpecLoader(store), project, domain, launch_plan, version)
        given = read_inputs(lp.workflow.interface, args=list(ctx.args), assignments=inputs or [],
                            files=inputs_file or [], launch_plan=lp.spec, address=lp.address)
        execution = do_launch(store, project, domain, launch_plan, given, version=lp.version, name=name,
                              overwrite_cache=overwrite_cache)
        finish_command(store, execution, wait=wait, json_output=json_output, verb="launched")
