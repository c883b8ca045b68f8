"""Escaping for the markdown views (plan and drift): any text a user or the cluster chose (names,
label keys and values, reasons, details) renders as itself and never breaks a table, a code span,
a fenced block or the HTML around it.

- :func:`text`: inline text (table cells, list items): markdown punctuation backslash-escaped,
  ``<``/``>``/``&`` as entities, ``|`` escaped for GFM tables, newlines as ``<br>``.
- :func:`code`: an inline code span, literal, whatever backticks the value holds.
- :func:`fence`: a fenced block whose fence is longer than any backtick run inside it.
- :func:`html`: text inside an HTML element (``<summary>``).
"""

from __future__ import annotations

import html as _html
import re

_PUNCTUATION = re.compile(r"([\\`*_\[\]|~])")
_TICKS = re.compile(r"`+")


def text(value: object) -> str:
    """``value`` as inline markdown text that renders literally, in a table cell too."""
    escaped = _html.escape(str(value), quote=False)
    escaped = _PUNCTUATION.sub(r"\\\1", escaped)
    return escaped.replace("\r\n", "\n").replace("\n", "<br>")


def _longest_ticks(value: str) -> int:
    return max((len(m) for m in _TICKS.findall(value)), default=0)


def code(value: object) -> str:
    """``value`` as an inline code span: literal (CommonMark), pipes escaped for GFM tables."""
    body = " ".join(str(value).splitlines()).replace("|", "\\|")
    ticks = "`" * (_longest_ticks(body) + 1)
    if body.startswith(("`", " ")) or body.endswith(("`", " ")):
        body = f" {body} "
    return f"{ticks}{body}{ticks}"


def fence(lines: list[str], info: str = "") -> list[str]:
    """``lines`` as a fenced code block that nothing inside can close."""
    ticks = "`" * max(3, max((_longest_ticks(line) for line in lines), default=0) + 1)
    return [f"{ticks}{info}", *lines, ticks]


def html(value: object) -> str:
    """``value`` inside an HTML element."""
    return _html.escape(str(value), quote=True)
