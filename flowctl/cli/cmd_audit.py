"""``flowctl audit``: the writes the server allowed — who, what, where, when, from where."""

from __future__ import annotations

from typing import Annotated

import typer

from flowctl.cli._options import TableFormat, count
from flowctl.cli.cmd_registry import RegistryOption
from flowctl.cli.cmd_token import _table, open_auth


def register(app: typer.Typer) -> None:
    @app.command("audit")
    def audit(
        registry: RegistryOption = None,
        limit: Annotated[int, typer.Option("--limit", help="How many rows, newest first.", parser=count(1, 10_000))] = 100,
        identity: Annotated[str | None, typer.Option("--identity", help="Only this identity (e.g. token:ci-prod).",
                                                     show_default=False)] = None,
        output: Annotated[TableFormat, typer.Option("-o", "--output", help="Output format.")] = TableFormat.table,
    ) -> None:
        """Show the audit log of `flowctl server`: every allowed write, newest first."""
        import json

        store = open_auth(registry)
        try:
            rows = store.audit(limit=limit, identity=identity)
        finally:
            store.close()
        docs = [{"at": r.at.isoformat(), "identity": r.identity, "identity_kind": r.identity_kind, "action": r.action,
                 "operation": r.operation, "address": r.address, "client": r.client, "detail": r.detail} for r in rows]
        if output is TableFormat.json:
            typer.echo(json.dumps({"format_version": "1", "entries": docs}, indent=2))
            return
        if not docs:
            typer.echo("The audit log is empty (it records the writes made through `flowctl server`).")
            return
        _table(("WHEN", "IDENTITY", "ACTION", "OPERATION", "ADDRESS", "CLIENT"),
               [(f"{r.at:%Y-%m-%d %H:%M:%S}", r.identity, r.action, r.operation, r.address, r.client) for r in rows])
