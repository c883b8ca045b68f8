"""A readable diff of two specs (deepdiff), for ImmutabilityError.

``code.code_digest of task mean changed: 'sha256:1a2b…' -> 'sha256:9f8e…'``
"""

from __future__ import annotations

import re
from typing import Any

MAX_LINES = 20
MAX_VALUE = 60
_PATH_PART = re.compile(r"\[('(?:[^'\\]|\\.)*'|\d+)\]")


def readable_path(path: str) -> str:
    """``root['code']['code_digest']`` -> ``code.code_digest``; ``root['nodes'][0]`` -> ``nodes[0]``."""
    out = ""
    for part in _PATH_PART.findall(path):
        if part.startswith("'"):
            out += ("." if out else "") + part[1:-1]
        else:
            out += f"[{part}]"
    return out or "(whole spec)"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"


def spec_diff(old: dict[str, Any], new: dict[str, Any], *, label: str) -> list[str]:
    """One line per difference, ``label`` naming the object (e.g. ``task mean``)."""
    from deepdiff import DeepDiff  # only when a conflict is described: keeps deepdiff off the plan path

    diff = DeepDiff(old, new, verbose_level=2)
    lines: list[str] = []
    for path, change in diff.get("values_changed", {}).items():
        lines.append(f"{readable_path(path)} of {label} changed: {_short(change['old_value'])} -> {_short(change['new_value'])}")
    for path, change in diff.get("type_changes", {}).items():
        lines.append(f"{readable_path(path)} of {label} changed: {_short(change['old_value'])} -> {_short(change['new_value'])}")
    for key, verb in (
        ("dictionary_item_added", "added"),
        ("iterable_item_added", "added"),
        ("dictionary_item_removed", "removed"),
        ("iterable_item_removed", "removed"),
    ):
        for path, value in diff.get(key, {}).items():
            lines.append(f"{readable_path(path)} of {label} {verb}: {_short(value)}")
    lines.sort()
    if len(lines) > MAX_LINES:
        lines = [*lines[:MAX_LINES], f"… and {len(lines) - MAX_LINES} more differences"]
    return lines or [f"{label}: the stored digest differs, but the specs compare equal (digest computed differently?)"]
