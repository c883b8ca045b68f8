"""The controller loop: claim executions, run passes over them, fire schedules, send notifications.

Several controllers can share one registry: each claims executions with a lease it renews every
step; a controller that dies (kill -9) loses its claims when the lease runs out and another (or its
own restart) takes the executions over from their rows, and its recovery sweep cleans up the
attempts a killed controller ended but did not clean up (engine/_cleanup.py). ``stop()`` (SIGTERM)
finishes the current step and releases the claims, so a successor does not wait for the lease.
Running attempts are left running: their handles are in the attempt rows and the next owner adopts them.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from flowctl.engine._cleanup import CleanupSweep, record_cleanups
from flowctl.engine._clock import Clock, SystemClock
from flowctl.engine._context import EngineContext
from flowctl.engine._notify import Notifier
from flowctl.engine._pass import ExecutionPass
from flowctl.engine._scheduler import Scheduler
from flowctl.engine._wakeup import Wakeup
from flowctl.state._executions import AttemptRecord, ExecutionRecord, NodeRecord

log = logging.getLogger("flowctl.controller")
READ_BATCH = 50  # executions whose rows one read of a step loads together
PassState = tuple[ExecutionRecord | None, dict[str, NodeRecord], dict[str, list[AttemptRecord]]]


@dataclass
class StepReport:
    executions: int = 0
    finished: int = 0
    fires: int = 0
    notifications: int = 0
    cleaned: int = 0  # attempts the recovery sweep cleaned up
    progress: bool = False


class Controller:
    def __init__(self, ctx: EngineContext, *, clock: Clock | None = None, schedules: bool = True,
                 notifications: bool = True) -> None:
        self.ctx = ctx
        self.clock = clock or SystemClock()
        self.scheduler = Scheduler(ctx) if schedules else None
        self.notifier = Notifier(ctx) if notifications else None
        self.sweep = CleanupSweep(ctx)
        self.held: set[str] = set()
        self._stop = threading.Event()
        self.wakeup = Wakeup()  # set by registry notifications and provider callbacks; ends the poll sleep

    def stop(self) -> None:
        self._stop.set()
        self.wakeup.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def step(self) -> StepReport:
        """One round: schedules, every claimed execution (repeated while it progresses), the record of
        the step's cleanups and the recovery sweep (when due), then notifications.

        The whole step uses one database connection, and the rows of the executions it holds are
        read :data:`READ_BATCH` at a time (three statements per batch, not per execution)."""
        self.ctx.new_step()
        with self.ctx.store.connection():
            return self._step()

    def _step(self) -> StepReport:
        report = StepReport()
        if self.scheduler is not None:
            report.fires = sum(1 for f in self.scheduler.tick(self.clock.now()) if f.created)
        store, options, owner = self.ctx.store, self.ctx.options, self.ctx.owner
        now = datetime.now(UTC)
        self.held = store.renew_and_claim(owner, now=now, lease_seconds=options.lease_seconds,
                                          batch=options.claim_batch)
        report.executions = len(self.held)
        renewed = time.monotonic()
        ids = sorted(self.held)
        for start in range(0, len(ids), READ_BATCH):
            if self.stopping:
                break
            chunk = ids[start:start + READ_BATCH]
            rows = store.load_passes(chunk)
            for execution_id in chunk:
                if self.stopping:
                    break
                if time.monotonic() - renewed > options.lease_seconds / 3:  # a long step keeps its leases
                    self.held = store.renew_claims(owner, self.held, now=datetime.now(UTC),
                                                   lease_seconds=options.lease_seconds)
                    renewed = time.monotonic()
                    if execution_id not in self.held:
                        continue
                moved, done = self._drive(execution_id, rows.get(execution_id, (None, {}, {})))
                report.progress |= moved
                if done:
                    self.held.discard(execution_id)
                    report.finished += 1
        record_cleanups(self.ctx, datetime.now(UTC))
        if not self.stopping:
            report.cleaned = self.sweep.tick(datetime.now(UTC))
        if self.notifier is not None:
            report.notifications = self.notifier.tick(datetime.now(UTC))
        return report

    def _drive(self, execution_id: str, first: PassState) -> tuple[bool, bool]:
        """Passes over one execution while they progress, the first over ``first`` (its rows as the
        step read them; later ones read them again); returns (progress, no longer ours to drive)."""
        progress = False
        rows: PassState | None = first
        for _ in range(self.ctx.options.inner_passes):
            execution, nodes, attempts = rows if rows is not None else self.ctx.store.load_pass(execution_id)
            rows = None
            if execution is None or execution.terminal or execution.claimed_by != self.ctx.owner:
                return progress, True
            try:
                one = ExecutionPass(self.ctx, execution, nodes, attempts)
                moved = one.run()
            except Exception:
                log.exception("pass over execution %s failed; retrying next step", execution.name)
                break
            progress |= moved
            if one.finished:
                return progress, True
            if not moved:
                break
        return progress, False

    def run(self, *, poll_interval: float = 0.5, once: bool = False, until_idle: bool = False) -> None:
        """Loop until ``stop()``; ``once``: one step; ``until_idle``: until nothing is left to do.

        Between steps that made no progress it sleeps up to ``poll_interval``, less when woken: a new
        execution in the registry (PostgreSQL NOTIFY, a socket beside a SQLite file) or a provider
        saying an attempt's status may have changed (its optional ``subscribe(callback)``). The poll
        is the safety net for wake-ups that get lost."""
        listener = None if once else self.ctx.store.listen(self.wakeup.set)
        subscribe = getattr(self.ctx.provider, "subscribe", None)
        if callable(subscribe) and not once:
            subscribe(self.wakeup.set)
        try:
            while not self.stopping:
                report = self.step()
                if once:
                    break
                if until_idle and self._idle(report):
                    break
                if not report.progress:
                    self.wakeup.wait(poll_interval)
        finally:
            if listener is not None:
                listener.close()
            self.shutdown()

    def _idle(self, report: StepReport) -> bool:
        return not report.progress and self.ctx.store.count_executions() == 0 and report.notifications == 0

    def shutdown(self) -> None:
        """Release our claims so another controller can continue at once."""
        try:
            self.ctx.store.release_claims(self.ctx.owner)
        finally:
            self.held.clear()
            self.ctx.provider.close()


def wait_for(ctx: EngineContext, execution_id: str, *, timeout: float | None = None, poll: float = 0.2) -> str:
    """Block until the execution is terminal; returns its phase (or its current phase on timeout)."""
    end = time.monotonic() + timeout if timeout else None
    while True:
        execution = ctx.store.get_execution(execution_id)
        if execution is None or execution.terminal:
            return execution.phase if execution else "unknown"
        if end is not None and time.monotonic() > end:
            return execution.phase
        time.sleep(poll)
