"""examples/flyte_port: a flytekit project with its import swapped runs locally, plans, applies and
runs through a real `flowctl controller` (the approval gate answered with `flowctl executions approve`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "flyte_port"


def flowctl(tmp: Path, *args: str, check: int | None = 0, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "FLOWCTL_REGISTRY": f"sqlite:///{tmp / 'registry.db'}",
           "FLOWCTL_BLOB_STORE": str(tmp / "blobs"), "FLOWCTL_CACHE_DIR": str(tmp / "cache"), "NO_COLOR": "1",
           "FLOWCTL_BUNDLE_CACHE": str(tmp / "bundle-cache"), "FLOWCTL_LEASE_SECONDS": "2"}
    result = subprocess.run([sys.executable, "-m", "flowctl", *args], cwd=tmp, env=env, capture_output=True, text=True,
                            timeout=timeout, stdin=subprocess.DEVNULL)
    if check is not None:
        assert result.returncode == check, f"{args}: {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result


def test_the_ported_project_runs_locally(tmp_path: Path) -> None:
    result = flowctl(tmp_path, "run", str(EXAMPLE / "churn.py"), "churn_wf", "--signal", "publish-report=yes", "--json")
    document = json.loads(result.stdout)
    assert document["status"] == "succeeded"
    assert document["outputs"]["o0"].startswith("published: ok: 60 customers in 3 shards")
    kinds = {n["kind"] for n in document["nodes"]}
    assert {"task", "map", "branch", "gate"} <= kinds
    assert "Deck: " in result.stderr and (tmp_path / "decks").is_dir()


def test_the_ported_project_plans_applies_and_runs_on_the_controller(tmp_path: Path) -> None:
    plan = flowctl(tmp_path, "plan", str(EXAMPLE), "--version", "v1", "--out", "plan.out", "--detailed-exitcode", check=2)
    assert 'container_image = "ghcr.io/acme/churn:' in plan.stdout and "image_spec" in plan.stdout
    assert "+ interruptible = true" in plan.stdout and "0 3 * * *" in plan.stdout
    flowctl(tmp_path, "apply", "plan.out", "--auto-approve")
    log = open(tmp_path / "controller.log", "wb")  # noqa: SIM115 - closed below
    controller = subprocess.Popen(
        [sys.executable, "-m", "flowctl", "controller", "--poll-interval", "0.2"], cwd=tmp_path, stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "FLOWCTL_REGISTRY": f"sqlite:///{tmp_path / 'registry.db'}",
             "FLOWCTL_BLOB_STORE": str(tmp_path / "blobs"), "FLOWCTL_BUNDLE_CACHE": str(tmp_path / "bundle-cache"),
             "FLOWCTL_LEASE_SECONDS": "2"},
    )
    try:
        name = flowctl(tmp_path, "launch", "churn", "development", "nightly_churn", "--n_shards", "2").stdout.strip().splitlines()[-1]
        _wait(tmp_path, name, lambda doc: len(doc["nodes"]) >= 3)  # running; the gate waits further down
        flowctl(tmp_path, "executions", "approve", name, "publish-report")
        done = _wait(tmp_path, name, lambda doc: doc["execution"]["phase"] in ("succeeded", "failed", "timed_out"))
        assert done["execution"]["phase"] == "succeeded", done["error"]
        assert done["outputs"]["o0"].startswith("published: ok: 40 customers in 2 shards")
        decks = flowctl(tmp_path, "executions", "show", name, "--deck")
        assert "deck.html" in decks.stdout
    finally:
        controller.terminate()
        controller.wait(timeout=30)
        log.close()


def _document(tmp: Path, name: str) -> dict[str, Any]:
    """What `flowctl executions get NAME --json` prints, built in-process (polled often)."""
    from flowctl.engine import find_execution
    from flowctl.engine._view import execution_document
    from flowctl.state._executions import open_execution_store

    store = open_execution_store(f"sqlite:///{tmp / 'registry.db'}")
    try:
        return execution_document(store, find_execution(store, name))
    finally:
        store.close()


def _wait(tmp: Path, name: str, done: Callable[[dict[str, Any]], bool], timeout: float = 120) -> dict[str, Any]:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        doc = _document(tmp, name)
        if done(doc):
            return doc
        time.sleep(0.3)
    raise AssertionError(f"{name}: {_document(tmp, name)}\n{(tmp / 'controller.log').read_text()}")
