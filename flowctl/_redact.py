"""Credentials never reach output: one helper masks them in URLs and in any text that holds URLs.

``postgresql://user:secret@host/db`` becomes ``postgresql://user:***@host/db``, and secret-looking
query parameters (``?password=...``, ``&token=...``) become ``***``. Every place that shows a URL
uses it: diagnostics (``Diagnostic.render``), log records (``flowctl._log_redaction``, installed by
the commands that log), and the lines commands print. Standard library only, and no ``logging``:
every error imports this module, task attempts too, and they do not log.
"""

from __future__ import annotations

import functools
import re

MASK = "***"


@functools.cache
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """The user-info and secret-query patterns, compiled on first use (an attempt that fails nothing
    never renders a message)."""
    userinfo = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^\s:/@'\"]*:)[^\s@/?#'\"]+@")
    secret_query = re.compile(
        r"(?P<head>[?&;](?:password|passwd|pwd|secret|token|access_token|api_key|apikey|key|"
        r"secret_access_key|access_key|sas_token|sig)=)[^&\s'\"]+",
        re.IGNORECASE,
    )
    return userinfo, secret_query


def redact(text: str) -> str:
    """``text`` with the credentials of every URL in it masked."""
    if "://" not in text and "=" not in text:
        return text
    userinfo, secret_query = _patterns()
    text = userinfo.sub(rf"\g<head>{MASK}@", text)
    return secret_query.sub(rf"\g<head>{MASK}", text)


def mask_url(url: str) -> str:
    """``postgresql://user:secret@host/db`` -> ``postgresql://user:***@host/db``."""
    return redact(url)
