"""The plugin interface: what a task type is, and the frozen definition its task objects carry.

A task type is a plugin object registered under a name (``container``, ``shell``, ``sqlite``...)::

    class TaskTypePlugin(Protocol):
        task_type: str
        def check(self, spec, *, source) -> list[Diagnostic]: ...      # compile time
        def execute(self, spec, inputs, workdir) -> dict[str, Json]: ...  # run time

The user-facing objects (``ContainerTask(...)``, ``ShellTask(...)``, a plugin's ``SQLiteTask(...)``)
are :class:`PluginTask` instances: constructing one validates everything with the caller's
file:line and attaches a frozen :class:`PluginTaskDefinition` (a ``TaskDefinition``, so the SDK
wires, runs, caches and retries it like a ``@task``) that compiles to a
:class:`~flowctl.spec.TaskSpec` whose ``task_type`` names the plugin and whose ``config`` holds
the type-specific data (image, command, script, query...). Runners only ever see the spec: the
entrypoint (local subprocess, Kubernetes pod) and local in-process runs look the plugin up by
``spec.task_type`` and call ``execute``.
"""

from __future__ import annotations

import collections
import keyword
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from flowctl._errors import Diagnostic, ManifestError
from flowctl.sdk._interface import Interface, Output, OutputStyle, Param
from flowctl.sdk._task import TaskDefinition
from flowctl.spec import CacheSpec, CodeSpec, Json, TaskSpec, digest_of

if TYPE_CHECKING:
    from flowctl.providers._interface import SubmitRequest

DEFINITION_ATTR = "__flowctl_definition__"  # the same attribute @task uses (flowctl.sdk._task)


@runtime_checkable
class TaskTypePlugin(Protocol):
    """A task type. Plugins are stateless: every call gets the compiled spec.

    ``check`` runs when a task object is declared and when a workflow using it compiles; it
    returns diagnostics (``severity="error"`` ones stop compilation; ``source`` is the file:line
    of the declaration to put on them). ``execute`` runs one attempt: ``inputs`` are the canonical
    JSON values of the task's inputs, ``workdir`` an empty folder the attempt owns; it returns
    the canonical JSON value of every declared output, or raises
    :class:`~flowctl._errors.ExecutionError` (a user failure, retried per the task's ``retries``;
    raise it with ``NonRetryable`` semantics by setting ``retryable = False`` on it).
    """

    task_type: str

    def check(self, spec: TaskSpec, *, source: str) -> list[Diagnostic]: ...

    def execute(self, spec: TaskSpec, inputs: dict[str, Json], workdir: Path) -> dict[str, Json]: ...


@runtime_checkable
class KubernetesJobAdapter(Protocol):
    """Optional second face of a plugin: how its attempts run as a Kubernetes Job.

    The provider renders the usual Job (the flowctl image running ``python -m flowctl.entrypoint``,
    which calls ``execute`` in the pod); a plugin that needs another image (``container``) rewrites
    that Job here. Plugins without this method run in the flowctl image as rendered.
    """

    def adapt_kubernetes_job(self, job: dict[str, Any], spec: TaskSpec, request: SubmitRequest) -> dict[str, Any]: ...


_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def is_valid_name(name: str) -> bool:
    """Input/output names must be Python identifiers (they become keyword arguments)."""
    return bool(_IDENTIFIER.match(name)) and not keyword.iskeyword(name)


class _PluginCall:
    """The ``function`` of a plugin task's definition: Python values in, Python outputs out.

    This is what runners that call ``definition.function(**kwargs)`` (``flowctl run``, a map task
    outside a workflow) execute: the task's spec through its plugin, in a fresh work folder."""

    __slots__ = ("definition",)

    def __init__(self, definition: PluginTaskDefinition) -> None:
        self.definition = definition

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from flowctl.tasktypes._execute import call_directly

        return call_directly(self.definition, args, kwargs)

    def __repr__(self) -> str:
        return f"<{self.definition.task_type} task {self.definition.name}>"


@dataclass(frozen=True, eq=False)
class PluginTaskDefinition(TaskDefinition):
    """What a task-type object is: a :class:`~flowctl.sdk.TaskDefinition` (so workflows, map tasks,
    local runs, caching and retries treat it like any task) with a ``task_type`` and a ``config``.

    ``config`` is the type-specific part of the spec; ``warnings`` are the non-fatal compile-time
    findings (an input the template never uses...). ``function`` runs the task through its plugin.
    """

    task_type: str = ""
    config: Mapping[str, Json] = field(default_factory=dict)
    warnings: tuple[Diagnostic, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "function", _PluginCall(self))

    @cached_property
    def code(self) -> CodeSpec:
        raise ManifestError(f"{self.task_type} task `{self.name}` has no Python code", source=self.source)

    @cached_property
    def cache_spec(self) -> CacheSpec | None:
        if self.cache is None:
            return None
        derived = "auto-" + digest_of({"task_type": self.task_type, "config": dict(self.config),
                                        "interface": self.interface.to_spec().to_json()})[7:23]
        return self.cache.to_spec(derived)

    @cached_property
    def spec(self) -> TaskSpec:
        """The compiled spec; its digest covers the config (script, image, command, query...)."""
        config = dict(self.config)
        config["source"] = self.source  # where it was declared; left out of the digest
        return TaskSpec(
            name=self.name,
            task_type=self.task_type,
            interface=self.interface.to_spec(),
            config=config,
            cache=self.cache_spec,
            retries=self.retries,
            timeout_seconds=self.timeout_seconds,
            requests=self.requests.to_spec(),
            limits=self.limits.to_spec(),
            container_image=self.container_image,
            environment=dict(self.environment),
            secret_requests=tuple(s.to_spec() for s in self.secret_requests),
            labels=dict(self.labels),
            annotations=dict(self.annotations),
        )


class PluginTask:
    """Base of the task objects of every task type (``ContainerTask``, ``ShellTask``, plugins).

    An instance is immutable and carries its :class:`PluginTaskDefinition` under
    ``__flowctl_definition__``, like a ``@task`` function. Inside a ``@workflow`` body a call makes
    a task node (keyword arguments, type-checked); outside one it runs the task at once in a fresh
    folder and returns its outputs as Python values (handy in unit tests).
    """

    __slots__ = ("__flowctl_definition__",)
    __flowctl_definition__: PluginTaskDefinition

    def __init__(self, definition: PluginTaskDefinition) -> None:
        object.__setattr__(self, DEFINITION_ATTR, definition)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} objects are immutable; declare a new task instead")

    @property
    def definition(self) -> PluginTaskDefinition:
        return self.__flowctl_definition__

    @property
    def name(self) -> str:
        return self.__flowctl_definition__.name

    @property
    def spec(self) -> TaskSpec:
        return self.__flowctl_definition__.spec

    def __repr__(self) -> str:
        d = self.__flowctl_definition__
        return f"{type(self).__name__}({d.name!r}, task_type={d.task_type!r}, source={d.source!r})"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from flowctl.sdk._promise import active_trace
        from flowctl.sdk._source import frame_location

        trace = active_trace()
        if trace is not None:  # inside a workflow body: a task node, bound and type-checked by the SDK
            return trace.call(self.__flowctl_definition__, args, kwargs, frame_location(1))
        from flowctl.tasktypes._execute import call_directly

        return call_directly(self.__flowctl_definition__, args, kwargs)


def build_interface(inputs: Mapping[str, Param], outputs: Mapping[str, Output], task_name: str) -> Interface:
    """An SDK :class:`Interface` for declared inputs/outputs: one output is returned as is, several
    as a NamedTuple of promises (``res.total``), none as a handle for ``>>``."""
    style: OutputStyle
    return_type: Any = None
    if not outputs:
        style = "none"
    elif len(outputs) == 1:
        style = "single"
        return_type = next(iter(outputs.values())).py_type
    else:
        style = "namedtuple"
        type_name = re.sub(r"\W", "_", task_name.rsplit(".", 1)[-1]).title().replace("_", "") or "Task"
        return_type = collections.namedtuple(f"{type_name}Outputs", list(outputs))  # type: ignore[misc,no-redef]
    return Interface(tuple(inputs.values()), tuple(outputs.values()), style, return_type)
