"""``flowctl get projects|tasks|workflows|launchplans|executions``: what the registry holds.

Tables for people (rich), ``-o json`` / ``-o yaml`` for scripts: one versioned document
``{"format_version": "1", "kind": ..., "items": [...]}``; JSON and YAML carry the specs.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from flowctl.cli._options import JsonAliasOpt, count
from flowctl.cli.cmd_registry import RegistryOption, browse_registry

if TYPE_CHECKING:
    from flowctl.state import StoredEntity


class Output(StrEnum):
    table = "table"
    json = "json"
    yaml = "yaml"


ProjectOption = Annotated[str | None, typer.Option("-p", "--project", help="Only this project.", show_default=False)]
DomainOption = Annotated[str | None, typer.Option("-d", "--domain", help="Only this domain.", show_default=False)]
NameOption = Annotated[str | None, typer.Option("--name", help="Only this name.", show_default=False)]
VersionOption = Annotated[str | None, typer.Option("--version", help="Only this version.", show_default=False)]
OutputOption = Annotated[Output, typer.Option("-o", "--output", help="table, json or yaml.")]


def print_table(table: Any) -> None:
    """Print a rich table as plain text: the terminal's width, unlimited when piped (never cut, like kubectl)."""
    import io
    import shutil
    import sys

    from rich.console import Console

    width = shutil.get_terminal_size().columns if sys.stdout.isatty() else 100_000
    buffer = io.StringIO()
    Console(file=buffer, width=width, color_system=None).print(table)
    typer.echo("\n".join(line.rstrip() for line in buffer.getvalue().splitlines()))


def _when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value is not None else "-"


def _emit(kind: str, items: list[dict[str, Any]], output: Output, columns: list[tuple[str, str]], empty: str) -> None:
    """Print ``items`` as a table (``columns``: header, key) or as a JSON/YAML document."""
    if output is not Output.table:
        import json

        document = {"format_version": "1", "kind": kind, "items": items}
        text = json.dumps(document, indent=2, default=str)
        if output is Output.yaml:
            import yaml

            text = yaml.safe_dump(json.loads(text), sort_keys=False, allow_unicode=True).rstrip()
        typer.echo(text)
        return
    if not items:
        typer.echo(empty)
        return
    from rich.table import Table

    table = Table(box=None, pad_edge=False, show_edge=False)
    for header, _ in columns:
        table.add_column(header, no_wrap=True)
    for item in items:
        table.add_row(*(str(item.get(key) if item.get(key) is not None else "-") for _, key in columns))
    print_table(table)


def _entity_item(entity: StoredEntity, active: set[tuple[str, str, str, str]]) -> dict[str, Any]:
    return {
        "kind": entity.kind.value, "project": entity.project, "domain": entity.domain, "name": entity.name,
        "version": entity.version, "digest": entity.digest, "created_at": entity.created_at.isoformat(),
        "created_by": entity.created_by, "managed_by": entity.managed_by, "bundle_uri": entity.bundle_uri,
        **({"active": (entity.project, entity.domain, entity.name, entity.version) in active}
           if entity.kind.value == "launch_plan" else {}),
        "spec": entity.spec,
    }


def _get_entities(kind_value: str, label: str, registry: str | None, project: str | None, domain: str | None,
                  name: str | None, version: str | None, output: Output) -> None:
    from flowctl._address import EntityKind

    kind = EntityKind(kind_value)
    store = browse_registry(registry)
    try:
        entities = store.list_entities(kind, project, domain, name, version)
        active: set[tuple[str, str, str, str]] = set()
        if kind is EntityKind.LAUNCH_PLAN:
            active = {(a.project, a.domain, a.name, a.version) for a in store.active_launch_plans()}
    finally:
        store.close()
    items = [_entity_item(entity, active) for entity in entities]
    for item in items:
        item["digest_short"] = item["digest"].removeprefix("sha256:")[:12]
        item["created"] = item["created_at"][:19].replace("T", " ")
        if "active" in item:
            item["status"] = "active" if item["active"] else ""
    columns = [("PROJECT", "project"), ("DOMAIN", "domain"), ("NAME", "name"), ("VERSION", "version")]
    if kind is EntityKind.LAUNCH_PLAN:
        columns.append(("STATUS", "status"))
    columns += [("DIGEST", "digest_short"), ("CREATED", "created"), ("BY", "created_by"), ("MANAGED BY", "managed_by")]
    if output is not Output.table:
        for item in items:
            for key in ("digest_short", "created", "status"):
                item.pop(key, None)
    _emit(label, items, output, columns, f"No {label.replace('_', ' ')} found.")


def register(app: typer.Typer) -> None:
    get_app = typer.Typer(help="List what the registry holds.", no_args_is_help=True)

    @get_app.command("projects")
    def projects(
        registry: RegistryOption = None,
        project: ProjectOption = None,
        output: OutputOption = Output.table,
        json_output: JsonAliasOpt = False,
    ) -> None:
        """List projects with their domains and state."""
        output = Output.json if json_output else output
        store = browse_registry(registry)
        try:
            found = store.list_projects()
        finally:
            store.close()
        items = [
            {
                "name": listing.name, "state": listing.state, "domains": list(listing.spec["domains"]),
                "description": listing.spec["description"], "labels": dict(listing.spec["labels"]),
                "managed_by": listing.managed_by, "domain_settings": dict(sorted(listing.domain_settings.items())),
            }
            for listing in found
            if project is None or listing.name == project
        ]
        if output is Output.table:
            for item in items:
                item["domains_text"] = ", ".join(item["domains"])
        columns = [("NAME", "name"), ("STATE", "state"), ("DOMAINS", "domains_text"), ("DESCRIPTION", "description"),
                   ("MANAGED BY", "managed_by")]
        _emit("projects", items, output, columns, "No projects found.")

    def entity_command(command: str, kind_value: str, label: str, doc: str) -> None:
        def command_fn(
            registry: RegistryOption = None,
            project: ProjectOption = None,
            domain: DomainOption = None,
            name: NameOption = None,
            version: VersionOption = None,
            output: OutputOption = Output.table,
            json_output: JsonAliasOpt = False,
        ) -> None:
            _get_entities(kind_value, label, registry, project, domain, name, version,
                          Output.json if json_output else output)

        command_fn.__doc__ = doc
        get_app.command(command)(command_fn)

    entity_command("tasks", "task", "tasks", "List registered task versions.")
    entity_command("workflows", "workflow", "workflows", "List registered workflow versions.")
    entity_command("launchplans", "launch_plan", "launch_plans", "List launch plan versions and which one is active.")

    @get_app.command("executions")
    def executions(
        registry: RegistryOption = None,
        project: ProjectOption = None,
        domain: DomainOption = None,
        name: NameOption = None,
        limit: Annotated[int, typer.Option("--limit", parser=count(1),
                                           help="At most this many, newest first (1-1000000).")] = 50,
        output: OutputOption = Output.table,
        json_output: JsonAliasOpt = False,
    ) -> None:
        """List executions, newest first."""
        output = Output.json if json_output else output
        store = browse_registry(registry)
        try:
            found = store.list_executions(project, domain, name, limit=limit)
        finally:
            store.close()
        items = []
        for execution in found:
            item = dict(execution.__dict__)
            for key in ("created_at", "started_at", "finished_at"):
                item[key] = item[key].isoformat() if item[key] is not None else None
            if output is Output.table:
                item["launch_plan"] = f"{execution.launch_plan_name}@{execution.launch_plan_version}"
                item["created"] = _when(execution.created_at)
                if execution.started_at and execution.finished_at:
                    item["duration"] = f"{(execution.finished_at - execution.started_at).total_seconds():.1f}s"
            items.append(item)
        columns = [("PROJECT", "project"), ("DOMAIN", "domain"), ("NAME", "name"), ("LAUNCH PLAN", "launch_plan"),
                   ("PHASE", "phase"), ("CREATED", "created"), ("DURATION", "duration"), ("BY", "created_by")]
        _emit("executions", items, output, columns, "No executions found.")

    app.add_typer(get_app, name="get")
