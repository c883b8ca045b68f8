"""Helpers for engine tests: compile ``flows_root/flows.py`` with the SDK, bundle it, register it
through the store API, and build engine contexts on the local provider."""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from flowctl._address import EntityKind
from flowctl._blobstore import BlobStore
from flowctl._bundle import create_bundle
from flowctl.engine import Controller, EngineContext, EngineOptions
from flowctl.providers.local import LocalProvider
from flowctl.sdk import compile_entity
from flowctl.spec import ProjectSpec
from flowctl.state import open_store
from flowctl.state._executions import ExecutionRecord, open_execution_store

HERE = Path(__file__).parent
FLOWS_ROOT = HERE / "flows_root"
PROJECT, DOMAIN, VERSION = "proj", "development", "v1"

if str(FLOWS_ROOT) not in sys.path:
    sys.path.insert(0, str(FLOWS_ROOT))
import flows  # noqa: E402

__all__ = ["DOMAIN", "PROJECT", "VERSION", "flows"]


def bundle(root: Path, blob_url: str) -> str:
    """Copy the flows into a fresh manifest root and store its bundle."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(FLOWS_ROOT / "flows.py", root / "flows.py")
    return create_bundle(root, blob_url)


def register(url: str, entities: Sequence[Any], *, bundle_uri: str | None, version: str = VERSION,
             activate: Sequence[str] = (), project: str = PROJECT, domain: str = DOMAIN) -> None:
    """Compile each SDK object and register everything it needs at ``version``."""
    store = open_store(url)
    try:
        with store.transaction() as tx:
            tx.upsert_project(ProjectSpec(name=project), managed_by="tests")
            for obj in entities:
                compiled = compile_entity(obj)
                groups = ((EntityKind.TASK, compiled.tasks), (EntityKind.WORKFLOW, compiled.workflows),
                          (EntityKind.LAUNCH_PLAN, compiled.launch_plans))
                for kind, specs in groups:
                    for name, spec in specs.items():
                        tx.register(kind, project, domain, name, version, spec.to_json(), spec.digest(),
                                    managed_by="tests", created_by="tests", bundle_uri=bundle_uri)
            for name in activate:
                tx.activate(project, domain, name, version, managed_by="tests")
    finally:
        store.close()


def local_context(url: str, blob_url: str, tmp: Path, **options: Any) -> EngineContext:
    options.setdefault("retry_backoff", 0.05)
    return EngineContext(open_execution_store(url), LocalProvider(blob_url, log_dir=tmp / "logs"), BlobStore(blob_url),
                         options=EngineOptions(**options))


def run_until_done(ctx: EngineContext, execution_id: str, timeout: float = 30) -> ExecutionRecord:
    controller = Controller(ctx, schedules=False, notifications=False)
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        controller.step()
        found = ctx.store.get_execution(execution_id)
        assert found is not None
        if found.terminal:
            return found
        time.sleep(0.02)
    raise AssertionError(f"execution did not finish: {ctx.store.get_execution(execution_id)}")
