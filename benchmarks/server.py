"""Server benchmark: execution list and execution page with 10,000 executions and a 500-node execution.

    .venv/bin/python benchmarks/server.py                     # SQLite; PostgreSQL too if FLOWCTL_TEST_POSTGRES is set
    .venv/bin/python benchmarks/server.py --executions 2000 --requests 30

Targets (issue 14): p95 <= 100 ms server time for the executions list and the execution page (API
and console), on SQLite and PostgreSQL; the console's first page load <= 300 KB transferred.
Server time is the ``Server-Timing: app;dur=`` header the server sets on every response (routing,
the operation, the database, rendering, compression), measured on a real `flowctl server` process.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx

from flowctl._address import EntityKind
from flowctl.spec import (
    InputSpec,
    InterfaceSpec,
    LaunchPlanSpec,
    NodeSpec,
    OutputSpec,
    ProjectSpec,
    TypeSpec,
    WorkflowSpec,
)
from flowctl.state import open_store
from flowctl.state._executions import AttemptRecord, NewExecution, NodeRecord, open_execution_store

PROJECT, DOMAIN, VERSION = "bench", "development", "v1"
PHASES = ("succeeded", "failed", "aborted", "succeeded", "succeeded")
ANNOUNCE = re.compile(r"flowctl server on (http://\S+) ")


def workflow(nodes: int) -> WorkflowSpec:
    """A tree: node i waits for node (i - 1) // 3 (about seven layers at 500 nodes)."""
    out = (OutputSpec(name="o0", type=TypeSpec(kind="float")),)
    return WorkflowSpec(
        name="bench.big", interface=InterfaceSpec(inputs=(InputSpec(name="x", type=TypeSpec(kind="float")),), outputs=out),
        nodes=tuple(NodeSpec(id=f"n{i}", kind="task", target=f"bench.step_{i % 7}", outputs=out,
                             upstream=(f"n{(i - 1) // 3}",) if i else ()) for i in range(nodes)),
    )


def populate(url: str, executions: int, nodes: int) -> str:
    """Register the big workflow, create ``executions`` finished executions and one with ``nodes`` nodes."""
    registry = open_store(url)
    wf = workflow(nodes)
    lp = LaunchPlanSpec(name="bench.big", workflow="bench.big")
    with registry.transaction() as tx:
        tx.upsert_project(ProjectSpec(name=PROJECT), managed_by="bench")
        for kind, spec in ((EntityKind.WORKFLOW, wf), (EntityKind.LAUNCH_PLAN, lp)):
            tx.register(kind, PROJECT, DOMAIN, spec.name, VERSION, spec.to_json(), spec.digest(), managed_by="bench",
                        created_by="bench")
    registry.close()
    store = open_execution_store(url)
    try:
        for i in range(executions):
            store.create_execution(NewExecution(
                PROJECT, DOMAIN, f"x{i:05d}", "bench.big" if i % 2 else "other", VERSION, "bench.big", VERSION,
                {"x": float(i)}, created_by="bench", labels={"team": "ml" if i % 3 == 0 else "data"}))
        big = store.create_execution(NewExecution(PROJECT, DOMAIN, "big", "bench.big", VERSION, "bench.big", VERSION,
                                                  {"x": 1.0}, created_by="bench"))
        now = datetime.now(UTC)
        store.claim_executions("bench", now=now, lease_seconds=600, limit=executions + 1)
        store.save(big.id, "bench", nodes=[
            NodeRecord(f"n{i}", phase=PHASES[i % 5], inputs={"x": 1.0}, outputs={"o0": 2.0}, started_at=now,
                       finished_at=now) for i in range(nodes)
        ], new_attempts=[
            AttemptRecord(f"n{i}", 0, phase=PHASES[i % 5], provider="local", handle=f"h{i}", started_at=now,
                          finished_at=now, message=None if i % 5 != 1 else "USER:TaskFailed: boom")
            for i in range(nodes)
        ], started_at=now)
        store.finish_execution(big.id, "bench", phase="failed", outputs=None, error={"code": "USER:TaskFailed"},
                               now=datetime.now(UTC))
    finally:
        store.close()
    return big.name


@contextmanager
def server(url: str, folder: Path) -> Iterator[str]:
    env = {**os.environ, "FLOWCTL_REGISTRY": url, "FLOWCTL_BLOB_STORE": str(folder / "blobs")}
    process = subprocess.Popen([sys.executable, "-m", "flowctl", "server", "--port", "0"], env=env, cwd=folder,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stderr is not None
        for line in process.stderr:
            match = ANNOUNCE.search(line)
            if match:
                yield match.group(1)
                break
        else:
            raise SystemExit(f"the server did not start (exit {process.wait()})")
    finally:
        process.terminate()
        process.wait(timeout=20)


def server_ms(response: httpx.Response) -> tuple[float, float]:
    """(wall, cpu) milliseconds from ``Server-Timing: app;dur=W, cpu;dur=C``."""
    assert response.status_code == 200, (response.status_code, response.text[:300])
    wall, cpu = (float(part.split("dur=")[1]) for part in response.headers["server-timing"].split(","))
    return wall, cpu


def p95(values: list[float]) -> float:
    values = sorted(values)
    return values[max(0, int(len(values) * 0.95) - 1)]


def measure(client: httpx.Client, path: str, requests: int) -> tuple[float, float, float, float, int]:
    """p50 and p95 of wall and CPU server time, and the body size."""
    for _ in range(3):
        client.get(path)  # warm: caches of immutable specs, connection pools
    walls, cpus, size = [], [], 0
    for _ in range(requests):
        response = client.get(path, headers={"Accept-Encoding": "gzip"})
        wall, cpu = server_ms(response)
        walls.append(wall)
        cpus.append(cpu)
        size = len(response.content)
    return statistics.median(walls), p95(walls), statistics.median(cpus), p95(cpus), size


def first_load_bytes(client: httpx.Client, path: str) -> int:
    """Bytes on the wire (gzip, as a browser asks) for the page, its stylesheet and its script."""
    total = 0
    for part in (path, "/static/console.css", "/static/console.js"):
        with client.stream("GET", part, headers={"Accept-Encoding": "gzip"}) as response:
            response.read()
            total += response.num_bytes_downloaded + sum(len(k) + len(v) + 4 for k, v in response.headers.raw)
    return total


def run(label: str, url: str, executions: int, nodes: int, requests: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        big = populate(url, executions, nodes)
        print(f"\n{label}: {executions:,} executions + one of {nodes} nodes written in {time.perf_counter() - started:.1f} s")
        with server(url, Path(folder)) as base, httpx.Client(base_url=base, timeout=60) as client:
            deep = client.get("/api/v1/executions", params={"project": PROJECT, "limit": 50})
            cursor = deep.json()["next_cursor"]
            for _ in range(100):  # page 100 of 200
                cursor = client.get("/api/v1/executions", params={"project": PROJECT, "limit": 50,
                                                                 "cursor": cursor}).json()["next_cursor"]
            pd = f"/projects/{PROJECT}/domains/{DOMAIN}"
            cases = {
                "API executions, first page (50)": f"/api/v1/executions?project={PROJECT}&limit=50",
                "API executions, page 100 (cursor)": f"/api/v1/executions?project={PROJECT}&limit=50&cursor={cursor}",
                "API executions, phase + label filter": f"/api/v1/executions?project={PROJECT}&phase=queued&label=team=ml",
                "console executions list": f"/console/executions?project={PROJECT}",
                f"API execution, {nodes} nodes": f"/api/v1{pd}/executions/{big}",
                f"console execution page, {nodes} nodes": f"/console{pd}/executions/{big}",
            }
            print(f"  {'request':42} {'wall p50':>9} {'wall p95':>9} {'cpu p50':>8} {'cpu p95':>8} {'body KB':>8}")
            for name, path in cases.items():
                w50, w95, c50, c95, size = measure(client, path, requests)
                verdict = "ok" if w95 <= 100 else "wall OVER 100 ms" + (" (cpu ok: busy machine)" if c95 <= 100 else "")
                print(f"  {name:42} {w50:9.1f} {w95:9.1f} {c50:8.1f} {c95:8.1f} {size / 1024:8.1f}  {verdict}")
            print(f"  load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
            for name, path in (("console overview", f"/console/projects/{PROJECT}"),
                               (f"console execution page, {nodes} nodes", f"/console{pd}/executions/{big}")):
                size = first_load_bytes(client, path)
                print(f"  first load of {name}: {size / 1024:.1f} KB transferred "
                      f"({'ok' if size <= 300 * 1024 else 'OVER 300 KB'})")


@contextmanager
def postgres_schema(base: str) -> Iterator[str]:
    import psycopg

    plain = base.replace("postgresql+psycopg://", "postgresql://")
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        url = plain.replace("postgresql://", "postgresql+psycopg://", 1)
        yield f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--executions", type=int, default=10_000)
    parser.add_argument("--nodes", type=int, default=500)
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--postgres", default=os.environ.get("FLOWCTL_TEST_POSTGRES", ""))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        run("SQLite", f"sqlite:///{Path(folder) / 'registry.db'}", args.executions, args.nodes, args.requests)
    if args.postgres:
        with postgres_schema(args.postgres) as url:
            run("PostgreSQL", url, args.executions, args.nodes, args.requests)


if __name__ == "__main__":
    main()
