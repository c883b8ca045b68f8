"""Credentials never reach output: one helper masks them in URLs and in any text that holds URLs.

``postgresql://user:secret@host/db`` becomes ``postgresql://user:***@host/db``, and secret-looking
query parameters (``?password=...``, ``&token=...``) become ``***``. Every place that shows a URL
uses it: diagnostics (``Diagnostic.render``), log records (:class:`RedactingFilter`, installed by
the commands that log), and the lines commands print. Standard library only.
"""

from __future__ import annotations

import logging
import re

MASK = "***"
_USERINFO = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^\s:/@'\"]*:)[^\s@/?#'\"]+@")
_SECRET_QUERY = re.compile(
    r"(?P<head>[?&;](?:password|passwd|pwd|secret|token|access_token|api_key|apikey|key|"
    r"secret_access_key|access_key|sas_token|sig)=)[^&\s'\"]+",
    re.IGNORECASE,
)


def redact(text: str) -> str:
    """``text`` with the credentials of every URL in it masked."""
    if "://" not in text and "=" not in text:
        return text
    text = _USERINFO.sub(rf"\g<head>{MASK}@", text)
    return _SECRET_QUERY.sub(rf"\g<head>{MASK}", text)


def mask_url(url: str) -> str:
    """``postgresql://user:secret@host/db`` -> ``postgresql://user:***@host/db``."""
    return redact(url)


class RedactingFilter(logging.Filter):
    """Masks credentials in a log record's final message (and its exception text)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = redact(message)
        if masked != message:
            record.msg, record.args = masked, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def install_log_redaction(logger: logging.Logger | None = None) -> None:
    """Add :class:`RedactingFilter` to every handler of ``logger`` (the root logger by default)."""
    target = logger or logging.getLogger()
    for handler in target.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
