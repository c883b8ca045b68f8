"""Attempt cleanup: the provider's ``cleanup`` (logs kept, Job or process removed), recorded once it ran.

A pass cleans up the attempts it ended right after writing their end and making its submits
(``ExecutionPass._clean_up``); the controller records ``attempts.cleaned_at`` of every cleanup of
its step in one statement at the end of the step (:func:`record_cleanups`: one statement per step,
not one per execution, on the path of every execution's end). A controller killed (kill -9) between
the end and that record leaves the cleanup undone, also when the execution ended in that pass and no
pass looks at it again. The recovery sweep (:class:`CleanupSweep`) of every controller finds such
attempts with one indexed query, at start-up and then every :data:`SWEEP_INTERVAL`, and cleans them
up, :data:`SWEEP_BATCH` at a time: a full batch goes on after its last attempt at the next step, a short
one starts from the oldest again, so attempts whose cleanup keeps raising do not hide the newer ones. It leaves alone the attempts that ended less than two leases ago: a live controller is still to
clean those up in its pass. Cleanups are idempotent (a Job already gone, a log already kept), so two
controllers sweeping the same attempt, or a sweep racing a slow pass, do no harm.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TypeVar

from flowctl.engine._context import EngineContext
from flowctl.providers._interface import AttemptRef

log = logging.getLogger("flowctl.engine")
SWEEP_INTERVAL = timedelta(seconds=30)
SWEEP_BATCH = 200  # attempts per sweep; a full batch sweeps on from its last attempt at the next step
K = TypeVar("K")


def clean_up(ctx: EngineContext, cleanups: Sequence[tuple[AttemptRef, str, K]]) -> list[K]:
    """Run the provider's cleanup of each attempt (its ref and handle); returns the keys of the ones
    that did not raise (a cleanup that raised stays unrecorded, so the recovery sweep retries it)."""
    done: list[K] = []
    for ref, handle, key in cleanups:
        try:
            ctx.provider.cleanup(ref, handle)
        except Exception as exc:  # any provider failure: the sweep retries, the other cleanups go on
            log.warning("could not clean up attempt %s/%s of execution %s (retried later): %s: %s",
                        ref.node, ref.attempt, ref.execution, type(exc).__name__, exc)
            continue
        done.append(key)
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
        # (finished_at, id) of the last attempt swept; None: from the oldest. Attempts whose cleanup
        # keeps raising stay uncleaned: without it a sweep would take the same oldest batch every time.
        self.after: tuple[datetime, int] | None = None

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
        """Clean up (and record) the next batch of the attempts that ended before ``now - grace``
        uncleaned, after the last one the previous sweep saw (from the oldest again once a batch
        comes back short); how many."""
        return self._sweep(now)[0]

    def _sweep(self, now: datetime) -> tuple[int, bool]:
        """The cleanups that ran, and whether the batch was full (more attempts may follow it)."""
        store = self.ctx.store
        found = store.uncleaned_attempts(self.ctx.provider.name, ended_before=now - self.grace, limit=self.batch,
                                         after=self.after)
        full = len(found) >= self.batch
        self.after = (found[-1].finished_at, found[-1].id) if full else None
        if not found:
            return 0, False
        done = clean_up(self.ctx, [(AttemptRef(u.project, u.domain, u.execution, u.node_id, u.attempt), u.handle or "",
                                    (u.execution_id, u.node_id, u.attempt)) for u in found])
        store.mark_cleaned(done, now)
        log.info("recovery sweep: cleaned up %d attempt(s) a controller had left", len(done))
        return len(done), full
