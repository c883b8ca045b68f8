"""Files flowctl writes: whole or not at all, private, and one clear error when the disk says no.

Every file flowctl writes goes through :func:`write_atomic` (bytes), :func:`replacing` (a file or a
folder the caller fills: copies, downloads) or runs inside :func:`writing`: the data goes to a
temporary sibling of the target, which replaces the target in one rename, so a reader never sees
half a file and a failed write leaves the old one (``tests/unit/files/test_raw_writes.py`` finds
writes that bypass these). Any OS error on the way (a full
disk, a read-only or missing folder, a folder in the way, a name too long) becomes one
:class:`~flowctl._errors.WriteError` naming what was written, the path, the OS error and the fix.
WriteError is still an OSError, so code that retries OS errors keeps doing so.

The registry file, the blob store (inputs, outputs, logs, code bundles) and flowctl's working folder
hold data other users of the machine must not read: folders are created 0700, files 0600
(:func:`write_private`). Only what flowctl creates is affected; an existing folder keeps its mode.
Folders come from ``flowctl._workdir.make_folder`` (0700, and `.flowctl` marked git-ignored).
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flowctl._errors import WriteError
from flowctl._faults import write_fault
from flowctl._workdir import DIR_MODE, make_folder

__all__ = ["DIR_MODE", "FILE_MODE", "PUBLIC_MODE", "create_private", "replacing", "write_atomic", "write_private",
           "writing"]

FILE_MODE = 0o600
PUBLIC_MODE = 0o666  # less the umask: what `open(path, "w")` gives
_FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
_DENIED = (errno.EACCES, errno.EPERM, errno.EROFS)


def write_private(path: Path, data: bytes, *, what: str = "a file", elsewhere: str = "") -> None:
    """Write ``data`` at ``path`` atomically, readable by its owner only (0600)."""
    write_atomic(path, data, what=what, elsewhere=elsewhere)


def write_atomic(path: Path, data: bytes | memoryview, *, what: str, elsewhere: str = "", mode: int = FILE_MODE) -> None:
    """Write ``data`` at ``path`` (temporary file, then rename) with ``mode`` (less the umask).

    ``what`` names the content and ``elsewhere`` says how to write it somewhere else, for the
    WriteError. The folder is made (``make_folder``) only when the first open says it is missing: most
    documents go into folders that exist, and a ``make_folder`` per write was a walk of stat calls."""
    with replacing(path, what, elsewhere=elsewhere) as tmp:
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        except FileNotFoundError:
            make_folder(path.parent)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        with os.fdopen(fd, "wb") as handle, memoryview(data) as view:
            handle.write(view[: len(view) // 2])
            write_fault(path)  # tests: a disk that fills up half way
            handle.write(view[len(view) // 2:])


@contextmanager
def replacing(path: Path, what: str, *, elsewhere: str = "") -> Iterator[Path]:
    """A temporary sibling of ``path`` (not created) for the block to make, a file or a folder; it
    replaces ``path`` in one rename when the block ends, and is removed when the block fails. An OS
    error on the way is one WriteError (:func:`writing`). The folder of ``path`` must exist."""
    with writing(path, what, elsewhere=elsewhere):
        tmp = path.with_name(f".{path.name[:40]}.{os.urandom(16).hex()}.tmp")
        try:
            yield tmp
            write_fault(path)
            os.replace(tmp, path)
        except BaseException:
            _remove(tmp)
            raise


def _remove(tmp: Path) -> None:
    if tmp.is_dir() and not tmp.is_symlink():
        import shutil  # a copied folder only: a plain write (an attempt's documents) does not load it

        shutil.rmtree(tmp, ignore_errors=True)
    else:
        tmp.unlink(missing_ok=True)


@contextmanager
def writing(path: Path | str, what: str, *, elsewhere: str = "") -> Iterator[None]:
    """Turn an OSError raised in the block, while writing ``what`` at ``path``, into one WriteError."""
    try:
        yield
    except WriteError:
        raise
    except OSError as exc:
        raise write_error(exc, path, what, elsewhere) from None


def write_error(exc: OSError, path: Path | str, what: str, elsewhere: str = "") -> WriteError:
    """What failed (``what``, ``path``), the OS's words and errno name, and what to do about it."""
    folder = _folder_of(path)
    reason = exc.strerror or str(exc)
    if exc.errno is not None and exc.errno in errno.errorcode:
        reason += f" ({errno.errorcode[exc.errno]})"
    if exc.filename and str(exc.filename) != str(path) and not str(exc.filename).endswith(".tmp"):
        reason += f": {exc.filename}"
    if exc.errno in _FULL:
        fix = f"The disk that holds {folder} is full: free space there (`df -h {folder}` shows how much is left)."
    elif exc.errno in _DENIED:
        fix = f"{folder} cannot be written to by this user: make it writable (or the file system read-write)."
    else:
        fix = f"Check that {folder} is a folder you can write to."
    error = WriteError(f"Cannot write {what} to {_short(path)}: {reason}",
                       detail="\n".join(line for line in (fix, elsewhere) if line))
    error.errno, error.strerror, error.filename = exc.errno, exc.strerror, str(path)
    return error


def _folder_of(path: Path | str) -> str:
    text = str(path)
    if "://" in text and not text.startswith("file://"):
        return text.rsplit("/", 1)[0]
    return _short(Path(text.removeprefix("file://")).parent)


def _short(text: object) -> str:
    shown = str(text)
    return shown if len(shown) <= 200 else shown[:197] + "..."


def create_private(path: Path) -> bool:
    """Create an empty file at ``path`` with mode 0600 unless it exists (its parents 0700); True when
    this call created it."""
    make_folder(path.parent)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    except FileExistsError:
        return False
    return True
