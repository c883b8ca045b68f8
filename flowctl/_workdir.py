"""flowctl's working folder, ``.flowctl/``: every folder flowctl makes goes through ``make_folder``.

The registry (``.flowctl/registry.db``), the blob store (``.flowctl/blobs``), the local run cache
and the task logs live in ``.flowctl/`` by default, usually inside the user's git work tree. When
``make_folder`` creates (or finds) a folder on a path that runs through a folder named
``.flowctl``, that folder gets a ``.gitignore`` holding ``*`` — the convention pytest's and
ruff's caches use — so flowctl's own files never show in ``git status`` and never make the
manifest version dirty. Folders it creates are private (0700: they hold inputs, outputs, logs and
the registry, see ``flowctl._files``); a folder that exists keeps its mode. Standard library only:
the store, the blob store and the CLI import it.
"""

from __future__ import annotations

import os
from pathlib import Path

WORKDIR = ".flowctl"
GITIGNORE = "*\n"
DIR_MODE = 0o700


def make_folder(path: Path | str) -> Path:
    """``mkdir -p path`` (missing folders 0700), then mark every ``.flowctl`` folder on the path as git-ignored.

    Raises:
        OSError: the folder cannot be created (callers turn this into a diagnostic).
    """
    folder = Path(path)
    _private_dirs(folder)
    mark_workdirs(folder)
    return folder


def _private_dirs(folder: Path) -> None:
    """Create ``folder`` and its missing parents, each 0700 (``mkdir(parents=True, mode=)`` gives
    the parents the default mode, hence the walk)."""
    missing = []
    current = folder
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for made in reversed(missing):
        try:
            made.mkdir(mode=DIR_MODE)
        except FileExistsError:
            continue  # made meanwhile by another process
    if not folder.is_dir():
        raise NotADirectoryError(20, "Not a directory", str(folder))


def mark_workdirs(path: Path) -> None:
    """Write ``.flowctl/.gitignore`` (``*``) in each ``.flowctl`` folder on ``path``, if missing."""
    for folder in (path, *path.parents):
        if folder.name == WORKDIR:
            _write_gitignore(folder / ".gitignore")


def _write_gitignore(target: Path) -> None:
    if target.exists():
        return
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:  # another process made it first
        return
    except OSError:  # a read-only parent: flowctl's files there are not ours to hide
        return
    with os.fdopen(fd, "w") as handle:
        handle.write(GITIGNORE)
