"""``flowctl promote``: the desired state that copies what a source domain runs into a target domain.

For every workflow the source domain runs (its default launch plan is active there; or the ones
named with ``entities``), the target gets that version with the exact stored specs (through the
same ``promoted_from`` resolution a manifest uses, gates included) and the same launch plans
activated. The result is a partial desired state, planned in ``PlanMode.PROMOTE`` (nothing is
deactivated). The gates are the stricter of the command's options and the gates the manifests
declared for that target (as the last apply recorded them), so ``flowctl promote`` cannot skip
a gate a reviewed manifest put there.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from flowctl._address import EntityKind
from flowctl._errors import PlanError
from flowctl.spec import ActivationSpec, DesiredState, PromotionGates, RegistrationSpec
from flowctl.state._interface import ApplyRecord, ApprovalRecord, RegistrySnapshot, StoredEntity

PROMOTE_MANIFEST = "flowctl promote"


def promotion_desired_state(
    snapshot: RegistrySnapshot, project: str, source: str, target: str, *, entities: Sequence[str] = (),
    gates: Mapping[str, PromotionGates] | None = None, default_gates: PromotionGates | None = None,
    manifest_id: str = PROMOTE_MANIFEST,
) -> DesiredState:
    """Raises PlanError when the source domain runs nothing (or not one of ``entities``).

    ``entities``: workflow or launch plan names to promote (default: everything the source runs);
    ``gates``: per workflow name, what the promotion waits for; ``default_gates`` are added to them.
    """
    active = {key[2]: record for key, record in snapshot.active_launch_plans.items() if key[:2] == (project, source)}
    runs = _running_workflows(snapshot, project, source, active)
    workflows = _chosen(snapshot, project, source, target, runs, entities)
    registrations, activations = [], []
    for wf_name, version in sorted(workflows.items()):
        wf_gates = (gates or {}).get(wf_name, PromotionGates()).merged(default_gates or PromotionGates())
        registrations.append(RegistrationSpec(project=project, domain=target, kind=EntityKind.WORKFLOW, name=wf_name,
                                              version=version, promoted_from=source,
                                              gates=wf_gates if wf_gates.any else None))
        for name, record in sorted(active.items()):
            lp = snapshot.entities.get((EntityKind.LAUNCH_PLAN, project, source, name, record.version))
            if lp is None or lp.spec.get("workflow") != wf_name or record.version != version:
                continue
            if name != wf_name:
                registrations.append(RegistrationSpec(project=project, domain=target, kind=EntityKind.LAUNCH_PLAN,
                                                      name=name, version=version, promoted_from=source))
            activations.append(ActivationSpec(project=project, domain=target, name=name, version=None,
                                              promoted_from=source))  # follows the promotion (or its hold)
    return DesiredState(manifest_id=manifest_id, registrations=tuple(registrations), activations=tuple(activations),
                        version_source="explicit")


def _running_workflows(snapshot: RegistrySnapshot, project: str, source: str,
                       active: Mapping[str, Any]) -> dict[str, str]:
    """workflow -> version, for every workflow a launch plan active in the source runs."""
    runs: dict[str, str] = {}
    for name, record in sorted(active.items()):
        lp = snapshot.entities.get((EntityKind.LAUNCH_PLAN, project, source, name, record.version))
        runs.setdefault(str(lp.spec.get("workflow")) if lp is not None else name, record.version)
    return runs


def _chosen(snapshot: RegistrySnapshot, project: str, source: str, target: str, runs: dict[str, str],
            entities: Sequence[str]) -> dict[str, str]:
    if not entities:
        if not runs:
            raise PlanError(f"Nothing to promote: {project}/{source} has no active launch plans",
                            detail="Apply the source domain first, or name a workflow with --entity.")
        return runs
    chosen: dict[str, str] = {}
    for name in entities:
        workflow = _workflow_of(snapshot, project, source, name)
        if workflow in runs:
            chosen[workflow] = runs[workflow]
            continue
        versions = _stored(snapshot, EntityKind.WORKFLOW, project, source, workflow)
        if not versions:
            known = ", ".join(sorted(runs)) or "nothing"
            raise PlanError(f"Workflow `{name}` is not registered in {project}/{source}",
                            detail=f"{project}/{source} runs: {known}. Register it there first (flowctl apply), "
                            f"then promote it to {target}.")
        chosen[workflow] = max(versions, key=lambda e: (e.created_at, e.version)).version
    return chosen


def _workflow_of(snapshot: RegistrySnapshot, project: str, source: str, name: str) -> str:
    """``name`` itself, or the workflow of the launch plan called ``name`` in the source domain."""
    if _stored(snapshot, EntityKind.WORKFLOW, project, source, name):
        return name
    plans = _stored(snapshot, EntityKind.LAUNCH_PLAN, project, source, name)
    return str(max(plans, key=lambda e: e.created_at).spec.get("workflow")) if plans else name


def _stored(snapshot: RegistrySnapshot, kind: EntityKind, project: str, domain: str, name: str) -> list[StoredEntity]:
    return [e for k, e in snapshot.entities.items() if k[:4] == (kind, project, domain, name)]


def declared_gates(history: Sequence[ApplyRecord], project: str, source: str, target: str) -> dict[str, PromotionGates]:
    """The gates the newest manifest apply declared for ``project/target`` promoted from ``source``."""
    for record in history:
        if record.operation == "promote":
            continue
        found: dict[str, PromotionGates] = {}
        regs = record.desired_state.get("registrations") or ()
        for reg in regs:
            if (reg.get("project"), reg.get("domain"), reg.get("kind"), reg.get("promoted_from")) == (
                    project, target, EntityKind.WORKFLOW.value, source) and reg.get("gates"):
                found[str(reg["name"])] = PromotionGates.model_validate(reg["gates"])
        if any(r.get("project") == project and r.get("domain") == target for r in regs):
            return found  # the newest apply that manages the target decides
    return {}


def with_approvals(snapshot: RegistrySnapshot, records: Sequence[ApprovalRecord]) -> RegistrySnapshot:
    """``snapshot`` as it will be once ``records`` are stored (what ``promote --approve`` shows first)."""
    approvals = dict(snapshot.approvals)
    for record in records:
        key = (record.project, record.domain, record.workflow, record.version)
        approvals[key] = (*approvals.get(key, ()), record)
    return replace(snapshot, approvals=approvals)
