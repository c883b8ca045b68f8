from __future__ import annotations

from pathlib import Path

import pytest

from flowctl._errors import ProviderError
from flowctl.providers._interface import AttemptRef, SubmitRequest
from flowctl.providers.kubernetes import KubernetesSettings, render_job
from flowctl.spec import InterfaceSpec, ResourcesSpec, SecretSpec, TaskSpec


def _request(**task_fields: object) -> SubmitRequest:
    task = TaskSpec(name="etl.load", interface=InterfaceSpec(), **task_fields)  # type: ignore[arg-type]
    return SubmitRequest(
        ref=AttemptRef("ml", "development", "e1", "n0", 3),
        task=task.to_json(),
        inputs_uri="s3://b/ml/development/e1/n0/3/inputs.json",
        outputs_uri="s3://b/ml/development/e1/n0/3/outputs.json",
        bundle_uri="s3://b/bundles/abc.tar.gz",
        blob_store="s3://b",
        environment={"FROM_DOMAIN": "1"},
        labels={"team": "ml"},
    )


SETTINGS = KubernetesSettings(default_image="registry/flowctl:1")


def _container(job: dict) -> dict:  # type: ignore[type-arg]
    return job["spec"]["template"]["spec"]["containers"][0]


def test_job_carries_entrypoint_resources_env_labels_and_limits() -> None:
    job = render_job(
        _request(requests=ResourcesSpec(cpu="500m", mem="1Gi"), limits=ResourcesSpec(mem="2Gi"), timeout_seconds=90.5,
                 environment={"A": "x"}, annotations={"owner": "me"}),
        SETTINGS, task_spec_uri="s3://b/ml/development/e1/n0/3/task.json",
    )
    assert job["metadata"]["name"] == "e1-n0-3"
    assert job["metadata"]["namespace"] == "ml-development"
    assert job["spec"]["backoffLimit"] == 0
    assert job["spec"]["activeDeadlineSeconds"] == 91 + 30  # the provider enforces 90.5 s; this is the backstop
    assert job["metadata"]["annotations"]["flowctl.io/timeout-seconds"] == "90.5"
    assert job["spec"]["ttlSecondsAfterFinished"] == 3600
    container = _container(job)
    assert container["image"] == "registry/flowctl:1"
    assert container["command"] == [
        "python", "-m", "flowctl.entrypoint",
        "--task-spec-uri", "s3://b/ml/development/e1/n0/3/task.json",
        "--inputs-uri", "s3://b/ml/development/e1/n0/3/inputs.json",
        "--outputs-uri", "s3://b/ml/development/e1/n0/3/outputs.json",
        "--bundle-uri", "s3://b/bundles/abc.tar.gz",
        "--blob-store", "s3://b",
    ]
    assert container["resources"] == {"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"cpu": "1", "memory": "2Gi"}}
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["A"] == "x" and env["FROM_DOMAIN"] == "1"
    assert env["FLOWCTL_PROJECT"] == "ml" and env["FLOWCTL_EXECUTION"] == "e1" and env["FLOWCTL_ATTEMPT"] == "3"
    labels = job["metadata"]["labels"]
    assert labels["app.kubernetes.io/managed-by"] == "flowctl"
    assert labels["flowctl.io/node"] == "n0" and labels["team"] == "ml"
    assert job["spec"]["template"]["metadata"]["labels"] == labels
    assert job["metadata"]["annotations"]["owner"] == "me"


def test_secrets_are_references_never_values() -> None:
    job = render_job(
        _request(secret_requests=(SecretSpec(group="db", key="password", env_var="DB_PASSWORD"),
                                  SecretSpec(group="tls", key="cert", mount_path="/etc/tls"),
                                  SecretSpec(group="all-of-it"))),
        SETTINGS, task_spec_uri="t",
    )
    container = _container(job)
    env = {e["name"]: e for e in container["env"]}
    assert env["DB_PASSWORD"]["valueFrom"] == {"secretKeyRef": {"name": "db", "key": "password"}}
    assert container["envFrom"] == [{"secretRef": {"name": "all-of-it"}}]
    volume = job["spec"]["template"]["spec"]["volumes"][0]
    assert volume["secret"] == {"secretName": "tls", "items": [{"key": "cert", "path": "cert"}]}
    assert container["volumeMounts"][0]["mountPath"] == "/etc/tls"


def test_image_precedence_and_missing_image() -> None:
    assert _container(render_job(_request(container_image="task:1"), SETTINGS, task_spec_uri="t"))["image"] == "task:1"
    request = _request()
    domain_default = SubmitRequest(**{**request.__dict__, "image": "domain:2"})
    assert _container(render_job(domain_default, SETTINGS, task_spec_uri="t"))["image"] == "domain:2"
    with pytest.raises(ProviderError, match="No container image"):
        render_job(request, KubernetesSettings(), task_spec_uri="t")


def test_gpu_request_is_also_the_limit() -> None:
    job = render_job(_request(requests=ResourcesSpec(gpu=2)), SETTINGS, task_spec_uri="t")
    assert _container(job)["resources"] == {"requests": {"cpu": "250m", "memory": "256Mi", "nvidia.com/gpu": "2"},
                                            "limits": {"cpu": "1", "memory": "1Gi", "nvidia.com/gpu": "2"}}


def test_a_task_without_resources_renders_the_configured_defaults() -> None:
    job = render_job(_request(), SETTINGS, task_spec_uri="t")
    assert _container(job)["resources"] == {"requests": {"cpu": "250m", "memory": "256Mi"},
                                            "limits": {"cpu": "1", "memory": "1Gi"}}
    domain = SubmitRequest(**{**_request().__dict__, "default_requests": {"mem": "2Gi"}, "default_limits": {"mem": "4Gi"}})
    assert _container(render_job(domain, SETTINGS, task_spec_uri="t"))["resources"] == {
        "requests": {"cpu": "250m", "memory": "2Gi"}, "limits": {"cpu": "1", "memory": "4Gi"}}


def test_defaults_never_make_the_pod_invalid() -> None:
    big = render_job(_request(requests=ResourcesSpec(cpu="4", mem="8Gi")), SETTINGS, task_spec_uri="t")
    assert _container(big)["resources"] == {"requests": {"cpu": "4", "memory": "8Gi"}, "limits": {"cpu": "4", "memory": "8Gi"}}
    small = render_job(_request(limits=ResourcesSpec(cpu="100m", mem="64Mi")), SETTINGS, task_spec_uri="t")
    assert _container(small)["resources"] == {"requests": {"cpu": "100m", "memory": "64Mi"},
                                              "limits": {"cpu": "100m", "memory": "64Mi"}}


def test_the_blob_store_secret_reaches_the_pod_by_reference() -> None:
    settings = KubernetesSettings(default_image="registry/flowctl:1", blob_store_secret="flowctl-s3")
    container = _container(render_job(_request(), settings, task_spec_uri="t"))
    assert {"secretRef": {"name": "flowctl-s3"}} in container["envFrom"]


def test_pod_template_is_the_base_and_flowctl_wins() -> None:
    pod_template = {
        "primary_container_name": "main",
        "metadata": {"labels": {"extra": "yes"}},
        "spec": {
            "nodeSelector": {"pool": "gpu"},
            "tolerations": [{"key": "gpu", "operator": "Exists"}],
            "containers": [{"name": "main", "image": "ignored", "env": [{"name": "FROM_TEMPLATE", "value": "1"}]},
                           {"name": "sidecar", "image": "proxy:1"}],
        },
    }
    job = render_job(_request(pod_template=pod_template), SETTINGS, task_spec_uri="t")
    spec = job["spec"]["template"]["spec"]
    assert spec["nodeSelector"] == {"pool": "gpu"}
    assert [c["name"] for c in spec["containers"]] == ["task", "sidecar"]
    task = spec["containers"][0]
    assert task["image"] == "registry/flowctl:1"
    assert {"name": "FROM_TEMPLATE", "value": "1"} in task["env"]
    assert job["spec"]["template"]["metadata"]["labels"]["extra"] == "yes"
    assert spec["restartPolicy"] == "Never"


def test_user_template_per_project_domain_overrides_the_package(tmp_path: Path) -> None:
    folder = tmp_path / "ml" / "development"
    folder.mkdir(parents=True)
    packaged = (Path(__file__).parents[3] / "providers/kubernetes/templates/job.yaml.j2").read_text()
    (folder / "job.yaml.j2").write_text(packaged.replace("restartPolicy: Never", "restartPolicy: Never\n      priorityClassName: batch-low"))
    settings = KubernetesSettings(default_image="i", template_dir=tmp_path)
    job = render_job(_request(), settings, task_spec_uri="t")
    assert job["spec"]["template"]["spec"]["priorityClassName"] == "batch-low"
    other = SubmitRequest(**{**_request().__dict__, "ref": AttemptRef("ml", "production", "e1", "n0", 0)})
    assert "priorityClassName" not in render_job(other, settings, task_spec_uri="t")["spec"]["template"]["spec"]


def test_broken_user_template_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "job.yaml.j2").write_text("kind: Job\napiVersion: batch/v1\nmetadata: {{ nope }}\n")
    with pytest.raises(ProviderError, match=r"Cannot render Kubernetes template job\.yaml\.j2") as info:
        render_job(_request(), KubernetesSettings(default_image="i", template_dir=tmp_path), task_spec_uri="t")
    assert "nope" in info.value.render()


def test_a_pod_template_of_client_models_is_stored_as_the_apis_json() -> None:
    from kubernetes.client import V1Container, V1EnvVar, V1PodSpec, V1Toleration

    from flowctl import PodTemplate

    stored = PodTemplate(pod_spec=V1PodSpec(
        containers=[V1Container(name="primary", env=[V1EnvVar(name="EXTRA", value="1")])],
        node_selector={"pool": "a"}, tolerations=[V1Toleration(key="k", operator="Exists")])).to_json()
    assert stored["pod_spec"] == {"containers": [{"name": "primary", "env": [{"name": "EXTRA", "value": "1"}]}],
                                  "nodeSelector": {"pool": "a"}, "tolerations": [{"key": "k", "operator": "Exists"}]}
    spec = render_job(_request(pod_template=stored), SETTINGS, task_spec_uri="t")["spec"]["template"]["spec"]
    assert spec["nodeSelector"] == {"pool": "a"} and spec["tolerations"] == [{"key": "k", "operator": "Exists"}]
    assert [c["name"] for c in spec["containers"]] == ["task"]
    assert {"name": "EXTRA", "value": "1"} in spec["containers"][0]["env"]


def test_a_pod_template_field_kubernetes_does_not_know_is_an_error() -> None:
    with pytest.raises(ProviderError, match="fields Kubernetes does not know") as info:
        render_job(_request(pod_template={"pod_spec": {"node_selector": {"pool": "a"}}}), SETTINGS, task_spec_uri="t")
    assert "`node_selector` (did you mean `nodeSelector`?)" in info.value.render()


def test_the_task_container_reports_its_last_log_lines_when_it_fails() -> None:
    """An entrypoint that cannot save its result ends with one line on stderr; the kubelet puts the log's
    tail in the terminated state's message, which the attempt's failure carries (``_status``)."""
    job = render_job(_request(), SETTINGS, task_spec_uri="s3://b/ml/development/e1/n0/3/task.json")
    assert _container(job)["terminationMessagePolicy"] == "FallbackToLogsOnError"
