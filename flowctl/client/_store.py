"""The registry's Store protocols over the server's store API (``/api/v1/store``).

- Reads are one request each (the snapshot is one document).
- A write transaction buffers its operations and sends them in one request when the block ends
  without an error; the server runs them in one database transaction with the expected serial, so
  it commits all or nothing, and a block that raises sends nothing. Registration results are
  filled in then: read them after the block.
- The registry lock is taken by the server for this client and kept while a background thread
  heartbeats it; the transactions of the block carry its id, and the server checks inside each that
  it still holds the lock (a lost lock rolls the transaction back with LockError). The server refuses
  a write without the lock: a transaction outside ``lock`` takes it for its one request.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from flowctl._address import EntityKind
from flowctl._errors import FlowctlError, LockError, StoreError
from flowctl.client._http import ServerClient
from flowctl.spec import DomainSettingsSpec, Json, ProjectSpec
from flowctl.state import _wire as w
from flowctl.state._interface import (
    ActivationRecord,
    ApplyRecord,
    ApprovalRecord,
    ExecutionSummary,
    LockInfo,
    LockRecord,
    ProjectListing,
    RegisterItem,
    RegisterResult,
    RegistryInfo,
    RegistrySnapshot,
    Store,
    StoredEntity,
)


class PendingResult(RegisterResult):
    """A registration's result, known once its transaction has committed on the server."""

    def __init__(self) -> None:  # the dataclass fields are filled in by ``resolve``
        object.__setattr__(self, "_result", None)

    def resolve(self, result: RegisterResult) -> None:
        object.__setattr__(self, "_result", result)

    def _get(self) -> RegisterResult:
        result: RegisterResult | None = self.__dict__["_result"]
        if result is None:
            raise StoreError("A registration through the server is known only after its transaction committed",
                             detail="Read the RegisterResult after the `with store.transaction()` block.")
        return result

    @property  # read-only, as the frozen dataclass field is
    def entity(self) -> StoredEntity:
        return self._get().entity

    @property
    def created(self) -> bool:
        return self._get().created


class RemoteTransaction:
    """The operations of one transaction, in order, sent at the end of the block."""

    def __init__(self) -> None:
        self.ops: list[Any] = []
        self._pending: list[list[PendingResult]] = []
        self.serial: int | None = None  # the registry's serial after the commit

    def _add(self, op: Any, count: int = 0) -> list[PendingResult]:
        pending = [PendingResult() for _ in range(count)]
        self.ops.append(op)
        self._pending.append(pending)
        return pending

    def upsert_project(self, spec: ProjectSpec, *, managed_by: str) -> None:
        self._add(w.UpsertProject(spec=spec, managed_by=managed_by))

    def archive_project(self, name: str) -> None:
        self._add(w.ArchiveProject(name=name))

    def upsert_domain_settings(self, spec: DomainSettingsSpec, *, managed_by: str) -> None:
        self._add(w.UpsertDomainSettings(spec=spec, managed_by=managed_by))

    def register(self, kind: EntityKind, project: str, domain: str, name: str, version: str, spec: dict[str, Json],
                 digest: str, *, managed_by: str, created_by: str, bundle_uri: str | None = None) -> RegisterResult:
        item = RegisterItem(EntityKind(kind), project, domain, name, version, spec, digest, bundle_uri)
        return self.register_many([item], managed_by=managed_by, created_by=created_by)[0]

    def register_many(self, items: Sequence[RegisterItem], *, managed_by: str,
                      created_by: str) -> list[RegisterResult]:
        if not items:
            return []
        op = w.RegisterMany.model_construct(op="register_many", items=list(items), managed_by=managed_by,
                                            created_by=created_by)
        return list(self._add(op, len(items)))

    def activate(self, project: str, domain: str, name: str, version: str, *, managed_by: str,
                 activated_by: str = "") -> None:
        self.activate_many([(project, domain, name, version)], managed_by=managed_by, activated_by=activated_by)

    def activate_many(self, items: Sequence[tuple[str, str, str, str]], *, managed_by: str,
                      activated_by: str = "") -> None:
        if items:
            self._add(w.ActivateMany(items=list(items), managed_by=managed_by, activated_by=activated_by))

    def deactivate(self, project: str, domain: str, name: str) -> None:
        self._add(w.Deactivate(project=project, domain=domain, name=name))

    def record_apply(self, record: ApplyRecord) -> None:
        self._add(w.RecordApply(record=record))

    def resolve(self, result: w.TransactionResult) -> None:
        self.serial = result.serial
        for pending, results in zip(self._pending, result.results, strict=True):
            for slot, got in zip(pending, results, strict=True):
                slot.resolve(got)


class _Heartbeat:
    """POSTs the lock's heartbeat every ``interval`` seconds; ``lost`` once the server says it is gone."""

    def __init__(self, client: ServerClient, lock_id: str, interval: float) -> None:
        self._client, self._path, self._interval = client, f"/store/locks/{lock_id}/heartbeat", interval
        self._stop = threading.Event()
        self.lost = False
        self._thread = threading.Thread(target=self._run, name="flowctl-remote-lock-heartbeat", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self._client.call("POST", self._path)
            except LockError:
                self.lost = True
                return
            except FlowctlError:  # the server is briefly unreachable: try again at the next beat
                continue

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


class RemoteStore:
    """The registry behind the flowctl server at ``url``."""

    def __init__(self, client: ServerClient) -> None:
        self._client = client
        self.url = client.url
        self._held: list[str] = []  # the locks this store holds now: its transactions run under them

    @classmethod
    def connect(cls, url: str, *, token: str | None = None) -> RemoteStore:
        return cls(ServerClient(url, token=token))

    def close(self) -> None:
        self._client.close()

    def __repr__(self) -> str:
        return f"RemoteStore({self.url!r})"

    # ------------------------------------------------------------ reader
    def snapshot(self) -> RegistrySnapshot:
        return w.SnapshotDoc.model_validate(self._client.call("GET", "/store/snapshot")).to_snapshot()

    def get_entity(self, kind: EntityKind, project: str, domain: str, name: str, version: str) -> StoredEntity | None:
        path = f"/store/projects/{project}/domains/{domain}/entities/{EntityKind(kind).value}/{name}/{version}"
        return w.EntityDoc.model_validate(self._client.call("GET", path)).entity

    def list_entities(self, kind: EntityKind | None = None, project: str | None = None, domain: str | None = None,
                      name: str | None = None, version: str | None = None) -> Sequence[StoredEntity]:
        params = {"kind": EntityKind(kind).value if kind is not None else None, "project": project,
                  "domain": domain, "name": name, "version": version}
        return w.EntitiesDoc.model_validate(self._client.call("GET", "/store/entities", params=params)).items

    def last_apply(self) -> ApplyRecord | None:
        history = self.apply_history(limit=1)
        return history[0] if history else None

    def apply_history(self, limit: int = 20) -> Sequence[ApplyRecord]:
        return w.HistoryDoc.model_validate(self._client.call("GET", "/store/applies", params={"limit": limit})).items

    def list_projects(self) -> Sequence[ProjectListing]:
        """From the snapshot (one request): the listing of ``flowctl get projects``."""
        snapshot = self.snapshot()
        return [
            ProjectListing(name, record.state, record.managed_by, record.spec.to_json(), {
                domain: settings.to_json() for (p, domain), settings in snapshot.domain_settings.items() if p == name
            })
            for name, record in sorted(snapshot.projects.items())
        ]

    def active_launch_plans(self) -> Sequence[ActivationRecord]:
        return list(self.snapshot().active_launch_plans.values())

    def list_executions(self, project: str | None = None, domain: str | None = None, name: str | None = None, *,
                        limit: int = 100) -> Sequence[ExecutionSummary]:
        params = {"project": project, "domain": domain, "name": name, "limit": limit}
        doc = self._client.call("GET", "/store/executions", params=params)
        return w.ExecutionSummariesDoc.model_validate(doc).items

    def info(self) -> RegistryInfo:
        return w.InfoDoc.model_validate(self._client.call("GET", "/store/info")).info

    # ------------------------------------------------------------ writer
    @contextmanager
    def transaction(self, *, expected_serial: int | None = None) -> Iterator[RemoteTransaction]:
        """Sent at the end of the block, under the lock this store holds; holding none, under the lock taken
        for this one request (at once, or LockError naming the holder): the server writes the registry
        only for the lock's holder, as Terraform locks its state for every write."""
        tx = RemoteTransaction()
        yield tx
        if self._held or not tx.ops:
            tx.resolve(self._send(expected_serial, self._held[-1] if self._held else None, tx))
            return
        from flowctl.state._actor import lock_info

        with self.lock(lock_info("write", f"{len(tx.ops)} operations"), timeout=0) as record:
            tx.resolve(self._send(expected_serial, record.id, tx))

    def _send(self, expected_serial: int | None, lock_id: str | None, tx: RemoteTransaction) -> w.TransactionResult:
        body = w.TransactionRequest.model_construct(expected_serial=expected_serial, lock_id=lock_id, ops=tx.ops)
        return w.TransactionResult.model_validate(self._client.call("POST", "/store/transactions", json=w.dump(body)))

    def upload_bundle(self, data: bytes) -> str:
        """Store a code bundle in the server's blob store (``apply``, ``run --remote``); its URI."""
        digest = hashlib.sha256(data).hexdigest()
        answer = self._client.call("PUT", f"/store/bundles/{digest}", content=data, timeout=600)
        return w.BundleDoc.model_validate(answer).uri

    def record_approval(self, record: ApprovalRecord) -> bool:
        body = w.dump(w.ApprovalRequest(record=record))
        return w.DoneDoc.model_validate(self._client.call("POST", "/store/approvals", json=body)).done

    # ------------------------------------------------------------ locker
    @contextmanager
    def lock(self, info: LockInfo, *, timeout: float = 0.0, ttl: int | None = None) -> Iterator[LockRecord]:
        body = w.dump(w.LockRequest(operation=info.operation, holder=info.holder, info=info.info, timeout=timeout,
                                    ttl=ttl))
        answer = self._client.call("POST", "/store/locks", json=body, timeout=timeout + 60)
        record = w.LockDoc.model_validate(answer).lock
        heartbeat = _Heartbeat(self._client, record.id, record.ttl_seconds / 3)
        self._held.append(record.id)
        failed = False
        try:
            yield record
        except BaseException:
            failed = True
            raise
        finally:
            self._held.remove(record.id)
            heartbeat.stop()
            try:
                self._client.call("DELETE", f"/store/locks/{record.id}")
            except FlowctlError:
                if not failed:  # the block's own error wins over a lost lock
                    raise

    def list_locks(self) -> Sequence[LockRecord]:
        return w.LocksDoc.model_validate(self._client.call("GET", "/store/locks")).items

    def break_lock(self, lock_id: str) -> bool:
        return w.DoneDoc.model_validate(self._client.call("POST", f"/store/locks/{lock_id}/break")).done


def _conforms(store: RemoteStore) -> Store:
    """mypy checks here that RemoteStore implements the Store protocol."""
    return store
