"""Show the non-fatal findings of task objects (e.g. an input a shell script never uses) on stderr."""

from __future__ import annotations

import sys


def show_declaration_warnings() -> None:
    """Print every declaration warning recorded so far; nothing when no task-type object was declared."""
    if "flowctl.tasktypes" not in sys.modules:
        return
    from flowctl.tasktypes import declaration_warnings

    for warning in declaration_warnings():
        sys.stderr.write(warning.render() + "\n")
