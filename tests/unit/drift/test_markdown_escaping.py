"""Markdown reports (drift and plan) stay well-formed whatever text labels, names and reasons hold:
parsed back with a CommonMark + GFM-tables parser, every table row has its columns and every
value reads as written."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from drift_specs import sample_report
from markdown_it import MarkdownIt
from markdown_it.token import Token

from flowctl.plans._markdown import code, fence, text
from flowctl.plans.drift import Acceptance, AcceptedFinding, Finding, FindingKind, render_markdown

sys.path.insert(0, str(Path(__file__).parents[1] / "plans"))

HOSTILE = ["team|x", "a`b", "``", "<script>alert(1)</script>", "x & y", "*bold* _it_", "[l](http://e)", "back\\slash",
           "pipe \\| escaped", "line\nbreak", " lead", "trail`"]
PARSER = MarkdownIt("commonmark").enable("table")


def _tables(markdown: str) -> list[list[list[str]]]:
    """Every table as rows of cell texts (inline content rendered to plain text)."""
    tables: list[list[list[str]]] = []
    tokens = PARSER.parse(markdown)
    row: list[str] | None = None
    for token in tokens:
        if token.type == "table_open":
            tables.append([])
        elif token.type == "tr_open":
            row = []
        elif token.type == "tr_close" and row is not None:
            tables[-1].append(row)
            row = None
        elif token.type == "inline" and row is not None and token.map is not None:
            row.append(_plain(token.children or []))
    return tables


def _plain(children: list[Token]) -> str:
    return "".join(c.content if c.type in ("text", "code_inline") else "\n" if c.type == "html_inline" else ""
                   for c in children)


@pytest.mark.parametrize("value", HOSTILE)
def test_inline_helpers_round_trip(value: str) -> None:
    flat = " ".join(value.splitlines())
    cell = PARSER.parse(f"| h | c |\n| --- | --- |\n| {text(value)} | {code(value)} |\n")
    inline = [t for t in cell if t.type == "inline"][-2:]
    shown_text = "".join(c.content if c.type != "html_inline" else "\n" for c in inline[0].children or [])
    assert shown_text == value.strip()  # table cells are trimmed
    assert _plain(inline[1].children or []).strip() == flat.strip()


def test_fenced_blocks_cannot_be_closed_from_inside() -> None:
    lines = ["+ a = \"x```y\"", "```", "- b = 1"]
    tokens = [t for t in PARSER.parse("\n".join(fence(lines, "diff"))) if t.type == "fence"]
    assert len(tokens) == 1 and tokens[0].content.splitlines() == lines


def _hostile_report() -> Any:
    report = sample_report()
    labels = {key: value for key, value in zip(HOSTILE, reversed(HOSTILE), strict=True)}
    changed = Finding(FindingKind.CLUSTER_OBJECT_CHANGED, "ml/production", {f"metadata.labels.{k}": v for k, v
                      in labels.items()}, {f"metadata.labels.{k}": v + "!" for k, v in labels.items()},
                      "Labels `edited` by <b>hand</b> | see", "error", "ml", "production")
    job = Finding(FindingKind.ORPHANED_JOB, "ml/production/job/x", None, {"labels": labels}, "orphan", "warning",
                  "ml", "production")
    accepted = AcceptedFinding(changed, Acceptance(address="ml/production", reason="ok | `fine` <i>", owner="a|b",
                                                   expires=report.generated_at.date()))
    return replace(report.with_findings((*report.findings, changed, job)), accepted=(accepted,))


def test_drift_markdown_tables_keep_their_columns_and_values() -> None:
    markdown = render_markdown(_hostile_report())
    tables = _tables(markdown)
    assert tables, markdown
    for table in tables:
        assert len({len(row) for row in table}) == 1, table  # no row gained or lost a column
    cells = "\n".join(cell for table in tables for row in table for cell in row)
    for value in HOSTILE:
        flat = " ".join(value.splitlines())
        assert f"metadata.labels.{value}".replace("\n", "") in cells.replace("\n", "") or value == "line\nbreak"
        assert flat.strip() in cells.replace("\n", " ")
    rendered = PARSER.render(markdown)  # what a reader sees: user text never becomes markup
    assert "<script>" not in rendered and "<i>" not in rendered and "<b>hand</b>" not in rendered


def test_plan_markdown_keeps_label_values_inside_its_diff_block() -> None:
    from plan_memstore import MemStore
    from plan_specs import NOW, desired, register_workflow, scale_workflow

    from flowctl.plans import compute_plan, render_plan_json, render_plan_markdown

    doc = render_plan_json(compute_plan(desired(register_workflow("p", "development", scale_workflow(), [], "v1")),
                                        MemStore().snapshot(), now=NOW))
    change = dict(doc["changes"][-1], action="change", symbol="~", attributes=[
        {"path": "labels.team", "before": "a```b", "after": "x|y"}, {"path": "labels.`k`", "before": None,
                                                                     "after": "<b>v</b>"}])
    doc["changes"] = [change]
    markdown = render_plan_markdown(doc)
    fences = [t for t in PARSER.parse(markdown) if t.type == "fence"]
    assert len(fences) == 1 and "a```b" in fences[0].content and "<b>v</b>" in fences[0].content
    assert "</details>" not in fences[0].content
