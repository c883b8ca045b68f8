"""DAG semantics through the controller (subworkflows, map tasks, conditionals, launch-plan nodes,
max parallelism, two controllers) with FakeProvider running tasks in-process."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from engine_support import DOMAIN, PROJECT, flows, register, run_until_done

from flowctl import _blobstore as blobs
from flowctl._execute import execute_attempt
from flowctl.engine import Controller, EngineContext, EngineOptions, launch
from flowctl.providers import ProviderFailure, SubmitRequest
from flowctl.providers.testing import FakeProvider, FakeResult
from flowctl.spec import Json, TaskSpec
from flowctl.state._executions import open_execution_store


def in_process(request: SubmitRequest) -> FakeResult:
    inputs = blobs.read_json(request.inputs_uri)
    try:
        return execute_attempt(TaskSpec.model_validate(request.task), inputs)
    except Exception as exc:  # a task failure, as the entrypoint would report it
        return ProviderFailure("user", "USER:TaskFailed", str(exc), getattr(exc, "retryable", True))


def fake_context(url: str, tmp: Path, handler: object = in_process, **options: object) -> tuple[EngineContext, FakeProvider]:
    provider = FakeProvider(handler)  # type: ignore[arg-type]
    ctx = EngineContext(open_execution_store(url), provider, blobs.BlobStore(str(tmp / "blobs")),
                        options=EngineOptions(retry_backoff=0.01, **options))  # type: ignore[arg-type]
    return ctx, provider


def test_composite_subworkflow_map_branch(sqlite_url: str, tmp_path: Path) -> None:
    register(sqlite_url, [flows.composite], bundle_uri=None)
    ctx, _provider = fake_context(sqlite_url, tmp_path)
    big = run_until_done(ctx, launch(ctx.store, PROJECT, DOMAIN, "flows.composite", {"xs": [1, 2, 3], "a": 3}).id)
    assert big.phase == "succeeded", big.error
    assert big.outputs == {"o0": 28}  # inner 6 > 5: double(1+4+9)
    small = run_until_done(ctx, launch(ctx.store, PROJECT, DOMAIN, "flows.composite", {"xs": [1, 2], "a": 1}).id)
    assert small.outputs == {"o0": 7}  # else: add(5, 2)
    nodes = ctx.store.load_nodes(small.id)
    assert {"n0", "n0/n0", "n1", "n1[0]", "n1[1]", "n2", "n3", "n3/n5"} <= set(nodes)
    assert "n3/n4" not in nodes


def test_map_min_success_ratio(sqlite_url: str, tmp_path: Path) -> None:
    register(sqlite_url, [flows.mapped_partial], bundle_uri=None)
    ctx, _ = fake_context(sqlite_url, tmp_path)
    ok = run_until_done(ctx, launch(ctx.store, PROJECT, DOMAIN, "flows.mapped_partial", {"xs": [2, -1, 3, 4]}).id)
    assert ok.phase == "succeeded" and ok.outputs == {"o0": [4, None, 9, 16]}
    bad = run_until_done(ctx, launch(ctx.store, PROJECT, DOMAIN, "flows.mapped_partial", {"xs": [-2, -1, 3]}).id)
    assert bad.phase == "failed" and bad.error and "1 of 3 items" in bad.error["message"]


def test_launch_plan_node_runs_child_execution(registry_url: str, tmp_path: Path) -> None:
    register(registry_url, [flows.parent], bundle_uri=None)
    ctx, _ = fake_context(registry_url, tmp_path)
    execution = launch(ctx.store, PROJECT, DOMAIN, "flows.parent", {"a": 4})
    done = run_until_done(ctx, execution.id)
    assert done.phase == "succeeded" and done.outputs == {"o0": 20}  # double(chain(a=4, b=1 fixed))
    (child,) = ctx.store.children(execution.id)
    assert child.launch_plan_name == "chain_fixed" and child.inputs == {"a": 4, "b": 1}


def test_max_parallelism_and_fail_immediately(sqlite_url: str, tmp_path: Path) -> None:
    register(sqlite_url, [flows.mapped_partial], bundle_uri=None)
    running: list[SubmitRequest] = []

    def hold(request: SubmitRequest) -> FakeResult:
        running.append(request)
        return None  # keeps running until finished by hand

    ctx, provider = fake_context(sqlite_url, tmp_path, hold)
    store = ctx.store
    execution = launch(store, PROJECT, DOMAIN, "flows.mapped_partial", {"xs": list(range(6))})
    with store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE executions SET max_parallelism = 2 WHERE id = ?", (execution.id,))
    controller = Controller(ctx, schedules=False, notifications=False)
    for _ in range(3):
        controller.step()
    assert len(running) == 2
    for handle in provider.handles():
        provider.finish(handle, {"o0": 0})
    controller.step()
    controller.step()
    assert len(running) == 4


def test_two_controllers_never_run_a_node_twice(registry_url: str, tmp_path: Path) -> None:
    register(registry_url, [flows.chain], bundle_uri=None)

    def slowish(request: SubmitRequest) -> FakeResult:
        time.sleep(0.02)  # long enough that both controllers get a share of the work
        return in_process(request)

    ctx_a, provider_a = fake_context(registry_url, tmp_path, slowish)
    ctx_b, provider_b = fake_context(registry_url, tmp_path, slowish)
    ids = [launch(ctx_a.store, PROJECT, DOMAIN, "flows.chain", {"a": i, "b": 1}).id for i in range(20)]
    ctx_a.options = EngineOptions(retry_backoff=0.01, claim_batch=3)
    ctx_b.options = EngineOptions(retry_backoff=0.01, claim_batch=3)
    a = Controller(ctx_a, schedules=False, notifications=False)
    b = Controller(ctx_b, schedules=False, notifications=False)
    threads = [threading.Thread(target=c.run, kwargs={"poll_interval": 0.01, "until_idle": True}) for c in (a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    outputs: list[Json] = [ctx_a.store.get_execution(i).outputs for i in ids]  # type: ignore[union-attr]
    assert outputs == [{"o0": 2 * (i + 1)} for i in range(20)]
    submitted = [(r.ref.execution, r.ref.node, r.ref.attempt) for r in provider_a.submitted + provider_b.submitted]
    assert len(submitted) == len(set(submitted)) == 40
    assert provider_a.submitted and provider_b.submitted  # both did work


def test_empty_map_succeeds(sqlite_url: str, tmp_path: Path) -> None:
    register(sqlite_url, [flows.mapped_partial], bundle_uri=None)
    ctx, _ = fake_context(sqlite_url, tmp_path)
    done = run_until_done(ctx, launch(ctx.store, PROJECT, DOMAIN, "flows.mapped_partial", {"xs": []}).id)
    assert done.phase == "succeeded" and done.outputs == {"o0": []}


def test_fail_after_executable_nodes_complete(sqlite_url: str, tmp_path: Path) -> None:
    register(sqlite_url, [flows.keep_going], bundle_uri=None)
    ctx, _ = fake_context(sqlite_url, tmp_path)
    done = run_until_done(ctx, launch(ctx.store, PROJECT, DOMAIN, "flows.keep_going", {"x": 2}).id)
    nodes = ctx.store.load_nodes(done.id)
    assert done.phase == "failed" and "boom 2" in str(done.error)
    assert nodes["n0"].phase == "failed" and nodes["n1"].phase == "succeeded" and "n2" not in nodes
