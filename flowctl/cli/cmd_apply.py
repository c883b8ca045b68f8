"""``flowctl apply``: plan (or load a saved plan), show it, ask, and make the registry match."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from flowctl._config import Config
    from flowctl.state import Store

from flowctl.cli._colour import NoColorOpt
from flowctl.cli._options import seconds
from flowctl.cli.cmd_plan import BreakingOpt, DirtyOpt, RegistryOpt, TargetOpt, VersionOpt

LockTimeoutOpt = Annotated[float, typer.Option("--lock-timeout", parser=seconds(0), help="Seconds to wait for the "
                                               "registry lock (default 0: fail at once when it is held).")]
AutoApproveOpt = Annotated[bool, typer.Option("--auto-approve", "-auto-approve", help="Apply without asking for `yes` (-auto-approve, as Terraform spells it, works too). A saved plan never asks.")]


def register(app: typer.Typer) -> None:
    @app.command("apply")
    def apply(
        path: Annotated[Path | None, typer.Argument(help="A saved plan (from `flowctl plan --out`), or a manifest "
                                                    "file, folder or package (default: the current folder).",
                                                    show_default=False)] = None,
        auto_approve: AutoApproveOpt = False,
        lock_timeout: LockTimeoutOpt = 0.0,
        json_output: Annotated[bool, typer.Option("--json", help="Print the plan and apply events as JSON lines.")] = False,
        version: VersionOpt = None,
        allow_dirty: DirtyOpt = False,
        target: TargetOpt = None,
        allow_breaking: BreakingOpt = False,
        registry: RegistryOpt = None,
        refresh_only: Annotated[bool, typer.Option(
            "--refresh-only", help="Accept the registry as it is now (after changes made by hand) as the new "
            "baseline for `flowctl drift`: shows what it accepts, then records it; changes nothing else.")] = False,
        no_color: NoColorOpt = False,
    ) -> None:
        """Make the registry match the manifests: register versions, then flip activations and settings.

        With --refresh-only, nothing is reverted: the drift since the last apply is shown and, once
        approved, recorded as the new baseline.

        Shows the plan and asks for `yes` (or --auto-approve). A saved plan is refused when the
        registry changed after it was made. Exit codes: 0 applied or nothing to do, 1 error,
        3 breaking interface changes without --allow-breaking, 4 a promotion gate the plan relied on
        is not met any more (nothing was applied).
        """
        from flowctl.cli import _plan_support as support
        from flowctl.plans import is_plan_file

        config = support.config_for(registry, path)
        store = support.open_registry(config, create=True)
        try:
            if refresh_only:
                _refresh_only(store, auto_approve=auto_approve, lock_timeout=lock_timeout, no_color=no_color)
                return
            saved_file = path if path is not None and is_plan_file(path) else None
            try:
                _apply(saved_file, config.manifests(path), store, config, auto_approve=auto_approve,
                       lock_timeout=lock_timeout, json_output=json_output, version=version, allow_dirty=allow_dirty,
                       target=target, allow_breaking=allow_breaking, no_color=no_color)
            finally:
                support.remember_outputs([saved_file], within=_root_of(saved_file, path, config))
        finally:
            store.close()

    _ = apply


def _root_of(saved_file: Path | None, path: Path | None, config: Config) -> Path | None:
    """The folder whose redirected output this command records (see ``remember_outputs``)."""
    if saved_file is not None:
        return saved_file.resolve().parent
    target = config.manifests(path)
    return target if target is None or target.is_dir() else target.parent


def _apply(saved_file: Path | None, path: Path | None, store: Store, config: Config, *, auto_approve: bool,
           lock_timeout: float, json_output: bool, version: str | None, allow_dirty: bool, target: list[str] | None,
           allow_breaking: bool, no_color: bool = False, destroy: bool = False) -> bool:
    """Take the lock, plan (or load the saved plan), show it, ask, and apply the registry and cluster changes.

    The lock is taken first, so a run that cannot get it fails before it plans and prints anything;
    a saved plan is checked for staleness before it is shown. A saved plan was reviewed when it was
    made: applying it does not ask again (as Terraform). Returns whether anything was changed."""
    from flowctl.cli import _plan_support as support

    with support.planning_lock(store, "destroy" if destroy else "apply", lock_timeout):
        return _apply_locked(saved_file, path, store, config, auto_approve=auto_approve or saved_file is not None,
                      json_output=json_output, version=version, allow_dirty=allow_dirty, target=target,
                      allow_breaking=allow_breaking, no_color=no_color, destroy=destroy)


def _apply_locked(saved_file: Path | None, path: Path | None, store: Store, config: Config, *, auto_approve: bool,
                  json_output: bool, version: str | None, allow_dirty: bool, target: list[str] | None,
                  allow_breaking: bool, no_color: bool, destroy: bool) -> bool:
    import json

    from flowctl.cli import _cluster_support as cluster_support
    from flowctl.cli import _plan_support as support
    from flowctl.plans import check_fresh, load_plan

    planned = None
    exclude = [saved_file] if saved_file is not None else []
    if saved_file is not None:
        if version or allow_dirty or target:
            support.err("Warning: --version, --allow-dirty and --target are ignored with a saved plan.")
        saved = load_plan(saved_file)  # breaking changes in it were accepted at plan time
        allow_breaking = True
        plan_, cluster = saved.plan, saved.cluster
        if plan_.has_changes:  # a stale plan fails before it is shown
            check_fresh(plan_, store.snapshot(), store.apply_history(limit=20))
        root = Path(saved.manifest_root) if saved.manifest_root else None
    else:
        targets = support.parse_targets(target)
        planned = support.plan_from_manifests(path, store, version=version, allow_dirty=allow_dirty,
                                              targets=targets, destroy=destroy)
        plan_, root = planned.plan, planned.manifest_root
        cluster = (cluster_support.plan_cluster(config, planned.desired, targets)
                   if planned.desired is not None and not destroy else None)
    if json_output:
        typer.echo(json.dumps({"type": "planned", "plan": support.plan_document(plan_, cluster)}))
    else:
        support.echo_plan(plan_, "text", cluster, no_color=no_color)
    if plan_.breaking and not allow_breaking:
        support.err(support.breaking_message(plan_))
        raise SystemExit(support.EXIT_BREAKING)
    if not support.has_changes(plan_, cluster):
        return False
    support.confirm(auto_approve, "Do you really want to destroy everything these manifests declare?"
                    if destroy else "Do you want to perform these actions?")
    if planned is not None:
        plan_ = support.with_desired_state(planned)
    if cluster is not None:  # refuse a stale cluster before writing anything
        cluster_support.check_cluster_fresh(cluster, config)
    if plan_.has_changes:
        support.run_apply(plan_, store, config, root, lock_timeout=0.0, json_lines=json_output,
                          exclude=exclude, operation="destroy" if destroy else "apply", locked=True)
    if cluster is not None and cluster.has_changes:
        support.run_cluster_apply(cluster, config, json_lines=json_output)
    return True


def _refresh_only(store: Store, *, auto_approve: bool, lock_timeout: float, no_color: bool) -> None:
    """``apply --refresh-only``: show the drift it would accept, ask, record the world as the baseline."""
    from flowctl.cli import _plan_support as support
    from flowctl.cli._colour import echo_text
    from flowctl.plans.drift import accept_world, refresh_preview, render_text

    preview = refresh_preview(store)
    echo_text(render_text(preview), no_color=no_color)
    if not preview.has_drift:
        typer.echo("No changes. The registry matches the last apply; nothing to accept.")
        return
    support.confirm(auto_approve, "Do you want to accept these changes as the new baseline?")
    record = accept_world(
        store,
        user=support.identity().user,
        expected_serial=preview.registry_serial,
        lock_timeout=lock_timeout,
    )
    typer.echo(record.summary)
