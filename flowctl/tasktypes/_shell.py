"""``ShellTask``: a typed shell script, inputs rendered with Jinja2, outputs read from files.

Template variables::

    {{ inputs.x }}        the value of input x (JSON value: text, number, list, dict; a file or
                          folder input is its local path); `{{ inputs.x | quote }}` shell-quotes it
    {{ outputs.y }}       the path the script writes output y to (see the output file formats in
                          flowctl.tasktypes._formats); defaults to {{ outputs_dir }}/y
    {{ outputs_dir }}     the folder of default output locations
    {{ workdir }}         the attempt's work folder (the script's current directory)

Jinja2 comments are ``{## ... ##}`` (not ``{# #}``, so that ``${#var}`` stays shell).
The script runs with ``bash -e -o pipefail`` (``shell="sh"``: ``sh -e``) in the work folder; a
non-zero exit fails the task with the script's stderr in the error. What the ``shell`` type checks and
runs: :mod:`flowctl.tasktypes._shell_plugin`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from flowctl.sdk._options import Cache, Resources, Secret
from flowctl.sdk._source import frame_location
from flowctl.spec import Json
from flowctl.tasktypes._options import Problems, caller_module, define_task
from flowctl.tasktypes._plugin import PluginTask
from flowctl.tasktypes._shell_plugin import TASK_TYPE


@dataclass(frozen=True)
class OutputLocation:
    """An output at a location of your choice: ``OutputLocation(FlowFile, "{{ inputs.name }}.tar.gz")``.

    ``location`` is a Jinja2 template (same variables as the script), relative to the work folder."""

    type: Any
    location: str


class ShellTask(PluginTask):
    """A shell script with typed inputs and outputs.

    ``ShellTask("count_lines", script="wc -l < {{ inputs.path | quote }} > {{ outputs.lines }}",
    inputs={"path": FlowFile}, outputs={"lines": int})``; or ``script_file="scripts/count.sh"``
    (relative to the declaring file; its text is part of the task's version).
    """

    __slots__ = ()

    def __init__(
        self,
        name: str,
        *,
        script: str | None = None,
        script_file: str | Path | None = None,
        inputs: Mapping[str, Any] | None = None,
        outputs: Mapping[str, Any] | None = None,
        shell: str = "bash",
        requests: Resources | None = None,
        limits: Resources | None = None,
        environment: Mapping[str, str] | None = None,
        secret_requests: Sequence[Secret | str] = (),
        timeout: timedelta | float | None = None,
        retries: int = 0,
        cache: bool | Cache = False,
        container_image: str | None = None,
        labels: Mapping[str, str] | None = None,
        annotations: Mapping[str, str] | None = None,
    ) -> None:
        source = frame_location(1)
        declared_in = Path(source.rpartition(":")[0]).resolve()
        problems = Problems()
        what = f"shell task `{name}`"
        text, script_path = _script_text(what, script, script_file, declared_in.parent, problems)
        if shell not in ("bash", "sh"):
            problems.add(f"`shell` of {what} must be \"bash\" or \"sh\", got {shell!r}")
        plain_outputs: dict[str, Any] = {}
        locations: dict[str, str] = {}
        for out_name, declared in (outputs or {}).items() if isinstance(outputs, Mapping) else ():
            if isinstance(declared, OutputLocation):
                plain_outputs[out_name] = declared.type
                if not isinstance(declared.location, str) or not declared.location.strip():
                    problems.add(f"OutputLocation of `{out_name}` of {what} needs a location")
                else:
                    locations[out_name] = declared.location
            else:
                plain_outputs[out_name] = declared
        config: dict[str, Json] = {"script": text, "shell": shell, "output_locations": locations}
        if script_path is not None:
            config["script_file"] = str(script_file)  # as written: relative to the declaring file
        definition = define_task(
            TASK_TYPE, name, source=source, config=config, inputs=inputs,
            outputs=plain_outputs if isinstance(outputs, Mapping) else outputs, problems=problems, kind="ShellTask",
            module=caller_module(), retries=retries, timeout=timeout, requests=requests, limits=limits, container_image=container_image,
            environment=environment, secret_requests=secret_requests, cache=cache, labels=labels,
            annotations=annotations,
        )
        super().__init__(definition)


def _script_text(what: str, script: Any, script_file: Any, base: Path, problems: Problems) -> tuple[str, Path | None]:
    if (script is None) == (script_file is None):
        problems.add(f"{what} needs exactly one of script=... or script_file=...")
        return "", None
    if script is not None:
        if not isinstance(script, str):
            problems.add(f"`script` of {what} must be text, got {type(script).__name__}")
            return "", None
        return script, None
    path = Path(script_file)
    path = path if path.is_absolute() else base / path
    try:
        return path.read_text(encoding="utf-8"), path
    except (OSError, UnicodeDecodeError) as exc:
        problems.add(f"Cannot read script_file of {what}: {exc}", "The path is relative to the file declaring the task.")
        return "", None
