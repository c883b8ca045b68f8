"""What a new version changes against the version it replaces (pure, for the plan's ``replaces``).

The replaced version is what the domain runs now: for a launch plan its active version, for a
workflow the version of its active default launch plan; otherwise (and for tasks) the newest
stored version, preferring this manifest's own registrations.
"""

from __future__ import annotations

from typing import cast

from flowctl._address import EntityKind
from flowctl.plans._attrs import attribute_changes
from flowctl.plans._model import VersionChange
from flowctl.plans._resolved import Entity, SnapshotIndex
from flowctl.spec import Json
from flowctl.spec._locations import strip_locations
from flowctl.state._interface import StoredEntity

# top-level spec fields grouped under one name; the order is the order of ``aspects``
_ASPECTS = {"interface": "interface", "requests": "resources", "limits": "resources",
            "container_image": "image", "image_spec": "image", "schedule": "schedule", "code": "code"}
_ORDER = ("interface", "resources", "image", "schedule", "code")


def replaced_version(index: SnapshotIndex, entity: Entity, manifest_id: str) -> StoredEntity | None:
    """The stored version ``entity`` takes over from, or None when it is the first of its name."""
    versions = [e for e in index.versions(entity.kind, entity.project, entity.domain, entity.name)
                if e.version != entity.version]
    if not versions:
        return None
    if entity.kind in (EntityKind.LAUNCH_PLAN, EntityKind.WORKFLOW):
        active = index.snapshot.active_launch_plans.get((entity.project, entity.domain, entity.name))
        found = next((e for e in versions if active is not None and e.version == active.version), None)
        if found is not None:
            return found
    mine = [e for e in versions if e.managed_by == manifest_id] or versions
    return max(mine, key=lambda e: (e.created_at, e.version))


def version_change(old: StoredEntity, entity: Entity) -> VersionChange:
    """The changed attributes of ``entity`` against ``old``, grouped into aspects."""
    if old.digest == entity.digest:
        return VersionChange(version=old.version, digest=old.digest)
    before = cast(dict[str, Json], strip_locations(old.spec))
    after = cast(dict[str, Json], strip_locations(entity.spec))
    attrs, unchanged = attribute_changes(before, after)
    tops = {_top(a.path) for a in attrs}
    named = {_ASPECTS.get(t, t) for t in tops}
    # the digests differ, so something changed even if no leaf shows it (a list reordered)
    aspects = (*(a for a in _ORDER if a in named), *sorted(named - set(_ORDER))) or ("content",)
    interface: Json = before.get("interface") if "interface" in named else None
    return VersionChange(version=old.version, digest=old.digest, aspects=aspects, attributes=attrs,
                         unchanged_attributes=unchanged, interface_before=interface)


def _top(path: str) -> str:
    for i, ch in enumerate(path):
        if ch in ".[":
            return path[:i]
    return path
