"""Code bundles: a content-addressed tarball of the manifest root's sources.

Registering a version stores the bundle of the code it was compiled from; executions of that
version run that code (``flowctl._bundle_fetch.fetch_bundle`` into a cache folder, put on
``sys.path``), never the current checkout. Fetching lives apart from building so that an attempt
does not load what building needs (``flowctl._sources`` and its ``subprocess``, gzip).

* Which files: the sources of the root (``flowctl._sources``, the same list the dirtiness check of
  the git-SHA version judges): in a git work tree, what git would commit (``.gitignore`` is
  respected) minus flowctl's own files; otherwise a walk that skips ``.git``, ``.flowctl``,
  ``.venv``, ``__pycache__`` and friends.
* Deterministic: sorted names, zero mtimes/uids, normalised modes, gzip without a timestamp; the
  URI is ``{blob_store}/bundles/{sha256 of the tar}.tar.gz``, so equal sources give the same URI
  and a second upload is skipped.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import tarfile
from collections.abc import Sequence
from pathlib import Path

from flowctl import _blobstore as blobs
from flowctl._errors import StoreError
from flowctl._sources import SKIP_DIRS, is_source, source_files

MAX_BUNDLE_BYTES = 256 * 1024 * 1024


def list_sources(root: Path, exclude: Sequence[Path] = ()) -> list[str]:
    """Relative POSIX paths of the files that go into the bundle of ``root``, sorted."""
    root = root.resolve()
    names = source_files(root, exclude)
    if names is not None:
        return names
    return sorted(n for n in _walk_files(root)
                  if is_source(n) and (root / n).is_file() and not (root / n).is_symlink())


def _walk_files(root: Path) -> list[str]:
    found: list[str] = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
        rel = Path(folder).relative_to(root)
        found.extend((rel / f).as_posix() for f in files)
    return found


def build_tarball(root: Path, names: list[str]) -> bytes:
    """A reproducible ``.tar.gz`` of ``names`` (relative to ``root``)."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name in names:
            path = root / name
            data = path.read_bytes()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 0
            info.mode = 0o755 if os.access(path, os.X_OK) else 0o644
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            tar.addfile(info, io.BytesIO(data))
    compressed = io.BytesIO()
    with gzip.GzipFile(fileobj=compressed, mode="wb", mtime=0, compresslevel=6) as gz:
        gz.write(raw.getvalue())
    return compressed.getvalue()


def create_bundle(root: Path, blob_store_url: str, exclude: Sequence[Path] = ()) -> str:
    """Store the bundle of ``root``'s sources in the blob store and return its URI.

    Content-addressed: the same sources always give the same URI, and an existing bundle is not
    uploaded again. ``exclude``: files the command was given (a saved plan), never bundled.
    """
    return store_bundle(bundle_data(root, exclude), blob_store_url)


def bundle_data(root: Path, exclude: Sequence[Path] = ()) -> bytes:
    """The bundle (a reproducible .tar.gz) of ``root``'s sources; StoreError when it is too large."""
    root = Path(root).resolve()
    if not root.is_dir():
        raise StoreError(f"Cannot bundle `{root}`: not a folder", detail="Pass the manifest root folder.")
    data = build_tarball(root, list_sources(root, exclude))
    if len(data) > MAX_BUNDLE_BYTES:
        raise StoreError(
            f"The code bundle of `{root}` is {len(data) // (1024 * 1024)} MiB",
            detail="Bundles hold sources only. Add data files and build outputs to .gitignore.",
        )
    return data


def store_bundle(data: bytes, blob_store_url: str) -> str:
    """Store a bundle under its content digest (once) and return its URI."""
    digest = hashlib.sha256(data).hexdigest()
    uri = blobs.join(blobs.BlobStore(blob_store_url).url, "bundles", f"{digest}.tar.gz")
    if not blobs.exists(uri):
        blobs.write_bytes(uri, data)
    return uri
