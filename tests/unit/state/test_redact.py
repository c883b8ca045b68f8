"""One helper masks credentials wherever a URL can appear: text, diagnostics, log records."""

from __future__ import annotations

import logging

import pytest

from flowctl._errors import StoreError
from flowctl._log_redaction import RedactingFilter
from flowctl._redact import mask_url, redact


@pytest.mark.parametrize(("text", "masked"), [
    ("postgresql://alice:s3cret@db/flowctl", "postgresql://alice:***@db/flowctl"),
    ("postgresql+psycopg://u:p%40ss@h:5432/d?options=x", "postgresql+psycopg://u:***@h:5432/d?options=x"),
    ("connect to redis://:tok@cache:6379/0 failed", "connect to redis://:***@cache:6379/0 failed"),
    ("a s3://bucket/x?secret_access_key=abc&region=eu b", "a s3://bucket/x?secret_access_key=***&region=eu b"),
    ("https://h/hook?token=t0k", "https://h/hook?token=***"),
    ("http://host:8080/path@v1 and mailto:x@y", "http://host:8080/path@v1 and mailto:x@y"),
    ("two: mysql://a:b@h/x, postgresql://c:d@h/y", "two: mysql://a:***@h/x, postgresql://c:***@h/y"),
    ("no url here", "no url here"),
])
def test_redact(text: str, masked: str) -> None:
    assert redact(text) == masked
    assert mask_url(text) == masked


def test_every_diagnostic_is_masked() -> None:
    error = StoreError("Cannot use postgresql://bob:hunter2@db/x", detail="parse error in 'postgresql://bob:hunter2@db/x'")
    assert "hunter2" not in error.render() and "hunter2" not in str(error)


def test_log_records_are_masked(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("flowctl.test.redact")
    handler = logging.Handler()
    seen: list[str] = []
    handler.emit = lambda record: seen.append(record.getMessage() + (record.exc_text or ""))  # type: ignore[method-assign]
    handler.addFilter(RedactingFilter())
    logger.addHandler(handler)
    try:
        logger.warning("registry %s is down", "postgresql://bob:hunter2@db/x")
        try:
            raise RuntimeError("cannot reach postgresql://bob:hunter2@db/x")
        except RuntimeError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    assert len(seen) == 2 and all("hunter2" not in line for line in seen)
    assert "postgresql://bob:***@db/x" in seen[0] and "RuntimeError" in seen[1]
