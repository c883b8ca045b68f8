"""``flowctl plan -o markdown``: a pull-request comment, collapsible per project/domain.

GitHub refuses comments over 65,536 characters; the document is kept under ``MAX_CHARS`` by
leaving out whole groups (named, with their counts) once the budget is spent.
"""

from __future__ import annotations

from typing import Any

from flowctl.plans._markdown import code, fence, html, text
from flowctl.plans._render_text import promotion_lines, render_change

MAX_CHARS = 65_000
_RESERVE = 2_000  # for the summary, forecasts, findings and the truncation note


def render_plan_markdown(doc: dict[str, Any], *, max_chars: int = MAX_CHARS) -> str:
    summary = doc["summary"]
    head = ["### flowctl plan", "", f"**{summary['text']}**", ""]
    if summary["breaking"]:
        head += [f"> **{summary['breaking']} breaking interface change(s)** — see below.", ""]
    tail = _promotions(doc) + _forecasts(doc) + _compat(doc) + _warnings(doc)
    groups = _groups(doc["changes"])
    body: list[str] = []
    budget = max_chars - _RESERVE - len("\n".join(head + tail))
    left_out: list[str] = []
    for name, changes in groups:
        block = _group_block(name, changes)
        if len(block) + 1 > budget:
            left_out.append(f"{name} ({len(changes)} changes)")
            continue
        body.append(block)
        budget -= len(block) + 1
    if left_out:
        body.append(f"_{len(left_out)} group(s) left out to keep this comment under {max_chars:,} characters: "
                    f"{', '.join(left_out[:20])}{' ...' if len(left_out) > 20 else ''}. "
                    "Run `flowctl plan` or read the JSON plan artifact for everything._\n")
    text = "\n".join([*head, *body, *tail]).rstrip() + "\n"
    return text[:max_chars]


def _groups(changes: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for change in changes:
        parts = change["address"].split("/")
        name = parts[0] if len(parts) == 1 else f"{parts[0]} / {parts[1]}"
        grouped.setdefault(name, []).append(change)
    return sorted(grouped.items())


def _group_block(name: str, changes: list[dict[str, Any]]) -> str:
    counts: dict[str, int] = {}
    for change in changes:
        counts[change["action"]] = counts.get(change["action"], 0) + 1
    label = ", ".join(f"{n} to {a}" for a, n in sorted(counts.items()))
    diff = [_diff_prefix(line) for change in changes for line in render_change(change)]
    lines = [f"<details><summary><b>{html(name)}</b>: {label}</summary>", "", *fence(diff, "diff"), "", "</details>", ""]
    return "\n".join(lines)


def _diff_prefix(line: str) -> str:
    """Put the action symbol first so GitHub's diff highlighting colours the block."""
    stripped = line.lstrip()
    if stripped[:1] in ("+", "-", "~", ">"):
        return {"~": "!", ">": "!"}.get(stripped[0], stripped[0]) + line
    return " " + line


def _promotions(doc: dict[str, Any]) -> list[str]:
    lines = promotion_lines(doc.get("promotions") or ())
    if not lines:
        return []
    return ["#### Promotions", "", *fence(lines[1:-1]), ""]


def _forecasts(doc: dict[str, Any]) -> list[str]:
    if not doc["schedule_forecasts"]:
        return []
    lines = ["#### Schedule forecasts", "", "| launch plan | schedule | next fire times (local / UTC) |", "|---|---|---|"]
    for item in doc["schedule_forecasts"]:
        times = "<br>".join(text(f"{f['local']} / {f['utc']}") for f in item["fire_times"])
        notes = "".join(f"<br>_{text(n)}_" for n in item["notes"])
        lines.append(f"| {code(item['address'])} | {text(item['description'])} | {times}{notes} |")
    return [*lines, ""]


def _compat(doc: dict[str, Any]) -> list[str]:
    if not doc["compatibility"]:
        return []
    lines = ["#### Interface compatibility", ""]
    for item in doc["compatibility"]:
        tag = "**breaking**" if item["breaking"] else "safe"
        lines.append(f"- {tag} {code(item['address'])} {text(item['from_version'])} → {text(item['to_version'])}: "
                     f"{text(item['detail'])}")
    return [*lines, ""]


def _warnings(doc: dict[str, Any]) -> list[str]:
    lines = [f"- :warning: {text(w['summary'])}" for w in doc["warnings"]]
    if doc["targets"]:
        lines.insert(0, f"- :warning: limited to {', '.join(code(t) for t in doc['targets'])} (`--target`)")
    return ["#### Warnings", "", *lines, ""] if lines else []
