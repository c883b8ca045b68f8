"""Log records never show a credential: a filter that masks the URLs in a record (``flowctl._redact``).

Kept apart from ``flowctl._redact`` so that importing an error (every attempt does) does not load
``logging``; the commands that log install it.
"""

from __future__ import annotations

import logging

from flowctl._redact import redact


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
