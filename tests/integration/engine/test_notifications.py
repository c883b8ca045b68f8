"""Notifications against a real SMTP server (aiosmtpd) and HTTP receivers on 127.0.0.1."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from engine_support import DOMAIN, PROJECT, flows, register, run_until_done

from flowctl import Email, LaunchPlan, Slack, Webhook
from flowctl._blobstore import BlobStore
from flowctl.engine import EngineContext, EngineOptions, launch
from flowctl.engine._notify import Notifier
from flowctl.providers.testing import FakeProvider
from flowctl.state._executions import open_execution_store


class Receiver:
    """An HTTP server that records JSON bodies; ``fail_first`` requests get a 500."""

    def __init__(self, fail_first: int = 0) -> None:
        self.bodies: list[tuple[str, Any]] = []
        self.fail_first = fail_first
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if outer.fail_first > 0:
                    outer.fail_first -= 1
                    self.send_response(500)
                else:
                    outer.bodies.append((self.path, body))
                    self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                return None

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    from aiosmtpd.controller import Controller as SmtpController
    from aiosmtpd.handlers import Message

    received: list[Any] = []

    class Collect(Message):  # type: ignore[misc]
        def handle_message(self, message: Any) -> None:
            received.append(message)

    with socket.socket() as probe:  # aiosmtpd cannot start on port 0: pick a free port first
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = SmtpController(Collect(), hostname="127.0.0.1", port=port)
    server.start()
    monkeypatch.setenv("FLOWCTL_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("FLOWCTL_SMTP_PORT", str(port))
    monkeypatch.setenv("FLOWCTL_SMTP_FROM", "flowctl@example.com")
    yield received
    server.stop()


def test_email_slack_webhook_on_terminal_phases(sqlite_url: str, tmp_path: Path, smtp: list[Any]) -> None:
    hooks, flaky_hook = Receiver(), Receiver(fail_first=2)
    try:
        lp = LaunchPlan.get_or_create(flows.chain, name="notified", notifications=[
            Email(phases=["succeeded", "failed"], recipients_email=["ops@example.com"]),
            Slack(phases=["succeeded"], url=hooks.url + "/slack"),
            Webhook(phases=["failed"], url=hooks.url + "/never"),
            Webhook(phases=["succeeded"], url=flaky_hook.url + "/generic"),
        ])
        register(sqlite_url, [lp], bundle_uri=None)
        ctx = EngineContext(open_execution_store(sqlite_url), FakeProvider(lambda r: {"o0": 3}),
                            BlobStore(str(tmp_path / "b")), options=EngineOptions(notify_backoff=0.01))
        execution = launch(ctx.store, PROJECT, DOMAIN, "notified", {"a": 1, "b": 2})
        assert run_until_done(ctx, execution.id).phase == "succeeded"
        notifier = Notifier(ctx)
        end = time.monotonic() + 10
        while time.monotonic() < end and not flaky_hook.bodies:
            notifier.tick(datetime.now(UTC) + timedelta(seconds=120))  # past the retry hold
            time.sleep(0.05)
        (mail,) = smtp
        assert mail["To"] == "ops@example.com" and "succeeded" in mail["Subject"]
        assert [path for path, _ in hooks.bodies] == ["/slack"] and "succeeded" in hooks.bodies[0][1]["text"]
        (_path, body), = flaky_hook.bodies
        assert body["format_version"] == "1" and body["event"] == "execution.succeeded"
        assert body["execution"]["name"] == execution.name and body["execution"]["phase"] == "succeeded"
        rows = ctx.store.notifications(execution.id)
        assert all(r["delivered_at"] for r in rows)
        assert max(r["attempts"] for r in rows) == 3  # the generic webhook failed twice, then got through
    finally:
        hooks.close()
        flaky_hook.close()


def test_unreachable_target_never_fails_the_execution(sqlite_url: str, tmp_path: Path) -> None:
    lp = LaunchPlan.get_or_create(flows.chain, name="unreachable",
                                  notifications=[Webhook(phases=["succeeded"], url="http://127.0.0.1:9/x")])
    register(sqlite_url, [lp], bundle_uri=None)
    ctx = EngineContext(open_execution_store(sqlite_url), FakeProvider(lambda r: {"o0": 1}),
                        BlobStore(str(tmp_path / "b")), options=EngineOptions(notify_max_attempts=2))
    execution = launch(ctx.store, PROJECT, DOMAIN, "unreachable", {"a": 1, "b": 2})
    assert run_until_done(ctx, execution.id).phase == "succeeded"
    notifier = Notifier(ctx)
    for i in range(3):
        notifier.tick(datetime.now(UTC) + timedelta(hours=i + 1))
    (row,) = ctx.store.notifications(execution.id)
    assert row["delivered_at"] is None and row["attempts"] == 2 and row["next_attempt_at"] is None
    assert "URLError" in row["last_error"] or "Connection" in row["last_error"]
    assert ctx.store.get_execution(execution.id).phase == "succeeded"  # type: ignore[union-attr]
