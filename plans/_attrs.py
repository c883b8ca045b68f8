"""Attribute-level differences between two specs (leaf addresses, ``flowctl._structdiff``), and immutability diffs."""

from __future__ import annotations

from typing import Any

from flowctl._structdiff import SPEC_UNORDERED, structural_diff, unchanged_count
from flowctl.plans._model import AttributeChange
from flowctl.spec import Json
from flowctl.spec._locations import strip_locations


def attribute_changes(before: dict[str, Json], after: dict[str, Json]) -> tuple[tuple[AttributeChange, ...], int]:
    """Changed attributes (leaves, sorted by address) and the number of unchanged ones."""
    changes = structural_diff(before, after, unordered=SPEC_UNORDERED)
    attrs = tuple(AttributeChange(path=c.path, before=c.before, after=c.after) for c in changes)
    return attrs, unchanged_count(before, after, changes)


def describe_spec_difference(stored: dict[str, Json], planned: dict[str, Json], *, limit: int = 12) -> list[str]:
    """Human lines naming the fields that differ between two specs, locations ignored."""
    lines: list[str] = []
    for change in structural_diff(strip_locations(stored), strip_locations(planned), unordered=SPEC_UNORDERED):
        where = change.path or "(root)"
        if change.before is None:
            lines.append(f"{where}: added {_short(change.after)}")
        elif change.after is None:
            lines.append(f"{where}: removed (was {_short(change.before)})")
        else:
            lines.append(f"{where}: {_short(change.before)} -> {_short(change.after)}")
    if len(lines) > limit:
        lines = [*lines[:limit], f"... and {len(lines) - limit} more differences"]
    return lines


def _short(value: Any, width: int = 60) -> str:
    import json

    try:
        text = json.dumps(value, sort_keys=True, default=str)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= width else text[: width - 3] + "..."
