"""The manifest version: what ``dev.register(wf)`` (no explicit version) registers at.

* ``--version V``: exactly ``V``.
* In a git work tree: the commit SHA of HEAD, shortened to 12 hex characters
  (``3f2a9c0d1e2f``), when the manifest folder has no uncommitted or untracked changes.
* A dirty tree is refused (the SHA would name content it does not hold), unless
  ``--allow-dirty``: then ``<sha12>-dirty-<digest8>``, where the digest covers the changed and
  untracked sources, so different content never reuses a version. "Sources" are what the code
  bundle holds (``flowctl._sources``): flowctl's own ``.flowctl/`` folder, caches and the files
  flowctl wrote (saved plans, reports, redirected output) never make a tree dirty.
* Outside git: a digest of the compiled content (``c-<digest12>``), computed by the loader.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from flowctl._errors import ManifestError
from flowctl._names import check_version
from flowctl._sources import changed_files, changes_digest, git, git_toplevel

SHA_LENGTH = 12
VersionSource = Literal["git", "explicit", "dirty", "content"]


@dataclass(frozen=True)
class VersionChoice:
    """``version`` is None only for ``content``: the loader derives it from the compiled specs."""

    version: str | None
    source: VersionSource
    repo: Path | None = None


def choose_version(root: Path, *, explicit: str | None = None, allow_dirty: bool = False,
                   exclude: Sequence[Path] = ()) -> VersionChoice:
    """Decide the manifest version for the manifest folder ``root``.

    ``exclude``: files the command was given or writes (a saved plan) that never count as changes.

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
    head = git(root, "rev-parse", "HEAD")
    if head.returncode != 0:
        raise ManifestError(f"The git repository {top} has no commit yet",
                            detail="The default version is the commit SHA. Commit the manifests, or pass --version V.")
    sha = head.stdout.decode().strip()[:SHA_LENGTH]
    changed = changed_files(root, exclude)
    if not changed:
        return VersionChoice(sha, "git", top)
    if not allow_dirty:
        shown = "\n  ".join(changed[:10]) + (f"\n  ... and {len(changed) - 10} more" if len(changed) > 10 else "")
        raise ManifestError(
            f"The manifest folder {root} has uncommitted changes",
            detail=f"The default version is the git SHA {sha}, which does not describe these changes:\n  {shown}\n"
            "Commit them (files that are not code: add them to .gitignore), or pass --version V to choose a "
            f"version, or --allow-dirty to register at {sha}-dirty-<content digest>.")
    return VersionChoice(f"{sha}-dirty-{changes_digest(root, changed)[:8]}", "dirty", top)


def content_version(digests: list[str]) -> str:
    """``c-<12 hex>`` from the sorted digests of everything the manifests register."""
    return "c-" + hashlib.sha256("\n".join(sorted(digests)).encode()).hexdigest()[:SHA_LENGTH]
