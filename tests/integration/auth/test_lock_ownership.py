"""A remote registry lock belongs to the identity that took it, on SQLite and PostgreSQL.

A real `flowctl server` with access control on; deployer tokens of projects pa and pb and an admin
on every project. The pb deployer, knowing pa's lock id (``GET /store/locks`` lists it), can neither
heartbeat it, release it nor write under it (403 naming the holder, nothing written); pa's deployer
can; an admin breaks it. The audit log names the lock and the addresses a transaction wrote."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from auth_support import SESSION_SECRET
from server_support import ServerProcess

from flowctl._address import EntityKind
from flowctl.spec import digest_of
from flowctl.state import RegisterItem, open_store
from flowctl.state import _wire as w
from flowctl.state._auth import open_auth_store
from flowctl.state._open import create_registry
from flowctl.state.testing import task_spec

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "examples" / "my_ml_project"
TOKENS = {"a": ("deployer", "pa"), "b": ("deployer", "pb"), "admin": ("admin", None)}


@dataclass
class Served:
    server: ServerProcess
    url: str
    tokens: dict[str, str]

    def call(self, who: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return self.server.client.request(method, "/api/v1" + path,
                                          headers={"Authorization": f"Bearer {self.tokens[who]}"}, **kwargs)

    def lock(self, who: str) -> str:
        response = self.call(who, "POST", "/store/locks", json={"operation": "apply", "holder": "claimed"})
        assert response.status_code == 201, response.text
        return str(response.json()["lock"]["id"])

    def audit(self) -> list[tuple[str, str, str]]:
        """(identity, operation, address) of every audit row, oldest first."""
        rows = self.call("admin", "GET", "/audit", params={"limit": 1000}).json()
        return [(r["identity"], r["operation"], r["address"]) for r in reversed(rows)]


@pytest.fixture
def served(registry_url: str, tmp_path: Path) -> Iterator[Served]:
    create_registry(registry_url)
    auth = open_auth_store(registry_url)
    try:
        tokens = {who: auth.create_token(f"{role}-{project or 'all'}", role=role, project=project, domain=None,
                                         expires_at=None, created_by="tests")[1]
                  for who, (role, project) in TOKENS.items()}
    finally:
        auth.close()
    server = ServerProcess(tmp_path, registry_url, str(tmp_path / "blobs"), controller=False,
                           env={"FLOWCTL_SERVER_AUTH": "true", "FLOWCTL_SESSION_SECRET": SESSION_SECRET})
    yield Served(server, registry_url, tokens)
    server.stop()


def register(project: str, *names: str, lock_id: str | None = None) -> dict[str, Any]:
    items = [RegisterItem(EntityKind.TASK, project, "development", n, "v1", task_spec(n), digest_of(task_spec(n)))
             for n in names]
    ops: list[Any] = [w.RegisterMany(items=items, managed_by="tests", created_by="x")]
    return w.dump(w.TransactionRequest(lock_id=lock_id, ops=ops))


def registered(url: str) -> list[str]:
    store = open_store(url, create=False)
    try:
        return sorted(f"{e.project}/{e.name}" for e in store.list_entities(EntityKind.TASK, None, None, None, None))
    finally:
        store.close()


def test_only_the_identity_that_took_a_lock_may_use_it(served: Served) -> None:
    lock_id = served.lock("a")
    assert [held["id"] for held in served.call("b", "GET", "/store/locks").json()["items"]] == [lock_id]
    blocked = served.call("b", "POST", "/store/locks", json={"operation": "apply", "holder": "b"})
    assert blocked.status_code == 409, blocked.text  # who blocks, and that they may deploy to pa only
    assert blocked.json()["title"].startswith(
        "The registry is locked by token:deployer-pa@127.0.0.1 (deployer on pa) for `apply`"), blocked.text
    for method, path, body in (("POST", f"/store/locks/{lock_id}/heartbeat", None),
                               ("DELETE", f"/store/locks/{lock_id}", None),
                               ("POST", "/store/transactions", register("pb", "stolen", lock_id=lock_id))):
        refused = served.call("b", method, path, json=body)
        assert refused.status_code == 403, (method, path, refused.text)
        doc = refused.json()
        assert doc["title"] == f"token:deployer-pb may not use the registry lock {lock_id}: it is held by " \
                               "token:deployer-pa"
        assert (doc["code"], doc["identity"], doc["holder"]) == ("USER:PermissionDenied", "token:deployer-pb",
                                                                 "token:deployer-pa")
        assert f"flowctl lock break {lock_id}" in doc["fix"] and "Traceback" not in refused.text
    assert registered(served.url) == []  # nothing written under another's lock
    assert [held["id"] for held in served.call("a", "GET", "/store/locks").json()["items"]] == [lock_id]

    assert served.call("a", "POST", f"/store/locks/{lock_id}/heartbeat").json() == {"done": True}
    written = served.call("a", "POST", "/store/transactions", json=register("pa", "t1", "t2", lock_id=lock_id))
    assert written.status_code == 200, written.text
    assert served.call("a", "DELETE", f"/store/locks/{lock_id}").json() == {"done": True}
    assert registered(served.url) == ["pa/t1", "pa/t2"]
    assert served.audit() == [  # the heartbeat adds no row: one every TTL/3 seconds would bury the rest
        ("token:deployer-pa", "store.lock", f"lock {lock_id}"),
        ("token:deployer-pa", "store.transaction", "pa/development/task/t1@v1, pa/development/task/t2@v1"),
        ("token:deployer-pa", "store.unlock", f"lock {lock_id}"),
    ]


def test_an_admin_breaks_another_identitys_lock(served: Served) -> None:
    lock_id = served.lock("a")
    assert served.call("admin", "POST", f"/store/locks/{lock_id}/break").json() == {"done": True}
    lost = served.call("a", "POST", "/store/transactions", json=register("pa", "late", lock_id=lock_id))
    assert lost.status_code == 409 and lost.json()["code"] == "USER:LockHeld", lost.text
    assert registered(served.url) == []
    taken = served.lock("b")  # the registry is free again
    assert served.call("b", "DELETE", f"/store/locks/{taken}").json() == {"done": True}
    assert ("token:admin-all", "store.break_lock", f"lock {lock_id}") in served.audit()


def test_a_large_transaction_is_audited_by_place(served: Served) -> None:
    names = [f"t{i:02}" for i in range(25)]
    lock_id = served.lock("a")
    written = served.call("a", "POST", "/store/transactions", json=register("pa", *names, lock_id=lock_id))
    assert written.status_code == 200, written.text
    assert served.call("a", "DELETE", f"/store/locks/{lock_id}").json() == {"done": True}
    assert [row for row in served.audit() if row[1] == "store.transaction"] == [
        ("token:deployer-pa", "store.transaction", "pa/development (25 writes)")]


def test_an_apply_the_lock_blocks_names_the_holder_and_its_scope(served: Served, tmp_path: Path) -> None:
    """`flowctl apply` with pb's token while pa's deployer holds the lock: one LockError naming the holder
    and where it may deploy, exit 1, no traceback, nothing written."""
    manifests = tmp_path / "manifests"
    shutil.copytree(EXAMPLE, manifests, ignore=shutil.ignore_patterns("__pycache__", ".flowctl"))
    project = manifests / "project.py"
    project.write_text(project.read_text().replace('"my-ml-project"', '"pb"'))
    lock_id = served.lock("a")
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("FLOWCTL_")}, "NO_COLOR": "1", "PYTHONPATH": str(ROOT),
           "FLOWCTL_SERVER": served.server.url, "FLOWCTL_TOKEN": served.tokens["b"]}
    blocked = subprocess.run([sys.executable, "-m", "flowctl", "apply", ".", "--version", "v1", "--auto-approve"],
                             env=env, cwd=manifests, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                             timeout=180)
    assert blocked.returncode == 1, blocked.stdout + blocked.stderr
    assert "The registry is locked by token:deployer-pa@127.0.0.1 (deployer on pa) for `apply`" in blocked.stderr
    assert f"flowctl lock break {lock_id}" in blocked.stderr and "Traceback" not in blocked.stderr
    assert registered(served.url) == []
