"""``flowctl promote``: give a domain exactly what another domain runs (never rebuilt)."""

from __future__ import annotations

from typing import Annotated

import typer

from flowctl.cli._options import PlanFormat, count
from flowctl.cli.cmd_apply import AutoApproveOpt, LockTimeoutOpt
from flowctl.cli.cmd_plan import BreakingOpt, RegistryOpt


def register(app: typer.Typer) -> None:
    @app.command("promote")
    def promote(
        project: Annotated[str, typer.Argument(help="The project.")],
        from_domain: Annotated[str, typer.Option("--from", help="Source domain, e.g. staging.")],
        to_domain: Annotated[str, typer.Option("--to", help="Target domain, e.g. production.")],
        workflow: Annotated[str | None, typer.Option("--workflow", help="Promote only this workflow "
                                                     "(default: every workflow the source domain runs).")] = None,
        require_successes: Annotated[int, typer.Option("--require-successes", parser=count(0), help="Refuse unless each "
                                                       "promoted version has at least N succeeded executions in the "
                                                       "source domain.")] = 0,
        auto_approve: AutoApproveOpt = False,
        lock_timeout: LockTimeoutOpt = 0.0,
        allow_breaking: BreakingOpt = False,
        output: Annotated[PlanFormat, typer.Option("-o", "--output", help="Format of the plan.")] = PlanFormat.text,
        registry: RegistryOpt = None,
    ) -> None:
        """Register in --to the versions --from runs, with their exact stored specs, and activate them.

        The same plan as a manifest with `promoted_from(FROM)` would make; shown, then applied
        after `yes` (or --auto-approve). Launch plans active in the target are never deactivated.
        """
        from datetime import UTC, datetime

        from flowctl.cli import _plan_support as support
        from flowctl.plans import PlanMode, compute_plan, promotion_desired_state

        fmt = support.check_output(output.value, False)
        config = support.config_for(registry)
        store = support.open_registry(config)
        try:
            snapshot = store.snapshot()
            desired = promotion_desired_state(snapshot, project, from_domain, to_domain, workflow=workflow)
            plan_ = compute_plan(desired, snapshot, now=datetime.now(UTC), mode=PlanMode.PROMOTE)
            plan_ = plan_.model_copy(update={"desired_state": desired.to_json()})
            typer.echo(support.render(plan_, fmt), nl=False)
            if require_successes and plan_.has_changes:
                _check_successes(store, desired, project, from_domain, require_successes)
            if plan_.breaking and not allow_breaking:
                support.err(support.breaking_message(plan_))
                raise SystemExit(support.EXIT_BREAKING)
            if not plan_.has_changes:
                return
            support.confirm(auto_approve, f"Promote to {project}/{to_domain}?")
            support.run_apply(plan_, store, config, None, lock_timeout=lock_timeout, json_lines=False,
                              operation="promote")
        finally:
            store.close()

    _ = promote


def _check_successes(store: object, desired: object, project: str, domain: str, required: int) -> None:
    """Each promoted workflow version needs ``required`` succeeded executions in the source domain."""
    from flowctl._address import EntityKind
    from flowctl._errors import Diagnostic, PlanError
    from flowctl.spec import DesiredState

    assert isinstance(desired, DesiredState)
    list_executions = getattr(store, "list_executions", None)
    if list_executions is None:
        raise PlanError("--require-successes needs the executions of the registry",
                        detail="This registry backend does not expose executions; promote without the gate.")
    executions = list_executions(project, domain, limit=100_000)
    problems = []
    for reg in desired.registrations:
        if reg.kind != EntityKind.WORKFLOW:
            continue
        count = sum(1 for e in executions if e.workflow_name == reg.name and e.workflow_version == reg.version
                    and str(e.phase).lower() == "succeeded")
        if count < required:
            problems.append(Diagnostic(
                f"Workflow `{reg.name}`@{reg.version} has {count} succeeded execution(s) in {project}/{domain}; "
                f"--require-successes needs {required}",
                f"Run it in {domain} until it has succeeded {required} time(s) (flowctl launch {project} {domain} "
                f"{reg.name} --version {reg.version}), or lower --require-successes.",
                address=f"{project}/{domain}/workflow/{reg.name}@{reg.version}"))
    if problems:
        raise PlanError(diagnostics=problems)
