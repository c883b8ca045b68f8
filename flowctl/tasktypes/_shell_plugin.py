"""The built-in ``shell`` task type: checks a shell task's Jinja2 script and runs it.

A :class:`~flowctl.tasktypes.ShellTask` (``_shell``) declares the task; this is what the registry
knows it by (Jinja2 loads on the first check or run).
"""

from __future__ import annotations

import shlex
import shutil
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flowctl._errors import Diagnostic
from flowctl._files import PUBLIC_MODE, write_atomic
from flowctl.sdk._source import display_path
from flowctl.spec import Json, TaskSpec
from flowctl.tasktypes._formats import read_output, write_input
from flowctl.tasktypes._process import run_process

if TYPE_CHECKING:
    import jinja2

TASK_TYPE = "shell"
GLOBALS = ("inputs", "outputs", "outputs_dir", "workdir")


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
