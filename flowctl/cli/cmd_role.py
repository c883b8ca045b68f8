"""``flowctl role bind|unbind|list``: roles of tokens, people (OIDC users) and groups per project/domain."""

from __future__ import annotations

from typing import Annotated

import typer

from flowctl.cli._options import TableFormat
from flowctl.cli.cmd_registry import RegistryOption
from flowctl.cli.cmd_token import DomainOpt, ProjectOpt, _table, open_auth

SubjectArg = Annotated[str, typer.Argument(help="token:NAME, user:SUBJECT (OIDC sub or e-mail) or group:NAME.")]


def register(app: typer.Typer) -> None:
    role_app = typer.Typer(help="Give roles to tokens, people and groups on projects and domains.",
                           no_args_is_help=True)

    @role_app.command("bind")
    def bind(
        subject: SubjectArg,
        role: Annotated[str, typer.Option("--role", help="viewer, operator, deployer or admin.")],
        project: ProjectOpt = None,
        domain: DomainOpt = None,
        registry: RegistryOption = None,
    ) -> None:
        """Give SUBJECT a role on every project, one project, or one project/domain (replaces its role there)."""
        from flowctl.state import holder

        store = open_auth(registry)
        try:
            store.bind(subject, role, project=project, domain=domain, created_by=holder())
        finally:
            store.close()
        typer.echo(f"{subject} is {role} on {'/'.join(p for p in (project, domain) if p) or 'every project'}.")

    @role_app.command("unbind")
    def unbind(subject: SubjectArg, project: ProjectOpt = None, domain: DomainOpt = None,
               registry: RegistryOption = None) -> None:
        """Remove SUBJECT's role binding at exactly this scope."""
        store = open_auth(registry)
        try:
            store.unbind(subject, project=project, domain=domain)
        finally:
            store.close()
        typer.echo(f"Removed the role of {subject} on {'/'.join(p for p in (project, domain) if p) or 'every project'}.")

    @role_app.command("list")
    def list_(
        registry: RegistryOption = None,
        output: Annotated[TableFormat, typer.Option("-o", "--output", help="Output format.")] = TableFormat.table,
    ) -> None:
        """List every role binding: subject, role, project, domain."""
        import json

        store = open_auth(registry)
        try:
            found = store.bindings()
        finally:
            store.close()
        rows = [{"subject": r.binding.subject, "role": r.binding.role, "project": r.binding.project,
                 "domain": r.binding.domain, "created_at": r.created_at.isoformat(), "created_by": r.created_by}
                for r in found]
        if output is TableFormat.json:
            typer.echo(json.dumps({"format_version": "1", "bindings": rows}, indent=2))
            return
        if not rows:
            typer.echo("No role bindings.")
            return
        _table(("SUBJECT", "ROLE", "PROJECT", "DOMAIN"),
               [(r.binding.subject, r.binding.role, r.binding.project or "*", r.binding.domain or "*") for r in found])

    app.add_typer(role_app, name="role")
