"""The scheduler with a controllable clock: exactly once, catch-up policies, skip_if_running, backfill."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from engine_support import DOMAIN, PROJECT, flows, register

from flowctl import CronSchedule, FixedRate, LaunchPlan
from flowctl._blobstore import BlobStore
from flowctl.engine import Controller, EngineContext, EngineOptions, ManualClock, backfill
from flowctl.engine._scheduler import Scheduler, due_times
from flowctl.providers.testing import FakeProvider
from flowctl.spec import ScheduleSpec
from flowctl.state._executions import open_execution_store


def context(url: str, tmp: Path) -> EngineContext:
    return EngineContext(open_execution_store(url), FakeProvider(lambda r: None), BlobStore(str(tmp / "b")),
                         options=EngineOptions())


def activated_at(ctx: EngineContext, name: str) -> datetime:
    (schedule,) = [s for s in ctx.store.active_schedules() if s.name == name]
    return schedule.activated_at


def test_cron_due_times_are_time_zone_aware() -> None:
    spec = ScheduleSpec(kind="cron", cron_expression="0 9 * * *", timezone="Europe/Berlin")
    start = datetime(2026, 3, 27, 12, tzinfo=UTC)
    times = due_times(spec, start, start + timedelta(days=3), start, 10)
    # 09:00 in Berlin is 08:00 UTC before the DST switch (Sunday 29 March 2026) and 07:00 UTC from then
    assert [(t.day, t.hour) for t in times] == [(28, 8), (29, 7), (30, 7)]
    rate = ScheduleSpec(kind="rate", rate_seconds=600)
    assert due_times(rate, start, start + timedelta(minutes=25), start, 10) == [
        start + timedelta(minutes=10), start + timedelta(minutes=20)]


def test_fires_exactly_once_across_controllers_and_restarts(registry_url: str, tmp_path: Path) -> None:
    register(registry_url, [flows.hourly], bundle_uri=None, activate=["hourly"])
    a, b = context(registry_url, tmp_path), context(registry_url, tmp_path)
    due = (activated_at(a, "hourly") + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
    clock = ManualClock(due - timedelta(seconds=1))
    assert Scheduler(a).tick(clock.now()) == []
    clock.set(due + timedelta(milliseconds=300))
    fired = Scheduler(a).tick(clock.now()) + Scheduler(b).tick(clock.now()) + Scheduler(context(registry_url, tmp_path)).tick(clock.now())
    assert [f.created for f in fired] == [True]
    (execution,) = a.store.list_executions(launch_plan="hourly")
    assert execution.scheduled_at == due and execution.inputs == {"when": due.isoformat()}
    assert execution.name == fired[0].execution_name


@pytest.mark.parametrize(("catchup", "expected"), [("all", 5), ("latest", 1), ("none", 0)])
def test_catchup_policies(sqlite_url: str, tmp_path: Path, catchup: str, expected: int) -> None:
    lp = LaunchPlan.get_or_create(flows.stamped, name=f"rate_{catchup}", catchup=catchup,  # type: ignore[arg-type]
                                  schedule=FixedRate(timedelta(minutes=1), kickoff_time_input_arg="when"))
    register(sqlite_url, [lp], bundle_uri=None, activate=[lp.name])
    ctx = context(sqlite_url, tmp_path)
    start = activated_at(ctx, lp.name)
    # the controller was down for 5 minutes and 30 seconds
    Scheduler(ctx).tick(start + timedelta(minutes=5, seconds=30))
    assert len(ctx.store.list_executions(launch_plan=lp.name)) == expected
    # on time again: the next due time fires under every policy
    Scheduler(ctx).tick(start + timedelta(minutes=6, seconds=1))
    assert len(ctx.store.list_executions(launch_plan=lp.name)) == expected + 1


def test_skip_if_running(sqlite_url: str, tmp_path: Path) -> None:
    lp = LaunchPlan.get_or_create(flows.stamped, name="guarded", skip_if_running=True,
                                  schedule=CronSchedule("* * * * *", kickoff_time_input_arg="when"))
    register(sqlite_url, [lp], bundle_uri=None, activate=["guarded"])
    ctx = context(sqlite_url, tmp_path)
    start = activated_at(ctx, "guarded").replace(second=0, microsecond=0)
    scheduler = Scheduler(ctx)
    assert [f.created for f in scheduler.tick(start + timedelta(minutes=1, seconds=1))] == [True]
    skipped = scheduler.tick(start + timedelta(minutes=2, seconds=1))
    assert [(f.created, f.execution_name) for f in skipped] == [(True, None)]
    assert len(ctx.store.list_executions(launch_plan="guarded")) == 1


def test_backfill_and_controller_step_with_clock(sqlite_url: str, tmp_path: Path) -> None:
    register(sqlite_url, [flows.hourly], bundle_uri=None, activate=["hourly"])
    ctx = context(sqlite_url, tmp_path)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    dry = backfill(ctx, PROJECT, DOMAIN, "hourly", start, start + timedelta(hours=3), dry_run=True)
    assert len(dry) == 4 and ctx.store.list_executions() == []
    assert sum(f.created for f in backfill(ctx, PROJECT, DOMAIN, "hourly", start, start + timedelta(hours=3))) == 4
    assert sum(f.created for f in backfill(ctx, PROJECT, DOMAIN, "hourly", start, start + timedelta(hours=5))) == 2
    due = (activated_at(ctx, "hourly") + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
    controller = Controller(ctx, clock=ManualClock(due + timedelta(seconds=0.5)), notifications=False)
    assert controller.step().fires == 1
    assert controller.step().fires == 0
