"""Literal specs and desired states for plan tests (no SDK needed)."""

from __future__ import annotations

from datetime import UTC, datetime

from flowctl._address import EntityKind
from flowctl.spec import (
    ActivationSpec,
    DesiredState,
    DomainSettingsSpec,
    InputSpec,
    InterfaceSpec,
    LaunchPlanSpec,
    NodeSpec,
    OutputSpec,
    ProjectSpec,
    RegistrationSpec,
    ScheduleSpec,
    TaskSpec,
    TypeSpec,
    WorkflowSpec,
)

NOW = datetime(2026, 3, 27, 12, 0, tzinfo=UTC)
FLOAT_LIST = TypeSpec(kind="list", args=(TypeSpec(kind="float"),))
MANIFEST = "manifests:."


def interface(inputs: dict[str, TypeSpec], *, optional: tuple[str, ...] = (), out: TypeSpec | None = None) -> InterfaceSpec:
    return InterfaceSpec(
        inputs=tuple(InputSpec(name=n, type=t, has_default=n in optional, default=1 if n in optional else None)
                     for n, t in inputs.items()),
        outputs=(OutputSpec(name="o0", type=out or TypeSpec(kind="float")),),
    )


def task(name: str, body: str = "v1") -> TaskSpec:
    return TaskSpec(name=name, interface=interface({"values": FLOAT_LIST}), config={"body": body})


def workflow(name: str, tasks: tuple[str, ...], inputs: dict[str, TypeSpec] | None = None,
             optional: tuple[str, ...] = ()) -> WorkflowSpec:
    nodes = tuple(NodeSpec(id=f"n{i}", kind="task", target=t) for i, t in enumerate(tasks))
    return WorkflowSpec(name=name, interface=interface({"values": FLOAT_LIST} if inputs is None else inputs, optional=optional),
                        nodes=nodes, tasks=tasks)


def launch_plan(name: str, wf: str, *, cron: str | None = None, tz: str = "UTC", fixed: dict | None = None,
                defaults: dict | None = None) -> LaunchPlanSpec:
    schedule = ScheduleSpec(kind="cron", cron_expression=cron, timezone=tz) if cron else None
    return LaunchPlanSpec(name=name, workflow=wf, schedule=schedule, fixed_inputs=fixed or {},
                          default_inputs=defaults or {})


def register_workflow(project: str, domain: str, wf: WorkflowSpec, tasks: list[TaskSpec], version: str,
                      source: str = "manifest.py:1") -> tuple[list[RegistrationSpec], ActivationSpec]:
    regs = [RegistrationSpec(project=project, domain=domain, kind=EntityKind.WORKFLOW, name=wf.name, version=version,
                             spec=wf, source=source)]
    regs += [RegistrationSpec(project=project, domain=domain, kind=EntityKind.TASK, name=t.name, version=version,
                              spec=t, source=source) for t in tasks]
    regs.append(RegistrationSpec(project=project, domain=domain, kind=EntityKind.LAUNCH_PLAN, name=wf.name,
                                 version=version, spec=launch_plan(wf.name, wf.name), source=source))
    act = ActivationSpec(project=project, domain=domain, name=wf.name, version=version, source=source)
    return regs, act


def promote_workflow(project: str, domain: str, wf_name: str, source_domain: str,
                     version: str | None = None) -> tuple[list[RegistrationSpec], ActivationSpec]:
    reg = RegistrationSpec(project=project, domain=domain, kind=EntityKind.WORKFLOW, name=wf_name, version=version,
                           promoted_from=source_domain, source="manifest.py:9")
    act = ActivationSpec(project=project, domain=domain, name=wf_name, version=None, promoted_from=source_domain,
                         source="manifest.py:9")
    return [reg], act


def desired(*parts: tuple[list[RegistrationSpec], ActivationSpec], project: str = "my-ml-project",
            settings: tuple[DomainSettingsSpec, ...] = (), extra_regs: list[RegistrationSpec] | None = None,
            extra_acts: list[ActivationSpec] | None = None, description: str = "") -> DesiredState:
    regs = [r for p in parts for r in p[0]] + (extra_regs or [])
    acts = [p[1] for p in parts] + (extra_acts or [])
    return DesiredState(manifest_id=MANIFEST,
                        projects=(ProjectSpec(name=project, description=description, source="manifest.py:1"),),
                        domain_settings=settings, registrations=tuple(regs), activations=tuple(acts))


def scale_tasks(body: str = "v1") -> list[TaskSpec]:
    return [task("flows.mean", body), task("flows.standard_deviation", body), task("flows.standard_scale", body)]


def scale_workflow(inputs: dict[str, TypeSpec] | None = None, optional: tuple[str, ...] = ()) -> WorkflowSpec:
    return workflow("flows.standard_scale_workflow", ("flows.mean", "flows.standard_deviation", "flows.standard_scale"),
                    inputs, optional)
