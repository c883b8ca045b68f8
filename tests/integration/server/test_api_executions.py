"""Execution lists over HTTP: every filter, and cursor pagination that is stable under inserts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from server_support import ServerProcess

from flowctl.state._executions import ExecutionStore, NewExecution, open_execution_store

PHASES = ["succeeded", "failed", "aborted", "queued", "running"]


def new(i: int, *, domain: str = "development", launch_plan: str = "lp_a", labels: dict[str, str] | None = None,
        parent: str | None = None) -> NewExecution:
    return NewExecution(project="proj", domain=domain, name=f"x{i:03d}", launch_plan_name=launch_plan,
                        launch_plan_version="v1", workflow_name=f"wf_{launch_plan}", workflow_version="v1",
                        inputs={"i": i}, created_by="tests", labels=labels or {}, parent_execution_id=parent)


def populate(store: ExecutionStore) -> dict[str, Any]:
    """25 executions in proj/development (5 per phase), 3 in proj/production, 1 child; returns what was made."""
    made: dict[str, Any] = {"ids": [], "by_phase": {p: [] for p in PHASES}}
    for i in range(25):
        phase = PHASES[i % 5]
        x = store.create_execution(new(i, launch_plan="lp_a" if i % 2 else "lp_b",
                                       labels={"team": "ml", **({"tier": "gold"} if i == 0 else {})} if i % 3 == 0
                                       else {"team": "data"}))
        made["ids"].append(x.id)
        made["by_phase"][phase].append(x.name)
        if phase in ("succeeded", "failed", "aborted", "running"):
            store.claim_executions("t", now=datetime.now(UTC), lease_seconds=60, limit=1000)
            if phase == "running":
                store.mark_running(x.id, "t", datetime.now(UTC))
            else:
                store.finish_execution(x.id, "t", phase=phase, outputs=None, error=None, now=datetime.now(UTC))
    made["middle"] = store.get_execution(made["ids"][12]).created_at  # type: ignore[union-attr]
    for i in range(25, 28):
        store.create_execution(new(i, domain="production", launch_plan="lp_c"))
    store.create_execution(new(99, launch_plan="lp_c", parent=made["ids"][0]))
    return made


@pytest.fixture(scope="module")
def listed(module_registry_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, dict[str, Any]]]:
    tmp = tmp_path_factory.mktemp("listing")
    store = open_execution_store(module_registry_url)
    try:
        made = populate(store)
    finally:
        store.close()
    process = ServerProcess(tmp, module_registry_url, str(tmp / "blobs"), controller=False)
    yield process, made
    process.stop()


def names(server: ServerProcess, **params: Any) -> list[str]:
    return [x["name"] for x in server.get("/api/v1/executions", limit=500, **params)["items"]]


def test_cursor_pages_cover_everything_once_newest_first(listed: tuple[ServerProcess, dict[str, Any]],
                                                        module_registry_url: str) -> None:
    server, _ = listed
    seen: list[dict[str, Any]] = []
    page = server.get("/api/v1/executions", project="proj", domain="development", limit=10)
    store = open_execution_store(module_registry_url)
    try:
        store.create_execution(new(500, launch_plan="lp_c"))  # a newer execution arriving between pages does not shift them
    finally:
        store.close()
    while True:
        seen += page["items"]
        if page["next_cursor"] is None:
            break
        page = server.get("/api/v1/executions", project="proj", domain="development", limit=10,
                          cursor=page["next_cursor"])
    got = [x["name"] for x in seen]
    assert len(got) == len(set(got)) == 26  # 25 + the child, not the one inserted after page 1
    assert "x500" not in got
    created = [x["created_at"] for x in seen]
    assert created == sorted(created, reverse=True)


def test_filters(listed: tuple[ServerProcess, dict[str, Any]]) -> None:
    server, made = listed
    assert sorted(names(server, project="proj", domain="development", phase="failed")) == sorted(made["by_phase"]["failed"])
    both = names(server, project="proj", phase=["failed", "aborted"])
    assert sorted(both) == sorted(made["by_phase"]["failed"] + made["by_phase"]["aborted"])
    assert sorted(names(server, domain="production")) == ["x025", "x026", "x027"]
    assert set(names(server, project="proj", domain="development", launch_plan="lp_a")) == {
        f"x{i:03d}" for i in range(25) if i % 2}
    assert set(names(server, workflow="wf_lp_b", domain="development")) == {f"x{i:03d}" for i in range(25) if i % 2 == 0}
    assert set(names(server, label="team=ml")) == {f"x{i:03d}" for i in range(25) if i % 3 == 0}
    assert names(server, label=["team=ml", "tier=gold"]) == ["x000"]  # every label must match
    assert names(server, label=["team=data", "tier=gold"]) == []
    older = set(names(server, domain="development", created_before=made["middle"].isoformat()))
    assert older == {f"x{i:03d}" for i in range(12)}
    newer = set(names(server, domain="development", created_after=made["middle"].isoformat()))
    assert {f"x{i:03d}" for i in range(12, 25)} <= newer and not newer & older
    assert "x099" not in names(server, domain="development", top_level="true")
    assert names(server, project="nope") == []


def test_bad_filters_are_problems(listed: tuple[ServerProcess, dict[str, Any]]) -> None:
    server, _ = listed
    label = server.client.get("/api/v1/executions", params={"label": "team"})
    assert label.status_code == 400 and label.json()["where"] == "query parameter label"
    when = server.client.get("/api/v1/executions", params={"created_after": "yesterday"})
    assert when.status_code == 422 and when.json()["where"] == "query.created_after"
