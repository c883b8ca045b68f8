"""Fixtures: the Kubernetes API double, a provider pointed at it (watch on, fast retries), and the
real control plane (k8s-sim, once per session) that the contract suite also runs against."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import k8s_sim
from cluster_support import Cluster

from flowctl.providers.kubernetes import KubernetesProvider, KubernetesSettings
from flowctl.providers.kubernetes.testing import KubernetesDouble, run_locally, succeed

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


@pytest.fixture(scope="session")
def k8s_sim_cluster() -> Iterator[dict[str, str]]:
    """k8s-sim's exports (KUBECONFIG, K8S_SIM_HOME, K8S_SIM_API_SERVER); skips when it cannot run."""
    info = k8s_sim.start()
    yield info
    k8s_sim.stop(info)


@pytest.fixture(scope="module", params=["double", pytest.param("sim", marks=pytest.mark.k8s_sim)])
def cluster(request: pytest.FixtureRequest) -> Iterator[Cluster]:
    """The contract suite's API server: the double (pods run their command here) or k8s-sim."""
    if request.param == "double":
        with KubernetesDouble(runner=run_locally, bookmark_interval=0.5) as double:
            yield Cluster("double", double=double)
        return
    info = request.getfixturevalue("k8s_sim_cluster")
    yield Cluster("sim", kubeconfig=info["KUBECONFIG"], home=Path(info["K8S_SIM_HOME"]))
