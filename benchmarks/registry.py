"""Registry benchmark: register N entities, then load the full snapshot (what `flowctl plan` reads).

    .venv/bin/python benchmarks/registry.py                 # SQLite; PostgreSQL too if FLOWCTL_TEST_POSTGRES is set
    .venv/bin/python benchmarks/registry.py --sizes 1000 10000 --postgres postgresql://postgres@127.0.0.1:5432/test

Targets (issue 3): snapshot of 10,000 entities <= 0.5 s on SQLite, <= 1 s on PostgreSQL; linear growth.
Wall and CPU time (of this process) are shown: on a busy machine the CPU time of the SQLite
runs is the steadier figure. Each size runs on a fresh registry (a temp file; a throwaway schema on PostgreSQL). Entities are
realistic task specs (~1 KB of canonical JSON each); they are registered in one transaction.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from flowctl._address import EntityKind
from flowctl.spec import CodeSpec, InputSpec, InterfaceSpec, OutputSpec, ResourcesSpec, TaskSpec, TypeSpec
from flowctl.state import RegisterItem, open_store


def make_spec(i: int) -> tuple[dict[str, object], str]:
    spec = TaskSpec(
        name=f"pipeline.step_{i}",
        interface=InterfaceSpec(
            inputs=(InputSpec(name="values", type=TypeSpec(kind="list", args=(TypeSpec(kind="float"),))),
                    InputSpec(name="scale", type=TypeSpec(kind="float"), has_default=True, default=1.0)),
            outputs=(OutputSpec(name="o0", type=TypeSpec(kind="float")),),
        ),
        code=CodeSpec(module="pipeline", qualname=f"step_{i}", source_file="pipeline.py", source_line=10 + i,
                      code_digest="sha256:" + uuid.uuid5(uuid.NAMESPACE_OID, str(i)).hex * 2),
        retries=2, timeout_seconds=600, requests=ResourcesSpec(cpu="500m", mem="1Gi"),
        limits=ResourcesSpec(cpu="1", mem="2Gi"), container_image="registry.example.com/ml:3f2a9c",
        environment={"LOG_LEVEL": "info"}, labels={"team": "ml"},
    )
    return spec.to_json(), spec.digest()


@contextmanager
def sqlite_url() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as folder:
        yield f"sqlite:///{Path(folder) / 'registry.db'}"


@contextmanager
def postgres_url(base: str) -> Iterator[str]:
    import psycopg

    plain = base.replace("postgresql+psycopg://", "postgresql://")
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        separator = "&" if "?" in base else "?"
        yield f"{base}{separator}options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def timed(fn: Callable[[], object], repeat: int = 1) -> tuple[float, float]:
    """(wall, CPU of this process) seconds, the best of ``repeat`` runs."""
    runs = []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        fn()
        runs.append((time.perf_counter() - wall, time.process_time() - cpu))
    return min(runs)


def bench(url: str, size: int) -> dict[str, tuple[float, float]]:
    specs = [make_spec(i) for i in range(size)]
    store = open_store(url)
    projects = ("ml", "etl", "web", "ops")

    def register() -> None:
        with store.transaction() as tx:
            for i, (spec, digest) in enumerate(specs):
                tx.register(EntityKind.TASK, projects[i % 4], "development", f"pipeline.step_{i}", "v1", spec, digest,
                            managed_by="bench", created_by="bench")

    def reregister() -> None:  # the same content again: every registration is a no-op
        register()

    results = {"register": timed(register), "re-register (no-op)": timed(reregister)}
    assert len(store.snapshot().entities) == size
    snapshots = [timed(store.snapshot) for _ in range(7)]
    results["snapshot (best of 7)"] = min(snapshots)
    results["snapshot (median)"] = (statistics.median(w for w, _ in snapshots), statistics.median(c for _, c in snapshots))
    results["list one project"] = timed(lambda: store.list_entities(project="ml"), repeat=3)

    def register_many() -> None:  # the same specs at v2, in bulk (what apply does)
        items = [RegisterItem(EntityKind.TASK, projects[i % 4], "development", f"pipeline.step_{i}", "v2", spec, digest)
                 for i, (spec, digest) in enumerate(specs)]
        with store.transaction() as tx:
            tx.register_many(items, managed_by="bench", created_by="bench")

    results["register_many"] = timed(register_many)
    results["re-register_many"] = timed(register_many)
    store.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--postgres", default=os.environ.get("FLOWCTL_TEST_POSTGRES", ""))
    args = parser.parse_args()
    backends: list[tuple[str, Callable[[], object]]] = [("sqlite", sqlite_url)]
    if args.postgres:
        backends.append(("postgresql", lambda: postgres_url(args.postgres)))
    print(f"{'backend':<11} {'entities':>8}  {'measure':<22} {'wall s':>8}  {'CPU s':>7}  {'wall/1k':>7}")
    for name, make_url in backends:
        for size in args.sizes:
            with make_url() as url:  # type: ignore[attr-defined]
                for measure, (wall, cpu) in bench(url, size).items():
                    print(f"{name:<11} {size:>8}  {measure:<22} {wall:>8.3f}  {cpu:>7.3f}  {wall / size * 1000:>7.3f}")


if __name__ == "__main__":
    main()
