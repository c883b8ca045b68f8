"""``flowctl run --remote``: register a workflow from a file at a content version and launch it.

The inner loop against a registry: the file's folder (its import root) is bundled, the workflow and
everything it uses are compiled and registered at a version derived from their specs and the
bundle (so re-running unchanged code registers nothing new), and its default launch plan is
launched. A running ``flowctl controller`` executes it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flowctl._errors import InputError
from flowctl.spec import Json, digest_of

if TYPE_CHECKING:
    from flowctl._config import Config
    from flowctl.sdk import CompiledEntity

REMOTE_MANAGER = "flowctl run --remote"


def remote_version(compiled: CompiledEntity, bundle_uri: str) -> str:
    """``r-`` + 16 hex of the digest of every spec and the bundle: same code, same version."""
    parts = {
        "tasks": {n: s.digest() for n, s in compiled.tasks.items()},
        "workflows": {n: s.digest() for n, s in compiled.workflows.items()},
        "launch_plans": {n: s.digest() for n, s in compiled.launch_plans.items()},
        "bundle": bundle_uri.rsplit("/", 1)[-1],
    }
    return "r-" + digest_of(parts).split(":", 1)[1][:16]


def _find_workflow(module: Any, name: str) -> Any:
    from flowctl.sdk import WorkflowDefinition, definition_of

    candidates = [getattr(module, name, None)] + [getattr(module, a, None) for a in dir(module)]
    for obj in candidates:
        if obj is None or not callable(obj):
            continue
        try:
            definition = definition_of(obj)
        except Exception:
            continue
        if isinstance(definition, WorkflowDefinition) and name in (definition.name, definition.qualname):
            return obj
    raise InputError(f"No workflow `{name}` in {module.__file__}",
                     detail="Give the name of a @workflow function defined in that file.")


def _json_inputs(obj: Any, inputs: Mapping[str, Any]) -> dict[str, Json]:
    from flowctl.sdk import definition_of, to_json_value

    interface = definition_of(obj).interface
    values: dict[str, Json] = {}
    for name, value in inputs.items():
        param = interface.param(name)
        values[name] = to_json_value(value, param.py_type) if param is not None else value
    return values


def register_compiled(store_url: str, compiled: CompiledEntity, *, project: str, domain: str, version: str,
                      bundle_uri: str) -> None:
    """Register every spec of ``compiled`` in one transaction (idempotent for identical content)."""
    from flowctl._address import EntityKind
    from flowctl.spec import ProjectSpec
    from flowctl.state import open_store

    store = open_store(store_url)
    try:
        with store.transaction() as tx:
            if project not in store.snapshot().projects:
                tx.upsert_project(ProjectSpec(name=project), managed_by=REMOTE_MANAGER)
            groups = ((EntityKind.TASK, compiled.tasks), (EntityKind.WORKFLOW, compiled.workflows),
                      (EntityKind.LAUNCH_PLAN, compiled.launch_plans))
            for kind, specs in groups:
                for name, spec in specs.items():
                    tx.register(kind, project, domain, name, version, spec.to_json(), spec.digest(),
                                managed_by=REMOTE_MANAGER, created_by=REMOTE_MANAGER, bundle_uri=bundle_uri)
    finally:
        store.close()


def run_remote(
    file: str | Path,
    workflow_name: str,
    inputs: Mapping[str, Any],
    config: Config,
    wait: bool,
    *,
    project: str | None = None,
    domain: str | None = None,
) -> int:
    """Register ``workflow_name`` from ``file`` and launch it; returns the exit code (0, or 1 when
    ``wait`` and the execution did not succeed). ``inputs`` are Python or JSON values by name.

    Project and domain: the arguments, else ``FLOWCTL_PROJECT`` / ``FLOWCTL_DOMAIN``, else
    ``default`` / ``development``.
    """
    from rich.console import Console

    from flowctl._bundle import create_bundle
    from flowctl._runtime import import_file, module_root
    from flowctl.engine._launch import launch
    from flowctl.engine._view import watch
    from flowctl.sdk import compile_entity
    from flowctl.state._executions import open_execution_store

    project = project or os.environ.get("FLOWCTL_PROJECT") or "default"
    domain = domain or os.environ.get("FLOWCTL_DOMAIN") or "development"
    module = import_file(file)
    obj = _find_workflow(module, workflow_name)
    compiled = compile_entity(obj)
    root, _ = module_root(Path(file))
    bundle_uri = create_bundle(root, config.blob_store_url)
    version = remote_version(compiled, bundle_uri)
    register_compiled(config.registry_url, compiled, project=project, domain=domain, version=version,
                      bundle_uri=bundle_uri)
    store = open_execution_store(config.registry_url)
    err = Console(stderr=True)
    try:
        execution = launch(store, project, domain, compiled.name, _json_inputs(obj, inputs), version=version)
        err.print(f"launched execution {project}/{domain}/{execution.name} ({compiled.name}@{version})")
        print(execution.name)
        if not wait:
            return 0
        final = watch(store, execution.id, err)
        err.print(f"execution {final.name} {final.phase}")
        if final.error:
            err.print(f"{final.error.get('code')}: {final.error.get('message')}", markup=False)
        return 0 if final.phase == "succeeded" else 1
    finally:
        store.close()
