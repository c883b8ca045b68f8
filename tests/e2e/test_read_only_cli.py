"""Read-only commands never write: no registry is created, migrated or touched by get, plan, drift,
executions list/get, lock list or registry info. Only apply, init and registry migrate create one."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import stat
import textwrap
from pathlib import Path

import pytest
import sqlalchemy as sa
from test_registry_cli import run

from flowctl.state import open_store

READ_ONLY = [
    ["get", "tasks"], ["get", "projects"], ["get", "executions"], ["executions", "list"],
    ["executions", "get", "some-execution"], ["lock", "list"], ["registry", "info"], ["drift"],
    ["launch", "proj", "development", "nightly"], ["controller", "--once"],
]
MANIFEST = '''
from flowctl import Project, task, workflow

@task
def inc(x: int) -> int:
    return x + 1

@workflow
def wf(x: int = 1) -> int:
    return inc(x=x)

project = Project("proj", domains=["development"])
project.domain("development").register(wf)
'''


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _each(url: str, commands: list[list[str]] = READ_ONLY) -> list[str]:
    errors = []
    for command in commands:
        code, _, err = run(*command, "--registry", url)
        assert code == 1, f"{command} exited {code}"
        errors.append(err)
    return errors


@pytest.mark.parametrize("size", ["missing", "empty"])
def test_no_registry_is_created_by_a_read(tmp_path: Path, size: str) -> None:
    path = tmp_path / "state" / "registry.db"
    if size == "empty":
        path.parent.mkdir()
        path.touch()
    for err in _each(f"sqlite:///{path}"):
        assert f"No registry at {path} (run `flowctl apply` or `flowctl init` to create one)" in err, err
    assert path.exists() == (size == "empty") and (not path.exists() or path.stat().st_size == 0)
    assert path.parent.exists() == (size == "empty"), "a read must not even create the folder"


def test_a_foreign_sqlite_file_is_never_changed(tmp_path: Path) -> None:
    path = tmp_path / "app.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")
        conn.execute("INSERT INTO users (name) VALUES ('ada')")
    conn.close()
    before = _digest(path)
    url = f"sqlite:///{path}"
    for err in _each(url, [*READ_ONLY, ["registry", "migrate"], ["init"]]):
        assert f"{path} is not a flowctl registry" in err and "users" in err, err
    assert _digest(path) == before
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")] == ["users"]
    conn.close()


def test_plan_in_a_fresh_folder_plans_against_nothing_and_creates_nothing(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "m.py").write_text(textwrap.dedent(MANIFEST))
    path = tmp_path / "reg" / "registry.db"
    url = f"sqlite:///{path}"
    monkeypatch.chdir(tmp_path)
    code, out, err = run("plan", "m.py", "--version", "v1", "--registry", url, "--out", "p.plan")
    assert code == 0, err
    assert "to register" in out and not path.exists() and not path.parent.exists()
    code, out, err = run("apply", "p.plan", "--auto-approve", "--registry", url)
    assert code == 0, err
    assert "Apply complete!" in out and path.exists()


def test_init_creates_a_private_registry_and_blob_store(tmp_path: Path) -> None:
    previous = os.umask(0o022)  # the usual umask: what flowctl creates must still be private
    try:
        path = tmp_path / ".flowctl" / "registry.db"
        blobs = tmp_path / ".flowctl" / "blobs"
        url = f"sqlite:///{path}"
        code, out, err = run("init", "--registry", url, "--blob-store", str(blobs))
        assert code == 0, err
        assert f"Created the registry at {url}" in out
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        for folder in (path.parent, blobs):
            assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
        store = open_store(url, create=False)
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        store.close()
        for sidecar in path.parent.glob("registry.db-*"):
            assert stat.S_IMODE(sidecar.stat().st_mode) == 0o600, sidecar
        code, out, _ = run("init", "--registry", url, "--blob-store", str(blobs))
        assert code == 0 and "already exists" in out
        code, out, _ = run("get", "tasks", "--registry", url)
        assert code == 0 and "No tasks found." in out
    finally:
        os.umask(previous)


def test_an_empty_postgresql_schema_is_not_a_registry(postgres_url: str) -> None:
    for err in _each(postgres_url, READ_ONLY[:7]):
        assert "No registry at postgresql" in err and "flowctl init" in err, err
    engine = sa.create_engine(postgres_url)
    with engine.connect() as conn:
        assert sa.inspect(conn).get_table_names() == []
    engine.dispose()
    assert run("init", "--registry", postgres_url)[0] == 0
    assert run("get", "tasks", "--registry", postgres_url)[0] == 0
