"""Where things are declared and importing the user's modules.

The digests of the code things are made of are ``flowctl.sdk._code_digest``'s (it parses sources
with ``ast``, which an attempt does not need).
"""

from __future__ import annotations

import functools
import importlib
import os
import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType, ModuleType
from typing import TYPE_CHECKING, Any

from flowctl._errors import Diagnostic, FlowctlError, ManifestError

if TYPE_CHECKING:
    import traceback


def display_path(filename: str) -> str:
    """``filename`` relative to the working folder when it lies below it, else as given."""
    return _display_path(filename, os.getcwd())


@functools.lru_cache(maxsize=2048)
def _display_path(filename: str, cwd: str) -> str:
    try:
        rel = os.path.relpath(filename, cwd)
    except ValueError:
        return filename
    return filename if rel.startswith("..") else rel


def frame_location(depth: int = 1) -> str:
    """``file.py:12`` of the caller ``depth`` frames up from the function calling this."""
    frame: FrameType | None = sys._getframe(depth + 1)
    return location_of_frame(frame)


def location_of_frame(frame: FrameType | None) -> str:
    if frame is None:
        return ""
    return f"{display_path(frame.f_code.co_filename)}:{frame.f_lineno}"


def function_location(fn: Callable[..., Any]) -> tuple[str, int]:
    """(file, line of the ``def`` statement), looking past decorators."""
    code = fn.__code__
    line = code.co_firstlineno
    lines = _source_lines(code.co_filename)
    for candidate in range(line, line + 40):
        text = lines[candidate - 1].lstrip() if 0 < candidate <= len(lines) else b""
        if not text:
            break
        if text.startswith((b"def ", b"async def ")):
            return code.co_filename, candidate
    return code.co_filename, line


def _source_lines(filename: str) -> tuple[bytes, ...]:
    """The lines of a source file as bytes: Python source is in an ASCII-compatible encoding, so
    ``def`` is found without decoding it (``linecache`` would cost an attempt ``tokenize``). A file
    not on disk (a zip import, ``<stdin>``) is asked of ``linecache``."""
    try:
        stat = os.stat(filename)
    except (OSError, ValueError):
        stat = None
    if stat is not None:
        lines = _file_lines(filename, stat.st_mtime_ns, stat.st_size)
        if lines is not None:
            return lines
    import linecache

    return tuple(text.encode("utf-8", "replace") for text in linecache.getlines(filename))


@functools.lru_cache(maxsize=64)
def _file_lines(filename: str, mtime_ns: int, size: int) -> tuple[bytes, ...] | None:
    try:
        with open(filename, "rb") as file:
            return tuple(file.read().splitlines())
    except OSError:
        return None


def module_name_of(fn: Callable[..., Any]) -> str:
    """The importable module name; a script run as ``__main__`` is named after its file."""
    module = fn.__module__
    if module == "__main__":
        return Path(fn.__code__.co_filename).stem
    return module


def module_relative_file(module: str, filename: str) -> str:
    """The source file relative to the import root: ``pkg/mod.py`` for module ``pkg.mod``."""
    suffix = "/__init__.py" if Path(filename).name == "__init__.py" else ".py"
    return module.replace(".", "/") + suffix


# ---------------------------------------------------------------- importing user code
_FLOWCTL_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
_IMPORTLIB_DIR = os.path.dirname(os.path.abspath(importlib.__file__)) + os.sep


def import_user_module(name: str, *, what: str) -> ModuleType:
    """Import the user's module ``name``; any failure becomes one ManifestError naming file:line.

    ``what`` names the module for the message (``manifest module `flows` ``, ``flows/etl.py``).
    A SystemExit raised while importing (``sys.exit(0)`` at top level) is an error too: the module
    declared nothing. KeyboardInterrupt still interrupts.
    """
    try:
        return importlib.import_module(name)
    except FlowctlError:
        raise
    except (Exception, SystemExit) as exc:
        raise ManifestError(diagnostics=[import_failure(exc, what=what)]) from exc


def import_failure(exc: BaseException, *, what: str) -> Diagnostic:
    """What went wrong importing ``what``, where (the user's file:line) and the user's frames only."""
    import traceback  # on failure only: an attempt that imports its module fine never loads it

    frames = _user_frames(exc)
    if isinstance(exc, SyntaxError):
        where = f"{display_path(exc.filename or '')}:{exc.lineno}" if exc.filename else ""
        code = "".join(traceback.format_exception_only(type(exc), exc)).splitlines()[1:-1]  # the line and caret
        return Diagnostic(f"Syntax error in {what}: {exc.msg}", "\n".join([*code, "Fix the syntax and run the "
                          "command again."]), source=where)
    where = f"{display_path(frames[-1].filename)}:{frames[-1].lineno}" if frames else ""
    if isinstance(exc, SystemExit):
        return Diagnostic(f"{what} called sys.exit({exc.code!r}) while being imported",
                          "Nothing it declares was loaded. Remove the call, or move it under "
                          "`if __name__ == \"__main__\":`.", source=where)
    shown = "".join(traceback.format_list(frames) + traceback.format_exception_only(type(exc), exc)).rstrip()
    return Diagnostic(f"Importing {what} failed: {type(exc).__name__}: {exc}",
                      f"Traceback (your code only):\n{shown}\nFix the error and run the command again "
                      "(--debug shows the full traceback).", source=where)


def _user_frames(exc: BaseException) -> list[traceback.FrameSummary]:
    """The traceback's frames that are neither flowctl's nor the import machinery's."""
    import traceback

    return [f for f in traceback.extract_tb(exc.__traceback__)
            if not f.filename.startswith((_FLOWCTL_DIR, _IMPORTLIB_DIR, "<frozen "))]
