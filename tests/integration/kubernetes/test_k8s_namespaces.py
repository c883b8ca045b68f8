"""Namespace objects: applied (create, then merge patch) and read back for drift, against the double."""

from __future__ import annotations

import pytest

from flowctl.providers.kubernetes import (
    KubernetesApiError,
    KubernetesSettings,
    apply_objects,
    desired_namespace_objects,
    read_objects,
)
from flowctl.providers.kubernetes.testing import KubernetesDouble


def test_apply_creates_then_patches_and_read_returns_the_cluster_view(k8s: KubernetesDouble,
                                                                       settings: KubernetesSettings) -> None:
    client = k8s.kube_client(settings)
    assert read_objects("ads", "staging", client, settings) == []
    objects = desired_namespace_objects("ads", "staging", settings)
    assert [a for _, a in apply_objects(objects, client)] == ["created", "created", "created", "created"]
    bigger = KubernetesSettings(**{**settings.__dict__, "quota": {"requests.cpu": "64"},
                                   "default_requests": {"cpu": "2"}})
    actions = apply_objects(desired_namespace_objects("ads", "staging", bigger), client)
    assert actions == [("Namespace/ads-staging", "patched"), ("ResourceQuota/ads-staging/flowctl-quota", "patched"),
                       ("ServiceAccount/ads-staging/flowctl-task", "patched"), ("LimitRange/ads-staging/flowctl-limits", "patched")]
    seen = {o["kind"]: o for o in read_objects("ads", "staging", client, bigger)}
    assert seen["ResourceQuota"]["spec"]["hard"]["requests.cpu"] == "64"
    assert seen["LimitRange"]["spec"]["limits"][0]["defaultRequest"] == {"cpu": "2"}
    assert seen["Namespace"]["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "flowctl"
    assert set(seen) == {"Namespace", "ResourceQuota", "ServiceAccount", "LimitRange"}
    client.close()


def test_apply_refused_is_a_provider_error_with_the_fix(k8s: KubernetesDouble, settings: KubernetesSettings) -> None:
    client = k8s.kube_client(settings)
    k8s.fail_next(403, verb="create", resource="namespaces")
    with pytest.raises(KubernetesApiError, match="refused to create namespaces/ads-staging") as info:
        apply_objects(desired_namespace_objects("ads", "staging", settings), client)
    assert "flowctl k8s render --controller" in info.value.render()
    client.close()
