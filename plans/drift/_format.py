"""Formatting helpers shared by the text, markdown and HTML views (no computation of drift)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flowctl.plans.drift._model import DriftReport, Finding, Group

_SEVERITY_RANK = {"error": 0, "warning": 1}
_DIGEST = re.compile(r'^"?sha256:[0-9a-f]+"?$')


@dataclass(frozen=True)
class FieldRow:
    """One attribute of a finding: ``before -> after`` as display text."""

    field: str
    before: str
    after: str


def value_text(value: Any) -> str:
    """A JSON value as compact text: strings quoted, absent values as ``(none)``."""
    if value is None:
        return "(none)"
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(", ", ": "))


def field_rows(before: Any, after: Any) -> list[FieldRow]:
    """Rows for a finding's before/after. Dicts of fields give one row per field."""
    if isinstance(before, dict) or isinstance(after, dict):
        b = before if isinstance(before, dict) else {}
        a = after if isinstance(after, dict) else {}
        return [
            FieldRow(
                key,
                value_text(b.get(key)) if before is not None else "(none)",
                value_text(a.get(key)) if after is not None else "(none)",
            )
            for key in sorted(set(b) | set(a))
        ]
    return [FieldRow("value", value_text(before), value_text(after))]


def is_digest(text: str) -> bool:
    """``"sha256:9f8e…"``: a value the HTML view keeps on one line."""
    return bool(_DIGEST.match(text))


def by_severity(groups: list[Group]) -> list[Group]:
    """Groups with an error first, and inside each group errors before warnings (then by address)."""
    def rank(finding: Finding) -> int:
        return _SEVERITY_RANK.get(finding.severity, len(_SEVERITY_RANK))

    ordered = [Group(g.project, g.domain, tuple(sorted(g.findings, key=lambda f: (rank(f), f.address))))
               for g in groups]
    return sorted(ordered, key=lambda g: min((rank(f) for f in g.findings), default=len(_SEVERITY_RANK)))


def when(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC"


def header_lines(report: DriftReport) -> list[str]:
    """What was compared: registry, last apply, scope."""
    lines = [f"Registry {report.registry_lineage} at serial {report.registry_serial}."]
    if report.last_apply is None:
        lines.append("Last apply: none recorded.")
    else:
        la = report.last_apply
        lines.append(
            f"Last apply: serial {la.serial} ({la.operation}) by {la.user} at {when(la.applied_at)}."
        )
    scope = ", ".join(report.managed_projects) or "(none)"
    cluster = "registry and cluster" if report.cluster_checked else "registry only"
    lines.append(f"Judged: {scope} ({cluster}).")
    return lines
