"""The terminal view of a drift report: plain text, stable for golden tests."""

from __future__ import annotations

from flowctl.plans.drift._format import field_rows, header_lines
from flowctl.plans.drift._model import DriftReport, Finding


def render_text(report: DriftReport) -> str:
    lines = header_lines(report)
    if report.findings:
        lines += ["", "Symbols: " + "; ".join(f"{s} {text}" for s, text in report.symbols_used())]
    for group in report.groups():
        lines += ["", group.label]
        for finding in group.findings:
            lines += _finding_lines(finding)
    if report.accepted:
        lines += ["", "Accepted drift (suppressed until the entry expires):"]
        for item in report.accepted:
            acc = item.acceptance
            lines.append(f"  {item.finding.address}: {item.finding.kind.summary}")
            lines.append(f"      accepted by {acc.owner} until {acc.expires.isoformat()}: {acc.reason}")
    if report.expired_acceptances:
        lines += ["", "Expired acceptances (they no longer suppress anything; renew or remove them):"]
        for acc in report.expired_acceptances:
            lines.append(
                f"  {acc.address}: expired {acc.expires.isoformat()} (owner {acc.owner}): {acc.reason}"
            )
    lines += ["", *_pending_lines(report)]
    lines += [*(f"Note: {note}" for note in report.notes), "", report.summary_line()]
    return "\n".join(lines) + "\n"


def _finding_lines(finding: Finding) -> list[str]:
    lines = [f"  {finding.kind.symbol} {finding.address}: {finding.kind.summary} [{finding.severity}]"]
    lines += [
        f"      {row.field}: {row.before} -> {row.after}" for row in field_rows(finding.before, finding.after)
    ]
    lines.append(f"      {finding.detail}")
    if finding.remedy:
        lines.append(f"      Fix: {finding.remedy}")
    return lines


def _pending_lines(report: DriftReport) -> list[str]:
    pending = report.pending_changes
    if not pending.available:
        return [
            f"Pending changes: not computed ({pending.note})."
            if pending.note
            else "Pending changes: not computed."
        ]
    if not pending.changes:
        return ["Pending changes: none. The manifest matches the registry."]
    lines = [f"Pending changes (in the manifest, not applied yet; not drift): {pending.summary}"]
    lines += [f"  {c.action}: {c.address}" + (f" ({c.reason})" if c.reason else "") for c in pending.changes]
    return lines
