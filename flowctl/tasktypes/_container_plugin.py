"""The built-in ``container`` task type: checks a container task's templates and runs its command.

A :class:`~flowctl.tasktypes.ContainerTask` (``_container``) declares the task; this is what the
registry knows it by (its imports point down, to the formats, the template and the Job rewrite).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flowctl._errors import Diagnostic
from flowctl.spec import Json, TaskSpec
from flowctl.tasktypes._formats import PATH_KINDS, read_output, text_of, write_input
from flowctl.tasktypes._process import run_process
from flowctl.tasktypes._template import DIR_VARIABLES, references, render

if TYPE_CHECKING:
    from flowctl.providers._interface import SubmitRequest

TASK_TYPE = "container"
DEFAULT_INPUTS_DIR = "/var/inputs"
DEFAULT_OUTPUTS_DIR = "/var/outputs"


def _parts(config: Mapping[str, Json]) -> list[tuple[str, str]]:
    parts = [(f"command[{i}]", str(v)) for i, v in enumerate(config.get("command") or [])]
    return parts + [(f"arguments[{i}]", str(v)) for i, v in enumerate(config.get("arguments") or [])]


class ContainerPlugin:
    """The built-in ``container`` task type."""

    task_type = TASK_TYPE

    def check(self, spec: TaskSpec, *, source: str) -> list[Diagnostic]:
        found: list[Diagnostic] = []
        what = f"container task `{spec.name}`"
        inputs = {i.name for i in spec.interface.inputs}
        refs = references(_parts(spec.config))
        used_inputs = {r.input_name for r in refs if r.input_name}
        for ref in refs:
            if ref.input_name in inputs or ref.text in DIR_VARIABLES:
                continue
            hint = (f"`{ref.input_name}` is not an input; inputs: {', '.join(sorted(inputs)) or '(none)'}."
                    if ref.input_name else "Known variables: {{ .inputs.<name> }}, {{ .inputs_dir }}, {{ .outputs_dir }}.")
            found.append(Diagnostic(f"Unknown template variable `{{{{ .{ref.text} }}}}` in {ref.where} of {what}",
                                    hint, source))
        texts = {r.text for r in refs}
        if "inputs_dir" not in texts:
            for name in sorted(inputs - used_inputs):
                found.append(Diagnostic(
                    f"Input `{name}` of {what} is not used by its command or arguments",
                    "Pass it with {{ .inputs." + name + " }}, or read the file {{ .inputs_dir }}/" + name
                    + "; otherwise remove the input.", source, severity="warning"))
        if spec.interface.outputs and "outputs_dir" not in texts:
            names = ", ".join(o.name for o in spec.interface.outputs)
            out_dir = spec.config.get("output_data_dir", DEFAULT_OUTPUTS_DIR)
            found.append(Diagnostic(
                f"Outputs ({names}) of {what} are never written: the command does not use {{{{ .outputs_dir }}}}",
                f"Write each output to {{{{ .outputs_dir }}}}/<name>. (An image that writes {out_dir} itself works "
                "on Kubernetes only; local runs give the command a different folder.)", source, severity="warning"))
        return found

    def execute(self, spec: TaskSpec, inputs: dict[str, Json], workdir: Path) -> dict[str, Json]:
        what = f"container task `{spec.name}`"
        in_dir, out_dir = workdir / "inputs", workdir / "outputs"
        in_dir.mkdir(parents=True, exist_ok=True)
        out_dir.mkdir(parents=True, exist_ok=True)
        values = {"inputs_dir": str(in_dir), "outputs_dir": str(out_dir)}
        for item in spec.interface.inputs:
            if item.name not in inputs:
                continue
            path = write_input(in_dir, item.name, item.type, inputs[item.name])
            shown = str(path) if item.type.kind in PATH_KINDS else text_of(item.type, inputs[item.name])
            values[f"inputs.{item.name}"] = shown
        argv = [render(str(part), values) for part in [*spec.config.get("command", []), *spec.config.get("arguments", [])]]
        image = spec.config.get("image")
        run_process(argv, cwd=workdir, environment=spec.environment, timeout=spec.timeout_seconds, what=what,
                    hint=f"On local runs the command runs on this machine (the image `{image}` is recorded, "
                    "not pulled): install the program, or run on Kubernetes.")
        return {o.name: read_output(out_dir / o.name, o.type, what=f"Output `{o.name}` of {what}")
                for o in spec.interface.outputs}

    def adapt_kubernetes_job(self, job: dict[str, Any], spec: TaskSpec, request: SubmitRequest) -> dict[str, Any]:
        from flowctl.tasktypes._k8s import container_task_job  # only the Kubernetes provider needs it

        return container_task_job(job, spec, inputs_uri=request.inputs_uri)
