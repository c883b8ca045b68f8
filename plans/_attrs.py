"""Attribute-level differences between two JSON objects (dotted paths), and immutability diffs."""

from __future__ import annotations

from typing import Any

from flowctl.plans._model import AttributeChange
from flowctl.spec import Json

_LOCATION_KEYS = frozenset({"source", "source_line", "source_file"})


def strip_locations(value: Json) -> Json:
    """The value without ``source``/``source_line``/``source_file`` keys (they are not content)."""
    if isinstance(value, dict):  # scalars are kept without a call: most of a spec's values are scalars
        return {k: strip_locations(v) if isinstance(v, dict | list) else v
                for k, v in value.items() if k not in _LOCATION_KEYS}
    if isinstance(value, list):
        return [strip_locations(v) if isinstance(v, dict | list) else v for v in value]
    return value


def flatten(value: dict[str, Json], prefix: str = "") -> dict[str, Json]:
    """``{"a": {"b": 1}, "c": [1], "d": {}}`` -> ``{"a.b": 1, "c": [1]}``; lists are leaves, empty dicts vanish."""
    flat: dict[str, Json] = {}
    for key in sorted(value):
        item = value[key]
        path = f"{prefix}{key}"
        if isinstance(item, dict):
            flat.update(flatten(item, path + "."))
        else:
            flat[path] = item
    return flat


def attribute_changes(before: dict[str, Json], after: dict[str, Json]) -> tuple[tuple[AttributeChange, ...], int]:
    """Changed attributes (sorted by path) and the number of unchanged ones."""
    old, new = flatten(before), flatten(after)
    changes = []
    unchanged = 0
    for path in sorted(set(old) | set(new)):
        if old.get(path) == new.get(path):
            unchanged += 1
        else:
            changes.append(AttributeChange(path=path, before=old.get(path), after=new.get(path)))
    return tuple(changes), unchanged


def describe_spec_difference(stored: dict[str, Json], planned: dict[str, Json], *, limit: int = 12) -> list[str]:
    """Human lines naming the fields that differ between two specs (deepdiff), locations ignored."""
    from deepdiff import DeepDiff

    diff: Any = DeepDiff(strip_locations(stored), strip_locations(planned), ignore_order=False, view="tree")
    lines: list[str] = []
    for category in sorted(diff):
        for level in diff[category]:
            path = level.path(output_format="list")
            where = ".".join(str(p) for p in path) or "(root)"
            if category == "values_changed" or category == "type_changes":
                lines.append(f"{where}: {_short(level.t1)} -> {_short(level.t2)}")
            elif "added" in category:
                lines.append(f"{where}: added {_short(level.t2)}")
            elif "removed" in category:
                lines.append(f"{where}: removed (was {_short(level.t1)})")
            else:
                lines.append(f"{where}: {category.replace('_', ' ')}")
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
