"""Desired state: what a set of manifests declares, compiled. The input of ``plans.compute_plan``."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from flowctl._address import Address, EntityKind
from flowctl.spec._entities import (
    LaunchPlanSpec,
    NotificationSpec,
    ResourcesSpec,
    Spec,
    TaskSpec,
    WorkflowSpec,
)

DEFAULT_DOMAINS: tuple[str, ...] = ("development", "staging", "production")

EntitySpec = TaskSpec | WorkflowSpec | LaunchPlanSpec


class ProjectSpec(Spec):
    name: str
    description: str = ""
    domains: tuple[str, ...] = DEFAULT_DOMAINS
    labels: dict[str, str] = Field(default_factory=dict)
    source: str = ""


class DomainSettingsSpec(Spec):
    """Per project-domain settings: what every execution in it gets unless a task says otherwise."""

    project: str
    domain: str
    requests: ResourcesSpec = Field(default_factory=ResourcesSpec)
    limits: ResourcesSpec = Field(default_factory=ResourcesSpec)
    service_account: str | None = None
    container_image: str | None = None
    environment: dict[str, str] = Field(default_factory=dict)
    notifications: tuple[NotificationSpec, ...] = ()
    source: str = ""


class PromotionGates(Spec):
    """What a promotion waits for before the target domain gets the version the source runs.

    ``require_successes``: succeeded executions of that workflow version in the source domain;
    ``soak_seconds``: how long it has been the active version in the source domain;
    ``require_approval``: an approval of that version for the target (``flowctl promote --approve``).
    """

    require_successes: int = 0
    soak_seconds: int = 0
    require_approval: bool = False

    @property
    def any(self) -> bool:
        return bool(self.require_successes or self.soak_seconds or self.require_approval)

    def merged(self, other: PromotionGates) -> PromotionGates:
        """The stricter of the two for every gate."""
        return PromotionGates(require_successes=max(self.require_successes, other.require_successes),
                              soak_seconds=max(self.soak_seconds, other.soak_seconds),
                              require_approval=self.require_approval or other.require_approval)


class RegistrationSpec(Spec):
    """One versioned entity the manifest wants to exist.

    Either ``spec`` is given (current code), or ``promoted_from`` names a source domain whose
    active version (and its exact stored spec) this domain should get; plans resolves that.
    """

    project: str
    domain: str
    kind: EntityKind
    name: str
    version: str | None  # None only with promoted_from: resolved against the registry
    spec: TaskSpec | WorkflowSpec | LaunchPlanSpec | None = None
    promoted_from: str | None = None
    gates: PromotionGates | None = None  # only with promoted_from: what the promotion waits for
    source: str = ""

    @property
    def address(self) -> Address:
        return Address.entity(self.kind, self.project, self.domain, self.name, self.version)


class ActivationSpec(Spec):
    """Launch plan ``name`` in project/domain should have ``version`` active (or none when inactive).

    ``version`` None with ``promoted_from`` set: the version active in that domain.
    """

    project: str
    domain: str
    name: str
    version: str | None
    active: bool = True
    promoted_from: str | None = None
    source: str = ""


class DesiredState(Spec):
    """Everything a set of manifests declares, compiled and version-stamped."""

    manifest_id: str  # identifies the manifest root (e.g. its path or repo), recorded as managed_by
    projects: tuple[ProjectSpec, ...] = ()
    domain_settings: tuple[DomainSettingsSpec, ...] = ()
    registrations: tuple[RegistrationSpec, ...] = ()
    activations: tuple[ActivationSpec, ...] = ()
    version_source: Literal["git", "explicit", "dirty", "content"] = "explicit"
