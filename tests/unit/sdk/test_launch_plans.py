"""Launch plans checked against the workflow interface; schedules and notifications validated."""

from __future__ import annotations

import datetime as dt
from datetime import timedelta

import pytest

from flowctl import CronSchedule, Email, FixedRate, LaunchPlan, Slack, Webhook, task, workflow
from flowctl._errors import InputError, ManifestError


@task
def work(n: int, label: str, at: dt.datetime) -> str:
    return f"{label}{n}{at}"


@workflow
def lp_wf(n: int, label: str = "x", at: dt.datetime = dt.datetime(2024, 1, 1)) -> str:
    return work(n=n, label=label, at=at)


def test_valid_launch_plan_spec() -> None:
    lp = LaunchPlan.get_or_create(
        lp_wf,
        name="nightly",
        default_inputs={"n": 3},
        fixed_inputs={"label": "prod"},
        schedule=CronSchedule(schedule="@daily", timezone="Europe/Paris", kickoff_time_input_arg="at"),
        notifications=[
            Email(phases=["failed", "timed_out"], recipients_email=["a@example.com"]),
            Slack(phases=["succeeded"], url="https://hooks.slack.com/x"),
            Webhook(phases=["aborted"], url="http://127.0.0.1:9/hook"),
        ],
        labels={"team": "ml"},
        max_parallelism=4,
    )
    spec = lp.spec
    assert spec.workflow == f"{__name__}.lp_wf" and spec.default_inputs == {"n": 3}
    assert spec.schedule is not None and spec.schedule.cron_expression == "@daily" and spec.schedule.timezone == "Europe/Paris"
    assert [n.kind for n in spec.notifications] == ["email", "slack", "webhook"]
    assert [p.name for p in lp.interface.inputs] == ["n", "at"]
    assert lp.interface.inputs[0].has_default


def test_default_launch_plan_is_named_like_the_workflow() -> None:
    lp = LaunchPlan.get_or_create(lp_wf)
    assert lp.name == f"{__name__}.lp_wf" and lp.spec.default_inputs == {}


def _problems(**kwargs: object) -> str:
    with pytest.raises(ManifestError) as info:
        LaunchPlan.get_or_create(lp_wf, name="bad", **kwargs)  # type: ignore[arg-type]
    return str(info.value)


def test_unknown_input_wrong_type_and_both() -> None:
    text = _problems(default_inputs={"nn": 1, "n": "three"}, fixed_inputs={"n": 2})
    assert "names `nn`, which is not an input" in text
    assert "`n` must be `int`, got 'three'" in text
    assert "test_launch_plans.py:" in text
    text = _problems(default_inputs={"n": 1}, fixed_inputs={"n": 2})
    assert "Input `n` of launch plan `bad` is both a default and a fixed input" in text


def test_scheduled_plan_needs_every_required_input() -> None:
    text = _problems(schedule=CronSchedule(schedule="0 * * * *"))
    assert "has a schedule but its required input `n` is not bound" in text
    text = _problems(schedule=FixedRate(duration=timedelta(hours=1), kickoff_time_input_arg="label"), default_inputs={"n": 1})
    assert "kickoff_time_input_arg `label`" in text and "not datetime" in text


def test_fixed_inputs_cannot_be_overridden() -> None:
    lp = LaunchPlan.get_or_create(lp_wf, name="fixed", fixed_inputs={"label": "prod"})
    with pytest.raises(InputError, match="Input `label` is fixed by launch plan `fixed` and cannot be overridden"):
        lp.resolve_inputs({"label": "dev"})
    assert lp.resolve_inputs({"n": 1})["label"] == "prod"


@pytest.mark.parametrize(
    ("expression", "timezone", "match"),
    [
        ("0 0 * *", "UTC", "has 5 fields (minute hour day-of-month month day-of-week), this one has 4"),
        ("61 * * * *", "UTC", "the minute field '61' is not valid (minute values are 0-59)"),
        ("0 25 * * *", "UTC", "the hour field '25' is not valid (hour values are 0-23)"),
        ("0 0 0 * *", "UTC", "the day-of-month field '0' is not valid (day-of-month values are 1-31)"),
        ("0 0 * 13 *", "UTC", "the month field '13' is not valid (month values are 1-12 or jan-dec)"),
        ("0 0 * * 8", "UTC", "the day-of-week field '8' is not valid"),
        ("*/0 * * * *", "UTC", "the minute field '*/0' is not valid"),
        ("0 0 31 2 *", "UTC", "no date has day 31 in month 2, so it would never fire"),
        ("@fortnightly", "UTC", "unknown alias '@fortnightly'"),
        ("0 0 * * *", "Mars/Olympus", "unknown time zone 'Mars/Olympus'"),
        ("* * * * * *", "UTC", "this one has 6"),
    ],
)
def test_cron_validation_speaks_of_the_schedule_not_the_library(expression: str, timezone: str, match: str) -> None:
    with pytest.raises(ManifestError) as info:
        CronSchedule(schedule=expression, timezone=timezone)
    text = str(info.value)
    assert match in text
    assert f"Invalid CronSchedule({expression!r}, timezone={timezone!r})" in text  # the expression, as written
    assert "test_launch_plans.py:" in text  # where it was declared
    assert '"0 0 * * *" (every day at midnight)' in text  # an example of a valid one
    assert "croniter" not in text


@pytest.mark.parametrize("alias", ["@hourly", "@daily", "@weekly", "@monthly", "@yearly", "@annually", "@midnight"])
def test_cron_aliases(alias: str) -> None:
    assert CronSchedule(schedule=alias).to_spec().cron_expression == alias


def test_fixed_rate() -> None:
    assert FixedRate(duration=timedelta(minutes=1)).to_spec().rate_seconds == 60
    with pytest.raises(ManifestError, match="shorter than one minute"):
        FixedRate(duration=timedelta(seconds=59))


def test_notifications_are_validated() -> None:
    with pytest.raises(ManifestError, match="unknown phase 'done'"):
        Email(phases=["done"], recipients_email=["a@example.com"])
    with pytest.raises(ManifestError, match="is not an email address"):
        Email(phases=["failed"], recipients_email=["nobody"])
    with pytest.raises(ManifestError, match="must start with http"):
        Webhook(phases=["failed"], url="ftp://x")
