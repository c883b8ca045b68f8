"""Schedules of launch plans: ``CronSchedule`` and ``FixedRate``, validated when declared."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flowctl._errors import ManifestError
from flowctl.sdk._source import frame_location
from flowctl.spec import ScheduleSpec

CRON_ALIASES = ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly")


def check_timezone(timezone: str) -> str | None:
    """A problem with a time zone name, or None when ``zoneinfo`` knows it."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    if not isinstance(timezone, str) or not timezone:
        return f"the time zone must be a name such as \"Europe/Paris\", got {timezone!r}"
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return f"unknown time zone {timezone!r}"
    return None


def check_cron(expression: str) -> str | None:
    """A problem with a cron expression (5 fields or an alias), or None."""
    if not isinstance(expression, str) or not expression.strip():
        return "the schedule is empty"
    text = expression.strip()
    if text.startswith("@"):
        return None if text.lower() in CRON_ALIASES else f"unknown alias {text!r} (aliases: {', '.join(CRON_ALIASES)})"
    if len(text.split()) != 5:
        return f"a cron expression has 5 fields (minute hour day-of-month month day-of-week), this one has {len(text.split())}"
    from croniter import croniter

    return None if croniter.is_valid(text) else "croniter cannot parse it"


@dataclass(frozen=True)
class CronSchedule:
    """Fire at the times of a cron expression (``"0 0 * * *"`` or ``"@daily"``) in ``timezone``.

    ``kickoff_time_input_arg`` names a ``datetime`` input of the workflow that receives the
    scheduled fire time.
    """

    schedule: str
    kickoff_time_input_arg: str | None = None
    timezone: str = "UTC"

    def __post_init__(self) -> None:
        problems = [p for p in (check_cron(self.schedule), check_timezone(self.timezone)) if p]
        if problems:
            raise ManifestError(
                f"Schedule is invalid: {'; '.join(problems)}. Provided schedule: {self.schedule!r}",
                source=frame_location(2),
                detail="Use 5 cron fields such as \"0 0 * * *\" (daily at midnight) or an alias such as "
                "\"@daily\", and an IANA time zone such as \"UTC\" or \"America/New_York\".",
            )

    def to_spec(self) -> ScheduleSpec:
        return ScheduleSpec(
            kind="cron",
            cron_expression=self.schedule.strip(),
            timezone=self.timezone,
            kickoff_time_input_arg=self.kickoff_time_input_arg,
        )


@dataclass(frozen=True)
class FixedRate:
    """Fire every ``duration`` (at least one minute, whole seconds)."""

    duration: timedelta
    kickoff_time_input_arg: str | None = None

    def __post_init__(self) -> None:
        problem = None
        if not isinstance(self.duration, timedelta):
            problem = f"the duration must be a timedelta, got {self.duration!r}"
        elif self.duration < timedelta(minutes=1):
            problem = f"the rate {self.duration} is shorter than one minute"
        elif self.duration.total_seconds() != int(self.duration.total_seconds()):
            problem = f"the rate {self.duration} is not a whole number of seconds"
        if problem:
            raise ManifestError(
                f"FixedRate is invalid: {problem}",
                source=frame_location(2),
                detail="Use e.g. FixedRate(duration=timedelta(minutes=10)).",
            )

    def to_spec(self) -> ScheduleSpec:
        return ScheduleSpec(
            kind="rate", rate_seconds=int(self.duration.total_seconds()), kickoff_time_input_arg=self.kickoff_time_input_arg
        )
