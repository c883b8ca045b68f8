"""What only a real API server checks (the double does not model ServiceAccount admission): a Job
whose pods name a service account that does not exist fails with the server's own message."""

from __future__ import annotations

from pathlib import Path

import pytest
from cluster_support import Cluster, python_task, request, wait_terminal

pytestmark = [pytest.mark.slow, pytest.mark.k8s_sim]


def test_a_missing_service_account_fails_the_attempt_with_the_servers_message(
        k8s_sim_cluster: dict[str, str], tmp_path: Path) -> None:
    cluster = Cluster("sim", kubeconfig=k8s_sim_cluster["KUBECONFIG"], home=Path(k8s_sim_cluster["K8S_SIM_HOME"]))
    project, namespace = cluster.namespace(cluster.settings())
    provider = cluster.provider(cluster.settings(service_account="nobody-made-me"))
    try:
        req = request(tmp_path, project, python_task(tmp_path, """
            from flowctl import task

            @task
            def work(x: int) -> int:
                return x
        """))
        status = wait_terminal(provider, req.ref, provider.submit(req).handle, timeout=45)
        assert status.error is not None and (status.error.code, status.error.retryable) == ("FailedCreate", False), status
        assert 'serviceaccount "nobody-made-me" not found' in status.error.message
        assert "flowctl apply" in status.error.message
    finally:
        provider.close()
        cluster.delete_namespace(namespace)
