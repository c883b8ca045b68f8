"""LocalProvider.subscribe: the callback fires as soon as an attempt process exits (started here or
adopted after a restart) or passes its deadline, not at the controller's next poll (issue 13)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from flowctl import _blobstore as blobs
from flowctl._bundle import create_bundle
from flowctl.providers import AttemptRef, SubmitRequest
from flowctl.providers.local import LocalProvider
from flowctl.providers.local._process import ProcessHandle, is_alive
from flowctl.spec import CodeSpec, InputSpec, InterfaceSpec, OutputSpec, TaskSpec, TypeSpec

SOURCE = '''
import time
from flowctl import task

@task
def nap(seconds: float) -> float:
    time.sleep(seconds)
    return seconds
'''
NAP = TaskSpec(
    name="tasks.nap",
    interface=InterfaceSpec(inputs=(InputSpec(name="seconds", type=TypeSpec(kind="float")),),
                            outputs=(OutputSpec(name="o0", type=TypeSpec(kind="float")),)),
    code=CodeSpec(module="tasks", qualname="nap", source_file="tasks.py", source_line=1, code_digest="nap"),
)


@dataclass
class Env:
    blob_url: str
    bundle: str
    log_dir: Path
    providers: list[LocalProvider]

    def provider(self) -> LocalProvider:
        provider = LocalProvider(self.blob_url, log_dir=self.log_dir)
        self.providers.append(provider)
        return provider

    def submit(self, provider: LocalProvider, node: str, seconds: float, timeout: float | None = None) -> tuple[AttemptRef, str]:
        ref = AttemptRef("p", "d", "e1", node, 0)
        paths = blobs.BlobStore(self.blob_url).attempt("p", "d", "e1", node, 0)
        blobs.write_json(paths.inputs, {"seconds": seconds})
        response = provider.submit(SubmitRequest(
            ref=ref, task=NAP.to_json(), inputs_uri=paths.inputs, outputs_uri=paths.outputs, bundle_uri=self.bundle,
            blob_store=self.blob_url, timeout_seconds=timeout))
        assert response.error is None
        return ref, response.handle


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Env]:
    root = tmp_path / "src"
    root.mkdir()
    (root / "tasks.py").write_text(SOURCE)
    blob_url = str(tmp_path / "blobs")
    monkeypatch.setenv("FLOWCTL_BUNDLE_CACHE", str(tmp_path / "cache"))
    made = Env(blob_url, create_bundle(root, blob_url), tmp_path / "logs", [])
    yield made
    for provider in made.providers:
        provider.close()


def wait_for_exit(handle: str, timeout: float = 30) -> None:
    process = ProcessHandle.parse(handle)
    end = time.monotonic() + timeout
    while is_alive(process):
        assert time.monotonic() < end, "the attempt process did not end"
        time.sleep(0.01)


def test_the_callback_fires_when_a_started_attempt_exits(env: Env) -> None:
    provider = env.provider()
    exited = threading.Event()
    provider.subscribe(exited.set)
    ref, handle = env.submit(provider, "n0", 0.2)
    wait_for_exit(handle)
    assert exited.wait(1.0), "no wake-up within a second of the process exiting"
    assert provider.status(ref, handle).phase == "succeeded"


def test_a_restarted_controller_is_woken_by_an_adopted_attempt(env: Env) -> None:
    first = env.provider()
    ref, handle = env.submit(first, "n0", 1.0)
    first.close()
    second = env.provider()  # knows the attempt only by its handle, as a restarted controller does
    exited = threading.Event()
    second.subscribe(exited.set)
    assert second.status(ref, handle).phase == "running"
    assert not exited.is_set()
    wait_for_exit(handle)
    assert exited.wait(1.0), "no wake-up within a second of the adopted process exiting"
    assert second.status(ref, handle).phase == "succeeded"


def test_the_callback_fires_when_an_attempt_passes_its_deadline(env: Env) -> None:
    provider = env.provider()
    woken = threading.Event()
    provider.subscribe(woken.set)
    ref, handle = env.submit(provider, "n0", 30, timeout=0.5)
    assert woken.wait(5.0), "no wake-up at the attempt's deadline"
    assert is_alive(ProcessHandle.parse(handle))  # still running: the status call enforces the timeout
    status = provider.status(ref, handle)
    assert status.phase == "failed" and status.error is not None and status.error.code == "Timeout"


def test_a_provider_without_subscribers_starts_no_watcher(env: Env) -> None:
    provider = env.provider()
    _, handle = env.submit(provider, "n0", 0.0)
    assert provider._watcher is None
    wait_for_exit(handle)
