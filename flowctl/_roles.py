"""Roles and actions of access control, and how a subject's role bindings combine (standard library only).

Actions: ``read`` (specs, executions, logs, history), ``operate`` (launch, abort, relaunch, recover,
signals), ``deploy`` (plan/apply/promote, activation, registry writes, the apply lock), ``admin``
(tokens, role bindings, lock break, the audit log). Roles nest: viewer ⊂ operator ⊂ deployer ⊂ admin.

A binding gives a role on every project (``project`` None), on one project (``domain`` None) or on
one project/domain. For one place, each subject's **most specific** binding counts (so a team that
deploys to a project can be only a viewer in its ``production`` domain); an identity with several
subjects (a token, a person and their groups) gets the highest of those.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from flowctl._errors import InputError

ACTIONS = ("read", "operate", "deploy", "admin")
ROLES = ("viewer", "operator", "deployer", "admin")  # role i allows actions[: i + 1]
SUBJECT_KINDS = ("token", "user", "group")


@dataclass(frozen=True)
class Binding:
    subject: str  # "token:NAME", "user:SUBJECT" or "group:NAME"
    role: str
    project: str | None = None
    domain: str | None = None

    @property
    def scope(self) -> str:
        return "/".join(p for p in (self.project, self.domain) if p) or "*"

    def covers(self, project: str | None, domain: str | None) -> bool:
        """True when the binding applies at ``project``/``domain`` (None: the whole project, or all)."""
        if self.project is None:
            return True
        if project != self.project:
            return False
        return self.domain is None or self.domain == domain

    def specificity(self) -> int:
        return 0 if self.project is None else 1 if self.domain is None else 2


def check_role(role: str) -> str:
    if role not in ROLES:
        raise InputError(f"Unknown role `{role}`", detail=f"Use one of: {', '.join(ROLES)} "
                         "(viewer reads, operator also launches and aborts, deployer also applies, admin all).")
    return role


def check_subject(subject: str) -> str:
    kind, sep, name = subject.partition(":")
    if not sep or kind not in SUBJECT_KINDS or not name:
        raise InputError(f"Invalid subject `{subject}`",
                         detail="Write token:NAME, user:SUBJECT (an OIDC `sub` or e-mail) or group:NAME.")
    return subject


def allows(role: str, action: str) -> bool:
    return ROLES.index(role) >= ACTIONS.index(action)


def least_role(action: str) -> str:
    """The smallest role that allows ``action``."""
    return ROLES[ACTIONS.index(action)]


def role_at(bindings: Iterable[Binding], project: str | None, domain: str | None) -> str | None:
    """The role the bindings give at ``project``/``domain`` (None: none applies).

    ``domain`` None asks about the whole project: domain bindings do not count there."""
    best_by_subject: dict[str, tuple[int, int]] = {}  # subject -> (specificity, role index)
    for b in bindings:
        if not b.covers(project, domain):
            continue
        key = (b.specificity(), ROLES.index(b.role))
        current = best_by_subject.get(b.subject)
        if current is None or key[0] > current[0] or (key[0] == current[0] and key[1] > current[1]):
            best_by_subject[b.subject] = key
    if not best_by_subject:
        return None
    return ROLES[max(index for _, index in best_by_subject.values())]


def role_anywhere_in(bindings: Iterable[Binding], project: str | None) -> str | None:
    """The highest role the bindings give anywhere inside ``project`` (None: anywhere at all).

    What a listing needs: it is allowed when some part is visible, and shows only those parts."""
    found = [b for b in bindings if project is None or b.project in (None, project)]
    return ROLES[max(ROLES.index(b.role) for b in found)] if found else None
