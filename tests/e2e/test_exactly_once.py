"""Every attempt's body runs once: kill -9 of the controller at each step of a submit, then a restart.

The steps (``FLOWCTL_TEST_PAUSE_AT``, flowctl/_faults.py): before the provider records the attempt
(its lock file), after the record but before the spawn, and after the spawn but before the engine
flushes the handle to the registry. Real `flowctl controller` processes, real attempt processes,
SQLite and PostgreSQL. The task appends one line to a file each time its body runs.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_executions_cli import Cli

from engine_support import flows, register  # isort: skip  (on sys.path through test_executions_cli)


@pytest.fixture
def cli(tmp_path: Path, registry_url: str) -> Iterator[Cli]:
    c = Cli(tmp_path, registry_url)
    c.env["FLOWCTL_LEASE_SECONDS"] = "1"
    yield c
    c.stop()


def _wait_for(predicate: object, what: str, timeout: float = 30) -> None:
    assert callable(predicate)
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


@pytest.mark.parametrize("point", ["submit:before-record", "submit:before-spawn", "submit:before-flush"])
def test_kill_9_at_each_step_of_submit_runs_the_body_once(cli: Cli, point: str) -> None:
    register(cli.url, [flows.slow_once], bundle_uri=cli.uri)
    counter = cli.tmp / "count.txt"
    seconds = "3" if point == "submit:before-flush" else "0.2"  # long enough to be adopted while it runs
    name = cli.launch("flows.slow_once", "--counter", str(counter), "--seconds", seconds)
    cli.env["FLOWCTL_TEST_PAUSE_AT"] = f"{point}:60"
    first = cli.controller()
    del cli.env["FLOWCTL_TEST_PAUSE_AT"]
    log = cli.tmp / "controller-0.log"
    _wait_for(lambda: f"flowctl: paused at {point}" in log.read_text(), f"the pause at {point}")
    if point == "submit:before-flush":
        _wait_for(lambda: len(_lines(counter)) == 1, "the attempt's body to start")
    else:
        assert _lines(counter) == []
    first.kill()  # SIGKILL inside the submit
    first.wait()
    cli.controller()
    doc = cli.wait_phase(name, {"succeeded", "failed"}, timeout=40)
    assert doc["execution"]["phase"] == "succeeded", doc  # type: ignore[index]
    assert len(_lines(counter)) == 1, f"the body ran {len(_lines(counter))} times"
    assert [n["attempts"] for n in doc["nodes"]] == [1]  # type: ignore[union-attr, index]
