"""Apply a plan: handlers registered per action, two transactions, one history entry.

Under the registry lock (``lock_timeout``), after the stale check and a fresh check of every
promotion gate the plan relies on (an unmet gate refuses the apply before anything is written):

* phase 1 registers every immutable version and new project in one transaction (idempotent: an
  identical version already there is a no-op);
* phase 2 flips activations (schedules), project attributes and domain settings in one
  transaction, together with the history entry.

A crash between the phases leaves extra versions registered and nothing else changed; the next
plan shows only the remaining work. Handlers get the change and a transaction, never a plan.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from flowctl._address import Address, EntityKind
from flowctl._errors import ApplyError, Diagnostic, FlowctlError
from flowctl.plans._gates import recheck_gates
from flowctl.plans._model import Action, Change, ObjectType, Plan
from flowctl.plans._planfile import check_fresh
from flowctl.plans._render_json import render_plan_json
from flowctl.spec import DomainSettingsSpec, ProjectSpec
from flowctl.state._interface import (
    ApplyRecord,
    Locker,
    LockInfo,
    RegisterItem,
    RegistryReader,
    RegistryTransaction,
    RegistryWriter,
)


class ApplyStore(RegistryReader, RegistryWriter, Locker, Protocol):
    """What apply needs of a store."""


@dataclass
class ApplyContext:
    tx: RegistryTransaction
    managed_by: str
    created_by: str
    bundle_uri: str | None


Handler = Callable[[ApplyContext, Change], None]
_HANDLERS: dict[tuple[Action, ObjectType], Handler] = {}


def handles(action: Action, *object_types: ObjectType) -> Callable[[Handler], Handler]:
    """Register ``fn`` as the implementation of ``action`` for these object types (all when none)."""

    def decorate(fn: Handler) -> Handler:
        for object_type in object_types or tuple(ObjectType):
            _HANDLERS[(action, object_type)] = fn
        return fn

    return decorate


def _parts(change: Change) -> Address:
    return Address.parse(change.address)


@handles(Action.REGISTER, ObjectType.TASK, ObjectType.WORKFLOW, ObjectType.LAUNCH_PLAN)
def apply_register(ctx: ApplyContext, change: Change) -> None:
    address, after = _parts(change), change.after or {}
    ctx.tx.register(
        EntityKind(change.object_type.value), address.project, address.domain or "", address.name or "",
        address.version or "", after["spec"], after["digest"], managed_by=ctx.managed_by,
        created_by=ctx.created_by, bundle_uri=after.get("bundle_uri") or ctx.bundle_uri)


@handles(Action.REGISTER, ObjectType.PROJECT)
@handles(Action.CHANGE, ObjectType.PROJECT)
def apply_project(ctx: ApplyContext, change: Change) -> None:
    ctx.tx.upsert_project(ProjectSpec.model_validate(change.after), managed_by=ctx.managed_by)


@handles(Action.REGISTER, ObjectType.DOMAIN_SETTINGS)
@handles(Action.CHANGE, ObjectType.DOMAIN_SETTINGS)
def apply_settings(ctx: ApplyContext, change: Change) -> None:
    ctx.tx.upsert_domain_settings(DomainSettingsSpec.model_validate(change.after), managed_by=ctx.managed_by)


@handles(Action.SUPERSEDE, ObjectType.ACTIVATION)
@handles(Action.CHANGE, ObjectType.ACTIVATION)
def apply_activate(ctx: ApplyContext, change: Change) -> None:
    address = _parts(change)
    version = str((change.after or {})["active_version"])
    ctx.tx.activate(address.project, address.domain or "", address.name or "", version, managed_by=ctx.managed_by,
                    activated_by=ctx.created_by)


@handles(Action.DEACTIVATE, ObjectType.ACTIVATION)
def apply_deactivate(ctx: ApplyContext, change: Change) -> None:
    address = _parts(change)
    ctx.tx.deactivate(address.project, address.domain or "", address.name or "")


def phase_of(change: Change) -> int:
    """1: immutable registrations (and new projects they live in); 2: mutable pointers and settings."""
    if change.action is Action.REGISTER and change.object_type is not ObjectType.DOMAIN_SETTINGS:
        return 1
    return 2


@dataclass(frozen=True)
class ApplyIdentity:
    user: str
    host: str
    holder: str  # user@host:pid, for the lock
    ci_run_url: str | None = None


@dataclass
class ApplyResult:
    done: list[Change] = field(default_factory=list)

    def summary(self) -> str:
        counts = {"register": 0, "change": 0, "deactivate": 0}
        for change in self.done:
            key = "change" if change.action is Action.SUPERSEDE else change.action.value
            counts[key] += 1
        return (f"Apply complete! {counts['register']} registered, {counts['change']} changed, "
                f"{counts['deactivate']} deactivated.")


Event = Callable[[dict[str, Any]], None]


def apply_plan(
    plan: Plan,
    store: ApplyStore,
    *,
    identity: ApplyIdentity,
    now: datetime,
    lock_timeout: float = 0.0,
    bundle: Callable[[], str | None] = lambda: None,
    operation: str = "apply",
    on_event: Event = lambda event: None,
    locked: bool = False,
) -> ApplyResult:
    """Apply every visible change of ``plan``; raise ApplyError saying what was done on failure.

    ``locked``: the caller already holds the registry lock (taken before it planned)."""
    result = ApplyResult()
    changes = plan.visible_changes
    if not changes:
        return result
    info = f"{plan.summary()} (manifest {plan.manifest_id})"
    lock: contextlib.AbstractContextManager[object] = (contextlib.nullcontext() if locked else
            store.lock(LockInfo(operation=operation, holder=identity.holder, info=info), timeout=lock_timeout))
    with lock:
        snapshot = store.snapshot()
        check_fresh(plan, snapshot, store.apply_history(limit=20))
        recheck_gates(plan, snapshot, now)
        phase1 = [c for c in changes if phase_of(c) == 1]
        phase2 = [c for c in changes if phase_of(c) == 2]
        needs_bundle = any(c.object_type.is_entity and not (c.after or {}).get("bundle_uri") for c in phase1)
        ctx_args = {"managed_by": plan.manifest_id, "created_by": identity.user,
                    "bundle_uri": bundle() if needs_bundle else None}
        record = _history_record(plan, identity, now, operation)
        if phase1:
            _run_phase(1, phase1, store, ctx_args, plan.base_serial, record if not phase2 else None, result, on_event)
        if phase2:
            _run_phase(2, phase2, store, ctx_args, None, record, result, on_event)
    return result


def _run_phase(number: int, changes: list[Change], store: ApplyStore, ctx_args: dict[str, Any],
               expected_serial: int | None, record: ApplyRecord | None, result: ApplyResult, on_event: Event) -> None:
    on_event({"type": "apply_phase_start", "phase": number, "changes": len(changes)})
    current: Change | None = None
    try:
        with store.transaction(expected_serial=expected_serial) as tx:
            ctx = ApplyContext(tx=tx, **ctx_args)
            for batch in _batches(changes):
                current = batch[0]
                if len(batch) > 1:
                    current = _run_batch(ctx, batch)
                else:
                    _HANDLERS[(current.action, current.object_type)](ctx, current)
                for done in batch:
                    on_event({"type": "apply_progress", "phase": number, "address": done.address,
                              "action": done.action.value})
            if record is not None:
                tx.record_apply(record)
            _pause_before_commit(number)
    except _InBatch as failed:
        raise _failure(number, failed.change, failed.error.diagnostics, result) from failed.error
    except FlowctlError as error:
        raise _failure(number, current, error.diagnostics, result) from error
    except Exception as error:  # a database or driver error: report it as an apply failure
        raise _failure(number, current, [Diagnostic(f"{type(error).__name__}: {error}")], result) from error
    result.done += changes
    on_event({"type": "apply_phase_complete", "phase": number, "changes": len(changes)})


PAUSE_BEFORE_COMMIT_ENV = "FLOWCTL_TEST_PAUSE_BEFORE_COMMIT"


def _pause_before_commit(phase: int) -> None:
    """Fault injection for crash tests: ``FLOWCTL_TEST_PAUSE_BEFORE_COMMIT=PHASE:SECONDS`` holds that
    phase's transaction open (after its progress events) so a test can kill -9 the apply inside it."""
    setting = os.environ.get(PAUSE_BEFORE_COMMIT_ENV, "")
    target, _, seconds = setting.partition(":")
    if target == str(phase) and seconds:
        time.sleep(float(seconds))


# Changes the default handlers can apply in bulk (one batched statement instead of one per change).
_BULK = {(Action.REGISTER, ObjectType.TASK): "register", (Action.REGISTER, ObjectType.WORKFLOW): "register",
         (Action.REGISTER, ObjectType.LAUNCH_PLAN): "register", (Action.SUPERSEDE, ObjectType.ACTIVATION): "activate",
         (Action.CHANGE, ObjectType.ACTIVATION): "activate"}
_DEFAULT_HANDLER = {"register": apply_register, "activate": apply_activate}


def _bulk_kind(change: Change) -> str | None:
    kind = _BULK.get((change.action, change.object_type))
    if kind is None or _HANDLERS.get((change.action, change.object_type)) is not _DEFAULT_HANDLER[kind]:
        return None  # a replaced handler runs change by change
    return kind


def _batches(changes: list[Change]) -> list[list[Change]]:
    """Runs of consecutive changes of one bulk kind, and every other change on its own (order kept)."""
    batches: list[list[Change]] = []
    last: str | None = None
    for change in changes:
        kind = _bulk_kind(change)
        if kind is not None and kind == last:
            batches[-1].append(change)
        else:
            batches.append([change])
        last = kind
    return batches


def _run_batch(ctx: ApplyContext, batch: list[Change]) -> Change:
    """Apply a run of registrations or activations in bulk; on failure, the change that failed is current."""
    try:
        if _bulk_kind(batch[0]) == "register":
            items = []
            for change in batch:
                address, after = _parts(change), change.after or {}
                items.append(RegisterItem(EntityKind(change.object_type.value), address.project, address.domain or "",
                                          address.name or "", address.version or "", after["spec"], after["digest"],
                                          after.get("bundle_uri") or ctx.bundle_uri))
            ctx.tx.register_many(items, managed_by=ctx.managed_by, created_by=ctx.created_by)
        else:
            activations = []
            for change in batch:
                address = _parts(change)
                activations.append((address.project, address.domain or "", address.name or "",
                                    str((change.after or {})["active_version"])))
            ctx.tx.activate_many(activations, managed_by=ctx.managed_by, activated_by=ctx.created_by)
    except FlowctlError as error:
        failed = {d.address for d in error.diagnostics if d.address}
        culprit = next((c for c in batch if c.address in failed), None)
        if culprit is None:
            raise
        raise _InBatch(culprit, error) from error
    return batch[-1]


class _InBatch(Exception):
    """A bulk write failed at ``change``."""

    def __init__(self, change: Change, error: FlowctlError) -> None:
        super().__init__(str(error))
        self.change, self.error = change, error


def _failure(number: int, current: Change | None, cause: list[Diagnostic], result: ApplyResult) -> ApplyError:
    done = ("Phase 1 (registering immutable versions) was committed: "
            f"{len(result.done)} change(s) are in the registry. " if result.done else "Nothing was written. ")
    what = "registering versions" if number == 1 else "activating launch plans and updating settings"
    detail = (f"{done}Phase {number} ({what}) was rolled back"
              + (f" at {current.address}" if current else "") + ". Fix the cause and run `flowctl apply` again: "
              "it converges from here (re-registering identical versions is a no-op).")
    return ApplyError(diagnostics=[Diagnostic(f"Apply failed in phase {number}", detail,
                                              address=current.address if current else ""), *cause])


def _history_record(plan: Plan, identity: ApplyIdentity, now: datetime, operation: str) -> ApplyRecord:
    document = render_plan_json(plan)
    return ApplyRecord(serial=plan.base_serial + 1, lineage=plan.lineage, applied_at=now, user=identity.user,
                       host=identity.host, ci_run_url=identity.ci_run_url, operation=operation, plan=document,
                       desired_state=plan.desired_state, summary=plan.summary())
