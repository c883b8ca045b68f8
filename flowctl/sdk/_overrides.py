"""``task(...).with_overrides(...)``: per-node task settings, as flytekit's ``Node.with_overrides``.

``requests``, ``limits``, ``resources`` (pairs), ``timeout``, ``retries``, ``cache`` (bool or
``Cache``), ``container_image`` (text or ``ImageSpec``), ``interruptible`` and ``name`` /
``node_name`` (the node's display name) replace the task's own for that node only; the task's
registered spec is unchanged. Checked like the ``@task`` options, reported at the call's line.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from flowctl._errors import DiagnosticCollector
from flowctl.sdk._image import ImageSpec
from flowctl.sdk._options import Cache, Resources
from flowctl.spec import NodeOverridesSpec

OVERRIDE_OPTIONS = (
    "requests", "limits", "resources", "timeout", "retries", "cache", "container_image", "interruptible", "name",
    "node_name",
)  # fmt: skip


def build_overrides(definition: Any, options: Mapping[str, Any], diags: DiagnosticCollector, source: str) -> NodeOverridesSpec:
    """The overrides of one node (problems go to ``diags``)."""
    from flowctl.sdk._task import _flag, _timeout_seconds, task_resources, unknown_options

    unknown_options(options, OVERRIDE_OPTIONS, decorator="with_overrides", source=source)
    what = f"with_overrides of `{definition.name}`"
    changes: dict[str, Any] = {}
    spec: dict[str, Any] = {}
    if any(k in options for k in ("requests", "limits", "resources")):
        requests, limits = task_resources(options, what, diags, source)
        if any(k in options for k in ("requests", "resources")):
            changes["requests"], spec["requests"] = requests, requests.to_spec()
        if any(k in options for k in ("limits", "resources")):
            changes["limits"], spec["limits"] = limits, limits.to_spec()
    if options.get("timeout") is not None:
        changes["timeout_seconds"] = spec["timeout_seconds"] = _timeout_seconds(options["timeout"], diags, source)
    if "retries" in options:
        retries = options["retries"]
        if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
            diags.add(f"Invalid retries={retries!r} in {what}", "retries is a whole number >= 0.", source=source)
        else:
            changes["retries"] = spec["retries"] = retries
    if "interruptible" in options:
        changes["interruptible"] = spec["interruptible"] = _flag("interruptible", options["interruptible"], diags, source)
    _image(options.get("container_image"), changes, spec, what, diags, source)
    _cache(options, changes, spec, what, diags, source)
    name = options.get("name", options.get("node_name"))
    if name is not None:
        if isinstance(name, str) and name:
            spec["name"] = name
        else:
            diags.add(f"Invalid name={name!r} in {what}", "A node name is a non-empty string.", source=source)
    runs = dataclasses.replace(definition, **changes) if changes else definition
    if "cache" in changes and runs.cache is not None:
        spec["cache"] = runs.cache_spec
    return NodeOverridesSpec(**spec)


def _image(image: Any, changes: dict[str, Any], spec: dict[str, Any], what: str, diags: DiagnosticCollector, source: str) -> None:
    if image is None:
        return
    if isinstance(image, ImageSpec):
        changes["image_spec"] = image
        image = image.image_name()
    if isinstance(image, str) and image:
        changes["container_image"] = spec["container_image"] = image
    else:
        diags.add(f"Invalid container_image {image!r} in {what}", source=source)


def _cache(options: Mapping[str, Any], changes: dict[str, Any], spec: dict[str, Any], what: str,
           diags: DiagnosticCollector, source: str) -> None:
    if "cache" not in options:
        return
    cache = options["cache"]
    if cache is False or cache is None:
        changes["cache"], spec["cache_off"] = None, True
    elif cache is True:
        changes["cache"] = Cache()
    elif isinstance(cache, Cache):
        changes["cache"] = cache
    else:
        diags.add(f"Invalid cache={cache!r} in {what}", "Use cache=True/False or cache=Cache(version=...).", source=source)


__all__ = ["OVERRIDE_OPTIONS", "Resources", "build_overrides"]
