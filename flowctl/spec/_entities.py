"""Compiled specs of tasks, workflows and launch plans: frozen plain data with a canonical digest.

Plan, apply, the registry and the providers see these and never a decorated function.
"""

from __future__ import annotations

import operator
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from flowctl.spec._canonical import Json, canonical_json, digest_of
from flowctl.spec._locations import strip_locations
from flowctl.spec._types import TypeSpec


class Spec(BaseModel):
    """Base of every spec: frozen, no unknown fields, canonical JSON and digest."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    def canonical(self) -> str:
        return canonical_json(self.to_json())

    def digest(self) -> str:
        """Identity of the content: where it was declared (``source``, ``source_line``) is left out,
        so moving a function in its file does not make a new version; its code digest still counts."""
        return digest_of(strip_locations(self.to_json()))


def added_field(default: bool | None) -> Any:
    """A field added after specs were first registered (its default is falsy: None or False).

    It is left out of the JSON while it holds no value, so every spec written before it existed
    keeps its canonical JSON and digest (no spurious new versions after an upgrade); reading JSON
    without it gives the default back. ``operator.not_`` is a builtin: no Python frame per field.
    """
    return Field(default=default, exclude_if=operator.not_)


# ---------------------------------------------------------------- interfaces
class InputSpec(Spec):
    name: str
    type: TypeSpec
    has_default: bool = False
    default: Json = None  # canonical JSON value; meaningful only when has_default


class OutputSpec(Spec):
    name: str
    type: TypeSpec


class InterfaceSpec(Spec):
    inputs: tuple[InputSpec, ...] = ()
    outputs: tuple[OutputSpec, ...] = ()

    def input(self, name: str) -> InputSpec | None:
        return next((i for i in self.inputs if i.name == name), None)

    def output(self, name: str) -> OutputSpec | None:
        return next((o for o in self.outputs if o.name == name), None)


# ---------------------------------------------------------------- tasks
class ResourcesSpec(Spec):
    """Kubernetes quantities as text (``"500m"``, ``"2Gi"``); ``gpu`` is a whole number."""

    cpu: str | None = None
    mem: str | None = None
    gpu: int | None = None
    ephemeral_storage: str | None = None


class CacheSpec(Spec):
    """``version`` is explicit or derived from the task's code and interface at decoration time."""

    version: str
    ignored_inputs: tuple[str, ...] = ()


class SecretSpec(Spec):
    """A reference to a secret (a Kubernetes Secret ``group``, key ``key``); the value is never stored."""

    group: str
    key: str | None = None
    env_var: str | None = None
    mount_path: str | None = None


class CodeSpec(Spec):
    """Where a task's code lives and a digest of it (function source plus its module's source)."""

    module: str  # importable module name, relative to the manifest root
    qualname: str  # function name inside the module
    source_file: str  # path relative to the manifest root
    source_line: int
    code_digest: str  # sha256 of the normalised source of the function and its module


class TaskSpec(Spec):
    """One task. ``task_type`` is ``python`` for ``@task`` functions; other types (container, shell,
    plugins) put what they need into ``config`` (image, command, script...).

    ``interruptible``: the task may run on preemptible capacity (the Kubernetes provider adds the
    configured toleration / node selector). ``image_spec``: the ``ImageSpec`` the image name in
    ``container_image`` was derived from (recorded, never built by flowctl).
    """

    name: str  # qualified: "module.function" or the name given to a ContainerTask/ShellTask
    task_type: str = "python"
    interface: InterfaceSpec
    code: CodeSpec | None = None
    config: dict[str, Json] = Field(default_factory=dict)
    cache: CacheSpec | None = None
    retries: int = 0
    timeout_seconds: float | None = None
    requests: ResourcesSpec = Field(default_factory=ResourcesSpec)
    limits: ResourcesSpec = Field(default_factory=ResourcesSpec)
    container_image: str | None = None
    environment: dict[str, str] = Field(default_factory=dict)
    secret_requests: tuple[SecretSpec, ...] = ()
    pod_template: dict[str, Json] | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    dynamic: bool = False  # True for @dynamic: the body builds a sub-workflow at run time
    interruptible: bool = added_field(False)
    image_spec: dict[str, Json] | None = added_field(None)


# ---------------------------------------------------------------- workflows
WORKFLOW_INPUTS_NODE = "start"  # the pseudo node whose outputs are the workflow's inputs


class PromiseBinding(Spec):
    """The output ``output`` of node ``node`` (``start`` for a workflow input)."""

    kind: Literal["promise"] = "promise"
    node: str
    output: str


class LiteralBinding(Spec):
    kind: Literal["literal"] = "literal"
    value: Json


class ListBinding(Spec):
    kind: Literal["list"] = "list"
    items: tuple[Binding, ...]


class MapBinding(Spec):
    kind: Literal["map"] = "map"
    items: dict[str, Binding]


Binding = Annotated[PromiseBinding | LiteralBinding | ListBinding | MapBinding, Field(discriminator="kind")]


class ComparisonSpec(Spec):
    """``left op right`` where op is one of == != < <= > >=, or a truth test of ``left`` (op ``is_true``)."""

    kind: Literal["comparison"] = "comparison"
    op: Literal["==", "!=", "<", "<=", ">", ">=", "is_true", "is_none"]
    left: Binding
    right: Binding | None = None


class ConjunctionSpec(Spec):
    kind: Literal["conjunction"] = "conjunction"
    op: Literal["and", "or"]
    left: Condition
    right: Condition


Condition = Annotated[ComparisonSpec | ConjunctionSpec, Field(discriminator="kind")]


class BranchCaseSpec(Spec):
    """One arm of a conditional: ``condition`` is None for ``else_``; exactly one of ``node`` / ``fail``."""

    condition: Condition | None = None
    node: NodeSpec | None = None
    fail: str | None = None


class BranchSpec(Spec):
    name: str
    cases: tuple[BranchCaseSpec, ...]


class MapSpec(Spec):
    """A map task node: runs ``target`` once per item of the list inputs."""

    concurrency: int | None = None
    min_success_ratio: float = 1.0


class GateSpec(Spec):
    """A gate node: ``sleep`` for ``duration_seconds``; ``signal`` waits for a value of ``type``
    sent as signal ``name``; ``approve`` waits for a yes/no signal ``name`` and then passes its
    input ``o0`` through. ``timeout_seconds`` (signal, approve): fail when nobody answered by then."""

    kind: Literal["sleep", "signal", "approve"]
    name: str = ""
    duration_seconds: float | None = None
    timeout_seconds: float | None = None
    type: TypeSpec | None = None  # the signal's value type (approve: the passed-through value's type)


class NodeOverridesSpec(Spec):
    """``task(...).with_overrides(...)``: task settings replaced for one node (None: unchanged).

    ``cache_off`` turns caching off for the node; ``name`` is the node's display name.
    """

    name: str | None = None
    requests: ResourcesSpec | None = None
    limits: ResourcesSpec | None = None
    timeout_seconds: float | None = None
    retries: int | None = None
    cache: CacheSpec | None = None
    cache_off: bool = False
    container_image: str | None = None
    interruptible: bool | None = None

    def apply(self, task: TaskSpec) -> TaskSpec:
        """The task spec as this node runs it."""
        update: dict[str, Any] = {
            key: value
            for key in ("requests", "limits", "timeout_seconds", "retries", "container_image", "interruptible")
            if (value := getattr(self, key)) is not None
        }
        if self.cache is not None:
            update["cache"] = self.cache
        if self.cache_off:
            update["cache"] = None
        return task.model_copy(update=update) if update else task


class ReferenceSpec(Spec):
    """An entity registered elsewhere (``reference_task``/``reference_launch_plan``), by its coordinates,
    and the interface the workflow was written against (``flowctl plan`` checks the registry has it)."""

    project: str
    domain: str
    name: str
    version: str
    interface: InterfaceSpec = Field(default_factory=InterfaceSpec)


class NodeSpec(Spec):
    """A node of a workflow DAG.

    ``kind``: ``task`` (``target`` is a task name), ``workflow`` (a subworkflow name),
    ``launch_plan`` (a launch plan name; runs as a child execution), ``branch`` (a conditional,
    see ``branch``), ``map`` (``target`` task mapped over list inputs, see ``map``), ``gate``
    (sleep, wait for a signal or for an approval, see ``gate``).
    ``upstream`` lists every node this one waits for: data dependencies and ``a >> b``.
    ``outputs`` is the node's output interface (for a branch, what every arm produces).
    ``overrides``: ``with_overrides(...)`` of a task node. ``reference``: the target is a task or
    launch plan registered elsewhere, at these coordinates (not at the workflow's version).
    """

    id: str
    kind: Literal["task", "workflow", "launch_plan", "branch", "map", "gate"]
    target: str = ""
    inputs: dict[str, Binding] = Field(default_factory=dict)
    upstream: tuple[str, ...] = ()
    outputs: tuple[OutputSpec, ...] = ()
    branch: BranchSpec | None = None
    map: MapSpec | None = None
    source: str = ""  # "file.py:12" of the call in the workflow body
    gate: GateSpec | None = added_field(None)
    overrides: NodeOverridesSpec | None = added_field(None)
    reference: ReferenceSpec | None = added_field(None)


class WorkflowSpec(Spec):
    """A compiled workflow: the DAG and what it returns.

    ``tasks`` and ``subworkflows`` name what the nodes refer to (registered at the same version).
    ``failure_policy``: ``fail_immediately`` or ``fail_after_executable_nodes_complete``.
    """

    name: str
    interface: InterfaceSpec
    nodes: tuple[NodeSpec, ...]
    outputs: dict[str, Binding] = Field(default_factory=dict)
    failure_policy: Literal["fail_immediately", "fail_after_executable_nodes_complete"] = "fail_immediately"
    tasks: tuple[str, ...] = ()
    subworkflows: tuple[str, ...] = ()
    launch_plans: tuple[str, ...] = ()
    source: str = ""  # "file.py:12" of the decorated function


# ---------------------------------------------------------------- launch plans
class ScheduleSpec(Spec):
    """``cron`` (5 fields or an alias such as ``@daily``, evaluated in ``timezone``) or ``rate``."""

    kind: Literal["cron", "rate"]
    cron_expression: str | None = None
    timezone: str = "UTC"
    rate_seconds: int | None = None
    kickoff_time_input_arg: str | None = None


Phase = Literal["succeeded", "failed", "timed_out", "aborted"]


class NotificationSpec(Spec):
    """``email`` to ``recipients``; ``slack`` or ``webhook`` POST to ``url``; on the given phases."""

    kind: Literal["email", "slack", "webhook"]
    phases: tuple[Phase, ...]
    recipients: tuple[str, ...] = ()
    url: str | None = None


class LaunchPlanSpec(Spec):
    name: str
    workflow: str  # workflow name; the version is the launch plan's own version
    default_inputs: dict[str, Json] = Field(default_factory=dict)
    fixed_inputs: dict[str, Json] = Field(default_factory=dict)
    schedule: ScheduleSpec | None = None
    notifications: tuple[NotificationSpec, ...] = ()
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    max_parallelism: int | None = None
    catchup: Literal["latest", "all", "none"] = "latest"
    skip_if_running: bool = False
    source: str = ""

