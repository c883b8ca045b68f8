"""Code bundles: a content-addressed tarball of the manifest root's sources.

Registering a version stores the bundle of the code it was compiled from; executions of that
version run that code (``fetch_bundle`` into a cache folder, put on ``sys.path``), never the
current checkout.

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
import shutil
import tarfile
import uuid
from collections.abc import Sequence
from pathlib import Path

from flowctl import _blobstore as blobs
from flowctl._errors import StoreError
from flowctl._files import writing
from flowctl._sources import SKIP_DIRS, is_source, source_files
from flowctl._workdir import make_folder

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


def bundle_digest(uri: str) -> str:
    """The sha256 in a bundle URI (``.../bundles/<sha256>.tar.gz``)."""
    return uri.rstrip("/").rsplit("/", 1)[-1].removesuffix(".tar.gz")


def fetch_bundle(uri: str, dest: Path) -> Path:
    """Extract the bundle at ``uri`` into ``dest`` (idempotent, safe against concurrent fetches).

    Returns ``dest``. A complete extraction is marked by ``dest/.flowctl-bundle``; partial ones are
    never visible because extraction happens in a sibling folder that is renamed into place.
    """
    dest = Path(dest)
    marker = dest / ".flowctl-bundle"
    if marker.exists():
        return dest
    try:
        data = blobs.read_bytes(uri)
    except FileNotFoundError:
        raise StoreError(
            f"Code bundle `{uri}` not found in the blob store",
            detail="Was the version registered with another blob store? Check blob_store.url.",
        ) from None
    if hashlib.sha256(data).hexdigest() != bundle_digest(uri) and bundle_digest(uri).isalnum():
        raise StoreError(f"Code bundle `{uri}` is corrupt: its content does not match its digest")
    with writing(dest, "the files of the code bundle", elsewhere="Or set FLOWCTL_BUNDLE_CACHE to a folder that has room."):
        _extract(data, uri, dest)
    return dest


def _extract(data: bytes, uri: str, dest: Path) -> None:
    """Extract into a temporary sibling of ``dest``, marked complete, then renamed into place."""
    tmp = dest.with_name(f".{dest.name}.{uuid.uuid4().hex}.tmp")
    make_folder(tmp.parent)
    tmp.mkdir()
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
            tar.extractall(tmp, filter="data")
        (tmp / ".flowctl-bundle").write_text(uri + "\n")
        try:
            os.replace(tmp, dest)
        except OSError:
            if not (dest / ".flowctl-bundle").exists():  # somebody else won the race only if their copy is complete
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
