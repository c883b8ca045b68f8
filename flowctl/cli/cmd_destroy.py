"""``flowctl destroy``: plan and apply the removal of everything a manifest set declares.

The same code path, confirmation, lock and exit codes as ``flowctl apply`` (Terraform's
``destroy``). Registered versions are immutable and stay; every launch plan the manifests
activated is deactivated, so no schedule of theirs fires any more.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from flowctl.cli._colour import NoColorOpt
from flowctl.cli.cmd_apply import AutoApproveOpt, LockTimeoutOpt
from flowctl.cli.cmd_plan import DirtyOpt, RegistryOpt, TargetOpt, VersionOpt


def register(app: typer.Typer) -> None:
    @app.command("destroy")
    def destroy(
        path: Annotated[Path | None, typer.Argument(help="Manifest file, folder or package (default: the current "
                                                    "folder).", show_default=False)] = None,
        auto_approve: AutoApproveOpt = False,
        lock_timeout: LockTimeoutOpt = 0.0,
        json_output: Annotated[bool, typer.Option("--json", help="Print the plan and apply events as JSON lines.")] = False,
        detailed_exitcode: Annotated[bool, typer.Option("--detailed-exitcode", help="With nothing to destroy exit 0, "
                                                        "after destroying something 2, on errors 1.")] = False,
        version: VersionOpt = None,
        allow_dirty: DirtyOpt = False,
        target: TargetOpt = None,
        registry: RegistryOpt = None,
        no_color: NoColorOpt = False,
    ) -> None:
        """Deactivate every launch plan the manifests activated (their schedules stop); versions stay registered.

        Shows the plan and asks for `yes` (or --auto-approve). Exit codes: 0 done or nothing to do,
        1 error (2 with --detailed-exitcode when something was destroyed).
        """
        from flowctl.cli import _plan_support as support
        from flowctl.cli.cmd_apply import _apply

        config = support.config_for(registry, path)
        store = support.open_registry(config, create=True)
        try:
            changed = _apply(None, config.manifests(path), store, config, auto_approve=auto_approve,
                             lock_timeout=lock_timeout, json_output=json_output, version=version,
                             allow_dirty=allow_dirty, target=target, allow_breaking=True, no_color=no_color, destroy=True)
        finally:
            store.close()
        if detailed_exitcode and changed:
            raise SystemExit(support.EXIT_CHANGES)

    _ = destroy
