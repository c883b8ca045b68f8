"""Schedule forecasts: the next fire times of a schedule, in its time zone and in UTC.

``now`` is always passed in (plans never read the clock). A DST transition between ``now`` and the
last forecast fire time is noted, so a reviewer sees "02:30 does not exist on 2027-03-28".
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from flowctl.plans._model import FireTime, ScheduleForecast
from flowctl.spec import Json

FORECAST_COUNT = 3


def describe_schedule(schedule: dict[str, Json]) -> str:
    if schedule.get("kind") == "rate":
        return f"every {_format_duration(int(schedule.get('rate_seconds') or 0))}"
    return f'cron "{schedule.get("cron_expression")}" ({schedule.get("timezone") or "UTC"})'


def forecast(address: str, schedule: dict[str, Json], now: datetime, count: int = FORECAST_COUNT) -> ScheduleForecast:
    """The next ``count`` fire times after ``now`` (an aware datetime)."""
    tz_name = str(schedule.get("timezone") or "UTC")
    tz = ZoneInfo(tz_name)
    start = now.astimezone(tz)
    times = _cron_times(str(schedule["cron_expression"]), start, count) if schedule.get("kind") == "cron" else _rate_times(
        int(schedule.get("rate_seconds") or 60), start, count
    )
    fire_times = tuple(
        FireTime(local=t.isoformat(timespec="minutes"), utc=t.astimezone(UTC).isoformat(timespec="minutes"))
        for t in times
    )
    notes = _dst_notes(tz, start, times[-1]) if times else ()
    return ScheduleForecast(address=address, description=describe_schedule(schedule), timezone=tz_name,
                            fire_times=fire_times, notes=notes)


def _cron_times(expression: str, start: datetime, count: int) -> list[datetime]:
    from croniter import croniter

    itr = croniter(expression, start)
    return [itr.get_next(datetime) for _ in range(count)]


def _rate_times(seconds: int, start: datetime, count: int) -> list[datetime]:
    # A fixed rate fires from activation on; the forecast assumes activation at ``now``.
    return [start + timedelta(seconds=seconds * (i + 1)) for i in range(count)]


def _dst_notes(tz: ZoneInfo, start: datetime, end: datetime) -> tuple[str, ...]:
    """UTC-offset changes between ``start`` and ``end``, found hour by hour (bounded to a year)."""
    notes: list[str] = []
    cursor = start.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    stop = min(end.astimezone(UTC), cursor + timedelta(days=366))
    offset = cursor.astimezone(tz).utcoffset()
    step = timedelta(hours=1) if stop - cursor <= timedelta(days=45) else timedelta(hours=6)
    while cursor < stop:
        nxt = cursor + step
        new_offset = nxt.astimezone(tz).utcoffset()
        if new_offset != offset:
            local = nxt.astimezone(tz)
            notes.append(
                f"UTC offset changes {_format_offset(offset)} -> {_format_offset(new_offset)} around "
                f"{local.strftime('%Y-%m-%d')} ({local.tzname()}): local fire times keep the wall clock, UTC times shift"
            )
            offset = new_offset
        cursor = nxt
    return tuple(notes)


def _format_offset(offset: timedelta | None) -> str:
    minutes = int((offset or timedelta()).total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _format_duration(seconds: int) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0 and seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
