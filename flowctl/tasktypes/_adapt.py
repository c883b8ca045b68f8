"""The Kubernetes provider's hook into task types: the Job of an attempt as its task type wants it.

Above the registry (it asks it for the task's plugin) and the plugin interface; the Job rewrites
themselves (``_k8s.container_task_job``) sit below both.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flowctl.spec import TaskSpec
from flowctl.tasktypes._plugin import KubernetesJobAdapter
from flowctl.tasktypes._registry import get_plugin

if TYPE_CHECKING:
    from flowctl.providers._interface import SubmitRequest


def adapt_job(job: dict[str, Any], request: SubmitRequest) -> dict[str, Any]:
    """The provider's hook: the Job for ``request`` as its task type wants it.

    ``python`` tasks and plugins without ``adapt_kubernetes_job`` keep the rendered Job (the flowctl
    image runs the entrypoint, which runs the plugin); a plugin with it (``container``) rewrites it.
    Raises TaskTypeUnavailable when the task's plugin is not installed or failed to load."""
    task_type = str(request.task.get("task_type") or "python")
    if task_type == "python":
        return job
    plugin = get_plugin(task_type)
    if not isinstance(plugin, KubernetesJobAdapter):
        return job
    return plugin.adapt_kubernetes_job(job, TaskSpec.model_validate(request.task), request)
