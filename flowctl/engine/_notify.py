"""Notifications on terminal phases: email (SMTP), Slack-compatible webhooks, generic webhooks.

When an execution finishes, the controller writes one outbox row per matching target (launch plan
notifications plus the project/domain's) in the same transaction as the terminal phase. Senders
claim due rows, deliver, and retry failures with exponential backoff; a failing target is logged
and never changes the execution.

Generic webhook body (``POST``, ``Content-Type: application/json``), format version 1::

    {"format_version": "1", "event": "execution.failed",
     "execution": {"id", "project", "domain", "name", "phase", "launch_plan": {"name", "version"},
                   "workflow": {"name", "version"}, "created_at", "started_at", "finished_at",
                   "scheduled_at", "duration_seconds", "parent_execution_id",
                   "error": {"kind", "code", "message"} | null}}

Slack targets get ``{"text": "..."}``. SMTP settings come from ``FLOWCTL_SMTP_HOST`` (localhost),
``FLOWCTL_SMTP_PORT`` (25), ``FLOWCTL_SMTP_FROM``, ``FLOWCTL_SMTP_USER``/``FLOWCTL_SMTP_PASSWORD``
and ``FLOWCTL_SMTP_STARTTLS=1``.
"""

from __future__ import annotations

import json
import logging
import os
import smtplib
import socket
import urllib.error
import urllib.request
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import TYPE_CHECKING

from flowctl.spec import Json, NotificationSpec
from flowctl.state._executions import ExecutionRecord, OutboxRecord

if TYPE_CHECKING:
    from flowctl.engine._context import EngineContext

log = logging.getLogger("flowctl.notify")
FORMAT_VERSION = "1"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def payload_for(execution: ExecutionRecord) -> dict[str, Json]:
    error = execution.error or None
    duration = (
        (execution.finished_at - execution.started_at).total_seconds()
        if execution.finished_at and execution.started_at else None
    )
    return {
        "format_version": FORMAT_VERSION,
        "event": f"execution.{execution.phase}",
        "execution": {
            "id": execution.id, "project": execution.project, "domain": execution.domain, "name": execution.name,
            "phase": execution.phase,
            "launch_plan": {"name": execution.launch_plan_name, "version": execution.launch_plan_version},
            "workflow": {"name": execution.workflow_name, "version": execution.workflow_version},
            "created_at": _iso(execution.created_at), "started_at": _iso(execution.started_at),
            "finished_at": _iso(execution.finished_at), "scheduled_at": _iso(execution.scheduled_at),
            "duration_seconds": duration, "parent_execution_id": execution.parent_execution_id,
            "error": {k: error.get(k) for k in ("kind", "code", "message")} if error else None,
        },
    }


def notifications_for(
    ctx: EngineContext, execution: ExecutionRecord, settings: dict[str, Json] | None = None
) -> list[tuple[dict[str, Json], dict[str, Json]]]:
    """(target, payload) for every notification of the launch plan and project/domain on this phase."""
    specs: list[NotificationSpec] = []
    try:
        lp, _ = ctx.specs.launch_plan(execution.project, execution.domain, execution.launch_plan_name,
                                      execution.launch_plan_version)
        specs.extend(lp.notifications)
    except Exception:
        log.warning("no launch plan spec for notifications of %s", execution.name)
    if settings is None:
        settings = ctx.domain_settings(execution.project, execution.domain)
    for raw in settings.get("notifications") or []:
        specs.append(NotificationSpec.model_validate(raw))
    payload = payload_for(execution)
    return [(spec.to_json(), payload) for spec in specs if execution.phase in spec.phases]


def summary_line(payload: dict[str, Json]) -> str:
    x = payload["execution"]
    line = f"flowctl: execution {x['project']}/{x['domain']}/{x['name']} ({x['launch_plan']['name']}) {x['phase']}"
    if x.get("error"):
        line += f": {x['error'].get('message', '')}"
    return line


def deliver(target: dict[str, Json], payload: dict[str, Json], *, timeout: float = 10.0) -> None:
    """Send one notification; raises OSError / ValueError / smtplib errors on failure."""
    kind = target.get("kind")
    if kind == "email":
        _send_email(list(target.get("recipients") or []), payload, timeout)
    elif kind == "slack":
        _post(str(target["url"]), {"text": summary_line(payload)}, timeout)
    elif kind == "webhook":
        _post(str(target["url"]), payload, timeout)
    else:
        raise ValueError(f"unknown notification kind {kind!r}")


def _post(url: str, body: Json, timeout: float) -> None:
    data = json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method="POST",
                                     headers={"Content-Type": "application/json", "User-Agent": "flowctl"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        if not 200 <= response.status < 300:
            raise OSError(f"HTTP {response.status} from {url}")


def _send_email(recipients: list[str], payload: dict[str, Json], timeout: float) -> None:
    message = EmailMessage()
    message["Subject"] = summary_line(payload)[:200]
    message["From"] = os.environ.get("FLOWCTL_SMTP_FROM") or f"flowctl@{socket.gethostname()}"
    message["To"] = ", ".join(recipients)
    message.set_content(summary_line(payload) + "\n\n" + json.dumps(payload, indent=2) + "\n")
    host = os.environ.get("FLOWCTL_SMTP_HOST", "localhost")
    port = int(os.environ.get("FLOWCTL_SMTP_PORT", "25"))
    with smtplib.SMTP(host, port, timeout=timeout) as smtp:
        if os.environ.get("FLOWCTL_SMTP_STARTTLS") == "1":
            smtp.starttls()
        user = os.environ.get("FLOWCTL_SMTP_USER")
        if user:
            smtp.login(user, os.environ.get("FLOWCTL_SMTP_PASSWORD", ""))
        smtp.send_message(message)


class Notifier:
    """Delivers due outbox rows; failures are retried with backoff, then given up (and logged)."""

    def __init__(self, ctx: EngineContext) -> None:
        self.ctx = ctx

    def tick(self, now: datetime) -> int:
        options = self.ctx.options
        due = self.ctx.store.claim_notifications(now=now, limit=50, hold_seconds=60)
        for item in due:
            self._send(item, now, options.notify_max_attempts, options.notify_backoff)
        return len(due)

    def _send(self, item: OutboxRecord, now: datetime, max_attempts: int, backoff: float) -> None:
        try:
            deliver(item.target, item.payload)
        except (OSError, ValueError, KeyError, smtplib.SMTPException, urllib.error.URLError) as exc:
            retry_at = now + timedelta(seconds=backoff * 2 ** (item.attempts - 1)) if item.attempts < max_attempts else None
            log.warning("notification %s (%s) for execution %s failed (attempt %s): %s%s", item.id,
                        item.target.get("kind"), item.execution_id, item.attempts, exc,
                        "" if retry_at else "; giving up")
            self.ctx.store.notification_done(item.id, now=now, error=f"{type(exc).__name__}: {exc}", retry_at=retry_at)
            return
        self.ctx.store.notification_done(item.id, now=now, error=None, retry_at=None)
