"""LocalProvider with real processes: success, logs, timeouts that kill the process tree, slots,
status from a fresh provider (a restarted controller), cancel."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from flowctl import _blobstore as blobs
from flowctl._bundle import create_bundle
from flowctl.providers import THROTTLED, AttemptRef, StatusResponse, SubmitRequest
from flowctl.providers.local import LocalProvider
from flowctl.spec import CodeSpec, InputSpec, InterfaceSpec, Json, OutputSpec, TaskSpec, TypeSpec

SOURCE = '''
import subprocess, sys, time
from flowctl import task

@task
def hello(name: str) -> str:
    print("hello", name)
    time.sleep(1)  # still running when the test submits a second attempt (a fork starts in ~50 ms)
    return "hi " + name

@task
def spawn(seconds: float) -> int:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    with open("CHILD_PID_FILE", "w") as handle:
        handle.write(str(child.pid))
    time.sleep(seconds)
    return 1
'''


@pytest.fixture
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[LocalProvider, str, str, Path]:
    root = tmp_path / "src"
    root.mkdir()
    (root / "tasks.py").write_text(SOURCE.replace("CHILD_PID_FILE", str(tmp_path / "child.pid")))
    blob_url = str(tmp_path / "blobs")
    monkeypatch.setenv("FLOWCTL_BUNDLE_CACHE", str(tmp_path / "cache"))
    return LocalProvider(blob_url, log_dir=tmp_path / "logs", slots=1), blob_url, create_bundle(root, blob_url), tmp_path


def submit(provider: LocalProvider, blob_url: str, bundle: str, fn: str, inputs: dict[str, object],
           timeout: float | None = None, node: str = "n0") -> tuple[AttemptRef, SubmitRequest, str]:
    kind = "str" if fn == "hello" else "float"
    spec = TaskSpec(name=f"tasks.{fn}", interface=InterfaceSpec(
        inputs=tuple(InputSpec(name=k, type=TypeSpec(kind=kind)) for k in inputs),  # type: ignore[arg-type]
        outputs=(OutputSpec(name="o0", type=TypeSpec(kind="str" if fn == "hello" else "int")),)),
        code=CodeSpec(module="tasks", qualname=fn, source_file="tasks.py", source_line=1, code_digest=fn))
    ref = AttemptRef("p", "d", "e1", node, 0)
    paths = blobs.BlobStore(blob_url).attempt("p", "d", "e1", node, 0)
    blobs.write_json(paths.inputs, inputs)
    request = SubmitRequest(ref=ref, task=spec.to_json(), inputs_uri=paths.inputs, outputs_uri=paths.outputs,
                            bundle_uri=bundle, blob_store=blob_url, timeout_seconds=timeout)
    response = provider.submit(request)
    assert response.error is None
    return ref, request, response.handle


def wait(provider: LocalProvider, ref: AttemptRef, handle: str, timeout: float = 20) -> StatusResponse:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        status = provider.status(ref, handle)
        if status.phase in ("succeeded", "failed"):
            return status
        time.sleep(0.05)
    raise AssertionError("attempt did not finish")


def test_success_logs_and_status_after_restart(setup: tuple[LocalProvider, str, str, Path]) -> None:
    provider, blob_url, bundle, tmp = setup
    ref, request, handle = submit(provider, blob_url, bundle, "hello", {"name": "ada"})
    # another attempt while the only slot is busy is throttled, not started
    other = replace(request, ref=replace(ref, node="n1"),
                    outputs_uri=request.outputs_uri.replace("/n0/", "/n1/"))
    busy = provider.submit(other)
    assert busy.error is not None and busy.error.code == THROTTLED
    # a fresh provider (a restarted controller) knows the attempt by its handle
    fresh = LocalProvider(blob_url, log_dir=tmp / "logs")
    assert wait(fresh, ref, handle).phase == "succeeded"
    assert blobs.read_json(request.outputs_uri) == {"o0": "hi ada"}
    assert "hello ada" in provider.logs(ref, handle).text


def test_timeout_kills_the_whole_tree(setup: tuple[LocalProvider, str, str, Path]) -> None:
    provider, blob_url, bundle, tmp = setup
    ref, request, handle = submit(provider, blob_url, bundle, "spawn", {"seconds": 30.0}, timeout=4.0)
    status = wait(provider, ref, handle)
    assert status.phase == "failed" and status.error is not None and status.error.code == "Timeout"
    assert blobs.read_json(request.outputs_uri.replace("outputs.json", "error.json"))["code"] == "Timeout"
    child = int((tmp / "child.pid").read_text())
    time.sleep(0.2)
    stat = Path(f"/proc/{child}/stat")
    assert not stat.exists() or stat.read_text().rsplit(")", 1)[1].split()[0] == "Z"


def test_cancel(setup: tuple[LocalProvider, str, str, Path]) -> None:
    provider, blob_url, bundle, _ = setup
    ref, _, handle = submit(provider, blob_url, bundle, "spawn", {"seconds": 30.0})
    time.sleep(0.3)
    provider.cancel(ref, handle)
    status = wait(provider, ref, handle)
    assert status.phase == "failed" and status.error is not None and status.error.code == "NonZeroExit"
    assert sys.executable


def test_an_attempt_that_cannot_save_its_result_fails_as_a_retryable_system_error_with_the_reason(
        setup: tuple[LocalProvider, str, str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """A full disk takes outputs.json and error.json: the process's last line is the failure's reason."""
    provider, blob_url, bundle, _ = setup
    monkeypatch.setattr(blobs, "write_json", _then_fail_attempt_writes(monkeypatch, blobs.write_json))
    ref, _, handle = submit(provider, blob_url, bundle, "hello", {"name": "ada"})
    status = wait(provider, ref, handle)
    assert status.phase == "failed" and status.error is not None
    assert (status.error.kind, status.error.code, status.error.retryable) == ("system", "NonZeroExit", True)
    assert status.error.message.startswith("the attempt process exited (status "), status.error.message
    assert ") without a result: flowctl: Cannot write the task error document to " in status.error.message
    assert "No space left on device (ENOSPC); the attempt's result is lost" in status.error.message


def _then_fail_attempt_writes(monkeypatch: pytest.MonkeyPatch, real: Callable[[str, Json], None]) -> Callable[[str, Json], None]:
    """``write_json`` that writes the test's inputs, then sets the fault for the attempt's documents."""
    def write_json(uri: str, value: Json) -> None:
        real(uri, value)
        monkeypatch.setenv("FLOWCTL_TEST_WRITE_ERROR", "ENOSPC:outputs.json,error.json")
        monkeypatch.setenv("FLOWCTL_LOCAL_ENV_ALLOW", "FLOWCTL_TEST_WRITE_ERROR")
    return write_json


def test_a_timeout_is_reported_when_its_error_document_cannot_be_saved(
        setup: tuple[LocalProvider, str, str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """A full disk: status still answers (the attempt timed out) instead of raising on every poll."""
    provider, blob_url, bundle, _ = setup
    ref, request, handle = submit(provider, blob_url, bundle, "hello", {"name": "ada"}, timeout=0.2)
    monkeypatch.setenv("FLOWCTL_TEST_WRITE_ERROR", "ENOSPC:error.json")  # this process's write: the kill's
    status = wait(provider, ref, handle)
    assert status.phase == "failed" and status.error is not None and status.error.code == "Timeout"
    assert not Path(request.outputs_uri).with_name("error.json").exists()
