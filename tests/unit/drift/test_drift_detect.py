"""detect_drift on literal data: one test per class of drift, and what is not drift."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from drift_specs import (
    APPLIED_AT,
    MANIFEST,
    NOW,
    desired_state,
    hourly_fires,
    launch_plan,
    snapshot_after_apply,
    task,
)

from flowctl._address import EntityKind
from flowctl.plans.drift import (
    ClusterNamespaceView,
    ClusterView,
    DriftReport,
    FindingKind,
    LastApply,
    detect_drift,
)
from flowctl.spec import DomainSettingsSpec, ProjectSpec, RegistrationSpec, ResourcesSpec
from flowctl.state import ActivationRecord, ProjectRecord, RegistrySnapshot, StoredEntity

LAST = LastApply(7, APPLIED_AT, "alice", "apply", MANIFEST)


def detect(
    snapshot: RegistrySnapshot,
    *,
    fires: dict | None = None,
    cluster: ClusterView | None = None,
    now=NOW,
    desired=None,
) -> DriftReport:
    return detect_drift(
        desired or desired_state(),
        snapshot,
        managed_projects={"ml"},
        now=now,
        last_apply=LAST,
        schedule_fires=fires if fires is not None else {},
        cluster=cluster,
    )


def kinds(report: DriftReport) -> list[tuple[str, str]]:
    return [(f.kind.value, f.address) for f in report.findings]


def with_entity(snapshot: RegistrySnapshot, entity: StoredEntity) -> RegistrySnapshot:
    return replace(snapshot, entities={**snapshot.entities, entity.key: entity})


def test_no_drift_right_after_apply() -> None:
    report = detect(snapshot_after_apply(desired_state()))
    assert report.findings == ()
    assert not report.has_drift
    assert report.summary_line() == "No drift. The world matches the last apply (serial 7)."


def test_manual_registration_in_a_managed_project_is_drift() -> None:
    snapshot = snapshot_after_apply(desired_state())
    hotfix = StoredEntity(
        EntityKind.TASK,
        "ml",
        "production",
        "etl.load",
        "hotfix",
        "sha256:x",
        task(retries=3).to_json(),
        APPLIED_AT + timedelta(minutes=3),
        "bob",
        "manual",
    )
    report = detect(with_entity(snapshot, hotfix))
    assert kinds(report) == [("registered_outside_apply", "ml/production/task/etl.load@hotfix")]
    finding = report.findings[0]
    assert finding.severity == "warning"
    assert finding.after["created_by"] == "bob"
    assert finding.domain == "production"


def test_manual_registration_outside_managed_projects_is_not_judged() -> None:
    snapshot = snapshot_after_apply(desired_state())
    other = StoredEntity(
        EntityKind.TASK, "web", "development", "x", "v1", "sha256:x", task().to_json(), NOW, "bob", "manual"
    )
    assert detect(with_entity(snapshot, other)).findings == ()


def test_older_versions_from_earlier_applies_are_not_drift() -> None:
    snapshot = snapshot_after_apply(desired_state())
    old = StoredEntity(
        EntityKind.TASK,
        "ml",
        "development",
        "etl.load",
        "v0",
        "sha256:x",
        task().to_json(),
        APPLIED_AT - timedelta(days=3),
        "alice",
        MANIFEST,
    )
    assert detect(with_entity(snapshot, old)).findings == ()


def test_registration_under_a_manifest_no_apply_recorded_is_drift() -> None:
    snapshot = snapshot_after_apply(desired_state())
    forged = StoredEntity(
        EntityKind.TASK,
        "ml",
        "development",
        "etl.load",
        "v9",
        "sha256:x",
        task().to_json(),
        APPLIED_AT + timedelta(minutes=1),
        "carol",
        "someone-elses-manifests",
    )
    assert kinds(detect(with_entity(snapshot, forged))) == [
        ("registered_outside_apply", "ml/development/task/etl.load@v9")
    ]
    report = detect_drift(
        desired_state(),
        with_entity(snapshot, forged),
        managed_projects={"ml"},
        now=NOW,
        last_apply=LAST,
        known_manifests={"someone-elses-manifests"},
    )
    assert report.findings == ()


def test_stored_spec_edited_and_version_deleted() -> None:
    snapshot = snapshot_after_apply(desired_state())
    key = (EntityKind.TASK, "ml", "development", "etl.load", "v1")
    edited = replace(snapshot.entities[key], spec=task(retries=5).to_json())
    entities = {**snapshot.entities, key: edited}
    del entities[(EntityKind.WORKFLOW, "ml", "production", "etl.wf", "v1")]
    report = detect(replace(snapshot, entities=entities))
    assert kinds(report) == [
        ("entity_changed", "ml/development/task/etl.load@v1"),
        ("entity_missing", "ml/production/workflow/etl.wf@v1"),
    ]
    assert report.findings[0].before == {"retries": 0}
    assert report.findings[0].after == {"retries": 5}


def test_activation_switched_and_deactivated_by_hand() -> None:
    snapshot = snapshot_after_apply(desired_state())
    active = dict(snapshot.active_launch_plans)
    active[("ml", "development", "nightly")] = ActivationRecord(
        "ml", "development", "nightly", "v0", NOW, "manual"
    )
    del active[("ml", "production", "nightly")]
    report = detect(replace(snapshot, active_launch_plans=active))
    assert kinds(report) == [
        ("activation_changed", "ml/development/launch_plan/nightly"),
        ("activation_changed", "ml/production/launch_plan/nightly"),
    ]
    dev, prod = report.findings
    assert (dev.before, dev.after) == ({"active_version": "v1"}, {"active_version": "v0"})
    assert (prod.before, prod.after) == ({"active_version": "v1"}, {"active_version": None})
    assert "no longer fires" in prod.detail


def test_orphaned_schedule_and_unscheduled_manual_activation() -> None:
    snapshot = snapshot_after_apply(desired_state())
    lp = StoredEntity(
        EntityKind.LAUNCH_PLAN,
        "ml",
        "development",
        "hourly",
        "v1",
        "sha256:y",
        launch_plan("hourly").to_json(),
        APPLIED_AT,
        "bob",
        "manual",
    )
    snapshot = with_entity(snapshot, lp)
    active = {
        **snapshot.active_launch_plans,
        ("ml", "development", "hourly"): ActivationRecord("ml", "development", "hourly", "v1", NOW, "manual"),
        ("ml", "production", "adhoc"): ActivationRecord("ml", "production", "adhoc", "v1", NOW, "manual"),
    }
    report = detect(replace(snapshot, active_launch_plans=active))
    assert ("orphaned_schedule", "ml/development/launch_plan/hourly") in kinds(report)
    assert ("activation_changed", "ml/production/launch_plan/adhoc") in kinds(report)
    orphan = next(f for f in report.findings if f.kind is FindingKind.ORPHANED_SCHEDULE)
    assert orphan.before == {"active_version": None, "schedule": None}
    assert orphan.after == {"active_version": "v1", "schedule": "0 * * * * (UTC)"}


def test_project_and_domain_settings_changed() -> None:
    snapshot = snapshot_after_apply(desired_state())
    project = ProjectSpec(name="ml", description="edited by hand", domains=("development", "production"))
    settings = {
        ("ml", "production"): DomainSettingsSpec(
            project="ml",
            domain="production",
            requests=ResourcesSpec(cpu="8", mem="2Gi"),
            service_account="ml-runner",
        ),
        ("ml", "development"): DomainSettingsSpec(
            project="ml", domain="development", environment={"DEBUG": "1"}
        ),
    }
    report = detect(
        replace(
            snapshot, projects={"ml": ProjectRecord(project, "active", "manual")}, domain_settings=settings
        )
    )
    assert kinds(report) == [
        ("project_changed", "ml"),
        ("domain_settings_changed", "ml/development"),
        ("domain_settings_changed", "ml/production"),
    ]
    by_address = {f.address: f for f in report.findings}
    assert by_address["ml"].before == {"description": "ML pipelines"}
    assert by_address["ml/production"].before == {"requests.cpu": "1"}
    assert by_address["ml/production"].after == {"requests.cpu": "8"}
    assert by_address["ml/development"].after == {"environment.DEBUG": "1"}
    assert by_address["ml"].domain is None


def test_archived_or_missing_project() -> None:
    snapshot = snapshot_after_apply(desired_state())
    archived = replace(snapshot, projects={"ml": replace(snapshot.projects["ml"], state="archived")})
    assert detect(archived).findings[0].after == {"state": "archived"}
    missing = detect(replace(snapshot, projects={})).findings[0]
    assert missing.after is None and "gone" in missing.detail


def test_schedule_that_did_not_fire() -> None:
    snapshot = snapshot_after_apply(desired_state())
    now = APPLIED_AT + timedelta(hours=5, minutes=20)
    fired = hourly_fires(APPLIED_AT, now)
    ok = {("ml", "development", "nightly"): fired, ("ml", "production", "nightly"): fired}
    assert detect(snapshot, fires=ok, now=now).findings == ()
    stopped = {("ml", "development", "nightly"): fired[:2], ("ml", "production", "nightly"): fired}
    report = detect(snapshot, fires=stopped, now=now)
    assert kinds(report) == [("schedule_not_fired", "ml/development/launch_plan/nightly")]
    finding = report.findings[0]
    assert finding.before == {"last_fire": "2026-11-24T01:00:00+00:00", "missing_fires": 0}
    assert finding.after == {"last_fire": "2026-11-23T22:00:00+00:00", "missing_fires": 3}
    assert "controller" in finding.detail


def test_a_fire_within_the_grace_period_is_not_missed_yet() -> None:
    snapshot = snapshot_after_apply(desired_state())
    now = APPLIED_AT + timedelta(hours=1, minutes=2)  # due at 21:00, 2 minutes ago
    assert detect(snapshot, fires={}, now=now).findings == ()
    later = detect(snapshot, fires={}, now=now + timedelta(minutes=10))
    assert {f.kind for f in later.findings} == {FindingKind.SCHEDULE_NOT_FIRED}


def test_schedule_fires_not_checked_when_unavailable() -> None:
    report = detect_drift(
        desired_state(),
        snapshot_after_apply(desired_state()),
        managed_projects={"ml"},
        now=NOW + timedelta(days=1),
        last_apply=LAST,
    )
    assert report.findings == ()
    assert report.notes == ("Schedule fires were not checked.",)


def test_promoted_registrations_accept_any_applied_version() -> None:
    desired = desired_state()
    promoted = RegistrationSpec(
        project="ml",
        domain="production",
        kind=EntityKind.TASK,
        name="etl.load",
        version=None,
        promoted_from="development",
    )
    desired = desired.model_copy(update={"registrations": (*desired.registrations, promoted)})
    snapshot = snapshot_after_apply(desired_state())
    extra = StoredEntity(
        EntityKind.TASK,
        "ml",
        "production",
        "etl.load",
        "v2",
        "sha256:z",
        task().to_json(),
        APPLIED_AT,
        "alice",
        MANIFEST,
    )
    assert detect(with_entity(snapshot, extra), desired=desired).findings == ()


def test_no_apply_recorded_judges_nothing() -> None:
    report = detect_drift(None, snapshot_after_apply(desired_state()), managed_projects=(), now=NOW)
    assert report.findings == ()
    assert report.summary_line() == "No drift: no apply has been recorded in this registry yet."


# ---------------------------------------------------------------- cluster
def _ns(name: str = "ml-development") -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": name, "labels": {"app.kubernetes.io/managed-by": "flowctl"}},
    }


def _quota(cpu: str, name: str = "flowctl-quota") -> dict:
    return {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": {
            "name": name,
            "namespace": "ml-development",
            "labels": {"app.kubernetes.io/managed-by": "flowctl"},
        },
        "spec": {"hard": {"requests.cpu": cpu}},
    }


def _job(name: str, *, finished: bool = False) -> dict:
    status = {"conditions": [{"type": "Complete", "status": "True"}]} if finished else {"active": 1}
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": name,
            "namespace": "ml-development",
            "labels": {"app.kubernetes.io/managed-by": "flowctl", "flowctl.io/execution": "e1"},
        },
        "status": status,
    }


def test_cluster_objects_missing_changed_extra_and_orphaned_jobs() -> None:
    sa = {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {
            "name": "flowctl-task",
            "namespace": "ml-development",
            "labels": {"app.kubernetes.io/managed-by": "flowctl"},
        },
    }
    live_quota = _quota("32")
    live_quota["status"] = {"used": {}}
    view = ClusterView(
        namespaces=(
            ClusterNamespaceView(
                "ml",
                "development",
                desired=(_ns(), _quota("16"), sa),
                live=(_ns(), live_quota, _quota("1", "stray-quota")),
                jobs=(_job("live-job"), _job("orphan-job"), _job("done-job", finished=True)),
            ),
        ),
        registry_jobs=frozenset({"ml-development/live-job"}),
    )
    report = detect(snapshot_after_apply(desired_state()), cluster=view)
    assert kinds(report) == [
        ("orphaned_job", "ml/development/cluster/Job/orphan-job"),
        ("cluster_object_changed", "ml/development/cluster/ResourceQuota/flowctl-quota"),
        ("cluster_object_extra", "ml/development/cluster/ResourceQuota/stray-quota"),
        ("cluster_object_missing", "ml/development/cluster/ServiceAccount/flowctl-task"),
    ]
    changed = report.findings[1]
    assert (changed.before, changed.after) == (
        {'spec.hard["requests.cpu"]': "16"},
        {'spec.hard["requests.cpu"]': "32"},
    )
    assert report.cluster_checked


@pytest.mark.parametrize("label", [None, "someone-else"])
def test_unlabelled_cluster_objects_are_not_judged(label: str | None) -> None:
    stray = _quota("1", "theirs")
    stray["metadata"]["labels"] = {"app.kubernetes.io/managed-by": label} if label else {}
    view = ClusterView((ClusterNamespaceView("ml", "development", desired=(_ns(),), live=(_ns(), stray)),))
    assert detect(snapshot_after_apply(desired_state()), cluster=view).findings == ()


def test_baseline_layers_promotions_on_the_last_full_apply() -> None:
    from flowctl.plans.drift._gather import select_baseline
    from flowctl.spec import ActivationSpec, DesiredState
    from flowctl.state import ApplyRecord

    def record(serial: int, operation: str, desired: DesiredState) -> ApplyRecord:
        return ApplyRecord(
            serial,
            "l",
            APPLIED_AT + timedelta(minutes=serial),
            "alice",
            "h",
            None,
            operation,
            {},
            desired.to_json(),
            "",
        )

    full = desired_state()
    promoted = DesiredState(
        manifest_id="flowctl promote",
        activations=(ActivationSpec(project="ml", domain="production", name="nightly", version="v2"),),
    )
    other = desired_state("web").model_copy(update={"manifest_id": "web-manifests"})
    history = [
        record(9, "promote", promoted),
        record(8, "apply", other),
        record(7, "apply", full),
        record(5, "promote", promoted),
    ]
    baseline = select_baseline(history, manifest_id=MANIFEST)
    assert baseline.last_apply is not None and baseline.last_apply.serial == 9
    assert baseline.desired is not None
    acts = {(a.domain, a.name): a.version for a in baseline.desired.activations}
    assert acts == {("development", "nightly"): "v1", ("production", "nightly"): "v2"}
    assert select_baseline(history).managed_projects == frozenset({"web", "ml"})
    assert select_baseline([]).desired is None


def test_a_hand_switch_of_a_promoted_activation_shows_the_versions() -> None:
    from flowctl.spec import ActivationSpec

    base = desired_state()
    follow = ActivationSpec(project="ml", domain="production", name="nightly", version=None,
                            promoted_from="development")
    acts = (*(a for a in base.activations if a.domain != "production"), follow)
    snapshot = snapshot_after_apply(base)
    active = dict(snapshot.active_launch_plans)
    active[("ml", "production", "nightly")] = ActivationRecord("ml", "production", "nightly", "v0", NOW, "manual")
    report = detect(replace(snapshot, active_launch_plans=active),
                    desired=base.model_copy(update={"activations": acts}))
    (finding,) = report.findings
    assert (finding.before, finding.after) == ({"active_version": "v1"}, {"active_version": "v0"})
    assert "promoted from" not in str(finding.before)
    assert "the last apply had it follow development, which runs v1" in finding.detail
