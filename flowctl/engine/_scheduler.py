"""The scheduler: fires active launch plans' schedules, each due time exactly once.

Every tick looks at each active launch plan with a schedule, computes the due times since its last
fire (or since activation) up to "now" (the clock's, which tests control), applies the launch plan's
catch-up policy, and fires: one transaction inserts the unique ``schedule_fires`` row and the
execution (deterministic name), so two controllers, or a restart, cannot fire a due time twice.

Catch-up: ``latest`` (default) fires only the most recent missed time; ``all`` fires every missed
time (oldest first); ``none`` fires a time only when it is at most a few seconds late and records
older ones as skipped. ``skip_if_running`` records a fire as skipped while an execution of the launch
plan is queued or running.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from flowctl._errors import FlowctlError, InputError
from flowctl.engine._context import EngineContext
from flowctl.engine._launch import ResolvedLaunchPlan, new_execution, resolve_launch_plan
from flowctl.engine._names import scheduled_name
from flowctl.spec import Json, ScheduleSpec
from flowctl.state._executions import ActiveSchedule

log = logging.getLogger("flowctl.scheduler")
MAX_FIRES_PER_TICK = 100


def next_after(schedule: ScheduleSpec, after: datetime, anchor: datetime) -> datetime:
    """The first due time strictly after ``after`` (rates count from ``anchor``)."""
    if schedule.kind == "rate":
        rate = timedelta(seconds=schedule.rate_seconds or 60)
        steps = max(0, int((after - anchor) / rate))
        due = anchor + rate * steps
        while due <= after:
            due += rate
        return due
    from croniter import croniter

    tz = ZoneInfo(schedule.timezone or "UTC")
    it = croniter(schedule.cron_expression or "* * * * *", after.astimezone(tz))
    value = it.get_next(datetime)
    assert isinstance(value, datetime)
    return value.astimezone(UTC)


def due_times(schedule: ScheduleSpec, after: datetime, until: datetime, anchor: datetime, limit: int) -> list[datetime]:
    """Due times in ``(after, until]``, oldest first, at most ``limit``."""
    times: list[datetime] = []
    current = after
    while len(times) < limit:
        current = next_after(schedule, current, anchor)
        if current > until:
            break
        times.append(current)
    return times


@dataclass(frozen=True)
class Fire:
    project: str
    domain: str
    launch_plan: str
    fire_time: datetime
    execution_name: str | None  # None: recorded as skipped
    created: bool  # False: this due time had already fired


def fire(ctx: EngineContext, lp: ResolvedLaunchPlan, fire_time: datetime, *, skip: bool = False) -> Fire:
    """Fire ``lp`` for ``fire_time`` once (the database decides who wins)."""
    name = None
    new = None
    if not skip:
        schedule = lp.spec.schedule
        inputs: dict[str, Json] = {}
        if schedule is not None and schedule.kickoff_time_input_arg:
            inputs[schedule.kickoff_time_input_arg] = fire_time.astimezone(UTC).isoformat()
        name = scheduled_name(lp.name, fire_time)
        try:
            new = new_execution(lp, inputs, name=name, created_by="scheduler", scheduled_at=fire_time)
        except InputError as exc:
            log.error("schedule of %s cannot fire at %s: %s", lp.address, fire_time, exc.render())
            name = None
    created = ctx.store.fire_schedule(lp.project, lp.domain, lp.name, fire_time, new)
    return Fire(lp.project, lp.domain, lp.name, fire_time, name, created)


class Scheduler:
    def __init__(self, ctx: EngineContext) -> None:
        self.ctx = ctx

    def tick(self, now: datetime) -> list[Fire]:
        fired: list[Fire] = []
        for active in self.ctx.store.active_schedules():
            try:
                fired.extend(self._tick_one(active, now))
            except FlowctlError as exc:
                log.error("schedule of %s/%s/%s: %s", active.project, active.domain, active.name, exc.render())
        return fired

    def _tick_one(self, active: ActiveSchedule, now: datetime) -> list[Fire]:
        store = self.ctx.store
        lp = resolve_launch_plan(store, self.ctx.specs, active.project, active.domain, active.name, active.version)
        schedule = lp.spec.schedule
        if schedule is None:
            return []
        last = store.last_fire(active.project, active.domain, active.name)
        since = max(last, active.activated_at) if last else active.activated_at
        times = due_times(schedule, since, now, active.activated_at, MAX_FIRES_PER_TICK if lp.spec.catchup == "all" else 10_000)
        if not times:
            return []
        if lp.spec.catchup == "latest":
            times = times[-1:]
        elif lp.spec.catchup == "none":
            late = now - times[-1] > timedelta(seconds=self.ctx.options.catchup_none_tolerance)
            return [fire(self.ctx, lp, times[-1], skip=late or self._busy(lp))]
        return [fire(self.ctx, lp, t, skip=self._busy(lp)) for t in times]

    def _busy(self, lp: ResolvedLaunchPlan) -> bool:
        return lp.spec.skip_if_running and self.ctx.store.running_of_launch_plan(lp.project, lp.domain, lp.name) > 0


def backfill(ctx: EngineContext, project: str, domain: str, launch_plan: str, start: datetime, end: datetime,
             *, version: str | None = None, dry_run: bool = False, limit: int = 1000) -> list[Fire]:
    """Fire every due time in ``[start, end]`` that has not fired yet (same exactly-once rows)."""
    lp = resolve_launch_plan(ctx.store, ctx.specs, project, domain, launch_plan, version)
    if lp.spec.schedule is None:
        raise InputError(f"Launch plan `{launch_plan}` has no schedule to backfill", address=lp.address)
    anchor = start - timedelta(microseconds=1)
    times = due_times(lp.spec.schedule, anchor, end, anchor, limit)
    if dry_run:
        done = {f.fire_time for f in ctx.store.fires(project, domain, launch_plan)}
        return [Fire(project, domain, launch_plan, t, scheduled_name(launch_plan, t), t not in done) for t in times]
    return [fire(ctx, lp, t) for t in times]
