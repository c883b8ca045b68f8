"""An API double of Kubernetes for tests (flowctl's and users'): a real HTTP server on 127.0.0.1.

See :class:`KubernetesDouble`. It enforces what the real API server does that flowctl depends on
(quota and LimitRange admission with ``FailedCreate`` events, Job -> Pod creation, logs only while
a pod exists, 410 Gone on a compacted resourceVersion); ``tests/integration/kubernetes`` runs one
contract suite against it and against a real control plane so the two cannot drift apart.
"""

from flowctl.providers.kubernetes.testing._double import KubernetesDouble, PodFault
from flowctl.providers.kubernetes.testing._http import RecordedRequest
from flowctl.providers.kubernetes.testing._pods import PodResult, PodRun, run_locally, succeed

__all__ = ["KubernetesDouble", "PodFault", "PodResult", "PodRun", "RecordedRequest", "run_locally", "succeed"]
