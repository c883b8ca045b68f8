"""flowctl: Flyte's programming model with a Terraform-style control plane.

``import flowctl`` loads only the SDK and the specs (never typer, sqlmodel, kubernetes or rich).
The public names are resolved on first use (PEP 562), so the CLI, which lives inside this package,
starts without building the spec models it does not need.

flytekit's names are here too (``from flytekit import X`` -> ``from flowctl import X``); the few
flowctl does not support (``eager``, ``Artifact``) raise a ``NotSupportedError`` (an ImportError)
that says what to use instead. See docs/migrating-from-flyte.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flowctl._errors import FlowctlError, NonRetryable

if TYPE_CHECKING:
    from flowctl._project import Domain, Project, promoted_from
    from flowctl.sdk import (
        Annotations,
        Cache,
        CronSchedule,
        Deck,
        Email,
        FixedRate,
        FlowDirectory,
        FlowFile,
        FlyteDirectory,
        FlyteFile,
        ImageSpec,
        Labels,
        LaunchPlan,
        PodTemplate,
        Resources,
        Secret,
        Slack,
        StructuredDataset,
        StructuredDatasetType,
        Webhook,
        WorkflowExecutionPhase,
        WorkflowFailurePolicy,
        approve,
        conditional,
        current_context,
        kwtypes,
        map_task,
        reference_launch_plan,
        reference_task,
        sleep,
        task,
        wait_for_input,
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
    **dict.fromkeys(  # flytekit's names (docs/migrating-from-flyte.md)
        (
            "Annotations", "Deck", "FlyteDirectory", "FlyteFile", "ImageSpec", "Labels", "StructuredDataset",
            "StructuredDatasetType", "WorkflowExecutionPhase", "WorkflowFailurePolicy", "approve",
            "current_context", "kwtypes", "reference_launch_plan", "reference_task", "sleep", "wait_for_input",
        ),
        "flowctl.sdk",
    ),
    **dict.fromkeys(("ContainerTask", "OutputLocation", "ShellTask", "dynamic"), "flowctl.tasktypes"),
}  # fmt: skip


_NOT_SUPPORTED = ("Artifact", "eager")  # flytekit names without a flowctl counterpart


def __getattr__(name: str) -> object:
    module = _LAZY_EXPORTS.get(name)
    if module is None and name in _NOT_SUPPORTED:
        from flowctl.sdk._compat import not_supported

        raise not_supported(name)
    if module is None:
        raise AttributeError(f"module 'flowctl' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The public names (``__all__``, as docs/sdk.md lists them), not the helpers of this module."""
    return sorted(__all__)


__all__ = [
    "Annotations",
    "Cache",
    "ContainerTask",
    "CronSchedule",
    "Deck",
    "Domain",
    "Email",
    "FixedRate",
    "FlowDirectory",
    "FlowFile",
    "FlowctlError",
    "FlyteDirectory",
    "FlyteFile",
    "ImageSpec",
    "Labels",
    "LaunchPlan",
    "NonRetryable",
    "OutputLocation",
    "PodTemplate",
    "Project",
    "Resources",
    "Secret",
    "ShellTask",
    "Slack",
    "StructuredDataset",
    "StructuredDatasetType",
    "Webhook",
    "WorkflowExecutionPhase",
    "WorkflowFailurePolicy",
    "approve",
    "conditional",
    "current_context",
    "dynamic",
    "kwtypes",
    "map_task",
    "promoted_from",
    "reference_launch_plan",
    "reference_task",
    "sleep",
    "task",
    "wait_for_input",
    "workflow",
]

del annotations, TYPE_CHECKING  # only for the type checker: not part of the namespace
