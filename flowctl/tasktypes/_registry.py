"""Which task types exist: the built-ins and the plugins found in the ``flowctl.task_types`` entry points.

A distribution adds a task type with, in its ``pyproject.toml``::

    [project.entry-points."flowctl.task_types"]
    sqlite = "flowctl_sqlite:plugin"      # an object (or a class without arguments) with
                                          # task_type, check(spec, source=...), execute(spec, inputs, workdir)

Entry points are loaded lazily, the first time a task type that is not built in is needed (or
``flowctl plugins list`` runs). A plugin that fails to load is recorded with the reason and is
only an error for tasks of its own type; every other workflow keeps working.
"""

from __future__ import annotations

import dataclasses
import threading
import traceback
from dataclasses import dataclass, field
from importlib import metadata
from typing import TYPE_CHECKING, Any, Literal

from flowctl._errors import Diagnostic, FlowctlError, ManifestError

if TYPE_CHECKING:  # the plugin interface (_plugin) runs its tasks through the registry: types only here
    from flowctl.tasktypes._plugin import PluginTaskDefinition, TaskTypePlugin

ENTRY_POINT_GROUP = "flowctl.task_types"
BUILTIN_SOURCE = "flowctl (built-in)"


class TaskTypeUnavailable(FlowctlError):
    """A task's type is unknown here, or its plugin failed to load."""

    code = "USER:TaskTypeUnavailable"

    def __init__(self, summary: str, *, detail: str = "") -> None:
        super().__init__(summary, detail=detail)
        self.retryable = False


@dataclass(frozen=True)
class PluginInfo:
    """One row of ``flowctl plugins list``."""

    name: str  # entry point name (the type's name for built-ins)
    task_type: str  # "" when the plugin did not load far enough to say
    source: str  # "flowctl (built-in)" or "<distribution> <version>"
    status: Literal["ok", "failed"]
    reason: str = ""  # why it failed: "ImportError: No module named 'x'"
    plugin: TaskTypePlugin | None = field(default=None, compare=False, repr=False)


def _builtins() -> list[PluginInfo]:
    from flowctl.tasktypes._container_plugin import ContainerPlugin
    from flowctl.tasktypes._shell_plugin import ShellPlugin

    found: list[PluginInfo] = []
    for plugin in (ContainerPlugin(), ShellPlugin()):
        found.append(PluginInfo(plugin.task_type, plugin.task_type, BUILTIN_SOURCE, "ok", plugin=plugin))
    return found


def _distribution(ep: metadata.EntryPoint) -> str:
    dist = getattr(ep, "dist", None)
    if dist is None:
        return "(unknown distribution)"
    return f"{dist.metadata['Name'] or dist.name} {dist.version}"


def _load(ep: metadata.EntryPoint, taken: dict[str, PluginInfo]) -> PluginInfo:
    source = _distribution(ep)
    try:
        loaded: Any = ep.load()
        plugin = loaded() if isinstance(loaded, type) else loaded
    except Exception as exc:  # anything a third-party import can raise: recorded, never propagated
        last = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
        where = f" ({last[0].filename}:{last[0].lineno})" if last else ""
        return PluginInfo(ep.name, "", source, "failed", f"{type(exc).__name__}: {exc}{where}")
    task_type = getattr(plugin, "task_type", None)
    missing = [m for m in ("check", "execute") if not callable(getattr(plugin, m, None))]
    if not isinstance(task_type, str) or not task_type:
        return PluginInfo(ep.name, "", source, "failed", f"`{ep.value}` has no `task_type` (a non-empty str)")
    if missing:
        return PluginInfo(ep.name, task_type, source, "failed",
                          f"`{ep.value}` lacks {', '.join(missing)}() of the TaskTypePlugin interface")
    if task_type in taken:
        return PluginInfo(ep.name, task_type, source, "failed",
                          f"task type `{task_type}` is already provided by {taken[task_type].source}")
    return PluginInfo(ep.name, task_type, source, "ok", plugin=plugin)


class Registry:
    """Built-ins at once, entry points on first need; safe to share between threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._builtins: list[PluginInfo] | None = None
        self._external: list[PluginInfo] | None = None

    def refresh(self) -> None:
        with self._lock:
            self._external = None

    def builtins(self) -> list[PluginInfo]:
        with self._lock:
            if self._builtins is None:
                self._builtins = _builtins()
            return list(self._builtins)

    def all(self) -> list[PluginInfo]:
        """Every task type, built-ins first; loads the entry points once."""
        builtins = self.builtins()
        with self._lock:
            if self._external is None:
                taken = {i.task_type: i for i in builtins}
                external: list[PluginInfo] = []
                eps = sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: (e.name, e.value))
                for ep in eps:
                    info = _load(ep, taken)
                    if info.status == "ok":
                        taken[info.task_type] = info
                    external.append(info)
                self._external = external
            return builtins + self._external

    def get(self, task_type: str) -> TaskTypePlugin:
        for info in self.builtins():
            if info.task_type == task_type and info.plugin is not None:
                return info.plugin
        infos = self.all()
        for info in infos:
            if info.status == "ok" and info.task_type == task_type and info.plugin is not None:
                return info.plugin
        failed = [i for i in infos if i.status == "failed" and task_type in (i.name, i.task_type)]
        if failed:
            info = failed[0]
            raise TaskTypeUnavailable(
                f"Task type `{task_type}` is unavailable: plugin `{info.name}` ({info.source}) failed to load",
                detail=f"{info.reason}\nFix or reinstall the plugin; `flowctl plugins list` shows every plugin.",
            )
        known = ", ".join(sorted({i.task_type for i in infos if i.status == "ok"}))
        raise TaskTypeUnavailable(
            f"Unknown task type `{task_type}`",
            detail=f"Known task types: python, {known}. A plugin adds one through the `{ENTRY_POINT_GROUP}` "
            "entry point group: install the distribution that provides it.",
        )


REGISTRY = Registry()


def plugins(*, refresh: bool = False) -> list[PluginInfo]:
    """Every known task type (built-in and plugins), with load status."""
    if refresh:
        REGISTRY.refresh()
    return REGISTRY.all()


def get_plugin(task_type: str) -> TaskTypePlugin:
    """The plugin of ``task_type``; raises :class:`TaskTypeUnavailable` naming a failed plugin and why."""
    return REGISTRY.get(task_type)


def check_definition(definition: PluginTaskDefinition) -> list[Diagnostic]:
    """The plugin's compile-time checks of a task (errors and warnings), located at its declaration."""
    plugin = get_plugin(definition.task_type)
    return list(plugin.check(definition.spec, source=definition.source))


def declaration_checks(definition: PluginTaskDefinition) -> PluginTaskDefinition:
    """Run the checks when a task object is declared: errors raise ManifestError, warnings are kept."""
    try:
        found = check_definition(definition)
    except TaskTypeUnavailable as exc:
        raise ManifestError(diagnostics=[dataclasses.replace(d, source=definition.source) for d in exc.diagnostics]) from None
    errors = [d for d in found if d.severity == "error"]
    if errors:
        raise ManifestError(diagnostics=found)
    warnings = tuple(d for d in found if d.severity == "warning")
    _DECLARATION_WARNINGS.extend(warnings)
    return dataclasses.replace(definition, warnings=warnings) if warnings else definition


_DECLARATION_WARNINGS: list[Diagnostic] = []


def declaration_warnings() -> list[Diagnostic]:
    """Warnings of every task object declared in this process so far (for the CLI to show once)."""
    return list(dict.fromkeys(_DECLARATION_WARNINGS))
