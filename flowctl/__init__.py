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

__all__ = [
    "Cache",
    "CronSchedule",
    "Domain",
    "Email",
    "FixedRate",
    "FlowDirectory",
    "FlowFile",
    "FlowctlError",
    "LaunchPlan",
    "NonRetryable",
    "PodTemplate",
    "Project",
    "Resources",
    "Secret",
    "Slack",
    "Webhook",
    "conditional",
    "map_task",
    "promoted_from",
    "task",
    "workflow",
]
