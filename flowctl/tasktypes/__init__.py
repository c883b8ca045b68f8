"""Task types beyond Python functions: container tasks, shell tasks, and third-party plugins.

``ContainerTask`` and ``ShellTask`` are built in; a distribution adds more through the
``flowctl.task_types`` entry point group (see :mod:`flowctl.tasktypes._plugin` for the interface
and docs/task-types.md for the guide). Importing this package is light: Jinja2 and the entry
points are loaded when first needed.
"""

from flowctl.tasktypes._container import ContainerTask
from flowctl.tasktypes._dynamic import DynamicDefinition, dynamic
from flowctl.tasktypes._execute import execute_task_spec
from flowctl.tasktypes._options import Problems, declared_at, define_task
from flowctl.tasktypes._plugin import (
    KubernetesJobAdapter,
    PluginTask,
    PluginTaskDefinition,
    TaskTypePlugin,
    build_interface,
)
from flowctl.tasktypes._registry import (
    ENTRY_POINT_GROUP,
    PluginInfo,
    TaskTypeUnavailable,
    check_definition,
    declaration_checks,
    declaration_warnings,
    get_plugin,
    plugins,
)
from flowctl.tasktypes._shell import OutputLocation, ShellTask

__all__ = [
    "ENTRY_POINT_GROUP",
    "ContainerTask",
    "DynamicDefinition",
    "KubernetesJobAdapter",
    "OutputLocation",
    "PluginInfo",
    "PluginTask",
    "PluginTaskDefinition",
    "Problems",
    "ShellTask",
    "TaskTypePlugin",
    "TaskTypeUnavailable",
    "build_interface",
    "check_definition",
    "declaration_checks",
    "declaration_warnings",
    "declared_at",
    "define_task",
    "dynamic",
    "execute_task_spec",
    "get_plugin",
    "plugins",
]
