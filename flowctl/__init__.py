"""flowctl: Flyte's programming model with a Terraform-style control plane.

``import flowctl`` loads only the SDK and the specs (never typer, sqlmodel, kubernetes or rich).
The public names are resolved on first use (PEP 562), so the CLI, which lives inside this package,
starts without building the spec models it does not need.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from flowctl._errors import FlowctlError, NonRetryable

if TYPE_CHECKING:
    from flowctl._project import Domain, Project, promoted_from
    from flowctl.sdk import (
        Cache,
        CronSchedule,
        Email,
        FixedRate,
        FlowDirectory,
        FlowFile,
        LaunchPlan,
        PodTemplate,
        Resources,
        Secret,
        Slack,
        Webhook,
        conditional,
        map_task,
        task,
        workflow,
    )
    from flowctl.tasktypes import ContainerTask, OutputLocation, ShellTask, dynamic

_LAZY_EXPORTS: dict[str, str] = {
    **dict.fromkeys(("Domain", "Project", "promoted_from"), "flowctl._project"),
    **dict.fromkeys(
        (
            "Cache", "CronSchedule", "Email", "FixedRate", "FlowDirectory", "FlowFile", "LaunchPlan",
            "PodTemplate", "Resources", "Secret", "Slack", "Webhook", "conditional", "map_task", "task",
            "workflow",
        ),
        "flowctl.sdk",
    ),
    **dict.fromkeys(("ContainerTask", "OutputLocation", "ShellTask", "dynamic"), "flowctl.tasktypes"),
}  # fmt: skip


def __getattr__(name: str) -> Any:
    module = _LAZY_EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'flowctl' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY_EXPORTS))


__all__ = [
    "Cache",
    "ContainerTask",
    "CronSchedule",
    "Domain",
    "Email",
    "FixedRate",
    "FlowDirectory",
    "FlowFile",
    "FlowctlError",
    "LaunchPlan",
    "NonRetryable",
    "OutputLocation",
    "PodTemplate",
    "Project",
    "Resources",
    "Secret",
    "ShellTask",
    "Slack",
    "Webhook",
    "conditional",
    "dynamic",
    "map_task",
    "promoted_from",
    "task",
    "workflow",
]
