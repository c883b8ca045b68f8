"""Benchmark: `flowctl plan` with no changes, end to end (process start and manifest loading included).

Generates a synthetic manifest package in a temporary folder: N workflows (2 tasks each, 50 per
module) registered in development and promoted to staging and production, so 3 domains hold
4 entities per workflow. Applies it to a fresh SQLite registry (three applies: a promotion moves
one domain per apply), then times `flowctl plan` (a new process each run, best of 3) and reports
the time per workflow for linearity. CPU is the user + system time of the flowctl process
(steadier than wall time on a busy machine).

    .venv/bin/python benchmarks/plan.py                 # 1,000 and 10,000 workflows
    .venv/bin/python benchmarks/plan.py --sizes 1000    # target: <= 2 s
    .venv/bin/python benchmarks/plan.py --registry postgresql+psycopg://...  (a fresh database)

It first times a no-change plan of the same project with no workflows (interpreter, imports, CLI,
registry: the fixed cost) and prints each plan's CPU minus it (the part that grows with entities).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _table import BenchRow

PER_MODULE = 50

MODULE = '''
from flowctl import task, workflow
{body}
'''

WORKFLOW = '''

@task
def prep_{i}(values: list[float]) -> list[float]:
    return [v * {i} for v in values]


@task
def total_{i}(values: list[float]) -> float:
    return sum(values)


@workflow
def wf_{i}(values: list[float]) -> float:
    return total_{i}(values=prep_{i}(values=values))
'''

MANIFEST = '''
from flowctl import Project, promoted_from
{imports}

project = Project("bench", domains=["development", "staging", "production"])
dev, staging, prod = project.domain("development"), project.domain("staging"), project.domain("production")
for wf in WORKFLOWS:
    dev.register(wf)
    staging.register(wf, version=promoted_from("development"))
    prod.register(wf, version=promoted_from("staging"))
'''


def generate(root: Path, count: int) -> Path:
    package = root / "bench_flows"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    modules = []
    for start in range(0, count, PER_MODULE):
        name = f"flows_{start // PER_MODULE:04d}"
        body = "".join(WORKFLOW.format(i=i) for i in range(start, min(start + PER_MODULE, count)))
        (package / f"{name}.py").write_text(MODULE.format(body=body))
        modules.append((name, range(start, min(start + PER_MODULE, count))))
    imports = "\n".join(f"from bench_flows import {name}" for name, _ in modules)
    listing = ", ".join(f"{name}.wf_{i}" for name, ids in modules for i in ids)
    manifest = root / "manifest.py"
    manifest.write_text(MANIFEST.format(imports=imports) + f"\nWORKFLOWS = [{listing}]\n")
    manifest.write_text(MANIFEST.format(imports=imports).replace("for wf in WORKFLOWS", f"WORKFLOWS = [{listing}]\nfor wf in WORKFLOWS"))
    return manifest


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


CPU: dict[str, float] = {"last": 0.0}  # CPU seconds (user + system) of the last flowctl process


def flowctl(*args: str, env: dict[str, str], cwd: Path) -> tuple[float, subprocess.CompletedProcess[str]]:
    start, cpu = time.perf_counter(), _children_cpu()
    done = subprocess.run([sys.executable, "-m", "flowctl", *args], env=env, cwd=cwd, capture_output=True, text=True)
    CPU["last"] = _children_cpu() - cpu
    return time.perf_counter() - start, done


def run(count: int, registry: str | None) -> dict[str, float]:
    """Apply ``count`` workflows, then the best of three no-change plans (wall and CPU)."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        manifest = generate(root, count)
        env = {**os.environ, "FLOWCTL_REGISTRY": registry or f"sqlite:///{root / 'registry.db'}",
               "FLOWCTL_BLOB_STORE": str(root / "blobs")}
        apply_s, apply_cpu = 0.0, 0.0
        for _ in range(3):  # development, then staging, then production
            seconds, done = flowctl("apply", str(manifest), "--version", "v1", "--auto-approve", env=env, cwd=root)
            apply_s, apply_cpu = apply_s + seconds, apply_cpu + CPU["last"]
            if done.returncode != 0:
                raise SystemExit(f"apply failed:\n{done.stderr[-3000:]}")
        times, cpus = [], []
        for _ in range(3):
            seconds, done = flowctl("plan", str(manifest), "--version", "v1", "--detailed-exitcode", env=env, cwd=root)
            if done.returncode != 0 or "No changes." not in done.stdout:
                raise SystemExit(f"plan did not come back empty ({done.returncode}):\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
            times.append(seconds)
            cpus.append(CPU["last"])
        return {"workflows": count, "entities": count * 12, "apply_s": apply_s, "apply_cpu_s": apply_cpu,
                "plan_s": min(times), "plan_cpu_s": min(cpus)}


def fixed_cost() -> float:
    """CPU-s of a no-change plan of the same project with no workflows on SQLite (start, imports, registry)."""
    return run(0, None)["plan_cpu_s"]


def rows(registry_url: str, quick: bool) -> list[BenchRow]:
    """Issue 13's plan figures: a no-change plan of 3,000 and 30,000 entities (CPU of the process)."""
    sizes = [250] if quick else [250, 2500]  # 12 entities per workflow
    found = []
    for size in sizes:
        r = run(size, registry_url if size == sizes[0] else _fresh(registry_url))
        target = 0.8 if size == 250 else 4.0
        found.append(BenchRow(f"plan, {size * 12:,} entities, no changes (CPU)", r["plan_cpu_s"], "CPU-s", target, "lower"))
    return found


def _fresh(registry_url: str) -> str | None:
    """A registry for the next size: SQLite gets its own file (None); a PostgreSQL schema is emptied."""
    if not registry_url.startswith("postgres"):
        return None
    import sqlalchemy as sa

    engine = sa.create_engine(registry_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        schema = conn.execute(sa.text("SELECT current_schema()")).scalar()
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    return registry_url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--registry", help="registry URL (default: a fresh SQLite file per size)")
    args = parser.parse_args()
    fixed = fixed_cost()
    print(f"no-change plan of no workflows (the fixed cost): {fixed:.2f} CPU-s")
    print(f"{'workflows':>9} {'entities':>9} {'3 applies':>12} {'(CPU)':>7} {'no-change plan':>15} {'(CPU)':>7} "
          f"{'minus fixed':>12} {'per workflow':>13} {'(CPU)':>8}")
    for size in args.sizes:
        r = run(size, args.registry)
        own = r["plan_cpu_s"] - fixed
        print(f"{r['workflows']:>9,} {r['entities']:>9,} {r['apply_s']:>11.2f}s {r['apply_cpu_s']:>6.2f}s "
              f"{r['plan_s']:>14.2f}s {r['plan_cpu_s']:>6.2f}s {own:>11.2f}s {r['plan_s'] / size * 1000:>11.2f}ms "
              f"{own / size * 1000:>6.2f}ms")


if __name__ == "__main__":
    main()
