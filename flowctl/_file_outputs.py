"""Files and folders a task returns move into the blob store, so the next attempt can read them
wherever it runs (another process, another pod): the value becomes the blob URL.

Only local paths are moved; a ``FlowFile("s3://...")`` a task returns is already shared. Files are
found at the top level of outputs and inside lists and dicts of them; inside unions and
dataclasses they are left as they are (documented limitation).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from flowctl import _blobstore as blobs
from flowctl._files import replacing, writing
from flowctl._task_data import TaskData, output_types
from flowctl._workdir import make_folder
from flowctl.spec._canonical import Json

if TYPE_CHECKING:
    from flowctl.spec import TaskSpec


def store_file_outputs(task: TaskSpec | TaskData, outputs: dict[str, Json], prefix: str) -> dict[str, Json]:
    """``outputs`` with every local file/folder path replaced by its copy under ``prefix/files/``."""
    stored = dict(outputs)
    for name, type_json in output_types(task):
        if name in stored:
            stored[name] = _store(type_json, stored[name], blobs.join(prefix, "files", name))
    return stored


def _store(spec: Json, value: Json, target: str) -> Json:
    """``spec`` is a TypeSpec's JSON (``{"kind": ..., "args": [...]}``)."""
    kind = spec.get("kind") if isinstance(spec, dict) else None
    if kind in ("file", "directory") and isinstance(value, str):
        return _upload(value, target, directory=kind == "directory")
    if kind == "list" and isinstance(value, list):
        return [_store(spec["args"][0], item, blobs.join(target, str(i))) for i, item in enumerate(value)]
    if kind == "map" and isinstance(value, dict):
        return {key: _store(spec["args"][0], item, blobs.join(target, key)) for key, item in value.items()}
    return value


def _upload(path: str, target: str, *, directory: bool) -> str:
    if "://" in path and not path.startswith("file://"):
        return path  # already in a shared store
    local = Path(path.removeprefix("file://"))
    if not local.exists():
        return path  # the task named a path it did not write: left for the consumer to report
    destination = blobs.join(target, local.name)
    what = f"the {'folder' if directory else 'file'} output {local.name}"
    with writing(destination, what, elsewhere=blobs.ELSEWHERE):
        if blobs._is_local(destination):  # the blob store is a local folder
            copy = Path(blobs._local_path(destination))
            make_folder(copy.parent)
            _copy_whole(local, copy, directory=directory, what=what)
            return os.fspath(copy)
        fs, remote = blobs._fs(destination)
        fs.put(os.fspath(local), remote, recursive=directory)
    return destination


def _copy_whole(source: Path, copy: Path, *, directory: bool, what: str) -> None:
    """Copy into a temporary sibling, then rename it into place: never half a file or folder."""
    import shutil

    with replacing(copy, what, elsewhere=blobs.ELSEWHERE) as tmp:
        if directory:
            shutil.copytree(source, tmp)
            if copy.is_dir():  # a copy from an earlier try of the same attempt
                shutil.rmtree(copy)
        else:
            shutil.copyfile(source, tmp)
