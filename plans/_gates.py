"""Promotion gates, judged from the registry snapshot (pure): successes, soak time, approval.

``compute_plan`` calls :func:`evaluate_gates` for every promotion that would move a target domain;
``apply_plan`` calls :func:`recheck_gates` under the registry lock, with a fresh snapshot, and
refuses the whole apply (nothing written) when a gate the plan saw as met is not met any more.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flowctl._errors import ApplyError, Diagnostic
from flowctl.plans._model import GateStatus, Plan, PromotionState, PromotionStep
from flowctl.spec import PromotionGates
from flowctl.state._interface import RegistrySnapshot


class PromotionGateError(ApplyError):
    """A promotion gate is not met: nothing was applied. The CLI exits with ``EXIT_GATE`` (4)."""

    code = "USER:PromotionGate"


EXIT_GATE = 4


def evaluate_gates(gates: PromotionGates, snapshot: RegistrySnapshot, *, project: str, source: str, target: str,
                   workflow: str, version: str, now: datetime) -> tuple[GateStatus, ...]:
    """The status of every gate ``gates`` declares, for promoting ``workflow@version`` to ``target``."""
    statuses = []
    if gates.require_successes:
        statuses.append(_successes(gates.require_successes, snapshot, project, source, workflow, version))
    if gates.soak_seconds:
        statuses.append(_soak(gates.soak_seconds, snapshot, project, source, workflow, version, now))
    if gates.require_approval:
        statuses.append(_approval(snapshot, project, source, target, workflow, version))
    return tuple(statuses)


def _successes(required: int, snapshot: RegistrySnapshot, project: str, source: str, workflow: str,
               version: str) -> GateStatus:
    count = snapshot.succeeded_executions.get((project, source, workflow, version), 0)
    return GateStatus(
        gate="successes", required=f"{required} succeeded execution(s) in {source}", actual=f"{count} succeeded",
        met=count >= required,
        fix=f"run it in {source} until it has succeeded {required} time(s): "
        f"flowctl launch {project} {source} {workflow} --version {version}")


def _soak(seconds: int, snapshot: RegistrySnapshot, project: str, source: str, workflow: str, version: str,
          now: datetime) -> GateStatus:
    required = f"active in {source} for {format_duration(seconds)}"
    record = snapshot.active_launch_plans.get((project, source, workflow))
    if record is None or record.version != version:
        return GateStatus(gate="soak", required=required, actual=f"{version} is not the active version in {source}",
                          met=False, fix=f"the soak time counts from its activation in {source}")
    since = as_utc(record.activated_at)
    age = max(as_utc(now) - since, timedelta(0))
    ready = since + timedelta(seconds=seconds)
    return GateStatus(gate="soak", required=required,
                      actual=f"active for {format_duration(int(age.total_seconds()))} (since {since:%Y-%m-%d %H:%M} UTC)",
                      met=age >= timedelta(seconds=seconds), fix=f"wait until {ready:%Y-%m-%d %H:%M} UTC")


def _approval(snapshot: RegistrySnapshot, project: str, source: str, target: str, workflow: str,
              version: str) -> GateStatus:
    approvals = snapshot.approvals.get((project, target, workflow, version), ())
    actual = "; ".join(f"approved by {a.approved_by} at {as_utc(a.approved_at):%Y-%m-%d %H:%M} UTC"
                       for a in approvals) or "no approval recorded"
    return GateStatus(gate="approval", required=f"an approval of {version} for {target}", actual=actual,
                      met=bool(approvals),
                      fix=f"flowctl promote {project} {source} {target} --entity {workflow} --approve")


def recheck_gates(plan: Plan, snapshot: RegistrySnapshot, now: datetime) -> None:
    """Raise PromotionGateError when a gated promotion of ``plan`` is not allowed any more."""
    problems = []
    for step in plan.promotions:
        if step.state is not PromotionState.MOVES or not step.requires or step.version is None:
            continue
        statuses = evaluate_gates(PromotionGates.model_validate(step.requires), snapshot, project=step.project,
                                  source=step.source, target=step.domain, workflow=step.workflow,
                                  version=step.version, now=now)
        problems += [gate_diagnostic(step, status) for status in statuses if not status.met]
    if problems:
        raise PromotionGateError(diagnostics=[
            Diagnostic("A promotion gate is not met any more: nothing was applied",
                       "The plan saw these gates met; the registry says otherwise now. Meet them, or plan again "
                       "(the promotion then waits and the rest of the plan can be applied)."), *problems])


def gate_diagnostic(step: PromotionStep, status: GateStatus) -> Diagnostic:
    return Diagnostic(
        f"Promotion of {step.workflow}@{step.version or step.candidate} from {step.source} to {step.domain} "
        f"waits for its {status.gate} gate: {status.required}; {status.actual}",
        f"To meet it: {status.fix}." if status.fix else "", source=step.source_location, address=step.address)


def format_duration(seconds: int) -> str:
    """``90061`` -> ``1d 1h 1m``; under a minute: ``45s``."""
    days, rest = divmod(max(seconds, 0), 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{n}{unit}" for n, unit in ((days, "d"), (hours, "h"), (minutes, "m")) if n]
    return " ".join(parts) if parts else f"{secs}s"


def as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
