"""End to end through the CLI: real `flowctl controller` processes, real subprocess attempts.

Workflows are registered through the store API (tests/integration/engine/engine_support.py);
everything else goes through `python -m flowctl ...`: launch, executions, controller, backfill.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "integration" / "engine"))
from engine_support import DOMAIN, PROJECT, bundle, flows, register

from flowctl.engine import find_execution
from flowctl.state._executions import open_execution_store

PYTHON = sys.executable


class Cli:
    """Runs flowctl commands and controllers against one registry and blob store."""

    def __init__(self, tmp: Path, url: str) -> None:
        self.tmp = tmp
        self.url = url
        self.blobs = str(tmp / "blobs")
        self.env = {
            **os.environ, "FLOWCTL_REGISTRY": url, "FLOWCTL_BLOB_STORE": self.blobs, "FLOWCTL_PROVIDER": "local",
            "FLOWCTL_BUNDLE_CACHE": str(tmp / "bundle-cache"), "FLOWCTL_LEASE_SECONDS": "2",
            "FLOWCTL_RETRY_BACKOFF": "0.05", "FLOWCTL_CLOCK_FILE": str(tmp / "clock.txt"), "NO_COLOR": "1",
        }
        self.controllers: list[subprocess.Popen[bytes]] = []
        self.uri = bundle(tmp / "src", self.blobs)

    def run(self, *args: str, check: int | None = 0, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        result = subprocess.run([PYTHON, "-m", "flowctl", *args], env=self.env, cwd=self.tmp, capture_output=True,
                                text=True, timeout=timeout)
        if check is not None:
            assert result.returncode == check, f"{args}: {result.returncode}\n{result.stdout}\n{result.stderr}"
        return result

    def controller(self, *args: str) -> subprocess.Popen[bytes]:
        log = open(self.tmp / f"controller-{len(self.controllers)}.log", "wb")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen([PYTHON, "-m", "flowctl", "controller", "--poll-interval", "0.2", *args],
                                   env=self.env, cwd=self.tmp, stdout=log, stderr=subprocess.STDOUT)
        self.controllers.append(process)
        return process

    def launch(self, lp: str, *inputs: str, wait: bool = False, check: int | None = 0) -> str:
        """The execution's name (stdout without --wait; the `launched execution` line on stderr with it)."""
        result = self.run("launch", PROJECT, DOMAIN, lp, *inputs, *(["--wait"] if wait else []), check=check)
        if not wait:
            return result.stdout.strip().splitlines()[-1]
        line = next(x for x in result.stderr.splitlines() if x.startswith("launched execution "))
        return line.split()[2].rsplit("/", 1)[-1]

    def get(self, name: str) -> dict[str, object]:
        """The document `flowctl executions get NAME --json` prints (built in-process: polled often)."""
        from flowctl.engine import find_execution
        from flowctl.engine._view import execution_document

        store = open_execution_store(self.url)
        try:
            return execution_document(store, find_execution(store, name))
        finally:
            store.close()

    def wait_phase(self, name: str, phases: set[str], timeout: float = 30) -> dict[str, object]:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            doc = self.get(name)
            if doc["execution"]["phase"] in phases:  # type: ignore[index]
                return doc
            time.sleep(0.2)
        raise AssertionError(f"{name} never reached {phases}: {self.get(name)}")

    def stop(self) -> None:
        for process in self.controllers:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.controllers:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture
def cli(tmp_path: Path, registry_url: str) -> Iterator[Cli]:
    c = Cli(tmp_path, registry_url)
    yield c
    c.stop()


@pytest.fixture
def sqlite_cli(tmp_path: Path, sqlite_url: str) -> Iterator[Cli]:
    c = Cli(tmp_path, sqlite_url)
    yield c
    c.stop()


@pytest.fixture
def postgres_cli(tmp_path: Path, postgres_url: str) -> Iterator[Cli]:
    """Several controllers on one registry is a PostgreSQL setup (SQLite is covered in-process)."""
    c = Cli(tmp_path, postgres_url)
    yield c
    c.stop()


def test_launch_wait_get_outputs_logs_and_errors(sqlite_cli: Cli) -> None:
    cli = sqlite_cli
    register(cli.url, [flows.chain, flows.failing], bundle_uri=cli.uri)
    cli.controller()
    waited = cli.run("launch", PROJECT, DOMAIN, "flows.chain", "--a", "2", "--input", "b=3", "--wait")
    assert waited.stdout == "o0: 10\n"  # the outputs, rendered as a local run renders them
    assert "Succeeded: flows.chain in " in waited.stderr and "(2 nodes, execution " in waited.stderr
    name = waited.stderr.split("launched execution ", 1)[1].split()[0].rsplit("/", 1)[-1]
    assert json.loads(cli.run("executions", "outputs", name).stdout) == {"o0": 10}
    doc = json.loads(cli.run("executions", "get", name, "--json").stdout)
    assert doc["format_version"] == "1" and [n["phase"] for n in doc["nodes"]] == ["succeeded", "succeeded"]  # type: ignore[index, union-attr]
    assert "adding 2 and 3" in cli.run("executions", "logs", name, "--node", "n0").stdout
    assert name in cli.run("executions", "list").stdout
    # a user error: --wait exits 1 and says why
    failed = cli.run("launch", PROJECT, DOMAIN, "flows.failing", "--x", "7", "--wait", check=1)
    assert "boom 7" in failed.stderr
    # bad inputs never create an execution
    bad = cli.run("launch", PROJECT, DOMAIN, "flows.chain", "--a", "x", "--c", "1", check=1)
    assert "Unknown input `c`" in bad.stderr and "--a: 'x' is not valid JSON for `int`" in bad.stderr
    assert "Missing required input `b`" in bad.stderr


def test_abort_then_recover_through_the_cli(sqlite_cli: Cli) -> None:
    cli = sqlite_cli
    register(cli.url, [flows.long_running], bundle_uri=cli.uri)
    cli.controller()
    counter = cli.tmp / "count.txt"
    name = cli.launch("flows.long_running", "--x", "1", "--counter", str(counter), "--seconds", "60")
    end = time.monotonic() + 20
    while time.monotonic() < end and len(counter.read_text().splitlines() if counter.exists() else []) < 2:
        time.sleep(0.1)
    cli.run("executions", "abort", name)
    assert cli.wait_phase(name, {"aborted"})["nodes"][1]["phase"] == "aborted"  # type: ignore[index]
    recovered = cli.run("executions", "recover", name).stdout.strip()
    doc = cli.get(recovered)
    assert doc["nodes"][0]["recovered"] is True  # type: ignore[index]
    cli.run("executions", "abort", recovered)
    cli.wait_phase(recovered, {"aborted"})


def test_controller_kill_9_and_restart(cli: Cli) -> None:
    register(cli.url, [flows.long_running], bundle_uri=cli.uri)
    first = cli.controller()
    counter = cli.tmp / "count.txt"
    name = cli.launch("flows.long_running", "--x", "1", "--counter", str(counter), "--seconds", "2")
    end = time.monotonic() + 20
    while time.monotonic() < end and len(counter.read_text().splitlines() if counter.exists() else []) < 2:
        time.sleep(0.05)
    first.kill()  # SIGKILL mid-execution: node n1 is running
    first.wait()
    cli.controller()
    doc = cli.wait_phase(name, {"succeeded", "failed"}, timeout=30)
    assert doc["execution"]["phase"] == "succeeded"  # type: ignore[index]
    assert len(counter.read_text().splitlines()) == 2  # n0 and n1 each ran exactly once
    assert [n["attempts"] for n in doc["nodes"]] == [1, 1]  # type: ignore[union-attr, index]


@pytest.mark.postgres
def test_two_controllers_share_the_work(postgres_cli: Cli) -> None:
    cli = postgres_cli
    register(cli.url, [flows.chain], bundle_uri=cli.uri)
    names = [cli.launch("flows.chain", "--a", str(i), "--b", "1") for i in range(3)]
    cli.controller()
    cli.controller()
    for i, name in enumerate(names):
        doc = cli.wait_phase(name, {"succeeded", "failed"}, timeout=40)
        assert doc["outputs"] == {"o0": 2 * (i + 1)}
        assert [n["attempts"] for n in doc["nodes"]] == [1, 1]  # type: ignore[union-attr, index]


@pytest.mark.postgres
def test_schedule_fires_exactly_once_with_a_controlled_clock(postgres_cli: Cli) -> None:
    cli = postgres_cli
    register(cli.url, [flows.hourly], bundle_uri=cli.uri, activate=["hourly"])
    clock = cli.tmp / "clock.txt"
    due = (datetime.now(UTC) + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
    store = open_execution_store(cli.url)
    clock.write_text((due + timedelta(milliseconds=400)).isoformat())
    racers = [subprocess.Popen([PYTHON, "-m", "flowctl", "controller", "--once"], env=cli.env, cwd=cli.tmp)
              for _ in range(2)]
    assert [r.wait(60) for r in racers] == [0, 0]
    cli.run("controller", "--once")  # a restart: nothing new
    fired = store.list_executions(launch_plan="hourly")
    assert len(fired) == 1 and fired[0].scheduled_at == due
    assert fired[0].inputs == {"when": due.isoformat()}
    clock.write_text((due + timedelta(hours=1, milliseconds=200)).isoformat())
    cli.run("controller", "--once")
    assert len(store.list_executions(launch_plan="hourly")) == 2
    # backfill: the two earlier hours, once, even when asked twice
    window = ("--from", (due - timedelta(hours=2)).isoformat(), "--to", due.isoformat())
    dry = cli.run("backfill", f"{PROJECT}/{DOMAIN}/hourly", *window, "--dry-run").stdout
    assert dry.count("would fire") == 2 and dry.count("already fired") == 1
    cli.run("backfill", f"{PROJECT}/{DOMAIN}/hourly", *window)
    assert len(store.list_executions(launch_plan="hourly")) == 4
    store.close()


def test_show_logs_and_watch_number_attempts_from_1_and_point_at_the_users_file(sqlite_cli: Cli) -> None:
    cli = sqlite_cli
    register(cli.url, [flows.failing], bundle_uri=cli.uri)
    name = cli.launch("flows.failing", "--x", "7")
    cli.controller()
    watched = cli.run("executions", "watch", name, check=1)  # exits with the phase's code
    assert watched.stdout.splitlines()[-1].startswith(f"{name}: failed, 1 failed, ")
    shown = cli.run("executions", "show", name).stdout
    assert "attempts" in shown.splitlines()[3] and "flows.fail" in shown
    assert "Error in n0 (flows.fail), attempt 1: USER:TaskFailed: Task `flows.fail` failed: ValueError: boom 7" in shown
    assert 'File "flows.py", line ' in shown, shown  # the manifest's file, not the bundle cache
    assert "bundle-cache" not in shown
    logs = cli.run("executions", "logs", name, "--node", "n0", "--attempt", "1").stdout
    assert logs.startswith("==> n0 attempt 1 (failed) <==") and "boom 7" in logs
    assert cli.run("executions", "logs", name, "--attempt", "2").stdout == ""
    unknown = cli.run("executions", "logs", name, "--node", "n9", check=1)
    assert "has no attempts of node `n9`" in unknown.stderr and "Nodes with attempts: n0" in unknown.stderr


def test_logs_follow_a_running_attempt_until_it_ends(sqlite_cli: Cli) -> None:
    cli = sqlite_cli
    register(cli.url, [flows.ticking], bundle_uri=cli.uri)
    name = cli.launch("flows.ticking", "--times", "24", "--seconds", "0.5")  # 12 s: longer than a loaded start-up
    cli.controller()
    end = time.monotonic() + 30
    store = open_execution_store(cli.url)
    try:  # the attempt, not only its node: a node runs from its submit on, its attempt once the provider says so
        execution_id = find_execution(store, name).id
        while [a.phase for a in store.load_attempts(execution_id).get("n0", [])] != ["running"]:
            assert time.monotonic() < end, cli.get(name)
            time.sleep(0.1)
    finally:
        store.close()
    following = cli.run("executions", "logs", name, "-f", timeout=60)
    head, _, text = following.stdout.partition("\n")
    assert head == "==> n0 attempt 1 (running) <==", following.stdout
    assert all(f"tick {i}" in text for i in range(24)), text  # it kept reading until the attempt ended
    assert cli.get(name)["nodes"][0]["phase"] == "succeeded"  # type: ignore[index]
