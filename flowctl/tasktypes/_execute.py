"""Running a task of a non-``python`` type from its spec: the one function every runner calls.

``execute_task_spec(spec, inputs)`` is used by local in-process runs (``flowctl run``), by the
entrypoint inside local subprocesses and Kubernetes pods (through ``flowctl._runtime``), and by a
task object called outside a workflow.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flowctl._errors import ExecutionError, InputError
from flowctl.spec import Json, TaskSpec
from flowctl.tasktypes._registry import get_plugin
from flowctl.types import from_json_value, to_json_value, validate_json_against

if TYPE_CHECKING:  # _plugin calls this module to run a task object outside a workflow
    from flowctl.tasktypes._plugin import PluginTaskDefinition

WORKDIR_ENV = "FLOWCTL_TASK_WORKDIR"  # parent folder of attempt work folders (default: the system temp)


def new_workdir(spec: TaskSpec) -> Path:
    parent = os.environ.get(WORKDIR_ENV) or None
    if parent:
        Path(parent).mkdir(parents=True, exist_ok=True)
    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in spec.name)[:40]
    return Path(tempfile.mkdtemp(prefix=f"flowctl-{spec.task_type}-{safe}-", dir=parent))


def execute_task_spec(spec: TaskSpec, inputs: dict[str, Json], workdir: Path | None = None) -> dict[str, Json]:
    """Run one attempt of ``spec`` with canonical JSON ``inputs``; return its validated outputs.

    Inputs are checked against the interface (defaults filled in) before the plugin runs, and the
    outputs after: a missing or mistyped output is the task's failure, named in the error.
    Without ``workdir`` a fresh folder is made and removed afterwards unless an output is a file
    or folder inside it.
    """
    plugin = get_plugin(spec.task_type)
    values: dict[str, Json] = {}
    for item in spec.interface.inputs:
        if item.name in inputs:
            value = inputs[item.name]
        elif item.has_default:
            value = item.default
        else:
            raise InputError(f"Input `{item.name}` of task `{spec.name}` is missing")
        validate_json_against(item.type, value, where=f"Input `{item.name}` of task `{spec.name}`")
        values[item.name] = value
    own = workdir is None
    folder = new_workdir(spec) if workdir is None else workdir
    folder.mkdir(parents=True, exist_ok=True)
    outputs = plugin.execute(spec, values, folder)
    result: dict[str, Json] = {}
    for out in spec.interface.outputs:
        if out.name not in outputs:
            raise ExecutionError(f"Task `{spec.name}` did not produce its output `{out.name}`")
        try:
            validate_json_against(out.type, outputs[out.name], where=f"Output `{out.name}` of task `{spec.name}`")
        except InputError as exc:
            raise ExecutionError(exc.diagnostics[0].summary, detail=exc.diagnostics[0].detail) from None
        result[out.name] = outputs[out.name]
    keeps_files = any(o.type.kind in ("file", "directory", "union", "list", "map", "struct", "any")
                      for o in spec.interface.outputs)
    if own and not keeps_files:
        shutil.rmtree(folder, ignore_errors=True)
    return result


def call_directly(definition: PluginTaskDefinition, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """A task object called outside a workflow: run it now, return Python values like a ``@task``."""
    if args:
        raise InputError(f"Call `{definition.name}` with keyword arguments",
                         detail="e.g. " + definition.name + "(" + ", ".join(f"{p.name}=..." for p in definition.interface.inputs) + ")")
    inputs: dict[str, Json] = {}
    for key, value in kwargs.items():
        param = definition.interface.param(key)
        if param is None:
            names = ", ".join(p.name for p in definition.interface.inputs) or "(none)"
            raise InputError(f"`{definition.name}` has no input `{key}`", detail=f"Inputs: {names}.")
        inputs[key] = to_json_value(value, param.py_type)
    outputs = execute_task_spec(definition.spec, inputs)
    values = [from_json_value(outputs[o.name], o.py_type) for o in definition.interface.outputs]
    style = definition.interface.style
    if style == "none":
        return None
    if style == "single":
        return values[0]
    return definition.interface.return_type._make(values)
