"""--accept files: parsing, matching, expiry."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from drift_specs import sample_report

from flowctl._errors import InputError
from flowctl.plans.drift import (
    Acceptance,
    FindingKind,
    apply_acceptances,
    load_acceptances,
    matches,
    parse_acceptances,
)

YAML = """
accept:
  - address: ml/production/launch_plan/nightly
    kind: activation_changed
    reason: paused during the migration (INC-123)
    owner: alice@example.com
    expires: 2026-12-31
  - address: ml/development/task/*
    reason: hotfixes under review
    owner: bob@example.com
    expires: "2026-11-01"
"""


def test_parse_yaml_and_json() -> None:
    entries = parse_acceptances(YAML)
    assert entries == [
        Acceptance(
            "ml/production/launch_plan/nightly",
            "paused during the migration (INC-123)",
            "alice@example.com",
            date(2026, 12, 31),
            FindingKind.ACTIVATION_CHANGED,
        ),
        Acceptance("ml/development/task/*", "hotfixes under review", "bob@example.com", date(2026, 11, 1)),
    ]
    as_json = '[{"address": "ml", "reason": "r", "owner": "o", "expires": "2027-01-01"}]'
    assert parse_acceptances(as_json) == [Acceptance("ml", "r", "o", date(2027, 1, 1))]
    assert parse_acceptances("") == []


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    path = tmp_path / "accept.yaml"
    path.write_text("""
- address: ml
  reason: r
- address: ml
  reason: r
  owner: o
  expires: next week
- address: ml
  reason: r
  owner: o
  expires: 2026-01-01
  kind: gremlins
- just text
""")
    with pytest.raises(InputError) as info:
        load_acceptances(path)
    summaries = [d.summary for d in info.value.diagnostics]
    assert summaries == [
        "Accept entry 1 lacks owner, expires",
        "Invalid expiry date `next week` in accept entry 2",
        "Unknown finding kind `gremlins` in accept entry 3",
        "An accept entry must be a mapping",
    ]
    assert all(str(path) in d.source for d in info.value.diagnostics)


@pytest.mark.parametrize("text", ["{not json", "a: [b", "accept: 3"])
def test_malformed_files(text: str) -> None:
    with pytest.raises(InputError):
        parse_acceptances(text)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="Cannot read the accept file"):
        load_acceptances(tmp_path / "nope.yaml")


@pytest.mark.parametrize(
    ("pattern", "address", "expected"),
    [
        ("ml/production/launch_plan/nightly", "ml/production/launch_plan/nightly", True),
        ("ml/production", "ml/production/launch_plan/nightly", True),
        ("ml", "ml/production", True),
        ("ml/development/task/etl.load", "ml/development/task/etl.load@hotfix", True),
        ("ml/development/task/etl", "ml/development/task/etl.load@hotfix", False),
        ("ml/prod", "ml/production", False),
        ("ml/*/launch_plan/*", "ml/production/launch_plan/nightly", True),
        ("ml/*/task/*", "ml/production/launch_plan/nightly", False),
    ],
)
def test_matching(pattern: str, address: str, expected: bool) -> None:
    finding = next(iter(sample_report().findings))
    finding = type(finding)(finding.kind, address, None, None, "", "error", "ml")
    assert matches(Acceptance(pattern, "r", "o", date(2030, 1, 1)), finding) is expected


def test_kind_narrows_an_entry() -> None:
    report = sample_report()
    acc = Acceptance("ml/production", "r", "o", date(2030, 1, 1), FindingKind.ACTIVATION_CHANGED)
    after = apply_acceptances(report, [acc], today=date(2026, 11, 23))
    assert [a.finding.kind for a in after.accepted[1:]] == [FindingKind.ACTIVATION_CHANGED]
    assert len(after.findings) == len(report.findings) - 1


def test_expiry_is_inclusive_then_reported() -> None:
    report = sample_report()
    acc = Acceptance("ml", "everything, for now", "o", date(2026, 11, 23))
    on_the_day = apply_acceptances(report, [acc], today=date(2026, 11, 23))
    assert on_the_day.findings == () and not on_the_day.has_drift
    assert len(on_the_day.accepted) == 6
    day_after = apply_acceptances(report, [acc], today=date(2026, 11, 24))
    assert day_after.findings == report.findings
    assert day_after.expired_acceptances[-1] == acc


def test_problems_name_the_file_entry_and_field_and_a_misspelt_field_gets_a_hint() -> None:
    text = """
- address: ml
  reason: r
  owner: o
  expiry: 2026-01-01
- address: ml
  reason: r
  owner: o
  expires: "2026-13-01"
"""
    with pytest.raises(InputError) as info:
        parse_acceptances(text, source="accept.yaml")
    problems = [(d.summary, d.source) for d in info.value.diagnostics]
    assert problems == [
        ("Accept entry 1 lacks expires", "accept.yaml (entry 1), field expires"),
        ("Unknown field `expiry` in accept entry 1", "accept.yaml (entry 1), field expiry"),
        ("Invalid expiry date `2026-13-01` in accept entry 2", "accept.yaml (entry 2), field expires"),
    ]
    assert info.value.diagnostics[1].detail.startswith("Did you mean `expires`?")


def test_yaml_timestamps_count_by_their_day() -> None:
    (entry,) = parse_acceptances("- {address: ml, reason: r, owner: 7, expires: 2026-12-31T23:00:00}")
    assert entry.expires == date(2026, 12, 31) and entry.owner == "7"


def test_an_impossible_yaml_date_is_an_input_error_not_a_crash() -> None:
    with pytest.raises(InputError, match=r"is not valid YAML: month must be in 1\.\.12"):
        parse_acceptances("- {address: ml, reason: r, owner: o, expires: 2026-13-01}", source="accept.yaml")
