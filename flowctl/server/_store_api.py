"""The store API, ``/api/v1/store``: the registry's store interface over HTTP, for the remote store.

``flowctl plan|apply|promote|drift|get`` with ``FLOWCTL_SERVER`` set use
:class:`flowctl.client.RemoteStore`, which calls these routes; each is one method of the store
protocols (``state/_interface``), answered by the server's own SQL store. A write transaction is one
request (every operation, executed in one database transaction: all or nothing); the registry lock
is held by the server for the client (``_leases``). Each route names its access-control action in
``openapi_extra["x-flowctl-action"]`` (read, deploy, admin) and goes through one named operation.

Access control (rules in ``_permissions.RULES``; docs/security.md): reads are listings, allowed with
read access anywhere and filtered to the places the caller sees (``Call.sees``): the snapshot holds
only their projects, settings, entities, activations, promotion counts and approvals, so a plan made
with a project-scoped token neither sees nor proposes anything of another project. Writes check every
place they touch before anything is written (``Call.require``): each operation of a transaction needs
deploy at its own project/domain, and an apply record deploy wherever its plan changes something; one
operation out of scope refuses the whole transaction (403, nothing written). An execution read or
aborted by id that the caller cannot see answers as a missing one does (null, empty, false): its
existence does not leak.

Who is recorded: with an authenticated caller (``Actor.kind`` other than ``local``) the caller's
label replaces the ``created_by``/``activated_by``/``user``/``approved_by``/``holder`` the client
sent; a local caller is trusted as a direct database user is. The registry lock's routes are in
``_store_locks``; a transaction under a lock (``lock_id``) runs only for the identity that took it, and a
transaction that writes anything must carry one (409 otherwise, ``unlocked_write``). Lock-free writes are
the ones outside the registry's desired state: execution records (launches, aborts, controllers), bundles
(content-addressed blobs) and promotion approvals (votes that a promotion re-reads under its lock).
The audit row of a transaction records the addresses it wrote (``transaction_audit``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections import Counter
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel

from flowctl._address import EntityKind
from flowctl._errors import InputError, LockError
from flowctl.server._operations import Call, Invocation, Scope, invoke, operation
from flowctl.state import (
    ApplyRecord,
    RegisterResult,
    RegistrySnapshot,
    RegistryTransaction,
    SqlStore,
)
from flowctl.state import _wire as w
from flowctl.state._execution_records import ExecutionRecord

if TYPE_CHECKING:
    from flowctl.server._services import Services

router = APIRouter(prefix="/api/v1/store", tags=["store"])
READ, DEPLOY, ADMIN = ({"x-flowctl-action": a} for a in ("read", "deploy", "admin"))


def who_of(call: Call, given: str) -> str:
    return given if call.actor.kind == "local" else call.actor.label


def _kind(kind: str) -> EntityKind:
    try:
        return EntityKind(kind)
    except ValueError:
        raise InputError(f"Unknown entity kind `{kind[:80]}`",
                         detail=f"Use one of: {', '.join(k.value for k in EntityKind)}.") from None


# ---------------------------------------------------------------- operations
@operation("store.snapshot")
def _snapshot(services: Services, call: Call) -> w.SnapshotDoc:
    """The registry snapshot plan and drift compare with (the parts the caller sees)."""
    return w.SnapshotDoc.of(visible_snapshot(services.registry.snapshot(), call))


def visible_snapshot(snap: RegistrySnapshot, call: Call) -> RegistrySnapshot:
    """``snap`` with only the places ``call`` sees: what plan compares a project-scoped token's manifests with."""
    if call.visible is None:
        return snap
    sees = call.sees
    return dataclasses.replace(
        snap,
        projects={k: r for k, r in snap.projects.items() if sees(k)},
        domain_settings={k: v for k, v in snap.domain_settings.items() if sees(*k)},
        entities={k: e for k, e in snap.entities.items() if sees(e.project, e.domain)},
        active_launch_plans={k: a for k, a in snap.active_launch_plans.items() if sees(a.project, a.domain)},
        succeeded_executions={k: n for k, n in snap.succeeded_executions.items() if sees(k[0], k[1])},
        approvals={k: a for k, a in snap.approvals.items() if sees(k[0], k[1])},
    )


def _places(call: Call) -> list[tuple[str | None, str | None]]:
    """The (project, domain) queries a listing runs: the route's scope, or each visible place inside it."""
    project, domain = call.scope.project, call.scope.domain
    if call.visible is None:
        return [(project, domain)]
    whole = {p for p, d in call.visible if d is None}  # a project binding covers its domain bindings
    return [(p, domain or d) for p, d in call.visible if (d is None or p not in whole)
            and project in (None, p) and (domain is None or d is None or d == domain)]


@operation("store.entities")
def _entities(services: Services, call: Call, *, kind: str | None, name: str | None,
              version: str | None) -> w.EntitiesDoc:
    """Registered versions matching the filters."""
    found = services.registry.list_entities(_kind(kind) if kind else None, call.scope.project,
                                            call.scope.domain, name, version)
    return w.EntitiesDoc.model_construct(items=[e for e in found if call.sees(e.project, e.domain)])


@operation("store.entity")
def _entity(services: Services, call: Call, *, kind: str, name: str, version: str) -> w.EntityDoc:
    """One registered version, or null."""
    found = services.registry.get_entity(_kind(kind), call.scope.project or "", call.scope.domain or "",
                                         name, version)
    return w.EntityDoc.model_construct(entity=found)


@operation("store.history")
def _history(services: Services, call: Call, *, limit: int) -> w.HistoryDoc:
    """The apply history, newest first: for a caller reading only some projects, the applies whose plan
    changed those places only (``plan_places``: an apply that also changed another project is left out)."""
    history = services.registry.apply_history(limit=limit)
    if call.visible is None:
        return w.HistoryDoc.model_construct(items=list(history))
    shown = [r for r in history if (places := plan_places(r)) and all(call.sees(p, d) for p, d in places)]
    return w.HistoryDoc.model_construct(items=shown)


def plan_places(record: ApplyRecord) -> set[tuple[str, str | None]]:
    """The (project, domain) an apply record's plan changes (domain None: the project itself).

    Change addresses begin ``project`` (a project) or ``project/domain/...``. A plan without changes
    (``--refresh-only``) counts the projects of its desired state, each as a whole; empty: neither."""
    places: set[tuple[str, str | None]] = set()
    for change in record.plan.get("changes") or ():
        parts = str(change.get("address", "") if isinstance(change, dict) else "").split("/")
        if parts[0]:
            places.add((parts[0], parts[1] if len(parts) > 1 else None))
    if not places:
        for project in (record.desired_state or {}).get("projects") or ():
            if isinstance(project, dict) and project.get("name"):
                places.add((str(project["name"]), None))
    return places


@operation("store.executions")
def _executions(services: Services, call: Call, *, name: str | None, limit: int) -> w.ExecutionSummariesDoc:
    """Execution summaries, newest first (``flowctl get executions``)."""
    found = [x for p, d in _places(call) for x in services.registry.list_executions(p, d, name, limit=limit)]
    found.sort(key=lambda x: (x.created_at, x.id), reverse=True)
    return w.ExecutionSummariesDoc.model_construct(items=found[:limit])


@operation("store.info")
def _info(services: Services, call: Call) -> w.InfoDoc:
    """Where the registry is, its schema, serial and counts (``flowctl registry info``); the counts, which
    span every project, only for a caller reading every project."""
    info = services.registry.info()
    if call.visible is not None:
        info = dataclasses.replace(info, counts={})
    return w.InfoDoc.model_construct(info=info)


AUDIT_ADDRESSES = 20  # past this, a transaction's audit row counts its writes per project/domain


def transaction_audit(scope: Scope, params: dict[str, Any], result: Any) -> str:
    """The audit address of a transaction: the addresses it wrote (past ``AUDIT_ADDRESSES``, how many
    in each project/domain); a transaction recording only an apply: the places its plan changed."""
    body: w.TransactionRequest = params["body"]
    written = list(dict.fromkeys(body.addresses()))
    if not written:
        return ", ".join("/".join(p for p in place if p) or "*" for place in transaction_places(body)) or str(scope)
    if len(written) <= AUDIT_ADDRESSES:
        return ", ".join(written)
    counts = Counter("/".join(a.split("/")[:2]) for a in written)
    return ", ".join(f"{place} ({n} writes)" for place, n in sorted(counts.items()))


@operation("store.transaction", write=True, audit=transaction_audit)
def _transaction(services: Services, call: Call, *, body: w.TransactionRequest) -> w.TransactionResult:
    """Run a registry write transaction: every operation, or none."""
    for project, domain in transaction_places(body):  # every check before anything is written
        call.require(project, domain)
    if body.lock_id is None:
        if body.ops:
            raise unlocked_write(body)
        return _run(services.registry, body, call)  # writes nothing: the serial, as a read
    with services.leases.store_of(body.lock_id, call.actor.name) as store:
        return _run(store, body, call)


def unlocked_write(body: w.TransactionRequest) -> LockError:
    """The 409 for a registry transaction sent without the registry lock: every operation of a transaction
    (registrations, activations, projects, domain settings, apply records) changes the registry's
    state, which, as a Terraform state, is written only by the lock's holder."""
    written = list(dict.fromkeys(body.addresses()))
    where = ", ".join(written[:3]) + (f" and {len(written) - 3} more" if len(written) > 3 else "")
    return LockError(
        "The registry write was refused: it does not hold the registry lock",
        address=where,
        detail="Registrations, activations, projects, domain settings and apply records are written only under "
        "the registry lock, so they never land in the middle of another apply. Take the lock first "
        "(`POST /api/v1/store/locks`), send its id as the transaction's `lock_id`, then release it "
        "(`DELETE /api/v1/store/locks/ID`); flowctl's own commands and `RemoteStore.transaction()` do this.",
    )


def transaction_places(body: w.TransactionRequest) -> list[tuple[str | None, str | None]]:
    """Where a transaction writes, each once, in order: its operations' places, and the places an apply
    record's plan changes (``plan_places``; a record naming no place needs deploy on every project)."""
    places: list[tuple[str | None, str | None]] = list(dict.fromkeys(body.scopes()))
    for op in body.ops:
        if isinstance(op, w.RecordApply):
            found = plan_places(op.record)
            places += sorted(found, key=lambda p: (p[0], p[1] or "")) if found else [(None, None)]
    return list(dict.fromkeys(places))


def _run(store: SqlStore, body: w.TransactionRequest, call: Call) -> w.TransactionResult:
    results: list[list[RegisterResult]] = []
    with store.transaction(expected_serial=body.expected_serial) as tx:
        for op in body.ops:
            results.append(_apply_op(tx, op, call))
    return w.TransactionResult.model_construct(serial=tx.serial, results=results)


def _apply_op(tx: RegistryTransaction, op: Any, call: Call) -> list[RegisterResult]:
    if isinstance(op, w.RegisterMany):
        return tx.register_many(op.items, managed_by=op.managed_by, created_by=who_of(call, op.created_by))
    if isinstance(op, w.UpsertProject):
        tx.upsert_project(op.spec, managed_by=op.managed_by)
    elif isinstance(op, w.ArchiveProject):
        tx.archive_project(op.name)
    elif isinstance(op, w.UpsertDomainSettings):
        tx.upsert_domain_settings(op.spec, managed_by=op.managed_by)
    elif isinstance(op, w.ActivateMany):
        tx.activate_many(op.items, managed_by=op.managed_by, activated_by=who_of(call, op.activated_by))
    elif isinstance(op, w.Deactivate):
        tx.deactivate(op.project, op.domain, op.name)
    elif isinstance(op, w.RecordApply):
        record = op.record
        if call.actor.kind != "local":
            record = dataclasses.replace(record, user=call.actor.label, host=call.actor.address or record.host)
        tx.record_apply(record)
    return []


@operation("store.bundle_put", write=True)
def _bundle(services: Services, call: Call, *, digest: str, data: bytes) -> w.BundleDoc:
    """Store a code bundle (``apply``, ``run --remote`` through the server) under its sha256."""
    from flowctl._bundle import MAX_BUNDLE_BYTES, store_bundle

    if not re.fullmatch(r"[0-9a-f]{64}", digest) or hashlib.sha256(data).hexdigest() != digest:
        raise InputError(f"The bundle's content does not match its digest `{digest[:80]}`",
                         detail="PUT the bundle's bytes to /api/v1/store/bundles/<their sha256, lowercase hex>.")
    if len(data) > MAX_BUNDLE_BYTES:
        raise InputError(f"The bundle is {len(data) // (1024 * 1024)} MiB, more than a bundle may be",
                         detail="Bundles hold sources only. Add data files and build outputs to .gitignore.")
    return w.BundleDoc(uri=store_bundle(data, services.config.blob_store_url))


@operation("store.approve", write=True)
def _approve(services: Services, call: Call, *, body: w.ApprovalRequest) -> w.DoneDoc:
    """Record a promotion approval (``flowctl promote --approve``)."""
    record = body.record  # the route's scope is the record's project and target domain
    if call.actor.kind != "local":
        record = dataclasses.replace(record, approved_by=call.actor.label)
    return w.DoneDoc(done=services.registry.record_approval(record))


# ---------------------------------------------------------------- executions
@operation("store.spec")
def _spec(services: Services, call: Call, *, kind: str, name: str, version: str) -> w.StoredSpecDoc:
    """A registered spec as the engine reads it, or null."""
    found = services.executions.get_spec(kind, call.scope.project or "", call.scope.domain or "", name, version)
    return w.StoredSpecDoc.model_construct(spec=found)


@operation("store.version")
def _version(services: Services, call: Call, *, kind: str, name: str, active: bool) -> w.VersionDoc:
    """The active (launch plans) or newest registered version of an entity, or null."""
    project, domain = call.scope.project or "", call.scope.domain or ""
    found = (services.executions.active_version(project, domain, name) if active
             else services.executions.latest_version(kind, project, domain, name))
    return w.VersionDoc(version=found)


@operation("store.fires")
def _fires(services: Services, call: Call, *, launch_plan: str) -> w.FiresDoc:
    """The recorded fires of a launch plan's schedule, oldest first (``flowctl drift``)."""
    found = services.executions.fires(call.scope.project or "", call.scope.domain or "", launch_plan)
    return w.FiresDoc.model_construct(items=found)


@operation("store.execution_create", write=True)
def _create(services: Services, call: Call, *, body: w.CreateExecutionRequest) -> w.ExecutionDoc:
    """Create an execution; its inputs are checked against the launch plan here too."""
    from flowctl.engine._launch import OVERWRITE_CACHE_LABEL, new_execution, resolve_launch_plan

    new = body.new
    lp = resolve_launch_plan(services.executions, services.specs, new.project, new.domain, new.launch_plan_name,
                             new.launch_plan_version)
    given = {k: v for k, v in new.inputs.items() if k not in lp.spec.fixed_inputs}
    checked = new_execution(lp, given, name=new.name, created_by=who_of(call, new.created_by),
                            overwrite_cache=new.labels.get(OVERWRITE_CACHE_LABEL) == "true")
    created = services.executions.create_execution(checked, recover_from=body.recover_from)
    return w.ExecutionDoc.model_construct(execution=created)


@operation("store.execution_read")
def _execution(services: Services, call: Call, *, execution_id: str) -> w.ExecutionDoc:
    """One execution record by id, or null (also when the caller cannot see it)."""
    return w.ExecutionDoc.model_construct(execution=visible_execution(services, call, execution_id))


def visible_execution(services: Services, call: Call, execution_id: str) -> ExecutionRecord | None:
    """The execution if the caller sees it (None as for a missing one), after checking the operation's action
    at its project/domain (403 naming it: the caller sees it, so that tells nothing new)."""
    found = services.executions.get_execution(execution_id)
    if found is None or not call.sees(found.project, found.domain):
        return None
    call.require(found.project, found.domain)
    return found


@operation("store.execution_find")
def _find(services: Services, call: Call, *, ref: str) -> w.ExecutionsDoc:
    """The executions an id, a name or project/domain/name names (those the caller sees)."""
    found = services.executions.find_executions(ref)
    return w.ExecutionsDoc.model_construct(items=[x for x in found if call.sees(x.project, x.domain)])


@operation("store.execution_list")
def _list(services: Services, call: Call, *, phase: str | None, launch_plan: str | None, limit: int,
          top_level_only: bool) -> w.ExecutionsDoc:
    """Execution records, newest first."""
    found = [x for p, d in _places(call) for x in services.executions.list_executions(
        project=p, domain=d, phase=phase, launch_plan=launch_plan, limit=limit, top_level_only=top_level_only)]
    found.sort(key=lambda x: (x.created_at, x.id), reverse=True)
    return w.ExecutionsDoc.model_construct(items=found[:limit])


@operation("store.execution_nodes")
def _nodes(services: Services, call: Call, *, execution_id: str) -> w.NodesDoc:
    """An execution's node records (none when the caller cannot see it)."""
    if visible_execution(services, call, execution_id) is None:
        return w.NodesDoc.model_construct(nodes={})
    return w.NodesDoc.model_construct(nodes=services.executions.load_nodes(execution_id))


@operation("store.execution_attempts")
def _attempts(services: Services, call: Call, *, execution_id: str) -> w.AttemptsDoc:
    """An execution's attempts by node, oldest first (none when the caller cannot see it)."""
    if visible_execution(services, call, execution_id) is None:
        return w.AttemptsDoc.model_construct(attempts={})
    return w.AttemptsDoc.model_construct(attempts=services.executions.load_attempts(execution_id))


@operation("store.attempt_log")
def _attempt_log(services: Services, call: Call, *, execution_id: str, node_id: str, attempt: int) -> w.LogDoc:
    """One attempt's log (``flowctl executions logs``), from the blob store or live from the provider."""
    from flowctl._errors import NotFoundError
    from flowctl.engine._logs import read_log, recorded_provider

    execution = visible_execution(services, call, execution_id)  # one the caller cannot see: as a missing one
    found = next((a for a in services.executions.load_attempts(execution_id).get(node_id, [])
                  if a.attempt == attempt), None) if execution is not None else None
    if execution is None or found is None:
        raise NotFoundError(f"No attempt {attempt} of node `{node_id}` in execution `{execution_id}`",
                            detail="List the attempts with `flowctl executions get ID`.")
    log = read_log(execution, found, lambda a: services.provider(recorded_provider(a)))
    return w.LogDoc(text=log.text, note=log.note)


@operation("store.execution_abort", write=True)
def _abort(services: Services, call: Call, *, execution_id: str) -> w.DoneDoc:
    """Ask the controller to abort an execution (false: it had finished, or the caller cannot see it)."""
    if visible_execution(services, call, execution_id) is None:
        return w.DoneDoc(done=False)
    return w.DoneDoc(done=services.executions.request_abort(execution_id))


# ---------------------------------------------------------------- routes
def json_response(model: BaseModel, *, status: int = 200) -> Response:
    """Serialized once (a 10,000-entity snapshot would be validated again against ``response_model``)."""
    return Response(model.model_dump_json(), status_code=status, media_type="application/json")


Opt = Annotated[str | None, Query()]
PD = "/projects/{project}/domains/{domain}"


@router.get("/snapshot", response_model=w.SnapshotDoc, openapi_extra=READ)
def snapshot(run: Invocation = invoke("store.snapshot")) -> Any:
    return json_response(run(Scope()))


@router.get("/entities", response_model=w.EntitiesDoc, openapi_extra=READ)
def entities(project: Opt = None, domain: Opt = None, kind: Opt = None, name: Opt = None, version: Opt = None,
             run: Invocation = invoke("store.entities")) -> Any:
    return json_response(run(Scope(project, domain), kind=kind, name=name, version=version))


@router.get(PD + "/entities/{kind}/{name}/{version}", response_model=w.EntityDoc, openapi_extra=READ)
def entity(project: str, domain: str, kind: str, name: str, version: str,
           run: Invocation = invoke("store.entity")) -> Any:
    return json_response(run(Scope(project, domain), kind=kind, name=name, version=version))


@router.get("/applies", response_model=w.HistoryDoc, openapi_extra=READ)
def applies(limit: Annotated[int, Query(ge=1, le=10_000)] = 20, run: Invocation = invoke("store.history")) -> Any:
    return json_response(run(Scope(), limit=limit))


@router.get("/executions", response_model=w.ExecutionSummariesDoc, openapi_extra=READ)
def executions(project: Opt = None, domain: Opt = None, name: Opt = None,
               limit: Annotated[int, Query(ge=1, le=1_000_000)] = 100,
               run: Invocation = invoke("store.executions")) -> Any:
    return json_response(run(Scope(project, domain), name=name, limit=limit))


@router.get("/info", response_model=w.InfoDoc, openapi_extra=READ)
def info(run: Invocation = invoke("store.info")) -> Any:
    return json_response(run(Scope()))


@router.post("/transactions", response_model=w.TransactionResult, openapi_extra=DEPLOY)
def transaction(body: w.TransactionRequest, run: Invocation = invoke("store.transaction")) -> Any:
    """Scope: checked per operation (``transaction_places``); the route itself needs deploy somewhere."""
    return json_response(run(Scope(), body=body))


@router.put("/bundles/{digest}", response_model=w.BundleDoc,
            openapi_extra={**DEPLOY, "requestBody": {"content": {"application/gzip": {"schema": {"type": "string",
                                                                                                 "format": "binary"}}}}})
async def bundle(digest: str, request: Request, run: Invocation = invoke("store.bundle_put")) -> Any:
    data = await request.body()
    from starlette.concurrency import run_in_threadpool

    return json_response(await run_in_threadpool(run, Scope(), digest=digest, data=data))


@router.post("/approvals", response_model=w.DoneDoc, openapi_extra=DEPLOY)
def approve(body: w.ApprovalRequest, run: Invocation = invoke("store.approve")) -> Any:
    record = body.record
    return json_response(run(Scope(record.project, record.domain), body=body))


# ---------------------------------------------------------------- execution routes
OPERATE = {"x-flowctl-action": "operate"}
XR = "/execution-records"


@router.get(PD + "/specs/{kind}/{name}/{version}", response_model=w.StoredSpecDoc, openapi_extra=READ)
def spec(project: str, domain: str, kind: str, name: str, version: str, run: Invocation = invoke("store.spec")) -> Any:
    return json_response(run(Scope(project, domain), kind=kind, name=name, version=version))


@router.get(PD + "/versions/{kind}/{name}", response_model=w.VersionDoc, openapi_extra=READ)
def version(project: str, domain: str, kind: str, name: str, active: bool = False,
            run: Invocation = invoke("store.version")) -> Any:
    return json_response(run(Scope(project, domain), kind=kind, name=name, active=active))


@router.get(PD + "/fires/{launch_plan}", response_model=w.FiresDoc, openapi_extra=READ)
def fires(project: str, domain: str, launch_plan: str, run: Invocation = invoke("store.fires")) -> Any:
    return json_response(run(Scope(project, domain), launch_plan=launch_plan))


@router.post(XR, response_model=w.ExecutionDoc, status_code=201, openapi_extra=OPERATE)
def create_execution(body: w.CreateExecutionRequest, run: Invocation = invoke("store.execution_create")) -> Any:
    return json_response(run(Scope(body.new.project, body.new.domain), body=body), status=201)


@router.get(XR, response_model=w.ExecutionsDoc, openapi_extra=READ)
def list_execution_records(project: Opt = None, domain: Opt = None, phase: Opt = None, launch_plan: Opt = None,
                           limit: Annotated[int, Query(ge=1, le=1_000_000)] = 50, top_level_only: bool = False,
                           run: Invocation = invoke("store.execution_list")) -> Any:
    return json_response(run(Scope(project, domain), phase=phase, launch_plan=launch_plan, limit=limit,
                     top_level_only=top_level_only))


@router.get(XR + "/find", response_model=w.ExecutionsDoc, openapi_extra=READ)
def find_executions(ref: str, run: Invocation = invoke("store.execution_find")) -> Any:
    parts = ref.split("/")
    return json_response(run(Scope(parts[0], parts[1]) if len(parts) == 3 else Scope(), ref=ref))


@router.get(XR + "/{execution_id}", response_model=w.ExecutionDoc, openapi_extra=READ)
def execution_record(execution_id: str, run: Invocation = invoke("store.execution_read")) -> Any:
    return json_response(run(Scope(), execution_id=execution_id))


@router.get(XR + "/{execution_id}/nodes", response_model=w.NodesDoc, openapi_extra=READ)
def execution_nodes(execution_id: str, run: Invocation = invoke("store.execution_nodes")) -> Any:
    return json_response(run(Scope(), execution_id=execution_id))


@router.get(XR + "/{execution_id}/attempts", response_model=w.AttemptsDoc, openapi_extra=READ)
def execution_attempts(execution_id: str, run: Invocation = invoke("store.execution_attempts")) -> Any:
    return json_response(run(Scope(), execution_id=execution_id))


@router.get(XR + "/{execution_id}/attempts/{node_id}/{attempt}/log", response_model=w.LogDoc, openapi_extra=READ)
def attempt_log(execution_id: str, node_id: str, attempt: int, run: Invocation = invoke("store.attempt_log")) -> Any:
    return json_response(run(Scope(), execution_id=execution_id, node_id=node_id, attempt=attempt))


@router.post(XR + "/{execution_id}/abort", response_model=w.DoneDoc, openapi_extra=OPERATE)
def abort_execution(execution_id: str, run: Invocation = invoke("store.execution_abort")) -> Any:
    return json_response(run(Scope(), execution_id=execution_id))
