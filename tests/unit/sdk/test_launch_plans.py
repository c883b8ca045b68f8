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
        ("0 0 * *", "UTC", "5 fields"),
        ("61 * * * *", "UTC", "croniter cannot parse it"),
        ("@fortnightly", "UTC", "unknown alias"),
        ("0 0 * * *", "Mars/Olympus", "unknown time zone"),
        ("* * * * * *", "UTC", "5 fields"),
    ],
)
def test_cron_validation(expression: str, timezone: str, match: str) -> None:
    with pytest.raises(ManifestError, match=match) as info:
        CronSchedule(schedule=expression, timezone=timezone)
    assert f"Provided schedule: {expression!r}" in str(info.value)
    assert "test_launch_plans.py:" in str(info.value)


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
