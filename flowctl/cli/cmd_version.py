"""``flowctl version [-o json]`` (and the root ``--version``): what is installed here.

flowctl's own version, Python's, the registry schema version this flowctl writes (the newest
migration) and the providers, with whether each can be used here.
"""

from __future__ import annotations

from typing import Any

import typer

from flowctl.cli._options import JsonAliasOpt, OutputFormatOpt, TableFormat, wants_json

VERSION_FORMAT_VERSION = "1"


def flowctl_version() -> str:
    """The installed distribution's version (fast: no flowctl layer is imported)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("flowctl")
    except PackageNotFoundError:  # running from a checkout that is not installed
        return "unknown"


def version_document() -> dict[str, Any]:
    import platform
    from importlib.util import find_spec

    from flowctl.state._migrate import SCHEMA_HEAD

    kubernetes = find_spec("kubernetes") is not None
    return {
        "version_format_version": VERSION_FORMAT_VERSION,
        "flowctl": flowctl_version(),
        "python": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "registry_schema": SCHEMA_HEAD,
        "providers": [
            {"name": "local", "available": True, "note": ""},
            {"name": "kubernetes", "available": kubernetes,
             "note": "" if kubernetes else "install flowctl[kubernetes]"},
        ],
    }


def register(app: typer.Typer) -> None:
    @app.command("version")
    def version(
        output: OutputFormatOpt = TableFormat.table,
        json_output: JsonAliasOpt = False,
    ) -> None:
        """Print flowctl's version, Python's, the registry schema version and the providers."""
        import json

        doc = version_document()
        if wants_json(output, json_output):
            typer.echo(json.dumps(doc, indent=2))
            return
        typer.echo(f"flowctl {doc['flowctl']}")
        typer.echo(f"Python {doc['python']} ({doc['python_implementation']})")
        typer.echo(f"registry schema {doc['registry_schema']}")
        for provider in doc["providers"]:
            state = "available" if provider["available"] else f"not available ({provider['note']})"
            typer.echo(f"provider {provider['name']}: {state}")

    _ = version
