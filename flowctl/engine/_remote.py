"""``flowctl run --remote``: register a workflow, launch plan or task from a file at a content
version and launch it.

The inner loop against a registry: the file's folder (its import root) is bundled, the entity and
everything it uses are compiled and registered at a version derived from their specs and the
bundle (so re-running unchanged code registers nothing new), and its launch plan is launched: a
workflow's default launch plan, the launch plan itself, or for a task a one-node workflow named
like it. A running ``flowctl controller`` executes it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flowctl.spec import (
    WORKFLOW_INPUTS_NODE,
    Json,
    LaunchPlanSpec,
    NodeSpec,
    PromiseBinding,
    TaskSpec,
    WorkflowSpec,
    digest_of,
)
from flowctl.state._interface import AD_HOC

if TYPE_CHECKING:
    from flowctl._config import Config
    from flowctl.sdk import CompiledEntity
    from flowctl.state._execution_access import ExecutionAccess
    from flowctl.state._executions import ExecutionRecord
    from flowctl.state._interface import BrowsableStore

REMOTE_MANAGER = AD_HOC
REGISTER_LOCK_TIMEOUT = 10.0  # seconds `run --remote` waits for the registry lock (an apply holding it)


def remote_version(compiled: CompiledEntity, bundle_uri: str) -> str:
    """``r-`` + 16 hex of the digest of every spec and the bundle: same code, same version."""
    parts = {
        "tasks": {n: s.digest() for n, s in compiled.tasks.items()},
        "workflows": {n: s.digest() for n, s in compiled.workflows.items()},
        "launch_plans": {n: s.digest() for n, s in compiled.launch_plans.items()},
        "bundle": bundle_uri.rsplit("/", 1)[-1],
    }
    return "r-" + digest_of(parts).split(":", 1)[1][:16]


def register_compiled(store: BrowsableStore, compiled: CompiledEntity, *, project: str, domain: str, version: str,
                      bundle_uri: str) -> None:
    """Register every spec of ``compiled`` in one transaction (idempotent for identical content), under the
    registry lock as every registry write (waiting up to ``REGISTER_LOCK_TIMEOUT`` for an apply to end)."""
    from flowctl._address import EntityKind
    from flowctl.spec import ProjectSpec
    from flowctl.state._actor import lock_info

    where = f"{project}/{domain}/{compiled.name}@{version}"
    with store.lock(lock_info("run --remote", where), timeout=REGISTER_LOCK_TIMEOUT), store.transaction() as tx:
        if project not in {listed.name for listed in store.list_projects()}:  # the project rows only: applies wait
            tx.upsert_project(ProjectSpec(name=project), managed_by=REMOTE_MANAGER)
        groups = ((EntityKind.TASK, compiled.tasks), (EntityKind.WORKFLOW, compiled.workflows),
                  (EntityKind.LAUNCH_PLAN, compiled.launch_plans))
        for kind, specs in groups:
            for name, spec in specs.items():
                tx.register(kind, project, domain, name, version, spec.to_json(), spec.digest(),
                            managed_by=REMOTE_MANAGER, created_by=REMOTE_MANAGER, bundle_uri=bundle_uri)


def task_workflow(task: TaskSpec) -> tuple[WorkflowSpec, LaunchPlanSpec]:
    """A one-node workflow (named like the task) running ``task``, and its default launch plan: how
    a single task is launched remotely, as ``flowctl run`` runs one locally (node ``n0``)."""
    interface = task.interface
    node = NodeSpec(id="n0", kind="task", target=task.name, outputs=interface.outputs,
                    inputs={i.name: PromiseBinding(node=WORKFLOW_INPUTS_NODE, output=i.name) for i in interface.inputs})
    workflow = WorkflowSpec(name=task.name, interface=interface, nodes=(node,), tasks=(task.name,),
                            outputs={o.name: PromiseBinding(node="n0", output=o.name) for o in interface.outputs})
    return workflow, LaunchPlanSpec(name=task.name, workflow=task.name)


def launchable(compiled: CompiledEntity) -> CompiledEntity:
    """``compiled`` with a launch plan named ``compiled.name``: a task gets its one-node workflow."""
    from dataclasses import replace

    from flowctl._address import EntityKind

    if compiled.kind != EntityKind.TASK or not isinstance(compiled.spec, TaskSpec):
        return compiled
    workflow, launch_plan = task_workflow(compiled.spec)
    return replace(compiled, workflows={workflow.name: workflow}, launch_plans={launch_plan.name: launch_plan})


def launch_remote(
    entity: Any,
    file: str | Path,
    inputs: Mapping[str, Json],
    config: Config,
    store: ExecutionAccess,
    *,
    project: str | None = None,
    domain: str | None = None,
    registry: BrowsableStore | None = None,
    upload: Callable[[bytes], str] | None = None,
) -> ExecutionRecord:
    """Register ``entity`` (a workflow, launch plan or task of ``file``) with the code of ``file``'s
    import root at a content version, and create an execution of it with ``inputs`` (JSON values;
    the launch applies defaults, refuses fixed inputs and checks types, as every launch does).

    Project and domain: the arguments, else ``FLOWCTL_PROJECT`` / ``FLOWCTL_DOMAIN``, else
    ``default`` / ``development``.
    """
    from flowctl._bundle import create_bundle
    from flowctl._runtime import module_root
    from flowctl.engine._launch import launch
    from flowctl.sdk import compile_entity

    project = project or os.environ.get("FLOWCTL_PROJECT") or "default"
    domain = domain or os.environ.get("FLOWCTL_DOMAIN") or "development"
    compiled = launchable(compile_entity(entity))
    root, _ = module_root(Path(file))
    if upload is not None:  # through the server: it stores the bundle in its blob store
        from flowctl._bundle import bundle_data

        bundle_uri = upload(bundle_data(root))
    else:
        bundle_uri = create_bundle(root, config.blob_store_url)
    version = remote_version(compiled, bundle_uri)
    if registry is None:
        from flowctl.state import open_store

        with open_store(config.registry_url) as own:
            register_compiled(own, compiled, project=project, domain=domain, version=version, bundle_uri=bundle_uri)
    else:
        register_compiled(registry, compiled, project=project, domain=domain, version=version, bundle_uri=bundle_uri)
    return launch(store, project, domain, compiled.name, inputs, version=version)
