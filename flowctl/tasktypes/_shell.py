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
non-zero exit fails the task with the script's stderr in the error.
"""

from __future__ import annotations

import shlex
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flowctl._errors import Diagnostic
from flowctl._files import PUBLIC_MODE, write_atomic
from flowctl.sdk._options import Cache, Resources, Secret
from flowctl.sdk._source import display_path, frame_location
from flowctl.spec import Json, TaskSpec
from flowctl.tasktypes._formats import read_output, write_input
from flowctl.tasktypes._options import Problems, caller_module, define_task
from flowctl.tasktypes._plugin import PluginTask
from flowctl.tasktypes._process import run_process

if TYPE_CHECKING:
    import jinja2

TASK_TYPE = "shell"
GLOBALS = ("inputs", "outputs", "outputs_dir", "workdir")


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


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    import jinja2

    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False,
                             comment_start_string="{##", comment_end_string="##}")
    env.filters["quote"] = lambda value: shlex.quote(str(value))
    return env


def _located(spec: TaskSpec, source: str, lineno: int | None) -> tuple[str, str]:
    """(source, detail suffix) of a line of the script: the script file's line, else the declaration."""
    script_file = spec.config.get("script_file")
    if script_file and lineno:
        path = Path(str(script_file))
        if not path.is_absolute():
            path = Path(source.rpartition(":")[0]).parent / path
        return f"{display_path(str(path))}:{lineno}", ""
    return source, (f" (line {lineno} of the script)" if lineno else "")


class ShellPlugin:
    """The built-in ``shell`` task type."""

    task_type = TASK_TYPE

    def check(self, spec: TaskSpec, *, source: str) -> list[Diagnostic]:
        import jinja2
        from jinja2 import meta, nodes

        what = f"shell task `{spec.name}`"
        script = str(spec.config.get("script", ""))
        try:
            tree = _environment().parse(script)
        except jinja2.TemplateSyntaxError as exc:
            where, suffix = _located(spec, source, exc.lineno)
            return [Diagnostic(f"Jinja2 syntax error in the script of {what}{suffix}: {exc.message}", "", where)]
        found: list[Diagnostic] = []
        inputs = {i.name for i in spec.interface.inputs}
        outputs = {o.name for o in spec.interface.outputs}
        for name in sorted(meta.find_undeclared_variables(tree) - set(GLOBALS)):
            line = next((n.lineno for n in tree.find_all(nodes.Name) if n.name == name), None)
            where, suffix = _located(spec, source, line)
            found.append(Diagnostic(f"Unknown template variable `{name}` in the script of {what}{suffix}",
                                    f"Known variables: {', '.join(GLOBALS)} (e.g. {{{{ inputs.x }}}}).", where))
        used: dict[str, set[str]] = {"inputs": set(), "outputs": set()}
        for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
            assert isinstance(node, nodes.Getattr | nodes.Getitem)
            base = node.node
            if not isinstance(base, nodes.Name) or base.name not in used:
                continue
            if isinstance(node, nodes.Getattr):
                key: Any = node.attr
            elif isinstance(node.arg, nodes.Const):
                key = node.arg.value
            else:
                continue
            known = inputs if base.name == "inputs" else outputs
            if key not in known:
                where, suffix = _located(spec, source, node.lineno)
                found.append(Diagnostic(
                    f"Unknown template variable `{base.name}.{key}` in the script of {what}{suffix}",
                    f"{base.name.capitalize()}: {', '.join(sorted(known)) or '(none)'}.", where))
            used[base.name].add(str(key))
        whole_inputs = any(n.name == "inputs" for n in _bare_names(tree))
        if not whole_inputs:
            for name in sorted(inputs - used["inputs"]):
                found.append(Diagnostic(f"Input `{name}` of {what} is not used by its script",
                                        f"Use it as {{{{ inputs.{name} }}}}, or remove the input.", source,
                                        severity="warning"))
        locations = spec.config.get("output_locations") or {}
        assert isinstance(locations, dict)
        writes_dir = any(n.name in ("outputs_dir", "outputs") for n in _bare_names(tree))
        for name in sorted(outputs - used["outputs"]):
            location = locations.get(name)
            if location is not None and ("{{" in location or location in script):
                continue  # a templated location is not statically visible; a literal one is in the script
            if location is None and writes_dir:
                continue  # the script writes into {{ outputs_dir }} (or passes {{ outputs }} around)
            target = location or f"{{{{ outputs.{name} }}}}"
            found.append(Diagnostic(f"Output `{name}` of {what} is never written by its script",
                                    f"Write it to {target}.", source))
        return found

    def execute(self, spec: TaskSpec, inputs: dict[str, Json], workdir: Path) -> dict[str, Json]:
        what = f"shell task `{spec.name}`"
        workdir.mkdir(parents=True, exist_ok=True)
        out_dir = workdir / "outputs"
        out_dir.mkdir(exist_ok=True)
        values: dict[str, Any] = {}
        for item in spec.interface.inputs:
            value = inputs.get(item.name)
            if item.type.kind in ("file", "directory") and isinstance(value, str) and "://" in value \
                    and not value.startswith("file://"):
                (workdir / "inputs").mkdir(exist_ok=True)
                value = str(write_input(workdir / "inputs", item.name, item.type, value))
            values[item.name] = value
        env = _environment()
        context: dict[str, Any] = {"inputs": values, "outputs_dir": str(out_dir), "workdir": str(workdir)}
        locations = spec.config.get("output_locations") or {}
        assert isinstance(locations, dict)
        out_paths: dict[str, Path] = {}
        for out in spec.interface.outputs:
            location = locations.get(out.name)
            path = workdir / env.from_string(location).render(context) if location else out_dir / out.name
            out_paths[out.name] = path
        context["outputs"] = {name: str(path) for name, path in out_paths.items()}
        script_path = workdir / "script.sh"
        script = env.from_string(str(spec.config.get("script", ""))).render(context)
        write_atomic(script_path, script.encode("utf-8"), what=f"the script of {what}", mode=PUBLIC_MODE)
        shell = str(spec.config.get("shell") or "bash")
        argv = [shell, "-e", *(["-o", "pipefail"] if shell == "bash" else []), str(script_path)]
        if shutil.which(shell) is None:
            argv[0] = "sh" if shell == "bash" and shutil.which("sh") else shell
            argv = [a for a in argv if a not in ("-o", "pipefail")] if argv[0] == "sh" else argv
        run_process(argv, cwd=workdir, environment=spec.environment, timeout=spec.timeout_seconds, what=what)
        return {name: read_output(path, next(o.type for o in spec.interface.outputs if o.name == name),
                                  what=f"Output `{name}` of {what}") for name, path in out_paths.items()}


def _bare_names(tree: Any) -> list[Any]:
    """Names used other than as ``name.attr`` / ``name["key"]`` (e.g. ``{% for k in inputs %}``)."""
    from jinja2 import nodes

    wrapped = {id(n.node) for n in tree.find_all((nodes.Getattr, nodes.Getitem))}
    return [n for n in tree.find_all(nodes.Name) if id(n) not in wrapped]
