"""Issue 17 on Kubernetes: an ImageSpec names the Job's image, Resources(gpu="1") becomes an
``nvidia.com/gpu`` limit, interruptible=True adds the configured toleration and node selector."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest

from flowctl import ImageSpec, Resources, task
from flowctl._config import Config
from flowctl._errors import ManifestError
from flowctl.providers._interface import AttemptRef, SubmitRequest
from flowctl.providers.kubernetes import KubernetesSettings, render_job
from flowctl.sdk import definition_of

IMAGE = ImageSpec(name="train", registry="ghcr.io/acme", packages=["torch==2.5"], cuda="12.4")


@task(container_image=IMAGE, requests=Resources(cpu="2", gpu="1"), interruptible=True)
def train(epochs: int) -> float:
    return float(epochs)


@task(requests=Resources(cpu="1"))
def plain(x: int) -> int:
    return x


def _job(fn: Any, settings: KubernetesSettings) -> dict[str, Any]:
    spec = definition_of(fn).spec
    request = SubmitRequest(ref=AttemptRef("ml", "development", "e1", "n0", 0), task=spec.to_json(),
                            inputs_uri="s3://b/i.json", outputs_uri="s3://b/o/outputs.json", bundle_uri=None,
                            blob_store="s3://b")
    return render_job(request, settings, task_spec_uri="s3://b/o/task.json")


def test_image_spec_gpu_and_interruptible_in_the_job(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("FLOWCTL_KUBE_INTERRUPTIBLE_TOLERATION", "cloud.google.com/gke-spot=true:NoSchedule,spot:NoExecute")
    monkeypatch.setenv("FLOWCTL_KUBE_INTERRUPTIBLE_NODE_SELECTOR", "cloud.google.com/gke-spot=true")
    settings = KubernetesSettings.from_config(Config(cwd=tmp_path))
    job = _job(train, settings)
    pod = job["spec"]["template"]
    container = pod["spec"]["containers"][0]
    assert container["image"] == IMAGE.image_name()
    assert container["resources"]["limits"]["nvidia.com/gpu"] == "1"
    assert pod["spec"]["tolerations"] == [
        {"key": "cloud.google.com/gke-spot", "operator": "Equal", "value": "true", "effect": "NoSchedule"},
        {"key": "spot", "operator": "Exists", "effect": "NoExecute"},
    ]
    assert pod["spec"]["nodeSelector"] == {"cloud.google.com/gke-spot": "true"}
    assert pod["metadata"]["labels"]["flowctl.io/interruptible"] == "true"
    kubernetes_validate.validate(job, "1.33.0", strict=True)


def test_defaults_and_a_task_that_is_not_interruptible(tmp_path: Path) -> None:
    settings = KubernetesSettings.from_config(Config(cwd=tmp_path))
    job = _job(train, settings)
    assert job["spec"]["template"]["spec"]["tolerations"] == [
        {"key": "flowctl.io/interruptible", "operator": "Equal", "value": "true", "effect": "NoSchedule"}]
    other = _job(plain, KubernetesSettings(default_image="registry/flowctl:1"))
    assert "tolerations" not in other["spec"]["template"]["spec"]


def test_a_bad_toleration_setting_is_explained(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("FLOWCTL_KUBE_INTERRUPTIBLE_TOLERATION", "spot=true")
    with pytest.raises(ManifestError, match="Invalid interruptible toleration 'spot=true'") as info:
        KubernetesSettings.from_config(Config(cwd=tmp_path))
    assert "key=value:Effect" in str(info.value)
