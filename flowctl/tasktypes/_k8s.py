"""A container task as a Kubernetes Job: the user's image runs the command, flowctl moves the data.

The provider renders the usual Job for the attempt (one container ``task`` running the flowctl
image with ``python -m flowctl.entrypoint ...``). :func:`container_task_job` rewrites it::

    volumes:         flowctl-data (emptyDir)
    initContainers:  flowctl-inputs   flowctl image: writes one file per input into
                                      /var/flowctl/inputs (the format of flowctl.tasktypes._formats)
    containers:      task             the user's image; inputs at input_data_dir, outputs at
                                      output_data_dir (subPaths of flowctl-data); runs the rendered
                                      command through ``/bin/sh`` to record its exit status
                     flowctl-outputs  flowctl image: waits for the exit status, uploads the output
                                      files, writes outputs.json (or error.json) in the blob store

The command is rendered when the Job is made (the inputs are in the blob store by then): an
input's value replaces ``{{ .inputs.x }}`` (a file input becomes its path in input_data_dir).
The user's image needs ``/bin/sh`` (to record the exit status); nothing of flowctl.
"""

from __future__ import annotations

import copy
from typing import Any

from flowctl.spec import Json, TaskSpec
from flowctl.tasktypes._formats import PATH_KINDS, text_of
from flowctl.tasktypes._template import render

DATA_VOLUME = "flowctl-data"
DATA_DIR = "/var/flowctl"  # where the flowctl containers mount the data volume
EXIT_FILE = "exit_code"
COPILOT_MODULE = "flowctl.tasktypes._copilot"
MAIN = "task"

_WRAPPER = '"$0" "$@"; status=$?; echo "$status" > ' + DATA_DIR + "/" + EXIT_FILE + '; exit "$status"'


def rendered_argv(spec: TaskSpec, inputs: dict[str, Json]) -> list[str]:
    """The command and arguments with the inputs filled in, as the container sees them."""
    in_dir = str(spec.config.get("input_data_dir") or "/var/inputs")
    out_dir = str(spec.config.get("output_data_dir") or "/var/outputs")
    values = {"inputs_dir": in_dir, "outputs_dir": out_dir}
    for item in spec.interface.inputs:
        value = inputs.get(item.name, item.default)
        values[f"inputs.{item.name}"] = (f"{in_dir.rstrip('/')}/{item.name}" if item.type.kind in PATH_KINDS
                                         else text_of(item.type, value))
    parts = [*spec.config.get("command", []), *spec.config.get("arguments", [])]
    return [render(str(part), values) for part in parts]


def _copilot_command(base: list[str], action: str) -> list[str]:
    """``python -m flowctl.tasktypes._copilot <action> <the entrypoint's arguments>``."""
    split = next((i for i, arg in enumerate(base) if arg.startswith("--")), len(base))
    prefix, args = base[:split], base[split:]
    if prefix and prefix[-1] == "flowctl.entrypoint":
        prefix = [*prefix[:-1], COPILOT_MODULE]
    else:
        prefix = ["python", "-m", COPILOT_MODULE]
    return [*prefix, action, *args, "--data-dir", DATA_DIR]


def container_task_job(job: dict[str, Any], spec: TaskSpec, inputs: dict[str, Json] | None = None,
                       *, inputs_uri: str | None = None) -> dict[str, Any]:
    """The Job for a container task, from the Job the provider rendered for the attempt.

    ``inputs`` are the attempt's input values (read from ``inputs_uri`` when not given)."""
    if inputs is None:
        from flowctl import _blobstore as blobs

        loaded = blobs.read_json(inputs_uri) if inputs_uri else {}
        inputs = loaded if isinstance(loaded, dict) else {}
    job = copy.deepcopy(job)
    pod = job["spec"]["template"]["spec"]
    containers: list[dict[str, Any]] = pod["containers"]
    base = next(c for c in containers if c.get("name") == MAIN)
    flowctl_image = base["image"]
    entry = list(base.get("command") or []) + list(base.get("args") or [])
    in_dir = str(spec.config.get("input_data_dir") or "/var/inputs")
    out_dir = str(spec.config.get("output_data_dir") or "/var/outputs")
    data_mount = {"name": DATA_VOLUME, "mountPath": DATA_DIR}

    def helper(name: str, action: str) -> dict[str, Any]:
        container: dict[str, Any] = {
            "name": name, "image": flowctl_image, "command": _copilot_command(entry, action),
            "env": copy.deepcopy(base.get("env", [])),
            "volumeMounts": [data_mount],
            "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}},
            "terminationMessagePolicy": "FallbackToLogsOnError",  # a failure's reason: its last log line
        }
        if base.get("envFrom"):
            container["envFrom"] = copy.deepcopy(base["envFrom"])
        return container

    main = dict(base)
    main.pop("args", None)
    main["image"] = str(spec.config.get("image"))
    main["command"] = ["/bin/sh", "-c", _WRAPPER, *rendered_argv(spec, inputs)]
    main["volumeMounts"] = [
        *base.get("volumeMounts", []),
        data_mount,
        {"name": DATA_VOLUME, "mountPath": in_dir, "subPath": "inputs", "readOnly": True},
        {"name": DATA_VOLUME, "mountPath": out_dir, "subPath": "outputs"},
    ]
    pod["containers"] = [main if c is base else c for c in containers] + [helper("flowctl-outputs", "upload")]
    pod["initContainers"] = [*pod.get("initContainers", []), helper("flowctl-inputs", "download")]
    pod["volumes"] = [*pod.get("volumes", []), {"name": DATA_VOLUME, "emptyDir": {}}]
    return job
