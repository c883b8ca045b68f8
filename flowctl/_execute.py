"""Run one attempt in this process, whatever its task type: the dispatch above ``flowctl._runtime``.

- a python task: :func:`flowctl._runtime.execute_task` (no spec model is built);
- ``@dynamic``: :func:`flowctl.tasktypes._dynamic.execute_dynamic` (the compiled sub-workflow is
  the attempt's output document);
- container, shell and plugin tasks: :func:`flowctl.tasktypes.execute_task_spec`.

Imports point one way: this module imports those; ``flowctl.tasktypes._dynamic`` imports
``flowctl._runtime``; ``flowctl._local._runner`` imports both; none imports back (a test pins it).
The task types load only when an attempt needs them, so a python attempt stays light.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from flowctl._runtime import execute_task
from flowctl._task_data import TaskData
from flowctl.spec._canonical import Json

if TYPE_CHECKING:
    from flowctl.spec import TaskSpec


def execute_attempt(task: TaskSpec | TaskData, inputs: Mapping[str, Json], *, root: Path | None = None) -> dict[str, Json]:
    """The outputs of one attempt of ``task`` (canonical JSON values by output name)."""
    if task.task_type == "python" and not task.dynamic:
        return execute_task(task, inputs, root=root)
    spec = task.spec() if isinstance(task, TaskData) else task
    if spec.task_type != "python":
        from flowctl.tasktypes import execute_task_spec

        return execute_task_spec(spec, dict(inputs))
    from flowctl.tasktypes._dynamic import execute_dynamic

    return execute_dynamic(spec, inputs, root=root)
