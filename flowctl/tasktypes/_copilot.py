"""The flowctl side of a container task's pod (see :mod:`flowctl.tasktypes._k8s`)::

    python -m flowctl.tasktypes._copilot download|upload --task-spec-uri URI --inputs-uri URI \\
        --outputs-uri URI [--bundle-uri URI] --blob-store URL --data-dir DIR

``download`` (init container) writes one file per input into ``DIR/inputs`` and makes
``DIR/outputs`` writable for any user. ``upload`` (sidecar) waits for ``DIR/exit_code``, then
writes ``outputs.json`` (file and folder outputs uploaded next to it, under ``files/``) or
``error.json``; it exits 0 either way, so the Job's status is the user's container's (2 when neither
can be written, a full disk: ``flowctl.entrypoint.save_failure``).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from flowctl import _blobstore as blobs
from flowctl.spec import Json, TaskSpec
from flowctl.tasktypes._formats import read_output, write_input
from flowctl.tasktypes._k8s import EXIT_FILE

POLL_SECONDS = 0.2


def _parse(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m flowctl.tasktypes._copilot")
    parser.add_argument("action", choices=("download", "upload"))
    for name in ("--task-spec-uri", "--inputs-uri", "--outputs-uri", "--blob-store", "--data-dir"):
        parser.add_argument(name, required=True)
    parser.add_argument("--bundle-uri", default=None)
    return parser.parse_args(list(argv))


def download(spec: TaskSpec, inputs: dict[str, Json], data_dir: Path) -> None:
    in_dir, out_dir = data_dir / "inputs", data_dir / "outputs"
    in_dir.mkdir(parents=True, exist_ok=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(out_dir, 0o777)  # the user's image may run as any uid
    for item in spec.interface.inputs:
        value = inputs.get(item.name, item.default)
        write_input(in_dir, item.name, item.type, value)


def wait_for_exit(data_dir: Path, *, timeout: float | None = None) -> int:
    path = data_dir / EXIT_FILE
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        text = path.read_text().strip() if path.exists() else ""
        if text:
            return int(text)
        if deadline is not None and time.monotonic() > deadline:
            raise TimeoutError(f"no {EXIT_FILE} after {timeout}s")
        time.sleep(POLL_SECONDS)


def _upload(local: Path, uri: str) -> None:
    if local.is_dir():
        for path in sorted(local.rglob("*")):
            if path.is_file():
                blobs.write_bytes(blobs.join(uri, *path.relative_to(local).parts), path.read_bytes())
    else:
        blobs.write_bytes(uri, local.read_bytes())


def upload(spec: TaskSpec, data_dir: Path, outputs_uri: str, status: int) -> dict[str, Json]:
    """Collect the outputs (raises ExecutionError when one is missing or malformed)."""
    from flowctl._errors import ExecutionError
    from flowctl.types import validate_json_against

    what = f"container task `{spec.name}`"
    if status != 0:
        raise ExecutionError(f"{what} exited with status {status}", detail="See the logs of container `task`.")
    prefix = outputs_uri.rsplit("/", 1)[0]
    outputs: dict[str, Json] = {}
    for out in spec.interface.outputs:
        path = data_dir / "outputs" / out.name
        value = read_output(path, out.type, what=f"Output `{out.name}` of {what}")
        if out.type.kind in ("file", "directory") and value is not None:
            uri = blobs.join(prefix, "files", out.name)
            _upload(path, uri)
            value = uri
        validate_json_against(out.type, value, where=f"Output `{out.name}` of {what}")
        outputs[out.name] = value
    return outputs


def main(argv: Sequence[str] | None = None) -> int:
    from flowctl._errors import FlowctlError
    from flowctl.entrypoint import error_document, save_failure, save_outputs

    args = _parse(sys.argv[1:] if argv is None else argv)
    spec = TaskSpec.model_validate(blobs.read_json(args.task_spec_uri))
    data_dir = Path(args.data_dir)
    if args.action == "download":
        inputs = blobs.read_json(args.inputs_uri) or {}
        download(spec, inputs if isinstance(inputs, dict) else {}, data_dir)
        return 0
    status = wait_for_exit(data_dir)
    try:
        outputs = upload(spec, data_dir, args.outputs_uri, status)
    except FlowctlError as exc:
        doc = error_document("user", exc.code, exc.render(), "", status == 0 or status > 0)
        sys.stderr.write(exc.render() + "\n")
        return save_failure(args.outputs_uri, doc, 0)
    return save_outputs(args.outputs_uri, outputs)


if __name__ == "__main__":
    sys.exit(main())
