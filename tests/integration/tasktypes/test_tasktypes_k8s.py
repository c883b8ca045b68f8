"""Container tasks on Kubernetes: the Job (user image + flowctl init/sidecar steps) validates against
the official schemas, and runs on the API double with the data moved in and out by flowctl."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest

from flowctl.providers._interface import AttemptRef, SubmitRequest
from flowctl.providers.kubernetes import KubernetesSettings, render_job
from flowctl.providers.kubernetes.testing import KubernetesDouble, PodResult, PodRun
from flowctl.spec import TaskSpec
from flowctl.tasktypes import ContainerTask, ShellTask
from flowctl.tasktypes._adapt import adapt_job
from flowctl.tasktypes._k8s import DATA_DIR

VERSIONS = ["1.29.0", "1.37.0"]
SETTINGS = KubernetesSettings(default_image="ghcr.io/example/flowctl:1")
NAMESPACE = "ml-development"


def _task() -> TaskSpec:
    return ContainerTask(
        "wordcount", image="busybox:1.36",
        command=["sh", "-c", 'wc -w < "$0" | tr -d " " > "$1/words"; echo "$2" > "$1/label"'],
        arguments=["{{ .inputs_dir }}/text", "{{ .outputs_dir }}", "{{ .inputs.label }}"],
        inputs={"text": str, "label": str}, outputs={"words": int, "label": str},
        environment={"MODE": "fast"}, secret_requests=["db/password"],
    ).spec


def _request(tmp_path: Path, task: TaskSpec, inputs: dict[str, Any]) -> SubmitRequest:
    prefix = tmp_path / "blobs" / "ml" / "development" / "e1" / "n0" / "0"
    prefix.mkdir(parents=True, exist_ok=True)
    (prefix / "inputs.json").write_text(json.dumps(inputs))
    (prefix / "task.json").write_text(json.dumps(task.to_json()))
    return SubmitRequest(ref=AttemptRef("ml", "development", "e1", "n0", 0), task=task.to_json(),
                         inputs_uri=str(prefix / "inputs.json"), outputs_uri=str(prefix / "outputs.json"),
                         bundle_uri=None, blob_store=str(tmp_path / "blobs"))


def _job(tmp_path: Path, inputs: dict[str, Any] | None = None) -> tuple[dict[str, Any], SubmitRequest]:
    task = _task()
    request = _request(tmp_path, task, inputs or {"text": "a b c", "label": "three words"})
    base = render_job(request, SETTINGS, task_spec_uri=str(Path(request.outputs_uri).parent / "task.json"))
    return adapt_job(base, request), request


@pytest.mark.parametrize("version", VERSIONS)
def test_the_container_task_job_validates(tmp_path: Path, version: str) -> None:
    job, _ = _job(tmp_path)
    kubernetes_validate.validate(job, version, strict=True)


def test_the_job_runs_the_users_image_between_flowctl_steps(tmp_path: Path) -> None:
    job, request = _job(tmp_path)
    pod = job["spec"]["template"]["spec"]
    main, sidecar = pod["containers"]
    (init,) = pod["initContainers"]
    assert main["name"] == "task" and main["image"] == "busybox:1.36"
    assert main["command"][:2] == ["/bin/sh", "-c"]
    assert main["command"][3:] == ["sh", "-c", 'wc -w < "$0" | tr -d " " > "$1/words"; echo "$2" > "$1/label"',
                                   "/var/inputs/text", "/var/outputs", "three words"]
    assert {"name": "MODE", "value": "fast"} in main["env"]
    assert any(e.get("valueFrom", {}).get("secretKeyRef") == {"name": "db", "key": "password"} for e in main["env"])
    assert init["image"] == sidecar["image"] == "ghcr.io/example/flowctl:1"
    assert init["command"][:4] == ["python", "-m", "flowctl.tasktypes._copilot", "download"]
    assert sidecar["command"][3] == "upload" and request.outputs_uri in sidecar["command"]
    mounts = {m["mountPath"]: m.get("subPath") for m in main["volumeMounts"]}
    assert mounts["/var/inputs"] == "inputs" and mounts["/var/outputs"] == "outputs" and mounts[DATA_DIR] is None
    assert {"name": "flowctl-data", "emptyDir": {}} in pod["volumes"]


def test_other_task_types_keep_the_flowctl_job(tmp_path: Path) -> None:
    shell = ShellTask("s", script="echo 1 > {{ outputs.x }}", outputs={"x": int}).spec
    request = _request(tmp_path, shell, {})
    base = render_job(request, SETTINGS, task_spec_uri="t.json")
    assert adapt_job(base, request) is base


# ---------------------------------------------------------------- running the pod on the API double
def _remap(argv: list[str], root: Path) -> list[str]:
    """The pod's absolute data paths, moved below ``root`` (tests cannot write /var)."""
    out = []
    for arg in argv:
        for path in (DATA_DIR, "/var/inputs", "/var/outputs"):
            target = {DATA_DIR: root, "/var/inputs": root / "inputs", "/var/outputs": root / "outputs"}[path]
            arg = arg.replace(path, str(target))
        out.append(sys.executable if arg == "python" else arg)
    return out


def _pod_runner(job: dict[str, Any], root: Path) -> Any:
    """A runner for the double that does what the kubelet does with the adapted pod: init container,
    then the user's container and the flowctl sidecar side by side."""
    pod = job["spec"]["template"]["spec"]

    def run(run: PodRun) -> PodResult:
        init = subprocess.run(_remap(pod["initContainers"][0]["command"], root), capture_output=True, text=True)
        run.log(init.stdout + init.stderr)
        if init.returncode:
            return PodResult(init.returncode, "Init:Error", init.stderr)
        sidecar = subprocess.Popen(_remap(pod["containers"][1]["command"], root), stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True)
        main = subprocess.run(_remap(pod["containers"][0]["command"], root), capture_output=True, text=True)
        run.log(main.stdout + main.stderr)
        out, _ = sidecar.communicate(timeout=20)
        run.log(out)
        return PodResult(main.returncode)

    return run


def _run_on_double(tmp_path: Path, inputs: dict[str, Any]) -> tuple[dict[str, Any], SubmitRequest]:
    job, request = _job(tmp_path, inputs)
    root = tmp_path / "pod"
    kubernetes_validate.validate(job, VERSIONS[-1], strict=True)
    with KubernetesDouble(runner=_pod_runner(job, root)) as k8s:
        k8s.create_namespace(NAMESPACE)
        k8s.create_secret(NAMESPACE, "db", {"password": "s3cret"})
        client = k8s.kube_client(SETTINGS)
        client.batch().create_namespaced_job(NAMESPACE, job)
        name = job["metadata"]["name"]
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            stored = k8s.get("jobs", NAMESPACE, name)
            conditions = {c["type"] for c in (stored or {}).get("status", {}).get("conditions", [])}
            if conditions & {"Complete", "Failed"}:
                return stored or {}, request
            time.sleep(0.05)
    raise AssertionError("the job did not finish")


def test_a_container_task_job_on_the_api_double_moves_data_in_and_out(tmp_path: Path) -> None:
    stored, request = _run_on_double(tmp_path, {"text": "one two three four", "label": "four"})
    assert any(c["type"] == "Complete" for c in stored["status"]["conditions"])
    assert json.loads(Path(request.outputs_uri).read_text()) == {"words": 4, "label": "four"}


def test_a_failing_container_leaves_an_error_document(tmp_path: Path) -> None:
    job, request = _job(tmp_path, {"text": "x", "label": "y"})
    job["spec"]["template"]["spec"]["containers"][0]["command"][3:] = ["sh", "-c", "echo oops >&2; exit 5"]
    root = tmp_path / "pod"
    result = _pod_runner(job, root)(PodRun(NAMESPACE, "p", "j", "busybox", [], {}, threading.Event(), lambda _: None))
    assert result.exit_code == 5
    error = json.loads((Path(request.outputs_uri).parent / "error.json").read_text())
    assert error["kind"] == "user" and "exited with status 5" in error["message"]


def test_an_upload_that_cannot_save_either_document_exits_2_with_the_reason(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """A full disk under the blob store: the sidecar ends with one line saying what and why, exit 2
    (the provider's retryable EntrypointFailed, with that line as the termination message)."""
    from flowctl.entrypoint import EXIT_SYSTEM
    from flowctl.tasktypes._copilot import main
    from flowctl.tasktypes._k8s import EXIT_FILE

    job, request = _job(tmp_path)
    sidecar = job["spec"]["template"]["spec"]["containers"][1]
    assert sidecar["terminationMessagePolicy"] == "FallbackToLogsOnError"
    data = tmp_path / "data"
    (data / "outputs").mkdir(parents=True)
    (data / "outputs" / "words").write_text("3\n")
    (data / "outputs" / "label").write_text("three words\n")
    (data / EXIT_FILE).write_text("0")
    args = ["upload", "--task-spec-uri", str(Path(request.outputs_uri).parent / "task.json"),
            "--inputs-uri", request.inputs_uri, "--outputs-uri", request.outputs_uri,
            "--blob-store", request.blob_store, "--data-dir", str(data)]
    monkeypatch.setenv("FLOWCTL_TEST_WRITE_ERROR", "ENOSPC:outputs.json,error.json")
    assert main(args) == EXIT_SYSTEM
    last = capsys.readouterr().err.rstrip("\n").splitlines()[-1]
    assert last.startswith("flowctl: Cannot write the task error document to ") and "(ENOSPC)" in last, last
    assert not (Path(request.outputs_uri).parent / "error.json").exists()
    monkeypatch.setenv("FLOWCTL_TEST_WRITE_ERROR", "ENOSPC:outputs.json")
    assert main(args) == EXIT_SYSTEM  # outputs.json alone: the error document says why
    error = json.loads((Path(request.outputs_uri).parent / "error.json").read_text())
    assert (error["kind"], error["code"], error["retryable"]) == ("system", "SYSTEM:WriteFailed", True)
