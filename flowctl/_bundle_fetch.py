"""Fetching a code bundle into a cache folder: the attempt's side of ``flowctl._bundle``.

An attempt (a local process, a Kubernetes pod) imports only this: ``tarfile`` and ``hashlib`` load
only when the bundle is not unpacked in the cache yet, and nothing of what building a bundle
needs (``flowctl._sources``, ``subprocess``, ``gzip``) loads at all.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

from flowctl import _blobstore as blobs
from flowctl._errors import StoreError
from flowctl._files import writing
from flowctl._workdir import make_folder


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
    import hashlib

    if hashlib.sha256(data).hexdigest() != bundle_digest(uri) and bundle_digest(uri).isalnum():
        raise StoreError(f"Code bundle `{uri}` is corrupt: its content does not match its digest")
    with writing(dest, "the files of the code bundle", elsewhere="Or set FLOWCTL_BUNDLE_CACHE to a folder that has room."):
        _extract(data, uri, dest)
    return dest


def _extract(data: bytes, uri: str, dest: Path) -> None:
    """Extract into a temporary sibling of ``dest``, marked complete, then renamed into place."""
    import shutil
    import tarfile

    tmp = dest.with_name(f".{dest.name}.{os.urandom(16).hex()}.tmp")
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
