"""Accepted drift: ``--accept FILE`` entries suppress known findings until they expire.

The file is YAML or JSON, either a list of entries or ``{"accept": [...]}``::

    accept:
      - address: ml/production/launch_plan/nightly
        kind: activation_changed        # optional: only this kind of finding
        reason: paused during the data migration (INC-123)
        owner: alice@example.com
        expires: 2026-12-31             # last day the entry suppresses the finding

An entry matches a finding with the same address, an address below it (``ml/production``
covers everything there; a version-less entity address covers every version), or a glob
(``ml/*/launch_plan/*``). After ``expires`` the entry no longer suppresses anything and is
reported as expired, so accepted drift cannot be forgotten.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from flowctl._errors import Diagnostic, InputError
from flowctl.plans.drift._model import Acceptance, AcceptedFinding, DriftReport, Finding, FindingKind

_FIELDS = ("address", "reason", "owner", "expires")


def load_acceptances(path: Path) -> list[Acceptance]:
    """Read and validate an accept file; every problem is reported at once (InputError)."""
    try:
        text = path.read_text()
    except OSError as exc:
        raise InputError(f"Cannot read the accept file {path}", detail=str(exc), source=str(path)) from None
    return parse_acceptances(text, source=str(path))


def parse_acceptances(text: str, *, source: str = "<accept file>") -> list[Acceptance]:
    data = _parse_document(text, source)
    entries = data.get("accept") if isinstance(data, dict) else data
    if entries is None:
        entries = []
    if not isinstance(entries, list):
        raise InputError(
            "The accept file must hold a list of entries",
            source=source,
            detail="Write a list, or a mapping with an `accept:` list, of entries with "
            "address, reason, owner and expires (YYYY-MM-DD).",
        )
    problems: list[Diagnostic] = []
    result: list[Acceptance] = []
    for index, entry in enumerate(entries, start=1):
        acceptance = _entry(entry, index, source, problems)
        if acceptance is not None:
            result.append(acceptance)
    if problems:
        raise InputError(diagnostics=problems)
    return result


def _parse_document(text: str, source: str) -> Any:
    """The one safe reader of user JSON/YAML: bad syntax, NaN or deep nesting are diagnostics."""
    from flowctl._jsontext import load_json_text, load_yaml_text

    if text.lstrip().startswith(("{", "[")):
        return load_json_text(text, where=f"The accept file {source}")
    return load_yaml_text(text, where=f"The accept file {source}")


def _entry(entry: Any, index: int, source: str, problems: list[Diagnostic]) -> Acceptance | None:
    where = f"{source} (entry {index})"
    if not isinstance(entry, dict):
        problems.append(Diagnostic("An accept entry must be a mapping", source=where))
        return None
    missing = [name for name in _FIELDS if not entry.get(name)]
    if missing:
        problems.append(
            Diagnostic(
                f"Accept entry {index} lacks {', '.join(missing)}",
                source=where,
                detail="Every entry needs address, reason, owner and expires (YYYY-MM-DD), "
                "so that accepted drift has an owner and an end.",
            )
        )
        return None
    expires = _date(entry["expires"])
    if expires is None:
        problems.append(
            Diagnostic(
                f"Invalid expiry date `{entry['expires']}` in accept entry {index}",
                source=where,
                detail="Write the date as YYYY-MM-DD, e.g. 2026-12-31.",
            )
        )
        return None
    kind: FindingKind | None = None
    if entry.get("kind"):
        try:
            kind = FindingKind(entry["kind"])
        except ValueError:
            names = ", ".join(k.value for k in FindingKind)
            problems.append(
                Diagnostic(
                    f"Unknown finding kind `{entry['kind']}` in accept entry {index}",
                    source=where,
                    detail=f"Known kinds: {names}.",
                )
            )
            return None
    return Acceptance(str(entry["address"]), str(entry["reason"]), str(entry["owner"]), expires, kind)


def _date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return datetime.fromisoformat(str(value)).date()  # YAML dates and datetimes arrive as ISO text
    except ValueError:
        return None


def matches(acceptance: Acceptance, finding: Finding) -> bool:
    if acceptance.kind is not None and acceptance.kind != finding.kind:
        return False
    pattern, address = acceptance.address, finding.address
    if any(ch in pattern for ch in "*?["):
        return fnmatchcase(address, pattern) or fnmatchcase(address.split("@", 1)[0], pattern)
    return address == pattern or address.startswith((pattern + "/", pattern + "@"))


def apply_acceptances(report: DriftReport, acceptances: list[Acceptance], *, today: date) -> DriftReport:
    """Move findings matched by a live acceptance to ``accepted``; list the expired entries."""
    live = [a for a in acceptances if a.expires >= today]
    expired = tuple(a for a in acceptances if a.expires < today)
    remaining: list[Finding] = []
    accepted: list[AcceptedFinding] = list(report.accepted)
    for finding in report.findings:
        match = next((a for a in live if matches(a, finding)), None)
        if match is None:
            remaining.append(finding)
        else:
            accepted.append(AcceptedFinding(finding, match))
    return replace(
        report,
        findings=tuple(remaining),
        accepted=tuple(accepted),
        expired_acceptances=report.expired_acceptances + expired,
    )
