"""``flowctl backfill LAUNCH_PLAN --from --to``: fire a schedule's due times in a past window."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from flowctl.engine import Fire
    from flowctl.state._wire import FiredTime


def register(app: typer.Typer) -> None:
    @app.command("backfill")
    def backfill(
        launch_plan: Annotated[str, typer.Argument(help="project/domain/name, or a name with --project/--domain.")],
        start: Annotated[str, typer.Option("--from", help="First instant (ISO 8601, inclusive).")],
        end: Annotated[str, typer.Option("--to", help="Last instant (ISO 8601, inclusive).")],
        project: Annotated[str | None, typer.Option("--project", "-p")] = None,
        domain: Annotated[str | None, typer.Option("--domain", "-d")] = None,
        version: Annotated[str | None, typer.Option("--version", help="Launch plan version (default: active).")] = None,
        dry_run: Annotated[bool, typer.Option("--dry-run", help="Only list the due times.")] = False,
        registry: Annotated[str | None, typer.Option("--registry", help="Registry URL.")] = None,
    ) -> None:
        """Create one execution per due time of the schedule in [--from, --to] that has not fired yet.

        Uses the same exactly-once fire records as the scheduler, so backfilling twice, or over
        times the scheduler already fired, creates nothing new. Works through the flowctl server too
        (FLOWCTL_SERVER): the server fires them.
        """
        from flowctl._errors import InputError
        from flowctl.cli._engine import config_for, engine_context
        from flowctl.engine import backfill as do_backfill
        from flowctl.engine._clock import parse_instant

        parts = launch_plan.split("/")
        if len(parts) == 3:
            project, domain, launch_plan = parts
        if not project or not domain:
            raise InputError("Which project and domain?", detail="Write PROJECT/DOMAIN/LAUNCH_PLAN or pass --project and --domain.")
        try:
            window = parse_instant(start), parse_instant(end)
        except ValueError as exc:
            raise InputError(f"Invalid time: {exc}", detail="Use ISO 8601, e.g. 2026-01-01T00:00:00Z.") from None
        if window[1] < window[0]:
            raise InputError("--to is before --from")
        config = config_for(registry)
        if config.server_url is not None:  # the server runs engine.backfill on its store, as below
            from flowctl.client import RemoteExecutions

            fires: Sequence[Fire | FiredTime] = RemoteExecutions.connect(config.server_url).backfill(
                project, domain, launch_plan, *window, version=version, dry_run=dry_run)
        else:
            fires = do_backfill(engine_context(registry=registry, command="`flowctl backfill`"), project, domain,
                                launch_plan, *window, version=version, dry_run=dry_run)
        for f in fires:
            state = ("would fire" if f.created else "already fired") if dry_run else ("fired" if f.created else "already fired")
            typer.echo(f"{f.fire_time.isoformat()}  {f.execution_name or '-'}  {state}")
        made = sum(1 for f in fires if f.created)
        typer.echo(f"{len(fires)} due times, {made} {'to fire' if dry_run else 'fired'}.", err=True)
