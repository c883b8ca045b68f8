"""The blob store: task inputs, outputs, error documents, logs and code bundles, through fsspec.

A local folder by default (``.flowctl/blobs``), any fsspec URL by configuration (``s3://``,
``gs://`` with the extras). Execution data is laid out as
``{project}/{domain}/{execution}/{node}/{attempt}/`` (``inputs.json``, ``outputs.json`` or
``error.json``, ``logs.txt``); bundles live under ``bundles/{sha256}.tar.gz``.

Writes of small documents are atomic on local folders (write to a temporary name, then rename), so a
reader never sees half an ``outputs.json``: the documents are the source of truth for an attempt's
result, even across controller restarts.
"""

from __future__ import annotations

import json
import os
import posixpath
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flowctl._errors import StoreError
from flowctl._workdir import make_folder
from flowctl.spec import Json, canonical_json

INPUTS = "inputs.json"
OUTPUTS = "outputs.json"
ERROR = "error.json"
LOGS = "logs.txt"


def _is_local(url: str) -> bool:
    return "://" not in url or url.startswith("file://")


def _local_path(url: str) -> str:
    return url[len("file://"):] if url.startswith("file://") else url


def _fs(uri: str) -> tuple[Any, str]:
    import fsspec.core

    try:
        return fsspec.core.url_to_fs(uri)  # type: ignore[no-any-return]
    except (ImportError, ValueError) as exc:
        raise StoreError(
            f"Cannot open blob store URL `{uri}`",
            detail=f"{exc}\nInstall the fsspec extra for its scheme (flowctl[s3], flowctl[gcs]) or use a local folder.",
        ) from exc


def write_bytes(uri: str, data: bytes) -> None:
    """Write ``data`` at ``uri`` (atomically for local paths), creating parent folders."""
    if _is_local(uri):
        path = Path(_local_path(uri))
        make_folder(path.parent)
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
        return
    fs, path_in_fs = _fs(uri)
    with fs.open(path_in_fs, "wb") as handle:
        handle.write(data)


def read_bytes(uri: str) -> bytes:
    if _is_local(uri):
        return Path(_local_path(uri)).read_bytes()
    fs, path_in_fs = _fs(uri)
    with fs.open(path_in_fs, "rb") as handle:
        return handle.read()  # type: ignore[no-any-return]


def exists(uri: str) -> bool:
    if _is_local(uri):
        return Path(_local_path(uri)).exists()
    fs, path_in_fs = _fs(uri)
    return bool(fs.exists(path_in_fs))


def write_json(uri: str, value: Json) -> None:
    write_bytes(uri, canonical_json(value).encode())


def read_json(uri: str) -> Json:
    return json.loads(read_bytes(uri))


def read_json_or_none(uri: str) -> Json:
    """The document at ``uri``, or None when there is none (yet)."""
    try:
        return read_json(uri)
    except FileNotFoundError:
        return None


def join(base: str, *parts: str) -> str:
    """Join URL/path segments with ``/`` (never the OS separator: URIs are shared with clusters)."""
    base = base.rstrip("/") if base not in ("/", "") else base
    return posixpath.join(base, *parts)


@dataclass(frozen=True)
class AttemptPaths:
    """Where one attempt's documents live."""

    prefix: str

    @property
    def inputs(self) -> str:
        return join(self.prefix, INPUTS)

    @property
    def outputs(self) -> str:
        return join(self.prefix, OUTPUTS)

    @property
    def error(self) -> str:
        return join(self.prefix, ERROR)

    @property
    def logs(self) -> str:
        return join(self.prefix, LOGS)


class BlobStore:
    """A blob store rooted at ``url`` (a folder or an fsspec URL)."""

    def __init__(self, url: str) -> None:
        if _is_local(url):
            url = str(Path(_local_path(url)).resolve())
        self.url = url

    def uri(self, *parts: str) -> str:
        return join(self.url, *parts)

    def attempt(self, project: str, domain: str, execution: str, node: str, attempt: int) -> AttemptPaths:
        return AttemptPaths(self.uri(project, domain, execution, _safe(node), str(attempt)))

    def execution_prefix(self, project: str, domain: str, execution: str) -> str:
        return self.uri(project, domain, execution)


def _safe(segment: str) -> str:
    """Node ids may carry paths (``sub/n1``); keep one folder level per node."""
    return segment.replace("/", "__")
