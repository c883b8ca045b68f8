"""Checks of a registry URL before anything opens it (``Config.registry_url`` calls :func:`check_registry_url`).

The database drivers and the file system report a malformed SQLite URL or an impossible path as
OSError, ArgumentError or "unable to open database file"; this says what is wrong in the user's
terms, once, for every command. Standard library only.
"""

from __future__ import annotations

from urllib.parse import unquote

from flowctl._errors import InputError

NAME_MAX = 255  # bytes in one file or folder name (Linux, macOS)
PATH_MAX = 4095  # bytes in a whole path
_HOW = ("Use `sqlite:///relative/path/registry.db`, `sqlite:////absolute/path/registry.db` or "
        "`postgresql://user:password@host:5432/database` (--registry, FLOWCTL_REGISTRY or registry.url in flowctl.toml).")


def _short(text: str) -> str:
    return text if len(text) <= 120 else f"{text[:60]}...{text[-40:]} ({len(text)} characters)"


def check_registry_url(url: str) -> str:
    """``url`` when a SQLite URL names a possible file (other URLs are the driver's to judge)."""
    scheme = url.split(":", 1)[0].lower()
    if scheme != "sqlite" and not scheme.startswith("sqlite+"):
        return url
    rest = url.split(":", 1)[1] if ":" in url else ""
    if rest in ("//", "///:memory:", "///") or rest.startswith(("//?", "///:memory:?")):
        return url
    if not rest.startswith("///"):
        raise InputError(f"Invalid SQLite registry URL `{_short(url)}`: a SQLite URL has three slashes", detail=_HOW)
    path = unquote(rest[3:].split("?", 1)[0])  # as SQLAlchemy reads it
    problem = _path_problem(path)
    if problem:
        raise InputError(f"Invalid registry path {_short(path)}: {problem}", detail=_HOW)
    return url


def _path_problem(path: str) -> str | None:
    if "\0" in path:
        return "it contains a NUL character"
    encoded = path.encode("utf-8", "surrogateescape")
    if len(encoded) > PATH_MAX:
        return f"it is {len(encoded)} bytes long; paths are at most {PATH_MAX} bytes"
    longest = max(path.split("/"), key=lambda part: len(part.encode("utf-8", "surrogateescape")))
    if len(longest.encode("utf-8", "surrogateescape")) > NAME_MAX:
        return f"the name {_short(longest)} is longer than {NAME_MAX} bytes, the most a file system allows"
    return None
