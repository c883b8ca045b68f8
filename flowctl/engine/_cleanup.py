"""Attempt cleanup: the provider's ``cleanup`` (logs kept, Job or process removed), recorded once it ran.

A pass cleans up the attempts it ended right after writing their end and making its submits
(``ExecutionPass._clean_up``); the controller records ``attempts.cleaned_at`` of every cleanup of
its step in one statement at the end of the step (:func:`record_cleanups`: one statement per step,
not one per execution, on the path of every execution's end). A controller killed (kill -9) between
the end and that record leaves the cleanup undone, also when the execution ended in that pass and no
pass looks at it again. The recovery sweep (:class:`CleanupSweep`) of every controller finds such
attempts with one indexed query, at start-up and then every :data:`SWEEP_INTERVAL`, and cleans them
up. It leaves alone the attempts that ended less than two leases ago: a live controller is still to
clean those up in its pass. Cleanups are idempotent (a Job already gone, a log already kept), so two
controllers sweeping the same attempt, or a sweep racing a slow pass, do no harm.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from flowctl.engine._context import EngineContext
from flowctl.providers._interface import AttemptRef

log = logging.getLogger("flowctl.engine")
SWEEP_INTERVAL = timedelta(seconds=30)
SWEEP_BATCH = 200  # attempts per sweep; a full batch sweeps again at the next step


def clean_up(ctx: EngineContext, cleanups: Sequence[tuple[AttemptRef, str]]) -> list[AttemptRef]:
    """Run the provider's cleanup of each attempt; returns the ones that did not raise (a cleanup that
    raised stays unrecorded, so the recovery sweep retries it)."""
    done: list[AttemptRef] = []
    for ref, handle in cleanups:
        try:
            ctx.provider.cleanup(ref, handle)
        except Exception as exc:  # any provider failure: the sweep retries, the other cleanups go on
            log.warning("could not clean up attempt %s/%s of execution %s (retried later): %s: %s",
                        ref.node, ref.attempt, ref.execution, type(exc).__name__, exc)
            continue
        done.append(ref)
    return done


def record_cleanups(ctx: EngineContext, now: datetime) -> None:
    """Record the cleanups the step's passes ran (``ctx.cleaned``) in one statement."""
    cleaned, ctx.cleaned = ctx.cleaned, []
    ctx.store.mark_cleaned(cleaned, now)


class CleanupSweep:
    """See the module docstring. ``tick(now)`` sweeps when due; ``sweep(now)`` sweeps at once."""

    def __init__(self, ctx: EngineContext, *, interval: timedelta = SWEEP_INTERVAL, batch: int = SWEEP_BATCH) -> None:
        self.ctx = ctx
        self.interval = interval
        self.batch = batch
        self.due: datetime | None = None  # None: at start-up

    @property
    def grace(self) -> timedelta:
        """How long an ended attempt is left to the pass that ended it (its controller's lease, twice)."""
        return timedelta(seconds=2 * self.ctx.options.lease_seconds)

    def tick(self, now: datetime) -> int:
        if self.due is not None and now < self.due:
            return 0
        cleaned, full = self._sweep(now)
        self.due = None if full else now + self.interval
        return cleaned

    def sweep(self, now: datetime) -> int:
        """Clean up (and record) the attempts that ended before ``now - grace`` uncleaned; how many."""
        return self._sweep(now)[0]

    def _sweep(self, now: datetime) -> tuple[int, bool]:
        store = self.ctx.store
        found = store.uncleaned_attempts(self.ctx.provider.name, ended_before=now - self.grace, limit=self.batch)
        if not found:
            return 0, False
        ids = {(u.project, u.domain, u.execution): u.execution_id for u in found}
        refs = [(AttemptRef(u.project, u.domain, u.execution, u.node_id, u.attempt), u.handle or "") for u in found]
        done = clean_up(self.ctx, refs)
        store.mark_cleaned([(ids[(r.project, r.domain, r.execution)], r.node, r.attempt) for r in done], now)
        log.info("recovery sweep: cleaned up %d attempt(s) a controller had left", len(done))
        return len(done), len(found) >= self.batch and len(done) == len(found)
