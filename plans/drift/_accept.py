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

import difflib
from dataclasses import replace
from datetime import date, datetime
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

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


class _Entry(BaseModel):
    """One accept entry as the file spells it (pydantic: every problem of an entry at once)."""

    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True, str_strip_whitespace=True)

    address: str = Field(min_length=1)
    reason: str = Field(min_length=1)
    owner: str = Field(min_length=1)
    expires: date
    kind: FindingKind | None = None

    @field_validator("expires", mode="before")
    @classmethod
    def _day(cls, value: Any) -> Any:
        """A datetime (YAML timestamp or ISO text with a time) counts by its day."""
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, str):
            try:
                return datetime.fromisoformat(value).date()
            except ValueError:
                return value
        return value

    @field_validator("kind", mode="before")
    @classmethod
    def _no_kind(cls, value: Any) -> Any:
        return None if value in ("", None) else value


def _entry(entry: Any, index: int, source: str, problems: list[Diagnostic]) -> Acceptance | None:
    where = f"{source} (entry {index})"
    if not isinstance(entry, dict):
        problems.append(Diagnostic("An accept entry must be a mapping", source=where,
                                   detail="Write address, reason, owner and expires (YYYY-MM-DD) as keys."))
        return None
    try:
        parsed = _Entry.model_validate(entry)
    except ValidationError as exc:
        problems.extend(_entry_problems(exc, entry, index, where))
        return None
    return Acceptance(parsed.address, parsed.reason, parsed.owner, parsed.expires, parsed.kind)


def _entry_problems(exc: ValidationError, entry: dict[str, Any], index: int, where: str) -> list[Diagnostic]:
    """One diagnostic per problem, naming the file, the entry and the field (``field expires``)."""
    problems: list[Diagnostic] = []
    missing: list[str] = []
    for error in exc.errors():
        field = ".".join(str(p) for p in error["loc"])
        at = f"{where}, field {field}"
        if error["type"] in ("missing", "string_too_short"):
            missing.append(field)
        elif field == "expires":
            problems.append(Diagnostic(f"Invalid expiry date `{entry.get('expires')}` in accept entry {index}",
                                       source=at, detail="Write the date as YYYY-MM-DD, e.g. 2026-12-31."))
        elif field == "kind":
            names = ", ".join(k.value for k in FindingKind)
            problems.append(Diagnostic(f"Unknown finding kind `{entry.get('kind')}` in accept entry {index}",
                                       source=at, detail=f"Known kinds: {names}."))
        elif error["type"] == "extra_forbidden":
            nearest = difflib.get_close_matches(field, list(_Entry.model_fields), n=1)
            hint = f"Did you mean `{nearest[0]}`? " if nearest else ""
            problems.append(Diagnostic(f"Unknown field `{field}` in accept entry {index}", source=at,
                                       detail=f"{hint}An entry has address, reason, owner, expires and "
                                       "optionally kind."))
        else:
            problems.append(Diagnostic(f"Invalid `{field}` in accept entry {index}: {error['msg']}", source=at))
    if missing:
        ordered = [name for name in _FIELDS if name in missing]
        problems.insert(0, Diagnostic(
            f"Accept entry {index} lacks {', '.join(ordered)}",
            source=f"{where}, field {ordered[0]}",
            detail="Every entry needs address, reason, owner and expires (YYYY-MM-DD), "
            "so that accepted drift has an owner and an end.",
        ))
    return problems


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
