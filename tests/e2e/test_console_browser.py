"""The web console in a real browser: Playwright driving Debian's chromium against
`flowctl server --with-controller` on a registry that `flowctl apply` filled from examples/my_ml_project.

Every page is saved as a screenshot under ``artifacts/screenshots/`` (or $FLOWCTL_SCREENSHOTS): the
CI artifact a person looks at. Skipped only when chromium or playwright is missing and CI is not set.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "integration" / "server"))
from server_support import ServerProcess, register_flows

REPO = Path(__file__).parents[2]
CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(os.environ.get("FLOWCTL_SCREENSHOTS", REPO / "artifacts" / "screenshots"))
ML = "/console/projects/my-ml-project"
PROJ = "/console/projects/proj/domains/development"
API = "/api/v1/projects/proj/domains/development"
MAX_FIRST_LOAD = 300 * 1024


def _require_browser() -> Any:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("playwright is not installed in CI (it is in the dev extra)")
        pytest.skip("playwright is not installed")
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed in CI (apt-get install -y chromium)")
        pytest.skip("chromium is not installed (apt-get install -y chromium) and CI is not set")
    return sync_playwright


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    tmp = tmp_path_factory.mktemp("console")
    registry, blobs = f"sqlite:///{tmp / '.flowctl' / 'registry.db'}", str(tmp / ".flowctl" / "blobs")
    shutil.copytree(REPO / "examples" / "my_ml_project", tmp / "my_ml_project")
    env = {**os.environ, "FLOWCTL_REGISTRY": registry, "FLOWCTL_BLOB_STORE": blobs, "NO_COLOR": "1"}

    def cli(*args: str) -> None:
        subprocess.run([sys.executable, "-m", "flowctl", *args], cwd=tmp, env=env, check=True, capture_output=True,
                       timeout=180)

    # The promotion chain one step per apply: development, then staging; a success in staging and an
    # approval let production follow (its gates); then development moves on to v2.
    cli("apply", "my_ml_project", "--version", "v1", "--auto-approve")
    cli("apply", "my_ml_project", "--version", "v1", "--auto-approve")
    register_flows(tmp, registry, blobs)
    process = ServerProcess(tmp, registry, blobs, cwd=tmp)
    cli("launch", "my-ml-project", "staging", "flows.training.training_wf", "--values", "[1.0,2.0]", "--wait")
    cli("promote", "my-ml-project", "staging", "production", "--entity", "flows.training.training_wf", "--approve",
        "--auto-approve")
    cli("apply", "my_ml_project", "--version", "v2", "--auto-approve")
    yield process
    process.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_playwright = _require_browser()
    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        yield instance
        instance.close()


@pytest.fixture
def page(browser: Any, server: ServerProcess) -> Iterator[Any]:
    context = browser.new_context(base_url=server.url, viewport={"width": 1360, "height": 900})
    context.set_default_timeout(30_000)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    yield tab
    context.close()
    assert errors == [], f"JavaScript errors: {errors}"


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_overview_matrix_after_apply(page: Any) -> None:
    page.goto("/console/")
    shot(page, "00-projects")
    page.get_by_role("link", name="my-ml-project").first.click()
    page.wait_for_url(f"**{ML}")
    shot(page, "01-projects-overview")
    row = page.locator("tr", has=page.locator("td.name", has_text="nightly_training_lp"))
    cells = row.locator("td")
    assert cells.count() == 4  # name + development, staging, production
    development, staging, production = (cells.nth(i).inner_text() for i in (1, 2, 3))
    assert "v2" in development and "active" in development and "next in" in development
    assert "not registered" in staging
    assert "promoted from staging" in production and "cron" in production
    training = page.locator("tr", has=page.locator("td.name", has_text="flows.training.training_wf")).first
    assert "in sync" in training.locator("td").nth(3).inner_text()
    assert "registered" in training.locator("td").nth(1).inner_text() and "by " in development


def test_first_page_load_is_small(page: Any) -> None:
    sizes: list[int] = []
    page.on("requestfinished", lambda request: sizes.append(request.sizes()["responseBodySize"]
                                                            + request.sizes()["responseHeadersSize"]))
    page.goto(ML, wait_until="networkidle")
    assert 0 < sum(sizes) <= MAX_FIRST_LOAD, sizes


def test_launch_from_the_form_and_watch_it_succeed_live(page: Any, server: ServerProcess) -> None:
    page.goto(f"{PROJ}/launch_plans/flows.chain")
    page.fill("[name=a]", "2")
    page.fill("[name=b]", "oops")
    page.click("button[type=submit]")
    problem = page.locator("#problem")
    problem.wait_for(state="visible")
    assert "'oops' is not valid JSON for `int`" in problem.inner_text()  # as `flowctl launch -i b=oops` says
    shot(page, "03-launch-form-error")
    page.fill("[name=b]", "3")
    page.click("button[type=submit]")
    page.wait_for_url(f"**{PROJ}/executions/*")
    page.evaluate("window.__stayed = true")
    page.locator("h1 [data-phase-badge].succeeded").wait_for()
    page.locator("[data-outputs]").wait_for()
    assert page.evaluate("window.__stayed") is True  # updated live, never reloaded
    assert '"o0": 10' in page.locator("[data-outputs]").inner_text()
    assert page.locator("svg.dag .node.p-succeeded").count() == 2
    shot(page, "04-execution-succeeded")


def test_fixed_inputs_are_locked(page: Any) -> None:
    page.goto(f"{ML}/domains/production/launch_plans/nightly_training_lp")
    epochs = page.locator("[name=epochs]")
    assert epochs.is_disabled() and epochs.input_value() == "10"
    assert page.locator("[name=learning_rate]").input_value() == "0.05"
    assert page.locator("[name=values]").input_value() == "[1.0, 2.0, 3.0, 4.0, 5.0]"
    shot(page, "02-launch-form")


def test_failing_node_shows_error_and_logs(page: Any, server: ServerProcess) -> None:
    name = server.launch("flows.failing", x="7")
    server.wait(name, {"failed"})
    page.goto(f"{PROJ}/executions/{name}")
    assert page.locator("svg.dag .node.p-failed").count() == 1
    page.click("svg.dag .node[data-node=n0]")
    panel = page.locator("#panel")
    panel.locator("[data-traceback]").wait_for()
    assert "ValueError: boom 7" in panel.locator("[data-traceback]").inner_text()
    assert "boom 7" in panel.locator("[data-node-error]").inner_text()
    logs = panel.locator("[data-log-text]")
    logs.wait_for()
    assert "boom 7" in logs.inner_text()
    # attempts are numbered from 1 wherever they are shown, as in the CLI
    assert panel.locator("details[data-logs] summary").first.inner_text().startswith("attempt 1")
    shot(page, "05-failed-node-panel")


def test_abort_button(page: Any, server: ServerProcess, tmp_path: Path) -> None:
    name = server.launch("flows.long_running", x="1", counter=str(tmp_path / "c"), seconds="60")
    server.wait_node(name, "n1", {"running"})
    page.goto(f"{PROJ}/executions/{name}")
    page.on("dialog", lambda dialog: dialog.accept())
    page.locator("svg.dag .node.p-running").wait_for()
    page.get_by_role("button", name="Abort").click()
    page.locator("h1 [data-phase-badge].aborted").wait_for()
    assert server.execution(name)["execution"]["phase"] == "aborted"
    recover = page.get_by_role("button", name="Recover")
    recover.wait_for()
    page.wait_for_function("!document.querySelector('[data-recover]').disabled")
    assert page.get_by_role("button", name="Abort").is_disabled()
    shot(page, "06-execution-aborted")


def test_seed_workflow_dag(page: Any, server: ServerProcess) -> None:
    page.goto(f"{ML}/domains/development/workflows/flows.scaling.standard_scale_workflow")
    nodes = page.locator("svg.dag .node")
    assert nodes.count() == 3
    assert [nodes.nth(i).locator("text").first.text_content() for i in range(3)] == [
        "mean", "standard_deviation", "standard_scale"]
    assert page.locator("svg.dag .edge").count() == 3  # mean -> deviation, mean -> scale, deviation -> scale
    assert page.locator("td.mono", has_text="values").count() >= 1
    shot(page, "07-seed-workflow")
    page.goto(f"{ML}/domains/development/workflows/flows.scaling.standard_scale_workflow?version=v2&diff_from=v1")
    assert "Changes from" in page.locator("main").inner_text()
    shot(page, "07b-workflow-compare")
    page.goto(f"{PROJ}/workflows/flows.composite")
    kinds = {page.locator(f"svg.dag .node.k-{kind}").count() > 0 for kind in ("task", "map", "workflow", "branch")}
    assert kinds == {True}
    shot(page, "08-workflow-node-kinds")


def test_map_progress_and_remaining_pages(page: Any, server: ServerProcess) -> None:
    name = server.launch("flows.composite", xs="[1, 2, 3]", a="1")
    server.wait(name, {"succeeded"})
    page.goto(f"{PROJ}/executions/{name}")
    assert "3 of 3 items succeeded" in page.locator(".gantt").inner_text()
    page.click("svg.dag .node.k-map")
    page.locator("#panel", has_text="3 of 3 items succeeded").wait_for()
    shot(page, "09-execution-map")
    pages = {
        "10-executions": "/console/executions?project=proj",
        "11-schedules": "/console/schedules",
        "12-apply-history": "/console/applies",
        "13-drift": "/console/drift",
        "15-not-found": "/console/projects/nope",
    }
    for label, path in pages.items():
        page.goto(path)
        shot(page, label)
    assert page.locator("h1").inner_text().startswith("404")
    page.goto("/console/applies")
    page.locator("a.mono").first.click()
    assert "Plan:" in page.locator(".plan").inner_text() or "register" in page.locator(".plan").inner_text()
    shot(page, "14-apply")
    page.goto("/console/executions?phase=failed")
    assert page.locator("td .phase:not(.failed)").count() == 0


# ---------------------------------------------------------------- sign-in and access control
@pytest.fixture(scope="module")
def signin_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, dict[str, str]]]:
    """A server with access control on (no controller), and a viewer, an operator and an admin token."""
    from flowctl.state._auth import open_auth_store

    tmp = tmp_path_factory.mktemp("signin")
    registry, blobs = f"sqlite:///{tmp / 'registry.db'}", str(tmp / "blobs")
    register_flows(tmp, registry, blobs)
    auth = open_auth_store(registry)
    tokens = {role: auth.create_token(f"{role}-proj", role=role, project=None if role == "admin" else "proj",
                                      domain=None, expires_at=None, created_by="tests")[1]
              for role in ("viewer", "operator", "admin")}
    auth.close()
    process = ServerProcess(tmp, registry, blobs, controller=False,
                            env={"FLOWCTL_SERVER_AUTH": "true", "FLOWCTL_SESSION_SECRET": "browser-tests"})
    yield process, tokens
    process.stop()


def sign_in(page: Any, token: str) -> None:
    page.goto("/console/executions")  # not signed in: sent to the sign-in page, and back after it
    page.locator("#token-signin").wait_for()
    page.fill("input[name=token]", token)
    page.get_by_role("button", name="Sign in with a token").click()
    page.wait_for_url("**/console/executions")


def test_sign_in_a_denied_action_then_an_allowed_one(browser: Any, signin_server: tuple[ServerProcess, dict[str, str]]
                                                    ) -> None:
    server, tokens = signin_server
    name = server.client.post(f"{API}/launch_plans/flows.chain/executions", json={"inputs_text": {"a": "1", "b": "2"}},
                              headers={"Authorization": f"Bearer {tokens['operator']}"}).json()["name"]
    context = browser.new_context(base_url=server.url, viewport={"width": 1360, "height": 900})
    context.set_default_timeout(30_000)
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto("/console/")
    page.locator("#token-signin").wait_for()
    shot(page, "16-sign-in")
    page.fill("input[name=token]", "fct_000000000000_" + "x" * 43)
    page.get_by_role("button", name="Sign in with a token").click()
    assert "Invalid bearer token" in page.locator("#signin-error").inner_text()

    sign_in(page, tokens["viewer"])
    assert page.locator("#identity").inner_text() == "token:viewer-proj"
    page.goto(f"{PROJ}/executions/{name}")
    page.get_by_role("button", name="Abort").click()
    problem = page.locator("#problem")
    problem.wait_for()
    assert "token:viewer-proj may not operate on proj/development" in problem.inner_text()
    assert "operator role" in problem.inner_text()
    shot(page, "17-denied-action")

    page.get_by_role("button", name="Sign out").click()
    page.locator("#token-signin").wait_for()
    sign_in(page, tokens["operator"])
    page.goto(f"{PROJ}/executions/{name}")
    page.get_by_role("button", name="Abort").click()
    page.wait_for_load_state("load")
    page.wait_for_function("document.querySelector('#problem') && document.querySelector('#problem').hidden")
    assert server.client.get(f"{API}/executions/{name}", headers={"Authorization": f"Bearer {tokens['admin']}"}
                             ).json()["execution"]["abort_requested"] is True

    page.get_by_role("button", name="Sign out").click()
    sign_in(page, tokens["admin"])
    page.goto("/console/audit")
    row = page.locator("#audit tbody tr").first
    assert "token:operator-proj" in row.inner_text() and "execution.abort" in row.inner_text()
    shot(page, "18-audit")
    context.close()
