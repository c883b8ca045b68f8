"""``flowctl drift``: what changed in the registry (and the cluster) that no apply made.

Exit status: 0 no drift, 2 drift (findings not accepted), 1 error.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from flowctl.cli._colour import NoColorOpt
from flowctl.cli._options import JsonAliasOpt, output_format

if TYPE_CHECKING:
    from flowctl._config import Config
    from flowctl.plans.drift import DriftReport
    from flowctl.spec import DesiredState

EXIT_DRIFT = 2


class ReportFormat(StrEnum):
    TEXT = "text"
    JSON = "json"
    MARKDOWN = "markdown"
    HTML = "html"


def register(app: typer.Typer) -> None:
    @app.command("drift")
    def drift(
        path: Annotated[
            Path | None,
            typer.Argument(
                help="Manifest file or folder, for the pending changes and what apply would do (default: "
                "manifests.path of flowctl.toml; without it, no manifest is loaded)."
            ),
        ] = None,
        report_format: Annotated[ReportFormat, typer.Option(
            "-o", "--output", "--format", parser=output_format(ReportFormat), metavar="[text|json|markdown|html]",
            help="Report format: text, json, markdown or html (--format is the old spelling).")] = ReportFormat.TEXT,
        json_output: JsonAliasOpt = False,
        out: Annotated[Path | None, typer.Option("--out", help="Write the report to FILE instead of stdout.")] = None,
        no_color: NoColorOpt = False,
        accept: Annotated[
            Path | None,
            typer.Option(
                "--accept", help="YAML/JSON file of accepted drift (address, reason, owner, expires)."
            ),
        ] = None,
        registry: Annotated[
            str | None, typer.Option("--registry", help="Registry URL (overrides config).")
        ] = None,
        no_cluster: Annotated[
            bool,
            typer.Option("--no-cluster", help="Judge the registry only, even with the kubernetes provider."),
        ] = False,
    ) -> None:
        """Report drift: changes to the registry or the cluster that no apply made.

        Compares the world with what the last apply recorded; a manifest change that is not
        applied yet is listed as a pending change, not as drift. Exit status 0 when there is no
        drift, 2 when there is, 1 on error.
        """
        from flowctl.cli._plan_support import remember_outputs

        report = _compute(path, registry=registry, accept=accept, check_cluster=not no_cluster)
        fmt = ReportFormat.JSON if json_output else report_format
        text = _render(report, fmt)
        if out is not None:
            from flowctl._outfile import write_output_file

            write_output_file(out, text, what="the drift report")
            typer.echo(f"{report.summary_line()} Report written to {out}.", err=True)
        elif fmt is ReportFormat.TEXT:
            from flowctl.cli._colour import echo_text

            echo_text(text, no_color=no_color)
        else:
            typer.echo(text, nl=False)
        remember_outputs([out], within=path if path is not None and path.is_dir() else Path.cwd())
        if report.has_drift:
            # SystemExit, not typer.Exit: main() runs click with standalone_mode=False, which turns
            # typer.Exit into a return value and drops its code. FlowctlError reaches main(): exit 1.
            raise SystemExit(EXIT_DRIFT)


def _render(report: DriftReport, output_format: ReportFormat) -> str:
    from flowctl.plans import drift

    renderers = {
        ReportFormat.TEXT: drift.render_text,
        ReportFormat.JSON: drift.render_json,
        ReportFormat.MARKDOWN: drift.render_markdown,
        ReportFormat.HTML: drift.render_html,
    }
    return renderers[output_format](report)


def _compute(
    path: Path | None, *, registry: str | None, accept: Path | None, check_cluster: bool
) -> DriftReport:
    from datetime import UTC, datetime

    from flowctl.cli._plan_support import config_for
    from flowctl.cli._stores import is_remote, open_registry
    from flowctl.plans.drift import load_acceptances
    from flowctl.plans.drift._gather import build_report

    config = config_for(registry, path)  # the same settings and paths as plan and apply
    acceptances = load_acceptances(accept) if accept is not None else []
    manifest = _load_manifest(config.manifests(path, default_to_cwd=False))
    url = config.registry_url
    now = datetime.now(UTC)
    store = open_registry(config)  # drift compares with the last apply: it never creates a registry
    executions = _remote_executions(config.server_url) if is_remote(config) else _execution_store(url)
    try:
        return build_report(
            store,
            now=now,
            manifest=manifest,
            fire_reader=_fire_reader(executions) if executions is not None else None,
            cluster_reader=_cluster_reader(config, url) if check_cluster else None,
            acceptances=acceptances,
        )
    finally:
        if executions is not None:
            executions.close()
        store.close()


def _load_manifest(path: Path | None) -> DesiredState | None:
    """The manifest's desired state (for the pending changes and the remedies), or None.

    Only an explicit PATH or the configured ``manifests.path`` is loaded (and must load): drift
    never imports whatever Python files happen to be in the current folder. A dirty tree is
    allowed: this is a report.
    """
    from flowctl._manifest import load_manifest

    return load_manifest(path, allow_dirty=True).desired if path is not None else None


def _execution_store(url: str) -> Any:
    """The execution store, where the scheduler records its fires (None if it cannot be opened)."""
    from flowctl._errors import FlowctlError

    try:
        from flowctl.state._executions import open_execution_store

        return open_execution_store(url, create=False)
    except (ImportError, FlowctlError):
        return None


def _remote_executions(server: str | None) -> Any:
    """The server's schedule fires (``fires``), through its API."""
    from flowctl.client import RemoteExecutions

    assert server is not None
    return RemoteExecutions.connect(server)


def _fire_reader(executions: Any) -> Any:
    def read(project: str, domain: str, name: str) -> list[Any]:
        return [fire.fire_time for fire in executions.fires(project, domain, name)]

    return read


def _cluster_reader(config: Config, url: str) -> Any:
    """Reads flowctl's objects on the cluster, when the provider is kubernetes (else None)."""
    if (config.get("provider.name") or "local") != "kubernetes":
        return None
    from flowctl.plans.drift._kube import cluster_reader_from_config

    return cluster_reader_from_config(config, url)
