"""A cleanup a killed controller missed is run by the next one: kill -9 of `flowctl controller` after
it wrote an attempt's end (here with the execution's end, so no pass looks at it again) and before the
cleanup (``FLOWCTL_TEST_PAUSE_AT=cleanup:before``), then a new controller. The local provider with a
remote (S3) blob store keeps the attempt's log there at cleanup, so the log in S3 says the cleanup ran.
Real controller and attempt processes, SQLite and PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from test_executions_cli import Cli

from flowctl import _blobstore as blobs
from flowctl.engine import find_execution
from flowctl.state._executions import open_execution_store
from flowctl.state._tables import AttemptRow, table

from engine_support import DOMAIN, PROJECT, bundle, flows, register  # isort: skip  (on sys.path through test_executions_cli)
from moto_s3 import BUCKET, moto_s3_server  # isort: skip  (tests/, the rootdir)

LEASE_SECONDS = 1.0
ATTEMPTS = table(AttemptRow)


@pytest.fixture
def cli(tmp_path: Path, registry_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:
    for env in moto_s3_server():
        for key, value in env.items():
            monkeypatch.setenv(key, value)  # this process, the controllers and their attempts
        c = Cli(tmp_path, registry_url)
        c.blobs = f"s3://{BUCKET}/{tmp_path.name}"
        c.env.update(env, FLOWCTL_BLOB_STORE=c.blobs, FLOWCTL_LEASE_SECONDS=str(LEASE_SECONDS))
        c.uri = bundle(tmp_path / "s3-src", c.blobs)
        yield c
        c.stop()


def _wait_for(predicate: object, what: str, timeout: float = 40) -> None:
    assert callable(predicate)
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _attempt(url: str, name: str) -> tuple[datetime | None, datetime | None]:
    """The (finished_at, cleaned_at) of the execution's one attempt."""
    store = open_execution_store(url)
    try:
        execution = find_execution(store, name)
        a = ATTEMPTS.c
        with store.engine.connect() as conn:
            row = conn.execute(ATTEMPTS.select().with_only_columns(a.finished_at, a.cleaned_at)
                               .where(a.execution_id == execution.id)).one()
        return row[0], row[1]
    finally:
        store.close()


def _kept_log(uri: str) -> str:
    try:
        return blobs.read_bytes(uri).decode()
    except (FileNotFoundError, OSError):
        return ""


def test_a_cleanup_missed_by_a_killed_controller_is_run_by_the_next_one(cli: Cli) -> None:
    register(cli.url, [flows.inner], bundle_uri=cli.uri)
    name = cli.launch("flows.inner", "--a", "2", "--b", "3")
    cli.env["FLOWCTL_TEST_PAUSE_AT"] = "cleanup:before:60"
    first = cli.controller()
    del cli.env["FLOWCTL_TEST_PAUSE_AT"]
    log = cli.tmp / "controller-0.log"
    _wait_for(lambda: "flowctl: paused at cleanup:before" in log.read_text(), "the pause before the cleanup")
    first.kill()  # SIGKILL between the attempt's (and the execution's) end and its cleanup
    first.wait()
    doc = cli.get(name)
    assert doc["execution"]["phase"] == "succeeded", doc  # type: ignore[index]
    logs_uri = blobs.BlobStore(cli.blobs).attempt(PROJECT, DOMAIN, name, "n0", 0).logs
    assert _kept_log(logs_uri) == ""  # the log is still only in the controller's local folder
    finished, cleaned = _attempt(cli.url, name)
    assert finished is not None and cleaned is None
    # the sweep leaves an attempt to its own controller for two leases; the new one starts after them
    _wait_for(lambda: datetime.now(UTC) > finished + timedelta(seconds=2 * LEASE_SECONDS + 0.5), "the grace period")
    cli.controller()
    _wait_for(lambda: _attempt(cli.url, name)[1] is not None, "the new controller to record the cleanup")
    assert "adding 2 and 3" in _kept_log(logs_uri)
    assert "adding 2 and 3" in cli.run("executions", "logs", name, "--node", "n0").stdout
