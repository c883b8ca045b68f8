"""Isolation through the CLI (docs/security.md): names stay in their project, secrets stay secret.

Commands run in-process (``run``, as the console entry point renders errors) on SQLite and
PostgreSQL; the controller, whose log lines matter, runs as a real process."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from test_registry_cli import run

sys.path.insert(0, str(Path(__file__).parents[1] / "integration" / "engine"))
from engine_support import DOMAIN, PROJECT, bundle, flows, register

from flowctl.state._executions import open_execution_store

HOSTILE = ["../../x", "/tmp/abs", "a" * 300, "naïve", "Upper", "a\nb"]
PASSWORD = "Pa55w0rd-not-for-output"


def test_launch_refuses_hostile_execution_names_before_storing_anything(tmp_path: Path, registry_url: str) -> None:
    blobs = tmp_path / "blobs"
    register(registry_url, [flows.chain], bundle_uri=bundle(tmp_path / "src", str(blobs)))
    for name in HOSTILE:
        code, _, err = run("launch", PROJECT, DOMAIN, "flows.chain", "--a", "1", "--b", "2", "--name", name,
                           "--registry", registry_url)
        assert code == 1 and "Invalid execution name" in err and "DNS-1123" in err, err
        if len(name) == 300:
            assert "300 characters, the limit is 63" in err
    code, _, err = run("launch", "../other", DOMAIN, "flows.chain", "--registry", registry_url)
    assert code == 1 and "Invalid project name `../other`" in err
    store = open_execution_store(registry_url)
    try:
        assert store.list_executions() == []
    finally:
        store.close()
    assert sorted(p.name for p in blobs.iterdir()) == ["bundles"] and not (tmp_path / "x").exists()


def test_plan_checks_every_registry_and_kubernetes_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A 300-character launch plan name and a label Kubernetes would refuse fail `plan`, not `apply`."""
    manifest = tmp_path / "m.py"
    manifest.write_text(textwrap.dedent('''
        from flowctl import LaunchPlan, Project, task, workflow

        @task(labels={"team name": "ml"})
        def inc(x: int) -> int:
            return x + 1

        @workflow
        def wf(x: int = 1) -> int:
            return inc(x=x)

        project = Project("proj", domains=["development"])
        project.domain("development").register(wf)
        project.domain("development").launch_plan(LaunchPlan.get_or_create(wf, name="L" + "x" * 299))
    '''))
    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path / 'r.db'}"
    code, _, err = run("plan", "m.py", "--version", "v1", "--registry", url)
    assert code == 1 and "Invalid launch plan name" in err and "300 characters, the limit is 255" in err, err
    manifest.write_text(manifest.read_text().replace('"L" + "x" * 299', '"nightly"'))
    code, _, err = run("plan", "m.py", "--version", "v1", "--registry", url)
    assert code == 1 and "Invalid label key `team name` of task `m.inc`" in err, err
    assert "Kubernetes label key syntax" in err and "m.py:" in err


def test_no_command_output_shows_the_registry_password(tmp_path: Path, postgres_url: str,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Trust authentication ignores the password, so the commands really run against the server."""
    url = postgres_url.replace("://postgres@", f"://postgres:{PASSWORD}@", 1)
    unreachable = f"postgresql://postgres:{PASSWORD}@127.0.0.1:1/test"
    malformed = f"postgresql://postgres:{PASSWORD}@127.0.0.1:port/test"
    monkeypatch.setenv("FLOWCTL_REGISTRY", url)
    monkeypatch.setenv("FLOWCTL_BLOB_STORE", str(tmp_path / "blobs"))
    monkeypatch.chdir(tmp_path)
    commands = [
        ["registry", "migrate"], ["init"], ["registry", "info"], ["registry", "info", "--json"], ["config", "show"],
        ["executions", "list"], ["get", "tasks"], ["lock", "list"], ["launch", "proj", "development", "nothing"],
        ["drift"], ["get", "tasks", "--registry", unreachable], ["get", "tasks", "--registry", malformed],
        ["controller", "--once", "--registry", unreachable],
    ]
    for command in commands:
        _, out, err = run(*command)
        assert PASSWORD not in out + err, f"{command} printed the password:\n{out}{err}"
    env = {**os.environ, "NO_COLOR": "1"}
    controller = subprocess.run([sys.executable, "-m", "flowctl", "controller", "--once", "-v"], cwd=tmp_path,
                                env=env, capture_output=True, text=True, timeout=60)
    assert controller.returncode == 0, controller.stderr
    assert PASSWORD not in controller.stdout + controller.stderr
    assert "postgres:***@127.0.0.1" in controller.stderr
