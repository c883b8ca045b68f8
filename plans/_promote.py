"""``flowctl promote``: the desired state that copies what a source domain runs into a target domain.

For every workflow the source domain runs (its default launch plan is active there; or the one
named with ``workflow``), the target gets that version with the exact stored specs (through the
same ``promoted_from`` resolution a manifest uses) and the same launch plans activated. The
result is a partial desired state, planned in ``PlanMode.PROMOTE`` (nothing is deactivated).
"""

from __future__ import annotations

from flowctl._address import EntityKind
from flowctl._errors import PlanError
from flowctl.spec import ActivationSpec, DesiredState, RegistrationSpec
from flowctl.state._interface import RegistrySnapshot


def promotion_desired_state(
    snapshot: RegistrySnapshot, project: str, source: str, target: str, *, workflow: str | None = None,
    manifest_id: str = "flowctl promote",
) -> DesiredState:
    """Raises PlanError when the source domain runs nothing (or not ``workflow``)."""
    active = {key[2]: record for key, record in snapshot.active_launch_plans.items() if key[:2] == (project, source)}
    workflows: dict[str, str] = {}
    for name, record in sorted(active.items()):
        lp = snapshot.entities.get((EntityKind.LAUNCH_PLAN, project, source, name, record.version))
        wf_name = str(lp.spec.get("workflow")) if lp is not None else name
        if workflow is None or wf_name == workflow:
            workflows.setdefault(wf_name, record.version)
    if workflow is not None and workflow not in workflows:
        versions = sorted((e.created_at, e.version) for k, e in snapshot.entities.items()
                          if k[:4] == (EntityKind.WORKFLOW, project, source, workflow))
        if not versions:
            raise PlanError(f"Workflow `{workflow}` is not registered in {project}/{source}",
                            detail=f"Register it there first (flowctl apply), then promote it to {target}.")
        workflows[workflow] = versions[-1][1]
    if not workflows:
        raise PlanError(f"Nothing to promote: {project}/{source} has no active launch plans",
                        detail="Apply the source domain first, or name a workflow with --workflow.")
    registrations = []
    activations = []
    for wf_name, version in sorted(workflows.items()):
        registrations.append(RegistrationSpec(project=project, domain=target, kind=EntityKind.WORKFLOW, name=wf_name,
                                              version=version, promoted_from=source))
        for name, record in sorted(active.items()):
            lp = snapshot.entities.get((EntityKind.LAUNCH_PLAN, project, source, name, record.version))
            if lp is None or lp.spec.get("workflow") != wf_name or record.version != version:
                continue
            if name != wf_name:
                registrations.append(RegistrationSpec(project=project, domain=target, kind=EntityKind.LAUNCH_PLAN,
                                                      name=name, version=version, promoted_from=source))
            activations.append(ActivationSpec(project=project, domain=target, name=name, version=version,
                                              promoted_from=source))
    return DesiredState(manifest_id=manifest_id, registrations=tuple(registrations), activations=tuple(activations),
                        version_source="explicit")
