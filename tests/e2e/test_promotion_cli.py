"""A promotion chain through the CLI (in-process with Typer's CliRunner, no FLOWCTL_* variable): one
step per apply, an approval gate met with `flowctl promote --approve`, a hand switch in production
reported by `flowctl drift` (who, when) and undone by the next apply, and drift and plan agreeing on
what apply does. Settings and relative paths resolve the same way for every command, from any folder."""

from __future__ import annotations

import getpass
import json
import os
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner, Result

from flowctl.cli import cmd_apply, cmd_drift, cmd_launchplan, cmd_plan, cmd_promote

MANIFEST = '''
from flowctl import CronSchedule, LaunchPlan, Project, promoted_from, task, workflow


@task
def double(x: int) -> int:
    return x * 2  # BODY


@workflow
def wf(x: int = 1) -> int:
    return double(x=x)


hourly = LaunchPlan.get_or_create(wf, name="hourly", schedule=CronSchedule(schedule="0 * * * *"))
project = Project("chain", domains=["development", "staging", "production"])
project.domain("development").register(wf)
project.domain("development").launch_plan(hourly, active=True)  # HOURLY
project.domain("staging").register(wf, version=promoted_from("development"))
project.domain("production").register(wf, version=promoted_from("staging", require_approval=True))
'''
WF = "pipeline.wf"


APP = typer.Typer()
for _module in (cmd_apply, cmd_drift, cmd_launchplan, cmd_plan, cmd_promote):
    _module.register(APP)


@pytest.fixture(autouse=True)
def _defaults_only(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [n for n in os.environ if n.startswith("FLOWCTL_")]:
        monkeypatch.delenv(name)


def flowctl(cwd: Path, *args: str) -> Result:
    here = Path.cwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(APP, list(args), catch_exceptions=False)
    finally:
        os.chdir(here)


def ok(done: Result) -> str:
    assert done.exit_code == 0, done.stdout + done.stderr
    return done.stdout


def active(top: Path, domain: str) -> dict[str, str]:
    from flowctl.state import open_store

    store = open_store(f"sqlite:///{top / '.flowctl' / 'registry.db'}")
    try:
        return {k[2]: a.version for k, a in store.snapshot().active_launch_plans.items() if k[:2] == ("chain", domain)}
    finally:
        store.close()


def test_chain_gates_hand_switch_and_drift_agreeing_with_plan(tmp_path: Path) -> None:
    top = tmp_path / "repo"
    manifests = top / "manifests"
    manifests.mkdir(parents=True)
    (manifests / "pipeline.py").write_text(MANIFEST)

    # from the top folder, with the manifests in a sub-folder and no settings file
    for expected in ("Apply complete! 5 registered, 2 changed", "Apply complete! 3 registered, 1 changed"):
        assert expected in ok(flowctl(top, "apply", "manifests", "--version", "v1", "--auto-approve"))
    held = ok(flowctl(top, "plan", "manifests", "--version", "v1", "--detailed-exitcode"))
    assert f"chain/production <- staging: {WF} held at (nothing yet); v1 waits for its gates" in held
    assert "No drift. The world matches the last apply" in ok(flowctl(top, "drift", "manifests"))  # same registry
    approved = flowctl(top, "promote", "chain", "staging", "production", "--approve", "--auto-approve")
    assert approved.exit_code == 0, approved.stderr
    assert f"Approved: {WF}@v1 for chain/production (by {getpass.getuser()})." in approved.stderr
    assert active(top, "production") == {WF: "v1"}

    # v2 without the hourly launch plan; production gets it two applies and one approval later
    (manifests / "pipeline.py").write_text(MANIFEST.replace("x * 2  # BODY", "x * 3").replace("  # HOURLY", "")
                                           .replace('project.domain("development").launch_plan(hourly, active=True)',
                                                    ""))
    for _ in range(2):
        ok(flowctl(top, "apply", "manifests", "--version", "v2", "--auto-approve"))
    ok(flowctl(top, "promote", "chain", "staging", "production", "--approve", "--auto-approve"))
    assert (active(top, "staging"), active(top, "production")) == ({WF: "v2"}, {WF: "v2"})

    # by hand: production back to v1, and the removed hourly schedule switched on again
    ok(flowctl(top, "launchplan", "activate", "chain", "production", WF, "v1"))
    ok(flowctl(top, "launchplan", "activate", "chain", "development", "hourly", "v1"))

    # from the sub-folder, with the settings in the top folder: the same registry and manifests
    (top / "flowctl.toml").write_text('[registry]\nurl = "sqlite:///.flowctl/registry.db"\n\n'
                                      '[manifests]\npath = "manifests"\n')
    drift = flowctl(manifests, "drift", "--format", "json")
    assert drift.exit_code == 2, drift.stderr
    findings = {f["address"]: f for g in json.loads(drift.stdout)["groups"] for f in g["findings"]}
    plan = json.loads(ok(flowctl(manifests, "plan", "--json")))  # the version drift loads the manifests at
    changes = {c["address"]: c for c in plan["changes"]}

    switched = findings[f"chain/production/launch_plan/{WF}"]
    assert switched["kind"] == "activation_changed"
    assert f"switched by hand from v2 to v1 (by {getpass.getuser()} at " in switched["detail"]
    assert changes[f"chain/production/launch_plan/{WF}"]["after"]["active_version"] == "v2"
    orphan = findings["chain/development/launch_plan/hourly"]
    assert orphan["kind"] == "orphaned_schedule" and "chain/development/launch_plan/hourly" not in changes
    assert "leaves it as it is" in orphan["remedy"] and "flowctl launchplan deactivate" in orphan["remedy"]
    for address, finding in findings.items():  # one computation: drift says what the plan holds, no more
        assert_agrees(finding, changes.get(address))

    assert "Apply complete! 0 registered, 1 changed" in ok(flowctl(manifests, "apply", "--version", "v2",
                                                                    "--auto-approve"))  # what drift said
    after = json.loads(flowctl(manifests, "drift", "--format", "json").stdout)
    assert [f["address"] for g in after["groups"] for f in g["findings"]] == ["chain/development/launch_plan/hourly"]


def assert_agrees(finding: dict[str, Any], change: dict[str, Any] | None) -> None:
    from flowctl.plans._render_text import comment_line

    assert "`flowctl apply`" not in finding["detail"]  # claims about apply come from the plan only
    if change is None:
        assert "leaves it as it is" in finding["remedy"], finding
    else:
        assert comment_line(change) in finding["remedy"], (finding, change)
