"""``@task``: validates a function's signature and options, attaches a frozen :class:`TaskDefinition`.

Also the bottom of the SDK's definitions: the attribute a decorator sets, the :class:`Definition`
base, and :func:`definition_of`, which workflows, launch plans and map tasks use.
"""

from __future__ import annotations

import types
import weakref
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar, cast, overload

from flowctl._errors import DiagnosticCollector, ManifestError
from flowctl._record import field, record
from flowctl.sdk._interface import Interface, build_interface
from flowctl.sdk._options import Cache, PodTemplate, Resources, Secret, api_json, compare_requests_limits
from flowctl.sdk._source import (
    display_path,
    frame_location,
    function_location,
    module_name_of,
    module_relative_file,
)
from flowctl.spec._canonical import Json

if TYPE_CHECKING:
    from flowctl.sdk._image import ImageSpec
    from flowctl.sdk._launch_plan import LaunchPlan
    from flowctl.sdk._workflow import WorkflowDefinition
    from flowctl.spec import CacheSpec, CodeSpec, TaskSpec

F = TypeVar("F", bound=Callable[..., Any])

DEFINITION_ATTR = "__flowctl_definition__"


class Definition:
    """The base of the entities a manifest declares: TaskDefinition, WorkflowDefinition, LaunchPlan.

    It lets :func:`definition_of` live here, below the modules of workflows and launch plans (which
    need it), and still know their classes."""

    __slots__ = ()


def definition_of(obj: Any) -> TaskDefinition | WorkflowDefinition | LaunchPlan:
    """The definition behind a @task or @workflow function, or a LaunchPlan itself."""
    definition = obj if isinstance(obj, Definition) else getattr(obj, DEFINITION_ATTR, None)
    if isinstance(definition, Definition):
        # Definition's subclasses are exactly the three kinds (a ReferenceDefinition is none)
        return cast("TaskDefinition | WorkflowDefinition | LaunchPlan", definition)
    name = f"{getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', repr(obj))}"
    raise ManifestError(
        f"`{name}` is not a flowctl task or workflow — was it decorated with @flowctl.task?",
        detail="Decorate the function with @task or @workflow (from flowctl import task, workflow).",
    )


TASK_OPTIONS = (
    "cache", "cache_version", "retries", "timeout", "requests", "limits", "container_image",
    "environment", "secret_requests", "pod_template", "labels", "annotations", "interruptible", "resources",
    "enable_deck", "disable_deck",
)  # fmt: skip


@record(frozen=True, eq=False)
class TaskDefinition(Definition):
    """What ``@task`` attached to a function: its name, interface and options. Immutable."""

    function: Callable[..., Any]
    name: str  # "module.function"
    module: str
    qualname: str
    source_file: str  # absolute path of the module file
    source_line: int
    interface: Interface
    cache: Cache | None = None
    retries: int = 0
    timeout_seconds: float | None = None
    requests: Resources = field(default_factory=Resources)
    limits: Resources = field(default_factory=Resources)
    container_image: str | None = None
    environment: Mapping[str, str] = field(default_factory=dict)
    secret_requests: tuple[Secret, ...] = ()
    pod_template: Mapping[str, Json] | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    interruptible: bool = False
    image_spec: ImageSpec | None = None

    @property
    def source(self) -> str:
        """``file.py:12`` of the decorated function."""
        return f"{display_path(self.source_file)}:{self.source_line}"

    @cached_property
    def code(self) -> CodeSpec:
        from flowctl.sdk._code_digest import code_digest
        from flowctl.spec import CodeSpec

        return CodeSpec(
            module=self.module,
            qualname=self.qualname,
            source_file=module_relative_file(self.module, self.source_file),
            source_line=self.source_line,
            code_digest=code_digest(self.function),
        )

    @cached_property
    def cache_spec(self) -> CacheSpec | None:
        if self.cache is None:
            return None
        from flowctl.sdk._code_digest import derived_cache_version

        derived = "" if self.cache.version else derived_cache_version(self.function, self.interface.to_spec().canonical())
        return self.cache.to_spec(derived)

    @cached_property
    def spec(self) -> TaskSpec:
        """The compiled, canonical spec of this task (its digest covers the code)."""
        from flowctl.spec import TaskSpec

        return TaskSpec(
            name=self.name,
            interface=self.interface.to_spec(),
            code=self.code,
            cache=self.cache_spec,
            retries=self.retries,
            timeout_seconds=self.timeout_seconds,
            requests=self.requests.to_spec(),
            limits=self.limits.to_spec(),
            container_image=self.container_image,
            environment=dict(self.environment),
            secret_requests=tuple(s.to_spec() for s in self.secret_requests),
            pod_template=dict(self.pod_template) if self.pod_template is not None else None,
            labels=dict(self.labels),
            annotations=dict(self.annotations),
            interruptible=self.interruptible,
            image_spec=self.image_spec.to_json() if self.image_spec is not None else None,
        )


_ENTITY_CODES: weakref.WeakSet[types.CodeType] = weakref.WeakSet()


def _register_code(fn: Callable[..., Any]) -> None:
    """Remember the code of decorated functions, to detect direct calls while a workflow compiles."""
    _ENTITY_CODES.add(fn.__code__)


def check_function(fn: Any, *, decorator: str, source: str) -> tuple[str, int]:
    """Decorated objects must be plain module-level functions (workers import them by name).

    Returns the function's (file, line of the ``def``), which every decorator needs next."""
    if not isinstance(fn, types.FunctionType):  # inspect.isfunction, without importing inspect
        raise ManifestError(
            f"@{decorator} can only decorate a function, not {type(fn).__name__} `{fn!r}`",
            source=source,
            detail=f"Put @{decorator} on a `def` at module level.",
        )
    filename, line = function_location(fn)
    where = f"{display_path(filename)}:{line}"
    if fn.__name__ == "<lambda>" or "<locals>" in fn.__qualname__ or "." in fn.__qualname__:
        raise ManifestError(
            f"@{decorator} `{fn.__qualname__}` is not defined at module level",
            source=where,
            detail="Nested functions, methods and lambdas cannot be imported by a worker; "
            "move the function to the top level of its module.",
        )
    if _is_async_or_generator(fn):
        raise ManifestError(
            f"@{decorator} `{fn.__qualname__}` is an async or generator function",
            source=where,
            detail=f"@{decorator} functions must be plain `def` functions that return their outputs.",
        )
    return filename, line


_CO_GENERATOR, _CO_COROUTINE = 0x20, 0x80  # inspect.CO_GENERATOR, inspect.CO_COROUTINE


def _is_async_or_generator(fn: types.FunctionType) -> bool:
    """``inspect.iscoroutinefunction(fn) or inspect.isgeneratorfunction(fn)`` for a function: its code
    flags (``inspect`` costs an attempt ~5 ms of imports); a function marked with
    ``inspect.markcoroutinefunction`` (Python 3.12) is asked of ``inspect``."""
    if fn.__code__.co_flags & (_CO_GENERATOR | _CO_COROUTINE):
        return True
    if hasattr(fn, "_is_coroutine_marker"):
        import inspect

        return inspect.iscoroutinefunction(fn)
    return False


def unknown_options(options: Mapping[str, Any], known: Sequence[str], *, decorator: str, source: str) -> None:
    unknown = [name for name in options if name not in known]
    if not unknown:
        return
    diags = DiagnosticCollector()
    for name in unknown:
        from difflib import get_close_matches

        close = get_close_matches(name, known, n=1)
        hint = f"Did you mean `{close[0]}`? " if close else ""
        diags.add(f"Unknown option `{name}` for @{decorator}", hint + f"Options: {', '.join(known)}.", source=source)
    diags.raise_if_any(ManifestError)


def _timeout_seconds(value: Any, diags: DiagnosticCollector, source: str) -> float | None:
    if value is None:
        return None
    seconds = value.total_seconds() if isinstance(value, timedelta) else value
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds <= 0:
        diags.add(f"Invalid timeout {value!r}", "Give a positive timedelta or a number of seconds.", source=source)
        return None
    return float(seconds)


def _str_map(name: str, value: Any, diags: DiagnosticCollector, source: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        diags.add(f"`{name}` must map str to str, got {value!r}", source=source)
        return {}
    return dict(value)


def _secrets(value: Any, diags: DiagnosticCollector, source: str) -> tuple[Secret, ...]:
    secrets: list[Secret] = []
    for item in value or ():
        if isinstance(item, Secret):
            secrets.append(item)
        elif isinstance(item, str) and item:
            group, _, key = item.partition("/")
            secrets.append(Secret(group=group, key=key or None))
        else:
            diags.add(f"Invalid secret request {item!r}", 'Use Secret(group="db", key="password") or "db/password".', source=source)
    return tuple(secrets)


def _make_definition(fn: Callable[..., Any], options: Mapping[str, Any], call_site: str) -> TaskDefinition:
    filename, line = check_function(fn, decorator="task", source=call_site)
    source = f"{display_path(filename)}:{line}"
    module = module_name_of(fn)
    name = f"{module}.{fn.__qualname__}"
    what = f"task `{name}`"
    diags = DiagnosticCollector()
    interface = build_interface(fn, what=what, source=source, diags=diags)

    cache_option = options.get("cache", False)
    cache_version = options.get("cache_version")
    cache: Cache | None = None
    if isinstance(cache_option, Cache):
        cache = Cache(cache_version or cache_option.version, tuple(cache_option.ignored_inputs))
    elif cache_option is True:
        cache = Cache(cache_version)
    elif cache_option not in (False, None):
        diags.add(f"Invalid cache option {cache_option!r} for {what}", "Use cache=True or cache=Cache(version=..., ignored_inputs=[...]).", source=source)
    elif cache_version is not None:
        diags.add(f"{what} sets cache_version but caching is off", "Add cache=True (or remove cache_version).", source=source)
    if cache is not None:
        if cache.version is not None and (not isinstance(cache.version, str) or not cache.version):
            diags.add(f"Invalid cache version {cache.version!r} for {what}", "A cache version is a non-empty string.", source=source)
        for ignored in cache.ignored_inputs:
            if interface.param(ignored) is None:
                diags.add(
                    f"Cache of {what} ignores `{ignored}`, which is not an input",
                    f"Inputs: {', '.join(p.name for p in interface.inputs) or '(none)'}.",
                    source=source,
                )

    retries = options.get("retries", 0)
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        diags.add(f"Invalid retries={retries!r} for {what}", "retries is a whole number >= 0.", source=source)
        retries = 0
    timeout = _timeout_seconds(options.get("timeout"), diags, source)

    requests, limits = task_resources(options, what, diags, source)
    image = options.get("container_image")
    image_spec = _image_spec(image)
    if image_spec is not None:
        image = image_spec.image_name()
    if image is not None and (not isinstance(image, str) or not image):
        diags.add(f"Invalid container_image {image!r} for {what}", source=source)
        image = None
    pod_template = options.get("pod_template")
    pod_template_json: dict[str, Json] | None = None
    if isinstance(pod_template, PodTemplate):
        pod_template_json = pod_template.to_json()
    elif isinstance(pod_template, Mapping):
        pod_template_json = api_json(pod_template)
    elif pod_template is not None:
        diags.add(f"Invalid pod_template for {what}", "Use PodTemplate(pod_spec={...}) or a dict.", source=source)

    definition = TaskDefinition(
        function=fn,
        name=name,
        module=module,
        qualname=fn.__qualname__,
        source_file=filename,
        source_line=line,
        interface=interface,
        cache=cache,
        retries=retries,
        timeout_seconds=timeout,
        requests=requests,
        limits=limits,
        container_image=image,
        environment=_str_map("environment", options.get("environment"), diags, source),
        secret_requests=_secrets(options.get("secret_requests"), diags, source),
        pod_template=pod_template_json,
        labels=_str_map("labels", options.get("labels"), diags, source),
        annotations=_str_map("annotations", options.get("annotations"), diags, source),
        interruptible=_flag("interruptible", options.get("interruptible"), diags, source),
        image_spec=image_spec,
    )
    diags.raise_if_any(ManifestError)
    return definition


def _flag(name: str, value: Any, diags: DiagnosticCollector, source: str) -> bool:
    if value is None or isinstance(value, bool):
        return bool(value)
    diags.add(f"`{name}` must be True or False, got {value!r}", source=source)
    return False


def _image_spec(image: object) -> ImageSpec | None:
    """``image`` when it is an ``ImageSpec`` (loaded only then: a task named by a string, or none,
    as in most attempts, does not build that 21-field class)."""
    if image is None or isinstance(image, str):
        return None
    from flowctl.sdk._image import ImageSpec

    return image if isinstance(image, ImageSpec) else None


_NO_RESOURCES = Resources()


def task_resources(options: Mapping[str, Any], what: str, diags: DiagnosticCollector, source: str) -> tuple[Resources, Resources]:
    """(requests, limits) from ``requests=``/``limits=`` or flytekit's ``resources=`` (pairs allowed)."""
    combined = options.get("resources")
    if combined is None and options.get("requests") is None and options.get("limits") is None:
        return _NO_RESOURCES, _NO_RESOURCES  # most tasks: nothing to check
    if combined is not None:
        if options.get("requests") is not None or options.get("limits") is not None:
            diags.add(f"{what} sets resources= together with requests=/limits=", "Use one of them.", source=source)
        elif not isinstance(combined, Resources):
            diags.add(f"`resources` of {what} must be a Resources(...), got {combined!r}", source=source)
        else:
            return _checked(*combined.split(), what, diags, source)
    requests = options.get("requests") or Resources()
    limits = options.get("limits") or Resources()
    for label, res in (("requests", requests), ("limits", limits)):
        if not isinstance(res, Resources):
            diags.add(f"`{label}` of {what} must be a Resources(...), got {res!r}", source=source)
        elif res.has_pairs():
            diags.add(f"`{label}` of {what} holds a (request, limit) pair", "Pairs are for resources=...; "
                      "give requests= and limits= single values.", source=source)
    if not all(isinstance(r, Resources) and not r.has_pairs() for r in (requests, limits)):
        return Resources(), Resources()
    return _checked(requests, limits, what, diags, source)


def _checked(requests: Resources, limits: Resources, what: str, diags: DiagnosticCollector, source: str) -> tuple[Resources, Resources]:
    for problem in compare_requests_limits(requests, limits):
        diags.add(f"Invalid resources of {what}: {problem}", "A request must not exceed its limit.", source=source)
    return requests, limits


@overload
def task(fn: F, /) -> F: ...


@overload
def task(
    *,
    cache: bool | Cache = False,
    cache_version: str | None = None,
    retries: int = 0,
    timeout: timedelta | float | None = None,
    requests: Resources | None = None,
    limits: Resources | None = None,
    container_image: str | ImageSpec | None = None,
    environment: Mapping[str, str] | None = None,
    secret_requests: Sequence[Secret | str] = (),
    pod_template: PodTemplate | Mapping[str, Any] | None = None,
    labels: Mapping[str, str] | None = None,
    annotations: Mapping[str, str] | None = None,
    interruptible: bool = False,
    resources: Resources | None = None,
    enable_deck: bool | None = None,
    disable_deck: bool | None = None,
) -> Callable[[F], F]: ...


def task(fn: Any = None, /, **options: Any) -> Any:
    """Declare a task: ``@task`` or ``@task(cache=True, retries=2, timeout=timedelta(minutes=5), ...)``.

    The function is returned unchanged (calling it outside a workflow runs plain Python); a frozen
    :class:`TaskDefinition` is attached to it. Problems are reported with the function's file:line.
    """
    call_site = frame_location(1)
    unknown_options(options, TASK_OPTIONS, decorator="task", source=call_site)
    if fn is not None:
        setattr(fn, DEFINITION_ATTR, _make_definition(fn, options, call_site))
        _register_code(fn)
        return fn

    def decorate(f: F) -> F:
        setattr(f, DEFINITION_ATTR, _make_definition(f, options, call_site))
        _register_code(f)
        return f

    return decorate
