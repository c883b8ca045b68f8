"""The markdown view, for an issue or a pull request comment (kept under GitHub's size limit)."""

from __future__ import annotations

from flowctl.plans._markdown import code, html, text
from flowctl.plans.drift._format import field_rows, header_lines
from flowctl.plans.drift._model import DriftReport, Finding, Group

MAX_CHARS = 65_000


def render_markdown(report: DriftReport, *, max_chars: int = MAX_CHARS) -> str:
    title = "## flowctl drift: " + ("drift detected" if report.has_drift else "no drift")
    lines = [title, "", *(f"- {text(line)}" for line in header_lines(report)), "", f"**{text(report.summary_line())}**"]
    groups = report.groups()
    if groups:
        lines += ["", "| Project/domain | Errors | Warnings |", "| --- | ---: | ---: |"]
        for group in groups:
            errors = sum(1 for f in group.findings if f.severity == "error")
            lines.append(f"| {code(group.label)} | {errors} | {len(group.findings) - errors} |")
    tail = _tail(report)
    budget = max_chars - len("\n".join(lines)) - len(tail) - 200
    for index, group in enumerate(groups):
        block = _group_block(group)
        if len(block) > budget:
            left = len(groups) - index
            lines += [
                "",
                f"_{left} more project/domain section(s) left out to stay under {max_chars} "
                "characters; use `--format html` or `--format json` for the full report._",
            ]
            break
        budget -= len(block)
        lines.append(block)
    return "\n".join(lines) + tail


def _group_block(group: Group) -> str:
    lines = [
        "",
        "<details open>",
        f"<summary><b>{html(group.label)}</b>: {len(group.findings)} finding(s)</summary>",
        "",
    ]
    lines += ["| | Address | Finding | Before | After |", "| --- | --- | --- | --- | --- |"]
    for finding in group.findings:
        lines.append(_row(finding))
    lines += ["", *(f"- {code(f.address)}: {text(f.detail)}" + (f" Fix: {text(f.remedy)}" if f.remedy else "")
                    for f in group.findings), "", "</details>"]
    return "\n".join(lines)


def _row(finding: Finding) -> str:
    rows = field_rows(finding.before, finding.after)
    before = "<br>".join(f"{text(r.field)}: {code(r.before)}" for r in rows)
    after = "<br>".join(f"{text(r.field)}: {code(r.after)}" for r in rows)
    return (
        f"| {code(finding.kind.symbol)} | {code(finding.address)} | {finding.kind.summary} ({finding.severity}) "
        f"| {before} | {after} |"
    )


def _tail(report: DriftReport) -> str:
    lines: list[str] = []
    if report.accepted:
        lines += [
            "",
            "### Accepted drift",
            "",
            "| Address | Finding | Owner | Until | Reason |",
            "| --- | --- | --- | --- | --- |",
        ]
        for item in report.accepted:
            acc = item.acceptance
            lines.append(
                f"| {code(item.finding.address)} | {item.finding.kind.summary} | {text(acc.owner)} "
                f"| {acc.expires.isoformat()} | {text(acc.reason)} |"
            )
    if report.expired_acceptances:
        lines += [
            "",
            "### Expired acceptances",
            "",
            "| Address | Owner | Expired | Reason |",
            "| --- | --- | --- | --- |",
        ]
        for acc in report.expired_acceptances:
            lines.append(
                f"| {code(acc.address)} | {text(acc.owner)} | {acc.expires.isoformat()} | {text(acc.reason)} |"
            )
    pending = report.pending_changes
    lines += ["", "### Pending changes (not drift)", ""]
    if not pending.available:
        lines.append(f"Not computed{': ' + text(pending.note) if pending.note else ''}.")
    elif not pending.changes:
        lines.append("None. The manifest matches the registry.")
    else:
        lines.append(text(pending.summary))
        lines.append("")
        lines += [
            f"- {text(c.action)} {code(c.address)}" + (f": {text(c.reason)}" if c.reason else "")
            for c in pending.changes
        ]
    lines += [f"\n_Note: {text(note)}_" for note in report.notes]
    return "\n" + "\n".join(lines) + "\n"
