"""Controller benchmarks: engine overhead per node, launch -> SUCCEEDED, draining a queue, firing delay.

    .venv/bin/python benchmarks/controller.py [--postgres URL] [--quick]

``rows(registry_url, quick)`` gives the figures of issue 13 for ``benchmarks/run_all.py``.

1. node transitions/s: a 200-node chain and a 500-item map on FakeProvider (attempts finish at
   submit, so only the controller's own work is measured; process start excluded). A node makes two
   transitions (started, finished).
2. launch -> SUCCEEDED of a one-node execution on the local provider (a real process).
3. 1,000 queued one-node executions drained by one controller (FakeProvider).
4. scheduler firing delay: a 2-second FixedRate schedule, real clock, controller polling every 0.1 s.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from _table import BenchRow

from flowctl._address import EntityKind
from flowctl._blobstore import BlobStore
from flowctl._bundle import create_bundle
from flowctl.engine import Controller, EngineContext, EngineOptions, launch
from flowctl.providers.local import LocalProvider
from flowctl.providers.testing import FakeProvider
from flowctl.spec import (
    CodeSpec,
    InputSpec,
    InterfaceSpec,
    LaunchPlanSpec,
    MapSpec,
    NodeSpec,
    OutputSpec,
    ProjectSpec,
    PromiseBinding,
    ScheduleSpec,
    TaskSpec,
    TypeSpec,
    WorkflowSpec,
)
from flowctl.state import open_store
from flowctl.state._executions import open_execution_store

INT = TypeSpec(kind="int")
P, D, V = "bench", "development", "v1"
TASK = TaskSpec(
    name="bench.inc",
    interface=InterfaceSpec(inputs=(InputSpec(name="x", type=INT),), outputs=(OutputSpec(name="o0", type=INT),)),
    code=CodeSpec(module="bench", qualname="inc", source_file="bench.py", source_line=1, code_digest="x"),
)
SOURCE = "from flowctl import task\n\n@task\ndef inc(x: int) -> int:\n    return x + 1\n"


def chain(n: int, task: TaskSpec = TASK) -> WorkflowSpec:
    nodes = [NodeSpec(id="n0", kind="task", target=task.name, inputs={"x": PromiseBinding(node="start", output="x")})]
    for i in range(1, n):
        nodes.append(NodeSpec(id=f"n{i}", kind="task", target=task.name,
                              inputs={"x": PromiseBinding(node=f"n{i - 1}", output="o0")}))
    return WorkflowSpec(name=f"chain{n}", interface=task.interface, nodes=tuple(nodes),
                        outputs={"o0": PromiseBinding(node=f"n{n - 1}", output="o0")}, tasks=(task.name,))


def mapped() -> WorkflowSpec:
    list_int = TypeSpec(kind="list", args=(INT,))
    interface = InterfaceSpec(inputs=(InputSpec(name="xs", type=list_int),), outputs=(OutputSpec(name="o0", type=list_int),))
    node = NodeSpec(id="n0", kind="map", target=TASK.name, inputs={"x": PromiseBinding(node="start", output="xs")},
                    map=MapSpec())
    return WorkflowSpec(name="mapped", interface=interface, nodes=(node,), outputs={"o0": PromiseBinding(node="n0", output="o0")},
                        tasks=(TASK.name,))


def register(url: str, bundle: str | None, *extra: LaunchPlanSpec, task: TaskSpec = TASK,
             chains: tuple[int, ...] = (1, 20, 100, 200)) -> None:
    """``task``, a ``chainN`` workflow of it for each length in ``chains`` and a map of it, each with its
    launch plan, registered in the bench project; ``extra`` launch plans activated."""
    store = open_store(url)
    with store.transaction() as tx:
        tx.upsert_project(ProjectSpec(name=P), managed_by="bench")
        specs: list[tuple[EntityKind, TaskSpec | WorkflowSpec | LaunchPlanSpec]] = [(EntityKind.TASK, task)]
        for wf in (*(chain(n, task) for n in chains), mapped()):
            specs += [(EntityKind.WORKFLOW, wf), (EntityKind.LAUNCH_PLAN, LaunchPlanSpec(name=wf.name, workflow=wf.name))]
        specs += [(EntityKind.LAUNCH_PLAN, lp) for lp in extra]
        for kind, spec in specs:
            tx.register(kind, P, D, spec.name, V, spec.to_json(), spec.digest(), managed_by="bench", created_by="bench",
                        bundle_uri=bundle)
        for lp in extra:
            tx.activate(P, D, lp.name, V, managed_by="bench")
    store.close()


def fake_ctx(url: str, tmp: Path) -> EngineContext:
    provider = FakeProvider(lambda r: {"o0": 1})
    return EngineContext(open_execution_store(url), provider, BlobStore(str(tmp / "blobs")),
                         options=EngineOptions(claim_batch=200))


def drain(ctx: EngineContext) -> None:
    controller = Controller(ctx, schedules=False, notifications=False)
    while ctx.store.count_executions():
        controller.step()
    controller.shutdown()


def bench_transitions(url: str, tmp: Path) -> dict[str, float]:
    ctx = fake_ctx(url, tmp)
    results = {}
    launch(ctx.store, P, D, "chain200", {"x": 0})
    started = time.perf_counter()
    drain(ctx)
    results["chain_200_nodes_transitions_per_s"] = 400 / (time.perf_counter() - started)
    launch(ctx.store, P, D, "mapped", {"xs": list(range(500))})
    started = time.perf_counter()
    drain(ctx)
    results["map_500_items_transitions_per_s"] = 1000 / (time.perf_counter() - started)
    return results


def bench_drain(url: str, tmp: Path, count: int) -> dict[str, float]:
    ctx = fake_ctx(url, tmp)
    for i in range(count):
        launch(ctx.store, P, D, "chain1", {"x": i})
    started = time.perf_counter()
    drain(ctx)
    elapsed = time.perf_counter() - started
    return {f"drain_{count}_executions_s": elapsed, "executions_per_s": count / elapsed}


def bench_one_node_local(url: str, tmp: Path, bundle: str, runs: int) -> dict[str, float]:
    provider = LocalProvider(str(tmp / "blobs"), log_dir=tmp / "logs")
    ctx = EngineContext(open_execution_store(url), provider, BlobStore(str(tmp / "blobs")))
    controller = Controller(ctx, schedules=False, notifications=False)
    times = []
    for i in range(runs):
        started = time.perf_counter()
        execution = launch(ctx.store, P, D, "chain1", {"x": i})
        while True:
            controller.step()
            current = ctx.store.get_execution(execution.id)
            if current is not None and current.terminal:
                assert current.phase == "succeeded", current.error
                break
            time.sleep(0.02)
        times.append(time.perf_counter() - started)
    controller.shutdown()
    return {"launch_to_succeeded_median_s": statistics.median(times), "launch_to_succeeded_max_s": max(times)}


def bench_local_controller(url: str, tmp: Path, runs: int, workflow: str) -> list[float]:
    """Seconds from launch to SUCCEEDED of ``runs`` executions of ``workflow``, one after the other, on
    the local provider (a process per attempt) with a controller running as ``flowctl controller`` does."""
    provider = LocalProvider(str(tmp / "blobs"), log_dir=tmp / "logs")
    ctx = EngineContext(open_execution_store(url), provider, BlobStore(str(tmp / "blobs")))
    controller = Controller(ctx, schedules=False, notifications=False)
    thread = threading.Thread(target=controller.run, kwargs={"poll_interval": 0.5}, daemon=True)
    thread.start()
    client = open_execution_store(url)  # as `flowctl launch` would, through its own store
    times = []
    try:
        time.sleep(0.3)
        for i in range(runs):
            started = time.perf_counter()
            execution = launch(client, P, D, workflow, {"x": i})
            while True:
                current = client.get_execution(execution.id)
                if current is not None and current.terminal:
                    assert current.phase == "succeeded", current.error
                    break
                time.sleep(0.005)
            times.append(time.perf_counter() - started)
    finally:
        controller.stop()
        thread.join()
        client.close()
    return times


def rows(registry_url: str, quick: bool) -> list[BenchRow]:
    """The controller figures of issue 13 on the registry at ``registry_url`` (empty; it is filled here)."""
    pg = registry_url.startswith("postgres")
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        (tmp / "src").mkdir()
        (tmp / "src" / "bench.py").write_text(SOURCE)
        bundle = create_bundle(tmp / "src", str(tmp / "blobs"))
        register(registry_url, bundle)
        drained = 300 if quick else 1000
        transitions = bench_transitions(registry_url, tmp)
        drain_rate = bench_drain(registry_url, tmp, drained)["executions_per_s"]
        one = statistics.median(bench_local_controller(registry_url, tmp, 3 if quick else 7, "chain1"))
        length = 20 if quick else 100
        whole = bench_local_controller(registry_url, tmp, 1, f"chain{length}")[0]
    return [
        BenchRow("1-node execution, launch -> SUCCEEDED (local, median)", one, "s", 0.3, "lower"),
        BenchRow(f"chain of {length} tasks, one process per attempt", whole, "s", length * 0.1, "lower"),
        BenchRow("node transitions/s, 200-node chain of no-op tasks", transitions["chain_200_nodes_transitions_per_s"],
                 "/s", 300 if pg else 500, "higher"),
        BenchRow("node transitions/s, 500-item map of no-op tasks", transitions["map_500_items_transitions_per_s"],
                 "/s", 300 if pg else 500, "higher"),
        BenchRow(f"{drained:,} one-node executions drained", drain_rate, "/s", 60 if pg else 100, "higher"),
    ]


def bench_firing_delay(url: str, tmp: Path, fires: int) -> dict[str, float]:
    ctx = fake_ctx(url, tmp)
    controller = Controller(ctx, notifications=False)
    delays: list[float] = []
    end = time.monotonic() + fires * 2 + 5
    start = datetime.now(UTC)
    seen: set[str] = set()
    while len(delays) < fires and time.monotonic() < end:
        controller.step()
        for x in ctx.store.list_executions(launch_plan="every2s"):
            # the first fire after start-up is a catch-up (``latest``), not an on-time fire
            if x.name not in seen and x.scheduled_at is not None and x.scheduled_at > start:
                seen.add(x.name)
                delays.append((x.created_at - x.scheduled_at).total_seconds())
        time.sleep(0.1)
    controller.shutdown()
    return {"fire_delay_median_s": statistics.median(delays), "fire_delay_max_s": max(delays), "fires": len(delays)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", default=None, help="also run against this PostgreSQL URL (a fresh database/schema)")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        (tmp / "src").mkdir()
        (tmp / "src" / "bench.py").write_text(SOURCE)
        backends = [("sqlite", f"sqlite:///{tmp / 'registry.db'}")]
        if args.postgres:
            backends.append(("postgresql", args.postgres))
        rate = LaunchPlanSpec(name="every2s", workflow="chain1", default_inputs={"x": 1},
                              schedule=ScheduleSpec(kind="rate", rate_seconds=2))
        for name, url in backends:
            bundle = create_bundle(tmp / "src", str(tmp / "blobs"))
            register(url, bundle, rate)
            print(f"== {name}")
            for key, value in {
                **bench_transitions(url, tmp),
                **bench_drain(url, tmp, 200 if args.quick else 1000),
                **bench_one_node_local(url, tmp, bundle, 3 if args.quick else 5),
                **bench_firing_delay(url, tmp, 2 if args.quick else 4),
            }.items():
                print(f"{key:40s} {value:10.3f}")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
