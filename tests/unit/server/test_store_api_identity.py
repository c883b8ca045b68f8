"""The store API records who called, not what the client says, once the server knows the caller.

The app is served by uvicorn in a thread of this process (a real socket on 127.0.0.1), so the test
can stand in for the authenticator by replacing its ``identify``."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from flowctl._address import EntityKind
from flowctl._config import Config
from flowctl._roles import Binding
from flowctl.server import Actor, Services, create_app
from flowctl.spec import digest_of
from flowctl.state import ApplyRecord, ApprovalRecord, RegisterItem, SqlStore, open_store
from flowctl.state import _wire as w
from flowctl.state.testing import task_spec


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[httpx.Client, SqlStore]]:
    config = Config(flags={"registry.url": f"sqlite:///{tmp_path / 'r.db'}", "blob_store.url": str(tmp_path / "b")},
                    cwd=tmp_path)
    direct = open_store(config.registry_url)
    app = create_app(Services.open(config))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
        client.app = app  # type: ignore[attr-defined]  # for tests that replace the caller
        yield client, direct
    server.should_exit = True
    thread.join(timeout=30)
    direct.close()


def transaction(client: httpx.Client) -> Any:
    spec = task_spec("t")
    record = ApplyRecord(serial=0, lineage="", applied_at=datetime.now(UTC), user="claimed", host="laptop",
                         ci_run_url=None, operation="apply", plan={}, desired_state={}, summary="1 to register")
    body = w.TransactionRequest(ops=[
        w.RegisterMany(items=[RegisterItem(EntityKind.TASK, "p", "development", "t", "v1", spec, digest_of(spec))],
                       managed_by="manifests", created_by="claimed"),
        w.RecordApply(record=record),
    ])
    lock = client.post("/api/v1/store/locks", json={"operation": "apply", "holder": "claimed"})
    assert lock.status_code == 201, lock.text
    lock_id = lock.json()["lock"]["id"]
    response = client.post("/api/v1/store/transactions", json=w.dump(body.model_copy(update={"lock_id": lock_id})))
    assert response.status_code == 200, response.text
    assert client.delete(f"/api/v1/store/locks/{lock_id}").json() == {"done": True}
    return response.json()


def approve(client: httpx.Client) -> None:
    record = ApprovalRecord("p", "production", "staging", "wf", "v1", "claimed", datetime.now(UTC))
    response = client.post("/api/v1/store/approvals", json=w.dump(w.ApprovalRequest(record=record)))
    assert response.status_code == 200 and response.json() == {"done": True}, response.text


def test_a_local_caller_is_trusted_like_a_database_user(served: tuple[httpx.Client, SqlStore]) -> None:
    client, direct = served
    answer = transaction(client)
    assert answer["results"][0][0]["created"] is True and answer["results"][1] == []
    entity = direct.get_entity(EntityKind.TASK, "p", "development", "t", "v1")
    assert entity is not None and entity.created_by == "claimed"
    last = direct.last_apply()
    assert last is not None and (last.user, last.host, last.serial) == ("claimed", "laptop", answer["serial"])


def test_an_authenticated_caller_is_recorded(served: tuple[httpx.Client, SqlStore],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    client, direct = served
    caller = Actor("ci-prod", "token", "10.1.2.3", bindings=(Binding("token:ci-prod", "admin"),))
    monkeypatch.setattr(client.app.state.authenticator, "identify",  # type: ignore[attr-defined]
                        lambda request: caller)
    transaction(client)
    entity = direct.get_entity(EntityKind.TASK, "p", "development", "t", "v1")
    assert entity is not None and entity.created_by == "ci-prod@10.1.2.3"
    last = direct.last_apply()
    assert last is not None and (last.user, last.host) == ("ci-prod@10.1.2.3", "10.1.2.3")
    approve(client)
    approvals = direct.snapshot().approvals[("p", "production", "wf", "v1")]
    assert [a.approved_by for a in approvals] == ["ci-prod@10.1.2.3"]
    lock = client.post("/api/v1/store/locks", json={"operation": "apply", "holder": "claimed"})
    assert lock.status_code == 201, lock.text
    assert [held.holder for held in direct.list_locks()] == ["ci-prod@10.1.2.3"]
    assert client.delete(f"/api/v1/store/locks/{lock.json()['lock']['id']}").json() == {"done": True}
    assert direct.list_locks() == []


def test_every_store_route_names_its_action(served: tuple[httpx.Client, SqlStore]) -> None:
    client, _ = served
    document = client.get("/api/v1/openapi.json").json()
    actions = {f"{method.upper()} {path}": operation.get("x-flowctl-action")
               for path, item in document["paths"].items() if path.startswith("/api/v1/store/")
               for method, operation in item.items()}
    assert len(actions) >= 20 and set(actions.values()) == {"read", "operate", "deploy", "admin"}, actions
    assert actions["POST /api/v1/store/transactions"] == "deploy"
    assert actions["POST /api/v1/store/execution-records"] == "operate"
    assert actions["POST /api/v1/store/locks/{lock_id}/break"] == "admin"


def test_an_unknown_entity_kind_is_a_problem_document_not_a_server_error(served: tuple[httpx.Client, SqlStore]) -> None:
    client, _ = served
    for response in (client.get("/api/v1/store/entities", params={"kind": "launch_plans"}),
                     client.get("/api/v1/store/projects/p/domains/development/entities/launch_plans/x/v1")):
        assert response.status_code == 400, response.text
        problem = response.json()
        assert problem["title"] == "Unknown entity kind `launch_plans`"
        assert "task, workflow, launch_plan" in problem["fix"]
