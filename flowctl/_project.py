"""Manifest declarations: where tasks, workflows and launch plans go, per project and domain.

::

    project = Project("my-ml-project", description="Training", domains=["development", "staging", "production"])
    dev = project.domain("development")
    dev.register(training_wf)                               # current code, version = git SHA
    dev.launch_plan(nightly_lp, active=False)
    prod = project.domain("production", service_account="trainer", requests=Resources(cpu="2", mem="4Gi"))
    prod.register(training_wf, version=promoted_from("staging"))
    prod.launch_plan(nightly_lp, active=True, fixed_inputs={"values": [1.0, 2.0]})

Declarations only record what was asked and where (file:line); ``flowctl._manifest`` compiles them
into a ``DesiredState``. Standard library and specs only: ``import flowctl`` stays light.
"""

from __future__ import annotations

import functools
import os
import re
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TypeVar

from flowctl._errors import ManifestError
from flowctl._names import check_domain_name, check_project_domain, check_project_name, check_version
from flowctl.spec import (
    DEFAULT_DOMAINS,
    DomainSettingsSpec,
    Json,
    NotificationSpec,
    ProjectSpec,
    PromotionGates,
    ResourcesSpec,
)

_HERE = os.path.abspath(__file__)


def caller_location() -> str:
    """``path/to/manifest.py:12`` of the first frame outside this module (relative to the cwd)."""
    frame = sys._getframe(1)
    while frame is not None and _is_here(frame.f_code.co_filename):
        frame = frame.f_back  # type: ignore[assignment]
    if frame is None:
        return ""
    return f"{_relative(frame.f_code.co_filename, os.getcwd())}:{frame.f_lineno}"


def _is_here(filename: str) -> bool:
    return filename == _HERE or (not os.path.isabs(filename) and os.path.abspath(filename) == _HERE)


@functools.lru_cache(maxsize=1024)
def _relative(filename: str, cwd: str) -> str:
    """``filename`` relative to ``cwd`` when below it (once per file: manifests register thousands)."""
    try:
        rel = os.path.relpath(filename, cwd)
    except ValueError:
        rel = filename
    return filename if rel.startswith("..") else rel


NO_GATES = PromotionGates()


@dataclass(frozen=True)
class Promotion:
    """``promoted_from("staging")``: take the version the source domain runs, never rebuilt."""

    domain: str
    version: str | None = None  # pin one version of the source domain instead of following it
    gates: PromotionGates = field(default_factory=lambda: NO_GATES)

    def __str__(self) -> str:
        pinned = f", version={self.version!r}" if self.version else ""
        return f"promoted_from({self.domain!r}{pinned})"


def promoted_from(
    domain: str,
    *,
    version: str | None = None,
    require_successes: int = 0,
    soak: str | timedelta | None = None,
    require_approval: bool = False,
) -> Promotion:
    """The version ``domain`` runs (its active version), with its exact stored specs and digests.

    The version is the one the source domain runs *before* the apply: one apply moves a change one
    step along the chain. The gates hold the promotion back (the target keeps its version) until
    they are met; plan shows their status and apply checks them again under the registry lock.

    Args:
        domain: the source domain of the same project, e.g. ``"staging"``.
        version: pin this version of the source domain (it must be registered there) instead of
            following whatever the source runs.
        require_successes: the version needs this many succeeded executions in the source domain.
        soak: the version must have been active in the source domain this long: ``"24h"``,
            ``"30m"``, ``"2d"``, ``"1h30m"`` or a ``timedelta``.
        require_approval: someone must approve the version for this domain first, with
            ``flowctl promote PROJECT SOURCE TARGET --approve``.
    """
    problem = check_domain_name(domain) or (check_version(version) if version else None)
    if problem is None and (isinstance(require_successes, bool) or not isinstance(require_successes, int)
                            or require_successes < 0):
        problem = f"require_successes must be a whole number >= 0, not {require_successes!r}"
    if problem is None and not isinstance(require_approval, bool):
        problem = f"require_approval must be True or False, not {require_approval!r}"
    soak_seconds, soak_problem = parse_duration(soak) if soak is not None else (0, None)
    problem = problem or soak_problem
    if problem:
        raise ManifestError(f"Invalid promoted_from({domain!r})", detail=problem, source=caller_location())
    if not (require_successes or soak_seconds or require_approval):
        return Promotion(domain, version)
    gates = PromotionGates(require_successes=require_successes, soak_seconds=soak_seconds,
                           require_approval=require_approval)
    return Promotion(domain, version, gates)


_DURATION = re.compile(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")
_UNIT_SECONDS = (86400, 3600, 60, 1)


def parse_duration(value: str | timedelta) -> tuple[int, str | None]:
    """``"1h30m"`` -> (5400, None); a problem sentence instead when ``value`` is not a duration."""
    if isinstance(value, timedelta):
        seconds = int(value.total_seconds())
        return (seconds, None) if seconds >= 0 else (0, f"soak must not be negative, not {value!r}")
    match = _DURATION.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None or not any(match.groups()):
        return 0, (f"soak must be a duration such as \"24h\", \"30m\", \"2d\" or \"1h30m\" (or a timedelta), "
                   f"not {value!r}")
    return sum(int(n or 0) * unit for n, unit in zip(match.groups(), _UNIT_SECONDS, strict=True)), None


@dataclass(frozen=True)
class Registration:
    obj: Any
    version: str | Promotion | None
    source: str


@dataclass(frozen=True)
class LaunchPlanDeclaration:
    launch_plan: Any
    active: bool
    default_inputs: Mapping[str, Any]
    fixed_inputs: Mapping[str, Any]
    source: str


_S = TypeVar("_S", ResourcesSpec, NotificationSpec)

_SETTING_NAMES = ("requests", "limits", "service_account", "container_image", "environment", "notifications")


@dataclass
class Domain:
    """One domain of a project: what is registered there, its launch plans and its settings."""

    project: Project
    name: str
    source: str
    registrations: list[Registration] = field(default_factory=list)
    launch_plans: list[LaunchPlanDeclaration] = field(default_factory=list)
    settings_values: dict[str, Any] = field(default_factory=dict)
    settings_source: str = ""

    def register(self, obj: Any, version: str | Promotion | None = None) -> None:
        """Register a workflow (with its tasks, subworkflows and default launch plan), a task or a
        launch plan in this domain.

        Args:
            obj: a ``@workflow`` or ``@task`` function, or a ``LaunchPlan``.
            version: ``None`` for the manifest version (git SHA or ``--version``), a fixed string
                such as ``"v3"``, or ``promoted_from("staging")``.
        """
        source = caller_location()
        if isinstance(version, str) and (problem := check_version(version)):
            raise ManifestError(f"Invalid version {version!r} for {self._where()}", detail=problem, source=source)
        if version is not None and not isinstance(version, str | Promotion):
            raise ManifestError(f"Invalid version {version!r} for {self._where()}",
                                detail='Use None, a string such as "v3", or promoted_from("staging").', source=source)
        if isinstance(version, Promotion):
            self._check_source_domain(version.domain, source)
        self.registrations.append(Registration(obj, version, source))

    def launch_plan(
        self,
        launch_plan: Any,
        *,
        active: bool = True,
        default_inputs: Mapping[str, Json] | None = None,
        fixed_inputs: Mapping[str, Json] | None = None,
    ) -> None:
        """Register a launch plan in this domain, with per-domain input overlays, and (de)activate it.

        Its workflow is registered too (at the version this domain registers the workflow at, or the
        manifest version). ``active=True`` makes this version the one active version, so its
        schedule runs; ``active=False`` deactivates it.
        """
        source = caller_location()
        overlap = set(default_inputs or {}) & set(fixed_inputs or {})
        if overlap:
            raise ManifestError(f"Inputs both default and fixed in {self._where()}: {', '.join(sorted(overlap))}",
                                detail="An input is either a default (overridable) or fixed (not); pick one.",
                                source=source)
        self.launch_plans.append(LaunchPlanDeclaration(launch_plan, active, dict(default_inputs or {}),
                                                       dict(fixed_inputs or {}), source))

    def settings(
        self,
        *,
        requests: Any = None,
        limits: Any = None,
        service_account: str | None = None,
        container_image: str | None = None,
        environment: Mapping[str, str] | None = None,
        notifications: Sequence[Any] | None = None,
    ) -> Domain:
        """Per project-domain defaults every execution gets unless a task says otherwise.

        Args:
            requests / limits: ``Resources(cpu=..., mem=..., gpu=..., ephemeral_storage=...)``.
            service_account: the Kubernetes service account of task pods.
            container_image: the default task image.
            environment: variables set in every task.
            notifications: ``Email``/``Slack``/``Webhook`` sent for every execution of the domain.
        """
        values = {"requests": requests, "limits": limits, "service_account": service_account,
                  "container_image": container_image, "environment": environment, "notifications": notifications}
        self._set_settings({k: v for k, v in values.items() if v is not None}, caller_location())
        return self

    def _set_settings(self, values: dict[str, Any], source: str) -> None:
        unknown = sorted(set(values) - set(_SETTING_NAMES))
        if unknown:
            raise ManifestError(f"Unknown domain setting(s) for {self._where()}: {', '.join(unknown)}",
                                detail=f"Settings are: {', '.join(_SETTING_NAMES)}.", source=source)
        for key in values:
            if key in self.settings_values:
                raise ManifestError(f"Setting `{key}` of {self._where()} is declared twice",
                                    detail=f"It was first declared at {self.settings_source}. Keep one.", source=source)
        self.settings_values.update(values)
        self.settings_source = self.settings_source or source

    def settings_spec(self) -> DomainSettingsSpec:
        v = self.settings_values
        return DomainSettingsSpec(
            project=self.project.name, domain=self.name,
            requests=_resources(v.get("requests"), self._where(), self.settings_source),
            limits=_resources(v.get("limits"), self._where(), self.settings_source),
            service_account=v.get("service_account"), container_image=v.get("container_image"),
            environment=dict(v.get("environment") or {}),
            notifications=tuple(_notification(n, self._where(), self.settings_source) for n in v.get("notifications") or ()),
            source=self.settings_source)

    def _check_source_domain(self, domain: str, source: str) -> None:
        if domain == self.name:
            raise ManifestError(f"{self._where()} cannot be promoted from itself", source=source,
                                detail="promoted_from names another domain of the project, e.g. promoted_from(\"staging\").")
        if domain not in self.project.domains:
            raise ManifestError(f"Unknown source domain `{domain}` in promoted_from for {self._where()}", source=source,
                                detail=f"Project {self.project.name} has domains: {', '.join(self.project.domains)}.")

    def _where(self) -> str:
        return f"{self.project.name}/{self.name}"

    def __repr__(self) -> str:
        return f"Domain({self._where()!r})"


class Project:
    """A project (a namespace of workflows) and its domains (execution environments)."""

    def __init__(
        self,
        name: str,
        description: str = "",
        domains: Iterable[str] = DEFAULT_DOMAINS,
        labels: Mapping[str, str] | None = None,
    ) -> None:
        self.source = caller_location()
        self.name = name
        self.description = description
        self.domains: tuple[str, ...] = tuple(domains)
        self.labels = dict(labels or {})
        problems = [p for p in [check_project_name(name), *(check_domain_name(d) for d in self.domains)] if p]
        problems += [p for d in self.domains if (p := check_project_domain(name, d))] if not problems else []
        if not self.domains:
            problems.append("a project needs at least one domain")
        if len(set(self.domains)) != len(self.domains):
            problems.append(f"domains are listed twice: {', '.join(self.domains)}")
        if problems:
            raise ManifestError(f"Invalid project `{name}`", detail="; ".join(dict.fromkeys(problems)), source=self.source)
        self._domains: dict[str, Domain] = {}
        collected = _COLLECTOR.get()
        if collected is not None:
            collected.append(self)

    def domain(self, name: str, **settings: Any) -> Domain:
        """The domain ``name`` (the same object every time); keyword arguments are its settings."""
        source = caller_location()
        if name not in self.domains:
            raise ManifestError(f"Project {self.name} has no domain `{name}`", source=source,
                                detail=f"Its domains are {', '.join(self.domains)}; add `{name}` to "
                                f"Project(..., domains=[...]) or use one of them.")
        domain = self._domains.get(name)
        if domain is None:
            domain = self._domains[name] = Domain(self, name, source)
        if settings:
            domain._set_settings(settings, source)
        return domain

    @property
    def declared_domains(self) -> list[Domain]:
        return [self._domains[d] for d in self.domains if d in self._domains]

    def spec(self) -> ProjectSpec:
        return ProjectSpec(name=self.name, description=self.description, domains=self.domains, labels=self.labels,
                           source=self.source)

    def __repr__(self) -> str:
        return f"Project({self.name!r})"


_COLLECTOR: ContextVar[list[Project] | None] = ContextVar("flowctl_project_collector", default=None)


@contextmanager
def collect_projects() -> Iterator[list[Project]]:
    """Every Project created inside the block is appended to the yielded list (for the loader)."""
    found: list[Project] = []
    token = _COLLECTOR.set(found)
    try:
        yield found
    finally:
        _COLLECTOR.reset(token)


def _resources(value: Any, where: str, source: str) -> ResourcesSpec:
    if value is None:
        return ResourcesSpec()
    return _coerce(value, ResourcesSpec, "resources", where, source,
                   'Use Resources(cpu="1", mem="2Gi") or a dict with cpu, mem, gpu, ephemeral_storage.')


def _notification(value: Any, where: str, source: str) -> NotificationSpec:
    return _coerce(value, NotificationSpec, "notification", where, source,
                   "Use Email(...), Slack(...) or Webhook(...) from flowctl.")


def _coerce(value: Any, spec_type: type[_S], what: str, where: str, source: str, hint: str) -> _S:
    """``value`` as ``spec_type``: the spec itself, an SDK object with ``to_spec()``, or a dict of fields."""
    if isinstance(value, spec_type):
        return value
    if hasattr(value, "to_spec"):
        spec = value.to_spec()
        if isinstance(spec, spec_type):
            return spec
    if isinstance(value, Mapping):
        try:
            return spec_type.model_validate(dict(value))
        except ValueError as exc:
            raise ManifestError(f"Invalid {what} for {where}", detail=str(exc), source=source) from None
    raise ManifestError(f"Invalid {what} for {where}: {value!r}", source=source, detail=hint)
