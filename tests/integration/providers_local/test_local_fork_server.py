"""The local provider's fork server: an attempt forked from it sees exactly what a fresh process sees
(environment, secrets, working folder, sys.path, its own session) and nothing of another attempt;
a dead fork server costs nothing but speed (issue 13)."""

from __future__ import annotations

import codecs
import json
import os
import signal
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
from flowctl.providers.local._process import ProcessHandle
from flowctl.spec import CodeSpec, InputSpec, InterfaceSpec, OutputSpec, SecretSpec, TaskSpec, TypeSpec

SOURCE = '''
import json, os, sys, random
from flowctl import task

LEAK = []

@task
def probe(tag: str) -> str:
    LEAK.append(tag)  # module state: a later attempt must not see it
    return json.dumps({
        "env": dict(os.environ), "cwd": os.getcwd(), "path": sys.path, "argv0": os.path.basename(sys.argv[0]),
        "pid": os.getpid(), "ppid": os.getppid(), "sid": os.getsid(0), "leak": LEAK,
        "random": random.random(), "fds": len(os.listdir("/proc/self/fd")), "hashseed": os.environ.get("PYTHONHASHSEED"),
        "io": sys.stdout.encoding,
        "stdin": os.read(0, 10).decode(),
    })
'''
PROBE = TaskSpec(
    name="tasks.probe",
    interface=InterfaceSpec(inputs=(InputSpec(name="tag", type=TypeSpec(kind="str")),),
                            outputs=(OutputSpec(name="o0", type=TypeSpec(kind="str")),)),
    code=CodeSpec(module="tasks", qualname="probe", source_file="tasks.py", source_line=1, code_digest="probe"),
)


@dataclass
class Env:
    tmp: Path
    blob_url: str
    bundle: str
    providers: list[LocalProvider]

    def provider(self, *, fork: bool) -> LocalProvider:
        provider = LocalProvider(self.blob_url, log_dir=self.tmp / "logs", slots=4, fork=fork)
        self.providers.append(provider)
        return provider

    def run(self, provider: LocalProvider, node: str, *, secret: bool = False,
            environment: dict[str, str] | None = None) -> tuple[dict[str, object], str]:
        task = PROBE.model_copy(update={"secret_requests": (SecretSpec(group="db", key="password"),)}) if secret else PROBE
        ref = AttemptRef("p", "d", "e1", node, 0)
        paths = blobs.BlobStore(self.blob_url).attempt("p", "d", "e1", node, 0)
        blobs.write_json(paths.inputs, {"tag": node})
        request = SubmitRequest(
            ref=ref, task=task.to_json(), inputs_uri=paths.inputs, outputs_uri=paths.outputs, bundle_uri=self.bundle,
            blob_store=self.blob_url, environment=environment or {})
        response = provider.submit(request)
        for _ in range(100):  # as the controller does: a throttled submit is made again later
            if response.error is None or response.error.code != THROTTLED:
                break
            time.sleep(0.05)
            response = provider.submit(request)
        assert response.error is None, response.error
        status = wait(provider, ref, response.handle)
        assert status.phase == "succeeded", status
        outputs = blobs.read_json(paths.outputs)
        assert isinstance(outputs, dict)
        report: dict[str, object] = json.loads(outputs["o0"])
        return report, response.handle


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Env]:
    root = tmp_path / "src"
    root.mkdir()
    (root / "tasks.py").write_text(SOURCE)
    blob_url = str(tmp_path / "blobs")
    monkeypatch.setenv("FLOWCTL_BUNDLE_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("FLOWCTL_SECRET_DB_PASSWORD", "s3cret")
    monkeypatch.setenv("CONTROLLER_ONLY", "not for tasks")
    made = Env(tmp_path, blob_url, create_bundle(root, blob_url), [])
    yield made
    for provider in made.providers:
        provider.close()


def test_a_forked_attempt_sees_what_a_fresh_process_sees(env: Env) -> None:
    fresh, _ = env.run(env.provider(fork=False), "fresh", secret=True, environment={"DECLARED": "yes"})
    forked, _ = env.run(env.provider(fork=True), "forked", secret=True, environment={"DECLARED": "yes"})
    assert forked["ppid"] != os.getpid() and fresh["ppid"] == os.getpid()  # it really was forked
    fresh_env, forked_env = fresh["env"], forked["env"]
    assert isinstance(fresh_env, dict) and isinstance(forked_env, dict)
    assert fresh_env.pop("FLOWCTL_ATTEMPT").endswith("/fresh/0")
    assert forked_env.pop("FLOWCTL_ATTEMPT").endswith("/forked/0")
    assert forked_env == fresh_env
    assert forked_env["FLOWCTL_SECRET_DB_PASSWORD"] == "s3cret" and forked_env["DECLARED"] == "yes"
    assert "CONTROLLER_ONLY" not in forked_env
    assert forked["leak"] == ["forked"] and fresh["leak"] == ["fresh"]
    for key in ("cwd", "path", "argv0", "stdin", "fds", "io"):
        assert forked[key] == fresh[key], key
    assert forked["sid"] == forked["pid"]  # its own session: a timeout kills its whole tree


def test_an_attempt_in_the_fork_cannot_see_another_attempts_environment_secrets_or_state(env: Env) -> None:
    provider = env.provider(fork=True)
    first, _ = env.run(provider, "n1", secret=True, environment={"ONLY_FIRST": "1"})
    second, _ = env.run(provider, "n2")
    assert first["ppid"] == second["ppid"] != os.getpid()  # both forked from the same server
    first_env, second_env = first["env"], second["env"]
    assert isinstance(first_env, dict) and isinstance(second_env, dict)
    assert first_env["FLOWCTL_SECRET_DB_PASSWORD"] == "s3cret" and first_env["ONLY_FIRST"] == "1"
    assert "FLOWCTL_SECRET_DB_PASSWORD" not in second_env and "ONLY_FIRST" not in second_env
    assert second["leak"] == ["n2"]  # user code imported afresh in each fork
    assert first["random"] != second["random"]


def test_a_dead_fork_server_is_replaced_and_the_attempt_still_runs_once(env: Env) -> None:
    provider = env.provider(fork=True)
    first, _ = env.run(provider, "n1")
    os.kill(int(str(first["ppid"])), signal.SIGKILL)
    # a fresh interpreter (the request never reached the server), or a throttled submit (it may have:
    # the attempt runs once, found by the next submit) and then a new server's fork
    second, handle = env.run(provider, "n2")
    assert second["ppid"] != first["ppid"]
    assert ProcessHandle.parse(handle).pid == second["pid"]
    third, _ = env.run(provider, "n3")
    assert third["ppid"] != os.getpid()  # forks again, from a new server


def test_closing_the_provider_stops_the_fork_server(env: Env) -> None:
    provider = env.provider(fork=True)
    report, _ = env.run(provider, "n1")
    server = int(str(report["ppid"]))
    provider.close()
    with pytest.raises(ProcessLookupError):
        os.kill(server, 0)


def test_an_attempt_setting_interpreter_variables_starts_as_a_fresh_interpreter(env: Env) -> None:
    provider = env.provider(fork=True)
    forked, _ = env.run(provider, "n1")
    own, _ = env.run(provider, "n2", environment={"PYTHONIOENCODING": "latin-1"})
    assert forked["ppid"] != os.getpid()
    assert own["ppid"] == os.getpid()  # a fork could not have applied the variable
    assert codecs.lookup(str(own["io"])).name == codecs.lookup("latin-1").name
    path_only, _ = env.run(provider, "n3", environment={"PYTHONPATH": str(env.tmp)})
    assert path_only["ppid"] != os.getpid() and str(env.tmp) in path_only["path"]  # type: ignore[operator]
