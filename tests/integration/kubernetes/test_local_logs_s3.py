"""The local provider keeps an attempt's log in a remote blob store too, so `executions logs` reads
finished attempts the same way on every provider (the kubernetes provider copies pod logs there)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from cluster_support import python_task
from moto_s3 import BUCKET, moto_s3_server

from flowctl import _blobstore as blobs
from flowctl.engine._logs import read_log
from flowctl.providers._interface import AttemptRef, SubmitRequest
from flowctl.providers.local import LocalProvider
from flowctl.state._executions import AttemptRecord, ExecutionRecord


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    for env in moto_s3_server():
        for key, value in env.items():
            monkeypatch.setenv(key, value)  # the attempt's process inherits them
        yield env


def test_a_local_attempts_log_is_kept_in_an_s3_blob_store(s3: dict[str, str], tmp_path) -> None:  # type: ignore[no-untyped-def]
    store = f"s3://{BUCKET}/blobs"
    task = python_task(tmp_path, """
        from flowctl import task

        @task
        def work(x: int) -> int:
            print("local work on", x, flush=True)
            return x
    """)
    paths = blobs.BlobStore(store).attempt("p", "development", "e1", "n0", 0)
    blobs.write_json(paths.inputs, {"x": 7})
    request = SubmitRequest(ref=AttemptRef("p", "development", "e1", "n0", 0), task=task.to_json(),
                            inputs_uri=paths.inputs, outputs_uri=paths.outputs, bundle_uri=None, blob_store=store,
                            environment=dict(task.environment))
    provider = LocalProvider(store, log_dir=tmp_path / "logs")
    handle = provider.submit(request).handle
    deadline = time.monotonic() + 60
    while provider.status(request.ref, handle).phase not in ("succeeded", "failed") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert provider.status(request.ref, handle).phase == "succeeded"
    assert not blobs.exists(paths.logs)  # while it runs, the log is a file on the controller's machine
    provider.cleanup(request.ref, handle)
    assert "local work on 7" in blobs.read_bytes(paths.logs).decode()
    attempt = AttemptRecord("n0", 0, "succeeded", "local", handle=handle, log_uri=paths.logs)
    execution = ExecutionRecord("x", "p", "development", "e1", "lp", "v1", "wf", "v1", "succeeded", {}, {}, None,
                                datetime.now(UTC), None, None, "me", None, None, None, None, None, False, None, {})
    assert "local work on 7" in read_log(execution, attempt, lambda a: provider).text
