"""Isolation through the CLI (docs/security.md): names stay in their project, secrets stay secret.

Real `python -m flowctl` processes on SQLite and PostgreSQL, real subprocess attempts."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_executions_cli import Cli

sys.path.insert(0, str(Path(__file__).parents[1] / "integration" / "engine"))
from engine_support import DOMAIN, PROJECT, flows, register

from flowctl.state._executions import open_execution_store

HOSTILE = ["../../x", "/tmp/abs", "a" * 300, "naïve", "Upper", "a\nb"]


@pytest.fixture
def cli(tmp_path: Path, registry_url: str) -> Iterator[Cli]:
    c = Cli(tmp_path, registry_url)
    yield c
    c.stop()


def test_launch_refuses_hostile_execution_names_before_storing_anything(cli: Cli) -> None:
    register(cli.url, [flows.chain], bundle_uri=cli.uri)
    for name in HOSTILE:
        result = cli.run("launch", PROJECT, DOMAIN, "flows.chain", "--a", "1", "--b", "2", "--name", name, check=1)
        assert "Invalid execution name" in result.stderr and "DNS-1123" in result.stderr, result.stderr
        assert "Traceback" not in result.stderr
        if len(name) == 300:
            assert "300 characters, the limit is 63" in result.stderr
    store = open_execution_store(cli.url)
    try:
        assert store.list_executions() == []
    finally:
        store.close()
    assert not (Path(cli.blobs) / "x").exists() and not (cli.tmp / "x").exists()


def test_plan_checks_every_registry_and_kubernetes_limit(tmp_path: Path) -> None:
    """A 300-character launch plan name and a label Kubernetes would refuse fail `plan`, not `apply`."""
    (tmp_path / "m.py").write_text(textwrap.dedent('''
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
    env = {**os.environ, "FLOWCTL_REGISTRY": f"sqlite:///{tmp_path / 'r.db'}", "NO_COLOR": "1"}
    result = subprocess.run([sys.executable, "-m", "flowctl", "plan", "m.py", "--version", "v1"], cwd=tmp_path,
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1, result.stdout
    assert "Invalid launch plan name" in result.stderr and "300 characters, the limit is 255" in result.stderr
    (tmp_path / "m.py").write_text((tmp_path / "m.py").read_text().replace('"L" + "x" * 299', '"nightly"'))
    result = subprocess.run([sys.executable, "-m", "flowctl", "plan", "m.py", "--version", "v1"], cwd=tmp_path,
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and "Invalid label key `team name` of task `m.inc`" in result.stderr
    assert "Kubernetes label key syntax" in result.stderr and "m.py:" in result.stderr


PASSWORD = "Pa55w0rd-not-for-output"


def test_no_command_output_shows_the_registry_password(tmp_path: Path, postgres_url: str) -> None:
    """Trust authentication ignores the password, so the commands really run against the server."""
    url = postgres_url.replace("://postgres@", f"://postgres:{PASSWORD}@", 1)
    unreachable = f"postgresql://postgres:{PASSWORD}@127.0.0.1:1/test"
    malformed = f"postgresql://postgres:{PASSWORD}@127.0.0.1:port/test"
    env = {**os.environ, "FLOWCTL_REGISTRY": url, "FLOWCTL_BLOB_STORE": str(tmp_path / "blobs"), "NO_COLOR": "1"}
    commands = [
        ["registry", "migrate"], ["init"], ["registry", "info"], ["registry", "info", "--json"], ["config", "show"],
        ["controller", "--once", "-v"], ["executions", "list"], ["get", "tasks"], ["lock", "list"],
        ["launch", "proj", "development", "nothing"], ["drift", "--registry", url],
        ["get", "tasks", "--registry", unreachable], ["get", "tasks", "--registry", malformed],
        ["controller", "--once", "--registry", unreachable],
    ]
    for command in commands:
        result = subprocess.run([sys.executable, "-m", "flowctl", *command], cwd=tmp_path, env=env,
                                capture_output=True, text=True, timeout=60)
        output = result.stdout + result.stderr
        assert PASSWORD not in output, f"{command} printed the password:\n{output}"
        assert "Traceback" not in output, f"{command}:\n{output}"
    controller = subprocess.run([sys.executable, "-m", "flowctl", "controller", "--once"], cwd=tmp_path, env=env,
                                capture_output=True, text=True, timeout=60)
    assert "postgres:***@127.0.0.1" in controller.stderr
