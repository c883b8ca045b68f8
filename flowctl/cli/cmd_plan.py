"""``flowctl plan``: what apply would change in the registry, as text, JSON or markdown."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from flowctl._address import Address
    from flowctl._config import Config
    from flowctl.cli._plan_support import Planned
from flowctl.cli._colour import NoColorOpt
from flowctl.cli._options import JsonAliasOpt, PlanFormat, PlanFormatOpt

PathArg = Annotated[Path | None, typer.Argument(help="Manifest file, folder or package (default: the current folder).",
                                                show_default=False)]
VersionOpt = Annotated[str | None, typer.Option("--version", help="Version to register current code at "
                                                "(default: the git SHA of the manifest repository).")]
DirtyOpt = Annotated[bool, typer.Option("--allow-dirty", help="Allow uncommitted changes: the version becomes "
                                        "<sha>-dirty-<content digest>.")]
RegistryOpt = Annotated[str | None, typer.Option("--registry", help="Registry URL (overrides FLOWCTL_REGISTRY and "
                                                 "flowctl.toml).")]
TargetOpt = Annotated[list[str] | None, typer.Option("--target", help="Limit the plan to ADDRESS and what it needs "
                                                     "(repeatable), e.g. proj/dev/workflow/wf.")]
BreakingOpt = Annotated[bool, typer.Option("--allow-breaking", help="Accept breaking interface changes (else exit 3).")]


def register(app: typer.Typer) -> None:
    @app.command("plan")
    def plan(
        path: PathArg = None,
        output: PlanFormatOpt = PlanFormat.text,
        json_output: JsonAliasOpt = False,
        out: Annotated[Path | None, typer.Option("--out", help="Save the plan to FILE for `flowctl apply FILE`.")] = None,
        detailed_exitcode: Annotated[bool, typer.Option("--detailed-exitcode", help="Exit 0 without changes, "
                                                        "2 with changes, 1 on errors.")] = False,
        version: VersionOpt = None,
        allow_dirty: DirtyOpt = False,
        target: TargetOpt = None,
        allow_breaking: BreakingOpt = False,
        registry: RegistryOpt = None,
        no_color: NoColorOpt = False,
    ) -> None:
        """Compare the manifests with the registry and show what `flowctl apply` would do.

        Exit codes: 0 success (with --detailed-exitcode: no changes), 1 error, 2 changes
        (--detailed-exitcode), 3 breaking interface changes without --allow-breaking.
        """
        from flowctl.cli import _plan_support as support

        fmt = support.check_output(output.value, json_output)
        targets = support.parse_targets(target)
        config = support.config_for(registry, path)
        store = support.open_for_plan(config)
        try:
            support.report_lock_holders(store)
            planned = support.plan_from_manifests(config.manifests(path), store, version=version,
                                                  allow_dirty=allow_dirty, targets=targets,
                                                  exclude=[out] if out is not None else [])
        finally:
            store.close()
        try:
            _show(planned, fmt, config, targets, out=out, allow_breaking=allow_breaking,
                  detailed_exitcode=detailed_exitcode, no_color=no_color)
        finally:
            support.remember_outputs([out], within=planned.manifest_root)

    _ = plan


def _show(planned: Planned, fmt: str, config: Config, targets: list[Address], *, out: Path | None,
          allow_breaking: bool, detailed_exitcode: bool, no_color: bool) -> None:
    """Print the plan, save it with ``--out``, and exit with the documented code."""
    from flowctl.cli import _cluster_support as cluster_support
    from flowctl.cli import _plan_support as support
    from flowctl.plans import save_plan

    plan_ = planned.plan
    cluster = (cluster_support.plan_cluster(config, planned.desired, targets)
               if planned.desired is not None else None)
    support.echo_plan(plan_, fmt, cluster, no_color=no_color)
    if plan_.breaking and not allow_breaking:
        support.err(support.breaking_message(plan_))
        raise SystemExit(support.EXIT_BREAKING)
    if out is not None:
        save_plan(support.with_desired_state(planned), out, manifest_root=planned.manifest_root, cluster=cluster)
        support.err(f"Saved the plan to: {out}\nTo perform exactly these actions, run: flowctl apply {out}")
    if detailed_exitcode and support.has_changes(plan_, cluster):
        raise SystemExit(support.EXIT_CHANGES)
