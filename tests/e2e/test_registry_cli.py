"""``flowctl get``, ``flowctl registry info|migrate``, ``flowctl lock list|break`` end to end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from flowctl._address import EntityKind
from flowctl._errors import FlowctlError
from flowctl.cli import _register_commands, app
from flowctl.spec import DomainSettingsSpec, ProjectSpec, digest_of
from flowctl.state import LockInfo, open_store
from flowctl.state.testing import task_spec

_register_commands()


def run(*args: str) -> tuple[int, str, str]:
    """Like the console entry point: FlowctlError -> its diagnostics on stderr, exit 1."""
    result = CliRunner().invoke(app, list(args))
    if isinstance(result.exception, FlowctlError):
        return 1, result.stdout, result.exception.render()
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def url(registry_url: str) -> str:
    store = open_store(registry_url)
    with store.transaction() as tx:
        tx.upsert_project(ProjectSpec(name="ml", description="ML team"), managed_by="manifests")
        tx.upsert_domain_settings(DomainSettingsSpec(project="ml", domain="production", service_account="sa"), managed_by="manifests")
        for name, kind, versions in (("mean", EntityKind.TASK, ("v1", "v2")), ("train", EntityKind.WORKFLOW, ("v1",)),
                                     ("nightly", EntityKind.LAUNCH_PLAN, ("v1", "v2"))):
            for version in versions:
                spec = task_spec(name, version)
                tx.register(kind, "ml", "development", name, version, spec, digest_of(spec), managed_by="manifests", created_by="alice")
        tx.activate("ml", "development", "nightly", "v2", managed_by="manifests")
    store.close()
    return registry_url


def test_get_projects(url: str) -> None:
    code, out, _ = run("get", "projects", "--registry", url)
    assert code == 0
    assert out.splitlines()[0].split() == ["NAME", "STATE", "DOMAINS", "DESCRIPTION", "MANAGED", "BY"]
    assert "ml" in out and "development, staging, production" in out and "ML team" in out
    code, out, _ = run("get", "projects", "--registry", url, "-o", "json")
    document = json.loads(out)
    assert document["format_version"] == "1" and document["kind"] == "projects"
    (item,) = document["items"]
    assert item["domain_settings"]["production"]["service_account"] == "sa"


def test_get_tasks_filters_and_formats(url: str) -> None:
    code, out, _ = run("get", "tasks", "--registry", url)
    assert code == 0 and [line.split()[3] for line in out.splitlines()[1:]] == ["v1", "v2"]
    code, out, _ = run("get", "tasks", "--registry", url, "-p", "ml", "-d", "development", "--name", "mean", "--version", "v2", "-o", "json")
    (item,) = json.loads(out)["items"]
    assert item["version"] == "v2" and item["spec"] == task_spec("mean", "v2") and item["created_by"] == "alice"
    code, out, _ = run("get", "tasks", "--registry", url, "-o", "yaml", "--version", "v1")
    assert yaml.safe_load(out)["items"][0]["version"] == "v1"
    code, out, _ = run("get", "tasks", "--registry", url, "-p", "other")
    assert code == 0 and out.strip() == "No tasks found."


def test_get_workflows_and_launchplans(url: str) -> None:
    code, out, _ = run("get", "workflows", "--registry", url)
    assert code == 0 and "train" in out
    code, out, _ = run("get", "launchplans", "--registry", url)
    lines = out.splitlines()
    assert "STATUS" in lines[0]
    assert "active" in next(line for line in lines if " v2 " in line)
    assert "active" not in next(line for line in lines if " v1 " in line)
    code, out, _ = run("get", "launchplans", "--registry", url, "-o", "json")
    assert {item["version"]: item["active"] for item in json.loads(out)["items"]} == {"v1": False, "v2": True}


def test_get_executions(url: str) -> None:
    code, out, _ = run("get", "executions", "--registry", url)
    assert code == 0 and out.strip() == "No executions found."
    code, out, _ = run("get", "executions", "--registry", url, "-o", "json")
    assert json.loads(out)["items"] == []


def test_registry_info_and_migrate(url: str) -> None:
    code, out, _ = run("registry", "info", "--registry", url)
    assert code == 0
    assert "Schema version:" in out and "Lineage:" in out and "Serial:              1" in out
    assert "Tasks:               2" in out and "Active launch plans: 1" in out
    code, out, _ = run("registry", "info", "--registry", url, "--json")
    info = json.loads(out)
    assert info["backend"] in ("sqlite", "postgresql") and info["counts"]["launch_plans"] == 2
    code, out, _ = run("registry", "migrate", "--registry", url)
    assert code == 0 and "is up to date" in out


def test_migrate_creates_a_new_registry(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new' / 'registry.db'}"
    code, out, _ = run("registry", "migrate", "--registry", url)
    assert code == 0 and "from (empty) to" in out
    assert (tmp_path / "new" / "registry.db").exists()


def test_missing_sqlite_registry_is_a_clear_error(tmp_path: Path) -> None:
    code, _, err = run("get", "tasks", "--registry", f"sqlite:///{tmp_path / 'none.db'}")
    assert code == 1 and "No registry at" in err and "--registry" in err
    assert not (tmp_path / "none.db").exists(), "a read must not create a registry"


def test_lock_list_and_break(url: str) -> None:
    code, out, _ = run("lock", "list", "--registry", url)
    assert code == 0 and out.strip() == "No locks are held."
    store = open_store(url)
    with store.lock(LockInfo(operation="apply", holder="alice@ci:42", info="plan.out")) as held:
        code, out, _ = run("lock", "list", "--registry", url)
        assert held.id in out and "alice@ci:42" in out and "apply" in out and "held" in out
        code, out, _ = run("lock", "list", "--registry", url, "-o", "json")
        assert json.loads(out)["locks"][0]["id"] == held.id
        code, _, err = run("lock", "break", held.id, "--registry", url)
        assert code == 1 and "--force" in err
        code, out, _ = run("lock", "break", held.id, "--registry", url, "--force")
        assert code == 0 and f"Lock {held.id}" in out and "broken" in out
        assert store.list_locks() == []
    code, _, err = run("lock", "break", "nope", "--registry", url, "--force")
    assert code == 1 and "No lock with id `nope`" in err
    store.close()


def test_unreachable_registry_exits_1_without_traceback() -> None:
    env = {**os.environ, "FLOWCTL_REGISTRY": "postgresql://bob:hunter2@127.0.0.1:1/registry"}
    proc = subprocess.run([sys.executable, "-m", "flowctl", "get", "tasks"], capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 1
    assert "Cannot open the registry at postgresql://bob:***@127.0.0.1:1/registry" in proc.stderr
    assert "hunter2" not in proc.stderr and "Traceback" not in proc.stderr and "sqlalchemy" not in proc.stderr.lower()
