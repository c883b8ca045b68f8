"""The views of a drift report: golden text and markdown, JSON against dicts, HTML structure.

Regenerate the golden files after an intended change with ``UPDATE_GOLDEN=1 pytest tests/unit/drift``.
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import pytest
from drift_specs import APPLIED_AT, MANIFEST, NOW, sample_report

from flowctl.plans.drift import (
    FORMAT_VERSION,
    DriftReport,
    LastApply,
    render_html,
    render_json,
    render_markdown,
    render_text,
)

GOLDEN = Path(__file__).parent / "golden"


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(text)
    assert text == path.read_text()


def clean_report() -> DriftReport:
    return DriftReport(
        generated_at=NOW,
        registry_lineage="lineage-1",
        registry_serial=7,
        last_apply=LastApply(7, APPLIED_AT, "alice", "apply", MANIFEST),
        managed_projects=("ml",),
    )


def test_text_golden() -> None:
    check_golden("report.txt", render_text(sample_report()))


def test_text_golden_no_drift() -> None:
    check_golden("clean.txt", render_text(clean_report()))


def test_markdown_golden() -> None:
    check_golden("report.md", render_markdown(sample_report()))


def test_markdown_stays_under_the_limit() -> None:
    report = sample_report()
    many = tuple(
        replace(report.findings[1], address=f"ml/dev{i:03}/task/t@v", domain=f"dev{i:03}") for i in range(400)
    )
    text = render_markdown(report.with_findings(many), max_chars=20_000)
    assert len(text) < 20_000
    assert "more project/domain section(s) left out" in text
    assert "### Pending changes" in text


def test_json_document() -> None:
    doc = json.loads(render_json(sample_report()))
    assert doc["format_version"] == FORMAT_VERSION == "1"
    assert doc["drift"] is True
    assert doc["registry"] == {"lineage": "lineage-1", "serial": 9}
    assert doc["last_apply"] == {
        "serial": 7,
        "applied_at": "2026-11-23T20:00:00+00:00",
        "user": "alice",
        "operation": "apply",
        "manifest_id": "manifests",
    }
    assert doc["counts"] == {
        "activation_changed": 1,
        "domain_settings_changed": 1,
        "project_changed": 1,
        "registered_outside_apply": 1,
        "schedule_not_fired": 1,
    }
    assert [(g["project"], g["domain"], len(g["findings"])) for g in doc["groups"]] == [
        ("ml", None, 1),
        ("ml", "development", 2),
        ("ml", "production", 2),
    ]
    assert doc["groups"][2]["findings"][1] == {
        "kind": "activation_changed",
        "title": "activation changed by hand",
        "address": "ml/production/launch_plan/nightly",
        "project": "ml",
        "domain": "production",
        "severity": "error",
        "detail": "The active version was switched by hand to v0; `flowctl apply` switches it back.",
        "remedy": "",
        "before": {"active_version": "v1"},
        "after": {"active_version": "v0"},
    }
    assert doc["accepted"][0]["acceptance"] == {
        "address": "web/staging",
        "reason": "load test until the migration ends",
        "owner": "carol@example.com",
        "expires": "2026-12-31",
        "kind": None,
    }
    assert doc["expired_acceptances"] == [
        {
            "address": "ml/development/task/etl.load",
            "reason": "old hotfix",
            "owner": "dave@example.com",
            "expires": "2026-11-01",
            "kind": None,
        }
    ]
    assert doc["pending_changes"] == {
        "available": True,
        "summary": "Plan: 1 to register, 0 to change, 0 to deactivate.",
        "counts": {"register": 1},
        "changes": [
            {
                "address": "ml/development/workflow/etl.wf@v2",
                "action": "register",
                "reason": "register_because_new_version",
            }
        ],
        "note": "",
    }
    assert set(doc) == {
        "format_version",
        "generated_at",
        "drift",
        "summary",
        "registry",
        "last_apply",
        "managed_projects",
        "cluster_checked",
        "counts",
        "groups",
        "accepted",
        "expired_acceptances",
        "pending_changes",
        "notes",
    }


def test_json_of_a_clean_report() -> None:
    doc = clean_report().to_json()
    assert doc["drift"] is False
    assert doc["groups"] == [] and doc["counts"] == {}
    assert doc["summary"] == "No drift. The world matches the last apply (serial 7)."


@pytest.mark.parametrize("report", [sample_report(), clean_report()], ids=["drift", "clean"])
def test_json_round_trips_so_views_can_render_a_saved_report(report: DriftReport) -> None:
    again = DriftReport.from_json(json.loads(render_json(report)))
    assert again == report
    assert render_text(again) == render_text(report)


def test_from_json_refuses_another_format_version() -> None:
    doc = clean_report().to_json() | {"format_version": "99"}
    with pytest.raises(ValueError, match="format_version"):
        DriftReport.from_json(doc)


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_html_is_self_contained_and_escaped() -> None:
    html = render_html(sample_report())
    parser = _Collect()
    parser.feed(html)
    tags = [t for t, _ in parser.tags]
    assert "script" not in tags and "link" not in tags and "img" not in tags
    assert not any(a.get("src") or (a.get("href") or "#").startswith("http") for _, a in parser.tags)
    rows = [a for t, a in parser.tags if t == "tr" and a.get("class") == "finding"]
    assert [r["data-kind"] for r in rows] == [
        "project_changed",
        "schedule_not_fired",
        "registered_outside_apply",
        "domain_settings_changed",
        "activation_changed",
    ]
    assert "<b>edited</b>" not in html and "&lt;b&gt;edited&lt;/b&gt;" in html
    text = " ".join(parser.text)
    assert "Drift: 5 findings in 3 project/domains (4 errors, 1 warning). 1 accepted." in text
    assert "load test until the migration ends" in text and "old hotfix" in text


def test_html_of_a_clean_report() -> None:
    html = render_html(clean_report())
    assert 'class="status clean"' in html and "No drift" in html
    assert 'class="finding"' not in html


def test_html_puts_errors_first_and_keeps_digests_on_one_line() -> None:
    from flowctl.plans.drift import Finding, FindingKind

    digest = "sha256:" + "ab" * 32
    findings = (
        Finding(FindingKind.REGISTERED_OUTSIDE_APPLY, "ads/dev/task/a.t@hotfix", None,
                {"digest": digest, "version": "hotfix"}, "by hand", "warning", "ads", "dev"),
        Finding(FindingKind.REGISTERED_OUTSIDE_APPLY, "ml/dev/launch_plan/a@x", None, {"version": "x"},
                "by hand", "warning", "ml", "dev"),
        Finding(FindingKind.ACTIVATION_CHANGED, "ml/dev/launch_plan/z", {"active_version": "v1"},
                {"active_version": "v0"}, "switched", "error", "ml", "dev"),
    )
    report = replace(clean_report(), findings=findings)
    parser = _Collect()
    parser.feed(render_html(report))
    rows = [a["data-severity"] for t, a in parser.tags if t == "tr" and a.get("class") == "finding"]
    assert rows == ["error", "warning", "warning"]  # ml/dev (has an error) first, its error before its warning
    cells = [a.get("class") for t, a in parser.tags if t == "td" and "value" in (a.get("class") or "")]
    assert "value digest" in cells
    assert digest in render_html(report)
