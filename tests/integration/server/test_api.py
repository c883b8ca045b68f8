"""The JSON API against a real `flowctl server --with-controller` process, on SQLite and PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from server_support import DOMAIN, PROJECT, VERSION, ServerProcess, register_flows, sse_events

PD = f"/api/v1/projects/{PROJECT}/domains/{DOMAIN}"


@pytest.fixture(scope="module")
def server(module_registry_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One server per registry backend for this module (the tests use distinct executions)."""
    tmp = tmp_path_factory.mktemp("server")
    blobs = str(tmp / "blobs")
    register_flows(tmp, module_registry_url, blobs)
    process = ServerProcess(tmp, module_registry_url, blobs)
    yield process
    process.stop()


def test_registry_reads(server: ServerProcess) -> None:
    assert [p["name"] for p in server.get("/api/v1/projects")] == [PROJECT]
    assert server.get(f"/api/v1/projects/{PROJECT}")["domains"][0]["name"] == DOMAIN
    workflows = {w["name"]: w for w in server.get(f"{PD}/workflows")}
    assert {"flows.chain", "flows.composite", "flows.failing"} <= set(workflows)
    assert workflows["flows.chain"]["latest"]["version"] == VERSION
    versions = server.get(f"{PD}/launch_plans/flows.chain/versions")
    assert [v["version"] for v in versions] == [VERSION]
    task = server.get(f"{PD}/tasks/flows.add/versions/{VERSION}")
    assert task["spec"]["interface"]["inputs"][0]["name"] == "a" and task["digest"].startswith("sha256:")
    assert server.get(f"/api/v1/projects/{PROJECT}/activations")[0]["name"] == "hourly"
    schedules = server.get("/api/v1/schedules", project=PROJECT)
    assert schedules[0]["launch_plan"] == "hourly" and len(schedules[0]["next_fires"]) == 3
    assert schedules[0]["next_fires"][0].endswith(":00:00Z")  # "0 * * * *": on the hour


def test_workflow_graph_distinguishes_node_kinds(server: ServerProcess) -> None:
    composite = server.get(f"{PD}/workflows/flows.composite")
    kinds = {n["kind"] for n in composite["graph"]["nodes"]}
    assert kinds == {"workflow", "map", "task", "branch"}
    ids = {n["id"] for n in composite["graph"]["nodes"]}
    assert {(e["source"], e["target"]) for e in composite["graph"]["edges"]} and all(
        e["source"] in ids and e["target"] in ids for e in composite["graph"]["edges"])
    parent = server.get(f"{PD}/workflows/flows.parent")
    assert "launch_plan" in {n["kind"] for n in parent["graph"]["nodes"]}


def test_launch_watch_and_results(server: ServerProcess) -> None:
    name = server.launch("flows.chain", a="2", b="3")
    events = list(sse_events(server.client, f"{PD}/executions/{name}/events"))
    assert events[-1][0] == "end" and events[-1][1]["phase"] == "succeeded"
    assert [e for e, _ in events].count("update") >= 1
    doc = server.execution(name)
    assert doc["outputs"] == {"o0": 10}
    assert doc["execution"]["created_by"] == "anonymous@127.0.0.1"
    assert {n["id"]: n["phase"] for n in doc["nodes"]} == {"n0": "succeeded", "n1": "succeeded"}
    node = server.get(f"{PD}/executions/{name}/node", id="n0")
    assert node["inputs"] == {"a": 2, "b": 3} and node["outputs"] == {"o0": 5} and node["kind"] == "task"
    logs = server.get(f"{PD}/executions/{name}/logs", node="n0")
    assert "adding 2 and 3" in logs[0]["text"]


def test_failing_node_error_and_relaunch(server: ServerProcess) -> None:
    name = server.launch("flows.failing", x="7")
    doc = server.wait(name, {"failed"})
    node = server.get(f"{PD}/executions/{name}/node", id="n0")
    assert node["phase"] == "failed" and "boom 7" in node["error"]["message"]
    assert "ValueError: boom 7" in node["error"]["traceback"]
    assert doc["execution"]["error"]["message"]
    again = server.post(f"{PD}/executions/{name}/relaunch")
    assert again["name"] != name and again["launch_plan"] == "flows.failing"
    assert server.wait(again["name"], {"failed"})["inputs"] == {"x": 7}


def test_abort_and_recover(server: ServerProcess, tmp_path: Path) -> None:
    counter = tmp_path / "counter"
    name = server.launch("flows.long_running", x="1", counter=str(counter), seconds="60")
    server.wait_node(name, "n1", {"running"})
    server.post(f"{PD}/executions/{name}/abort", status=200)
    doc = server.wait(name, {"aborted"})
    assert {n["id"]: n["phase"] for n in doc["nodes"]} == {"n0": "succeeded", "n1": "aborted"}
    recovered = server.post(f"{PD}/executions/{name}/recover")
    server.post(f"{PD}/executions/{recovered['name']}/abort", status=200)
    server.wait(recovered["name"], {"aborted"})
    problem = server.client.post(f"{PD}/executions/{name}/abort")
    assert problem.status_code == 400 and "already finished" in problem.json()["title"]


def test_launch_validation_matches_the_cli(server: ServerProcess, tmp_path: Path) -> None:
    response = server.client.post(f"{PD}/launch_plans/flows.chain/executions",
                                  json={"inputs_text": {"a": "two", "c": "1"}})
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    titles = [e["title"] for e in problem["errors"]]
    cli = subprocess.run([sys.executable, "-m", "flowctl", "launch", PROJECT, DOMAIN, "flows.chain", "--a", "two",
                          "--c", "1"], env=server.env, capture_output=True, text=True, cwd=tmp_path)
    assert cli.returncode == 1
    assert titles and all(f"Error: {t}" in cli.stderr for t in titles)
    assert {"Unknown input `c`", "Missing required input `b` (int)"} <= set(titles)
    assert problem["where"] == f"{PROJECT}/{DOMAIN}/launch_plan/flows.chain@{VERSION}"
    assert "Traceback" not in response.text


def test_problems_name_the_address(server: ServerProcess) -> None:
    missing = server.client.get(f"{PD}/executions/nope")
    assert missing.status_code == 404
    assert missing.json()["where"] == f"{PROJECT}/{DOMAIN}/execution/nope"
    assert missing.json()["title"] == f"No execution `nope` in {PROJECT}/{DOMAIN}"
    version = server.client.get(f"{PD}/workflows/flows.chain/versions/v9")
    assert version.status_code == 404 and version.json()["where"].endswith("/workflow/flows.chain@v9")
    invalid = server.client.get("/api/v1/executions", params={"limit": "many"})
    assert invalid.status_code == 422 and invalid.json()["where"] == "query.limit"
    cursor = server.client.get("/api/v1/executions", params={"cursor": "garbage!"})
    assert cursor.status_code == 400 and "Invalid cursor" in cursor.json()["title"]
    unknown = server.client.get("/api/v1/nothing-here")
    assert unknown.status_code == 404 and unknown.headers["content-type"] == "application/problem+json"
    for response in (missing, version, invalid, cursor, unknown):
        assert "Traceback" not in response.text


def test_activation_goes_through_the_store_writer(server: ServerProcess) -> None:
    path = f"{PD}/launch_plans/flows.chain/activation"
    active = server.client.put(path, json={"version": VERSION})
    assert active.status_code == 200 and active.json()["managed_by"] == "manual"
    assert "flows.chain" in {a["name"] for a in server.get(f"/api/v1/projects/{PROJECT}/activations")}
    assert server.get(f"{PD}/launch_plans/flows.chain")["active_version"] == VERSION
    wrong = server.client.put(path, json={"version": "v9"})
    assert wrong.status_code == 404 and wrong.json()["where"] == f"{PROJECT}/{DOMAIN}/launch_plan/flows.chain@v9"
    assert server.client.delete(path).status_code == 204
    assert server.get(f"{PD}/launch_plans/flows.chain")["active_version"] is None
    assert server.client.delete(f"{PD}/launch_plans/nope/activation").status_code == 404


def test_openapi_document(server: ServerProcess) -> None:
    doc = server.get("/api/v1/openapi.json")
    assert doc["openapi"].startswith("3.")
    assert "/api/v1/projects/{project}/domains/{domain}/executions/{name}" in doc["paths"]
    assert not any(p.startswith("/console") for p in doc["paths"])


def test_spec_diff_between_versions(server: ServerProcess) -> None:
    from flowctl._address import EntityKind
    from flowctl.state import open_store

    store = open_store(server.registry)
    try:
        old = store.get_entity(EntityKind.WORKFLOW, PROJECT, DOMAIN, "flows.chain", VERSION)
        assert old is not None
        spec = {**old.spec, "failure_policy": "fail_after_executable_nodes_complete"}
        with store.transaction() as tx:
            tx.register(EntityKind.WORKFLOW, PROJECT, DOMAIN, "flows.chain", "v2", spec, "sha256:" + "0" * 64,
                        managed_by="tests", created_by="tests")
    finally:
        store.close()
    wf = server.get(f"{PD}/workflows/flows.chain", version="v2", diff_from=VERSION)
    assert wf["entity"]["version"] == "v2" and [v["version"] for v in wf["versions"]] == ["v2", VERSION]
    assert any("failure_policy" in line and "fail_after_executable_nodes_complete" in line
               for line in wf["diff"]["changes"])
    assert '+  "failure_policy": "fail_after_executable_nodes_complete",' in wf["diff"]["unified"]
