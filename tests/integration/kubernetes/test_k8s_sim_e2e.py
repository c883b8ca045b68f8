"""End to end on a real control plane (k8s-sim) with no shared filesystem: the blob store is S3
(moto's standalone server on 127.0.0.1, as s3fs's own tests use it), the pods get its credentials
from a Kubernetes Secret, and ``flowctl apply`` / ``flowctl controller`` run as the CLI.

One controller serves the module; executions are launched up front and each test checks its own,
so the group's wall time is about that of its slowest workflow.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from cluster_support import wait_until
from moto_s3 import BUCKET as MOTO_BUCKET
from moto_s3 import moto_s3_server
from sim_flows import MANIFEST

from flowctl.engine import launch
from flowctl.state._executions import ExecutionRecord, ExecutionStore, open_execution_store

pytestmark = [pytest.mark.slow, pytest.mark.k8s_sim]
BUCKET = MOTO_BUCKET
SECRET = "flowctl-blob-store"
MARKERS = f"s3://{BUCKET}/markers"


@dataclass
class World:
    root: Path
    env: dict[str, str]
    store: ExecutionStore
    namespace: str
    project: str
    sim_home: Path
    s3_env: dict[str, str]
    controller: subprocess.Popen[bytes] | None = None
    launched: dict[str, ExecutionRecord] = field(default_factory=dict)

    def cli(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "flowctl", *args], cwd=self.root, env=self.env,
                              capture_output=True, text=True, timeout=timeout)

    def start_controller(self) -> None:
        log = open(self.root / "controller.log", "ab")  # noqa: SIM115 - the process owns it
        self.controller = subprocess.Popen(
            [sys.executable, "-m", "flowctl", "controller", "--no-schedules", "--poll-interval", "0.2", "-v"],
            cwd=self.root, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def stop_controller(self, sig: int = signal.SIGTERM) -> None:
        if self.controller is not None and self.controller.poll() is None:
            self.controller.send_signal(sig)
            self.controller.wait(30)
        self.controller = None

    def launch(self, workflow: str, inputs: dict[str, object]) -> ExecutionRecord:
        execution = launch(self.store, self.project, "development", f"flows.{workflow}", inputs)  # type: ignore[arg-type]
        self.launched[workflow] = execution
        return execution

    def wait(self, execution: ExecutionRecord, timeout: float = 120) -> ExecutionRecord:
        def done() -> bool:
            current = self.store.get_execution(execution.id)
            return current is not None and current.terminal

        assert wait_until(done, timeout=timeout, interval=0.3), self.controller_log()
        final = self.store.get_execution(execution.id)
        assert final is not None
        return final

    def attempt_messages(self, execution: ExecutionRecord) -> list[tuple[str, int, str, str | None]]:
        return [(n, a.attempt, a.phase, a.message) for n, rows in self.store.load_attempts(execution.id).items() for a in rows]

    def controller_log(self) -> str:
        path = self.root / "controller.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    def pod_says(self, execution: str, text: str) -> bool:
        """The running pod of ``execution`` has printed ``text`` (read on the node, as kubectl logs would)."""
        return any(text in log.read_text(errors="replace")
                   for log in (self.sim_home / "run" / "pods").glob(f"{self.namespace}_{execution}-*/task.log"))

    def jobs(self) -> list[dict]:  # type: ignore[type-arg]
        from kubernetes import client, config

        configuration = client.Configuration()
        config.load_kube_config(config_file=self.env["KUBECONFIG"], client_configuration=configuration)
        with client.ApiClient(configuration) as api:
            return client.BatchV1Api(api).list_namespaced_job(self.namespace).to_dict()["items"]  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def s3() -> Iterator[dict[str, str]]:
    yield from moto_s3_server()


@pytest.fixture(scope="module")
def world(k8s_sim_cluster: dict[str, str], s3: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("sim-e2e")
    project = f"e2e{uuid.uuid4().hex[:6]}"
    (root / "flows").mkdir()
    (root / "flows" / "flows.py").write_text(MANIFEST.replace("{project}", project))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLOWCTL_", "KUBE", "AWS_"))}
    env.update(s3)  # the controller's own credentials (the pods get theirs from the Secret)
    env.update({"FLOWCTL_PROVIDER": "kubernetes", "KUBECONFIG": k8s_sim_cluster["KUBECONFIG"],
                "FLOWCTL_REGISTRY": f"sqlite:///{root / 'registry.db'}",
                "FLOWCTL_BLOB_STORE": f"s3://{BUCKET}/blobs", "FLOWCTL_DEFAULT_IMAGE": "flowctl:sim",
                "FLOWCTL_KUBE_BLOB_STORE_SECRET": SECRET, "FLOWCTL_KUBE_PENDING_TIMEOUT": "20",
                "FLOWCTL_LEASE_SECONDS": "3", "FLOWCTL_RETRY_BACKOFF": "0.2"})
    applied = subprocess.run([sys.executable, "-m", "flowctl", "apply", "flows", "--auto-approve", "--version", "v1"],
                             cwd=root, env=env, capture_output=True, text=True, timeout=180)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    namespace = f"{project}-development"
    _create_secret(k8s_sim_cluster["KUBECONFIG"], namespace, s3)
    store = open_execution_store(env["FLOWCTL_REGISTRY"])
    w = World(root, env, store, namespace, project, Path(k8s_sim_cluster["K8S_SIM_HOME"]), s3)
    w.start_controller()
    w.launch("standard_scale_workflow", {"values": [1.0, 2.0, 3.0, 4.0, 5.0]})
    w.launch("files_and_map", {"text": "hello from a pod", "xs": [1, 2, 3]})
    w.launch("flaky_workflow", {"x": 41})
    w.launch("failing_workflow", {"x": 1})
    w.launch("timeout_workflow", {"x": 1})
    w.launch("slow_workflow", {"x": 1})
    w.launch("counted_workflow", {"marker_prefix": MARKERS})
    yield w
    w.stop_controller()
    store.close()
    from kubernetes import client, config

    config.load_kube_config(config_file=k8s_sim_cluster["KUBECONFIG"])
    client.CoreV1Api().delete_namespace(namespace, propagation_policy="Background")


def _create_secret(kubeconfig: str, namespace: str, values: dict[str, str]) -> None:
    """What an operator does once per namespace: the pods' blob store credentials."""
    from kubernetes import client, config

    configuration = client.Configuration()
    config.load_kube_config(config_file=kubeconfig, client_configuration=configuration)
    with client.ApiClient(configuration) as api:
        client.CoreV1Api(api).create_namespaced_secret(namespace, {"metadata": {"name": SECRET}, "stringData": values})


def test_apply_created_the_namespace_quota_and_limit_range(world: World) -> None:
    from kubernetes import client, config

    config.load_kube_config(config_file=world.env["KUBECONFIG"])
    core = client.CoreV1Api()
    assert core.read_namespaced_resource_quota("flowctl-quota", world.namespace).spec.hard["requests.cpu"] == "16"
    limits = core.read_namespaced_limit_range("flowctl-limits", world.namespace).spec.limits[0]
    assert limits.default_request == {"cpu": "250m", "memory": "256Mi"}
    plan = world.cli("plan", "flows", "--version", "v1", "--detailed-exitcode")
    assert plan.returncode == 0, plan.stdout + plan.stderr  # nothing left to do, on the cluster either


def test_a_killed_controller_is_replaced_without_a_second_job(world: World) -> None:
    import fsspec

    execution = world.launched["counted_workflow"]
    assert wait_until(lambda: any(j["metadata"]["labels"].get("flowctl.io/execution") == execution.name
                                  and (j["status"] or {}).get("active") for j in world.jobs()), timeout=60)
    world.stop_controller(signal.SIGKILL)  # kill -9 while its Job (and the other executions) run
    world.start_controller()
    done = world.wait(execution, timeout=90)
    assert done.phase == "succeeded", (done.error, world.controller_log())
    fs = fsspec.filesystem("s3", endpoint_url=world.s3_env["AWS_ENDPOINT_URL_S3"], key="testing", secret="testing-secret")
    assert len(fs.ls(MARKERS.removeprefix("s3://"))) == 1  # the task ran in exactly one pod
    assert [a.attempt for a in world.store.load_attempts(done.id)["n0"]] == [0]
    assert done.outputs == {"o0": 1}


def test_abort_deletes_the_running_job(world: World) -> None:
    execution = world.launched["slow_workflow"]
    assert wait_until(lambda: world.pod_says(execution.name, "napping"), timeout=60)
    following = subprocess.Popen([sys.executable, "-m", "flowctl", "executions", "logs", execution.name, "-f"],
                                 cwd=world.root, env=world.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    aborted = world.cli("executions", "abort", execution.name, "--wait")
    assert aborted.stdout.strip() == "aborted", aborted.stdout + aborted.stderr
    followed, errors = following.communicate(timeout=60)  # `-f` ends when the attempt does
    assert following.returncode == 0 and "napping" in followed, followed + errors
    assert wait_until(lambda: not [j for j in world.jobs()
                                   if j["metadata"]["labels"].get("flowctl.io/execution") == execution.name], timeout=30)
    assert "napping" in world.cli("executions", "logs", execution.name).stdout


def test_the_seed_workflow_runs_with_the_default_quota_and_no_requests(world: World) -> None:
    done = world.wait(world.launched["standard_scale_workflow"])
    assert done.phase == "succeeded", (done.error, world.controller_log())
    assert done.outputs == {"o0": pytest.approx([-0.632455532, -0.316227766, 0.0, 0.316227766, 0.632455532])}
    logs = world.cli("executions", "logs", done.name, "--node", "n0")
    assert logs.returncode == 0 and "mean of [1.0, 2.0, 3.0, 4.0, 5.0]" in logs.stdout, logs.stdout + logs.stderr


def test_files_and_a_map_task_travel_through_s3_only(world: World) -> None:
    done = world.wait(world.launched["files_and_map"])
    assert done.phase == "succeeded", (done.error, world.attempt_messages(done), world.controller_log())
    seen, total = done.outputs["o0"], done.outputs["o1"]  # type: ignore[index]
    path, _, text = str(seen).partition("|")
    assert text == "hello from a pod" and path.startswith(f"s3://{BUCKET}/blobs/"), seen
    assert total == 1 + 4 + 9
    attempts = world.store.load_attempts(done.id)
    assert {n for n in attempts if "[" in n} == {"n2[0]", "n2[1]", "n2[2]"}
    assert all(a.outputs_uri and a.outputs_uri.startswith("s3://") for rows in attempts.values() for a in rows)
    # nothing of the blob store is on this machine: no local blob folder, and the pods' own
    # folders hold no attempt document (inputs, outputs, task spec) they could have read from one
    assert not (world.root / ".flowctl" / "blobs").exists()
    pod_dirs = list((world.sim_home / "run" / "pods").glob(f"{world.namespace}_*"))
    assert pod_dirs
    names = {p.name for d in pod_dirs for p in d.rglob("*") if p.is_file()}
    assert not names & {"inputs.json", "outputs.json", "task.json", "error.json"}, names


def test_a_failing_attempt_is_retried_and_succeeds(world: World) -> None:
    done = world.wait(world.launched["flaky_workflow"])
    assert done.phase == "succeeded" and done.outputs == {"o0": 42}, (done.error, world.controller_log())
    (attempts,) = world.store.load_attempts(done.id).values()
    assert [(a.attempt, a.phase) for a in attempts] == [(0, "failed"), (1, "succeeded")]
    logs = world.cli("executions", "logs", done.name)
    assert "attempt 1 (failed)" in logs.stdout and "first attempts fail" in logs.stdout and "attempt 2 (succeeded)" in logs.stdout


def test_a_failure_keeps_its_log_after_the_job_is_gone(world: World) -> None:
    done = world.wait(world.launched["failing_workflow"])
    assert done.phase == "failed" and "no values today" in str(done.error)
    assert not [j for j in world.jobs() if j["metadata"]["labels"].get("flowctl.io/execution") == done.name]
    logs = world.cli("executions", "logs", done.name)
    assert "exploding now" in logs.stdout and "ValueError: no values today" in logs.stdout, logs.stdout


def test_a_timeout_fails_the_attempt_and_keeps_its_log(world: World) -> None:
    done = world.wait(world.launched["timeout_workflow"])
    assert done.phase == "timed_out", (done.phase, done.error)
    assert "exceeded its timeout of 20s" in str(done.error)
    assert "starting the long part" in world.cli("executions", "logs", done.name).stdout


def test_a_hand_edited_limit_range_is_drift_and_apply_restores_it(world: World) -> None:
    from kubernetes import client, config

    # drift runs while an execution does: the Jobs of its attempts (running, just created, or awaiting
    # their cleanup after the attempt succeeded) are the registry's, never orphaned_job findings
    running = launch(world.store, world.project, "development", "flows.standard_scale_workflow", {"values": [1.0, 3.0]})
    assert wait_until(lambda: any(j["metadata"]["labels"].get("flowctl.io/execution") == running.name
                                  for j in world.jobs()), timeout=60), world.controller_log()
    config.load_kube_config(config_file=world.env["KUBECONFIG"])
    client.CoreV1Api().patch_namespaced_limit_range("flowctl-limits", world.namespace, {"spec": {"limits": [
        {"type": "Container", "defaultRequest": {"cpu": "2", "memory": "256Mi"}, "default": {"cpu": "2", "memory": "1Gi"}}]}})
    drift = world.cli("drift", "flows", "--format", "json")
    assert drift.returncode == 2, drift.stdout + drift.stderr
    assert _findings(drift.stdout) == [
        ("cluster_object_changed", f"{world.project}/development/cluster/LimitRange/flowctl-limits")]
    applied = world.cli("apply", "flows", "--version", "v1", "--auto-approve")
    assert applied.returncode == 0 and "Objects: 0 created, 1 updated." in applied.stdout, applied.stdout + applied.stderr
    after = world.cli("drift", "flows", "--format", "json")
    assert after.returncode == 0 and _findings(after.stdout) == [], after.stdout + after.stderr
    assert world.wait(running).phase == "succeeded", world.controller_log()


def _findings(report: str) -> list[tuple[str, str]]:
    return [(f["kind"], f["address"]) for g in json.loads(report)["groups"] for f in g["findings"]]
