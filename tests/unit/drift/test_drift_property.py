"""Property: right after a clean apply of any desired state, there is no drift."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from drift_specs import MANIFEST, launch_plan, reg, snapshot_after_apply, task, workflow
from hypothesis import given, settings
from hypothesis import strategies as st

from flowctl.plans.drift import LastApply, detect_drift
from flowctl.plans.drift._gather import managed_projects_of
from flowctl.plans.drift._schedules import due_fires
from flowctl.spec import (
    ActivationSpec,
    DesiredState,
    DomainSettingsSpec,
    LaunchPlanSpec,
    ProjectSpec,
    ResourcesSpec,
    ScheduleSpec,
)

NAMES = st.sampled_from(["a", "b", "etl.load", "train"])
VERSIONS = st.sampled_from(["v1", "v2", "3f2a9c"])
DOMAINS = ("development", "staging", "production")
SCHEDULES = st.one_of(
    st.none(),
    st.sampled_from(["0 * * * *", "*/15 * * * *", "@daily", "30 2 * * 1-5"]).map(
        lambda c: ScheduleSpec(kind="cron", cron_expression=c, timezone="Europe/Zurich")
    ),
    st.integers(min_value=60, max_value=7200).map(lambda s: ScheduleSpec(kind="rate", rate_seconds=s)),
)


@st.composite
def desired_states(draw: st.DrawFn) -> DesiredState:
    projects = draw(st.lists(st.sampled_from(["ml", "web", "data"]), min_size=1, max_size=2, unique=True))
    regs, acts, settings_ = [], [], []
    for project in projects:
        domains = draw(st.lists(st.sampled_from(DOMAINS), min_size=1, max_size=3, unique=True))
        for domain in domains:
            for name in draw(st.lists(NAMES, max_size=3, unique=True)):
                regs.append(reg(task(name, draw(st.integers(0, 3))), domain, draw(VERSIONS), project))
            regs.append(reg(workflow(), domain, "v1", project))
            for name in draw(st.lists(NAMES, max_size=2, unique=True)):
                lp = launch_plan(name).model_copy(update={"schedule": draw(SCHEDULES)})
                assert isinstance(lp, LaunchPlanSpec)
                version = draw(VERSIONS)
                regs.append(reg(lp, domain, version, project))
                active = draw(st.booleans())
                acts.append(
                    ActivationSpec(
                        project=project,
                        domain=domain,
                        name=name,
                        version=version if active else None,
                        active=active,
                    )
                )
            if draw(st.booleans()):
                settings_.append(
                    DomainSettingsSpec(
                        project=project,
                        domain=domain,
                        requests=ResourcesSpec(cpu=draw(st.sampled_from(["1", "500m"]))),
                        environment=draw(st.dictionaries(NAMES, NAMES, max_size=2)),
                    )
                )
    return DesiredState(
        manifest_id=MANIFEST,
        projects=tuple(ProjectSpec(name=p, domains=DOMAINS) for p in projects),
        domain_settings=tuple(settings_),
        registrations=tuple(regs),
        activations=tuple(acts),
    )


@settings(max_examples=30, deadline=None)
@given(desired=desired_states(), minutes_later=st.integers(min_value=0, max_value=60 * 24 * 3))
def test_no_drift_right_after_a_clean_apply(desired: DesiredState, minutes_later: int) -> None:
    applied_at = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # a DST change in Europe/Zurich follows
    snapshot = snapshot_after_apply(desired, applied_at=applied_at)
    now = applied_at + timedelta(minutes=minutes_later)
    fires = {}
    for key, activation in snapshot.active_launch_plans.items():
        spec = snapshot.entities[("launch_plan", *key, activation.version)].spec  # type: ignore[index]
        if spec.get("schedule"):
            fires[key] = due_fires(
                ScheduleSpec.model_validate(spec["schedule"]), activation.activated_at, now, limit=10**6
            )
    report = detect_drift(
        desired,
        snapshot,
        managed_projects=managed_projects_of(desired),
        now=now,
        last_apply=LastApply(1, applied_at, "ci", "apply", MANIFEST),
        schedule_fires=fires,
    )
    assert report.findings == ()
