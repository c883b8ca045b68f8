"""The manifest version: what ``dev.register(wf)`` (no explicit version) registers at.

* ``--version V``: exactly ``V``.
* In a git work tree: the commit SHA of HEAD, shortened to 12 hex characters
  (``3f2a9c0d1e2f``), when the manifest folder has no uncommitted or untracked changes.
* A dirty tree is refused (the SHA would name content it does not hold), unless
  ``--allow-dirty``: then ``<sha12>-dirty-<digest8>``, where the digest covers the uncommitted
  diff and the untracked files, so different content never reuses a version.
* Outside git: a digest of the compiled content (``c-<digest12>``), computed by the loader.
"""

from __future__ import annotations

import hashlib
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from flowctl._errors import ManifestError
from flowctl._names import check_version

SHA_LENGTH = 12
VersionSource = Literal["git", "explicit", "dirty", "content"]


@dataclass(frozen=True)
class VersionChoice:
    """``version`` is None only for ``content``: the loader derives it from the compiled specs."""

    version: str | None
    source: VersionSource
    repo: Path | None = None


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, check=False)


def git_toplevel(root: Path) -> Path | None:
    try:
        out = _git(root, "rev-parse", "--show-toplevel")
    except OSError:  # git is not installed
        return None
    return Path(out.stdout.decode().strip()) if out.returncode == 0 else None


def choose_version(root: Path, *, explicit: str | None = None, allow_dirty: bool = False) -> VersionChoice:
    """Decide the manifest version for the manifest folder ``root``.

    Raises:
        ManifestError: an invalid ``--version``, or a dirty tree without ``--allow-dirty``.
    """
    if explicit is not None:
        problem = check_version(explicit)
        if problem:
            raise ManifestError(f"Invalid --version {explicit!r}", detail=problem)
        return VersionChoice(explicit, "explicit")
    top = git_toplevel(root)
    if top is None:
        return VersionChoice(None, "content")
    head = _git(root, "rev-parse", "HEAD")
    if head.returncode != 0:
        raise ManifestError(f"The git repository {top} has no commit yet",
                            detail="The default version is the commit SHA. Commit the manifests, or pass --version V.")
    sha = head.stdout.decode().strip()[:SHA_LENGTH]
    changed = dirty_files(root)
    if not changed:
        return VersionChoice(sha, "git", top)
    if not allow_dirty:
        shown = "\n  ".join(changed[:10]) + (f"\n  ... and {len(changed) - 10} more" if len(changed) > 10 else "")
        raise ManifestError(
            f"The manifest folder {root} has uncommitted changes",
            detail=f"The default version is the git SHA {sha}, which does not describe these changes:\n  {shown}\n"
            "Commit them, or pass --version V to choose a version, or --allow-dirty to register at "
            f"{sha}-dirty-<content digest>.")
    return VersionChoice(f"{sha}-dirty-{worktree_digest(root, changed)[:8]}", "dirty", top)


def dirty_files(root: Path) -> list[str]:
    """Changed, staged or untracked (not ignored) files below ``root``, as git prints them."""
    out = _git(root, "status", "--porcelain", "--untracked-files=all", "--", ".")
    return [line[3:] for line in out.stdout.decode().splitlines() if line.strip()]


def worktree_digest(root: Path, changed: list[str]) -> str:
    """sha256 of the uncommitted diff plus the untracked files' names and contents."""
    digest = hashlib.sha256(_git(root, "diff", "HEAD", "--binary", "--", ".").stdout)
    untracked = _git(root, "ls-files", "--others", "--exclude-standard", "--", ".").stdout.decode().splitlines()
    for name in sorted(untracked):
        path = root / name
        digest.update(name.encode() + b"\0")
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def content_version(digests: list[str]) -> str:
    """``c-<12 hex>`` from the sorted digests of everything the manifests register."""
    return "c-" + hashlib.sha256("\n".join(sorted(digests)).encode()).hexdigest()[:SHA_LENGTH]
