"""`flowctl run --remote` and `flowctl launch` with a real controller: workflows, launch plans and
tasks alike, inputs the same way as a local run, results shown (outputs, phase, duration), one
JSON document with --json, and the exit code of the execution's phase."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_support import Result, assert_diagnostic, invoke

FLOWS = textwrap.dedent('''
    import time

    from flowctl import LaunchPlan, task, workflow


    @task
    def add(a: int, b: int = 2) -> int:
        return a + b


    @task
    def boom(x: int) -> int:
        raise ValueError(f"boom {x}")


    @task(timeout=1)
    def slow(x: int) -> int:
        time.sleep(30)
        return x


    @workflow
    def total(a: int, b: int = 2) -> int:
        return add(a=a, b=b)


    pinned = LaunchPlan.get_or_create(total, name="pinned", default_inputs={"a": 5}, fixed_inputs={"b": 10})
''')


class Remote:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.env = {"FLOWCTL_REGISTRY": f"sqlite:///{root.parent / 'registry.db'}",
                    "FLOWCTL_BLOB_STORE": str(root.parent / "blobs"), "FLOWCTL_PROVIDER": "local",
                    "FLOWCTL_BUNDLE_CACHE": str(root.parent / "bundles"), "NO_COLOR": "1"}
        # the controller never creates a registry (read-only commands never write): make it first, or a
        # controller that starts before the first `run --remote` has created it exits with "No registry"
        made = invoke("init", cwd=root, env=self.env)
        assert made.code == 0, made.output
        log = open(root.parent / "controller.log", "wb")  # noqa: SIM115 - closed with the process
        self.controller = subprocess.Popen([sys.executable, "-m", "flowctl", "controller", "--poll-interval", "0.1"],
                                           env={**os.environ, **self.env}, cwd=root, stdout=log,
                                           stderr=subprocess.STDOUT)

    def __call__(self, *args: str) -> Result:
        return invoke(*args, cwd=self.root, env=self.env)

    def stop(self) -> None:
        self.controller.send_signal(signal.SIGTERM)
        try:
            self.controller.wait(10)
        except subprocess.TimeoutExpired:
            self.controller.kill()
            self.controller.wait()


@pytest.fixture(scope="module")
def remote(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Remote]:
    """One registry and one controller for the module: each attempt is a process, so runs cost seconds."""
    root = tmp_path_factory.mktemp("remote") / "src"
    root.mkdir()
    (root / "remote_cli_flows.py").write_text(FLOWS)
    (root / "inputs.yaml").write_text("a: 1\n")
    r = Remote(root)
    yield r
    r.stop()


def test_a_launch_plan_runs_remotely_with_its_defaults_and_fixed_inputs(remote: Remote) -> None:
    done = remote("run", "--remote", "remote_cli_flows.py", "pinned", "--wait")
    assert done.code == 0, done.output
    assert done.stdout == "o0: 15\n"  # 5 + 10: the launch plan's default and fixed inputs
    assert "Succeeded: pinned in " in done.stderr and "(1 node, execution default/development/" in done.stderr
    refused = remote("run", "--remote", "remote_cli_flows.py", "pinned", "--b", "1")
    assert_diagnostic(refused, "Input `b` is fixed by launch plan `pinned` and cannot be overridden")
    local = invoke("run", "remote_cli_flows.py", "pinned", "-i", "b=1", cwd=remote.root)
    assert_diagnostic(local, "Input `b` is fixed by launch plan `pinned` and cannot be overridden")
    assert invoke("run", "remote_cli_flows.py", "pinned", cwd=remote.root).stdout == "o0: 15\n"


def test_a_task_runs_remotely_as_a_one_node_execution_with_a_json_result(remote: Remote) -> None:
    done = remote("run", "--remote", "remote_cli_flows.py", "add", "-i", "a=1", "--wait", "--json")
    assert done.code == 0, done.output
    doc = json.loads(done.stdout)
    assert {"id", "phase", "started", "finished", "outputs", "error"} <= set(doc)
    assert doc["phase"] == "succeeded" and doc["outputs"] == {"o0": 3} and doc["error"] is None
    assert doc["started"] <= doc["finished"] and [n["id"] for n in doc["nodes"]] == ["n0"]
    queued = remote("run", "--remote", "remote_cli_flows.py", "total", "--inputs", "inputs.yaml", "--json")
    assert queued.code == 0 and json.loads(queued.stdout)["phase"] == "queued"
    assert json.loads(queued.stdout)["inputs"] == {"a": 1, "b": 2}


def test_failures_show_the_error_and_exit_with_the_phase(remote: Remote) -> None:
    failed = remote("run", "--remote", "remote_cli_flows.py", "boom", "--x", "3", "--wait")
    assert failed.code == 1 and failed.stdout == "", failed.output
    assert "Failed: remote_cli_flows.boom after " in failed.stderr and "on node n0" in failed.stderr
    assert "ValueError: boom 3" in failed.stderr and 'remote_cli_flows.py", line' in failed.stderr
    timed_out = remote("run", "--remote", "remote_cli_flows.py", "slow", "--x", "1", "--wait", "--json")
    assert timed_out.code == 4 and json.loads(timed_out.stdout)["phase"] == "timed_out"


def test_launch_takes_inputs_as_run_does_and_shows_the_outputs(remote: Remote) -> None:
    registered = remote("run", "--remote", "remote_cli_flows.py", "total", "--a", "1")  # registers `total`
    assert registered.code == 0, registered.output
    args = ("launch", "default", "development", "remote_cli_flows.total")
    by_file = remote(*args, "--inputs", "inputs.yaml", "-i", "b=3", "--wait")
    assert by_file.code == 0 and by_file.stdout == "o0: 4\n", by_file.output  # 1 + 3
    by_option = remote(*args, "--a", "2", "--wait", "--json")
    assert json.loads(by_option.stdout)["outputs"] == {"o0": 4}
    for bad, message in (("NaN", "--a: NaN is not a finite number"), ("[" * 500 + "]" * 500, "nested deeper"),
                         ("true", "expected int, got True")):
        assert_diagnostic(remote(*args, "--a", bad), message)
