"""flowctl: Flyte's programming model with a Terraform-style control plane.

``import flowctl`` loads only the SDK and the specs (never typer, sqlmodel, kubernetes or rich).
"""

from flowctl._errors import FlowctlError, NonRetryable
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
