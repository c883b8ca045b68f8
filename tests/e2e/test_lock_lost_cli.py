"""A registry lock lost in the middle of an apply stops it: the phase in progress rolls back, nothing
commits without the lock, the command exits 1 with the lock error (never a traceback), and the next
apply converges. PostgreSQL: the session holding the advisory lock is ended with pg_terminate_backend
while the phase's transaction is held open (``FLOWCTL_TEST_PAUSE_BEFORE_COMMIT``)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
from test_plan_apply_cli import env_for, project  # noqa: F401 - the fixture
from test_registry_cli import run

from flowctl._errors import LockError
from flowctl.state import LockInfo, open_store


def _lock_session(base: str, url: str) -> int:
    """The backend pid recorded by the apply's lock row (in the test's schema)."""
    schema = url.split("search_path%3D", 1)[1]
    deadline = time.monotonic() + 60
    with psycopg.connect(base, autocommit=True) as conn:
        while time.monotonic() < deadline:
            row = conn.execute(f'SELECT backend_pid FROM "{schema}".locks').fetchone()
            if row and row[0]:
                return int(row[0])
            time.sleep(0.05)
    raise AssertionError("the apply never took the lock")


@pytest.mark.parametrize("phase", [1, 2])
def test_terminated_lock_session_mid_apply(postgres_url: str, project: Path, tmp_path: Path,  # noqa: F811
                                           phase: int, monkeypatch: pytest.MonkeyPatch) -> None:
    base = postgres_url.replace("postgresql+psycopg://", "postgresql://").split("?", 1)[0]
    env = {**env_for(postgres_url, tmp_path), "FLOWCTL_TEST_PAUSE_BEFORE_COMMIT": f"{phase}:3"}
    apply = subprocess.Popen([sys.executable, "-m", "flowctl", "apply", ".", "--version", "v1", "--auto-approve"],
                             env=env, cwd=project, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert apply.stderr is not None
    for line in apply.stderr:
        if f"Phase {phase}:" in line:
            break
    pid = _lock_session(base, postgres_url)
    with psycopg.connect(base, autocommit=True) as conn:
        assert conn.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone() == (True,)
    _, rest = apply.communicate(timeout=60)
    assert apply.returncode == 1, rest
    assert "was lost while the operation ran" in rest and "Run `flowctl plan`" in rest
    assert f"Phase {phase} " in rest and "was rolled back" in rest
    assert "Traceback" not in rest and "internal error" not in rest and "PendingRollbackError" not in rest
    store = open_store(postgres_url, create=False)
    try:  # phase 1 committed only when it was phase 2 that lost the lock; phase 2 never committed
        snapshot = store.snapshot()
        assert (len(snapshot.entities) > 0) == (phase == 2) and snapshot.active_launch_plans == {}
        assert store.apply_history() == []
    finally:
        store.close()
    monkeypatch.chdir(project)
    code, out, err = run("apply", ".", "--version", "v1", "--auto-approve", "--registry", postgres_url)
    assert code == 0 and "Apply complete!" in out, err  # the next apply takes the lock over and converges


def test_a_write_checks_the_lock_inside_its_transaction(registry_url: str) -> None:
    """The lock is broken under a holder (another process's `flowctl lock break`): its next write rolls back."""
    from flowctl.spec import ProjectSpec

    holder, breaker = open_store(registry_url), open_store(registry_url)
    try:
        with pytest.raises(LockError, match="was lost"), holder.lock(LockInfo(operation="apply", holder="me")) as held:
            assert breaker.break_lock(held.id)
            with holder.transaction() as tx:
                tx.upsert_project(ProjectSpec(name="never"), managed_by="tests")
        assert "never" not in breaker.snapshot().projects
    finally:
        holder.close()
        breaker.close()


def test_the_heartbeat_notices_a_terminated_session(postgres_url: str) -> None:
    """A block that writes nothing still learns at its end that its lock's session was ended."""
    import sqlalchemy as sa

    store = open_store(postgres_url)
    try:
        with pytest.raises(LockError, match="was lost"), store.lock(LockInfo(operation="apply", holder="me"), ttl=1):
            with store.engine.connect() as conn:
                pid = conn.execute(sa.text("SELECT backend_pid FROM locks")).scalar_one()
                conn.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
                conn.commit()
            time.sleep(1.5)  # several heartbeats (every ttl/3 seconds)
    finally:
        store.close()
