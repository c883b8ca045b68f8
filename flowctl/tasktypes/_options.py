"""Options every task-type object takes, and its typed inputs/outputs, checked at declaration."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from flowctl._errors import FlowctlError
from flowctl.sdk._interface import Output, Param
from flowctl.sdk._options import Cache, Resources, Secret, compare_requests_limits
from flowctl.tasktypes._plugin import PluginTaskDefinition, build_interface, is_valid_name
from flowctl.tasktypes._registry import declaration_checks
from flowctl.types import type_spec_of


class Problems:
    """Collects declaration problems as text; the caller turns them into one ManifestError."""

    def __init__(self) -> None:
        self.items: list[tuple[str, str]] = []

    def add(self, summary: str, detail: str = "") -> None:
        self.items.append((summary, detail))


def parse_options(what: str, problems: Problems, *, retries: Any = 0, timeout: Any = None, requests: Any = None,
                  limits: Any = None, container_image: Any = None, environment: Any = None,
                  secret_requests: Any = (), cache: Any = False, labels: Any = None,
                  annotations: Any = None) -> dict[str, Any]:
    """Retries, timeout, resources, image, environment, secrets, cache, labels, as on ``@task``:
    the matching keyword arguments of a ``TaskDefinition``."""
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        problems.add(f"Invalid retries={retries!r} for {what}", "retries is a whole number >= 0.")
        retries = 0
    seconds: float | None = None
    if timeout is not None:
        value = timeout.total_seconds() if isinstance(timeout, timedelta) else timeout
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            problems.add(f"Invalid timeout {timeout!r} for {what}", "Give a positive timedelta or a number of seconds.")
        else:
            seconds = float(value)
    req = requests if requests is not None else Resources()
    lim = limits if limits is not None else Resources()
    if not isinstance(req, Resources) or not isinstance(lim, Resources):
        problems.add(f"`requests`/`limits` of {what} must be Resources(...)", "e.g. requests=Resources(cpu=\"1\", mem=\"1Gi\").")
        req, lim = Resources(), Resources()
    for problem in compare_requests_limits(req, lim):
        problems.add(f"Invalid resources of {what}: {problem}", "A request must not exceed its limit.")
    if container_image is not None and (not isinstance(container_image, str) or not container_image):
        problems.add(f"Invalid image {container_image!r} for {what}", "Give an image reference such as `alpine:3.20`.")
        container_image = None
    secrets: list[Secret] = []
    for item in secret_requests or ():
        if isinstance(item, Secret):
            secrets.append(item)
        elif isinstance(item, str) and item:
            group, _, key = item.partition("/")
            secrets.append(Secret(group=group, key=key or None))
        else:
            problems.add(f"Invalid secret request {item!r} for {what}", 'Use Secret(group="db", key="password") or "db/password".')
    cache_obj: Cache | None = None
    if isinstance(cache, Cache):
        cache_obj = cache
    elif cache is True:
        cache_obj = Cache()
    elif cache not in (False, None):
        problems.add(f"Invalid cache option {cache!r} for {what}", "Use cache=True or cache=Cache(version=...).")
    return {
        "retries": retries, "timeout_seconds": seconds, "requests": req, "limits": lim,
        "container_image": container_image, "environment": _str_map("environment", environment, what, problems),
        "secret_requests": tuple(secrets), "cache": cache_obj, "labels": _str_map("labels", labels, what, problems),
        "annotations": _str_map("annotations", annotations, what, problems),
    }


def _str_map(name: str, value: Any, what: str, problems: Problems) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        problems.add(f"`{name}` of {what} must map str to str, got {value!r}")
        return {}
    return dict(value)


def parse_inputs(what: str, declared: Any, problems: Problems) -> dict[str, Param]:
    """``inputs={"x": int, "files": list[FlowFile]}`` as SDK parameters (no defaults)."""
    params: dict[str, Param] = {}
    for name, py_type in _items("inputs", what, declared, problems):
        try:
            params[name] = Param(name, py_type, type_spec_of(py_type, where=f"Input `{name}` of {what}"))
        except FlowctlError as exc:
            problems.add(exc.diagnostics[0].summary, exc.diagnostics[0].detail)
    return params


def parse_outputs(what: str, declared: Any, problems: Problems) -> dict[str, Output]:
    outputs: dict[str, Output] = {}
    for name, py_type in _items("outputs", what, declared, problems):
        try:
            outputs[name] = Output(name, py_type, type_spec_of(py_type, where=f"Output `{name}` of {what}"))
        except FlowctlError as exc:
            problems.add(exc.diagnostics[0].summary, exc.diagnostics[0].detail)
    return outputs


def _items(label: str, what: str, declared: Any, problems: Problems) -> Sequence[tuple[str, Any]]:
    if declared is None:
        return ()
    if not isinstance(declared, Mapping):
        problems.add(f"`{label}` of {what} must be a dict of name -> type, got {type(declared).__name__}",
                     f'e.g. {label}={{"x": int, "names": list[str]}}.')
        return ()
    items = []
    for name, py_type in declared.items():
        if not isinstance(name, str) or not is_valid_name(name):
            problems.add(f"{label[:-1].capitalize()} name {name!r} of {what} is not a valid identifier",
                         "Names become keyword arguments in workflows: use letters, digits and _.")
            continue
        items.append((name, py_type))
    return items


def check_name(name: Any, kind: str, problems: Problems) -> str:
    """The task's registry name (``check_entity_name`` rules)."""
    from flowctl._names import check_entity_name

    problem = check_entity_name(name) if isinstance(name, str) else f"a name is text, got {type(name).__name__}"
    if problem:
        problems.add(f"{kind} has an invalid name: {problem}", f'e.g. {kind}("resize_images", ...).')
        return "unnamed"
    return str(name)


def define_task(
    task_type: str,
    name: Any,
    *,
    source: str,
    config: Mapping[str, Any],
    inputs: Any = None,
    outputs: Any = None,
    problems: Problems | None = None,
    kind: str = "",
    module: str = "",
    **options: Any,
) -> Any:
    """Validate a task object's declaration and return its checked ``PluginTaskDefinition``.

    The one call a task-type constructor makes (built-ins and plugins alike): ``source`` is the
    user's ``file:line`` (``frame_location(1)`` inside ``__init__``), ``config`` the type-specific
    data, ``options`` the common ones (retries, timeout, requests, limits, container_image,
    environment, secret_requests, cache, labels, annotations); ``module`` the declaring module's
    name (informational). Problems found by the caller can be
    passed in ``problems``; every problem, and every error of the plugin's ``check``, raises one
    ManifestError located at ``source``.
    """
    from pathlib import Path

    from flowctl._errors import Diagnostic, ManifestError

    problems = problems if problems is not None else Problems()
    task_name = check_name(name, kind or task_type, problems)
    what = f"{task_type} task `{task_name}`"
    params = parse_inputs(what, inputs, problems)
    outs = parse_outputs(what, outputs, problems)
    parsed = parse_options(what, problems, **options)
    if problems.items:
        raise ManifestError(diagnostics=[Diagnostic(s, d, source) for s, d in problems.items])
    filename, _, line = source.rpartition(":")
    definition = PluginTaskDefinition(
        function=_placeholder, name=task_name, module=module, qualname=task_name,
        source_file=str(Path(filename).resolve()), source_line=int(line) if line.isdigit() else 0,
        interface=build_interface(params, outs, task_name), task_type=task_type, config=dict(config), **parsed,
    )
    return declaration_checks(definition)


def _placeholder(**kwargs: Any) -> Any:  # replaced by the definition's own runner in __post_init__
    raise RuntimeError("a task-type definition runs through its plugin, not this placeholder")


def caller_module(depth: int = 2) -> str:
    """``__name__`` of the module ``depth`` frames up (the user's module declaring a task object)."""
    import sys

    return str(sys._getframe(depth).f_globals.get("__name__", ""))


def declared_at() -> tuple[str, str]:
    """``(file:line, module name)`` of the user code that called the constructor calling this.

    For plugin authors: ``source, module = declared_at()`` first thing in ``__init__``."""
    import sys

    from flowctl.sdk._source import location_of_frame

    frame = sys._getframe(2)
    return location_of_frame(frame), str(frame.f_globals.get("__name__", ""))
