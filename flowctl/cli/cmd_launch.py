"""``flowctl launch PROJECT DOMAIN LAUNCH_PLAN``: start an execution of a registered launch plan."""

from __future__ import annotations

from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    @app.command(
        "launch",
        context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    )
    def launch(
        ctx: typer.Context,
        project: Annotated[str, typer.Argument(help="Project.")],
        domain: Annotated[str, typer.Argument(help="Domain, e.g. development.")],
        launch_plan: Annotated[str, typer.Argument(help="Launch plan name.")],
        version: Annotated[str | None, typer.Option("--version", help="Launch plan version (default: the active one).")] = None,
        inputs: Annotated[list[str] | None, typer.Option("--input", "-i", help="An input as NAME=VALUE (repeatable).")] = None,
        name: Annotated[str | None, typer.Option("--name", help="Execution name (default: random).")] = None,
        overwrite_cache: Annotated[bool, typer.Option("--overwrite-cache", help="Run cached tasks again and replace their cache entries.")] = False,
        wait: Annotated[bool, typer.Option("--wait", help="Follow the execution; exit 0 if it succeeds, 1 otherwise.")] = False,
        json_output: Annotated[bool, typer.Option("--json", help="Print the execution as JSON.")] = False,
        registry: Annotated[str | None, typer.Option("--registry", help="Registry URL.")] = None,
    ) -> None:
        """Create an execution of LAUNCH_PLAN; inputs as --input NAME=VALUE or --NAME VALUE.

        Defaults come from the workflow and the launch plan; fixed inputs cannot be given. A running
        `flowctl controller` executes it.
        """
        from flowctl.cli._engine import config_for, open_executions
        from flowctl.engine import launch as do_launch
        from flowctl.engine import resolve_launch_plan
        from flowctl.engine._inputs import parse_assignments, parse_extra_args
        from flowctl.engine._specs import SpecLoader

        store = open_executions(config_for(registry))
        lp = resolve_launch_plan(store, SpecLoader(store), project, domain, launch_plan, version)
        given = parse_assignments(inputs or [], lp.workflow.interface)
        given.update(parse_extra_args(list(ctx.args), lp.workflow.interface))
        execution = do_launch(store, project, domain, launch_plan, given, version=lp.version, name=name,
                              overwrite_cache=overwrite_cache)
        from flowctl.cli.cmd_executions import finish_command

        finish_command(store, execution, wait=wait, json_output=json_output, verb="launched")
