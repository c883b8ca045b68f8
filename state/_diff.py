"""A readable diff of two specs (``flowctl._structdiff``), for ImmutabilityError.

``code.code_digest of task mean changed: 'sha256:1a2b…' -> 'sha256:9f8e…'``
"""

from __future__ import annotations

from typing import Any

from flowctl._structdiff import SPEC_UNORDERED, structural_diff

MAX_LINES = 20
MAX_VALUE = 60


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"


def spec_diff(old: dict[str, Any], new: dict[str, Any], *, label: str) -> list[str]:
    """One line per difference, ``label`` naming the object (e.g. ``task mean``)."""
    lines: list[str] = []
    for change in structural_diff(old, new, unordered=SPEC_UNORDERED):
        where = change.path or "(whole spec)"
        if change.before is None:
            lines.append(f"{where} of {label} added: {_short(change.after)}")
        elif change.after is None:
            lines.append(f"{where} of {label} removed: {_short(change.before)}")
        else:
            lines.append(f"{where} of {label} changed: {_short(change.before)} -> {_short(change.after)}")
    if len(lines) > MAX_LINES:
        lines = [*lines[:MAX_LINES], f"… and {len(lines) - MAX_LINES} more differences"]
    return lines or [f"{label}: the stored digest differs, but the specs compare equal (digest computed differently?)"]
