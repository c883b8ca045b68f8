"""Files and folders a task returns move into the blob store, so the next attempt can read them
wherever it runs (another process, another pod): the value becomes the blob URL.

Only local paths are moved; a ``FlowFile("s3://...")`` a task returns is already shared. Files are
found at the top level of outputs and inside lists and dicts of them; inside unions and
dataclasses they are left as they are (documented limitation).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from flowctl import _blobstore as blobs
from flowctl._workdir import make_folder
from flowctl.spec import Json, TaskSpec, TypeSpec


def store_file_outputs(task: TaskSpec, outputs: dict[str, Json], prefix: str) -> dict[str, Json]:
    """``outputs`` with every local file/folder path replaced by its copy under ``prefix/files/``."""
    stored = dict(outputs)
    for output in task.interface.outputs:
        if output.name in stored:
            stored[output.name] = _store(output.type, stored[output.name], blobs.join(prefix, "files", output.name))
    return stored


def _store(spec: TypeSpec, value: Json, target: str) -> Json:
    if spec.kind in ("file", "directory") and isinstance(value, str):
        return _upload(value, target, directory=spec.kind == "directory")
    if spec.kind == "list" and isinstance(value, list):
        return [_store(spec.args[0], item, blobs.join(target, str(i))) for i, item in enumerate(value)]
    if spec.kind == "map" and isinstance(value, dict):
        return {key: _store(spec.args[0], item, blobs.join(target, key)) for key, item in value.items()}
    return value


def _upload(path: str, target: str, *, directory: bool) -> str:
    if "://" in path and not path.startswith("file://"):
        return path  # already in a shared store
    local = Path(path.removeprefix("file://"))
    if not local.exists():
        return path  # the task named a path it did not write: left for the consumer to report
    destination = blobs.join(target, local.name)
    if blobs._is_local(destination):  # the blob store is a local folder
        copy = Path(blobs._local_path(destination))
        make_folder(copy.parent)
        if directory:
            shutil.copytree(local, copy, dirs_exist_ok=True)
        else:
            shutil.copyfile(local, copy)
        return os.fspath(copy)
    fs, remote = blobs._fs(destination)
    fs.put(os.fspath(local), remote, recursive=directory)
    return destination
