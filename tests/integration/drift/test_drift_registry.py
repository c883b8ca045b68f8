"""Each class of registry drift, produced by a real out-of-band change on SQLite and PostgreSQL.

The world is applied by the real ``compute_plan``/``apply_plan``; the changes are made as people
make them: raw SQL against the database, or store writes under ``managed_by="manual"`` (what a
hand-run command records).
"""

from __future__ import annotations

import json
from datetime import timedelta

from drift_specs import launch_plan, task
from drift_world import World

from flowctl._address import EntityKind
from flowctl.plans import compute_plan
from flowctl.plans.drift import accept_world
from flowctl.spec import digest_of
from flowctl.state._executions import open_execution_store


def kinds(report) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return [(f.kind.value, f.address) for f in report.findings]


def test_no_drift_right_after_apply(world: World) -> None:
    report = world.report()
    assert report.findings == ()
    assert report.last_apply is not None and report.last_apply.operation == "apply"
    assert report.managed_projects == ("ml",)


def test_registered_by_hand(world: World) -> None:
    spec = task(retries=3).to_json()
    with world.store.transaction() as tx:
        tx.register(
            EntityKind.TASK,
            "ml",
            "production",
            "etl.load",
            "hotfix",
            spec,
            digest_of(spec),
            managed_by="manual",
            created_by="bob",
        )
        tx.register(
            EntityKind.TASK,
            "other",
            "development",
            "x",
            "v1",
            spec,
            digest_of(spec),
            managed_by="manual",
            created_by="bob",
        )  # not a managed project: not judged
    assert kinds(world.report()) == [("registered_outside_apply", "ml/production/task/etl.load@hotfix")]


def test_stored_spec_edited_and_version_deleted_with_sql(world: World) -> None:
    edited = json.dumps(task(retries=5).to_json())
    world.sql("UPDATE entities SET spec = :spec WHERE kind = 'task' AND domain = 'development'", spec=edited)
    world.sql("DELETE FROM entities WHERE kind = 'workflow' AND domain = 'production'")
    report = world.report()
    assert kinds(report) == [
        ("entity_changed", "ml/development/task/etl.load@v1"),
        ("entity_missing", "ml/production/workflow/etl.wf@v1"),
    ]
    assert report.findings[0].after == {"retries": 5}


def test_activation_changed_with_sql(world: World) -> None:
    world.sql(
        "UPDATE launch_plan_activations SET version = 'v0', managed_by = 'manual' WHERE domain = 'development'"
    )
    world.sql("DELETE FROM launch_plan_activations WHERE domain = 'production'")
    report = world.report()
    assert kinds(report) == [
        ("activation_changed", "ml/development/launch_plan/nightly"),
        ("activation_changed", "ml/production/launch_plan/nightly"),
    ]
    # flowctl apply reverts it, and its plan says so
    plan = compute_plan(_applied(world), world.store.snapshot(), now=world.applied_at)
    assert {c.address for c in plan.visible_changes} >= {
        "ml/development/launch_plan/nightly",
        "ml/production/launch_plan/nightly",
    }


def test_orphaned_schedule(world: World) -> None:
    spec = launch_plan("hourly").to_json()
    with world.store.transaction() as tx:
        tx.register(
            EntityKind.LAUNCH_PLAN,
            "ml",
            "development",
            "hourly",
            "v1",
            spec,
            digest_of(spec),
            managed_by="manual",
            created_by="bob",
        )
        tx.activate("ml", "development", "hourly", "v1", managed_by="manual")
    assert kinds(world.report()) == [
        ("orphaned_schedule", "ml/development/launch_plan/hourly"),
        ("registered_outside_apply", "ml/development/launch_plan/hourly@v1"),
    ]


def test_project_and_settings_changed_with_sql(world: World) -> None:
    snapshot = world.store.snapshot()
    project = snapshot.projects["ml"].spec.to_json() | {"description": "edited by hand"}
    settings = snapshot.domain_settings[("ml", "production")].to_json()
    settings["requests"]["cpu"] = "8"
    world.sql("UPDATE projects SET spec = :spec WHERE name = 'ml'", spec=json.dumps(project))
    world.sql(
        "UPDATE domains SET settings = :s WHERE project = 'ml' AND name = 'production'",
        s=json.dumps(settings),
    )
    report = world.report()
    assert kinds(report) == [("project_changed", "ml"), ("domain_settings_changed", "ml/production")]
    assert report.findings[1].before == {"requests.cpu": "1"} and report.findings[1].after == {
        "requests.cpu": "8"
    }


def test_schedule_that_did_not_fire(world: World) -> None:
    executions = open_execution_store(world.url)
    try:
        first = world.applied_at.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        # anchored to the first due hour, not to the wall clock: three hourly fires are due, the last
        # one 10 minutes ago (past the 5-minute grace), whatever minute the apply happened at
        now = first + timedelta(hours=2, minutes=10)
        for hour in range(3):  # the scheduler fired production every hour; development stopped after one
            executions.fire_schedule("ml", "production", "nightly", first + timedelta(hours=hour), None)
        executions.fire_schedule("ml", "development", "nightly", first, None)

        def reader(project: str, domain: str, name: str) -> list:  # type: ignore[type-arg]
            return [f.fire_time for f in executions.fires(project, domain, name)]

        report = world.report(now=now, fire_reader=reader)
    finally:
        executions.close()
    assert kinds(report) == [("schedule_not_fired", "ml/development/launch_plan/nightly")]
    assert report.findings[0].after["missing_fires"] == 2


def test_refresh_only_accepts_the_world(world: World) -> None:
    world.sql("UPDATE launch_plan_activations SET version = 'v0' WHERE domain = 'development'")
    spec = task(retries=3).to_json()
    with world.store.transaction() as tx:
        tx.register(
            EntityKind.TASK,
            "ml",
            "production",
            "etl.load",
            "hotfix",
            spec,
            digest_of(spec),
            managed_by="manual",
            created_by="bob",
        )
    before = world.report()
    assert len(before.findings) == 2
    record = accept_world(world.store, user="carol", expected_serial=before.registry_serial)
    assert record.operation == "refresh-only" and record.user == "carol"
    assert record.plan["refresh_only"]["counts"] == {"activation_changed": 1, "registered_outside_apply": 1}
    after = world.report()
    assert after.findings == ()
    assert after.last_apply is not None and after.last_apply.operation == "refresh-only"
    # drift after the refresh is judged against the new baseline
    world.sql("UPDATE launch_plan_activations SET version = 'v1' WHERE domain = 'development'")
    assert kinds(world.report()) == [("activation_changed", "ml/development/launch_plan/nightly")]


def test_refresh_only_refuses_a_moved_registry(world: World) -> None:
    import pytest

    from flowctl._errors import ApplyError

    serial = world.report().registry_serial
    spec = task(retries=4).to_json()
    with world.store.transaction() as tx:
        tx.register(
            EntityKind.TASK,
            "ml",
            "production",
            "etl.load",
            "late",
            spec,
            digest_of(spec),
            managed_by="manual",
            created_by="bob",
        )
    with pytest.raises(ApplyError, match="changed while you reviewed"):
        accept_world(world.store, expected_serial=serial)


def _applied(world: World):  # type: ignore[no-untyped-def]
    from flowctl.spec import DesiredState

    record = world.store.last_apply()
    assert record is not None
    return DesiredState.model_validate(record.desired_state)


def test_no_drift_after_a_promotion(world: World) -> None:
    from datetime import UTC, datetime

    from flowctl.plans import ApplyIdentity, PlanMode, apply_plan, promotion_desired_state

    world.sql(
        "UPDATE launch_plan_activations SET version = 'v1'"
    )  # no-op: keeps the test honest on both backends
    snapshot = world.store.snapshot()
    desired = promotion_desired_state(snapshot, "ml", "development", "production", entities=["etl.wf"])
    now = datetime.now(UTC)
    plan = compute_plan(desired, snapshot, now=now, mode=PlanMode.PROMOTE)
    apply_plan(
        plan, world.store, identity=ApplyIdentity("alice", "h", "alice@h:1"), now=now, operation="promote"
    )
    report = world.report()
    assert report.findings == ()
    assert report.last_apply is not None
    assert report.last_apply.operation in ("promote", "apply")  # "apply" when the promotion had nothing to do
