"""One face for the two API servers the contract suite runs against: the API double and k8s-sim."""

from __future__ import annotations

import json
import textwrap
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from k8s_sim import compact_etcd

from flowctl.providers._interface import AttemptRef, StatusResponse, SubmitRequest
from flowctl.providers.kubernetes import (
    KubernetesProvider,
    KubernetesSettings,
    apply_objects,
    desired_namespace_objects,
)
from flowctl.providers.kubernetes._client import KubeClient
from flowctl.providers.kubernetes.testing import KubernetesDouble
from flowctl.spec import CodeSpec, InputSpec, InterfaceSpec, OutputSpec, TaskSpec, TypeSpec

BASE_SETTINGS = KubernetesSettings(default_image="flowctl:test", watch_timeout_seconds=5, backoff_base=0.05,
                                   backoff_max=0.5, max_retries=4, pending_timeout_seconds=2.0)


@dataclass
class Cluster:
    """``double`` (an in-process API double) or ``sim`` (a real v1.28 control plane)."""

    name: str
    kubeconfig: str | None = None
    home: Path | None = None
    double: KubernetesDouble | None = None

    def settings(self, **changes: Any) -> KubernetesSettings:
        return replace(BASE_SETTINGS, kubeconfig=self.kubeconfig, in_cluster=False if self.kubeconfig else None,
                       **changes)

    def kube_client(self, settings: KubernetesSettings) -> KubeClient:
        return self.double.kube_client(settings) if self.double is not None else KubeClient(settings)

    def provider(self, settings: KubernetesSettings, **kwargs: Any) -> KubernetesProvider:
        return KubernetesProvider(settings, client=self.kube_client(settings), **kwargs)

    def api(self) -> Any:
        """A raw ``kubernetes.client.ApiClient`` for what a person would do with kubectl."""
        from kubernetes import client, config

        if self.double is not None:
            return self.double.api_client()
        configuration = client.Configuration()
        config.load_kube_config(config_file=self.kubeconfig, client_configuration=configuration)
        return client.ApiClient(configuration)

    def compact(self) -> None:
        """History before now is gone: watches from an older resourceVersion get 410 Gone."""
        if self.double is not None:
            self.double.expire_watches()
            return
        from kubernetes import client

        assert self.home is not None
        with self.api() as api:  # two writes, so even a quiet cluster's newest version is past every watcher's
            core = client.CoreV1Api(api)
            name = f"flowctl-compact-{uuid.uuid4().hex[:8]}"
            core.create_namespaced_config_map("default", {"metadata": {"name": name}})
            core.delete_namespaced_config_map(name, "default")
        compact_etcd(self.home)

    def namespace(self, settings: KubernetesSettings, domain: str = "development") -> tuple[str, str]:
        """A fresh project-domain with flowctl's namespace objects applied; (project, namespace)."""
        project = f"c{uuid.uuid4().hex[:8]}"
        client = self.kube_client(settings)
        try:
            apply_objects(desired_namespace_objects(project, domain, settings), client)
            namespace = settings.namespace(project, domain)
            self._wait_quota_active(namespace)
        finally:
            client.close()
        return project, namespace

    def _wait_quota_active(self, namespace: str) -> None:
        """The quota controller fills ``status.hard`` before admission enforces a new quota."""
        if self.double is not None:
            return
        from kubernetes import client

        with self.api() as api:
            core = client.CoreV1Api(api)
            wait_until(lambda: bool(core.read_namespaced_resource_quota("flowctl-quota", namespace).status.hard or {}),
                       timeout=30)

    def delete_namespace(self, namespace: str) -> None:
        from kubernetes import client

        with self.api() as api:
            client.CoreV1Api(api).delete_namespace(namespace, propagation_policy="Background")


def wait_until(predicate: Callable[[], bool], timeout: float = 30.0, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def wait_terminal(provider: KubernetesProvider, ref: AttemptRef, handle: str, timeout: float = 60.0) -> StatusResponse:
    deadline = time.monotonic() + timeout
    while True:
        status = provider.status(ref, handle)
        if status.phase in ("succeeded", "failed") or time.monotonic() > deadline:
            return status
        time.sleep(0.1)


def python_task(tmp_path: Path, body: str, **fields: Any) -> TaskSpec:
    """A task from ``body`` (a module defining ``work(x: int) -> int``), importable in the pods."""
    module = tmp_path / "code" / "contract_tasks.py"
    module.parent.mkdir(parents=True, exist_ok=True)
    module.write_text(textwrap.dedent(body))
    environment = {"PYTHONPATH": str(module.parent), **fields.pop("environment", {})}
    int_type = TypeSpec(kind="int")
    return TaskSpec(
        name="contract_tasks.work",
        interface=InterfaceSpec(inputs=(InputSpec(name="x", type=int_type),), outputs=(OutputSpec(name="o0", type=int_type),)),
        code=CodeSpec(module="contract_tasks", qualname="work", source_file="contract_tasks.py", source_line=1,
                      code_digest="0"),
        environment=environment, **fields)


def request(tmp_path: Path, project: str, task: TaskSpec, *, x: int = 1, node: str = "n0", attempt: int = 0,
            timeout: float | None = None) -> SubmitRequest:
    prefix = tmp_path / "blobs" / project / "development" / "e1" / node / str(attempt)
    prefix.mkdir(parents=True, exist_ok=True)
    (prefix / "inputs.json").write_text(json.dumps({"x": x}))
    return SubmitRequest(ref=AttemptRef(project, "development", "e1", node, attempt), task=task.to_json(),
                         inputs_uri=str(prefix / "inputs.json"), outputs_uri=str(prefix / "outputs.json"),
                         bundle_uri=None, blob_store=str(tmp_path / "blobs"), timeout_seconds=timeout)
