"""``flowctl token create|list|revoke``: API tokens for `flowctl server` (CI jobs, scripts).

These commands work on the registry directly (whoever can open the registry database is its
administrator); the server only verifies tokens. The token is printed once: the registry keeps a
salted scrypt hash of its secret, never the secret.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Annotated

import typer

from flowctl.cli._options import TableFormat
from flowctl.cli.cmd_registry import RegistryOption

if TYPE_CHECKING:
    from flowctl.state._auth import AuthStore

ProjectOpt = Annotated[str | None, typer.Option(
    "--project", help="The project the role applies to (omit: every project).", show_default=False)]
DomainOpt = Annotated[str | None, typer.Option(
    "--domain", help="Only this domain of --project (e.g. production).", show_default=False)]


def open_auth(registry: str | None) -> AuthStore:
    from flowctl._config import Config
    from flowctl.state._auth import open_auth_store

    return open_auth_store(Config(flags={"registry.url": registry}).registry_url, create=False)


def register(app: typer.Typer) -> None:
    token_app = typer.Typer(help="Create, list and revoke API tokens of `flowctl server`.", no_args_is_help=True)

    @token_app.command("create")
    def create(
        name: Annotated[str, typer.Option("--name", help="A unique name, e.g. ci-prod (the identity in the audit log).")],
        role: Annotated[str, typer.Option("--role", help="viewer, operator, deployer or admin.")],
        project: ProjectOpt = None,
        domain: DomainOpt = None,
        expires: Annotated[str | None, typer.Option(
            "--expires", help="Lifetime such as 90d, 12h or 1d12h (default: never expires).")] = None,
        registry: RegistryOption = None,
    ) -> None:
        """Create a token with a role on a project (or project/domain); prints the token once."""
        import sys

        from flowctl.state import holder
        from flowctl.state._types import utcnow

        expires_at = utcnow() + _lifetime(expires) if expires else None
        store = open_auth(registry)
        try:
            record, token = store.create_token(name, role=role, project=project, domain=domain,
                                               expires_at=expires_at, created_by=holder())
        finally:
            store.close()
        where = "/".join(p for p in (project, domain) if p) or "every project"
        until = f", expires {record.expires_at:%Y-%m-%d %H:%M} UTC" if record.expires_at else ""
        sys.stderr.write(f"Created token `{name}` ({role} on {where}{until}). It is shown once; store it as a secret "
                         "(e.g. FLOWCTL_TOKEN) and send it as `Authorization: Bearer <token>`.\n")
        typer.echo(token)

    @token_app.command("list")
    def list_(
        registry: RegistryOption = None,
        output: Annotated[TableFormat, typer.Option("-o", "--output", help="Output format.")] = TableFormat.table,
    ) -> None:
        """List tokens (never their secrets): id, name, roles, state, created, expires, last used."""
        import json

        from flowctl.state._types import utcnow

        store = open_auth(registry)
        try:
            tokens = store.tokens()
            roles: dict[str, list[str]] = {}
            for b in store.bindings([t.subject for t in tokens]):
                roles.setdefault(b.binding.subject, []).append(f"{b.binding.role}@{b.binding.scope}")
        finally:
            store.close()
        now = utcnow()
        rows = [{"id": t.id, "name": t.name, "roles": roles.get(t.subject, []), "state": t.state(now),
                 "created_at": t.created_at.isoformat(), "created_by": t.created_by,
                 "expires_at": t.expires_at.isoformat() if t.expires_at else None,
                 "last_used_at": t.last_used_at.isoformat() if t.last_used_at else None} for t in tokens]
        if output is TableFormat.json:
            typer.echo(json.dumps({"format_version": "1", "tokens": rows}, indent=2))
            return
        if not rows:
            typer.echo("No tokens. Create one with `flowctl token create --name NAME --role ROLE --project PROJECT`.")
            return
        _table(("ID", "NAME", "ROLES", "STATE", "CREATED", "EXPIRES", "LAST USED"),
               [(t.id, t.name, ", ".join(roles.get(t.subject, [])), t.state(now), _day(t.created_at),
                 _day(t.expires_at), _day(t.last_used_at)) for t in tokens])

    @token_app.command("revoke")
    def revoke(
        token: Annotated[str, typer.Argument(help="The token's name or id (see `flowctl token list`).")],
        registry: RegistryOption = None,
    ) -> None:
        """Revoke a token: the server refuses it from the next request on."""
        store = open_auth(registry)
        try:
            record = store.revoke_token(token)
        finally:
            store.close()
        typer.echo(f"Revoked token `{record.name}` ({record.id}).")

    app.add_typer(token_app, name="token")


def _lifetime(text: str) -> timedelta:
    from flowctl._errors import InputError
    from flowctl._project import parse_duration

    seconds, problem = parse_duration(text)
    if problem is not None or seconds <= 0:
        raise InputError(f"Invalid --expires `{text}`", detail="Give a lifetime such as 90d, 12h, 30m or 1d12h.")
    return timedelta(seconds=seconds)


def _day(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M}" if value else "-"


def _table(columns: tuple[str, ...], rows: Sequence[Sequence[str]]) -> None:
    from rich.table import Table

    from flowctl.cli.cmd_get import print_table

    table = Table(box=None, pad_edge=False)
    for column in columns:
        table.add_column(column, no_wrap=True)
    for row in rows:
        table.add_row(*row)
    print_table(table)

