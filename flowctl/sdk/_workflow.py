"""``@workflow``: validates a function's signature, attaches a frozen :class:`WorkflowDefinition`.

The body is not run here: it runs once over promises when the workflow is compiled
(``compile_entity``, ``flowctl run``, ``flowctl plan``), so a workflow may use tasks declared
further down its module.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar, overload

from flowctl._errors import DiagnosticCollector, ManifestError
from flowctl.sdk._interface import Interface, build_interface
from flowctl.sdk._source import display_path, frame_location, module_name_of
from flowctl.sdk._task import DEFINITION_ATTR, Definition, _register_code, check_function, unknown_options

F = TypeVar("F", bound=Callable[..., Any])
FailurePolicy = Literal["fail_immediately", "fail_after_executable_nodes_complete"]
FAILURE_POLICIES: tuple[str, ...] = ("fail_immediately", "fail_after_executable_nodes_complete")
WORKFLOW_OPTIONS = ("failure_policy",)


@dataclass(frozen=True, eq=False)
class WorkflowDefinition(Definition):
    """What ``@workflow`` attached to a function. Immutable; ``compile_workflow`` compiles it (once)."""

    function: Callable[..., Any]
    name: str
    module: str
    qualname: str
    source_file: str
    source_line: int
    interface: Interface
    failure_policy: FailurePolicy = "fail_immediately"

    @property
    def source(self) -> str:
        return f"{display_path(self.source_file)}:{self.source_line}"


def _make_definition(fn: Callable[..., Any], options: dict[str, Any], call_site: str) -> WorkflowDefinition:
    filename, line = check_function(fn, decorator="workflow", source=call_site)
    source = f"{display_path(filename)}:{line}"
    name = f"{module_name_of(fn)}.{fn.__qualname__}"
    diags = DiagnosticCollector()
    interface = build_interface(fn, what=f"workflow `{name}`", source=source, diags=diags)
    policy = options.get("failure_policy", "fail_immediately")
    policy = getattr(policy, "value", policy)  # WorkflowFailurePolicy members are these strings
    if policy not in FAILURE_POLICIES:
        diags.add(
            f"Invalid failure_policy {policy!r} for workflow `{name}`",
            f"Use one of: {', '.join(FAILURE_POLICIES)}.",
            source=source,
        )
        policy = "fail_immediately"
    diags.raise_if_any(ManifestError)
    return WorkflowDefinition(fn, name, module_name_of(fn), fn.__qualname__, filename, line, interface, policy)


@overload
def workflow(fn: F, /) -> F: ...


@overload
def workflow(*, failure_policy: FailurePolicy = "fail_immediately") -> Callable[[F], F]: ...


def workflow(fn: Any = None, /, **options: Any) -> Any:
    """Declare a workflow: ``@workflow`` or ``@workflow(failure_policy="fail_after_executable_nodes_complete")``.

    The body composes tasks, subworkflows, launch plans, ``conditional`` and ``map_task`` with
    keyword arguments; it runs once at compile time over promises and yields a DAG. The function
    is returned unchanged.
    """
    call_site = frame_location(1)
    unknown_options(options, WORKFLOW_OPTIONS, decorator="workflow", source=call_site)
    if fn is not None:
        setattr(fn, DEFINITION_ATTR, _make_definition(fn, options, call_site))
        _register_code(fn)
        return fn

    def decorate(f: F) -> F:
        setattr(f, DEFINITION_ATTR, _make_definition(f, options, call_site))
        _register_code(f)
        return f

    return decorate
