"""The Kubernetes provider: task attempts as ``batch/v1`` Jobs in per project-domain namespaces.

Importing this package does not import the ``kubernetes`` client; the first API call does.
``flowctl.providers.kubernetes.testing`` ships an API double for tests.
"""

from flowctl.providers.kubernetes._client import KubeClient, KubernetesApiError
from flowctl.providers.kubernetes._jobs import render_job
from flowctl.providers.kubernetes._names import job_name, namespace_name
from flowctl.providers.kubernetes._namespaces import (
    apply_objects,
    controller_objects,
    desired_namespace_objects,
    read_object,
    read_objects,
)
from flowctl.providers.kubernetes._provider import KubernetesProvider
from flowctl.providers.kubernetes._settings import KubernetesSettings
from flowctl.providers.kubernetes._status import attempt_status

__all__ = [
    "KubeClient",
    "KubernetesApiError",
    "KubernetesProvider",
    "KubernetesSettings",
    "apply_objects",
    "attempt_status",
    "controller_objects",
    "desired_namespace_objects",
    "job_name",
    "namespace_name",
    "read_object",
    "read_objects",
    "render_job",
]
