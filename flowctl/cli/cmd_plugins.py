"""``flowctl plugins list``: the task types available here, built-in and from plugins."""

from __future__ import annotations

from typing import Annotated

import typer

from flowctl.cli._options import JsonAliasOpt, OutputFormatOpt, TableFormat, wants_json


def register(app: typer.Typer) -> None:
    plugins_app = typer.Typer(help="Inspect task-type plugins (entry point group flowctl.task_types).",
                              no_args_is_help=True)

    @plugins_app.command("list")
    def list_(
        output: OutputFormatOpt = TableFormat.table,
        json_output: JsonAliasOpt = False,
        strict: Annotated[bool, typer.Option("--strict", help="Exit 1 when a plugin failed to load.")] = False,
    ) -> None:
        """List every task type: name, task type, source distribution, status (ok, or failed with the reason)."""
        import json

        from flowctl.tasktypes import plugins

        infos = plugins()
        rows = [{"name": "python", "task_type": "python", "source": "flowctl (built-in)", "status": "ok", "reason": ""}]
        rows += [{"name": i.name, "task_type": i.task_type or "-", "source": i.source, "status": i.status,
                  "reason": i.reason} for i in infos]
        if wants_json(output, json_output):
            typer.echo(json.dumps({"format_version": 1, "plugins": rows}, indent=2))
        else:
            headers = {"name": "NAME", "task_type": "TASK TYPE", "source": "SOURCE", "status": "STATUS"}
            widths = {k: max(len(h), *(len(str(r[k])) for r in rows)) for k, h in headers.items()}
            typer.echo("  ".join(h.ljust(widths[k]) for k, h in headers.items()).rstrip())
            for row in rows:
                status = row["status"] if row["status"] == "ok" else f"failed: {row['reason']}"
                cells = [str(row[k]).ljust(widths[k]) for k in ("name", "task_type", "source")]
                typer.echo("  ".join([*cells, status]))
        if strict and any(r["status"] != "ok" for r in rows):
            raise typer.Exit(1)

    app.add_typer(plugins_app, name="plugins")
