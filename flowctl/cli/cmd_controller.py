"""``flowctl controller``: run the scheduler and the execution engine."""

from __future__ import annotations

from typing import Annotated

import typer

from flowctl.cli._options import ProviderName, count, seconds


def register(app: typer.Typer) -> None:
    @app.command("controller")
    def controller(
        once: Annotated[bool, typer.Option("--once", help="Run one pass (schedules, executions, notifications) and exit.")] = False,
        until_idle: Annotated[bool, typer.Option("--until-idle", help="Exit when no execution is queued or running.")] = False,
        provider: Annotated[ProviderName | None, typer.Option("--provider", help="Where attempts run.")] = None,
        poll_interval: Annotated[float, typer.Option("--poll-interval", parser=seconds(0, 3600, above=True),
                                                     help="Seconds between passes when idle (> 0).")] = 0.5,
        lease_seconds: Annotated[float | None, typer.Option(
            "--lease-seconds", parser=seconds(0, above=True),
            help="Claim lease in seconds (> 0); another controller takes over after it.")] = None,
        slots: Annotated[int | None, typer.Option("--slots", parser=count(1, 10_000),
                                                  help="Local provider: attempts running at once (>= 1).")] = None,
        no_schedules: Annotated[bool, typer.Option("--no-schedules", help="Do not fire schedules.")] = False,
        registry: Annotated[str | None, typer.Option("--registry", help="Registry URL.")] = None,
        blob_store: Annotated[str | None, typer.Option("--blob-store", help="Blob store URL or folder.")] = None,
        verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log every step.")] = False,
    ) -> None:
        """Drive executions (DAG walking, retries, caching, timeouts, aborts) and fire schedules.

        SIGTERM or Ctrl-C finishes the current pass, releases this controller's claims and exits 0;
        running attempts keep running and are adopted by the next controller.
        """
        import logging
        import signal
        from dataclasses import replace

        from flowctl._log_redaction import install_log_redaction
        from flowctl.cli._engine import engine_context
        from flowctl.engine import Controller, clock_from_env

        logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                            format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        install_log_redaction()
        ctx = engine_context(registry=registry, blob_store=blob_store, provider=provider.value if provider else None,
                             slots=slots, command="`flowctl controller` (it runs beside the database)")
        if lease_seconds is not None:
            ctx.options = replace(ctx.options, lease_seconds=lease_seconds)
        ctrl = Controller(ctx, clock=clock_from_env(), schedules=not no_schedules)

        def _stop(signum: int, _frame: object) -> None:
            ctrl.stop()

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
        typer.echo(f"controller {ctx.owner} on {ctx.store.url} (provider {ctx.provider.name})", err=True)
        ctrl.run(poll_interval=poll_interval, once=once, until_idle=until_idle)
        typer.echo("controller stopped", err=True)
