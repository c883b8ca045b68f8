"""The SDK: decorators, launch plans, schedules and the compiler (``compile_entity``).

Private modules behind this curated surface; ``flowctl`` re-exports what users write.
"""

from flowctl.sdk._compile import (
    CompiledEntity,
    CompiledWorkflow,
    compile_entity,
    compile_workflow,
    definition_of,
)
from flowctl.sdk._conditional import conditional
from flowctl.sdk._interface import Interface, Output, Param
from flowctl.sdk._launch_plan import LaunchPlan, default_launch_plan
from flowctl.sdk._map import MapTask, map_task
from flowctl.sdk._notifications import Email, Slack, Webhook
from flowctl.sdk._options import Cache, PodTemplate, Resources, Secret
from flowctl.sdk._promise import NodeHandle, Promise
from flowctl.sdk._schedule import CronSchedule, FixedRate
from flowctl.sdk._task import TaskDefinition, task
from flowctl.sdk._workflow import WorkflowDefinition, workflow
from flowctl.types import (
    FlowDirectory,
    FlowFile,
    from_json_value,
    to_json_value,
    type_spec_of,
    validate_json_against,
)

__all__ = [
    "Cache",
    "CompiledEntity",
    "CompiledWorkflow",
    "CronSchedule",
    "Email",
    "FixedRate",
    "FlowDirectory",
    "FlowFile",
    "Interface",
    "LaunchPlan",
    "MapTask",
    "NodeHandle",
    "Output",
    "Param",
    "PodTemplate",
    "Promise",
    "Resources",
    "Secret",
    "Slack",
    "TaskDefinition",
    "Webhook",
    "WorkflowDefinition",
    "compile_entity",
    "compile_workflow",
    "conditional",
    "default_launch_plan",
    "definition_of",
    "from_json_value",
    "map_task",
    "task",
    "to_json_value",
    "type_spec_of",
    "validate_json_against",
    "workflow",
]
