"""Colour for plan and drift text, as Terraform: green create, yellow update, red destroy/replace.

The renderers return plain text (tested as golden text); colour is added here, on the way to the
terminal, by the symbol a line starts with. It is on only when stdout is a terminal (or
``FORCE_COLOR`` is set), and off with ``--no-color`` or a non-empty ``NO_COLOR`` (no-color.org).
"""

from __future__ import annotations

import os
import re
import sys
from typing import Annotated, TextIO

import typer

NoColorOpt = Annotated[bool, typer.Option("--no-color", help="Plain text even on a terminal (as NO_COLOR=1).")]

# "+ new", "~ changed", "> superseded" (a new active version replaces the old one), "- removed", "! broken"
_STYLES = {"+": "green", "~": "yellow", ">": "yellow", "-": "red", "!": "red"}
_SYMBOL = re.compile(r"^\s*([+~>!-]) ")
_SUMMARY = re.compile(r"^(Plan|Drift|No changes|No drift)\b")


def colour_wanted(no_color: bool, stream: TextIO | None = None) -> bool:
    if no_color or os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    stream = stream or sys.stdout
    return hasattr(stream, "isatty") and stream.isatty()


def style_of(line: str) -> str | None:
    """The colour of one line of plan or drift text (None: plain)."""
    found = _SYMBOL.match(line)
    if found:
        return _STYLES[found.group(1)]
    return "bold" if _SUMMARY.match(line) else None


def coloured(text: str) -> str:
    """``text`` with ANSI colours added line by line (rich renders the styles)."""
    import io

    from rich.console import Console
    from rich.text import Text

    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, color_system="standard", no_color=False, soft_wrap=True,
                      highlight=False, width=100_000)
    for line in text.splitlines():
        console.print(Text(line, style=style_of(line) or ""), end="\n")
    return buffer.getvalue()


def echo_text(text: str, *, no_color: bool) -> None:
    """Print plan or drift text to stdout, coloured when :func:`colour_wanted`.

    Written directly: click's echo strips colour codes whenever stdout is not a terminal, which
    would defeat FORCE_COLOR (CI logs that render colour)."""
    if not colour_wanted(no_color):
        typer.echo(text, nl=False)
        return
    sys.stdout.write(coloured(text))
    sys.stdout.flush()
