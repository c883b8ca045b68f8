"""The SDK: decorators, launch plans, schedules and the compiler (``compile_entity``).

Private modules behind this curated surface; ``flowctl`` re-exports what users write.
"""

from flowctl.sdk._compat import Annotations, Labels, NotSupportedError, WorkflowFailurePolicy
from flowctl.sdk._compile import (
    CompiledEntity,
    CompiledWorkflow,
    compile_entity,
    compile_workflow,
    definition_of,
)
from flowctl.sdk._conditional import conditional
from flowctl.sdk._context import Deck, ExecutionParameters, current_context
from flowctl.sdk._gates import approve, sleep, wait_for_input
from flowctl.sdk._image import ImageSpec
from flowctl.sdk._interface import Interface, Output, Param
from flowctl.sdk._launch_plan import LaunchPlan, default_launch_plan
from flowctl.sdk._map import MapTask, map_task
from flowctl.sdk._notifications import Email, Slack, Webhook
from flowctl.sdk._options import Cache, PodTemplate, Resources, Secret
from flowctl.sdk._promise import NodeHandle, Promise
from flowctl.sdk._reference import ReferenceDefinition, reference_launch_plan, reference_task
from flowctl.sdk._schedule import CronSchedule, FixedRate
from flowctl.sdk._task import TaskDefinition, task
from flowctl.sdk._workflow import WorkflowDefinition, workflow
from flowctl.spec import WorkflowExecutionPhase
from flowctl.types import (
    FlowDirectory,
    FlowFile,
    FlyteDirectory,
    FlyteFile,
    StructuredDataset,
    StructuredDatasetType,
    from_json_value,
    kwtypes,
    to_json_value,
    type_spec_of,
    validate_json_against,
)

__all__ = [
    "Annotations",
    "Cache",
    "CompiledEntity",
    "CompiledWorkflow",
    "CronSchedule",
    "Deck",
    "Email",
    "ExecutionParameters",
    "FixedRate",
    "FlowDirectory",
    "FlowFile",
    "FlyteDirectory",
    "FlyteFile",
    "ImageSpec",
    "Interface",
    "Labels",
    "LaunchPlan",
    "MapTask",
    "NodeHandle",
    "NotSupportedError",
    "Output",
    "Param",
    "PodTemplate",
    "Promise",
    "ReferenceDefinition",
    "Resources",
    "Secret",
    "Slack",
    "StructuredDataset",
    "StructuredDatasetType",
    "TaskDefinition",
    "Webhook",
    "WorkflowDefinition",
    "WorkflowExecutionPhase",
    "WorkflowFailurePolicy",
    "approve",
    "compile_entity",
    "compile_workflow",
    "conditional",
    "current_context",
    "default_launch_plan",
    "definition_of",
    "from_json_value",
    "kwtypes",
    "map_task",
    "reference_launch_plan",
    "reference_task",
    "sleep",
    "task",
    "to_json_value",
    "type_spec_of",
    "validate_json_against",
    "wait_for_input",
    "workflow",
]
