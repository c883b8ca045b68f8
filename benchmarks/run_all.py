"""Every remote-speed benchmark (issue 13) in one run, printed as one table with the target beside each figure.

    .venv/bin/python benchmarks/run_all.py [--quick] [--registry sqlite|postgres|both] [--only NAME ...]

Each benchmark module exposes ``rows(registry_url, quick) -> list[BenchRow]``. SQLite runs on a
fresh file per module; PostgreSQL on a fresh schema per module of the server in
``FLOWCTL_TEST_POSTGRES`` (default ``postgresql://postgres@127.0.0.1:5432/test``), dropped after.
``--quick`` runs smaller workloads (its figures are indicative; the README's table is a full run).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import tempfile
import time
import traceback
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _table import BenchRow, render

MODULES = ["attempt_start", "controller", "plan", "k8s_sim"]  # attempt_start: the attempt process (its own helper); k8s_sim: skipped without k8s-sim
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"


@contextmanager
def registry(kind: str) -> Iterator[str]:
    """A fresh, empty registry URL of ``kind`` for one module."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{Path(folder) / 'registry.db'}"
        return
    import psycopg

    server = os.environ.get("FLOWCTL_TEST_POSTGRES") or DEFAULT_POSTGRES
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        separator = "&" if "?" in server else "?"
        yield f"{server}{separator}options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller workloads")
    parser.add_argument("--registry", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--only", nargs="+", choices=MODULES, help="run only these benchmark modules")
    args = parser.parse_args()
    kinds = ["sqlite", "postgres"] if args.registry == "both" else [args.registry]
    table: list[tuple[str, BenchRow]] = []
    failed = False
    for name in args.only or MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            print(f"-- {name}: not present, skipped", file=sys.stderr)
            continue
        for kind in kinds:
            started = time.monotonic()
            print(f"-- {name} on {kind} ...", file=sys.stderr, flush=True)
            try:
                with registry(kind) as url:
                    found: list[BenchRow] = module.rows(url, args.quick)
            except Exception:
                traceback.print_exc()
                failed = True
                continue
            table += [(kind, row) for row in found]
            print(f"   {time.monotonic() - started:.1f} s", file=sys.stderr, flush=True)
    print(render(table))
    if failed:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
