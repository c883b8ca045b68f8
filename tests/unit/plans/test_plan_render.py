"""Renderers: golden text and markdown (tests/unit/plans/golden/), JSON compared with dicts.

Regenerate the golden files with ``FLOWCTL_UPDATE_GOLDEN=1 pytest tests/unit/plans``.
"""

from __future__ import annotations

import os
from pathlib import Path

from plan_memstore import MemStore
from plan_specs import (
    FLOAT_LIST,
    NOW,
    desired,
    launch_plan,
    promote_workflow,
    register_workflow,
    scale_tasks,
    scale_workflow,
)

from flowctl._address import EntityKind
from flowctl.plans import (
    ApplyIdentity,
    Plan,
    apply_plan,
    compute_plan,
    render_plan_json,
    render_plan_markdown,
    render_plan_text,
)
from flowctl.plans._render_markdown import MAX_CHARS
from flowctl.spec import ActivationSpec, DomainSettingsSpec, RegistrationSpec, TaskSpec, TypeSpec

GOLDEN = Path(__file__).parent / "golden"
P = "my-ml-project"


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("FLOWCTL_UPDATE_GOLDEN"):
        path.write_text(text)
    assert text == path.read_text(), f"{name} differs; run with FLOWCTL_UPDATE_GOLDEN=1 to accept the new output"


def nightly(version: str, cron: str, name: str = "nightly_scale_lp") -> tuple[RegistrationSpec, ActivationSpec]:
    reg = RegistrationSpec(project=P, domain="development", kind=EntityKind.LAUNCH_PLAN, name=name,
                           version=version, spec=launch_plan(name, scale_workflow().name, cron=cron,
                                                             tz="Europe/Zurich", defaults={"values": [1.0, 2.0]}))
    return reg, ActivationSpec(project=P, domain="development", name=name, version=version)


def scenario() -> Plan:
    """Every action: register (new version, promoted), supersede with a safe finding, activation, settings
    change, deactivation, a schedule forecast and a warning."""
    store = MemStore()
    lp, act = nightly("v1", "0 2 * * *")
    weekly, weekly_act = nightly("v1", "@weekly", "weekly_scale_lp")
    first = desired(register_workflow(P, "development", scale_workflow(), scale_tasks(), "v1"),
                    settings=(DomainSettingsSpec(project=P, domain="development", service_account="dev-sa"),),
                    extra_regs=[lp, weekly], extra_acts=[act, weekly_act])
    apply_plan(compute_plan(first, store.snapshot(), now=NOW), store, identity=ApplyIdentity("a", "h", "a@h:1"), now=NOW)
    wf2 = scale_workflow(inputs={"values": FLOAT_LIST, "scale": TypeSpec(kind="float")}, optional=("scale",))
    lp2, act2 = nightly("v2", "30 1 * * *")
    second = desired(register_workflow(P, "development", wf2, scale_tasks("v2"), "v2"),
                     promote_workflow(P, "production", wf2.name, "development"),
                     promote_workflow(P, "staging", "flows.other", "development"),
                     settings=(DomainSettingsSpec(project=P, domain="development", service_account="trainer",
                                                  environment={"LOG_LEVEL": "debug"}),),
                     extra_regs=[lp2], extra_acts=[act2])
    return compute_plan(second, store.snapshot(), now=NOW)


def test_text_golden():
    check_golden("plan.txt", render_plan_text(render_plan_json(scenario())))


def test_markdown_golden():
    check_golden("plan.md", render_plan_markdown(render_plan_json(scenario())))


def test_no_changes_text():
    plan = compute_plan(desired(), MemStore().snapshot(), now=NOW)
    plan = plan.model_copy(update={"changes": ()})
    assert render_plan_text(render_plan_json(plan)) == "No changes. The registry matches your manifests.\n"


def test_json_document():
    doc = render_plan_json(compute_plan(desired(register_workflow(P, "development", scale_workflow(), [], "v1")),
                                        MemStore().snapshot(), now=NOW))
    wf = scale_workflow()
    assert {k: v for k, v in doc.items() if k != "changes"} == {
        "format_version": "1.2",
        "mode": "normal",
        "registry": {"lineage": "mem-lineage", "serial": 0},
        "manifest": {"id": "manifests:.", "version_source": "explicit"},
        "created_at": "2026-03-27T12:00:00+00:00",
        "targets": [],
        "summary": {"register": 3, "supersede": 0, "change": 1, "deactivate": 0,
                    "text": "Plan: 3 to register, 1 to change, 0 to deactivate.", "has_changes": True, "breaking": 0,
                    "promotions_held": 0},
        "legend": [{"action": "register", "symbol": "+", "meaning": "register"},
                   {"action": "change", "symbol": "~", "meaning": "change in place"}],
        "schedule_forecasts": [],
        "compatibility": [],
        "warnings": [],
        "promotions": [],
    }
    project, workflow, default_lp, activation = doc["changes"]
    assert project == {
        "address": P, "object_type": "project", "action": "register", "symbol": "+",
        "reason": "register_because_new_project", "before": None,
        "after": {"name": P, "description": "", "domains": ["development", "staging", "production"], "labels": {}},
        "attributes": [], "unchanged_attributes": 0, "promoted_from": None, "note": "", "source": "manifest.py:1",
        "replaces": None,
    }
    assert workflow["address"] == f"{P}/development/workflow/{wf.name}@v1"
    assert workflow["after"] == {"digest": wf.digest(), "spec": wf.to_json()}
    assert workflow["reason"] == "register_because_new_entity"
    assert default_lp["object_type"] == "launch_plan"
    assert activation == {
        "address": f"{P}/development/launch_plan/{wf.name}", "object_type": "activation", "action": "change",
        "symbol": "~", "reason": "change_because_activated", "before": None,
        "after": {"active_version": "v1", "schedule": None}, "attributes": [], "unchanged_attributes": 0,
        "promoted_from": None, "note": "", "source": "manifest.py:1", "replaces": None,
    }


def test_markdown_stays_under_the_comment_limit():
    regs = []
    for i in range(400):
        regs += register_workflow(P, f"d{i % 40}", scale_workflow().model_copy(update={"name": f"wf_{i}"}),
                                  scale_tasks(), "v1")[0]
    plan = compute_plan(desired(extra_regs=regs), MemStore().snapshot(), now=NOW)
    text = render_plan_markdown(render_plan_json(plan))
    assert len(text) < MAX_CHARS
    assert "left out to keep this comment under 65,000 characters" in text
    assert text.count("<details>") == text.count("</details>")


def test_exported_names():
    import flowctl.plans

    assert {"compute_plan", "apply_plan", "Plan", "Change", "Action", "Reason", "render_plan_json",
            "render_plan_text", "render_plan_markdown", "save_plan", "load_plan"} <= set(flowctl.plans.__all__)


def test_a_container_task_shows_its_type_image_and_command() -> None:
    resize = TaskSpec(
        name="resize", task_type="container", interface=scale_tasks()[0].interface,
        config={"image": "ghcr.io/acme/resize:1.2", "command": ["resize", "{{ .inputs.values }}"], "arguments": []},
    )
    wf = scale_workflow()
    state = desired(register_workflow(P, "development", wf, [resize], "v1"))
    text = render_plan_text(render_plan_json(compute_plan(state, MemStore().snapshot(), now=NOW)))
    rows = {line.split("=")[0].strip(" +"): line.split("=", 1)[1].strip() for line in text.splitlines() if " = " in line}
    assert rows["task_type"] == '"container"'
    assert rows["config.image"] == '"ghcr.io/acme/resize:1.2"'
