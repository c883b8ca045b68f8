"""What ``flowctl apply`` does about each drift finding, read from the plan (one shared computation).

Drift never guesses what apply would do: it computes the same plan ``flowctl plan`` shows (the
manifests given to ``flowctl drift``, else the desired state the last apply recorded) and states,
for each finding, the change that plan holds at the finding's address, in the plan's own words, or
that apply leaves it alone (and how to fix it instead).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from flowctl._errors import Diagnostic
from flowctl.plans._render_text import comment_line
from flowctl.plans.drift._model import Finding, FindingKind

# Findings about the registry, which the plan covers; cluster and schedule findings have their own remedy.
_PLANNED = frozenset({FindingKind.REGISTERED_OUTSIDE_APPLY, FindingKind.ENTITY_CHANGED, FindingKind.ENTITY_MISSING,
                      FindingKind.ACTIVATION_CHANGED, FindingKind.ORPHANED_SCHEDULE, FindingKind.PROJECT_CHANGED,
                      FindingKind.DOMAIN_SETTINGS_CHANGED})


def attach_remedies(findings: Sequence[Finding], changes: Sequence[dict[str, Any]] | None,
                    errors: Sequence[Diagnostic] = (), *, source: str) -> tuple[Finding, ...]:
    """``findings`` with their ``remedy``.

    Args:
        changes: the plan's changes as in its JSON document; None when the plan failed (``errors``).
        source: what the plan was computed from, for the reader ("the manifests", "the last apply").
    """
    by_address = {c["address"]: c for c in changes or ()}
    failed = {d.address: d for d in errors if d.address}
    return tuple(replace(f, remedy=_remedy(f, by_address, failed, errors, source)) if f.kind in _PLANNED else f
                 for f in findings)


def _remedy(finding: Finding, changes: dict[str, dict[str, Any]], failed: dict[str, Diagnostic],
            errors: Sequence[Diagnostic], source: str) -> str:
    if finding.address in failed:
        return f"`flowctl plan` fails here: {failed[finding.address].summary}."
    if errors and not changes:
        return f"Not known: the plan of {source} failed ({errors[0].summary}); run `flowctl plan`."
    change = changes.get(finding.address)
    if change is not None:
        return f"`flowctl apply` (of {source}): {comment_line(change)}."
    return f"`flowctl apply` (of {source}) leaves it as it is. {_by_hand(finding)}"


def _by_hand(finding: Finding) -> str:
    parts = finding.address.split("/")
    if finding.kind in (FindingKind.ACTIVATION_CHANGED, FindingKind.ORPHANED_SCHEDULE) and len(parts) == 4:
        return (f"Declare it in a manifest, deactivate it (`flowctl launchplan deactivate {parts[0]} {parts[1]} "
                f"{parts[3]}`), or accept it with `flowctl apply --refresh-only`.")
    if finding.kind is FindingKind.ENTITY_CHANGED:
        return "Versions are immutable: restore the stored spec from a backup, or register a new version."
    return "Add it to a manifest, or accept it with `flowctl apply --refresh-only`."
