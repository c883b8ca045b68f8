"""Creating executions: launch (by hand, by schedule, as a child), relaunch, recover, abort."""

from __future__ import annotations

import getpass
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from flowctl._errors import InputError
from flowctl._names import validate_entity_name, validate_execution_name, validate_project_domain
from flowctl.engine._find import find_execution
from flowctl.engine._names import random_name
from flowctl.engine._specs import SpecLoader
from flowctl.spec import Json, LaunchPlanSpec, WorkflowSpec
from flowctl.state._execution_access import ExecutionAccess
from flowctl.state._executions import TERMINAL_PHASES, ExecutionRecord, NewExecution
from flowctl.types._inputs import merge_inputs

OVERWRITE_CACHE_LABEL = "flowctl.io/overwrite-cache"


def who() -> str:
    try:
        return f"{getpass.getuser()}@{socket.gethostname()}"
    except (KeyError, OSError):
        return "unknown"


@dataclass(frozen=True)
class ResolvedLaunchPlan:
    project: str
    domain: str
    name: str
    version: str
    spec: LaunchPlanSpec
    workflow: WorkflowSpec

    @property
    def address(self) -> str:
        return f"{self.project}/{self.domain}/launch_plan/{self.name}@{self.version}"


def resolve_launch_plan(
    store: ExecutionAccess, specs: SpecLoader, project: str, domain: str, name: str, version: str | None = None
) -> ResolvedLaunchPlan:
    """The given version, else the active one, else the newest registered."""
    validate_project_domain(project, domain)
    validate_entity_name(name)
    chosen = version or store.active_version(project, domain, name) or store.latest_version(
        "launch_plan", project, domain, name
    )
    if chosen is None:
        raise InputError(
            f"Launch plan `{name}` is not registered in {project}/{domain}",
            detail="Check the project, domain and name (`flowctl executions list` shows what ran before), "
            "or register it with `flowctl apply`.",
            address=f"{project}/{domain}/launch_plan/{name}",
        )
    if store.get_spec("launch_plan", project, domain, name, chosen) is None:
        raise InputError(
            f"Launch plan `{name}` has no version `{chosen}` in {project}/{domain}",
            detail="Omit --version to use the active version.",
            address=f"{project}/{domain}/launch_plan/{name}@{chosen}",
        )
    lp, _ = specs.launch_plan(project, domain, name, chosen)
    wf, _ = specs.workflow(project, domain, lp.workflow, chosen)
    return ResolvedLaunchPlan(project, domain, name, chosen, lp, wf)


def new_execution(
    lp: ResolvedLaunchPlan,
    inputs: Mapping[str, Json],
    *,
    name: str | None = None,
    created_by: str | None = None,
    scheduled_at: datetime | None = None,
    parent: tuple[str, str] | None = None,
    overwrite_cache: bool = False,
) -> NewExecution:
    """Validate the name and ``inputs`` against the launch plan and describe the execution to create."""
    if name is not None:
        validate_execution_name(name)
    merged = merge_inputs(lp.workflow.interface, inputs, launch_plan=lp.spec, address=lp.address)
    labels = dict(lp.spec.labels)
    if overwrite_cache:
        labels[OVERWRITE_CACHE_LABEL] = "true"
    return NewExecution(
        project=lp.project, domain=lp.domain, name=name or random_name(), launch_plan_name=lp.name,
        launch_plan_version=lp.version, workflow_name=lp.workflow.name, workflow_version=lp.version,
        inputs=merged, created_by=created_by or who(), parent_execution_id=parent[0] if parent else None,
        parent_node_id=parent[1] if parent else None, scheduled_at=scheduled_at,
        max_parallelism=lp.spec.max_parallelism, labels=labels,
    )


def launch(
    store: ExecutionAccess,
    project: str,
    domain: str,
    launch_plan: str,
    inputs: Mapping[str, Json],
    *,
    version: str | None = None,
    name: str | None = None,
    overwrite_cache: bool = False,
    created_by: str | None = None,
) -> ExecutionRecord:
    """Create a queued execution of a launch plan (the controller runs it); ``created_by`` defaults to user@host."""
    lp = resolve_launch_plan(store, SpecLoader(store), project, domain, launch_plan, version)
    return store.create_execution(new_execution(lp, inputs, name=name, overwrite_cache=overwrite_cache,
                                                created_by=created_by))


def relaunch(store: ExecutionAccess, ref: str, *, overwrite_cache: bool = False,
             created_by: str | None = None) -> ExecutionRecord:
    """A new execution of the same launch plan version with the same inputs."""
    old = find_execution(store, ref)
    lp = resolve_launch_plan(store, SpecLoader(store), old.project, old.domain, old.launch_plan_name,
                             old.launch_plan_version)
    given = {k: v for k, v in old.inputs.items() if k not in lp.spec.fixed_inputs}
    return store.create_execution(new_execution(lp, given, overwrite_cache=overwrite_cache, created_by=created_by))


def recover(store: ExecutionAccess, ref: str, *, created_by: str | None = None) -> ExecutionRecord:
    """A new execution that reuses the outputs of every node that succeeded in ``ref``."""
    old = find_execution(store, ref)
    if old.phase not in TERMINAL_PHASES or old.phase == "succeeded":
        raise InputError(
            f"Execution `{old.name}` is {old.phase}: only failed, timed out or aborted executions can be recovered",
            detail="Use `flowctl executions relaunch` to run a succeeded execution again.",
        )
    lp = resolve_launch_plan(store, SpecLoader(store), old.project, old.domain, old.launch_plan_name,
                             old.launch_plan_version)
    given = {k: v for k, v in old.inputs.items() if k not in lp.spec.fixed_inputs}
    return store.create_execution(new_execution(lp, given, created_by=created_by), recover_from=old.id)


def abort(store: ExecutionAccess, ref: str) -> ExecutionRecord:
    """Ask the controller to abort the execution (it kills running attempts)."""
    execution = find_execution(store, ref)
    if not store.request_abort(execution.id):
        raise InputError(f"Execution `{execution.name}` has already finished ({execution.phase})")
    return execution
