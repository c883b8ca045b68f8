"""The store API under access control: what a project-scoped token may do through it (issue 15).

Every store route (the execution operations of ``_execution_ops`` too: a gate's value, reports,
backfills) x (a token bound to project pa as viewer, operator or deployer; an admin on every
project) x target in pa / in pb -> allowed, 403, or answered as missing (an execution by id the
token cannot see), generated from one table. Then: a transaction mixing pa and pb is refused whole
and writes nothing; the snapshot and every listing of a pa token hold nothing of pb.

The app runs in a thread of this process (uvicorn on 127.0.0.1); the test stands in for the
authenticator: the ``X-Test-Actor`` header names which of ``ACTORS`` calls."""

from __future__ import annotations

import dataclasses
import hashlib
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import Request

from flowctl import _blobstore as blobs
from flowctl import task, wait_for_input, workflow
from flowctl._address import EntityKind
from flowctl._config import Config
from flowctl._roles import Binding, allows
from flowctl.entrypoint import deck_uri
from flowctl.sdk import compile_entity
from flowctl.server import Actor, Services, create_app
from flowctl.server._execution_ops import router as execution_router
from flowctl.server._permissions import RULES
from flowctl.server._store_api import router as store_router
from flowctl.server._store_locks import router as locks_router
from flowctl.spec import ProjectSpec, digest_of
from flowctl.state import (
    ApplyRecord,
    ApprovalRecord,
    ProjectRecord,
    RegisterItem,
    RegistrySnapshot,
    SqlStore,
    open_store,
)
from flowctl.state import _wire as w
from flowctl.state._execution_records import NewExecution
from flowctl.state._executions import open_execution_store
from flowctl.state.testing import task_spec

sys.path.insert(0, str(Path(__file__).parents[2] / "integration" / "engine"))
from engine_support import flows, local_context, register, run_until_done

DOMAIN, VERSION, LP, SCHEDULED = "development", "v1", "flows.chain", "hourly"


@task
def shout(text: str) -> str:
    return text.upper()


@workflow
def gated() -> str:
    return shout(text=wait_for_input("word", timeout=timedelta(hours=1), expected_type=str))


GATED = next(iter(compile_entity(gated).launch_plans))  # waits for `word`: each signal case launches one
ACTORS = {
    **{f"{role}-pa": Actor(f"token:{role}-pa", "token", "10.0.0.1", (Binding(f"token:{role}-pa", role, "pa"),))
       for role in ("viewer", "operator", "deployer")},
    "admin-all": Actor("token:admin-all", "token", "10.0.0.2", (Binding("token:admin-all", "admin"),)),
}


@dataclass
class Served:
    client: httpx.Client
    direct: SqlStore
    ids: dict[str, str]  # project -> the id of its finished execution run-<project>
    queued: dict[str, str]  # project -> the id of its queued execution (one to abort)
    attempts: dict[str, str]  # project -> "node/attempt" of its finished execution's first attempt (it has a deck)
    url: str

    def gated(self, project: str) -> str:
        """A fresh execution of ``gated`` in ``project``: its gate `word` takes one value."""
        from flowctl.engine import launch

        store = open_execution_store(self.url)
        try:
            return launch(store, project, DOMAIN, GATED, {}, name=f"gated-{time.monotonic_ns()}").id
        finally:
            store.close()

    def as_(self, actor: str) -> dict[str, str]:
        return {"X-Test-Actor": actor}

    def call(self, actor: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return self.client.request(method, "/api/v1/store" + path, headers=self.as_(actor), **kwargs)

    def lock(self, actor: str = "admin-all") -> str:
        """A registry lock taken by ``actor`` (the only identity that may then use it)."""
        response = self.call(actor, "POST", "/locks", json={"operation": "apply", "holder": "tests"})
        assert response.status_code == 201, response.text
        return str(response.json()["lock"]["id"])

    def release(self, lock_id: str) -> None:
        self.direct.break_lock(lock_id)

    def transact(self, actor: str, body: dict[str, Any]) -> httpx.Response:
        """A transaction sent under ``actor``'s own registry lock (a registry write without one: 409)."""
        lock_id = self.lock(actor)
        try:
            return self.call(actor, "POST", "/transactions", json={**body, "lock_id": lock_id})
        finally:
            self.release(lock_id)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    from flowctl.engine import launch

    tmp = tmp_path_factory.mktemp("store-scopes")
    url = f"sqlite:///{tmp / 'r.db'}"
    ids, queued, attempts = {}, {}, {}
    for project in ("pa", "pb"):
        register(url, [flows.chain, flows.hourly, gated], bundle_uri=None, project=project, domain=DOMAIN,
                 activate=[LP, SCHEDULED, GATED])
    ctx = local_context(url, str(tmp / "b"), tmp)
    try:
        for project in ("pa", "pb"):
            ids[project] = launch(ctx.store, project, DOMAIN, LP, {"a": 1, "b": 2}, name=f"run-{project}").id
            run_until_done(ctx, ids[project])  # succeeded or failed: it has nodes and attempts
            node, tries = sorted(ctx.store.load_attempts(ids[project]).items())[0]
            attempts[project] = f"{node}/{tries[0].attempt}"
            assert tries[0].outputs_uri
            blobs.write_bytes(deck_uri(tries[0].outputs_uri), f"<p>the deck of {project}</p>".encode())
        for project in ("pa", "pb"):  # after: a controller would run them
            queued[project] = launch(ctx.store, project, DOMAIN, LP, {"a": 1, "b": 2}, name=f"queued-{project}").id
    finally:
        ctx.store.close()
    direct = open_store(url)
    for project in ("pa", "pb"):
        direct.record_approval(ApprovalRecord(project, "production", DOMAIN, "flows.chain", VERSION, "tests",
                                              datetime.now(UTC)))
    config = Config(flags={"registry.url": url, "blob_store.url": str(tmp / "b")}, cwd=tmp)
    app = create_app(Services.open(config))
    app.state.authenticator.identify = lambda request: _actor(request)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
        yield Served(client, direct, ids, queued, attempts, url)
    server.should_exit = True
    thread.join(timeout=30)
    direct.close()


def _actor(request: Request) -> Actor:
    return ACTORS[request.headers["X-Test-Actor"]]


def register_body(*places: tuple[str, str], name: str = "t") -> dict[str, Any]:
    spec = task_spec(name)
    items = [RegisterItem(EntityKind.TASK, p, d, name, "v-scoped", spec, digest_of(spec)) for p, d in places]
    return w.dump(w.TransactionRequest(ops=[w.RegisterMany(items=items, managed_by="tests", created_by="x")]))


def new_execution_body(project: str) -> dict[str, Any]:
    new = NewExecution(project, DOMAIN, f"made-{time.monotonic_ns()}", LP, VERSION, "flows.chain", VERSION,
                       {"a": 1, "b": 2})
    return w.dump(w.CreateExecutionRequest(new=new))


BUNDLE = b"a bundle's bytes"
WINDOW = {"start": "2026-01-01T00:30:00Z", "end": "2026-01-01T03:30:00Z"}  # three due times of `hourly`
PD = f"/projects/{{p}}/domains/{DOMAIN}"


@dataclass(frozen=True)
class Case:
    """One store route: how to call it at target project ``p``, and what its rule is judged by.

    ``kind``: ``place`` (the action at the target), ``anywhere`` (the action somewhere: listings,
    the lock), ``global`` (a binding on every project), ``by_id`` (an execution by id: out of scope it
    answers as a missing one, ``hidden``)."""

    operation: str
    method: str
    path: str
    kind: str
    body: Callable[[str], dict[str, Any]] | None = None
    params: Callable[[str], dict[str, str]] | None = None
    hidden: Callable[[Any], bool] | None = None  # the answer of a missing (hidden) execution
    under_lock: bool = False  # the body carries the caller's own lock (``lock_id``): a registry write


CASES = [
    Case("store.snapshot", "GET", "/snapshot", "anywhere"),
    Case("store.entities", "GET", "/entities", "place", params=lambda p: {"project": p}),
    Case("store.entity", "GET", PD + "/entities/launch_plan/flows.chain/v1", "place"),
    Case("store.history", "GET", "/applies", "anywhere"),
    Case("store.executions", "GET", "/executions", "place", params=lambda p: {"project": p}),
    Case("store.info", "GET", "/info", "anywhere"),
    Case("store.transaction", "POST", "/transactions", "place", body=lambda p: register_body((p, DOMAIN)),
         under_lock=True),
    Case("store.lock", "POST", "/locks", "anywhere", body=lambda p: {"operation": "apply", "holder": "x"}),
    Case("store.lock_heartbeat", "POST", "/locks/{lock}/heartbeat", "anywhere"),
    Case("store.unlock", "DELETE", "/locks/{lock}", "anywhere"),
    Case("store.locks", "GET", "/locks", "anywhere"),
    Case("store.break_lock", "POST", "/locks/{lock}/break", "global"),
    Case("store.bundle_put", "PUT", "/bundles/" + hashlib.sha256(BUNDLE).hexdigest(), "anywhere"),
    Case("store.approve", "POST", "/approvals", "place", body=lambda p: w.dump(w.ApprovalRequest(record=ApprovalRecord(
        p, "production", DOMAIN, "flows.chain", "v2", "x", datetime.now(UTC))))),
    Case("store.spec", "GET", PD + "/specs/launch_plan/flows.chain/v1", "place"),
    Case("store.version", "GET", PD + "/versions/launch_plan/flows.chain", "place", params=lambda p: {"active": "true"}),
    Case("store.fires", "GET", PD + "/fires/flows.chain", "place"),
    Case("store.execution_create", "POST", "/execution-records", "place", body=new_execution_body),
    Case("store.execution_list", "GET", "/execution-records", "place", params=lambda p: {"project": p}),
    Case("store.execution_find", "GET", "/execution-records/find", "place",
         params=lambda p: {"ref": f"{p}/{DOMAIN}/run-{p}"}),
    Case("store.execution_read", "GET", "/execution-records/{id}", "by_id", hidden=lambda doc: doc["execution"] is None),
    Case("store.execution_nodes", "GET", "/execution-records/{id}/nodes", "by_id", hidden=lambda doc: doc["nodes"] == {}),
    Case("store.execution_attempts", "GET", "/execution-records/{id}/attempts", "by_id",
         hidden=lambda doc: doc["attempts"] == {}),
    Case("store.attempt_log", "GET", "/execution-records/{id}/attempts/{attempt}/log", "by_id"),
    Case("store.execution_abort", "POST", "/execution-records/{queued}/abort", "by_id",
         hidden=lambda doc: doc["done"] is False),
    Case("store.signal", "POST", PD + "/execution-records/{gated}/signals/word", "place",
         body=lambda p: w.dump(w.SignalRequest(text=f"hello {p}", actor="x"))),
    Case("store.decks", "GET", "/execution-records/{id}/decks", "by_id", hidden=lambda doc: doc["decks"] == {}),
    Case("store.deck", "GET", "/execution-records/{id}/decks/{node}", "by_id"),
    Case("store.backfill", "POST", PD + f"/backfills/{SCHEDULED}", "place", body=lambda p: WINDOW),
    Case("store.backfill_preview", "GET", PD + f"/backfills/{SCHEDULED}", "place", params=lambda p: WINDOW),
]


def test_the_table_covers_every_store_route() -> None:
    from flowctl.server import route_operations

    ops = {op for router in (store_router, locks_router, execution_router)
           for found in route_operations(router.routes).values() for op in found}
    assert ops == {c.operation for c in CASES}


def expected(case: Case, actor: str, target: str) -> str:
    """``ok``, ``403`` or ``hidden``, from the operation's action in RULES and the case's kind."""
    action = RULES[case.operation].action
    role = ACTORS[actor].bindings[0].role
    if actor == "admin-all":
        return "ok"
    if case.kind == "global":
        return "403"
    if case.kind == "anywhere" or not allows(role, action):  # the action nowhere: 403 before anything is read
        return "ok" if allows(role, action) else "403"
    if case.kind == "by_id" and target == "pb":
        return "hidden"
    return "ok" if target == "pa" and allows(role, action) else "403"


def outcome(served: Served, case: Case, actor: str, target: str) -> str:
    # the caller's own lock (another identity's is refused: test_lock_ownership.py); a viewer cannot take one
    owner = actor if allows(ACTORS[actor].bindings[0].role, "deploy") else "admin-all"
    lock = served.lock(owner) if "{lock}" in case.path or case.under_lock else None
    path = case.path.replace("{p}", target).replace("{id}", served.ids[target]).replace(
        "{queued}", served.queued[target]).replace("{attempt}", served.attempts[target]).replace("{lock}", lock or "")
    path = path.replace("{node}", served.attempts[target].split("/")[0])
    if "{gated}" in path:
        path = path.replace("{gated}", served.gated(target))
    kwargs: dict[str, Any] = {"params": case.params(target) if case.params else None}
    if case.body is not None:
        kwargs["json"] = {**case.body(target), "lock_id": lock} if case.under_lock else case.body(target)
    if case.operation == "store.bundle_put":
        kwargs["content"] = BUNDLE
    try:
        response = served.call(actor, case.method, path, **kwargs)
    finally:
        if lock is not None:
            served.release(lock)
    if response.status_code == 404 and case.operation in ("store.attempt_log", "store.deck"):
        return "hidden"  # a missing attempt (report) is a 404; one the caller cannot see too
    if response.status_code == 403:
        assert response.json()["code"] == "USER:PermissionDenied", response.text
        return "403"
    assert response.status_code in (200, 201), (response.status_code, response.text)
    if case.operation == "store.lock":
        served.release(response.json()["lock"]["id"])
    return "hidden" if case.hidden is not None and case.hidden(response.json()) else "ok"


@pytest.mark.parametrize("case", CASES, ids=[c.operation for c in CASES])
def test_matrix(served: Served, case: Case) -> None:
    problems = []
    for actor in ACTORS:
        for target in ("pa", "pb"):
            got, want = outcome(served, case, actor, target), expected(case, actor, target)
            if got != want:
                problems.append(f"{actor} -> {target}: {got}, expected {want}")
    assert problems == [], f"{case.operation} ({RULES[case.operation]}):\n" + "\n".join(problems)


def test_a_denial_names_the_place_and_the_binding_to_add(served: Served) -> None:
    response = served.transact("deployer-pa", register_body(("pb", DOMAIN)))
    assert response.status_code == 403
    doc = response.json()
    assert doc["title"] == "token:deployer-pa may not deploy on pb/development"
    assert "flowctl role bind token:deployer-pa --role deployer --project pb --domain development" in doc["fix"]


def test_a_transaction_touching_another_project_is_refused_whole(served: Served) -> None:
    before = served.direct.snapshot().serial
    body = register_body(("pa", DOMAIN), ("pb", DOMAIN), name="mixed")
    response = served.transact("deployer-pa", body)
    assert response.status_code == 403 and "pb/development" in response.json()["title"]
    assert served.direct.snapshot().serial == before
    for project in ("pa", "pb"):
        assert served.direct.get_entity(EntityKind.TASK, project, DOMAIN, "mixed", "v-scoped") is None
    # the same, as separate operations of one transaction (a project upsert of pb after pa's registration)
    mixed = w.TransactionRequest(ops=[*w.TransactionRequest.model_validate(register_body(("pa", DOMAIN),
                                                                                        name="mixed")).ops,
                                      w.ArchiveProject(name="pb")])
    response = served.transact("deployer-pa", w.dump(mixed))
    assert response.status_code == 403 and response.json()["title"] == "token:deployer-pa may not deploy on pb"
    assert served.direct.get_entity(EntityKind.TASK, "pa", DOMAIN, "mixed", "v-scoped") is None
    assert "pb" in served.direct.snapshot().projects


def apply_record(*addresses: str) -> w.RecordApply:
    plan = {"changes": [{"address": a, "action": "register"} for a in addresses]}
    return w.RecordApply(record=ApplyRecord(serial=0, lineage="", applied_at=datetime.now(UTC), user="x", host="h",
                                            ci_run_url=None, operation="apply", plan=plan, desired_state={},
                                            summary="1 to register"))


def test_an_apply_record_needs_deploy_wherever_its_plan_changes_something(served: Served) -> None:
    before = served.direct.snapshot().serial
    for record in (apply_record("pa/development/task/t@v1", "pb/development/task/t@v1"), apply_record()):
        response = served.transact("deployer-pa", w.dump(w.TransactionRequest(ops=[record])))
        assert response.status_code == 403, response.text
    assert served.direct.snapshot().serial == before
    ok = served.transact("deployer-pa", w.dump(w.TransactionRequest(ops=[apply_record("pa/development/task/t@v1")])))
    assert ok.status_code == 200, ok.text
    # the pa token's history shows its own applies only; the admin's every one
    mine = served.call("viewer-pa", "GET", "/applies").json()["items"]
    assert mine and all(c["address"].startswith("pa/") for r in mine for c in r["plan"]["changes"])
    served.transact("admin-all", w.dump(w.TransactionRequest(ops=[apply_record("pb/development/task/t@v1")])))
    assert len(served.call("admin-all", "GET", "/applies").json()["items"]) == len(mine) + 1
    assert len(served.call("viewer-pa", "GET", "/applies").json()["items"]) == len(mine)


def test_the_snapshot_and_listings_of_a_pa_token_hold_nothing_of_pb(served: Served) -> None:
    snap = w.SnapshotDoc.model_validate(served.call("viewer-pa", "GET", "/snapshot").json()).to_snapshot()
    assert set(snap.projects) == {"pa"}
    assert {e.project for e in snap.entities.values()} == {"pa"}
    assert {k[0] for k in snap.active_launch_plans} == {"pa"}
    assert {k[0] for k in snap.approvals} == {"pa"}
    assert {k[0] for k in snap.domain_settings} <= {"pa"}
    assert {k[0] for k in snap.succeeded_executions} <= {"pa"}
    full = w.SnapshotDoc.model_validate(served.call("admin-all", "GET", "/snapshot").json()).to_snapshot()
    assert set(full.projects) >= {"pa", "pb"} and full.serial == snap.serial
    listings = {"/entities": "items", "/executions": "items", "/execution-records": "items"}
    for path, key in listings.items():
        projects = {x["project"] for x in served.call("viewer-pa", "GET", path).json()[key]}
        assert projects == {"pa"}, path
        assert {x["project"] for x in served.call("admin-all", "GET", path).json()[key]} >= {"pa", "pb"}, path
    assert served.call("viewer-pa", "GET", "/execution-records/find", params={"ref": "run-pb"}).json()["items"] == []
    assert served.call("viewer-pa", "GET", "/execution-records/find",
                       params={"ref": served.ids["pb"]}).json()["items"] == []
    assert served.call("viewer-pa", "GET", "/info").json()["info"]["counts"] == {}
    assert served.call("admin-all", "GET", "/info").json()["info"]["counts"]["projects"] >= 2


def test_a_domain_token_sees_only_its_domain() -> None:
    from flowctl.server._operations import Call, Scope
    from flowctl.server._permissions import visible_places
    from flowctl.server._store_api import visible_snapshot

    bindings = (Binding("token:prod", "deployer", "pa", "production"),)
    call = Call(Actor("token:prod", "token", "", bindings), Scope(), visible_places(bindings), "store.snapshot")
    snap = open_snapshot()
    seen = visible_snapshot(snap, call)
    assert set(seen.projects) == {"pa"} and seen.entities == {} and set(seen.approvals) == {
        k for k in snap.approvals if k[:2] == ("pa", "production")}


def open_snapshot() -> RegistrySnapshot:
    approvals = {(p, d, "wf", "v1"): (ApprovalRecord(p, d, "staging", "wf", "v1", "x", datetime.now(UTC)),)
                 for p in ("pa", "pb") for d in ("production", "staging")}
    projects = {p: ProjectRecord(ProjectSpec(name=p), "active", "tests") for p in ("pa", "pb")}
    return RegistrySnapshot("l", 3, projects=projects, approvals=approvals)


def test_a_plan_with_a_pa_token_proposes_nothing_for_pb(served: Served) -> None:
    """A manifest of pa (registered, as pb, by manifest ``tests``) planned against the pa token's snapshot:
    every change is pa's; pb's activation by the same manifest is not proposed for deactivation."""
    from flowctl.plans import compute_plan
    from flowctl.spec import DesiredState

    doc = served.call("deployer-pa", "GET", "/snapshot").json()
    snap = w.SnapshotDoc.model_validate(doc).to_snapshot()
    desired = DesiredState(manifest_id="tests", projects=(ProjectSpec(name="pa"), ProjectSpec(name="pb")))
    plan = compute_plan(desired, snap, now=datetime.now(UTC))
    addresses = [c.address for c in plan.visible_changes]
    assert any(a.startswith("pa/") for a in addresses), addresses  # pa's launch plan: deactivated
    # pb is not in the snapshot: declaring it would register it, and the apply is refused (403)
    assert [a for a in addresses if not a.startswith("pa/")] == ["pb"]
    body = w.TransactionRequest(ops=[w.UpsertProject(spec=ProjectSpec(name="pb"), managed_by="tests")])
    refused = served.transact("deployer-pa", w.dump(body))
    assert refused.status_code == 403 and refused.json()["title"] == "token:deployer-pa may not deploy on pb"
    only_pa = compute_plan(DesiredState(manifest_id="tests", projects=(ProjectSpec(name="pa"),)), snap,
                           now=datetime.now(UTC))
    assert all(c.address.startswith("pa/") for c in only_pa.visible_changes)


def test_a_project_binding_and_a_domain_binding_list_each_execution_once(served: Served) -> None:
    from flowctl.server._operations import Call, Scope
    from flowctl.server._permissions import visible_places
    from flowctl.server._store_api import _places

    bindings = (Binding("token:x", "viewer", "pa"), Binding("token:x", "deployer", "pa", "production"))
    call = Call(Actor("token:x", "token", "", bindings), Scope(), visible_places(bindings), "store.executions")
    assert _places(call) == [("pa", None)]
    assert _places(dataclasses.replace(call, scope=Scope("pa", DOMAIN))) == [("pa", DOMAIN)]
    assert _places(dataclasses.replace(call, scope=Scope("pb"))) == []


def test_a_refresh_only_record_needs_deploy_on_its_manifests_projects(served: Served) -> None:
    record = apply_record().record
    for projects, status in ((["pa"], 200), (["pa", "pb"], 403)):
        refreshed = dataclasses.replace(record, operation="refresh-only",
                                        desired_state={"projects": [{"name": p} for p in projects]})
        body = w.TransactionRequest(ops=[w.RecordApply(record=refreshed)])
        response = served.transact("deployer-pa", w.dump(body))
        assert response.status_code == status, response.text


def test_the_write_needs_deploy_somewhere_first(served: Served) -> None:
    response = served.call("viewer-pa", "POST", "/locks", json={"operation": "apply", "holder": "x"})
    assert response.status_code == 403
    assert response.json()["title"] == "token:viewer-pa may not deploy on any project"
    assert "flowctl role bind token:viewer-pa --role deployer --project PROJECT" in response.json()["fix"]


def test_the_execution_operations_read_and_change_only_the_tokens_project(served: Served) -> None:
    """What the matrix's answers hold: pa's report and none of pb's; a gate's value or a backfill from an
    operator of pa reach pa only; a viewer may look (reports, the backfill's preview) but not act."""
    node = served.attempts["pa"].split("/")[0]
    decks = served.call("viewer-pa", "GET", f"/execution-records/{served.ids['pa']}/decks").json()["decks"]
    assert list(decks) == [node]
    html = served.call("viewer-pa", "GET", f"/execution-records/{served.ids['pa']}/decks/{node}").json()["html"]
    assert "the deck of pa" in html
    assert served.call("viewer-pa", "GET", f"/execution-records/{served.ids['pb']}/decks").json()["decks"] == {}
    assert served.call("viewer-pa", "GET", f"/execution-records/{served.ids['pb']}/decks/{node}").status_code == 404

    signals = open_execution_store(served.url)
    try:
        for actor, project, status in (("viewer-pa", "pa", 403), ("operator-pa", "pb", 403), ("operator-pa", "pa", 200)):
            execution = served.gated(project)
            response = served.call(actor, "POST", f"/projects/{project}/domains/{DOMAIN}/execution-records/"
                                   f"{execution}/signals/word", json=w.dump(w.SignalRequest(text="yes")))
            assert response.status_code == status, response.text
            given = signals.signals(execution)
            assert ({k: v.value for k, v in given.items()} == {"word": "yes"}) if status == 200 else given == {}
    finally:
        signals.close()

    preview = served.call("viewer-pa", "GET", f"/projects/pa/domains/{DOMAIN}/backfills/{SCHEDULED}", params=WINDOW)
    assert len(preview.json()["items"]) == 3 and {i["project"] for i in preview.json()["items"]} == {"pa"}
    for actor, project in (("viewer-pa", "pa"), ("viewer-pa", "pb"), ("operator-pa", "pb")):
        refused = served.call(actor, "POST", f"/projects/{project}/domains/{DOMAIN}/backfills/{SCHEDULED}",
                              json={"start": "2025-06-01T00:30:00Z", "end": "2025-06-01T01:30:00Z"})
        assert refused.status_code == 403 and refused.json()["code"] == "USER:PermissionDenied", refused.text
    assert served.call("viewer-pa", "GET", f"/projects/pb/domains/{DOMAIN}/backfills/{SCHEDULED}",
                       params=WINDOW).status_code == 403
    fired = served.call("operator-pa", "POST", f"/projects/pa/domains/{DOMAIN}/backfills/{SCHEDULED}",
                        json={"start": "2025-06-01T00:30:00Z", "end": "2025-06-01T01:30:00Z"}).json()["items"]
    assert [(i["project"], i["created"]) for i in fired] == [("pa", True)]
    names = {x["name"] for x in served.call("admin-all", "GET", "/execution-records",
                                            params={"project": "pb"}).json()["items"]}
    assert fired[0]["execution_name"] not in names
