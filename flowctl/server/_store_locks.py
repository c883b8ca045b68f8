"""The registry lock over HTTP, ``/api/v1/store/locks``: what ``flowctl apply|promote`` through the server
take, heartbeat and release (``RemoteStore.lock``), and ``flowctl lock list|break``.

The server holds the database's own lock for the client (a :class:`~flowctl.server._leases.Lease`).
A lock belongs to the identity that took it: only that identity may heartbeat it, release it or send
transactions under it (``_store_api._transaction``); any other gets 403 naming the holder, even with
deploy on every project. ``store.break_lock`` (admin on every project) ends anyone's lock. The holder
recorded is the caller's identity, with its bindings when they do not span every project, so an
apply the lock blocks shows who holds the whole registry and where they may deploy. Audit rows of
these operations record ``lock <id>``; a heartbeat (every TTL/3 seconds while a client holds the lock)
adds none.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import APIRouter

from flowctl.server._operations import Call, Invocation, Scope, invoke, operation
from flowctl.server._store_api import ADMIN, DEPLOY, READ, json_response, who_of
from flowctl.state import LockInfo
from flowctl.state import _wire as w

if TYPE_CHECKING:
    from flowctl.server._services import Services

router = APIRouter(prefix="/api/v1/store", tags=["store"])


def lock_audit(scope: Scope, params: dict[str, Any], result: Any) -> str:
    """``lock <id>``: the registry lock a lock operation took, kept, released or broke."""
    lock_id = params.get("lock_id") or (result.lock.id if isinstance(result, w.LockDoc) else "")
    return f"lock {lock_id}"


@operation("store.lock", write=True, audit=lock_audit)
def _lock(services: Services, call: Call, *, body: w.LockRequest) -> w.LockDoc:
    """Take the registry lock for the caller (waits up to ``timeout`` seconds)."""
    info = LockInfo(body.operation, lock_holder(call, body.holder), body.info)
    record = services.leases.acquire(info, owner=call.actor.name, timeout=body.timeout, ttl=body.ttl)
    return w.LockDoc.model_construct(lock=record)


def lock_holder(call: Call, given: str) -> str:
    """The lock's holder (``who_of``), with the caller's bindings when they do not span every project:
    an apply the lock blocks then shows who holds it and where they may deploy, ``token:ci-a@10.0.0.1
    (deployer on pa)``: a project-scoped token holding the whole registry, which an admin may break."""
    who = who_of(call, given)
    if call.actor.kind == "local" or call.visible is None:
        return who
    return f"{who} ({', '.join(f'{b.role} on {b.scope}' for b in call.actor.bindings)})"


@operation("store.lock_heartbeat", write=True, audited=False)  # every TTL/3 s: taking and releasing are the rows
def _heartbeat(services: Services, call: Call, *, lock_id: str) -> w.DoneDoc:
    """Keep the caller's registry lock (409 when it was lost; 403 when another identity took it)."""
    services.leases.heartbeat(lock_id, call.actor.name)
    return w.DoneDoc(done=True)


@operation("store.unlock", write=True, audit=lock_audit)
def _unlock(services: Services, call: Call, *, lock_id: str) -> w.DoneDoc:
    """Release the caller's registry lock (409 when it was lost meanwhile; 403 when another identity took it)."""
    services.leases.release(lock_id, call.actor.name)
    return w.DoneDoc(done=True)


@operation("store.locks")
def _locks(services: Services, call: Call) -> w.LocksDoc:
    """The registry locks held now."""
    return w.LocksDoc.model_construct(items=list(services.registry.list_locks()))


@operation("store.break_lock", write=True, audit=lock_audit)
def _break(services: Services, call: Call, *, lock_id: str) -> w.DoneDoc:
    """Break a registry lock (``flowctl lock break``)."""
    return w.DoneDoc(done=services.registry.break_lock(lock_id))


@router.post("/locks", response_model=w.LockDoc, status_code=201, openapi_extra=DEPLOY)
def lock(body: w.LockRequest, run: Invocation = invoke("store.lock")) -> Any:
    return json_response(run(Scope(), body=body), status=201)


@router.post("/locks/{lock_id}/heartbeat", response_model=w.DoneDoc, openapi_extra=DEPLOY)
def heartbeat(lock_id: str, run: Invocation = invoke("store.lock_heartbeat")) -> Any:
    return json_response(run(Scope(), lock_id=lock_id))


@router.delete("/locks/{lock_id}", response_model=w.DoneDoc, openapi_extra=DEPLOY)
def unlock(lock_id: str, run: Invocation = invoke("store.unlock")) -> Any:
    return json_response(run(Scope(), lock_id=lock_id))


@router.get("/locks", response_model=w.LocksDoc, openapi_extra=READ)
def locks(run: Invocation = invoke("store.locks")) -> Any:
    return json_response(run(Scope()))


@router.post("/locks/{lock_id}/break", response_model=w.DoneDoc, openapi_extra=ADMIN)
def break_lock(lock_id: str, run: Invocation = invoke("store.break_lock")) -> Any:
    return json_response(run(Scope(), lock_id=lock_id))
