"""Cache keys: task name, cache version, interface and input values (minus ignored inputs).

The key does not contain the project and domain: entries are scoped by those columns, so nothing
of one project-domain is visible to another's executions.
"""

from __future__ import annotations

from collections.abc import Mapping

from flowctl.spec import Json, TaskSpec, digest_of


def cache_key(task: TaskSpec, inputs: Mapping[str, Json]) -> str:
    assert task.cache is not None
    ignored = set(task.cache.ignored_inputs)
    return digest_of({
        "task": task.name,
        "cache_version": task.cache.version,
        "interface": task.interface.to_json(),
        "inputs": {k: v for k, v in inputs.items() if k not in ignored},
    })
