"""LocalProvider submits each attempt once (adopting what an earlier submit started), gives tasks only
their declared environment, and keeps attempt files private. Real processes throughout."""

from __future__ import annotations

import fcntl
import json
import os
import stat
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from test_local_provider import wait

from flowctl import _blobstore as blobs
from flowctl._bundle import create_bundle
from flowctl.providers import THROTTLED, AttemptRef, SubmitRequest
from flowctl.providers.local import LocalProvider
from flowctl.providers.local._claim import LOCK_FILE, PID_FILE
from flowctl.spec import CodeSpec, InputSpec, InterfaceSpec, OutputSpec, SecretSpec, TaskSpec, TypeSpec

SOURCE = '''
import json, os, time
from flowctl import task

@task
def append(path: str, seconds: float) -> str:
    with open(path, "a") as handle:
        handle.write(f"{os.getpid()}\\n")
    time.sleep(seconds)
    return "done"

@task
def environment(path: str, seconds: float) -> str:
    return json.dumps(dict(os.environ))
'''


@dataclass
class Env:
    tmp: Path
    blob_url: str
    bundle: str

    def provider(self) -> LocalProvider:
        """A new provider: what a restarted controller has."""
        return LocalProvider(self.blob_url, log_dir=self.tmp / "logs", slots=4)

    def request(self, fn: str, seconds: float = 0.0, **task: object) -> SubmitRequest:
        spec = TaskSpec(name=f"tasks.{fn}", interface=InterfaceSpec(
            inputs=(InputSpec(name="path", type=TypeSpec(kind="str")), InputSpec(name="seconds", type=TypeSpec(kind="float"))),
            outputs=(OutputSpec(name="o0", type=TypeSpec(kind="str")),)),
            code=CodeSpec(module="tasks", qualname=fn, source_file="tasks.py", source_line=1, code_digest=fn), **task)  # type: ignore[arg-type]
        paths = blobs.BlobStore(self.blob_url).attempt("p", "d", "e1", "n0", 0)
        blobs.write_json(paths.inputs, {"path": str(self.counter), "seconds": seconds})
        return SubmitRequest(ref=AttemptRef("p", "d", "e1", "n0", 0), task=spec.to_json(), inputs_uri=paths.inputs,
                             outputs_uri=paths.outputs, bundle_uri=self.bundle, blob_store=self.blob_url,
                             environment={"DECLARED": "yes"})

    @property
    def counter(self) -> Path:
        return self.tmp / "count.txt"

    def runs(self) -> int:
        return len(self.counter.read_text().splitlines()) if self.counter.exists() else 0

    def folder(self) -> Path:
        return Path(blobs.BlobStore(self.blob_url).attempt("p", "d", "e1", "n0", 0).prefix)


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Env]:
    root = tmp_path / "src"
    root.mkdir()
    (root / "tasks.py").write_text(SOURCE)
    blob_url = str(tmp_path / "blobs")
    monkeypatch.setenv("FLOWCTL_BUNDLE_CACHE", str(tmp_path / "cache"))
    yield Env(tmp_path, blob_url, create_bundle(root, blob_url))


def until(predicate: object, timeout: float = 20) -> None:
    assert callable(predicate)
    end = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.02)


def test_a_restarted_controller_adopts_the_running_attempt(env: Env) -> None:
    request = env.request("append", seconds=1.5)
    first = env.provider().submit(request)
    assert first.error is None and not first.adopted
    until(lambda: (env.folder() / PID_FILE).exists() and env.runs() == 1)
    again = env.provider().submit(request)  # the handle never reached the registry: submit again
    assert again.adopted and again.handle == first.handle and again.error is None
    assert wait(env.provider(), request.ref, again.handle).phase == "succeeded"
    after = env.provider().submit(request)  # finished: still adopted, never started again
    assert after.adopted and after.handle == first.handle
    assert env.runs() == 1


def test_a_process_that_is_still_starting_is_waited_for(env: Env) -> None:
    """Lock held, no pid file: the process of a killed controller is between exec and its pid record."""
    folder = env.folder()
    folder.mkdir(parents=True)
    fd = os.open(folder / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        busy = env.provider().submit(env.request("append"))
        assert busy.error is not None and busy.error.code == THROTTLED and "starting" in busy.error.message
        assert not (folder / blobs.LOGS).exists()  # nothing was spawned
    finally:
        os.close(fd)  # the "process" died before it recorded itself: no body ran
    provider = env.provider()
    request = env.request("append")
    started = provider.submit(request)
    assert started.error is None and not started.adopted
    assert wait(provider, request.ref, started.handle).phase == "succeeded"
    assert env.runs() == 1


def test_a_record_without_a_process_is_started_once(env: Env) -> None:
    """Lock file there and free, no pid: the controller died after the record, before the spawn."""
    env.folder().mkdir(parents=True)
    (env.folder() / LOCK_FILE).write_text("dead-controller\n")
    provider = env.provider()
    request = env.request("append")
    response = provider.submit(request)
    assert response.error is None and not response.adopted
    assert wait(provider, request.ref, response.handle).phase == "succeeded"
    assert env.provider().submit(request).adopted
    assert env.runs() == 1


def test_tasks_see_only_their_declared_environment(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLOWCTL_REGISTRY", "postgresql://flowctl:hunter2@db.internal/registry")
    monkeypatch.setenv("UNRELATED_CONTROLLER_VARIABLE", "leak")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "also-a-leak")
    monkeypatch.setenv("FLOWCTL_SECRET_DB_PASSWORD", "s3cret")
    monkeypatch.setenv("LC_ALL", "C.UTF-8")
    provider = env.provider()
    request = env.request("environment", secret_requests=(SecretSpec(group="db", key="password", env_var="DB_PW"),))
    response = provider.submit(request)
    assert wait(provider, request.ref, response.handle).phase == "succeeded"
    seen = json.loads(blobs.read_json(request.outputs_uri)["o0"])  # type: ignore[index, arg-type]
    assert "FLOWCTL_REGISTRY" not in seen and "hunter2" not in json.dumps(seen)
    assert "UNRELATED_CONTROLLER_VARIABLE" not in seen and "AWS_SECRET_ACCESS_KEY" not in seen
    assert "FLOWCTL_SECRET_DB_PASSWORD" not in seen  # only the declared name carries the secret
    assert seen["DB_PW"] == "s3cret" and seen["DECLARED"] == "yes" and seen["FLOWCTL_ATTEMPT"] == "p/d/e1/n0/0"
    assert seen["PATH"] == os.environ["PATH"] and seen["LC_ALL"] == "C.UTF-8"


def test_the_operator_can_extend_the_allow_list(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.setenv("FLOWCTL_LOCAL_ENV_ALLOW", "AWS_*, OTHER")
    provider = env.provider()
    request = env.request("environment")
    response = provider.submit(request)
    assert wait(provider, request.ref, response.handle).phase == "succeeded"
    seen = json.loads(blobs.read_json(request.outputs_uri)["o0"])  # type: ignore[index, arg-type]
    assert seen["AWS_REGION"] == "eu-west-1"


def test_a_missing_secret_fails_the_attempt_without_starting_it(env: Env) -> None:
    request = env.request("append", secret_requests=(SecretSpec(group="db", key="password"),))
    response = env.provider().submit(request)
    assert response.error is not None and response.error.code == "SecretMissing" and not response.error.retryable
    assert "set FLOWCTL_SECRET_DB_PASSWORD in the environment of `flowctl controller`" in response.error.message
    assert env.runs() == 0


def test_attempt_files_are_private(env: Env) -> None:
    provider = env.provider()
    request = env.request("append")
    response = provider.submit(request)
    assert wait(provider, request.ref, response.handle).phase == "succeeded"
    folder = env.folder()
    for name in (LOCK_FILE, PID_FILE, blobs.LOGS, blobs.OUTPUTS, "task.json"):
        assert stat.S_IMODE((folder / name).stat().st_mode) == 0o600, name
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
