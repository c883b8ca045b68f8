"""Notifications on terminal phases of an execution: ``Email``, ``Slack``, ``Webhook``."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, Literal

from flowctl._errors import ManifestError
from flowctl.sdk._source import frame_location
from flowctl.spec import NotificationSpec

PHASES = ("succeeded", "failed", "timed_out", "aborted")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _phases(phases: Sequence[str], problems: list[str]) -> tuple[str, ...]:
    if isinstance(phases, str):
        phases = [phases]
    found = []
    for phase in phases:
        key = str(getattr(phase, "value", phase)).lower()  # WorkflowExecutionPhase.FAILED or "failed"
        if key in ("queued", "running"):
            problems.append(f"{phase!r} is not a terminal phase; notifications fire on {', '.join(PHASES)}")
        elif key not in PHASES:
            problems.append(f"unknown phase {phase!r} (phases: {', '.join(PHASES)})")
        else:
            found.append(key)
    if not found and not problems:
        problems.append("no phases given")
    return tuple(dict.fromkeys(found))


def _raise(kind: str, problems: list[str]) -> None:
    if problems:
        raise ManifestError(f"Invalid {kind} notification: {'; '.join(problems)}", source=frame_location(3))


def _url(url: str, problems: list[str]) -> None:
    if not isinstance(url, str) or not re.match(r"^https?://[^\s/]+", url):
        problems.append(f"the URL must start with http:// or https://, got {url!r}")


@dataclass(frozen=True)
class Email:
    """Email ``recipients_email`` when an execution reaches one of ``phases``."""

    phases: Sequence[str]
    recipients_email: Sequence[str]

    def __post_init__(self) -> None:
        problems: list[str] = []
        object.__setattr__(self, "phases", _phases(self.phases, problems))
        recipients = [self.recipients_email] if isinstance(self.recipients_email, str) else list(self.recipients_email)
        problems += [f"{r!r} is not an email address" for r in recipients if not _EMAIL.match(str(r))]
        if not recipients:
            problems.append("no recipients")
        object.__setattr__(self, "recipients_email", tuple(recipients))
        _raise("Email", problems)

    def to_spec(self) -> NotificationSpec:
        return NotificationSpec(kind="email", phases=tuple(self.phases), recipients=tuple(self.recipients_email))


@dataclass(frozen=True)
class _UrlNotification:
    """A notification POSTed to ``url`` when an execution reaches one of ``phases``."""

    phases: Sequence[str]
    url: str
    _kind: ClassVar[Literal["slack", "webhook"]]

    def __post_init__(self) -> None:
        problems: list[str] = []
        object.__setattr__(self, "phases", _phases(self.phases, problems))
        _url(self.url, problems)
        _raise(type(self).__name__, problems)

    def to_spec(self) -> NotificationSpec:
        return NotificationSpec(kind=self._kind, phases=tuple(self.phases), url=self.url)


@dataclass(frozen=True)
class Slack(_UrlNotification):
    """Post to a Slack incoming-webhook ``url`` when an execution reaches one of ``phases``."""

    _kind = "slack"


@dataclass(frozen=True)
class Webhook(_UrlNotification):
    """POST a JSON document to ``url`` when an execution reaches one of ``phases``."""

    _kind = "webhook"


Notification = Email | Slack | Webhook
