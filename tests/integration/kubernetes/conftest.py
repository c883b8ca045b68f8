"""Fixtures: the Kubernetes API double and a provider pointed at it (watch on, fast retries)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from flowctl.providers.kubernetes import KubernetesProvider, KubernetesSettings
from flowctl.providers.kubernetes.testing import KubernetesDouble, succeed

NAMESPACE = "ml-development"


@pytest.fixture
def k8s() -> Iterator[KubernetesDouble]:
    with KubernetesDouble(runner=succeed, bookmark_interval=0.2) as double:
        double.create_namespace(NAMESPACE)
        yield double


@pytest.fixture
def settings() -> KubernetesSettings:
    return KubernetesSettings(default_image="flowctl:test", watch_timeout_seconds=5, backoff_base=0.01,
                              backoff_max=0.05, max_retries=3, pending_timeout_seconds=0)


@pytest.fixture
def provider(k8s: KubernetesDouble, settings: KubernetesSettings) -> Iterator[KubernetesProvider]:
    p = KubernetesProvider(settings, client=k8s.kube_client(settings))
    yield p
    p.close()
