"""A task spec as an attempt reads it: the few fields it needs, straight from the JSON document.

An attempt process starts once per task run, so it does not build the pydantic spec models
(``TaskSpec`` and the ~30 models it refers to) only to read a module name: :class:`TaskData`
reads the document the controller wrote (validated when it was registered) as plain data. Task
types that need the whole spec (container, shell and plugin tasks, ``@dynamic``) get it from
:meth:`TaskData.spec`.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import TYPE_CHECKING

from flowctl._record import record
from flowctl.spec._canonical import Json

if TYPE_CHECKING:
    from flowctl.spec import TaskSpec


@record(frozen=True)
class CodeRef:
    """Where a python task's function is: ``module`` and ``qualname`` (as ``CodeSpec``)."""

    module: str
    qualname: str


@record(frozen=True)
class SecretRef:
    """A requested secret, as ``SecretSpec`` (what ``current_context().secrets`` reads)."""

    group: str
    key: str | None = None
    env_var: str | None = None
    mount_path: str | None = None


class TaskData:
    """The JSON of a ``TaskSpec`` (``TaskSpec.to_json()``), read without pydantic."""

    def __init__(self, document: Mapping[str, Json]) -> None:
        if not isinstance(document, Mapping) or not isinstance(document.get("name"), str):
            raise ValueError("a task spec document is an object with a `name`")
        self.document = document

    @property
    def name(self) -> str:
        return str(self.document["name"])

    @property
    def task_type(self) -> str:
        return str(self.document.get("task_type") or "python")

    @property
    def dynamic(self) -> bool:
        return bool(self.document.get("dynamic"))

    @cached_property
    def code(self) -> CodeRef | None:
        code = self.document.get("code")
        return CodeRef(str(code["module"]), str(code["qualname"])) if isinstance(code, Mapping) else None

    @cached_property
    def secret_requests(self) -> tuple[SecretRef, ...]:
        return tuple(
            SecretRef(str(s["group"]), s.get("key"), s.get("env_var"), s.get("mount_path"))
            for s in self.document.get("secret_requests") or ()
        )

    @cached_property
    def output_types(self) -> tuple[tuple[str, Json], ...]:
        """``(name, TypeSpec JSON)`` of each output, in order."""
        interface = self.document.get("interface") or {}
        return tuple((str(o["name"]), o["type"]) for o in interface.get("outputs") or ())

    def spec(self) -> TaskSpec:
        """The validated pydantic spec (builds the spec models: only for what needs them)."""
        from flowctl.spec import TaskSpec

        return TaskSpec.model_validate(self.document)


def output_types(task: TaskSpec | TaskData) -> tuple[tuple[str, Json], ...]:
    """``(name, TypeSpec JSON)`` of each output of either form of a task spec."""
    if isinstance(task, TaskData):
        return task.output_types
    return tuple((o.name, o.type.model_dump(mode="json")) for o in task.interface.outputs)
