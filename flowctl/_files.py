"""Private files and folders: what flowctl creates on disk is readable by its owner only.

The registry file, the blob store (inputs, outputs, logs, code bundles) and flowctl's working folder
hold data other users of the machine must not read: folders are created 0700, files 0600. Only
what flowctl creates is affected; an existing folder keeps its mode. Folders come from
``flowctl._workdir.make_folder`` (0700, and `.flowctl` marked git-ignored).
"""

from __future__ import annotations

import os
from pathlib import Path

from flowctl._workdir import DIR_MODE, make_folder

__all__ = ["DIR_MODE", "FILE_MODE", "create_private", "write_private"]

FILE_MODE = 0o600


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` at ``path`` atomically (temporary file, then rename), mode 0600.

    The folder is made (``make_folder``) only when the first open says it is missing: most documents
    go into folders that exist, and a ``make_folder`` per write was a walk of stat calls."""
    tmp = path.with_name(f".{path.name}.{os.urandom(16).hex()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileNotFoundError:
        make_folder(path.parent)
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
    make_folder(path.parent)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    except FileExistsError:
        return
