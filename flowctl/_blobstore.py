"""The blob store: task inputs, outputs, error documents, logs and code bundles, through fsspec.

A local folder by default (``.flowctl/blobs``), any fsspec URL by configuration (``s3://``,
``gs://`` with the extras). Execution data is laid out as
``{project}/{domain}/{execution}/{node}/{attempt}/`` (``inputs.json``, ``outputs.json`` or
``error.json``, ``logs.txt``); bundles live under ``bundles/{sha256}.tar.gz``.

Writes of small documents are atomic on local folders (write to a temporary name, then rename), so a
reader never sees half an ``outputs.json``: the documents are the source of truth for an attempt's
result, even across controller restarts. Local folders are created 0700 and files 0600.

Keys are built only from checked parts: :func:`join` refuses empty and absolute parts, ``..``
segments and control characters; :class:`BlobStore` builds execution paths from names checked by
``flowctl._names`` and, on a local folder, refuses any key that resolves (through symbolic links)
outside its root.
"""

from __future__ import annotations

import json
import os
import posixpath
import re
from pathlib import Path
from typing import Any

from flowctl._errors import InputError, StoreError
from flowctl._files import write_private, writing
from flowctl._record import record
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


ELSEWHERE = "Or set blob_store.url (FLOWCTL_BLOB_STORE) to a folder (or bucket) that has room and that you can write."
_WHAT = {INPUTS: "the task inputs", OUTPUTS: "the task outputs", ERROR: "the task error document",
         LOGS: "the task logs", "task.json": "the task spec"}


def describe(uri: str) -> str:
    """What the blob at ``uri`` is, for messages: "the code bundle", "the task outputs"..."""
    name = uri.rsplit("/", 1)[-1]
    if "/bundles/" in uri:
        return "the code bundle"
    if "/files/" in uri:
        return "a file output of the task"
    return _WHAT.get(name, f"the blob store document {name}")


def write_bytes(uri: str, data: bytes) -> None:
    """Write ``data`` at ``uri`` (atomically for local paths), creating parent folders.

    Any OS error (a full disk, a read-only folder, a bucket refusing the write) is one WriteError
    naming the blob (``flowctl._files.writing``)."""
    if _is_local(uri):
        write_private(Path(_local_path(uri)), data, what=describe(uri), elsewhere=ELSEWHERE)
        return
    with writing(uri, describe(uri), elsewhere=ELSEWHERE):
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


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _key_problem(part: str) -> str | None:
    if not isinstance(part, str) or not part:
        return "an empty part"
    if part.startswith("/"):
        return "an absolute path"
    if _CONTROL.search(part):
        return "a control character (NUL, newline...)"
    if any(segment in ("..", ".") for segment in part.split("/")):
        return "a '.' or '..' segment"
    return None


def join(base: str, *parts: str) -> str:
    """Join URL/path segments with ``/`` (never the OS separator: URIs are shared with clusters).

    Each part stays below ``base``: empty or absolute parts, ``.``/``..`` segments and control
    characters are refused (InputError)."""
    for part in parts:
        problem = _key_problem(part)
        if problem:
            raise InputError(
                f"Refused blob store key {part!r} under {base}: it contains {problem}",
                detail="Blob store keys are built from project, domain, execution and node names; "
                "check the names you gave.",
            )
    base = base.rstrip("/") if base not in ("/", "") else base
    return posixpath.join(base, *parts)


@record(frozen=True)
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
        self.local = _is_local(url)
        if self.local:
            url = str(Path(_local_path(url)).resolve())
        self.url = url

    def uri(self, *parts: str) -> str:
        """The key ``parts`` below the root; on a local folder it must resolve inside the root."""
        joined = join(self.url, *parts)
        if self.local:
            real = os.path.realpath(joined)
            if real != self.url and not real.startswith(self.url.rstrip("/") + "/"):
                raise InputError(
                    f"Refused blob store key {'/'.join(parts)!r}: it resolves to {real}, outside the blob store {self.url}",
                    detail="A symbolic link inside the blob store points outside it; remove the link.",
                )
        return joined

    def attempt(self, project: str, domain: str, execution: str, node: str, attempt: int) -> AttemptPaths:
        return AttemptPaths(self.uri(*execution_parts(project, domain, execution), _safe(node), str(attempt)))

    def execution_prefix(self, project: str, domain: str, execution: str) -> str:
        return self.uri(*execution_parts(project, domain, execution))


def execution_parts(project: str, domain: str, execution: str) -> tuple[str, str, str]:
    """The key parts of an execution's folder, each checked by its name rule (InputError)."""
    from flowctl import (
        _names,  # the controller's side: an attempt is given its URIs and never loads the rules
    )

    _names.validate_project_domain(project, domain)
    _names.validate_execution_name(execution)
    return project, domain, execution


def _safe(node: str) -> str:
    """Node ids may carry paths (``sub/n1``); keep one folder level per node."""
    from flowctl import _names

    _names.validate_node_id(node)
    return node.replace("/", "__")
