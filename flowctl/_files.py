"""Private files and folders: what flowctl creates on disk is readable by its owner only.

The registry file, the blob store (inputs, outputs, logs, code bundles) and flowctl's working folder
hold data other users of the machine must not read: folders are created 0700, files 0600. Only
what flowctl creates is affected; an existing folder keeps its mode.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dirs(folder: Path) -> None:
    """Create ``folder`` and its missing parents, each with mode 0700.

    ``Path.mkdir(parents=True, mode=...)`` gives the parents the default mode, hence the walk.
    """
    missing = []
    current = folder
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for path in reversed(missing):
        try:
            path.mkdir(mode=DIR_MODE)
        except FileExistsError:
            continue  # made meanwhile by another process


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` at ``path`` atomically (temporary file, then rename), mode 0600."""
    private_dirs(path.parent)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def create_private(path: Path) -> None:
    """Create an empty file at ``path`` with mode 0600 unless it exists (its parents 0700)."""
    private_dirs(path.parent)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    except FileExistsError:
        return
