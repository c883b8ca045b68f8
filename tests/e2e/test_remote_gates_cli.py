"""`executions signal|approve|show --deck` and `backfill` through `flowctl server` (only FLOWCTL_SERVER
set, no registry the CLI can open): the server runs the engine functions the local CLI runs, so a
value is parsed against its gate, a due time fires once, and the writes are audited and need operate."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "integration" / "server"))
from server_support import ServerProcess  # noqa: E402
from test_remote_cli import clean, flowctl  # noqa: E402

from flowctl.state._open import create_registry  # noqa: E402

MANIFEST = '''
from datetime import datetime, timedelta

from flowctl import CronSchedule, Deck, LaunchPlan, Project, approve, task, wait_for_input, workflow


@task
def propose(x: int) -> float:
    Deck("proposal", f"<p>proposal {x / 10}</p>")
    return x / 10


@task
def combine(value: float, threshold: float) -> str:
    return f"{value} {'>=' if value >= threshold else '<'} {threshold}"


@workflow
def gated(x: int = 7) -> str:
    proposal = propose(x=x)
    threshold = wait_for_input("threshold", timeout=timedelta(hours=1), expected_type=float)
    approved = approve(proposal, "ship-it", timeout=timedelta(hours=1))
    return combine(value=approved, threshold=threshold)


@task
def stamp(when: datetime) -> str:
    return when.isoformat()


@workflow
def stamped(when: datetime) -> str:
    return stamp(when=when)


hourly = LaunchPlan.get_or_create(stamped, name="hourly", schedule=CronSchedule(schedule="0 * * * *",
                                                                                kickoff_time_input_arg="when"))
dev = Project("gates", domains=["development"]).domain("development")
dev.register(gated)
dev.launch_plan(hourly, active=False)
'''


@pytest.fixture
def setup(registry_url: str, tmp_path: Path) -> Iterator[tuple[ServerProcess, Path, dict[str, str]]]:
    project = tmp_path / "manifests"
    project.mkdir()
    (project / "gates.py").write_text(MANIFEST)
    create_registry(registry_url)
    server = ServerProcess(tmp_path, registry_url, str(tmp_path / "blobs"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLOWCTL_")}
    env.update({"FLOWCTL_SERVER": server.url, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"})
    yield server, project, env
    server.stop()


def _nodes(name: str, env: dict[str, str], cwd: Path) -> dict[str, str]:
    doc = json.loads(clean(flowctl("executions", "get", name, "--json", env=env, cwd=cwd), 0))
    return {n["id"]: n["phase"] for n in doc["nodes"]}


def _until(check: object, what: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_gates_decks_and_backfill_through_the_server(setup: tuple[ServerProcess, Path, dict[str, str]]) -> None:
    server, project, env = setup
    clean(flowctl("apply", ".", "--version", "v1", "--auto-approve", env=env, cwd=project), 0)
    launched = flowctl("launch", "gates", "development", "gates.gated", env=env, cwd=project)
    name = clean(launched, 0).strip().rsplit("/", 1)[-1]
    _until(lambda: _nodes(name, env, project).get("n0") == "succeeded", "the first node")

    wrong = flowctl("executions", "signal", name, "threshold", '"high"', env=env, cwd=project)
    clean(wrong, 1)  # parsed against the gate by the server, as locally
    assert "not a valid `float`" in wrong.stderr, wrong.stderr
    not_an_approval = flowctl("executions", "approve", name, "threshold", env=env, cwd=project)
    clean(not_an_approval, 1)
    assert "is not an approval" in not_an_approval.stderr
    given = flowctl("executions", "signal", name, "threshold", "0.5", env=env, cwd=project)
    clean(given, 0)
    assert f"signal threshold = 0.5 given to gates/development/{name}" in given.stderr
    approved = flowctl("executions", "approve", name, "ship-it", env=env, cwd=project)
    assert "signal ship-it = True given to" in (clean(approved, 0) + approved.stderr), approved.stderr
    _until(lambda: json.loads(clean(flowctl("executions", "get", name, "--json", env=env, cwd=project), 0))
           ["execution"]["phase"] == "succeeded", "the execution to succeed")
    outputs = json.loads(clean(flowctl("executions", "outputs", name, env=env, cwd=project), 0))
    assert outputs == {"o0": "0.7 >= 0.5"}

    listed = clean(flowctl("executions", "show", name, "--deck", env=env, cwd=project), 0)
    assert listed.startswith("n0\t") and listed.strip().endswith("deck.html"), listed
    html = clean(flowctl("executions", "show", name, "--deck", "--node", "n0", env=env, cwd=project), 0)
    assert "<p>proposal 0.7</p>" in html
    missing = flowctl("executions", "show", name, "--deck", "--node", "n9", env=env, cwd=project)
    clean(missing, 1)
    assert "Node n9 of execution" in missing.stderr and "Nodes with reports: n0" in missing.stderr

    window = ("--from", "2026-01-01T00:00:00Z", "--to", "2026-01-01T02:00:00Z")
    preview = clean(flowctl("backfill", "gates/development/hourly", *window, "--dry-run", env=env, cwd=project), 0)
    assert preview.count("would fire") == 3, preview
    fired = flowctl("backfill", "gates/development/hourly", *window, env=env, cwd=project)
    assert clean(fired, 0).count("  fired") == 3 and "3 due times, 3 fired." in fired.stderr
    again = flowctl("backfill", "gates/development/hourly", *window, env=env, cwd=project)
    assert clean(again, 0).count("already fired") == 3 and "3 due times, 0 fired." in again.stderr

    audit = server.get("/api/v1/audit")
    operations = [a["operation"] for a in audit]
    assert operations.count("store.signal") == 2 and operations.count("store.backfill") == 2
    assert any(a["address"] == "gates/development/threshold" for a in audit)
    assert not (project / ".flowctl").exists(), "the CLI never opened a registry of its own"


def test_a_viewer_token_reads_reports_but_cannot_signal_or_backfill(registry_url: str, tmp_path: Path) -> None:
    project = tmp_path / "manifests"
    project.mkdir()
    (project / "gates.py").write_text(MANIFEST)
    create_registry(registry_url)
    base = {k: v for k, v in os.environ.items() if not k.startswith("FLOWCTL_")}
    base.update({"PYTHONPATH": str(ROOT), "NO_COLOR": "1"})
    tokens = {role: clean(flowctl("token", "create", "--name", role, "--role", role, "--project", "gates",
                                  env={**base, "FLOWCTL_REGISTRY": registry_url}, cwd=tmp_path), 0).strip()
              for role in ("deployer", "viewer")}
    server = ServerProcess(tmp_path, registry_url, str(tmp_path / "blobs"), controller=False,
                           env={"FLOWCTL_SERVER_AUTH": "true", "FLOWCTL_SESSION_SECRET": "tests-session-secret"})
    try:
        deployer = {**base, "FLOWCTL_SERVER": server.url, "FLOWCTL_TOKEN": tokens["deployer"]}
        viewer = {**deployer, "FLOWCTL_TOKEN": tokens["viewer"]}
        clean(flowctl("apply", ".", "--version", "v1", "--auto-approve", env=deployer, cwd=project), 0)
        name = clean(flowctl("launch", "gates", "development", "gates.gated", env=deployer, cwd=project),
                     0).strip().rsplit("/", 1)[-1]
        refused = flowctl("executions", "approve", name, "ship-it", env=viewer, cwd=project)
        clean(refused, 1)
        assert "token:viewer may not operate on gates/development" in refused.stderr, refused.stderr
        assert "flowctl role bind token:viewer --role operator --project gates --domain development" in refused.stderr
        window = ("--from", "2026-01-01T00:00:00Z", "--to", "2026-01-01T01:00:00Z")
        clean(flowctl("backfill", "gates/development/hourly", *window, env=viewer, cwd=project), 1)
        preview = clean(flowctl("backfill", "gates/development/hourly", *window, "--dry-run", env=viewer,
                                cwd=project), 0)
        assert preview.count("would fire") == 2
        decks = flowctl("executions", "show", name, "--deck", env=viewer, cwd=project)
        clean(decks, 0)  # queued: nothing has run, so no reports yet
        assert "has no task reports" in decks.stderr
    finally:
        server.stop()
