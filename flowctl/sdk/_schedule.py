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


# (name, what its values are) of the five cron fields, in order
_CRON_FIELDS = (
    ("minute", "0-59"),
    ("hour", "0-23"),
    ("day-of-month", "1-31"),
    ("month", "1-12 or jan-dec"),
    ("day-of-week", "0-7 (0 and 7 are Sunday) or sun-sat"),
)
CRON_FORMS = "Each field is a value, a range (1-5), a list (1,15), a step (*/15) or *."
CRON_EXAMPLES = ('"0 0 * * *" (every day at midnight), "*/15 * * * *" (every 15 minutes), '
                 '"30 6 * * mon-fri" (06:30 on weekdays) or an alias such as "@daily"')


def check_cron(expression: str) -> str | None:
    """What is wrong with a cron expression (5 fields or an alias), in the user's terms, or None."""
    if not isinstance(expression, str) or not expression.strip():
        return "the schedule is empty"
    text = expression.strip()
    if text.startswith("@"):
        return None if text.lower() in CRON_ALIASES else f"unknown alias {text!r} (aliases: {', '.join(CRON_ALIASES)})"
    fields = text.split()
    if len(fields) != 5:
        return (f"a cron expression has 5 fields (minute hour day-of-month month day-of-week), "
                f"this one has {len(fields)}")
    from croniter import croniter

    if croniter.is_valid(text):
        return _never_fires(text, fields)
    for index, (field, values) in enumerate(_CRON_FIELDS):
        alone = ["*"] * 5
        alone[index] = fields[index]
        if not croniter.is_valid(" ".join(alone)):
            return f"the {field} field {fields[index]!r} is not valid ({field} values are {values})"
    return "its day-of-month and day-of-week fields cannot be combined"


def _never_fires(text: str, fields: list[str]) -> str | None:
    """Only a day-of-month with a month can name no date at all (``0 0 31 2 *``)."""
    if fields[2] == "*" or fields[3] == "*":
        return None
    from datetime import datetime

    from croniter import CroniterBadDateError, croniter

    try:
        croniter(text, datetime(2000, 1, 1)).get_next(datetime)
    except CroniterBadDateError:
        return f"no date has day {fields[2]} in month {fields[3]}, so it would never fire"
    return None


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
                f"Invalid CronSchedule({self.schedule!r}, timezone={self.timezone!r}): {'; '.join(problems)}",
                source=frame_location(2),
                detail=f"{CRON_FORMS} Valid schedules: {CRON_EXAMPLES}. Time zones are IANA names such as "
                "\"UTC\" or \"America/New_York\".",
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
