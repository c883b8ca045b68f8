"""The one place that writes a file a user named (``plan --out``, ``drift --output``, decks).

Atomic and with one error on failure, as every write (``flowctl._files.write_atomic``): any OS
error (no such folder, a read-only or virtual file system such as /proc, a folder in the way, a name
too long, a full disk) becomes one WriteError naming the path and what to do. A `.flowctl` folder
on the way is marked git-ignored (`flowctl._workdir`).
"""

from __future__ import annotations

from pathlib import Path

from flowctl._files import FILE_MODE, PUBLIC_MODE, write_atomic, writing
from flowctl._workdir import make_folder

ELSEWHERE = "Or choose a path in a folder you can write to, e.g. `--out plan.out` in the current folder."


def write_output_file(path: Path, text: str, *, what: str, private: bool = False, elsewhere: str = ELSEWHERE) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically; ``what`` names the content and ``elsewhere`` says
    how to write it somewhere else, for the message.

    ``private`` files are readable by their owner only (0600); others get the usual umask mode.
    """
    with writing(path, what, elsewhere=elsewhere):
        if path.is_dir():
            raise IsADirectoryError(21, "it is a folder")
        if path.parent.exists() and not path.parent.is_dir():
            raise NotADirectoryError(20, f"{path.parent} is not a folder")
        make_folder(path.parent)
    write_atomic(path, text.encode(), what=what, elsewhere=elsewhere, mode=FILE_MODE if private else PUBLIC_MODE)
