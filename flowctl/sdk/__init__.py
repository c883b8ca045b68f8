"""The SDK: decorators, launch plans, schedules and the compiler (``compile_entity``).

Private modules behind this curated surface; ``flowctl`` re-exports what users write.

The names load on first use (PEP 562): a task's module that imports ``task`` loads the decorator,
not the compiler, launch plans or the spec models (an attempt process runs without them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flowctl import _lazy

if TYPE_CHECKING:
    from flowctl.sdk._compat import Annotations, Labels, NotSupportedError, WorkflowFailurePolicy
    from flowctl.sdk._compile import (
        CompiledEntity,
        CompiledWorkflow,
        compile_entity,
        compile_workflow,
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
    from flowctl.sdk._task import TaskDefinition, definition_of, task
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

_LAZY_EXPORTS: dict[str, str] = {
    "Annotations": "flowctl.sdk._compat",
    "Labels": "flowctl.sdk._compat",
    "NotSupportedError": "flowctl.sdk._compat",
    "WorkflowFailurePolicy": "flowctl.sdk._compat",
    "CompiledEntity": "flowctl.sdk._compile",
    "CompiledWorkflow": "flowctl.sdk._compile",
    "compile_entity": "flowctl.sdk._compile",
    "compile_workflow": "flowctl.sdk._compile",
    "definition_of": "flowctl.sdk._task",
    "conditional": "flowctl.sdk._conditional",
    "Deck": "flowctl.sdk._context",
    "ExecutionParameters": "flowctl.sdk._context",
    "current_context": "flowctl.sdk._context",
    "approve": "flowctl.sdk._gates",
    "sleep": "flowctl.sdk._gates",
    "wait_for_input": "flowctl.sdk._gates",
    "ImageSpec": "flowctl.sdk._image",
    "Interface": "flowctl.sdk._interface",
    "Output": "flowctl.sdk._interface",
    "Param": "flowctl.sdk._interface",
    "LaunchPlan": "flowctl.sdk._launch_plan",
    "default_launch_plan": "flowctl.sdk._launch_plan",
    "MapTask": "flowctl.sdk._map",
    "map_task": "flowctl.sdk._map",
    "Email": "flowctl.sdk._notifications",
    "Slack": "flowctl.sdk._notifications",
    "Webhook": "flowctl.sdk._notifications",
    "Cache": "flowctl.sdk._options",
    "PodTemplate": "flowctl.sdk._options",
    "Resources": "flowctl.sdk._options",
    "Secret": "flowctl.sdk._options",
    "NodeHandle": "flowctl.sdk._promise",
    "Promise": "flowctl.sdk._promise",
    "ReferenceDefinition": "flowctl.sdk._reference",
    "reference_launch_plan": "flowctl.sdk._reference",
    "reference_task": "flowctl.sdk._reference",
    "CronSchedule": "flowctl.sdk._schedule",
    "FixedRate": "flowctl.sdk._schedule",
    "TaskDefinition": "flowctl.sdk._task",
    "task": "flowctl.sdk._task",
    "WorkflowDefinition": "flowctl.sdk._workflow",
    "workflow": "flowctl.sdk._workflow",
    "WorkflowExecutionPhase": "flowctl.spec",
    "FlowDirectory": "flowctl.types",
    "FlowFile": "flowctl.types",
    "FlyteDirectory": "flowctl.types",
    "FlyteFile": "flowctl.types",
    "StructuredDataset": "flowctl.types",
    "StructuredDatasetType": "flowctl.types",
    "from_json_value": "flowctl.types",
    "kwtypes": "flowctl.types",
    "to_json_value": "flowctl.types",
    "type_spec_of": "flowctl.types",
    "validate_json_against": "flowctl.types",
}


def __getattr__(name: str) -> Any:
    return _lazy.resolve(__name__, _LAZY_EXPORTS, globals(), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY_EXPORTS))


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
