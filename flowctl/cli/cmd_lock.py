"""``flowctl lock list|break``: who holds the registry lock, and breaking a dead holder's lock."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from flowctl.cli._options import JsonAliasOpt, OutputFormatOpt, TableFormat, wants_json
from flowctl.cli.cmd_registry import RegistryOption, open_registry


def register(app: typer.Typer) -> None:
    lock_app = typer.Typer(help="List and break registry locks.", no_args_is_help=True)

    @lock_app.command("list")
    def list_(
        registry: RegistryOption = None,
        output: OutputFormatOpt = TableFormat.table,
        json_output: JsonAliasOpt = False,
    ) -> None:
        """List held registry locks: id, holder, operation, age, last heartbeat."""
        import json

        from flowctl.state._lock_messages import format_age
        from flowctl.state._types import utcnow

        store = open_registry(registry)
        try:
            locks = store.list_locks()
        finally:
            store.close()
        now = utcnow()
        rows = [
            {
                "id": lock.id, "holder": lock.holder, "operation": lock.operation, "info": lock.info,
                "created_at": lock.created_at.isoformat(), "heartbeat_at": lock.heartbeat_at.isoformat(),
                "ttl_seconds": lock.ttl_seconds,
                "age": format_age((now - lock.created_at).total_seconds()),
                "expired": (now - lock.heartbeat_at).total_seconds() > lock.ttl_seconds,
            }
            for lock in locks
        ]
        if wants_json(output, json_output):
            typer.echo(json.dumps({"format_version": "1", "locks": rows}, indent=2))
            return
        if not rows:
            typer.echo("No locks are held.")
            return
        from rich.table import Table

        from flowctl.cli.cmd_get import print_table

        table = Table(box=None, pad_edge=False)
        for column in ("ID", "HOLDER", "OPERATION", "INFO", "AGE", "HEARTBEAT", "STATUS"):
            table.add_column(column, no_wrap=True)
        for row, lock in zip(rows, locks, strict=True):
            beat = format_age((now - lock.heartbeat_at).total_seconds()) + " ago"
            age = format_age((now - lock.created_at).total_seconds())
            table.add_row(lock.id, lock.holder, lock.operation, lock.info, age, beat, "expired" if row["expired"] else "held")
        print_table(table)

    @lock_app.command("break")
    def break_(
        lock_id: Annotated[str, typer.Argument(help="The lock id shown by `flowctl lock list`.")],
        registry: RegistryOption = None,
        force: Annotated[bool, typer.Option("--force", help="Do not ask for confirmation.")] = False,
    ) -> None:
        """Break a lock whose holder is gone (on PostgreSQL this ends the holder's database session)."""
        from flowctl._errors import InputError, LockError

        store = open_registry(registry)
        try:
            lock = next((lock for lock in store.list_locks() if lock.id == lock_id), None)
            if lock is None:
                raise LockError(f"No lock with id `{lock_id}`", detail="Run `flowctl lock list` to see the held locks.")
            if not force:
                if not sys.stdin.isatty():
                    raise InputError(
                        f"Refusing to break lock {lock_id} without confirmation",
                        detail="stdin is not a terminal: pass --force to break the lock non-interactively.",
                    )
                answer = typer.prompt(
                    f"Break lock {lock_id} held by {lock.holder} for `{lock.operation}`? "
                    "Only 'yes' will be accepted"
                )
                if answer != "yes":
                    typer.echo("Lock not broken.")
                    raise typer.Exit(1)
            store.break_lock(lock_id)
        finally:
            store.close()
        typer.echo(f"Lock {lock_id} (held by {lock.holder} for `{lock.operation}`) is broken.")

    app.add_typer(lock_app, name="lock")
