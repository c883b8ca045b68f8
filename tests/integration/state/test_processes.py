"""Real processes against one registry (SQLite and PostgreSQL): races and kill -9.

- two processes register the same version: exactly one creates it, the other gets the
  ImmutabilityError (different content) or a no-op (identical content);
- two processes take the registry lock: exactly one gets it, the other is told who holds it;
- two processes open a new registry at once: the schema is created once;
- a process killed while holding the lock: the lock is free again (PostgreSQL at once, SQLite
  after the TTL); a hung (stopped) holder loses it after its TTL;
- a process killed in the middle of a write transaction: nothing of it is visible.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from flowctl._address import EntityKind
from flowctl._errors import LockError
from flowctl.state import LockInfo, open_store

WORKER = str(Path(__file__).with_name("_worker.py"))


class Worker:
    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, WORKER, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
            env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[3])},
        )

    def ready(self) -> Worker:
        assert self.read()["state"] == "ready"
        return self

    def read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        assert line, f"worker exited with {self.proc.wait()}"
        return dict(json.loads(line))

    def go(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write("go\n")
        self.proc.stdin.flush()

    def finish(self) -> dict[str, Any]:
        result = self.read()
        self.proc.wait(30)
        return result

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)


def _start(*workers: Worker) -> list[Worker]:
    """Workers start in parallel (each imports flowctl); wait until every one has its store open."""
    return [worker.ready() for worker in workers]


def _race(workers: list[Worker]) -> list[dict[str, Any]]:
    for worker in _start(*workers):
        worker.go()
    return [worker.finish() for worker in workers]


def test_racing_registrations_of_different_content(registry_url: str) -> None:
    open_store(registry_url).close()  # migrate once, so the race is about the registration
    results = _race([Worker("register", registry_url, "proj", code) for code in ("a", "b")])
    assert sorted(r["result"] for r in results) == ["created", "immutable"]
    loser = next(r for r in results if r["result"] == "immutable")
    assert "code.code_digest of task mean changed" in loser["message"] and "register a new version" in loser["message"]
    store = open_store(registry_url)
    (entity,) = store.list_entities(project="proj")
    winner_code = entity.created_by
    assert entity.spec["code"]["code_digest"] == f"sha256:{winner_code}"
    assert store.snapshot().serial == 1
    store.close()


def test_racing_identical_registrations(registry_url: str) -> None:
    # No migration first: the workers also race to create the schema (it must be created once).
    results = _race([Worker("register", registry_url, "proj", "same") for _ in range(2)])
    assert sorted(r["result"] for r in results) == ["created", "noop"]


def test_racing_locks(registry_url: str) -> None:
    open_store(registry_url).close()
    results = _race([Worker("lock", registry_url, "0.5", str(i)) for i in range(2)])
    assert sorted(r["result"] for r in results) == ["locked", "refused"]
    refused = next(r for r in results if r["result"] == "refused")
    assert "locked by worker-" in refused["message"] and "`apply`" in refused["message"]
    assert "held for" in refused["message"]


def test_killed_holder_releases_the_lock(registry_url: str) -> None:
    store = open_store(registry_url)
    doomed = Worker("hold-lock", registry_url, "1").ready()
    assert doomed.read()["result"] == "locked"
    with pytest.raises(LockError, match="doomed"), store.lock(LockInfo(operation="apply", holder="me"), timeout=0):
        pass
    doomed.kill()
    start = time.monotonic()
    with store.lock(LockInfo(operation="apply", holder="me"), timeout=10) as mine:
        assert mine.holder == "me"
        assert [lock.holder for lock in store.list_locks()] == ["me"]
    assert time.monotonic() - start < 8
    store.close()


def test_hung_holder_loses_the_lock_after_its_ttl(registry_url: str) -> None:
    """A stopped (SIGSTOP) holder stops heartbeating: after the TTL the next writer takes over."""
    store = open_store(registry_url)
    hung = Worker("hold-lock", registry_url, "1").ready()
    assert hung.read()["result"] == "locked"
    hung.proc.send_signal(signal.SIGSTOP)
    try:
        start = time.monotonic()
        with store.lock(LockInfo(operation="apply", holder="me"), timeout=10) as mine:
            assert mine.holder == "me"
        assert time.monotonic() - start < 8
    finally:
        hung.kill()
    store.close()


def test_kill_during_write_leaves_nothing(registry_url: str) -> None:
    store = open_store(registry_url)
    before = store.snapshot()
    victim = Worker("write-and-hang", registry_url, "crashed").ready()
    assert victim.read()["result"] == "written"
    victim.kill()
    after = store.snapshot()
    assert after.serial == before.serial and "crashed" not in after.projects
    assert store.list_entities(project="crashed") == [] and store.last_apply() is None
    with store.transaction() as tx:  # the registry is writable again (the dead writer's locks are gone)
        tx.register(EntityKind.TASK, "crashed", "development", "t0", "v1", {"x": 1}, "sha256:x", managed_by="m", created_by="me")
    assert store.snapshot().serial == before.serial + 1
    store.close()
