"""Task types through the controller with the local provider: real subprocess attempts running the
entrypoint, which dispatches container/shell tasks to their plugins and dynamic tasks to the
sub-workflow compiler."""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from flowctl._address import EntityKind
from flowctl._blobstore import BlobStore
from flowctl._bundle import create_bundle
from flowctl.engine import Controller, EngineContext, EngineOptions, launch
from flowctl.providers.local import LocalProvider
from flowctl.sdk import compile_entity
from flowctl.spec import ProjectSpec
from flowctl.state import open_store
from flowctl.state._executions import ExecutionRecord, open_execution_store

HERE = Path(__file__).parent
PROJECT, DOMAIN, VERSION = "proj", "development", "v1"
sys.path.insert(0, str(HERE))
import tasktype_flows as flows  # noqa: E402


def _register(url: str, entities: Sequence[Any], bundle_uri: str) -> None:
    store = open_store(url)
    try:
        with store.transaction() as tx:
            tx.upsert_project(ProjectSpec(name=PROJECT), managed_by="tests")
            for obj in entities:
                compiled = compile_entity(obj)
                for kind, specs in ((EntityKind.TASK, compiled.tasks), (EntityKind.WORKFLOW, compiled.workflows),
                                    (EntityKind.LAUNCH_PLAN, compiled.launch_plans)):
                    for name, spec in specs.items():
                        tx.register(kind, PROJECT, DOMAIN, name, VERSION, spec.to_json(), spec.digest(),
                                    managed_by="tests", created_by="tests", bundle_uri=bundle_uri)
    finally:
        store.close()


@pytest.fixture
def ctx(tmp_path: Path, sqlite_url: str) -> tuple[str, EngineContext]:
    blob_url = str(tmp_path / "blobs")
    root = tmp_path / "src"
    root.mkdir()
    shutil.copy(HERE / "tasktype_flows.py", root / "tasktype_flows.py")
    uri = create_bundle(root, blob_url)
    _register(sqlite_url, [flows.container_and_shell, flows.dynamic_areas, flows.nested_dynamic, flows.mapped_areas,
                           flows.failing, flows.tolerant_map,
                           flows.counting], uri)
    context = EngineContext(open_execution_store(sqlite_url), LocalProvider(blob_url, log_dir=tmp_path / "logs"),
                            BlobStore(blob_url), options=EngineOptions(retry_backoff=0.05, lease_seconds=1.0))
    return sqlite_url, context


def _run(context: EngineContext, workflow: str, inputs: dict[str, Any], timeout: float = 45) -> ExecutionRecord:
    execution = launch(context.store, PROJECT, DOMAIN, workflow, inputs)
    controller = Controller(context, schedules=False, notifications=False)
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        controller.step()
        found = context.store.get_execution(execution.id)
        assert found is not None
        if found.terminal:
            return found
        time.sleep(0.02)
    raise AssertionError(f"execution did not finish: {context.store.get_execution(execution.id)}")


def test_container_and_shell_tasks_run_as_attempts(ctx: tuple[str, EngineContext]) -> None:
    _, context = ctx
    done = _run(context, "tasktype_flows.container_and_shell", {"w": 2, "h": 3, "label": "box"})
    assert done.phase == "succeeded", done.error
    assert done.outputs == {"o0": "area is 12 for box"}


def test_a_failing_shell_task_fails_the_execution_with_its_stderr(ctx: tuple[str, EngineContext]) -> None:
    _, context = ctx
    done = _run(context, "tasktype_flows.failing", {"x": 1})
    assert done.phase == "failed" and done.error is not None
    assert "exited with status 7: disk full" in done.error["message"]
    assert "stderr:" in done.error["traceback"] and "disk full" in done.error["traceback"]


def test_map_task_over_a_container_task_runs_one_attempt_per_item(ctx: tuple[str, EngineContext]) -> None:
    _, context = ctx
    done = _run(context, "tasktype_flows.mapped_areas", {"ws": [1, 2, 3]})
    assert done.phase == "succeeded", done.error
    assert done.outputs == {"o0": [1, 4, 9]}
    attempts = context.store.load_attempts(done.id)
    assert sorted(n for n in attempts if n.startswith("n0")) == ["n0[0]", "n0[1]", "n0[2]"]


def test_map_task_concurrency_and_min_success_ratio(ctx: tuple[str, EngineContext]) -> None:
    _, context = ctx
    done = _run(context, "tasktype_flows.tolerant_map", {"xs": [1, 2, 3, 5, 7]})
    assert done.phase == "succeeded", done.error
    assert done.outputs == {"o0": [1, None, 3, 5, 7]}
    attempts = [a for n, atts in context.store.load_attempts(done.id).items() for a in atts if n.startswith("n0[")]
    assert len({a.node_id for a in attempts}) == 5
    for a in attempts:  # never more than `concurrency` items running at once
        running = [b for b in attempts if b.started_at and b.finished_at and a.started_at
                   and b.started_at <= a.started_at < b.finished_at]
        assert len(running) <= 2
    failed = _run(context, "tasktype_flows.tolerant_map", {"xs": [2, 4, 1]})
    assert failed.phase == "failed" and failed.error is not None and "1 of 3 items succeeded" in failed.error["message"]


def test_dynamic_fan_out_in_the_controller(ctx: tuple[str, EngineContext]) -> None:
    _, context = ctx
    done = _run(context, "tasktype_flows.dynamic_areas", {"sizes": [1, 2, 3]})
    assert done.phase == "succeeded", done.error
    assert done.outputs == {"o0": 14}
    nodes = context.store.load_nodes(done.id)
    assert {"n0/d0", "n0/d1", "n0/d2"} <= set(nodes)
    assert all(nodes[n].phase == "succeeded" for n in ("n0", "n0/d0", "n0/d2", "n1"))


def test_nested_dynamic_tasks_in_the_controller(ctx: tuple[str, EngineContext]) -> None:
    _, context = ctx
    done = _run(context, "tasktype_flows.nested_dynamic", {"sizes": [2, 3]})
    assert done.phase == "succeeded", done.error
    assert done.outputs == {"o0": 13}
    nodes = context.store.load_nodes(done.id)
    assert {"n0/d0", "n0/d0/d0", "n0/d0/d1", "n0/d1"} <= set(nodes)


def test_a_restarted_controller_reuses_finished_sub_nodes(ctx: tuple[str, EngineContext], tmp_path: Path) -> None:
    url, context = ctx
    counter = tmp_path / "runs.txt"
    execution = launch(context.store, PROJECT, DOMAIN, "tasktype_flows.counting", {"n": 3, "counter": str(counter)})
    first = Controller(context, schedules=False, notifications=False)
    end = time.monotonic() + 30
    while time.monotonic() < end:  # until some sub-nodes finished, then "crash"
        first.step()
        nodes = context.store.load_nodes(execution.id)
        if any(n.startswith("n0/") and r.phase == "succeeded" for n, r in nodes.items()):
            break
        time.sleep(0.02)
    restarted = EngineContext(open_execution_store(url), LocalProvider(context.blobs.url, log_dir=tmp_path / "logs2"),
                              BlobStore(context.blobs.url), options=EngineOptions(retry_backoff=0.05, lease_seconds=1.0))
    second = Controller(restarted, schedules=False, notifications=False)
    while time.monotonic() < end:
        second.step()
        found = restarted.store.get_execution(execution.id)
        assert found is not None
        if found.terminal:
            break
        time.sleep(0.02)
    assert found.phase == "succeeded" and found.outputs == {"o0": [0, 1, 2]}
    assert sorted(counter.read_text().split()) == ["0", "1", "2"]  # every sub-node ran once
    assert len(restarted.store.load_attempts(execution.id)["n0"]) == 1  # the body ran once
