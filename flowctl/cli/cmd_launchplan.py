"""``flowctl launchplan activate|deactivate``: switch a launch plan's active version by hand.

A hand switch is recorded with who and when (``managed_by`` "manual"), outside any apply: in a
domain the manifests manage, ``flowctl drift`` reports it as drift and the next ``flowctl apply``
restores what the manifests say. Use it for an emergency rollback; make it permanent in the
manifest (or with ``flowctl promote``).
"""

from __future__ import annotations

from typing import Annotated

import typer

from flowctl.cli.cmd_apply import LockTimeoutOpt
from flowctl.cli.cmd_plan import RegistryOpt

MANUAL = "manual"
Project = Annotated[str, typer.Argument(help="The project.")]
Domain = Annotated[str, typer.Argument(help="The domain.")]
Name = Annotated[str, typer.Argument(help="The launch plan name (a workflow's default launch plan has its name).")]


def register(app: typer.Typer) -> None:
    lp_app = typer.Typer(help="Switch launch plan activations by hand (outside an apply).", no_args_is_help=True)

    @lp_app.command("activate")
    def activate(project: Project, domain: Domain, name: Name,
                 version: Annotated[str, typer.Argument(help="The registered version to make active.")],
                 lock_timeout: LockTimeoutOpt = 0.0, registry: RegistryOpt = None) -> None:
        """Make VERSION the active version of the launch plan (its schedule runs from now on)."""
        _switch(project, domain, name, version, lock_timeout=lock_timeout, registry=registry)

    @lp_app.command("deactivate")
    def deactivate(project: Project, domain: Domain, name: Name, lock_timeout: LockTimeoutOpt = 0.0,
                   registry: RegistryOpt = None) -> None:
        """Deactivate the launch plan: its schedule stops; its versions are kept."""
        _switch(project, domain, name, None, lock_timeout=lock_timeout, registry=registry)

    app.add_typer(lp_app, name="launchplan")


def _switch(project: str, domain: str, name: str, version: str | None, *, lock_timeout: float,
            registry: str | None) -> None:
    from flowctl.cli import _plan_support as support
    from flowctl.state import lock_info
    from flowctl.state._actor import current_user

    store = support.open_registry(support.config_for(registry))
    where = f"{project}/{domain}/launch_plan/{name}"
    try:
        before = store.snapshot().active_launch_plans.get((project, domain, name))
        with store.lock(lock_info("activate", where), timeout=lock_timeout), store.transaction() as tx:
            if version is None:
                tx.deactivate(project, domain, name)
            else:
                tx.activate(project, domain, name, version, managed_by=MANUAL, activated_by=current_user())
    finally:
        store.close()
    was = before.version if before else "nothing"
    now = f"{version} is active" if version else "nothing is active"
    typer.echo(f"{where}: {now} (was: {was}). Changed by hand: `flowctl drift` reports it where manifests "
               "manage this launch plan, and the next `flowctl apply` restores what they say.")
