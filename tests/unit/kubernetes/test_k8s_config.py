from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from flowctl._config import Config
from flowctl.providers.kubernetes import KubernetesProvider, KubernetesSettings


def test_from_config_reads_the_kubernetes_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "flowctl.toml").write_text(
        '[provider.kubernetes]\nnamespace = "flowctl-{project}-{domain}"\ndefault_image = "reg/flowctl:3"\ncontext = "prod"\n'
    )
    for var in ("KUBECONFIG", "FLOWCTL_KUBE_CONTEXT", "FLOWCTL_DEFAULT_IMAGE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("FLOWCTL_KUBE_TEMPLATES", "k8s-templates")
    monkeypatch.setenv("FLOWCTL_BLOB_STORE", "s3://bucket/flowctl")
    provider = KubernetesProvider.from_config(Config(cwd=tmp_path))
    settings = provider.settings
    assert settings.namespace("ml", "staging") == "flowctl-ml-staging"
    assert (settings.default_image, settings.context, settings.kubeconfig) == ("reg/flowctl:3", "prod", None)
    assert settings.template_dir == tmp_path / "k8s-templates"
    provider.close()  # never connected: nothing to close, nothing loaded


def test_get_provider_picks_kubernetes_without_loading_the_client(tmp_path: Path) -> None:
    code = (
        "import sys; from pathlib import Path; from flowctl._config import Config; "
        "from flowctl.providers import get_provider; "
        f"p = get_provider(Config(cwd=Path({str(tmp_path)!r}), flags={{'blob_store.url': 's3://b/f'}}), name='kubernetes'); "
        "print(p.name, 'kubernetes' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["kubernetes", "False"]


def test_a_bad_kubeconfig_is_a_clear_error(tmp_path: Path) -> None:
    from flowctl._errors import ProviderError
    from flowctl.providers.kubernetes._client import load_api_client

    missing = tmp_path / "nope.yaml"
    with pytest.raises(ProviderError, match="Cannot load the Kubernetes configuration") as info:
        load_api_client(KubernetesSettings(kubeconfig=str(missing), in_cluster=False))
    assert "--kubeconfig" in info.value.render()


def test_a_kubeconfig_context_is_used(tmp_path: Path) -> None:
    from flowctl.providers.kubernetes._client import load_api_client

    kubeconfig = tmp_path / "config"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: a\n"
        "clusters:\n- name: ca\n  cluster: {server: 'https://a.example:6443'}\n"
        "- name: cb\n  cluster: {server: 'https://b.example:6443'}\n"
        "users:\n- name: u\n  user: {token: t}\n"
        "contexts:\n- name: a\n  context: {cluster: ca, user: u}\n- name: b\n  context: {cluster: cb, user: u}\n"
    )
    client = load_api_client(KubernetesSettings(kubeconfig=str(kubeconfig), context="b", in_cluster=False))
    try:
        assert client.configuration.host == "https://b.example:6443"
    finally:
        client.close()


def test_resource_defaults_and_timeouts_come_from_flowctl_toml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "flowctl.toml").write_text(
        '[provider.kubernetes]\ndefault_requests = {cpu = "500m", mem = "1Gi"}\npending_timeout = 5\n'
        'blob_store_secret = "flowctl-s3"\n'
    )
    for var in ("FLOWCTL_KUBE_DEFAULT_REQUESTS", "FLOWCTL_KUBE_DEFAULT_LIMITS", "FLOWCTL_KUBE_PENDING_TIMEOUT"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("FLOWCTL_KUBE_DEFAULT_LIMITS", "cpu=2,memory=4Gi")
    settings = KubernetesSettings.from_config(Config(cwd=tmp_path))
    assert settings.default_requests == {"cpu": "500m", "memory": "1Gi"}
    assert settings.default_limits == {"cpu": "2", "memory": "4Gi"}
    assert (settings.pending_timeout_seconds, settings.blob_store_secret) == (5.0, "flowctl-s3")


def test_a_bad_resource_setting_names_where_it_came_from(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from flowctl._errors import InputError

    monkeypatch.setenv("FLOWCTL_KUBE_DEFAULT_REQUESTS", "cpu")
    with pytest.raises(InputError, match="FLOWCTL_KUBE_DEFAULT_REQUESTS") as info:
        KubernetesSettings.from_config(Config(cwd=tmp_path))
    assert "cpu=250m,memory=256Mi" in info.value.render()


def test_a_local_blob_store_is_refused_unless_allowed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from flowctl._errors import ProviderError

    monkeypatch.delenv("FLOWCTL_BLOB_STORE", raising=False)
    monkeypatch.delenv("FLOWCTL_KUBE_ALLOW_LOCAL_BLOB_STORE", raising=False)
    with pytest.raises(ProviderError, match="is a local folder, which Kubernetes pods cannot read") as info:
        KubernetesProvider.from_config(Config(cwd=tmp_path))
    assert "s3://" in info.value.render() and "allow_local_blob_store" in info.value.render()
    monkeypatch.setenv("FLOWCTL_KUBE_ALLOW_LOCAL_BLOB_STORE", "true")
    KubernetesProvider.from_config(Config(cwd=tmp_path)).close()
