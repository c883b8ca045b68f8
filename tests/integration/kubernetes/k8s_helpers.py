"""Helpers shared by the Kubernetes integration tests."""

from __future__ import annotations

import time
from pathlib import Path

from flowctl.providers._interface import AttemptRef, StatusResponse, SubmitRequest
from flowctl.providers.kubernetes import KubernetesProvider
from flowctl.spec import InterfaceSpec, TaskSpec

NAMESPACE = "ml-development"


def make_request(tmp_path: Path, *, node: str = "n0", attempt: int = 0, task: TaskSpec | None = None,
                 timeout: float | None = None) -> SubmitRequest:
    prefix = tmp_path / "blobs" / "ml" / "development" / "e1" / node / str(attempt)
    prefix.mkdir(parents=True, exist_ok=True)
    (prefix / "inputs.json").write_text("{}")
    return SubmitRequest(
        ref=AttemptRef("ml", "development", "e1", node, attempt),
        task=(task or TaskSpec(name="t.noop", interface=InterfaceSpec())).to_json(),
        inputs_uri=str(prefix / "inputs.json"),
        outputs_uri=str(prefix / "outputs.json"),
        bundle_uri=None,
        blob_store=str(tmp_path / "blobs"),
        timeout_seconds=timeout,
    )


def wait_terminal(provider: KubernetesProvider, request: SubmitRequest, handle: str, timeout: float = 15.0) -> StatusResponse:
    deadline = time.monotonic() + timeout
    while True:
        status = provider.status(request.ref, handle)
        if status.phase in ("succeeded", "failed") or time.monotonic() > deadline:
            return status
        time.sleep(0.03)
