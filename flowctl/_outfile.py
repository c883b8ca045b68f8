"""The one place that writes a file a user named (``plan --out``, ``drift --output``).

The text goes to a temporary file next to the target and replaces it in one rename, so a reader
never sees half a file and a failed write leaves the old one; any OS error (no such folder, a
read-only or virtual file system such as /proc, a folder in the way, a name too long, a full
disk) becomes one InputError naming the path and what to do. A `.flowctl` folder on the way is
marked git-ignored (`flowctl._workdir`).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from flowctl._errors import InputError
from flowctl._workdir import make_folder


def write_output_file(path: Path, text: str, *, what: str, private: bool = False) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically; ``what`` names the content for the message.

    ``private`` files are readable by their owner only (0600); others get the usual umask mode.
    """
    tmp: str | None = None
    stage = f"write over the folder {path}"
    try:
        if path.is_dir():
            raise IsADirectoryError(21, "it is a folder")
        stage = f"create the folder {path.parent}"
        if path.parent.exists() and not path.parent.is_dir():
            raise NotADirectoryError(20, f"{path.parent} is not a folder")
        make_folder(path.parent)
        stage = f"create a file in {path.parent}"
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name[:40]}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        if not private:
            os.chmod(tmp, 0o666 & ~_umask())
        stage = f"replace {path.name}"
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        raise InputError(f"Cannot write {what} to {_short(path)}: cannot {_short(stage)}: {exc.strerror or exc}",
                         detail="Choose a path in a folder you can write to, e.g. `--out plan.out` in the "
                         "current folder.") from None
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)


def _short(text: object) -> str:
    shown = str(text)
    return shown if len(shown) <= 200 else shown[:197] + "..."


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
