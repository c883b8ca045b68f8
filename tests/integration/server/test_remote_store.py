"""The registry contract suite on the remote store: the store API of a real `flowctl server` process.

The same checks as tests/integration/state/test_contract.py (SQLite and PostgreSQL behind the
server), plus what only the remote path has: a transaction is one request (all or nothing), the
lock the server holds for a client is the database's lock, and errors keep their class and text.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from server_support import ServerProcess

from flowctl._address import EntityKind
from flowctl._errors import InputError, LockError, NotFoundError, StoreError
from flowctl.client import RemoteExecutions, RemoteStore, ServerClient
from flowctl.spec import ProjectSpec, digest_of
from flowctl.state import LockInfo, RegisterItem, open_store
from flowctl.state import _wire as w
from flowctl.state._execution_records import NewExecution
from flowctl.state._open import create_registry
from flowctl.state.testing import CONTRACT_CHECKS, task_spec


@pytest.fixture(scope="module")
def server(module_registry_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    tmp = tmp_path_factory.mktemp("remote-store")
    create_registry(module_registry_url)
    process = ServerProcess(tmp, module_registry_url, str(tmp / "blobs"), controller=False)
    yield process
    process.stop()


@pytest.fixture
def remote(server: ServerProcess) -> Iterator[RemoteStore]:
    store = RemoteStore.connect(server.url)
    yield store
    store.close()


@pytest.mark.parametrize("check", sorted(CONTRACT_CHECKS))
def test_contract(remote: RemoteStore, check: str) -> None:
    CONTRACT_CHECKS[check](remote)


def test_a_transaction_is_one_request_and_all_or_nothing(remote: RemoteStore, server: ServerProcess) -> None:
    spec = task_spec("t")
    before = remote.snapshot().serial
    with pytest.raises(StoreError, match="not registered"), remote.transaction() as tx:
        tx.upsert_project(ProjectSpec(name="atomic"), managed_by="t")
        first = tx.register(EntityKind.TASK, "atomic", "development", "t", "v1", spec, digest_of(spec),
                            managed_by="t", created_by="t")
        with pytest.raises(StoreError, match="only after its transaction committed"):
            _ = first.created
        tx.activate("atomic", "development", "missing", "v1", managed_by="t")  # fails on the server
    snap = remote.snapshot()
    assert snap.serial == before and "atomic" not in snap.projects
    assert remote.get_entity(EntityKind.TASK, "atomic", "development", "t", "v1") is None


def test_lock_held_through_the_server_is_the_database_lock(remote: RemoteStore, module_registry_url: str) -> None:
    direct = open_store(module_registry_url, create=False)
    try:
        with remote.lock(LockInfo("apply", "ci@runner:1", "plan.out")) as held:
            assert [lock.id for lock in direct.list_locks()] == [held.id]
            with (pytest.raises(LockError, match="locked by ci@runner:1 for `apply`"),
                  direct.lock(LockInfo("apply", "alice@laptop:2"), timeout=0)):
                pass
        with (direct.lock(LockInfo("apply", "alice@laptop:2"), timeout=0),
              pytest.raises(LockError, match="locked by alice@laptop:2"),
              remote.lock(LockInfo("apply", "ci@runner:1"), timeout=0)):
            pass
    finally:
        direct.close()


def test_a_registry_write_without_the_lock_is_refused(server: ServerProcess, module_registry_url: str) -> None:
    """A raw transaction without ``lock_id`` is refused (409, nothing written); one with no operation
    writes nothing and is answered."""
    spec = task_spec("nolock")
    item = RegisterItem(EntityKind.TASK, "unlocked", "development", "nolock", "v1", spec, digest_of(spec))
    body = w.dump(w.TransactionRequest(ops=[w.UpsertProject(spec=ProjectSpec(name="unlocked"), managed_by="t"),
                                            w.RegisterMany(items=[item], managed_by="t", created_by="t")]))
    client = ServerClient(server.url)
    direct = open_store(module_registry_url, create=False)
    try:
        with pytest.raises(LockError, match="does not hold the registry lock") as refused:
            client.call("POST", "/store/transactions", json=body)
        assert "unlocked/development/task/nolock@v1" in str(refused.value)
        assert "POST /api/v1/store/locks" in str(refused.value)
        assert direct.get_entity(EntityKind.TASK, "unlocked", "development", "nolock", "v1") is None
        assert "unlocked" not in direct.snapshot().projects
        assert client.call("POST", "/store/transactions", json={"ops": []})["results"] == []
    finally:
        client.close()
        direct.close()


def test_a_transaction_outside_a_lock_takes_it_or_names_the_holder(remote: RemoteStore,
                                                                   module_registry_url: str) -> None:
    spec = task_spec("own")
    direct = open_store(module_registry_url, create=False)
    try:
        with (direct.lock(LockInfo("apply", "alice@laptop:2")), pytest.raises(LockError, match="locked by alice"),
              remote.transaction() as tx):
            tx.upsert_project(ProjectSpec(name="owned"), managed_by="t")
            tx.register(EntityKind.TASK, "owned", "development", "own", "v1", spec, digest_of(spec),
                        managed_by="t", created_by="t")
        assert direct.get_entity(EntityKind.TASK, "owned", "development", "own", "v1") is None
        with remote.transaction() as tx:
            tx.upsert_project(ProjectSpec(name="owned"), managed_by="t")
            registered = tx.register(EntityKind.TASK, "owned", "development", "own", "v1", spec, digest_of(spec),
                                     managed_by="t", created_by="t")
        assert registered.created and direct.list_locks() == []
    finally:
        direct.close()


def test_a_broken_lock_rolls_the_next_transaction_back(remote: RemoteStore, module_registry_url: str) -> None:
    spec = task_spec("late")
    direct = open_store(module_registry_url, create=False)
    try:
        with (pytest.raises(LockError, match=r"was lost while the operation ran"),
              remote.lock(LockInfo("apply", "ci@runner:1")) as held):
            assert direct.break_lock(held.id)
            with remote.transaction() as tx:
                tx.register(EntityKind.TASK, "broken", "development", "late", "v1", spec, digest_of(spec),
                            managed_by="t", created_by="t")
        assert direct.get_entity(EntityKind.TASK, "broken", "development", "late", "v1") is None
        assert direct.list_locks() == []
    finally:
        direct.close()


def test_a_lock_ttl_above_the_servers_cap_is_refused(server: ServerProcess, module_registry_url: str) -> None:
    """A holder that dies keeps the registry for its TTL: a client may ask for at most ``locks.max_ttl`` (300 s)."""
    client = ServerClient(server.url)
    direct = open_store(module_registry_url, create=False)
    try:
        with pytest.raises(InputError, match=r"A registry lock TTL of 3600s is more than this server allows \(300s\)") \
                as refused:
            client.call("POST", "/store/locks", json={"operation": "apply", "holder": "ci", "ttl": 3600})
        assert "FLOWCTL_MAX_LOCK_TTL" in str(refused.value) and direct.list_locks() == []
        taken = client.call("POST", "/store/locks", json={"operation": "apply", "holder": "ci", "ttl": 300})
        assert [lock.ttl_seconds for lock in direct.list_locks()] == [300]
        client.call("DELETE", f"/store/locks/{taken['lock']['id']}")
    finally:
        client.close()
        direct.close()


def test_a_client_that_stops_heartbeating_loses_the_lock(server: ServerProcess, module_registry_url: str) -> None:
    answer = server.post("/api/v1/store/locks", {"operation": "apply", "holder": "gone", "ttl": 1})
    lock_id = answer["lock"]["id"]
    direct = open_store(module_registry_url, create=False)
    try:
        deadline = time.monotonic() + 10
        while direct.list_locks() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert direct.list_locks() == [], "the server lets go of a lock its client stopped heartbeating"
        with pytest.raises(LockError, match=f"{lock_id} is not held"):
            server_client = ServerClient(server.url)
            try:
                server_client.call("POST", f"/store/locks/{lock_id}/heartbeat")
            finally:
                server_client.close()
    finally:
        direct.close()


def test_an_unreachable_server_is_one_clear_error() -> None:
    store = RemoteStore.connect("http://127.0.0.1:9")  # discard port: nothing listens
    try:
        with pytest.raises(StoreError, match=r"Cannot reach the flowctl server at http://127.0.0.1:9") as info:
            store.snapshot()
        assert "FLOWCTL_SERVER" in str(info.value)
    finally:
        store.close()


def test_code_bundles_go_to_the_servers_blob_store(remote: RemoteStore, server: ServerProcess) -> None:
    import gzip
    import hashlib

    data = gzip.compress(b"bundle bytes")
    uri = remote.upload_bundle(data)
    assert uri.endswith(f"/bundles/{hashlib.sha256(data).hexdigest()}.tar.gz") and uri.startswith(server.blobs)
    assert remote.upload_bundle(data) == uri, "content-addressed: the same bundle, the same URI"
    with pytest.raises(InputError, match="does not match its digest"):
        remote._client.call("PUT", f"/store/bundles/{'0' * 64}", content=data)


def test_a_missing_execution_is_a_clear_error(server: ServerProcess) -> None:
    executions = RemoteExecutions.connect(server.url)
    try:
        assert executions.get_execution("nope") is None and executions.find_executions("nope") == []
        with pytest.raises(NotFoundError, match="No attempt 0 of node `n0` in execution `nope`"):
            executions.attempt_log("nope", "n0", 0)
        with pytest.raises(InputError, match="Launch plan `missing` has no version `v1` in p/development"):
            executions.create_execution(NewExecution("p", "development", "x1", "missing", "v1", "missing", "v1", {}))
    finally:
        executions.close()
