"""Running one task attempt from its spec: the boundary the execution engine calls.

``execute_task`` imports the task's module (relative to ``root``), turns canonical JSON inputs into
Python values by the function's annotations, calls it, and returns the outputs as canonical JSON
values keyed by output name. A user exception becomes :class:`TaskExecutionError` whose detail is
the user's traceback only, with ``retryable`` False for :class:`flowctl.NonRetryable`.

Python tasks only: ``flowctl._execute.execute_attempt`` sends the other task types and ``@dynamic``
to ``flowctl.tasktypes``, which import this module (never the other way round).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType, TracebackType
from typing import TYPE_CHECKING, Any

from flowctl._errors import ExecutionError, InputError, ManifestError, NonRetryable
from flowctl._task_data import TaskData
from flowctl.spec._canonical import Json

if TYPE_CHECKING:
    from flowctl.spec import TaskSpec

_FLOWCTL_DIR = str(Path(__file__).resolve().parent)


class TaskExecutionError(ExecutionError):
    """A task's code failed: ``detail`` holds the user's traceback; ``retryable`` is False for NonRetryable."""

    code = "USER:TaskFailed"

    def __init__(
        self,
        summary: str,
        *,
        detail: str = "",
        retryable: bool = True,
        error_type: str = "",
        source: str = "",
        address: str = "",
    ) -> None:
        super().__init__(summary, detail=detail, source=source, address=address)
        self.retryable = retryable
        self.error_type = error_type
        self.user_traceback = detail


def user_traceback(exc: BaseException) -> str:
    """The traceback of ``exc`` without flowctl's own frames (the user's code only)."""
    import traceback

    tb: TracebackType | None = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename.startswith(_FLOWCTL_DIR):
        tb = tb.tb_next
    return "".join(traceback.format_exception(type(exc), exc, tb)).rstrip()


def error_from_exception(exc: BaseException, *, task_name: str) -> TaskExecutionError:
    return TaskExecutionError(
        f"Task `{task_name}` failed: {type(exc).__name__}: {exc}",
        detail=user_traceback(exc),
        retryable=not isinstance(exc, NonRetryable),
        error_type=f"{type(exc).__module__}.{type(exc).__qualname__}",
    )


# ---------------------------------------------------------------- importing user code
def module_root(path: Path) -> tuple[Path, str]:
    """The import root of a Python file and its module name there (packages walked upwards)."""
    path = path.resolve()
    parts = [path.stem] if path.name != "__init__.py" else []
    folder = path.parent
    while (folder / "__init__.py").is_file() and folder.parent != folder:
        parts.insert(0, folder.name)
        folder = folder.parent
    return folder, ".".join(parts)


def import_file(path: str | Path) -> ModuleType:
    """Import a manifest or workflow file as a user expects: its folder (or package root) importable."""
    file = Path(path)
    if not file.is_file():
        raise InputError(f"No such file: {path}", detail="Give the path of a Python file with your workflows.")
    root, name = module_root(file)
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    existing = sys.modules.get(name)
    if existing is not None:
        existing_file = getattr(existing, "__file__", None)
        if existing_file and Path(existing_file).resolve() == file.resolve():
            return existing
        raise ManifestError(
            f"Cannot import {path} as module `{name}`: another module of that name is already loaded ({existing_file})",
            detail="Rename the file so it does not shadow an installed or standard-library module.",
        )
    from flowctl.sdk._source import display_path, import_user_module

    return import_user_module(name, what=display_path(str(path)))


def load_task(task: TaskSpec | TaskData, *, root: Path | None = None) -> Any:
    """The :class:`~flowctl.sdk.TaskDefinition` of a python task spec (imports its module)."""
    from flowctl.sdk._task import DEFINITION_ATTR, TaskDefinition  # not the compiler: see flowctl.sdk

    if task.code is None:
        raise ManifestError(f"Task `{task.name}` has no Python code to run (task type {task.task_type!r})")
    if root is not None and str(root) not in sys.path:
        sys.path.insert(0, str(root))
    try:
        module = importlib.import_module(task.code.module)
    except Exception as exc:
        raise ManifestError(
            f"Cannot import module `{task.code.module}` of task `{task.name}`: {type(exc).__name__}: {exc}",
            detail=user_traceback(exc),
        ) from exc
    target: Any = module
    for part in task.code.qualname.split("."):
        target = getattr(target, part, None)
    definition = target if isinstance(target, TaskDefinition) else getattr(target, DEFINITION_ATTR, None)
    if not isinstance(definition, TaskDefinition):
        raise ManifestError(f"`{task.code.module}.{task.code.qualname}` is not the task `{task.name}` any more")
    return definition


def execute_task(
    task: TaskSpec | TaskData, inputs: Mapping[str, Json], *, root: Path | None = None
) -> dict[str, Json]:
    """Run one attempt of the python task ``task`` in this process; inputs and outputs are
    canonical JSON values.

    ``task`` may be the plain JSON view an attempt reads (:class:`TaskData`): the task then runs
    without the spec models. Other task types and ``@dynamic`` go through
    ``flowctl._execute.execute_attempt``."""
    from flowctl.types import from_json_value, to_json_value, validate_value

    if task.task_type != "python" or task.dynamic:
        raise ValueError(f"execute_task runs python tasks; `{task.name}` needs flowctl._execute.execute_attempt")
    definition = load_task(task, root=root)
    interface = definition.interface
    kwargs: dict[str, Any] = {}
    for name, data in inputs.items():
        param = interface.param(name)
        if param is None:
            raise InputError(f"Task `{task.name}` has no input `{name}`")
        kwargs[name] = from_json_value(data, param.py_type)
    missing = [p.name for p in interface.inputs if p.name not in kwargs and not p.has_default]
    if missing:
        raise InputError(f"Task `{task.name}` is missing inputs: {', '.join(missing)}")
    try:
        result = definition.function(**kwargs)
    except Exception as exc:
        raise error_from_exception(exc, task_name=task.name) from None
    try:
        values = interface.split_outputs(result)
        if len(values) != len(interface.outputs):
            raise InputError(f"returned {len(values)} values for {len(interface.outputs)} outputs")
        outputs: dict[str, Json] = {}
        for out, value in zip(interface.outputs, values, strict=True):
            checked = validate_value(value, out.py_type, where=f"output `{out.name}`")
            outputs[out.name] = to_json_value(checked, out.py_type)
    except (InputError, TypeError) as exc:
        message = exc.diagnostics[0].summary if isinstance(exc, InputError) else str(exc)
        raise TaskExecutionError(
            f"Task `{task.name}` returned a wrong value: {message}",
            detail=exc.diagnostics[0].detail if isinstance(exc, InputError) else "",
            retryable=False,
            error_type="flowctl.OutputTypeError",
        ) from None
    return outputs
