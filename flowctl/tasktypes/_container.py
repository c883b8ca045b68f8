"""``ContainerTask``: run any image, with typed inputs and outputs passed as files.

Layout inside the container (Kubernetes; paths configurable)::

    /var/inputs/<input name>    one file per input (formats: flowctl.tasktypes._formats)
    /var/outputs/<output name>  one file per output, written by the command

The command and arguments may use ``{{ .inputs.x }}`` (the value as text; for a file input the
path of its copy), ``{{ .inputs_dir }}`` and ``{{ .outputs_dir }}``. On local runs the command
runs as a process on this machine in a fresh work folder (``inputs/``, ``outputs/`` under it);
the image is recorded, not pulled. What the ``container`` type checks and runs:
:mod:`flowctl.tasktypes._container_plugin`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from flowctl.sdk._options import Cache, Resources, Secret
from flowctl.sdk._source import frame_location
from flowctl.spec import Json
from flowctl.tasktypes._container_plugin import DEFAULT_INPUTS_DIR, DEFAULT_OUTPUTS_DIR, TASK_TYPE
from flowctl.tasktypes._options import Problems, caller_module, define_task
from flowctl.tasktypes._plugin import PluginTask


class ContainerTask(PluginTask):
    """A task that runs ``command + arguments`` in ``image``; no flowctl needed inside the image.

    ``ContainerTask("resize", image="alpine:3.20", command=["sh", "-c", "..."],
    arguments=["{{ .inputs.width }}"], inputs={"width": int}, outputs={"area": int})``.
    In a workflow: ``area = resize(width=3)`` (one output is returned as is; several as a
    NamedTuple of promises). Problems are reported at the line that declares the task.
    """

    __slots__ = ()

    def __init__(
        self,
        name: str,
        *,
        image: str,
        command: Sequence[str],
        arguments: Sequence[str] = (),
        inputs: Mapping[str, Any] | None = None,
        outputs: Mapping[str, Any] | None = None,
        requests: Resources | None = None,
        limits: Resources | None = None,
        environment: Mapping[str, str] | None = None,
        secret_requests: Sequence[Secret | str] = (),
        timeout: timedelta | float | None = None,
        retries: int = 0,
        cache: bool | Cache = False,
        input_data_dir: str = DEFAULT_INPUTS_DIR,
        output_data_dir: str = DEFAULT_OUTPUTS_DIR,
        labels: Mapping[str, str] | None = None,
        annotations: Mapping[str, str] | None = None,
    ) -> None:
        source = frame_location(1)
        problems = Problems()
        what = f"container task `{name}`"
        if not isinstance(image, str) or not image.strip() or any(c.isspace() for c in image):
            problems.add(f"{what} needs an image reference, got {image!r}", 'e.g. image="alpine:3.20".')
        argv: dict[str, list[str]] = {}
        for label, value in (("command", command), ("arguments", arguments)):
            if isinstance(value, str) or not isinstance(value, Sequence) or not all(isinstance(v, str) for v in value):
                problems.add(f"`{label}` of {what} must be a list of strings, got {value!r}",
                             f'e.g. {label}=["sh", "-c", "echo hi"]; numbers must be given as text.')
                value = []
            argv[label] = list(value)
        if not argv["command"] and not problems.items:
            problems.add(f"{what} has an empty command", 'e.g. command=["python", "-c", "print(1)"].')
        for label, folder in (("input_data_dir", input_data_dir), ("output_data_dir", output_data_dir)):
            if not isinstance(folder, str) or not folder.startswith("/"):
                problems.add(f"`{label}` of {what} must be an absolute path, got {folder!r}")
        config: dict[str, Json] = {
            "image": image, "command": argv["command"], "arguments": argv["arguments"],
            "input_data_dir": input_data_dir, "output_data_dir": output_data_dir,
        }
        definition = define_task(
            TASK_TYPE, name, source=source, config=config, inputs=inputs, outputs=outputs, problems=problems,
            kind="ContainerTask", module=caller_module(), retries=retries, timeout=timeout, requests=requests,
            limits=limits, environment=environment, secret_requests=secret_requests, cache=cache, labels=labels,
            annotations=annotations,
        )
        super().__init__(definition)
