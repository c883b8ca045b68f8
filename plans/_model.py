"""The plan as data: ``Action``, ``Reason``, ``Change``, ``Plan`` and the findings that travel with it.

A plan is plain, serialisable data (pydantic, frozen). ``compute_plan`` builds it, the renderers
and the plan file read its JSON form, and apply dispatches on ``Change.action``. Nothing here
holds a connection, reads a clock or prints.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from flowctl.spec import Json

FORMAT_VERSION = "1.2"  # 1.1: promotions (one step per apply, gate status); 1.2: changes[].replaces


class Action(StrEnum):
    """What apply does to one object. ``NOOP`` changes are computed but never shown or applied."""

    REGISTER = "register"  # a new immutable version (or a new project / settings record)
    SUPERSEDE = "supersede"  # a new active version of a launch plan; the old version is kept
    CHANGE = "change"  # mutable state: activation, settings, project description or labels
    DEACTIVATE = "deactivate"  # a launch plan stops being active (its schedule stops); never a delete
    NOOP = "no-op"

    @property
    def symbol(self) -> str:
        return _SYMBOLS[self]

    @property
    def legend(self) -> str:
        return _LEGENDS[self]


_SYMBOLS = {Action.REGISTER: "+", Action.SUPERSEDE: ">", Action.CHANGE: "~", Action.DEACTIVATE: "-", Action.NOOP: " "}
_LEGENDS = {
    Action.REGISTER: "register",
    Action.SUPERSEDE: "supersede (new active version, the old version is kept)",
    Action.CHANGE: "change in place",
    Action.DEACTIVATE: "deactivate (its schedule stops, versions are kept)",
    Action.NOOP: "no change",
}
ACTION_ORDER = (Action.REGISTER, Action.SUPERSEDE, Action.CHANGE, Action.DEACTIVATE)


class ObjectType(StrEnum):
    """The kind of object a change is about (entities, plus the mutable records around them)."""

    PROJECT = "project"
    DOMAIN_SETTINGS = "domain_settings"
    TASK = "task"
    WORKFLOW = "workflow"
    LAUNCH_PLAN = "launch_plan"
    ACTIVATION = "activation"  # the active-version pointer of a launch plan (drives its schedule)

    @property
    def is_entity(self) -> bool:
        return self in (ObjectType.TASK, ObjectType.WORKFLOW, ObjectType.LAUNCH_PLAN)


class Reason(StrEnum):
    """Why a change is in the plan. For explaining the plan only: apply must not decide on these."""

    REGISTER_BECAUSE_NEW_PROJECT = "register_because_new_project"
    REGISTER_BECAUSE_NEW_ENTITY = "register_because_new_entity"
    REGISTER_BECAUSE_NEW_VERSION = "register_because_new_version"
    REGISTER_BECAUSE_PROMOTED = "register_because_promoted"
    REGISTER_BECAUSE_SETTINGS_DECLARED = "register_because_settings_declared"
    SUPERSEDE_BECAUSE_NEW_VERSION_ACTIVE = "supersede_because_new_version_active"
    SUPERSEDE_BECAUSE_PROMOTED = "supersede_because_promoted"
    CHANGE_BECAUSE_ACTIVATED = "change_because_activated"
    CHANGE_BECAUSE_SETTINGS_DIFFER = "change_because_settings_differ"
    CHANGE_BECAUSE_PROJECT_ATTRIBUTES_DIFFER = "change_because_project_attributes_differ"
    DEACTIVATE_BECAUSE_NOT_IN_MANIFEST = "deactivate_because_not_in_manifest"
    DEACTIVATE_BECAUSE_MARKED_INACTIVE = "deactivate_because_marked_inactive"
    NOOP_BECAUSE_IDENTICAL = "noop_because_identical"


class PlanMode(StrEnum):
    """``normal``: the manifests are the whole truth for what they manage (removed launch plans are
    deactivated). ``promote``: a partial desired state from ``flowctl promote`` (nothing deactivated)."""

    NORMAL = "normal"
    PROMOTE = "promote"


class _Data(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class AttributeChange(_Data):
    """One changed attribute of a changed object; ``path`` is dotted (``requests.cpu``)."""

    path: str
    before: Json = None
    after: Json = None


class VersionChange(_Data):
    """What a new version changes against the version it replaces (same kind, project, domain, name).

    ``aspects`` names what changed, in this order: ``interface``, ``resources``, ``image``,
    ``schedule``, ``code``, then any other top-level field (``retries``, ``nodes``...); empty when the
    content is identical. ``interface_before`` is the replaced interface, when it changed.
    """

    version: str
    digest: str
    aspects: tuple[str, ...] = ()
    attributes: tuple[AttributeChange, ...] = ()
    unchanged_attributes: int = 0
    interface_before: Json = None


class Change(_Data):
    """One planned change.

    ``before``/``after`` are the object's mutable or registered state as JSON (``None`` when it does
    not exist / will not exist). For entity registrations ``after`` holds everything apply writes:
    ``spec``, ``digest`` and, for promoted entities, the source's ``bundle_uri``.
    ``reason``, ``note`` and ``replaces`` explain the change to a reader; apply must not branch on them.
    """

    address: str
    object_type: ObjectType
    action: Action
    reason: Reason
    before: dict[str, Json] | None = None
    after: dict[str, Json] | None = None
    attributes: tuple[AttributeChange, ...] = ()
    unchanged_attributes: int = 0
    promoted_from: str | None = None
    note: str = ""
    source: str = ""  # manifest file:line that declared it
    replaces: VersionChange | None = None  # a new version: what changed against the one it replaces


class FireTime(_Data):
    local: str  # ISO 8601 with offset, in the schedule's time zone
    utc: str  # ISO 8601, UTC


class ScheduleForecast(_Data):
    """Next fire times of an added, changed or activated schedule (computed for a given ``now``)."""

    address: str
    description: str  # 'cron "0 2 * * *" (Europe/Zurich)' or 'every 30m'
    timezone: str
    fire_times: tuple[FireTime, ...]
    notes: tuple[str, ...] = ()  # DST transitions between now and the last fire time


class CompatFinding(_Data):
    """One interface difference between the old and the new active version."""

    address: str
    from_version: str
    to_version: str
    input: str
    kind: str  # "removed" | "type_changed" | "new_required" | "new_optional" | "default_removed"
    breaking: bool
    detail: str


class GateStatus(_Data):
    """One promotion gate of a promotion step: what it requires, what the registry shows, met or not."""

    gate: str  # "successes" | "soak" | "approval"
    required: str  # "3 succeeded executions in staging"
    actual: str  # "1 succeeded", "active for 3h 12m", "approved by alice at 2026-01-01 10:00 UTC"
    met: bool
    fix: str = ""  # how to meet it, when it is not met


class PromotionState(StrEnum):
    """Where one promotion stands in this plan."""

    MOVES = "moves"  # the target gets the source's version in this apply
    HELD = "held"  # a gate is not met: the target keeps its version
    CURRENT = "current"  # the target already runs the source's version
    WAITING = "waiting"  # the source has no version yet (or only one this plan creates)


class PromotionStep(_Data):
    """``promoted_from``: one workflow, one step of the chain (``source`` -> ``domain``) in this plan.

    ``candidate`` is what the source runs in the registry the plan was made from (or the pinned
    version); ``current`` what the target runs now; ``version`` what it runs after this apply
    (``candidate`` when it moves, ``current`` when held). ``next_version``: the source gets a new
    version in this plan, which this target follows on the next apply (one step per apply).
    ``gates`` is what apply checks again under the lock, with ``requires``.
    """

    project: str
    domain: str
    source: str
    workflow: str
    state: PromotionState
    current: str | None = None
    candidate: str | None = None
    version: str | None = None
    pinned: bool = False
    next_version: str | None = None
    requires: dict[str, Json] = Field(default_factory=dict)  # PromotionGates.to_json(); {} without gates
    gates: tuple[GateStatus, ...] = ()
    source_location: str = ""  # manifest file:line of the promoted_from declaration

    @property
    def address(self) -> str:
        return f"{self.project}/{self.domain}/workflow/{self.workflow}"

    @property
    def shown(self) -> bool:
        """Steps a reader needs to see: a move, a hold, or a version waiting for the next apply."""
        return self.state in (PromotionState.MOVES, PromotionState.HELD) or self.next_version is not None


class PlanWarning(_Data):
    summary: str
    detail: str = ""
    address: str = ""
    source: str = ""


class Plan(_Data):
    """The result of ``compute_plan``: pure data, serialisable, applied as a whole or refused."""

    format_version: str = FORMAT_VERSION
    mode: PlanMode = PlanMode.NORMAL
    lineage: str
    base_serial: int
    manifest_id: str
    version_source: str = "explicit"
    created_at: str = ""  # ISO 8601, passed in by the caller (plans never read the clock)
    targets: tuple[str, ...] = ()
    changes: tuple[Change, ...] = ()
    forecasts: tuple[ScheduleForecast, ...] = ()
    compatibility: tuple[CompatFinding, ...] = ()
    warnings: tuple[PlanWarning, ...] = ()
    promotions: tuple[PromotionStep, ...] = ()
    desired_state: dict[str, Any] = Field(default_factory=dict)  # what was planned from, for the history

    @property
    def visible_changes(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.action is not Action.NOOP)

    @property
    def has_changes(self) -> bool:
        return bool(self.visible_changes)

    @property
    def held(self) -> tuple[PromotionStep, ...]:
        return tuple(p for p in self.promotions if p.state is PromotionState.HELD)

    @property
    def breaking(self) -> tuple[CompatFinding, ...]:
        return tuple(f for f in self.compatibility if f.breaking)

    def counts(self) -> dict[str, int]:
        """Counts per action (supersede counted on its own; the summary line folds it into change)."""
        counts = {a.value: 0 for a in ACTION_ORDER}
        for change in self.visible_changes:
            counts[change.action.value] += 1
        return counts

    def summary(self) -> str:
        """``Plan: 2 to register, 1 to change, 0 to deactivate.`` or the no-changes sentence."""
        if not self.has_changes:
            return NO_CHANGES
        c = self.counts()
        changed = c["change"] + c["supersede"]
        return f"Plan: {c['register']} to register, {changed} to change, {c['deactivate']} to deactivate."


NO_CHANGES = "No changes. The registry matches your manifests."
