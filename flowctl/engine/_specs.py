"""Loading the immutable specs an execution needs, with a process-wide cache (versions never change)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TypeVar

from flowctl._errors import FlowctlError
from flowctl.spec import LaunchPlanSpec, Spec, TaskSpec, WorkflowSpec
from flowctl.state._execution_access import ExecutionAccess

S = TypeVar("S", bound=Spec)


class MissingSpec(FlowctlError):
    """A spec an execution refers to is not registered (a broken registration, not a user input)."""

    code = "SYSTEM:MissingSpec"
    blame = "system"


@dataclass(frozen=True)
class Loaded:
    spec: Spec
    bundle_uri: str | None


class SpecLoader:
    """Parsed specs by (kind, project, domain, name, version); safe to share between threads."""

    def __init__(self, store: ExecutionAccess) -> None:
        self.store = store
        self._cache: dict[tuple[str, str, str, str, str], Loaded] = {}
        self._lock = threading.Lock()

    def _load(self, kind: str, model: type[S], project: str, domain: str, name: str, version: str) -> tuple[S, str | None]:
        key = (kind, project, domain, name, version)
        with self._lock:
            hit = self._cache.get(key)
        if hit is None:
            stored = self.store.get_spec(kind, project, domain, name, version)
            if stored is None:
                raise MissingSpec(
                    f"The {kind.replace('_', ' ')} `{name}` version `{version}` is not registered in {project}/{domain}",
                    detail="Register it (flowctl apply) before launching executions that use it.",
                )
            hit = Loaded(model.model_validate(stored.spec), stored.bundle_uri)
            with self._lock:
                self._cache[key] = hit
        assert isinstance(hit.spec, model)
        return hit.spec, hit.bundle_uri

    def workflow(self, project: str, domain: str, name: str, version: str) -> tuple[WorkflowSpec, str | None]:
        return self._load("workflow", WorkflowSpec, project, domain, name, version)

    def task(self, project: str, domain: str, name: str, version: str) -> tuple[TaskSpec, str | None]:
        return self._load("task", TaskSpec, project, domain, name, version)

    def launch_plan(self, project: str, domain: str, name: str, version: str) -> tuple[LaunchPlanSpec, str | None]:
        return self._load("launch_plan", LaunchPlanSpec, project, domain, name, version)
