"""``reference_task`` and ``reference_launch_plan``: use an entity registered elsewhere.

::

    @reference_task(project="shared", domain="production", name="features.build", version="v12")
    def build(day: date) -> pd.DataFrame: ...

The function is a stub that declares the interface; a workflow calling it gets a node whose
``reference`` names those coordinates, so it runs the registered version (its own code bundle),
not code of this manifest. ``flowctl plan`` fails when the registry (or the same plan) does not
have the entity at that version with that interface. Local runs cannot run a reference: they stop
with a message saying so (flytekit's behaviour too; test such workflows through the controller).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from flowctl._errors import DiagnosticCollector, ManifestError
from flowctl.sdk._interface import Interface, build_interface
from flowctl.sdk._source import display_path, frame_location
from flowctl.sdk._task import DEFINITION_ATTR, _register_code, check_function
from flowctl.spec import ReferenceSpec

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True, eq=False)
class ReferenceDefinition:
    """What ``@reference_task`` / ``@reference_launch_plan`` attached to a stub function."""

    kind: Literal["task", "launch_plan"]
    function: Callable[..., Any]
    project: str
    domain: str
    name: str
    version: str
    interface: Interface
    source: str

    @property
    def qualname(self) -> str:
        return self.function.__qualname__

    @property
    def spec(self) -> ReferenceSpec:
        return ReferenceSpec(project=self.project, domain=self.domain, name=self.name, version=self.version,
                             interface=self.interface.to_spec())

    @property
    def address(self) -> str:
        return f"{self.project}/{self.domain}/{self.kind}/{self.name}@{self.version}"


def _reference(kind: Literal["task", "launch_plan"], project: str, domain: str, name: str, version: str) -> Callable[[F], F]:
    call_site = frame_location(2)
    problems = [f"`{label}` must be a non-empty string, got {value!r}"
                for label, value in (("project", project), ("domain", domain), ("name", name), ("version", version))
                if not isinstance(value, str) or not value]
    if problems:
        raise ManifestError(f"Invalid reference_{kind}: " + "; ".join(problems), source=call_site)

    def decorate(fn: F) -> F:
        filename, line = check_function(fn, decorator=f"reference_{kind}", source=call_site)
        source = f"{display_path(filename)}:{line}"
        diags = DiagnosticCollector()
        interface = build_interface(fn, what=f"reference {kind.replace('_', ' ')} `{name}`", source=source, diags=diags)
        diags.raise_if_any(ManifestError)
        setattr(fn, DEFINITION_ATTR, ReferenceDefinition(kind, fn, project, domain, name, version, interface, source))
        _register_code(fn)
        return fn

    return decorate


def reference_task(project: str, domain: str, name: str, version: str) -> Callable[[F], F]:
    """Declare a task registered at ``project/domain/name@version``; the stub gives its interface."""
    return _reference("task", project, domain, name, version)


def reference_launch_plan(project: str, domain: str, name: str, version: str) -> Callable[[F], F]:
    """Declare a launch plan registered at ``project/domain/name@version`` (called as a child execution)."""
    return _reference("launch_plan", project, domain, name, version)
