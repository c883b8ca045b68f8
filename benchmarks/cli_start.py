"""CLI start-up: wall and CPU time of `flowctl --help`, `--version`, `import flowctl` and of the read
commands (`get ...`, `registry info`, `config show`, `executions list|show|get|outputs|logs|watch`) on a small SQLite registry made in a temporary
folder, median of N runs. CPU is user + system of the child process: on a shared machine it moves
less than wall time.

flowctl's own modules are compiled to bytecode in every process when PYTHONDONTWRITEBYTECODE is set
and no ``__pycache__`` exists (an editable install in such an environment); `--compiled` runs
`python -m compileall` on the tree first, as a wheel install does, and `--source` removes the
``__pycache__`` folders first, so both figures can be had.

Run: .venv/bin/python benchmarks/cli_start.py [--runs 15] [--compiled | --source]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("flowctl", "state", "plans", "providers")
READS = (["get", "projects"], ["get", "tasks"], ["get", "launchplans"], ["get", "executions"], ["registry", "info"],
         ["config", "show"], ["executions", "list"], ["executions", "show", "run-0"],
         ["executions", "get", "run-0", "--json"], ["executions", "outputs", "run-0"], ["executions", "logs", "run-0"],
         ["executions", "watch", "run-0"])


def measure(cmd: list[str], runs: int, env: dict[str, str] | None = None) -> tuple[float, float]:
    """Median wall and median CPU seconds of ``runs`` runs of ``cmd``."""
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True, env=env)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def _bytecode(mode: str | None) -> None:
    if mode == "compiled":
        subprocess.run([sys.executable, "-m", "compileall", "-q", *PACKAGES], cwd=ROOT, check=True,
                       capture_output=True)
    elif mode == "source":
        for package in PACKAGES:
            for cache in (ROOT / package).rglob("__pycache__"):
                shutil.rmtree(cache, ignore_errors=True)


def _fill(url: str) -> None:
    """Two projects with 5 tasks, workflows (one node each) and launch plans each, an active launch
    plan, 5 executions (run-0 finished: a node, an attempt, outputs)."""
    script = f"""
from flowctl._address import EntityKind
from flowctl.spec import InterfaceSpec, NodeSpec, ProjectSpec, WorkflowSpec, digest_of
from flowctl.state import open_store
from datetime import UTC, datetime
from flowctl.state._execution_records import AttemptRecord, NewExecution, NodeRecord
from flowctl.state._executions import open_execution_store
from flowctl.state.testing import task_spec
store = open_store({url!r})
with store.transaction() as tx:
    for project in ("shop", "ml"):
        tx.upsert_project(ProjectSpec(name=project), managed_by="bench")
        for i in range(5):
            for kind in (EntityKind.TASK, EntityKind.WORKFLOW, EntityKind.LAUNCH_PLAN):
                spec = task_spec(f"etl{{i}}") if kind is not EntityKind.WORKFLOW else WorkflowSpec(
                    name=f"etl{{i}}", interface=InterfaceSpec(),
                    nodes=(NodeSpec(id="n0", kind="task", target=f"etl{{i}}"),)).to_json()
                tx.register(kind, project, "production", f"etl{{i}}", "v1", spec, digest_of(spec), managed_by="bench",
                            created_by="bench")
        tx.activate(project, "production", "etl0", "v1", managed_by="bench")
store.close()
executions = open_execution_store({url!r}, create=False)
made = [executions.create_execution(NewExecution("shop", "production", f"run-{{i}}", "etl0", "v1", "etl0", "v1", {{}}))
        for i in range(5)]
now = datetime.now(UTC)
executions.claim_executions("bench", now=now, lease_seconds=60, limit=5)
executions.mark_running(made[0].id, "bench", now)
executions.save(made[0].id, "bench", nodes=[NodeRecord("n0", "succeeded", started_at=now, finished_at=now)],
                new_attempts=[AttemptRecord("n0", 0, "succeeded", "local", started_at=now, finished_at=now)])
executions.finish_execution(made[0].id, "bench", phase="succeeded", outputs={{"o": 1}}, error=None, now=now)
executions.close()
"""
    subprocess.run([sys.executable, "-c", script], check=True)


def _row(label: str, figures: tuple[float, float], note: str = "") -> None:
    print(f"{label:<26}{figures[0] * 1000:8.1f} ms wall {figures[1] * 1000:8.1f} ms CPU  {note}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=15)
    bytecode = parser.add_mutually_exclusive_group()
    bytecode.add_argument("--compiled", action="store_const", const="compiled", dest="bytecode")
    bytecode.add_argument("--source", action="store_const", const="source", dest="bytecode")
    args = parser.parse_args()
    _bytecode(args.bytecode)
    py = sys.executable
    print(f"load average {os.getloadavg()[0]:.2f}, bytecode: {args.bytecode or 'as found'}")
    _row("python -c pass", measure([py, "-c", "pass"], args.runs))
    _row("flowctl --help", measure([py, "-m", "flowctl", "--help"], args.runs), "(target <= 250 ms)")
    _row("flowctl --version", measure([py, "-m", "flowctl", "--version"], args.runs))
    _row("import flowctl", measure([py, "-c", "import flowctl"], args.runs))
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/registry.db"
        _fill(url)
        env = {**os.environ, "FLOWCTL_REGISTRY": url}
        env.pop("FLOWCTL_SERVER", None)
        for command in READS:
            _row(f"flowctl {' '.join(command)}", measure([py, "-m", "flowctl", *command], args.runs, env),
                 "(target <= 300 ms)")
    heavy = subprocess.run(
        [py, "-c", "import flowctl, sys; print(sorted(m for m in ('typer','sqlmodel','kubernetes','rich') "
         "if m in sys.modules))"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()
    print(f"heavy modules loaded by `import flowctl`: {heavy}")


if __name__ == "__main__":
    main()
