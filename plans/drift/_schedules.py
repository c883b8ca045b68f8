"""Which scheduled fires were due and did not happen (pure: the clock is a parameter).

The scheduler records one ``schedule_fires`` row per fire (project, domain, launch plan,
fire_time). A schedule that is active and due must have a row for its latest due time, once a
grace period has passed; earlier gaps are tolerated because ``catchup="latest"`` legitimately
skips them after downtime. The count of every missing due time is reported as context.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from croniter import croniter

from flowctl.spec import ScheduleSpec

_MAX_COUNTED = 1000  # fires counted for the "N missing" context; beyond that we say "at least"
_SLACK = timedelta(seconds=1)


@dataclass(frozen=True)
class MissedFire:
    """The latest due fire ``expected`` has no recorded fire; ``missing`` due fires in the window."""

    expected: datetime
    missing: int
    last_fire: datetime | None


def as_utc(moment: datetime) -> datetime:
    """Aware UTC datetime; naive values (SQLite hands them back) are taken as UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def due_fires(
    schedule: ScheduleSpec, since: datetime, until: datetime, *, limit: int = _MAX_COUNTED
) -> list[datetime]:
    """Fire times in (since, until], in UTC, the first ``limit`` of them."""
    since, until = as_utc(since), as_utc(until)
    if until <= since:
        return []
    if schedule.kind == "rate":
        period = timedelta(seconds=schedule.rate_seconds or 0)
        if period <= timedelta(0):
            return []
        count = min(int((until - since) / period), limit)
        return [since + period * k for k in range(1, count + 1)]
    if not schedule.cron_expression:
        return []
    zone = ZoneInfo(schedule.timezone)
    times: list[datetime] = []
    iterator = croniter(schedule.cron_expression, since.astimezone(zone))
    while len(times) < limit:
        moment = as_utc(iterator.get_next(datetime))
        if moment > until:
            break
        times.append(moment)
    return times


def latest_due(schedule: ScheduleSpec, since: datetime, until: datetime) -> datetime | None:
    """The last fire time in (since, until], or None when none was due."""
    since, until = as_utc(since), as_utc(until)
    if until <= since:
        return None
    if schedule.kind == "rate":
        period = timedelta(seconds=schedule.rate_seconds or 0)
        if period <= timedelta(0) or until - since < period:
            return None
        return since + period * int((until - since) / period)
    if not schedule.cron_expression:
        return None
    zone = ZoneInfo(schedule.timezone)
    moment = as_utc(croniter(schedule.cron_expression, until.astimezone(zone)).get_prev(datetime))
    return moment if moment > since else None


def missed_fire(
    schedule: ScheduleSpec,
    *,
    since: datetime,
    now: datetime,
    fires: Sequence[datetime],
    grace: timedelta,
) -> MissedFire | None:
    """The missed latest fire of an active schedule active since ``since``, or None if it fired.

    A fire counts for the expected time when it is recorded at or after it (rate schedules: within
    one period before it, since their phase depends on when the scheduler started).
    """
    cutoff = as_utc(now) - grace
    expected = latest_due(schedule, since, cutoff)
    if expected is None:
        return None
    recorded = sorted(as_utc(f) for f in fires)
    window_start = expected - _SLACK
    if schedule.kind == "rate":
        window_start = expected - timedelta(seconds=schedule.rate_seconds or 0)
    if any(f >= window_start for f in recorded):
        return None
    recorded_set = set(recorded)
    missing = sum(1 for t in due_fires(schedule, since, cutoff) if t not in recorded_set)
    return MissedFire(
        expected=expected, missing=max(missing, 1), last_fire=recorded[-1] if recorded else None
    )
