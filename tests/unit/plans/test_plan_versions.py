"""A new version in a plan says what it changes against the version it replaces."""

from __future__ import annotations

from plan_memstore import MemStore
from plan_specs import FLOAT_LIST, NOW, desired, register_workflow, scale_tasks, scale_workflow

from flowctl.plans import ApplyIdentity, apply_plan, compute_plan, render_plan_json, render_plan_text
from flowctl.spec import ResourcesSpec, TypeSpec

P = "my-ml-project"
ME = ApplyIdentity("me", "host", "me@host:1")


def test_a_new_version_names_the_replaced_version_and_what_changed() -> None:
    store = MemStore()
    first = desired(register_workflow(P, "development", scale_workflow(), scale_tasks("v1"), "v1"))
    apply_plan(compute_plan(first, store.snapshot(), now=NOW), store, identity=ME, now=NOW)
    tasks = scale_tasks("v1")
    tasks[0] = tasks[0].model_copy(update={"requests": ResourcesSpec(cpu="2"), "container_image": "ml:2"})
    wider = scale_workflow(inputs={"values": FLOAT_LIST, "n": TypeSpec(kind="int")}, optional=("n",))
    plan = compute_plan(desired(register_workflow(P, "development", wider, tasks, "v2")), store.snapshot(), now=NOW)
    changes = {c.address: c for c in plan.visible_changes}

    mean = changes[f"{P}/development/task/flows.mean@v2"].replaces
    assert mean is not None and mean.version == "v1"
    assert mean.aspects == ("resources", "image")
    assert [(a.path, a.before, a.after) for a in mean.attributes] == [
        ("container_image", None, "ml:2"), ("requests.cpu", None, "2")]

    same = changes[f"{P}/development/task/flows.standard_deviation@v2"].replaces
    assert same is not None and same.version == "v1" and same.aspects == () and same.attributes == ()

    workflow = changes[f"{P}/development/workflow/flows.standard_scale_workflow@v2"].replaces
    assert workflow is not None and workflow.aspects == ("interface",)
    assert workflow.interface_before is not None

    text = render_plan_text(render_plan_json(plan))
    assert (f"# {P}/development/task/flows.mean@v2 will be registered "
            "(new version, changes against v1: resources, image)") in text
    assert '+ requests.cpu    = "2"' in text and '+ container_image = "ml:2"' in text
    assert f"# {P}/development/task/flows.standard_deviation@v2 will be registered " \
        "(new version, same content as v1)" in text
    assert '~ interface = "(values: list[float]) -> (o0: float)" -> ' \
        '"(values: list[float], n: int = ...) -> (o0: float)"' in text


def test_a_first_version_replaces_nothing() -> None:
    plan = compute_plan(desired(register_workflow(P, "development", scale_workflow(), scale_tasks(), "v1")),
                        MemStore().snapshot(), now=NOW)
    assert all(c.replaces is None for c in plan.visible_changes)
    assert all(item["replaces"] is None for item in render_plan_json(plan)["changes"])


def test_a_reordered_unordered_list_still_counts_as_a_change() -> None:
    from flowctl.spec import SecretSpec

    store = MemStore()
    tasks = scale_tasks("v1")
    secrets = (SecretSpec(group="a"), SecretSpec(group="b"))
    tasks[0] = tasks[0].model_copy(update={"secret_requests": secrets})
    first = desired(register_workflow(P, "development", scale_workflow(), tasks, "v1"))
    apply_plan(compute_plan(first, store.snapshot(), now=NOW), store, identity=ME, now=NOW)
    tasks[0] = tasks[0].model_copy(update={"secret_requests": secrets[::-1]})
    plan = compute_plan(desired(register_workflow(P, "development", scale_workflow(), tasks, "v2")),
                        store.snapshot(), now=NOW)
    change = next(c for c in plan.visible_changes if c.address == f"{P}/development/task/flows.mean@v2")
    assert change.replaces is not None and change.replaces.aspects == ("content",)
    assert change.replaces.attributes == ()
