"""Kubernetes benchmarks on k8s-sim (a real v1.28 control plane, ../shared/k8s-sim): launch -> SUCCEEDED.

    .venv/bin/python benchmarks/k8s_sim.py [--quick] [--trace]

``rows(registry_url, quick)`` gives, with the kubernetes provider and a controller running as
``flowctl controller`` does (poll interval 0.5 s, woken by the Job watch):

1. a 1-node execution, launch -> SUCCEEDED (median of 5, 2 with ``--quick``);
2. a chain of 10 tasks, launch -> SUCCEEDED, and its time per task.

The pods run this checkout's flowctl (``PYTHONPATH``) from a code bundle in a local-folder blob store
(the simulated node runs pods on this machine). ``--trace`` prints, for the chain, the gap of each
task between the Job watch reporting it complete and the next Job's creation, and the API calls
the controller made. When k8s-sim cannot run here (no etcd, no ``kubernetes`` package, not Linux)
``rows`` prints why and returns no rows. The cluster is started with ``K8S_SIM_HOME`` /
``K8S_SIM_PORT_BASE`` from the environment (or k8s-sim's defaults) and stopped at the end if this
run started it.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

try:
    from benchmarks._table import BenchRow
    from benchmarks.controller import SOURCE, TASK, P, register
except ImportError:  # run as a script: benchmarks/ itself is on sys.path
    from _table import BenchRow  # type: ignore[no-redef]
    from controller import SOURCE, TASK, P, register  # type: ignore[no-redef]

from flowctl._blobstore import BlobStore
from flowctl._bundle import create_bundle
from flowctl.engine import Controller, EngineContext, launch
from flowctl.state._executions import open_execution_store

ROOT = Path(__file__).resolve().parents[1]
SIM = Path(os.environ.get("K8S_SIM_DIR") or ROOT.parent / "shared" / "k8s-sim").resolve()
if not (SIM / "up.sh").is_file():  # a worktree beside the main checkout
    SIM = Path("/work/shared/k8s-sim")
CHAIN = 10
POD_TASK = TASK.model_copy(update={"environment": {"PYTHONPATH": str(ROOT)}})  # the pods import this checkout's flowctl


def reason_to_skip() -> str | None:
    if not sys.platform.startswith("linux"):
        return "k8s-sim runs on Linux only"
    if not (SIM / "up.sh").is_file():
        return f"k8s-sim not found in {SIM} (set K8S_SIM_DIR)"
    if not (os.environ.get("K8S_SIM_ETCD") or shutil.which("etcd") or os.path.exists("/usr/bin/etcd")):
        return "etcd not installed (apt-get install etcd-server, or set K8S_SIM_ETCD)"
    try:
        import kubernetes  # noqa: F401
    except ImportError:
        return "the kubernetes package is not installed"
    return None


@contextmanager
def cluster() -> Iterator[dict[str, str]]:
    """k8s-sim's exports (KUBECONFIG, K8S_SIM_HOME...); stopped afterwards if started here."""
    env = dict(os.environ, K8S_SIM_PYTHON=sys.executable,
               SIM_POD_PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    result = subprocess.run(["bash", str(SIM / "up.sh")], env=env, capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        raise RuntimeError("k8s-sim did not start:\n" + result.stderr[-3000:])
    info = dict(shlex.split(line)[1].split("=", 1) for line in result.stdout.splitlines() if line.startswith("export "))
    try:
        yield info
    finally:
        if info.get("K8S_SIM_STARTED") == "1":
            subprocess.run(["bash", str(SIM / "down.sh")], env=dict(env, K8S_SIM_HOME=info["K8S_SIM_HOME"]),
                           capture_output=True, timeout=60)


@dataclass
class Trace:
    """What the controller's provider did, with monotonic times: API calls and watch events."""

    calls: list[tuple[float, str, str, str]] = field(default_factory=list)  # (time, verb, resource, name)
    completed: dict[str, float] = field(default_factory=dict)  # job name -> first event showing it complete
    pod_done: dict[str, float] = field(default_factory=dict)  # job name -> first event showing its pod Succeeded
    job_done: dict[str, float] = field(default_factory=dict)  # job name -> first event with the Job's Complete condition
    lock: threading.Lock = field(default_factory=threading.Lock)

    def attach(self, provider: Any) -> None:
        client, call = provider.client, provider.client.call

        def traced(verb: str, resource: str, *args: Any, **kwargs: Any) -> Any:
            with self.lock:
                self.calls.append((time.monotonic(), verb, resource, str(kwargs.get("name", ""))))
            return call(verb, resource, *args, **kwargs)

        client.call = traced
        changed = provider._changed

        def on_change() -> None:
            now = time.monotonic()
            for (_, resource), informer in list(provider._informers.items()):
                for obj in informer.items():
                    status = obj.get("status") or {}
                    if resource == "pods" and status.get("phase") == "Succeeded":
                        self._first(self.pod_done, obj["metadata"]["labels"].get("job-name", ""), now)
                    elif resource == "jobs" and any(c.get("type") == "Complete" and c.get("status") == "True"
                                                    for c in status.get("conditions") or []):
                        self._first(self.job_done, obj["metadata"]["name"], now)
            changed()

        provider._changed = on_change
        for informer in provider._informers.values():
            informer._on_change = on_change

    def _first(self, seen: dict[str, float], name: str, now: float) -> None:
        with self.lock:
            seen.setdefault(name, now)
            self.completed.setdefault(name, now)

    def gaps(self) -> list[tuple[str, float, int]]:
        """Per finished Job: seconds from the first event that showed it done (its pod Succeeded or
        the Job Complete) until the next Job was created, and the API calls in between."""
        creates = sorted((t, name) for t, verb, resource, name in self.calls if verb == "create" and resource == "jobs")
        found = []
        for name, done in sorted(self.completed.items(), key=lambda item: item[1]):
            later = [t for t, _ in creates if t > done]
            if later:
                between = [c for c in self.calls if done <= c[0] <= later[0]]
                found.append((name, later[0] - done, len(between) - 1))
        return found


def _provider(kubeconfig: str) -> Any:
    from flowctl.providers.kubernetes import (
        KubernetesProvider,
        KubernetesSettings,
        apply_objects,
        desired_namespace_objects,
    )

    settings = KubernetesSettings(default_image="flowctl:bench", kubeconfig=kubeconfig, in_cluster=False,
                                  allow_local_blob_store=True)
    provider = KubernetesProvider(settings)
    apply_objects(desired_namespace_objects(P, "development", settings), provider.client)
    namespace = settings.namespace(P, "development")
    core = provider.client.core()
    deadline = time.monotonic() + 30  # admission enforces a new quota once its controller filled status.hard
    while not (core.read_namespaced_resource_quota("flowctl-quota", namespace).status.hard or {}):
        if time.monotonic() > deadline:
            raise RuntimeError(f"the quota of {namespace} never became active")
        time.sleep(0.2)
    return provider


def measure(registry_url: str, kubeconfig: str, runs: int, *, trace: bool = False) -> tuple[list[float], float, Trace]:
    """Launch -> SUCCEEDED of ``runs`` 1-node executions, then of one chain of ``CHAIN`` tasks."""
    with tempfile.TemporaryDirectory(prefix="flowctl-k8s-bench-") as folder:
        tmp = Path(folder)
        (tmp / "src").mkdir()
        (tmp / "src" / "bench.py").write_text(SOURCE)
        blob_url = str(tmp / "blobs")
        register(registry_url, create_bundle(tmp / "src", blob_url), task=POD_TASK, chains=(1, CHAIN))
        provider = _provider(kubeconfig)
        recorded = Trace()
        ctx = EngineContext(open_execution_store(registry_url), provider, BlobStore(blob_url))
        controller = Controller(ctx, schedules=False, notifications=False)
        runner = threading.Thread(target=controller.run, kwargs={"poll_interval": 0.5}, daemon=True)
        client = open_execution_store(registry_url)  # as `flowctl launch` would, through its own store
        try:
            runner.start()
            times = [_run(client, "chain1", i) for i in range(runs + 1)][1:]  # the first warms the informers
            if trace:
                recorded.attach(provider)
            whole = _run(client, f"chain{CHAIN}", 0)
        finally:
            controller.stop()
            runner.join(60)
            client.close()
    return times, whole, recorded


def _run(client: Any, workflow: str, x: int) -> float:
    started = time.perf_counter()
    execution = launch(client, P, "development", workflow, {"x": x})
    deadline = time.monotonic() + 300
    while True:
        current = client.get_execution(execution.id)
        if current is not None and current.terminal:
            if current.phase != "succeeded":
                raise RuntimeError(f"{workflow} ended {current.phase}: {current.error}")
            return time.perf_counter() - started
        if time.monotonic() > deadline:
            raise RuntimeError(f"{workflow} did not finish in 300 s")
        time.sleep(0.01)


def rows(registry_url: str, quick: bool) -> list[BenchRow]:
    """The k8s-sim rows of the benchmark table; none (and why, on stderr) when k8s-sim cannot run."""
    reason = reason_to_skip()
    if reason is not None:
        print(f"-- k8s_sim: skipped: {reason}", file=sys.stderr)
        return []
    with cluster() as info:
        times, whole, _ = measure(registry_url, info["KUBECONFIG"], 2 if quick else 5)
    # targets of our own (issue 13 names none for Kubernetes): a Job costs the cluster about 0.3 s
    # (pod creation, scheduling, the node starting it) and the attempt a fresh interpreter
    return [
        BenchRow("1-node execution, launch -> SUCCEEDED (k8s-sim, median)", statistics.median(times), "s", 1.0, "lower"),
        BenchRow(f"chain of {CHAIN} tasks, launch -> SUCCEEDED (k8s-sim)", whole, "s", CHAIN * 0.5, "lower"),
        BenchRow(f"chain of {CHAIN} tasks, per task (k8s-sim)", whole / CHAIN, "s", 0.5, "lower"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 one-node executions instead of 5")
    parser.add_argument("--trace", action="store_true", help="print where the chain's time goes between tasks")
    args = parser.parse_args()
    reason = reason_to_skip()
    if reason is not None:
        raise SystemExit(f"k8s_sim: skipped: {reason}")
    with tempfile.TemporaryDirectory() as folder, cluster() as info:
        times, whole, trace = measure(f"sqlite:///{Path(folder) / 'registry.db'}", info["KUBECONFIG"],
                                      2 if args.quick else 5, trace=args.trace)
    print(f"1-node launch -> SUCCEEDED: median {statistics.median(times):.3f} s  (each: "
          f"{', '.join(f'{t:.2f}' for t in times)})")
    print(f"chain of {CHAIN}: {whole:.2f} s, {whole / CHAIN:.3f} s per task")
    if args.trace:
        gaps = trace.gaps()
        for name, gap, calls in gaps:
            print(f"  {name}: complete -> next Job created {gap * 1000:7.1f} ms, {calls} API calls between")
        if gaps:
            print(f"  median gap {statistics.median(g for _, g, _ in gaps) * 1000:.1f} ms")
        lags = [trace.job_done[n] - t for n, t in trace.pod_done.items() if n in trace.job_done]
        if lags:
            print(f"  pod Succeeded -> Job Complete (watch events): median {statistics.median(lags) * 1000:.0f} ms")
        counts: dict[tuple[str, str], int] = {}
        for _, verb, resource, _ in trace.calls:
            counts[verb, resource] = counts.get((verb, resource), 0) + 1
        print("  API calls during the chain:", ", ".join(f"{v} {r}: {n}" for (v, r), n in sorted(counts.items())))


if __name__ == "__main__":
    main()
