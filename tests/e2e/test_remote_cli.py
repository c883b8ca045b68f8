"""The CLI through `flowctl server`: with only FLOWCTL_SERVER set (no registry the CLI can open),
plan, apply, get, launch, executions and drift work as on the database, with the same guarantees:
the stale-plan refusal, the lock, and the exit codes (``--detailed-exitcode`` included)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "integration" / "server"))
from server_support import ServerProcess  # noqa: E402

from flowctl.state import LockInfo, open_store  # noqa: E402
from flowctl.state._open import create_registry  # noqa: E402

EXAMPLE = ROOT / "examples" / "my_ml_project"
SCALE = "flows.scaling.standard_scale_workflow"


@pytest.fixture
def setup(registry_url: str, tmp_path: Path,
          request: pytest.FixtureRequest) -> Iterator[tuple[ServerProcess, Path, dict[str, str]]]:
    """A server (with a controller unless the test is marked ``no_controller``) and a copy of the example."""
    project = tmp_path / "manifests"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns("__pycache__", ".flowctl"))
    blobs = str(tmp_path / "blobs")  # the server's: the CLI uploads code bundles to the server
    create_registry(registry_url)
    server = ServerProcess(tmp_path, registry_url, blobs,
                           controller=request.node.get_closest_marker("no_controller") is None)
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLOWCTL_")}
    env.update({"FLOWCTL_SERVER": server.url, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"})
    yield server, project, env
    server.stop()


def flowctl(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "flowctl", *args], env=env, cwd=cwd, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=180)


def clean(result: subprocess.CompletedProcess[str], code: int) -> str:
    assert result.returncode == code, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    assert "Traceback" not in result.stderr, result.stderr
    return result.stdout


def test_plan_apply_launch_and_drift_through_the_server(setup: tuple[ServerProcess, Path, dict[str, str]],
                                                        registry_url: str) -> None:
    server, project, env = setup
    first = flowctl("plan", ".", "--version", "v1", "--detailed-exitcode", "--out", "v1.plan", env=env, cwd=project)
    assert "Plan: 14 to register, 3 to change, 0 to deactivate." in clean(first, 2)
    clean(flowctl("plan", ".", "--version", "v1", "--out", "also.plan", env=env, cwd=project), 0)

    applied = flowctl("apply", "v1.plan", "--auto-approve", env=env, cwd=project)
    assert "Apply complete! 14 registered, 3 changed, 0 deactivated." in clean(applied, 0)
    stale = flowctl("apply", "also.plan", "--auto-approve", env=env, cwd=project)
    clean(stale, 1)
    assert "Plan is stale: the registry changed after this plan was made" in stale.stderr
    assert "registered since the plan was made" in stale.stderr

    staging = flowctl("apply", ".", "--version", "v1", "--auto-approve", env=env, cwd=project)
    assert "Apply complete! 10 registered, 2 changed, 0 deactivated." in clean(staging, 0)
    again = flowctl("plan", ".", "--version", "v1", "--detailed-exitcode", env=env, cwd=project)
    assert clean(again, 0).endswith("No changes. The registry matches your manifests.\n")

    workflows = json.loads(clean(flowctl("get", "workflows", "-o", "json", "-d", "development", env=env,
                                         cwd=project), 0))
    assert {w["name"] for w in workflows["items"]} >= {SCALE, "flows.training.training_wf"}
    history = server.get("/api/v1/store/applies")["items"]
    assert history[0]["operation"] == "apply" and history[0]["plan"]

    launched = flowctl("launch", "my-ml-project", "development", SCALE, "--values", "[1.0, 2.0, 3.0]", "--wait",
                       env=env, cwd=project)
    assert "o0: [-0.7071067811865475, 0.0, 0.7071067811865475]" in clean(launched, 0)
    listed = flowctl("executions", "list", "-p", "my-ml-project", "--json", env=env, cwd=project)
    (execution,) = json.loads(clean(listed, 0))["executions"]
    assert execution["phase"] == "succeeded"
    shown = flowctl("executions", "get", execution["name"], "--json", env=env, cwd=project)
    assert json.loads(clean(shown, 0))["outputs"] == {"o0": [-0.7071067811865475, 0.0, 0.7071067811865475]}
    table = clean(flowctl("executions", "show", execution["name"], env=env, cwd=project), 0)
    assert "succeeded" in table and "n0" in table, table
    logs = clean(flowctl("executions", "logs", execution["name"], env=env, cwd=project), 0)
    assert logs.count("==> ") == 3 and "==> n0 attempt 1 (succeeded) <==" in logs, logs
    assert "(no logs" not in logs, logs  # the stored logs were read (these tasks print nothing)
    bad = flowctl("launch", "my-ml-project", "development", SCALE, "--values", "nope", env=env, cwd=project)
    clean(bad, 1)
    assert "values" in bad.stderr

    clean(flowctl("drift", env=env, cwd=project), 0)
    assert not (project / ".flowctl").exists(), "the CLI never opened a registry of its own"

    # the lock: an apply run directly on the database holds it; the apply through the server is refused
    direct = open_store(registry_url, create=False)
    try:
        with direct.lock(LockInfo("apply", "alice@laptop:42", "by hand")):
            held = flowctl("apply", ".", "--version", "v2", "--auto-approve", env=env, cwd=project)
            clean(held, 1)
            assert "The registry is locked by alice@laptop:42 for `apply`" in held.stderr, held.stderr
    finally:
        direct.close()
    applied = flowctl("apply", ".", "--version", "v2", "--auto-approve", env=env, cwd=project)
    assert "Apply complete!" in clean(applied, 0)


def test_an_unreachable_server_is_one_clear_error(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLOWCTL_")}
    env.update({"FLOWCTL_SERVER": "http://127.0.0.1:9", "PYTHONPATH": str(ROOT)})
    result = flowctl("get", "projects", env=env, cwd=tmp_path)
    clean(result, 1)
    assert "Cannot reach the flowctl server at http://127.0.0.1:9" in result.stderr
    assert "FLOWCTL_SERVER" in result.stderr


@pytest.mark.no_controller
def test_promote_run_remote_and_execution_control_through_the_server(
        setup: tuple[ServerProcess, Path, dict[str, str]]) -> None:
    _server, project, env = setup
    clean(flowctl("apply", ".", "--version", "v1", "--auto-approve", env=env, cwd=project), 0)
    promoted = flowctl("promote", "my-ml-project", "development", "staging", "--auto-approve", env=env, cwd=project)
    assert "Apply complete!" in clean(promoted, 0)
    staged = json.loads(clean(flowctl("get", "launchplans", "-d", "staging", "-o", "json", env=env, cwd=project), 0))
    assert {lp["name"] for lp in staged["items"] if lp["active"]} >= {"flows.training.training_wf"}
    gated = flowctl("promote", "my-ml-project", "staging", "production", "--approve", "--auto-approve", env=env,
                    cwd=project)
    clean(gated, 4)  # a gate holds it (no succeeded execution in staging yet): nothing was promoted
    assert "Approved: flows.training.training_wf@v1 for my-ml-project/production" in gated.stderr
    assert "Nothing was promoted yet" in gated.stderr or "Approval recorded" in gated.stderr, gated.stderr

    # without a controller the executions stay queued: abort and relaunch are deterministic
    ran = flowctl("run", "--remote", "flows/scaling.py", "standard_scale_workflow", "--values", "[2.0, 4.0]",
                  "-p", "my-ml-project", env=env, cwd=project)
    name = clean(ran, 0).strip()
    shown = json.loads(clean(flowctl("executions", "get", name, "--json", env=env, cwd=project), 0))
    assert shown["execution"]["phase"] == "queued" and shown["inputs"] == {"values": [2.0, 4.0]}
    assert shown["execution"]["launch_plan"]["version"].startswith("r-")

    aborted = flowctl("executions", "abort", f"my-ml-project/development/{name}", env=env, cwd=project)
    clean(aborted, 0)
    assert f"abort requested for {name}" in aborted.stderr
    shown = json.loads(clean(flowctl("executions", "get", name, "--json", env=env, cwd=project), 0))
    assert shown["execution"]["abort_requested"] is True
    relaunched = flowctl("executions", "relaunch", name, env=env, cwd=project)
    again = clean(relaunched, 0).strip()
    assert again != name and f"relaunched as execution my-ml-project/development/{again}" in relaunched.stderr
    recovered = flowctl("executions", "recover", name, env=env, cwd=project)
    clean(recovered, 1)
    assert "only failed, timed out or aborted executions can be recovered" in recovered.stderr
    signal = flowctl("executions", "signal", name, "go", "1", env=env, cwd=project)
    clean(signal, 1)
    assert "has no gate waiting for `go`" in signal.stderr  # the server checked it against the workflow's gates

    locks = json.loads(clean(flowctl("lock", "list", "-o", "json", env=env, cwd=project), 0))
    assert locks["locks"] == []
    assert not (project / ".flowctl").exists(), "the CLI never opened a registry of its own"
