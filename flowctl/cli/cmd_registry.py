"""``flowctl registry info|migrate``: where the registry is, its schema, lineage, serial and counts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from flowctl.cli._options import JsonAliasOpt, OutputFormatOpt, TableFormat, wants_json

if TYPE_CHECKING:
    from flowctl.state._interface import BrowsableStore, RegistryBrowser

RegistryOption = Annotated[
    str | None,
    typer.Option("--registry", help="Registry URL (overrides FLOWCTL_REGISTRY and flowctl.toml).", show_default=False),
]


def open_registry(registry: str | None) -> BrowsableStore:
    """Open the configured, existing registry (flag > FLOWCTL_REGISTRY > flowctl.toml > default), or
    the flowctl server's (FLOWCTL_SERVER).

    It is never created or migrated here: that is `flowctl init`, `apply` and `registry migrate`."""
    from flowctl._config import Config
    from flowctl.cli._stores import open_registry as open_store

    return open_store(Config(flags={"registry.url": registry}))


def browse_registry(registry: str | None) -> RegistryBrowser:
    """The configured, existing registry (or the server's) for listing only: ``flowctl get``, ``registry info``.

    Read without SQLAlchemy where it can be (``state/_browser``), so these commands start fast."""
    from flowctl._config import Config
    from flowctl.cli._stores import open_browser

    return open_browser(Config(flags={"registry.url": registry}))


def register(app: typer.Typer) -> None:
    registry_app = typer.Typer(help="Inspect and migrate the registry database.", no_args_is_help=True)

    @registry_app.command("info")
    def info(
        registry: RegistryOption = None,
        output: OutputFormatOpt = TableFormat.table,
        json_output: JsonAliasOpt = False,
    ) -> None:
        """Show the registry URL (password masked), backend, schema version, lineage, serial and counts."""
        import json

        store = browse_registry(registry)
        try:
            details = store.info()
        finally:
            store.close()
        if wants_json(output, json_output):
            typer.echo(json.dumps({"format_version": "1", **details.__dict__}, indent=2))
            return
        rows = [
            ("URL", details.url),
            ("Backend", details.backend),
            ("Schema version", f"{details.schema_version} (this flowctl knows up to {details.schema_head})"),
            ("Lineage", details.lineage),
            ("Serial", str(details.serial)),
            *((name.replace("_", " ").capitalize(), str(count)) for name, count in details.counts.items()),
        ]
        width = max(len(label) for label, _ in rows) + 1
        for label, value in rows:
            typer.echo(f"{label + ':':<{width}} {value}")

    @registry_app.command("migrate")
    def migrate(registry: RegistryOption = None) -> None:
        """Create the registry, or bring its schema up to the version this flowctl needs."""
        from flowctl._config import Config
        from flowctl._redact import mask_url
        from flowctl.state import SCHEMA_HEAD
        from flowctl.state._open import create_registry

        url = Config(flags={"registry.url": registry}).registry_url
        result = create_registry(url)
        if result.changed:
            typer.echo(f"Migrated the registry at {mask_url(url)} from {result.before or '(empty)'} to {result.after}.")
        else:
            typer.echo(f"The registry at {mask_url(url)} is up to date (schema {SCHEMA_HEAD}).")

    app.add_typer(registry_app, name="registry")
