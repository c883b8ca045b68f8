"""Which files make up a version: one answer for the dirtiness check and the code bundle.

The sources of a manifest root are the files git would commit below it (tracked, plus untracked
files that ``.gitignore`` does not exclude), without:

* folders that are never code (``.flowctl``, ``.git``, virtual environments, caches, ``build``,
  ``dist``) and compiled ``.pyc`` files (``SKIP_DIRS``, ``SKIP_SUFFIXES``);
* the files flowctl itself wrote into the work tree, while their content is what flowctl wrote:
  saved plans (``plan --out``), reports (``drift --output``) and command output redirected into a
  file (``flowctl plan > plan.txt``). They are recorded with their sha256 in
  ``<work tree>/.flowctl/outputs.json``; the file a running command writes its output to is
  recognised by its inode, and a plan file a command is given is passed in ``exclude``.

``flowctl._versioning`` calls the tree dirty when a source differs from ``HEAD``;
``flowctl._bundle`` tars the sources. Outside git, the bundle walks the folder with the same skips.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
import subprocess
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from flowctl._files import PUBLIC_MODE, write_atomic
from flowctl._workdir import WORKDIR, make_folder

SKIP_DIRS = frozenset({".git", WORKDIR, ".venv", "venv", "__pycache__", ".mypy_cache", ".ruff_cache",
                       ".pytest_cache", ".hypothesis", "node_modules", ".tox", "build", "dist"})
SKIP_SUFFIXES = (".pyc", ".pyo")
OUTPUTS_FILE = "outputs.json"


def git(root: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, check=False)


def git_toplevel(root: Path) -> Path | None:
    """The top folder of the git work tree ``root`` is in, or None (not in git, or no git)."""
    try:
        out = git(root, "rev-parse", "--show-toplevel")
    except OSError:  # git is not installed, or root does not exist
        return None
    return Path(out.stdout.decode().strip()) if out.returncode == 0 else None


def is_source(name: str) -> bool:
    """Whether the relative POSIX path ``name`` can be part of a version (before own-file checks)."""
    parts = name.split("/")
    return not (any(p in SKIP_DIRS for p in parts[:-1]) or name.endswith(SKIP_SUFFIXES))


def _names(root: Path, *args: str) -> list[str]:
    out = git(root, *args, "-z")
    return [n for n in out.stdout.decode().split("\0") if n] if out.returncode == 0 else []


def source_files(root: Path, exclude: Sequence[Path] = ()) -> list[str] | None:
    """Relative paths of the sources below ``root`` that exist, sorted; None when not in git."""
    if git_toplevel(root) is None:
        return None
    tracked = _names(root, "ls-files", "-c")
    untracked = _untracked(root, exclude)
    keep = {n for n in (*tracked, *untracked) if is_source(n)}
    return sorted(n for n in keep if (root / n).is_file() and not (root / n).is_symlink())


def changed_files(root: Path, exclude: Sequence[Path] = ()) -> list[str]:
    """Sources below ``root`` that differ from ``HEAD`` (changed, staged, deleted or untracked)."""
    changed = _names(root, "diff", "HEAD", "--name-only", "--relative", "--no-renames")
    return sorted({n for n in (*changed, *_untracked(root, exclude)) if is_source(n)})


def changes_digest(root: Path, changed: Iterable[str]) -> str:
    """sha256 over the names and current contents of ``changed`` (a deleted file counts as such)."""
    digest = hashlib.sha256()
    for name in sorted(changed):
        path = root / name
        digest.update(name.encode() + b"\0")
        digest.update(path.read_bytes() if path.is_file() else b"\0deleted\0")
    return digest.hexdigest()


def _untracked(root: Path, exclude: Sequence[Path]) -> list[str]:
    names = _names(root, "ls-files", "-o", "--exclude-standard")
    if not names:
        return []
    own = own_files(root, names, exclude)
    return [n for n in names if n not in own]


# ---------------------------------------------------------------- files flowctl wrote
def own_files(root: Path, candidates: Iterable[str], exclude: Sequence[Path] = ()) -> set[str]:
    """Which ``candidates`` (paths relative to ``root``) flowctl wrote: see the module docstring."""
    top = git_toplevel(root)
    recorded = _read_records(top) if top is not None else {}
    given = {_identity(p) for p in exclude} | _stdio_identities()
    given.discard(None)
    own = set()
    for name in candidates:
        path = root / name
        if _identity(path) in given or (top is not None and recorded.get(_relative(path, top)) == _sha256(path)):
            own.add(name)
    return own


def record_outputs(files: Iterable[Path] = (), *, within: Path | None = None) -> None:
    """Remember ``files`` (and this process's stdout/stderr when they are files) as flowctl's own.

    Only files inside a git work tree are recorded (elsewhere they cannot make a version dirty).
    ``within`` is a folder of the work tree where redirected output is looked for (the manifest
    root or the current folder); without it, only ``files`` are recorded.
    """
    paths = [Path(f).resolve() for f in files if _is_file(Path(f))]
    if within is not None:
        paths += _stdio_files(within)
    by_top: dict[Path, list[Path]] = {}
    for path in paths:
        top = git_toplevel(path.parent)
        if top is not None:
            by_top.setdefault(top.resolve(), []).append(path)
    for top, found in by_top.items():
        records = _read_records(top)
        records.update({_relative(p, top): _sha256(p) for p in found})
        with contextlib.suppress(OSError):  # a read-only work tree: the files count as the user's (safe)
            _write_records(top, records)


def _is_file(path: Path) -> bool:
    """``path.is_file()``, False for a path the OS refuses to look at (too long, a loop)."""
    try:
        return path.is_file()
    except OSError:
        return False


def _stdio_files(within: Path) -> list[Path]:
    """The untracked files below ``within`` that are this process's stdout or stderr."""
    wanted = _stdio_identities()
    wanted.discard(None)
    if not wanted or git_toplevel(within) is None:
        return []
    for handle in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed stream: nothing left to write
            handle.flush()
    names = _names(within, "ls-files", "-o", "--exclude-standard")
    return [(within / n).resolve() for n in names if _identity(within / n) in wanted]


def _stdio_identities() -> set[tuple[int, int] | None]:
    found: set[tuple[int, int] | None] = set()
    for fd in (1, 2):
        try:
            info = os.fstat(fd)
        except OSError:
            continue
        if stat.S_ISREG(info.st_mode):
            found.add((info.st_dev, info.st_ino))
    return found


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return (info.st_dev, info.st_ino)


def _sha256(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return ""


def _relative(path: Path, top: Path) -> str:
    try:
        return path.resolve().relative_to(top.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _read_records(top: Path) -> dict[str, str]:
    try:
        data = json.loads((top / WORKDIR / OUTPUTS_FILE).read_text())
    except (OSError, ValueError):
        return {}
    files = data.get("files") if isinstance(data, dict) else None
    return {str(k): str(v) for k, v in files.items()} if isinstance(files, dict) else {}


def _write_records(top: Path, records: dict[str, str]) -> None:
    folder = make_folder(top / WORKDIR)
    live = {name: digest for name, digest in records.items() if (top / name).is_file()}
    write_atomic(folder / OUTPUTS_FILE, (json.dumps({"files": dict(sorted(live.items()))}, indent=1) + "\n").encode(),
                 what="the list of files flowctl wrote", mode=PUBLIC_MODE)
