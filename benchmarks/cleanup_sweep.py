"""The controller's recovery sweep of cleanups: its one query over a large attempts table.

    .venv/bin/python benchmarks/cleanup_sweep.py [--postgres URL] [--attempts N]

A registry with N ended attempts (default 200,000) of one execution, all of them cleaned up but 10
(``attempts.cleaned_at`` empty: a killed controller's). The figure is the median time of
``ExecutionStore.uncleaned_attempts`` (the sweep's query, on ``ix_attempts_uncleaned``) over 20
runs, and the plan SQLite chose. Every controller runs it at start-up and then every 30 s.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from flowctl.state._execution_records import NewExecution
from flowctl.state._executions import ExecutionStore, open_execution_store
from flowctl.state._tables import AttemptRow, table

ATTEMPTS = table(AttemptRow)
UNCLEANED = 10


def _fill(store: ExecutionStore, count: int, now: datetime) -> None:
    execution = store.create_execution(NewExecution("bench", "development", f"sweep-{time.time_ns()}", "lp", "v1",
                                                    "wf", "v1", {}))
    every = max(1, count // UNCLEANED)
    rows = [{"execution_id": execution.id, "node_id": f"n{i}", "attempt": 0, "phase": "succeeded",
             "provider": "kubernetes", "handle": f"ns/j{i}", "started_at": now - timedelta(hours=1),
             "finished_at": now - timedelta(hours=1), "cleaned_at": None if i % every == 0 else now}
            for i in range(count)]
    with store.engine.begin() as conn:
        for start in range(0, count, 5000):
            conn.execute(ATTEMPTS.insert(), rows[start:start + 5000])


def measure(url: str, count: int) -> tuple[float, int, str]:
    """(median ms of the sweep's query, attempts it found, SQLite's plan or "")."""
    store = open_execution_store(url)
    try:
        now = datetime.now(UTC)
        _fill(store, count, now)
        times, found = [], 0
        for _ in range(20):
            start = time.perf_counter()
            found = len(store.uncleaned_attempts("kubernetes", ended_before=now, limit=200))
            times.append(time.perf_counter() - start)
        plan = ""
        if store.backend == "sqlite":
            a = ATTEMPTS.c
            query = sa.select(a.id).where(a.cleaned_at.is_(None), a.finished_at < sa.bindparam("t"))
            with store.engine.connect() as conn:
                plan = " ".join(str(row[-1]) for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {query}",
                                                                             {"t": now.isoformat()}).all())
        return 1000 * statistics.median(times), found, plan
    finally:
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", help="also measure on this (empty, throwaway) PostgreSQL registry")
    parser.add_argument("--attempts", type=int, default=200_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        urls = [f"sqlite:///{Path(tmp) / 'registry.db'}"] + ([args.postgres] if args.postgres else [])
        for url in urls:
            ms, found, plan = measure(url, args.attempts)
            print(f"{url.split(':', 1)[0]:<20} {args.attempts:>9,} attempts  found {found:>3}  "
                  f"median {ms:.2f} ms  {plan}".rstrip())


if __name__ == "__main__":
    main()
