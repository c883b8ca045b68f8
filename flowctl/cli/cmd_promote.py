"""``flowctl promote PROJECT SOURCE TARGET``: give a domain exactly what another domain runs (never rebuilt).

Exit codes: 0 promoted (or nothing to promote), 1 error or cancelled, 3 breaking interface changes
without --allow-breaking, 4 a promotion gate is not met (nothing was promoted).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from flowctl.cli._options import PlanFormat, count
from flowctl.cli.cmd_apply import AutoApproveOpt, LockTimeoutOpt
from flowctl.cli.cmd_plan import BreakingOpt, RegistryOpt

if TYPE_CHECKING:
    from datetime import datetime

    from flowctl._config import Config
    from flowctl.plans import Plan
    from flowctl.spec import DesiredState, PromotionGates
    from flowctl.state import ApprovalRecord, RegistrySnapshot, Store


def register(app: typer.Typer) -> None:
    @app.command("promote")
    def promote(
        project: Annotated[str, typer.Argument(help="The project.")],
        source: Annotated[str | None, typer.Argument(help="Source domain, e.g. staging.", show_default=False)] = None,
        target: Annotated[str | None, typer.Argument(help="Target domain, e.g. production.",
                                                     show_default=False)] = None,
        from_domain: Annotated[str | None, typer.Option("--from", help="Same as SOURCE.")] = None,
        to_domain: Annotated[str | None, typer.Option("--to", help="Same as TARGET.")] = None,
        entity: Annotated[list[str] | None, typer.Option(
            "--entity", "--workflow", help="Promote only this workflow (or the workflow of this launch plan); "
            "repeatable. Default: everything the source domain runs.")] = None,
        dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would move and the gates; change "
                                              "nothing.")] = False,
        approve: Annotated[bool, typer.Option("--approve", help="Record your approval of the versions that move "
                                              "(for require_approval gates), then promote them.")] = False,
        require_successes: Annotated[int, typer.Option("--require-successes", parser=count(0), help="Refuse unless each "
                                                       "promoted version has at least N succeeded executions in the "
                                                       "source domain.")] = 0,
        soak: Annotated[str | None, typer.Option("--soak", help="Refuse unless each promoted version has been "
                                                 "active in the source domain this long (24h, 30m, 2d).")] = None,
        require_approval: Annotated[bool, typer.Option("--require-approval", help="Refuse unless each promoted "
                                                       "version was approved for the target.")] = False,
        auto_approve: AutoApproveOpt = False,
        lock_timeout: LockTimeoutOpt = 0.0,
        allow_breaking: BreakingOpt = False,
        manifests: Annotated[Path | None, typer.Option(
            "--manifests", help="Read the gates the manifests declare for TARGET from PATH (default: "
            "manifests.path of flowctl.toml, else the gates the last apply recorded).")] = None,
        output: Annotated[PlanFormat, typer.Option("-o", "--output", help="Format of the plan.")] = PlanFormat.text,
        registry: RegistryOpt = None,
    ) -> None:
        """Register in TARGET the versions SOURCE runs, with their exact stored specs, and activate them.

        The same plan a manifest with `promoted_from(SOURCE)` makes, with the gates the manifests
        declared for TARGET plus the ones given here; shown, then applied after `yes` (or
        --auto-approve). Launch plans active in the target are never deactivated. Exit codes: 0 done,
        1 error, 3 breaking changes without --allow-breaking, 4 a gate is not met.
        """
        from flowctl.cli import _plan_support as support
        from flowctl.plans import EXIT_GATE

        src, dst = _domains(source, target, from_domain, to_domain)
        gates = _flag_gates(require_successes, soak, require_approval)
        fmt = support.check_output(output.value, False)
        config = support.config_for(registry, manifests)
        store = support.open_registry(config)
        try:
            manifest_path = config.manifests(manifests, default_to_cwd=False)
            if dry_run:  # reads only, as `flowctl plan`: it reports a lock holder and plans
                support.report_lock_holders(store)
                declared = _declared_gates(store, manifest_path, project, src, dst)
                plan_, _ = _plan(store, project, src, dst, entity or [], declared, gates, approve=False)
                _show(plan_, fmt, allow_breaking=allow_breaking)
                if approve:
                    support.err("--dry-run: no approval was recorded.")
                raise SystemExit(EXIT_GATE if plan_.held else 0)
            with support.planning_lock(store, "promote", lock_timeout):  # before the plan is computed
                declared = _declared_gates(store, manifest_path, project, src, dst)
                plan_, approvals = _plan(store, project, src, dst, entity or [], declared, gates, approve=approve)
                _show(plan_, fmt, allow_breaking=allow_breaking)
                _promote(plan_, approvals, store, config, question=f"Promote to {project}/{dst}?",
                         auto_approve=auto_approve)
        finally:
            store.close()

    _ = promote


def _show(plan_: Plan, fmt: str, *, allow_breaking: bool) -> None:
    """Print the plan; exit 3 on breaking changes without --allow-breaking."""
    from flowctl.cli import _plan_support as support

    typer.echo(support.render(plan_, fmt), nl=False)
    if plan_.breaking and not allow_breaking:
        support.err(support.breaking_message(plan_))
        raise SystemExit(support.EXIT_BREAKING)


def _promote(plan_: Plan, approvals: list[ApprovalRecord], store: Store, config: Config, *, question: str,
             auto_approve: bool) -> None:
    """Ask, record the approvals, and apply the plan (the caller holds the registry lock)."""
    from flowctl.cli import _plan_support as support

    if not plan_.held and not plan_.has_changes:
        return
    if plan_.held and not approvals:
        _refuse(plan_)
    support.confirm(auto_approve, question)
    _record(store, approvals)
    if plan_.held:
        _refuse(plan_, approved=True)
    support.run_apply(plan_, store, config, None, lock_timeout=0.0, json_lines=False, operation="promote",
                      locked=True)


def _domains(source: str | None, target: str | None, from_domain: str | None,
             to_domain: str | None) -> tuple[str, str]:
    from flowctl._errors import InputError

    if (source and from_domain and source != from_domain) or (target and to_domain and target != to_domain):
        raise InputError("The source or target domain is given twice, differently",
                         detail="Write `flowctl promote PROJECT SOURCE TARGET` (or --from SOURCE --to TARGET).")
    src, dst = source or from_domain, target or to_domain
    if not src or not dst:
        raise InputError("Which domains? Name the source and the target domain",
                         detail="For example: flowctl promote my-ml-project staging production")
    if src == dst:
        raise InputError(f"Cannot promote {src} to itself", detail="Name two different domains of the project.")
    return src, dst


def _flag_gates(require_successes: int, soak: str | None, require_approval: bool) -> PromotionGates:
    from flowctl._errors import InputError
    from flowctl._project import parse_duration
    from flowctl.spec import PromotionGates

    seconds, problem = parse_duration(soak) if soak is not None else (0, None)
    if problem:
        raise InputError(f"Invalid --soak {soak!r}", detail=problem.replace("soak", "--soak", 1))
    return PromotionGates(require_successes=require_successes, soak_seconds=seconds, require_approval=require_approval)


def _declared_gates(store: Store, manifests: Path | None, project: str, source: str,
                    target: str) -> dict[str, PromotionGates]:
    """The gates the manifests declare for ``target`` (loaded from ``manifests``), else the gates the
    newest apply recorded: `flowctl promote` never skips a gate a manifest put there."""
    from flowctl._address import EntityKind
    from flowctl._manifest import load_manifest
    from flowctl.plans._promote import declared_gates

    if manifests is None:
        return declared_gates(store.apply_history(limit=50), project, source, target)
    desired = load_manifest(manifests, version="promote", allow_dirty=True).desired  # only its gates are read
    return {r.name: r.gates for r in desired.registrations
            if (r.project, r.domain, r.kind, r.promoted_from) == (project, target, EntityKind.WORKFLOW, source)
            and r.gates is not None}


def _plan(store: Store, project: str, source: str, target: str, entities: list[str],
          declared: dict[str, PromotionGates], flag_gates: PromotionGates, *,
          approve: bool) -> tuple[Plan, list[ApprovalRecord]]:
    """The promotion plan; with ``approve``, as it is once this user's approvals are stored."""
    from datetime import UTC, datetime

    from flowctl.plans import PlanMode, compute_plan, promotion_desired_state
    from flowctl.plans._promote import with_approvals

    now = datetime.now(UTC)
    snapshot = store.snapshot()
    desired = promotion_desired_state(snapshot, project, source, target, entities=entities, gates=declared,
                                      default_gates=flag_gates)
    approvals = _approvals(desired, snapshot, project, source, target, now) if approve else []
    return compute_plan(desired, with_approvals(snapshot, approvals), now=now, mode=PlanMode.PROMOTE), approvals


def _approvals(desired: DesiredState, snapshot: RegistrySnapshot, project: str, source: str, target: str,
               now: datetime) -> list[ApprovalRecord]:
    """One approval by this user for every workflow version that would move to ``target``."""
    from flowctl._address import EntityKind
    from flowctl.state import ApprovalRecord
    from flowctl.state._actor import current_user

    user = current_user()
    records = []
    for reg in desired.registrations:
        running = snapshot.active_launch_plans.get((project, target, reg.name))
        if reg.kind == EntityKind.WORKFLOW and reg.version and (running is None or running.version != reg.version):
            records.append(ApprovalRecord(project, target, source, reg.name, reg.version, user, now))
    return records


def _record(store: Store, approvals: list[ApprovalRecord]) -> None:
    from flowctl.cli import _plan_support as support

    for record in approvals:
        new = store.record_approval(record)
        support.err(f"{'Approved' if new else 'Already approved'}: {record.workflow}@{record.version} for "
                    f"{record.project}/{record.domain} (by {record.approved_by}).")


def _refuse(plan_: Plan, *, approved: bool = False) -> None:
    """Exit 4: a gate holds at least one promotion, so nothing is promoted (no half promotion)."""
    from flowctl.cli import _plan_support as support
    from flowctl.plans import EXIT_GATE
    from flowctl.plans._gates import gate_diagnostic

    lines = [gate_diagnostic(step, gate).render() for step in plan_.held for gate in step.gates if not gate.met]
    head = ("Approval recorded; nothing was promoted yet" if approved
            else "Nothing was promoted: a promotion gate is not met")
    support.err(f"Error: {head}\n" + "\n".join(lines) + "\n  The next `flowctl apply` (of manifests that promote "
                "it) or `flowctl promote` moves it once its gates are met; promote the others with --entity.")
    raise SystemExit(EXIT_GATE)
