"""Every object flowctl generates validates against the official Kubernetes schemas (strict: no unknown
fields), for the oldest and newest versions kubernetes-validate ships that flowctl supports."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from flowctl.providers._interface import AttemptRef, SubmitRequest
from flowctl.providers.kubernetes import (
    KubernetesSettings,
    controller_objects,
    desired_namespace_objects,
    render_job,
)
from flowctl.spec import InterfaceSpec, ResourcesSpec, SecretSpec, TaskSpec

VERSIONS = ["1.29.0", "1.33.0", "1.37.0"]
SETTINGS = KubernetesSettings(default_image="ghcr.io/example/flowctl:1", blob_store_secret="flowctl-blob-store")


def _job() -> dict[str, Any]:
    task = TaskSpec(
        name="etl.load", interface=InterfaceSpec(), timeout_seconds=600,
        requests=ResourcesSpec(cpu="500m", mem="1Gi", gpu=1, ephemeral_storage="10Gi"), limits=ResourcesSpec(mem="2Gi"),
        environment={"A": "1"}, labels={"team": "ml"}, annotations={"owner": "ml-team"},
        secret_requests=(SecretSpec(group="db", key="password"), SecretSpec(group="tls", key="crt", mount_path="/etc/tls"),
                         SecretSpec(group="env-all")),
        pod_template={"spec": {"nodeSelector": {"pool": "gpu"}, "tolerations": [{"key": "gpu", "operator": "Exists"}],
                               "containers": [{"name": "sidecar", "image": "envoy:1"}]}},
    )
    request = SubmitRequest(ref=AttemptRef("ml", "production", "exec-" + "x" * 60, "n1", 2), task=task.to_json(),
                            inputs_uri="s3://b/i.json", outputs_uri="s3://b/o/outputs.json", bundle_uri="s3://b/b.tgz",
                            blob_store="s3://b", service_account="ml-runner")
    return render_job(request, SETTINGS, task_spec_uri="s3://b/o/task.json")


def _objects() -> list[dict[str, Any]]:
    return [_job(), *desired_namespace_objects("ml", "development", SETTINGS), *controller_objects(SETTINGS)]


def test_every_kind_is_covered() -> None:
    kinds = sorted({o["kind"] for o in _objects()})
    assert kinds == ["ClusterRole", "ClusterRoleBinding", "Deployment", "Job", "LimitRange", "Namespace",
                     "ResourceQuota", "ServiceAccount"]


@pytest.mark.parametrize("version", VERSIONS)
def test_generated_objects_validate(version: str) -> None:
    for obj in _objects():
        kubernetes_validate.validate(obj, version, strict=True)


def test_an_invalid_object_is_caught() -> None:
    job = _job()
    job["spec"]["backoffLimit"] = "zero"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(job, VERSIONS[0], strict=True)


EXAMPLES = Path(__file__).parents[3] / "examples" / "kubernetes" / "manifests"


@pytest.mark.parametrize("version", [VERSIONS[0], VERSIONS[-1]])
def test_example_manifests_validate(version: str) -> None:
    files = sorted(EXAMPLES.glob("*.yaml"))
    assert files
    for path in files:
        for obj in yaml.safe_load_all(path.read_text()):
            if obj:
                kubernetes_validate.validate(obj, version, strict=True)


@pytest.mark.parametrize(("file", "args"), [
    ("controller.yaml", ["--controller", "--image", "ghcr.io/you/flowctl:1", "--blob-store", "s3://my-bucket/flowctl"]),
    ("my-ml-project.yaml", ["--project", "my-ml-project"]),
])
def test_example_manifests_are_what_render_prints(file: str, args: list[str], monkeypatch: pytest.MonkeyPatch,
                                                   tmp_path: Path) -> None:
    import typer
    from typer.testing import CliRunner

    from flowctl.cli import cmd_k8s

    monkeypatch.chdir(tmp_path)  # no flowctl.toml around
    for var in ("FLOWCTL_DEFAULT_IMAGE", "FLOWCTL_BLOB_STORE", "FLOWCTL_KUBE_TEMPLATES"):
        monkeypatch.delenv(var, raising=False)
    app = typer.Typer()
    cmd_k8s.register(app)
    result = CliRunner().invoke(app, ["k8s", "render", *args])
    assert result.exit_code == 0, result.output
    assert result.stdout == (EXAMPLES / file).read_text(), f"regenerate {file}: flowctl k8s render {' '.join(args)}"
