"""``flowctl config show``: the effective settings and where each came from."""

from __future__ import annotations

import typer

from flowctl.cli._options import JsonAliasOpt, OutputFormatOpt, TableFormat, wants_json


def register(app: typer.Typer) -> None:
    config_app = typer.Typer(help="Inspect flowctl's configuration.", no_args_is_help=True)

    @config_app.command("show")
    def show(
        output: OutputFormatOpt = TableFormat.table,
        json_output: JsonAliasOpt = False,
    ) -> None:
        """Print the effective settings, where each came from, passwords and secrets masked."""
        import json

        from flowctl._config import Config
        from flowctl._redact import mask_url

        config = Config()
        rows = [
            {"key": r.key, "value": ("***" if r.key.endswith("secret") else mask_url(r.value)) if r.value else r.value,
             "origin": r.origin}
            for r in config.resolved()
        ]
        if wants_json(output, json_output):
            typer.echo(json.dumps({"config_file": str(config.file) if config.file else None, "settings": rows}, indent=2))
            return
        typer.echo(f"config file: {config.file or '(none)'}")
        width = max(len(str(r["key"])) for r in rows)
        for row in rows:
            typer.echo(f"{row['key']:<{width}}  {row['value'] or '-'}  ({row['origin']})")

    app.add_typer(config_app, name="config")
