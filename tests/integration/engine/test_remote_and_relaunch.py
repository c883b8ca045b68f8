"""`run_remote` (the engine side of `flowctl run --remote`) and relaunch."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from engine_support import DOMAIN, PROJECT, flows, local_context, register, run_until_done

from flowctl._config import Config
from flowctl._errors import LockError
from flowctl._runtime import import_file
from flowctl.engine import launch, relaunch
from flowctl.engine._remote import launch_remote
from flowctl.state._executions import open_execution_store

SOURCE = '''
from flowctl import task, workflow

@task
def inc(x: int) -> int:
    return x + 1

@workflow
def remote_wf(x: int = 1) -> int:
    return inc(x=inc(x=x))
'''


def test_run_remote_registers_a_content_version_and_launches(tmp_path: Path, sqlite_url: str) -> None:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "remote_flows.py").write_text(SOURCE)
    (root / "flowctl.toml").write_text(f'[registry]\nurl = "{sqlite_url}"\n[blob_store]\nurl = "{tmp_path / "blobs"}"\n')
    config = Config(cwd=root)
    module = import_file(root / "remote_flows.py")
    store = open_execution_store(sqlite_url)
    first = launch_remote(module.remote_wf, root / "remote_flows.py", {"x": 5}, config, store, project="demo")
    second = launch_remote(module.remote_wf, root / "remote_flows.py", {}, config, store, project="demo")
    assert first.launch_plan_version == second.launch_plan_version  # unchanged code: same version
    assert first.launch_plan_version.startswith("r-") and first.inputs == {"x": 5} and second.inputs == {"x": 1}
    ctx = local_context(sqlite_url, str(tmp_path / "blobs"), tmp_path)
    assert run_until_done(ctx, first.id).outputs == {"o0": 7}
    store.close()
    shutil.rmtree(root)


def test_run_remote_registers_under_the_registry_lock(tmp_path: Path, sqlite_url: str,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A registration is a registry write: `run --remote` waits for an apply holding the lock, then says who."""
    from flowctl.engine import _remote
    from flowctl.state import LockInfo, open_store

    monkeypatch.setattr(_remote, "REGISTER_LOCK_TIMEOUT", 0.0)
    root = tmp_path / "proj"
    root.mkdir()
    (root / "locked_flows.py").write_text(SOURCE)
    (root / "flowctl.toml").write_text(f'[registry]\nurl = "{sqlite_url}"\n[blob_store]\nurl = "{tmp_path / "blobs"}"\n')
    module = import_file(root / "locked_flows.py")
    direct = open_store(sqlite_url)
    store = open_execution_store(sqlite_url)
    try:
        with (direct.lock(LockInfo("apply", "alice@laptop:1", "plan.out")),
              pytest.raises(LockError, match="locked by alice@laptop:1 for `apply`")):
            launch_remote(module.remote_wf, root / "locked_flows.py", {}, Config(cwd=root), store, project="demo")
        assert "demo" not in direct.snapshot().projects and store.list_executions() == []
    finally:
        store.close()
        direct.close()


def test_relaunch_uses_the_same_version_and_inputs(tmp_path: Path, sqlite_url: str) -> None:
    from engine_support import bundle

    uri = bundle(tmp_path / "src", str(tmp_path / "blobs"))
    register(sqlite_url, [flows.chain], bundle_uri=uri)
    ctx = local_context(sqlite_url, str(tmp_path / "blobs"), tmp_path)
    original = launch(ctx.store, PROJECT, DOMAIN, "flows.chain", {"a": 1, "b": 1})
    again = relaunch(ctx.store, original.name)
    assert again.name != original.name and again.inputs == original.inputs
    assert again.launch_plan_version == original.launch_plan_version
