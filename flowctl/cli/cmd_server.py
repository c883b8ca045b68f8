"""``flowctl server``: the HTTP API and the web console (optionally with a controller)."""

from __future__ import annotations

from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    @app.command("server")
    def server(
        host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
        port: Annotated[int, typer.Option("--port", help="Port to listen on (0: any free port).")] = 8080,
        with_controller: Annotated[bool, typer.Option("--with-controller", help="Also run the controller (engine and scheduler) in this process.")] = False,
        registry: Annotated[str | None, typer.Option("--registry", help="Registry URL.")] = None,
        blob_store: Annotated[str | None, typer.Option("--blob-store", help="Blob store URL or folder.")] = None,
        provider: Annotated[str | None, typer.Option("--provider", help="With --with-controller: local or kubernetes.")] = None,
        poll_interval: Annotated[float, typer.Option("--poll-interval", help="Controller: seconds between passes when idle.")] = 0.5,
        log_level: Annotated[str, typer.Option("--log-level", help="uvicorn log level.")] = "warning",
    ) -> None:
        """Serve the JSON API (/api/v1) and the web console (/console/) over the registry.

        `flowctl server --with-controller` is a whole system on one machine. Ctrl-C or SIGTERM stops it.
        """
        try:
            from flowctl.server import ServeOptions, serve
        except ImportError as exc:
            from flowctl._errors import FlowctlError

            raise FlowctlError(
                "The server is not installed", detail=f"{exc}\nInstall it with `pip install 'flowctl[server]'`."
            ) from exc
        from flowctl.cli._engine import config_for

        config = config_for(registry, blob_store, provider)
        serve(config, ServeOptions(host=host, port=port, with_controller=with_controller, poll_interval=poll_interval,
                                   log_level=log_level))
