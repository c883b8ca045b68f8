"""Gates and hand switches at the CLI boundary, in-process (Typer's CliRunner): `flowctl apply` of a saved
plan refuses, with exit 4 and nothing written, a promotion whose approval went away after the plan;
`flowctl launchplan activate|deactivate` switch by hand and say so."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
import typer
from typer.testing import CliRunner

from flowctl.cli import cmd_apply, cmd_launchplan, cmd_plan
from flowctl.state import ApprovalRecord, open_store

MANIFEST = '''
from flowctl import Project, promoted_from, task, workflow


@task
def double(x: int) -> int:
    return 2 * x


@workflow
def wf(x: int = 1) -> int:
    return double(x=x)


project = Project("gated", domains=["staging", "production"])
project.domain("staging").register(wf)
project.domain("production").register(wf, version=promoted_from("staging", require_approval=True))
'''
WF = "pipeline.wf"


@pytest.fixture
def app() -> typer.Typer:
    app = typer.Typer()
    for module in (cmd_apply, cmd_plan, cmd_launchplan):
        module.register(app)
    return app


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "pipeline.py").write_text(MANIFEST)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FLOWCTL_REGISTRY", raising=False)
    monkeypatch.setenv("FLOWCTL_BLOB_STORE", str(tmp_path / "blobs"))
    return tmp_path


def run(app: typer.Typer, *args: str) -> object:
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def url(root: Path) -> str:
    return f"sqlite:///{root / '.flowctl' / 'registry.db'}"


def production(root: Path) -> str | None:
    store = open_store(url(root))
    try:
        record = store.snapshot().active_launch_plans.get(("gated", "production", WF))
        return record.version if record else None
    finally:
        store.close()


def test_apply_refuses_a_saved_plan_whose_gate_is_no_longer_met(app: typer.Typer, root: Path) -> None:
    assert run(app, "apply", ".", "--version", "v1", "--auto-approve").exit_code == 0
    store = open_store(url(root))
    store.record_approval(ApprovalRecord("gated", "production", "staging", WF, "v1", "alice", datetime.now(UTC)))
    store.close()
    planned = run(app, "plan", ".", "--version", "v1", "--out", "gated.plan")
    assert planned.exit_code == 0 and "met     approval: approved by alice" in planned.stdout
    engine = sa.create_engine(url(root))
    with engine.begin() as conn:  # the approval is withdrawn between plan and apply
        conn.exec_driver_sql("DELETE FROM promotion_approvals")
    engine.dispose()
    refused = run(app, "apply", "gated.plan", "--auto-approve")
    assert refused.exit_code == 4
    assert "A promotion gate is not met any more: nothing was applied" in refused.stderr
    assert f"flowctl promote gated staging production --entity {WF} --approve" in refused.stderr
    assert production(root) is None


def test_launchplan_activate_and_deactivate_by_hand(app: typer.Typer, root: Path) -> None:
    assert run(app, "apply", ".", "--version", "v1", "--auto-approve").exit_code == 0
    assert run(app, "apply", ".", "--version", "v2", "--auto-approve").exit_code == 0
    switched = run(app, "launchplan", "activate", "gated", "staging", WF, "v1")
    assert switched.exit_code == 0, switched.stdout
    assert f"gated/staging/launch_plan/{WF}: v1 is active (was: v2). Changed by hand" in switched.stdout
    store = open_store(url(root))
    record = store.snapshot().active_launch_plans[("gated", "staging", WF)]
    store.close()
    assert (record.version, record.managed_by) == ("v1", "manual") and record.activated_by
    off = run(app, "launchplan", "deactivate", "gated", "staging", WF)
    assert off.exit_code == 0 and "nothing is active (was: v1)" in off.stdout
    missing = CliRunner().invoke(app, ["launchplan", "activate", "gated", "staging", WF, "v9"])
    assert missing.exit_code != 0 and "not registered" in str(missing.exception)
