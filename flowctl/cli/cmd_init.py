"""``flowctl init``: create the registry and the blob store folder (the read-only commands never do)."""

from __future__ import annotations

from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    @app.command("init")
    def init(
        registry: Annotated[str | None, typer.Option("--registry", help="Registry URL (overrides FLOWCTL_REGISTRY "
                                                     "and flowctl.toml).", show_default=False)] = None,
        blob_store: Annotated[str | None, typer.Option("--blob-store", help="Blob store URL or folder.",
                                                       show_default=False)] = None,
    ) -> None:
        """Create the registry (SQLite file 0600, or the tables in a PostgreSQL schema) and a local blob store
        folder (0700). Safe to run again: an existing registry is kept (and migrated when it is older).
        """
        from pathlib import Path

        from flowctl._config import Config
        from flowctl._redact import mask_url
        from flowctl._workdir import make_folder
        from flowctl.state import SCHEMA_HEAD
        from flowctl.state._open import create_registry

        config = Config(flags={"registry.url": registry, "blob_store.url": blob_store})
        url = config.registry_url
        result = create_registry(url)
        if result.before is None:
            typer.echo(f"Created the registry at {mask_url(url)} (schema {SCHEMA_HEAD}).")
        elif result.changed:
            typer.echo(f"Migrated the registry at {mask_url(url)} from {result.before} to {result.after}.")
        else:
            typer.echo(f"The registry at {mask_url(url)} already exists (schema {SCHEMA_HEAD}).")
        blobs = config.blob_store_url
        if "://" not in blobs or blobs.startswith("file://"):
            make_folder(Path(blobs.removeprefix("file://")))
            typer.echo(f"Blob store: {blobs}")
