"""Read commands start light: on a SQLite registry, ``flowctl get ...``, ``registry info`` and ``executions
list|get|show|outputs|logs|watch`` read through the DB-API driver (state/_browser) and import neither SQLAlchemy,
SQLModel, Alembic, the table models, the spec models nor pydantic (typer's option values: cli/_coerce;
the node views read the workflow's JSON); the execution commands load no execution store, controller
or provider either. Counts of modules, not timings: benchmarks/cli_start.py has the figures."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from flowctl._address import EntityKind
from flowctl.spec import DomainSettingsSpec, InterfaceSpec, NodeSpec, ProjectSpec, WorkflowSpec, digest_of
from flowctl.state import open_store
from flowctl.state._execution_records import AttemptRecord, NewExecution, NodeRecord
from flowctl.state._executions import open_execution_store
from flowctl.state.testing import task_spec

HEAVY = ("sqlalchemy", "sqlmodel", "alembic", "psycopg", "httpx", "pydantic", "flowctl.state._tables",
         "flowctl.state._store", "flowctl.spec._manifest", "flowctl.spec._entities")
READS = (["get", "projects"], ["get", "projects", "-o", "json"], ["get", "tasks"], ["get", "workflows"],
         ["get", "launchplans", "-o", "yaml"], ["get", "executions"], ["registry", "info"],
         ["registry", "info", "--json"])
EXECUTION_READS = (["executions", "list"], ["executions", "list", "--json"], ["executions", "outputs", "run-1"],
                   ["executions", "show", "run-1"], ["executions", "get", "run-1"],
                   ["executions", "get", "shop/production/run-1", "--json"])
EXECUTION_HEAVY = (*HEAVY, "flowctl.state._executions", "flowctl.engine._controller", "flowctl.engine._launch",
                   "flowctl.providers")
WORKFLOW = WorkflowSpec(name="etl", interface=InterfaceSpec(), nodes=(NodeSpec(id="n0", kind="task", target="etl.step"),))
_RUN = """
import json, sys
from flowctl.cli import _main
try:
    _main(sys.argv[1:])
except SystemExit as exit_:
    code = exit_.code
print(json.dumps({"code": code, "modules": sorted(sys.modules), "flowctl": sys.modules["flowctl"].__file__}))
"""


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("reads")
    url = f"sqlite:///{folder / 'registry.db'}"
    (folder / "n0.log").write_text("shop: 1 order totalled\n")  # the attempt's stored log (a finished one's)
    store = open_store(url)
    with store.transaction() as tx:
        tx.upsert_project(ProjectSpec(name="shop"), managed_by="manifests")
        tx.upsert_domain_settings(DomainSettingsSpec(project="shop", domain="production"), managed_by="manifests")
        for kind in (EntityKind.TASK, EntityKind.WORKFLOW, EntityKind.LAUNCH_PLAN):
            spec = WORKFLOW.to_json() if kind is EntityKind.WORKFLOW else task_spec("etl")
            tx.register(kind, "shop", "production", "etl", "v1", spec, digest_of(spec), managed_by="m", created_by="a")
        tx.activate("shop", "production", "etl", "v1", managed_by="m")
    store.close()
    executions = open_execution_store(url, create=False)
    made = executions.create_execution(NewExecution("shop", "production", "run-1", "etl", "v1", "etl", "v1", {}))
    now = datetime.now(UTC)
    assert executions.claim_executions("w", now=now, lease_seconds=60, limit=1)
    executions.mark_running(made.id, "w", now)
    assert executions.save(made.id, "w", nodes=[NodeRecord("n0", "succeeded", started_at=now, finished_at=now)],
                           new_attempts=[AttemptRecord("n0", 0, "succeeded", "local", started_at=now, finished_at=now,
                                                         log_uri=str(folder / "n0.log"))])
    executions.finish_execution(made.id, "w", phase="succeeded", outputs={"shop_total": 1}, error=None, now=now)
    executions.close()
    return url


def _run(registry: str, command: list[str], *, names_project: bool = True) -> tuple[str, list[str]]:
    """The command's output and the modules it loaded (``names_project``: the output names project shop)."""
    env = {**os.environ, "FLOWCTL_REGISTRY": registry}
    env.pop("FLOWCTL_SERVER", None)
    done = subprocess.run([sys.executable, "-c", _RUN, *command], capture_output=True, text=True, env=env, check=False)
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["code"] in (0, None), done.stdout + done.stderr
    assert "shop" in done.stdout or command[0] == "registry" or not names_project
    assert Path(report["flowctl"]).parent == Path(__file__).parents[2] / "flowctl", "runs this tree's flowctl"
    assert "flowctl.state._browser" in report["modules"]
    return done.stdout, list(report["modules"])


def _heavy(modules: list[str], heavy: tuple[str, ...]) -> list[str]:
    return [m for m in modules if any(m == h or m.startswith(h + ".") for h in heavy)]


@pytest.mark.parametrize("command", READS, ids=" ".join)
def test_a_read_command_imports_no_sqlalchemy_and_no_models(registry: str, command: list[str]) -> None:
    _, modules = _run(registry, command)
    loaded = _heavy(modules, HEAVY)
    assert loaded == [], f"`flowctl {' '.join(command)}` imported {loaded[:10]}"
    assert len(modules) < 300, "a read command loads few modules (it was 540)"


@pytest.mark.parametrize("command", EXECUTION_READS, ids=" ".join)
def test_an_execution_read_imports_no_sqlalchemy_and_no_controller(registry: str, command: list[str]) -> None:
    """``executions list|get|show|outputs`` read through the DB-API reader; the node views read the
    workflow's JSON (no spec models), and nothing loads the execution store, controller or providers."""
    output, modules = _run(registry, command)
    loaded = _heavy(modules, EXECUTION_HEAVY)
    assert loaded == [], f"`flowctl {' '.join(command)}` imported {loaded[:10]}"
    assert len(modules) < 300, "it was 650"
    with_outputs = command[1] == "outputs" or (command[1] == "get" and "--json" in command)
    assert ("shop_total" if with_outputs else "run-1") in output
    if command[1] in ("show", "get"):
        assert "etl.step" in output, "the node's task, from the workflow's JSON"


@pytest.mark.parametrize(("command", "shown"), [(["executions", "logs", "run-1"], "shop: 1 order totalled"),
                                               (["executions", "watch", "shop/production/run-1"], "run-1: succeeded")],
                         ids=lambda v: " ".join(v) if isinstance(v, list) else "")
def test_logs_and_watch_read_like_get(registry: str, command: list[str], shown: str) -> None:
    """``executions logs`` of a finished attempt (its log is in the blob store) and ``executions watch`` of a
    finished execution load no execution store, controller or provider: the light reader serves them."""
    output, modules = _run(registry, command, names_project=False)
    loaded = _heavy(modules, EXECUTION_HEAVY)
    assert loaded == [], f"`flowctl {' '.join(command)}` imported {loaded[:10]}"
    assert shown in output and len(modules) < 300


PLAN_HEAVY = ("sqlalchemy", "sqlmodel", "alembic", "deepdiff", "httpx", "flowctl.state._tables", "flowctl.state._store",
              "flowctl.state._open", "flowctl.state._locks")


def test_a_plan_with_no_changes_imports_no_sqlalchemy_and_no_deepdiff(tmp_path: Path, registry_url: str) -> None:
    """A no-change plan reads the snapshot and the locks through the DB-API driver (state/_snapshot_reads:
    SQLAlchemy and the table models were a third of its fixed cost); deepdiff (0.4 s of imports) is for
    unordered lists that differ, and a project with domain settings compared every domain's
    notifications with it."""
    import shutil

    work = tmp_path / "project"
    shutil.copytree(Path(__file__).parents[2] / "examples" / "my_ml_project", work,
                    ignore=shutil.ignore_patterns("__pycache__", ".flowctl"))
    env = {**os.environ, "FLOWCTL_REGISTRY": registry_url, "NO_COLOR": "1"}
    for name in ("FLOWCTL_SERVER", "FLOWCTL_TOKEN"):
        env.pop(name, None)
    for _ in range(3):  # development, then staging and production follow one step per apply
        subprocess.run([sys.executable, "-m", "flowctl", "apply", "--auto-approve", "--allow-dirty"], cwd=work,
                       env=env, capture_output=True, text=True, check=False)
    done = subprocess.run([sys.executable, "-c", _RUN, "plan", "--allow-dirty"], cwd=work, capture_output=True,
                          text=True, env=env, check=False)
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["code"] in (0, None), done.stdout + done.stderr
    assert "No changes" in done.stdout, done.stdout
    assert "flowctl.state._snapshot_reads" in report["modules"]
    loaded = _heavy(report["modules"], PLAN_HEAVY)
    assert loaded == [], f"a no-change plan imported {loaded[:10]}"
