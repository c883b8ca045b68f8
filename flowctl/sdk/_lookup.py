"""Finding what ``flowctl run FILE NAME`` names: a task, workflow or launch plan of the user's module.

NAME is a variable of the module (``nightly_lp``), or the name of a definition made in it: a
launch plan's ``name`` or a task's or workflow's qualified name (``flows.train``). The same
lookup serves local and remote runs.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from flowctl._errors import InputError
from flowctl.sdk._launch_plan import LaunchPlan
from flowctl.sdk._task import TaskDefinition, definition_of
from flowctl.sdk._workflow import WorkflowDefinition

Definition = TaskDefinition | WorkflowDefinition | LaunchPlan


def _definition(value: Any) -> Definition | None:
    found = value if isinstance(value, LaunchPlan) else getattr(value, "__flowctl_definition__", None)
    return found if isinstance(found, TaskDefinition | WorkflowDefinition | LaunchPlan) else None


def find_entity(module: ModuleType, name: str, *, file: str) -> Any:
    """The decorated function or LaunchPlan ``name`` names in ``module``; an InputError listing
    what the module defines otherwise."""
    target = getattr(module, name, None)
    if target is not None and (_definition(target) is not None or callable(target)):
        definition_of(target)  # a plain function: "was it decorated with @flowctl.task?"
        return target
    for value in list(vars(module).values()):
        definition = _definition(value)
        if definition is not None and name in (definition.name, getattr(definition, "qualname", None)):
            return value
    raise InputError(
        f"{file} has no workflow, launch plan or task named `{name}`",
        detail=f"Found: {', '.join(sorted(defined_names(module))) or '(none)'}.",
    )


def defined_names(module: ModuleType) -> list[str]:
    """Variables of ``module`` holding a task, workflow or launch plan defined in it (not imported)."""
    return [attr for _, attr, _ in definitions_in(module)]


def definitions_in(module: ModuleType) -> list[tuple[str, str, str]]:
    """(kind, variable, file:line) of each task, workflow and launch plan ``module`` defines."""
    found = []
    for attr, value in vars(module).items():
        definition = _definition(value)
        if definition is not None and getattr(definition, "module", module.__name__) == module.__name__:
            found.append((kind_of(value), attr, definition.source))
    return found


def kind_of(entity: Any) -> str:
    """``task``, ``workflow`` or ``launch_plan``."""
    definition = definition_of(entity)
    if isinstance(definition, TaskDefinition):
        return "task"
    return "launch_plan" if isinstance(definition, LaunchPlan) else "workflow"
