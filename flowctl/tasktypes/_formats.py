"""How typed values become files (container and shell inputs) and files become values (outputs).

One file per value, named after the input or output:

==========================================  ====================================================
type                                        file content
==========================================  ====================================================
``str``, ``datetime``, ``date``,            the text itself (ISO 8601 for times, the value for
``timedelta``, ``Enum``                     an enum); on read one trailing newline is dropped
``int``, ``float``, ``bool``                the number as text, ``true``/``false`` (read:
                                            surrounding whitespace ignored; bool also accepts
                                            ``1``/``0``/``yes``/``no``)
``bytes``                                   the raw bytes
``FlowFile``                                the file itself (copied; URLs fetched with fsspec)
``FlowDirectory``                           a folder with the directory's files
``list``, ``dict``, structs, unions,        JSON (UTF-8); an ``Optional[...]`` output whose
``Optional``, data frames, ``Any``          file is missing is ``None``
==========================================  ====================================================
"""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path

from flowctl._errors import ExecutionError
from flowctl._files import PUBLIC_MODE, replacing, write_atomic
from flowctl.spec import Json, TypeSpec

TEXT_KINDS = frozenset({"str", "datetime", "date", "timedelta", "enum"})
NUMBER_KINDS = frozenset({"int", "float", "bool"})
PATH_KINDS = frozenset({"file", "directory"})


def text_of(spec: TypeSpec, value: Json) -> str:
    """The text of a value as templates show it: plain text for scalars, compact JSON otherwise.

    File and folder inputs are shown as their path (the caller passes the local copy's path)."""
    if spec.kind in TEXT_KINDS or spec.kind in PATH_KINDS:
        return str(value)
    if spec.kind == "bytes":
        return base64.b64decode(str(value)).decode("utf-8", errors="replace")
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def write_input(folder: Path, name: str, spec: TypeSpec, value: Json) -> Path:
    """Write one input into ``folder`` as described in the module docstring; return its path.

    Whole or not at all (``flowctl._files``): the task never reads half an input. The files are
    readable as ``open(path, "w")`` makes them: a task container may run as another user."""
    target = folder / name
    what = f"the input `{name}` of the task"
    if spec.kind == "bytes":
        write_atomic(target, base64.b64decode(str(value)), what=what, mode=PUBLIC_MODE)
    elif spec.kind == "file":
        _copy_file(str(value), target, what)
    elif spec.kind == "directory":
        _copy_tree(str(value), target, what)
    else:
        write_atomic(target, text_of(spec, value).encode("utf-8"), what=what, mode=PUBLIC_MODE)
    return target


def _copy_file(source: str, target: Path, what: str) -> None:
    with replacing(target, what) as tmp:
        if "://" in source and not source.startswith("file://"):
            import fsspec

            fs, path = fsspec.core.url_to_fs(source)
            fs.get_file(path, str(tmp))
        else:
            shutil.copyfile(source.removeprefix("file://"), tmp)


def _copy_tree(source: str, target: Path, what: str) -> None:
    with replacing(target, what) as tmp:
        if "://" in source and not source.startswith("file://"):
            import fsspec

            fs, root = fsspec.core.url_to_fs(source)
            fs.get(root.rstrip("/") + "/", str(tmp), recursive=True)
        else:
            shutil.copytree(source.removeprefix("file://"), tmp)


def read_output(path: Path, spec: TypeSpec, *, what: str) -> Json:
    """The JSON value of an output file; raises ExecutionError naming ``what`` when it cannot be read."""
    nullable = spec.kind == "none" or (spec.kind == "union" and any(a.kind == "none" for a in spec.args))
    if not path.exists():
        if nullable:
            return None
        raise ExecutionError(f"{what} was not written", detail=f"Expected a file at {path}.")
    if spec.kind in PATH_KINDS:
        if (spec.kind == "file") != path.is_file():
            raise ExecutionError(f"{what} must be a {'file' if spec.kind == 'file' else 'folder'}: {path}")
        return str(path.resolve())
    if spec.kind == "bytes":
        return base64.b64encode(path.read_bytes()).decode("ascii")
    text = path.read_text(encoding="utf-8")
    if spec.kind in TEXT_KINDS:
        return text[:-1] if text.endswith("\n") else text
    stripped = text.strip()
    if spec.kind == "bool":
        truth = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}
        if stripped.lower() not in truth:
            raise ExecutionError(f"{what} is not a bool: {stripped[:80]!r}", detail="Write true or false.")
        return truth[stripped.lower()]
    try:
        value: Json = json.loads(stripped)
    except ValueError:
        if spec.kind == "union" and any(a.kind in TEXT_KINDS for a in spec.args):
            return text[:-1] if text.endswith("\n") else text
        raise ExecutionError(f"{what} is not valid {spec} text/JSON: {stripped[:80]!r}") from None
    if spec.kind == "float" and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    return value
