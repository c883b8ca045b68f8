"""Normalised module sources kept across runs: parsing and unparsing a module is most of a code digest.

An entry holds what ``_source.ModuleSource`` derives from one module file (its normalised text and
the text and names of each top-level definition). It is keyed by the sha256 of the file's bytes,
the Python version (``ast.unparse`` may change between releases) and :data:`FORMAT`, the version of
the normalisation: bump it whenever ``_source`` normalises differently. An entry is written
atomically; one that is missing, unreadable, corrupt or made for other bytes, another Python or
another format is ignored (and rewritten), never an error, so the cache can only skip work, never
change a digest.

Where: the folder ``$FLOWCTL_DIGEST_CACHE_DIR`` names (``off`` disables the cache), else
``$XDG_CACHE_HOME/flowctl/code-digests``, else ``~/.cache/flowctl/code-digests``; no cache when
there is no home folder either (``flowctl._cache_home``). ``flowctl cache info|clear`` count and
remove the entries.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flowctl._cache_home import user_cache_dir

FORMAT = 1
ENV = "FLOWCTL_DIGEST_CACHE_DIR"  # FLOWCTL_CACHE_DIR is the local run cache (cache.dir)
_OFF = frozenset({"off", "0", "false", "no", "none"})
_PYTHON = f"{sys.implementation.name}-{'.'.join(map(str, sys.version_info[:3]))}"


def cache_folder() -> Path | None:
    """The folder of the entries, or None when ``FLOWCTL_DIGEST_CACHE_DIR`` turns the cache off or no
    cache home is known."""
    configured = os.environ.get(ENV, "").strip()
    if configured.lower() in _OFF:
        return None
    if configured:
        try:
            return Path(configured).expanduser()
        except RuntimeError:  # "~/..." with no home folder
            return None
    return user_cache_dir("flowctl", "code-digests")


def entries() -> int:
    """How many entries the cache folder holds (0 when the cache is off)."""
    folder = cache_folder()
    return sum(1 for _ in folder.glob("*.json")) if folder is not None and folder.is_dir() else 0


def clear() -> int:
    """Remove every entry; how many were removed."""
    folder = cache_folder()
    if folder is None or not folder.is_dir():
        return 0
    removed = 0
    for path in folder.glob("*.json"):
        with contextlib.suppress(FileNotFoundError):  # another process removed it first
            path.unlink()
            removed += 1
    return removed


def _entry_path(folder: Path, file_sha: str) -> Path:
    return folder / f"{file_sha}.{_PYTHON}.f{FORMAT}.json"


def load(file_sha: str) -> dict[str, Any] | None:
    """The entry made for a file whose bytes hash to ``file_sha`` by this Python and format, if any."""
    folder = cache_folder()
    if folder is None:
        return None
    try:
        entry = json.loads(_entry_path(folder, file_sha).read_bytes())
    except (OSError, ValueError):  # missing, unreadable, not JSON (UnicodeDecodeError is a ValueError)
        return None
    if (not isinstance(entry, dict) or entry.get("format") != FORMAT or entry.get("python") != _PYTHON
            or entry.get("sha256") != file_sha):
        return None
    return entry


def store(file_sha: str, make_entry: Callable[[], dict[str, Any]]) -> None:
    """Keep the entry ``make_entry`` gives (made only when the cache is on) for the file whose bytes hash
    to ``file_sha``; a failed write only costs the next run."""
    folder = cache_folder()
    if folder is None:
        return
    from flowctl._files import write_atomic  # on a miss only: a warm run writes nothing

    data = json.dumps({**make_entry(), "format": FORMAT, "python": _PYTHON, "sha256": file_sha}, ensure_ascii=False)
    with contextlib.suppress(OSError):  # a read-only home, a full disk: the digest is computed again next time
        write_atomic(_entry_path(folder, file_sha), data.encode(), what="a code digest cache entry")
