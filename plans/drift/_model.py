"""The drift report as data: findings, acceptances, pending changes, and its JSON form.

A :class:`DriftReport` is what ``flowctl drift`` computes; every renderer (text, markdown, HTML)
consumes it, and ``--format json`` is exactly :meth:`DriftReport.to_json`, so the views cannot
disagree. :meth:`DriftReport.from_json` reads the document back (a saved report re-renders).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Literal

FORMAT_VERSION = "1"

Severity = Literal["error", "warning"]


class FindingKind(StrEnum):
    """What kind of out-of-band change a finding is. Values are part of the JSON schema."""

    REGISTERED_OUTSIDE_APPLY = "registered_outside_apply"
    ENTITY_CHANGED = "entity_changed"
    ENTITY_MISSING = "entity_missing"
    ACTIVATION_CHANGED = "activation_changed"
    ORPHANED_SCHEDULE = "orphaned_schedule"
    PROJECT_CHANGED = "project_changed"
    DOMAIN_SETTINGS_CHANGED = "domain_settings_changed"
    SCHEDULE_NOT_FIRED = "schedule_not_fired"
    CLUSTER_OBJECT_MISSING = "cluster_object_missing"
    CLUSTER_OBJECT_CHANGED = "cluster_object_changed"
    CLUSTER_OBJECT_EXTRA = "cluster_object_extra"
    ORPHANED_JOB = "orphaned_job"

    def __str__(self) -> str:
        return self.value

    @property
    def summary(self) -> str:
        return _TITLES[self]

    @property
    def symbol(self) -> str:
        return _SYMBOLS[self]


_TITLES = {
    FindingKind.REGISTERED_OUTSIDE_APPLY: "registered outside an apply",
    FindingKind.ENTITY_CHANGED: "stored spec changed since the last apply",
    FindingKind.ENTITY_MISSING: "applied version missing from the registry",
    FindingKind.ACTIVATION_CHANGED: "activation changed by hand",
    FindingKind.ORPHANED_SCHEDULE: "orphaned active schedule",
    FindingKind.PROJECT_CHANGED: "project changed",
    FindingKind.DOMAIN_SETTINGS_CHANGED: "project/domain settings changed",
    FindingKind.SCHEDULE_NOT_FIRED: "schedule did not fire",
    FindingKind.CLUSTER_OBJECT_MISSING: "cluster object missing",
    FindingKind.CLUSTER_OBJECT_CHANGED: "cluster object changed",
    FindingKind.CLUSTER_OBJECT_EXTRA: "cluster object not managed by an apply",
    FindingKind.ORPHANED_JOB: "job with no live attempt",
}

# Terraform-like: + exists but should not, - should exist but does not, ~ differs, ! did not happen.
_SYMBOLS = {
    FindingKind.REGISTERED_OUTSIDE_APPLY: "+",
    FindingKind.ENTITY_CHANGED: "~",
    FindingKind.ENTITY_MISSING: "-",
    FindingKind.ACTIVATION_CHANGED: "~",
    FindingKind.ORPHANED_SCHEDULE: "+",
    FindingKind.PROJECT_CHANGED: "~",
    FindingKind.DOMAIN_SETTINGS_CHANGED: "~",
    FindingKind.SCHEDULE_NOT_FIRED: "!",
    FindingKind.CLUSTER_OBJECT_MISSING: "-",
    FindingKind.CLUSTER_OBJECT_CHANGED: "~",
    FindingKind.CLUSTER_OBJECT_EXTRA: "+",
    FindingKind.ORPHANED_JOB: "+",
}

SYMBOL_LEGEND = {
    "+": "exists but no apply made it",
    "-": "an apply made it but it is gone",
    "~": "changed since the last apply",
    "!": "should have happened and did not",
}


@dataclass(frozen=True)
class Finding:
    """One difference between the world and what the last apply left.

    ``before`` is what the last apply left (or expected), ``after`` what the world has now; both
    are JSON values (for changed objects: only the fields that differ). ``project``/``domain``
    group the finding in reports; ``domain`` is None for project-level findings.
    """

    kind: FindingKind
    address: str
    before: Any
    after: Any
    detail: str
    severity: Severity
    project: str
    domain: str | None = None
    remedy: str = ""  # what `flowctl apply` does about it: read from the plan, never guessed

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "title": self.kind.summary,
            "address": self.address,
            "project": self.project,
            "domain": self.domain,
            "severity": self.severity,
            "detail": self.detail,
            "remedy": self.remedy,
            "before": self.before,
            "after": self.after,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Finding:
        return cls(
            kind=FindingKind(data["kind"]),
            address=data["address"],
            before=data["before"],
            after=data["after"],
            detail=data["detail"],
            severity=data["severity"],
            project=data["project"],
            domain=data["domain"],
            remedy=data.get("remedy", ""),
        )


@dataclass(frozen=True)
class Acceptance:
    """An entry of an ``--accept`` file: known drift at ``address`` is accepted until ``expires``.

    ``address`` is an exact finding address, a prefix of one (``proj/dev`` covers everything in
    it; a version-less entity address covers every version) or a glob (``proj/*/launch_plan/*``).
    ``kind`` optionally narrows the entry to one finding kind.
    """

    address: str
    reason: str
    owner: str
    expires: date
    kind: FindingKind | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "reason": self.reason,
            "owner": self.owner,
            "expires": self.expires.isoformat(),
            "kind": self.kind.value if self.kind else None,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Acceptance:
        kind = data.get("kind")
        return cls(
            address=data["address"],
            reason=data["reason"],
            owner=data["owner"],
            expires=date.fromisoformat(data["expires"]),
            kind=FindingKind(kind) if kind else None,
        )


@dataclass(frozen=True)
class AcceptedFinding:
    finding: Finding
    acceptance: Acceptance

    def to_json(self) -> dict[str, Any]:
        return {**self.finding.to_json(), "acceptance": self.acceptance.to_json()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AcceptedFinding:
        return cls(Finding.from_json(data), Acceptance.from_json(data["acceptance"]))


@dataclass(frozen=True)
class PendingChange:
    address: str
    action: str  # the plan's action name, e.g. "register", "change"
    reason: str = ""


@dataclass(frozen=True)
class PendingChanges:
    """Manifest changes not applied yet: not drift, summarised from the plan (``compute_plan``).

    ``available`` False means no manifest was loaded; ``note`` says why.
    """

    available: bool
    summary: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    changes: tuple[PendingChange, ...] = ()
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "available": self.available,
            "summary": self.summary,
            "counts": dict(sorted(self.counts.items())),
            "changes": [{"address": c.address, "action": c.action, "reason": c.reason} for c in self.changes],
            "note": self.note,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PendingChanges:
        return cls(
            available=data["available"],
            summary=data["summary"],
            counts=dict(data["counts"]),
            changes=tuple(PendingChange(c["address"], c["action"], c["reason"]) for c in data["changes"]),
            note=data["note"],
        )


@dataclass(frozen=True)
class LastApply:
    """The history entry drift compares against."""

    serial: int
    applied_at: datetime
    user: str
    operation: str
    manifest_id: str

    def to_json(self) -> dict[str, Any]:
        return {
            "serial": self.serial,
            "applied_at": _iso(self.applied_at),
            "user": self.user,
            "operation": self.operation,
            "manifest_id": self.manifest_id,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LastApply:
        return cls(
            serial=data["serial"],
            applied_at=datetime.fromisoformat(data["applied_at"]),
            user=data["user"],
            operation=data["operation"],
            manifest_id=data["manifest_id"],
        )


@dataclass(frozen=True)
class Group:
    """The findings of one project/domain (``domain`` None: project-level)."""

    project: str
    domain: str | None
    findings: tuple[Finding, ...]

    @property
    def label(self) -> str:
        return self.project if self.domain is None else f"{self.project}/{self.domain}"


@dataclass(frozen=True)
class DriftReport:
    """Everything ``flowctl drift`` reports. ``findings`` excludes accepted ones."""

    generated_at: datetime
    registry_lineage: str
    registry_serial: int
    last_apply: LastApply | None
    managed_projects: tuple[str, ...]
    findings: tuple[Finding, ...] = ()
    accepted: tuple[AcceptedFinding, ...] = ()
    expired_acceptances: tuple[Acceptance, ...] = ()
    pending_changes: PendingChanges = PendingChanges(available=False)
    cluster_checked: bool = False
    notes: tuple[str, ...] = ()
    format_version: str = FORMAT_VERSION

    @property
    def has_drift(self) -> bool:
        return bool(self.findings)

    def groups(self) -> list[Group]:
        """Findings per project/domain, sorted; project-level findings first in their project."""
        by_key: dict[tuple[str, str], list[Finding]] = {}
        for finding in self.findings:
            by_key.setdefault((finding.project, finding.domain or ""), []).append(finding)
        return [Group(p, d or None, tuple(fs)) for (p, d), fs in sorted(by_key.items())]

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for finding in self.findings:
            counts[finding.kind.value] = counts.get(finding.kind.value, 0) + 1
        return dict(sorted(counts.items()))

    def summary_line(self) -> str:
        """``Drift: 3 findings in 2 project/domains (1 error, 2 warnings).`` or the no-drift line."""
        extra = f" {len(self.accepted)} accepted." if self.accepted else ""
        if not self.findings:
            if self.last_apply is None:
                return "No drift: no apply has been recorded in this registry yet." + extra
            return f"No drift. The world matches the last apply (serial {self.last_apply.serial})." + extra
        errors = sum(1 for f in self.findings if f.severity == "error")
        warnings = len(self.findings) - errors
        groups = len(self.groups())
        return (
            f"Drift: {_n(len(self.findings), 'finding')} in {_n(groups, 'project/domain')} "
            f"({_n(errors, 'error')}, {_n(warnings, 'warning')})." + extra
        )

    def with_findings(self, findings: tuple[Finding, ...]) -> DriftReport:
        return replace(self, findings=tuple(sorted(findings, key=finding_sort_key)))

    def to_json(self) -> dict[str, Any]:
        """The versioned document of ``flowctl drift --format json`` (schema in docs/drift.md)."""
        return {
            "format_version": self.format_version,
            "generated_at": _iso(self.generated_at),
            "drift": self.has_drift,
            "summary": self.summary_line(),
            "registry": {"lineage": self.registry_lineage, "serial": self.registry_serial},
            "last_apply": self.last_apply.to_json() if self.last_apply else None,
            "managed_projects": list(self.managed_projects),
            "cluster_checked": self.cluster_checked,
            "counts": self.counts(),
            "groups": [
                {"project": g.project, "domain": g.domain, "findings": [f.to_json() for f in g.findings]}
                for g in self.groups()
            ],
            "accepted": [a.to_json() for a in self.accepted],
            "expired_acceptances": [a.to_json() for a in self.expired_acceptances],
            "pending_changes": self.pending_changes.to_json(),
            "notes": list(self.notes),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DriftReport:
        if data.get("format_version") != FORMAT_VERSION:
            raise ValueError(f"unsupported drift report format_version {data.get('format_version')!r}")
        findings = [Finding.from_json(f) for g in data["groups"] for f in g["findings"]]
        return cls(
            generated_at=datetime.fromisoformat(data["generated_at"]),
            registry_lineage=data["registry"]["lineage"],
            registry_serial=data["registry"]["serial"],
            last_apply=LastApply.from_json(data["last_apply"]) if data["last_apply"] else None,
            managed_projects=tuple(data["managed_projects"]),
            findings=tuple(sorted(findings, key=finding_sort_key)),
            accepted=tuple(AcceptedFinding.from_json(a) for a in data["accepted"]),
            expired_acceptances=tuple(Acceptance.from_json(a) for a in data["expired_acceptances"]),
            pending_changes=PendingChanges.from_json(data["pending_changes"]),
            cluster_checked=data["cluster_checked"],
            notes=tuple(data["notes"]),
        )

    def symbols_used(self) -> Iterator[tuple[str, str]]:
        used = {f.kind.symbol for f in self.findings}
        return ((s, text) for s, text in SYMBOL_LEGEND.items() if s in used)


def finding_sort_key(finding: Finding) -> tuple[str, str, str, str]:
    return (finding.project, finding.domain or "", finding.address, finding.kind.value)


def _iso(moment: datetime) -> str:
    return moment.isoformat()


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
