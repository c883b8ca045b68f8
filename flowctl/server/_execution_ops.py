"""The execution commands that need more than the execution records, for the CLI through the server:
``flowctl executions signal|approve`` (a gate's value), ``executions show --deck`` (task reports) and
``flowctl backfill`` (a schedule's past due times).

Each route runs, on the server's own stores, the engine function the local CLI runs on the registry
database (``engine._gates.send_signal``, ``engine._decks``, ``engine.backfill``), so a value is parsed
against its gate and a due time fires once exactly as locally. Access rules are in
``_permissions.RULES``: giving a gate its value and backfilling need ``operate`` at the execution's
(the launch plan's) project and domain, reading reports ``read``; the writes are audited. An
execution the caller cannot see answers as a missing one.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Query

from flowctl._errors import NotFoundError
from flowctl.server._operations import Call, Invocation, Scope, invoke, operation
from flowctl.server._store_api import XR, json_response, visible_execution, who_of
from flowctl.state import _wire as w
from flowctl.state._execution_records import ExecutionRecord

if TYPE_CHECKING:
    from flowctl.engine import EngineContext
    from flowctl.server._services import Services

router = APIRouter(prefix="/api/v1/store", tags=["store"])
READ, OPERATE = {"x-flowctl-action": "read"}, {"x-flowctl-action": "operate"}
PD = "/projects/{project}/domains/{domain}"


def _execution_at(services: Services, call: Call, execution_id: str) -> ExecutionRecord:
    """The execution ``execution_id`` in the route's project/domain; NotFound also when the caller cannot see it."""
    found = visible_execution(services, call, execution_id)
    if found is None or (found.project, found.domain) != (call.scope.project, call.scope.domain):
        raise NotFoundError(f"No execution `{execution_id}` in {call.scope}",
                            detail="List the executions with `flowctl executions list`.")
    return found


# ---------------------------------------------------------------- operations
@operation("store.signal", write=True)
def _signal(services: Services, call: Call, *, execution_id: str, name: str, body: w.SignalRequest) -> w.SignalDoc:
    """Give an execution's gate its value (``flowctl executions signal|approve``)."""
    from flowctl.engine._gates import send_signal

    execution = _execution_at(services, call, execution_id)
    record = send_signal(services.executions, services.specs, execution, name, body.text,
                         actor=who_of(call, body.actor), approve=body.approve)
    return w.SignalDoc(name=record.name, value=record.value, created_at=record.created_at,
                       created_by=record.created_by)


@operation("store.decks")
def _decks(services: Services, call: Call, *, execution_id: str) -> w.DecksDoc:
    """Which nodes of an execution wrote a report, and where (none when the caller cannot see it)."""
    from flowctl.engine._decks import find_decks

    if visible_execution(services, call, execution_id) is None:
        return w.DecksDoc(decks={})
    return w.DecksDoc(decks=find_decks(services.executions, execution_id))


@operation("store.deck")
def _deck(services: Services, call: Call, *, execution_id: str, node_id: str) -> w.DeckDoc:
    """One node's report, as HTML."""
    from flowctl.engine._decks import find_decks, read_deck

    execution = visible_execution(services, call, execution_id)
    if execution is None:
        raise NotFoundError(f"No execution `{execution_id}`", detail="List them with `flowctl executions list`.")
    return w.DeckDoc(html=read_deck(find_decks(services.executions, execution_id), node_id, execution.name))


def _context(services: Services) -> EngineContext:
    from flowctl._blobstore import BlobStore
    from flowctl.engine import EngineContext

    return EngineContext(services.executions, services.provider(None), BlobStore(services.config.blob_store_url))


def _fired(fires: list[Any]) -> w.BackfillDoc:
    return w.BackfillDoc(items=[w.FiredTime(project=f.project, domain=f.domain, launch_plan=f.launch_plan,
                                            fire_time=f.fire_time, execution_name=f.execution_name,
                                            created=f.created) for f in fires])


@operation("store.backfill", write=True)
def _backfill(services: Services, call: Call, *, launch_plan: str, version: str | None,
              body: w.BackfillRequest) -> w.BackfillDoc:
    """Fire a schedule's due times in a past window that have not fired yet (``flowctl backfill``)."""
    from flowctl.engine import backfill

    assert call.scope.project and call.scope.domain
    return _fired(backfill(_context(services), call.scope.project, call.scope.domain, launch_plan, body.start,
                           body.end, version=version))


@operation("store.backfill_preview")
def _backfill_preview(services: Services, call: Call, *, launch_plan: str, version: str | None, start: datetime,
                      end: datetime) -> w.BackfillDoc:
    """The due times a backfill would fire, and which fired already (``flowctl backfill --dry-run``)."""
    from flowctl.engine import backfill

    assert call.scope.project and call.scope.domain
    return _fired(backfill(_context(services), call.scope.project, call.scope.domain, launch_plan, start, end,
                           version=version, dry_run=True))


# ---------------------------------------------------------------- routes
@router.post(PD + XR + "/{execution_id}/signals/{name}", response_model=w.SignalDoc, openapi_extra=OPERATE)
def signal(project: str, domain: str, execution_id: str, name: str, body: w.SignalRequest,
           run: Invocation = invoke("store.signal")) -> Any:
    return json_response(run(Scope(project, domain), execution_id=execution_id, name=name, body=body))


@router.get(XR + "/{execution_id}/decks", response_model=w.DecksDoc, openapi_extra=READ)
def decks(execution_id: str, run: Invocation = invoke("store.decks")) -> Any:
    return json_response(run(Scope(), execution_id=execution_id))


@router.get(XR + "/{execution_id}/decks/{node_id}", response_model=w.DeckDoc, openapi_extra=READ)
def deck(execution_id: str, node_id: str, run: Invocation = invoke("store.deck")) -> Any:
    return json_response(run(Scope(), execution_id=execution_id, node_id=node_id))


@router.post(PD + "/backfills/{launch_plan}", response_model=w.BackfillDoc, openapi_extra=OPERATE)
def backfill_(project: str, domain: str, launch_plan: str, body: w.BackfillRequest,
              run: Invocation = invoke("store.backfill")) -> Any:
    return json_response(run(Scope(project, domain), launch_plan=launch_plan, version=body.version, body=body))


@router.get(PD + "/backfills/{launch_plan}", response_model=w.BackfillDoc, openapi_extra=READ)
def backfill_preview(project: str, domain: str, launch_plan: str, start: datetime, end: datetime,
                     version: Annotated[str | None, Query()] = None,
                     run: Invocation = invoke("store.backfill_preview")) -> Any:
    return json_response(run(Scope(project, domain), launch_plan=launch_plan, version=version, start=start, end=end))
