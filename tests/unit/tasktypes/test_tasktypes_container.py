"""ContainerTask: declaration checks (file:line), spec and digest, local execution as a process."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from flowctl import Resources, Secret
from flowctl._errors import ExecutionError, ManifestError
from flowctl.sdk import TaskDefinition, definition_of
from flowctl.tasktypes import ContainerTask, PluginTaskDefinition

HERE = Path(__file__).name
PY = sys.executable


def _line() -> int:
    return sys._getframe(1).f_lineno


def rect() -> ContainerTask:
    return ContainerTask(
        "rect", image="python:3.12-slim",
        command=[PY, "-c", "import sys, pathlib; pathlib.Path(sys.argv[3], 'area').write_text(str(int(sys.argv[1]) * int(sys.argv[2])))"],
        arguments=["{{ .inputs.w }}", "{{.inputs.h}}", "{{ .outputs_dir }}"],
        inputs={"w": int, "h": int}, outputs={"area": int},
        requests=Resources(cpu="1"), environment={"A": "1"}, secret_requests=["db/password"], retries=2, timeout=30,
    )


def test_a_container_task_is_a_task_definition_with_a_container_spec() -> None:
    task = rect()
    definition = definition_of(task)
    assert isinstance(definition, TaskDefinition) and isinstance(definition, PluginTaskDefinition)
    spec = task.spec
    assert spec.task_type == "container" and spec.name == "rect" and spec.code is None
    assert spec.config["image"] == "python:3.12-slim"
    assert spec.config["arguments"] == ["{{ .inputs.w }}", "{{.inputs.h}}", "{{ .outputs_dir }}"]
    assert spec.config["source"].startswith(f"tests/unit/tasktypes/{HERE}:") or HERE in spec.config["source"]
    assert spec.retries == 2 and spec.timeout_seconds == 30.0 and spec.requests.cpu == "1"
    assert spec.environment == {"A": "1"} and spec.secret_requests[0].group == "db"
    assert [i.name for i in spec.interface.inputs] == ["w", "h"] and spec.interface.outputs[0].name == "area"
    assert definition.warnings == ()


def test_the_digest_covers_image_and_command_but_not_the_location() -> None:
    a = rect()
    moved = ContainerTask("rect", image="python:3.12-slim", command=a.spec.config["command"],
                          arguments=a.spec.config["arguments"], inputs={"w": int, "h": int}, outputs={"area": int},
                          requests=Resources(cpu="1"), environment={"A": "1"}, secret_requests=["db/password"],
                          retries=2, timeout=30)
    assert moved.spec.config["source"] != a.spec.config["source"]
    assert moved.spec.digest() == a.spec.digest()
    other = ContainerTask("rect", image="python:3.13-slim", command=a.spec.config["command"],
                          arguments=a.spec.config["arguments"], inputs={"w": int, "h": int}, outputs={"area": int},
                          requests=Resources(cpu="1"), environment={"A": "1"}, secret_requests=[Secret("db", "password")],
                          retries=2, timeout=30)
    assert other.spec.digest() != a.spec.digest()


def test_runs_locally_as_a_process_outside_a_workflow() -> None:
    assert rect()(w=3, h=4) == 12


def test_several_outputs_come_back_as_a_named_tuple(tmp_path: Path) -> None:
    task = ContainerTask(
        "split", image="busybox",
        command=["sh", "-c", 'echo "$0" | cut -d, -f1 > "$1/first"; echo "$0" | cut -d, -f2 > "$1/second"'],
        arguments=["{{ .inputs.text }}", "{{ .outputs_dir }}"], inputs={"text": str}, outputs={"first": str, "second": str},
    )
    result = task(text="a,b")
    assert (result.first, result.second) == ("a", "b")


def test_inputs_are_files_in_the_inputs_folder() -> None:
    task = ContainerTask(
        "files", image="busybox", command=["sh", "-c", 'cat "$0/xs" > "$1/copy"; cat "$0/name" >> "$1/copy"'],
        arguments=["{{ .inputs_dir }}", "{{ .outputs_dir }}"], inputs={"xs": list[int], "name": str}, outputs={"copy": str},
    )
    assert task(xs=[1, 2], name="bob") == "[1,2]bob"


def test_a_non_zero_exit_fails_with_stderr() -> None:
    task = ContainerTask("fails", image="busybox", command=["sh", "-c", "echo broken pipe >&2; exit 4"])
    with pytest.raises(ExecutionError) as info:
        task()
    assert "container task `fails` exited with status 4" in str(info.value) and "broken pipe" in str(info.value)


def test_a_missing_output_file_is_named() -> None:
    task = ContainerTask("lazy", image="busybox", command=["sh", "-c", "true {{ .outputs_dir }}"], outputs={"n": int})
    with pytest.raises(ExecutionError, match="Output `n` of container task `lazy` was not written"):
        task()


def test_a_missing_program_says_the_image_is_not_pulled_locally() -> None:
    task = ContainerTask("nope", image="ghcr.io/x/y:1", command=["flowctl-no-such-program-xyz"])
    with pytest.raises(ExecutionError, match="was not found") as info:
        task()
    assert "ghcr.io/x/y:1" in str(info.value) and "not pulled" in str(info.value)


def test_unknown_template_variables_are_errors_at_the_declaration() -> None:
    with pytest.raises(ManifestError) as info:
        line = _line() + 1
        ContainerTask("bad", image="busybox", command=["echo", "{{ .inputs.nme }}", "{{ .outputs }}"], inputs={"name": str})
    text = str(info.value)
    assert f"{HERE}:{line}" in text
    assert "Unknown template variable `{{ .inputs.nme }}` in command[1]" in text and "inputs: name" in text
    assert "Unknown template variable `{{ .outputs }}` in command[2]" in text


def test_unused_inputs_and_unwritten_outputs_are_warnings() -> None:
    task = ContainerTask("warn", image="busybox", command=["echo", "hi"], inputs={"x": int}, outputs={"y": int})
    warnings = definition_of(task).warnings  # type: ignore[union-attr]
    assert [w.severity for w in warnings] == ["warning", "warning"]
    assert "Input `x` of container task `warn` is not used" in warnings[0].summary
    assert "never written" in warnings[1].summary and HERE in warnings[1].source
    quiet = ContainerTask("quiet", image="busybox", command=["ls", "{{ .inputs_dir }}", "{{ .outputs_dir }}"],
                          inputs={"x": int}, outputs={"y": int})
    assert definition_of(quiet).warnings == ()  # type: ignore[union-attr]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"image": "", "command": ["x"]}, "needs an image reference"),
    ({"image": "a", "command": "echo hi"}, "must be a list of strings"),
    ({"image": "a", "command": []}, "has an empty command"),
    ({"image": "a", "command": ["x"], "inputs": {"bad name": int}}, "is not a valid identifier"),
    ({"image": "a", "command": ["x"], "inputs": {"x": object}}, "unsupported type"),
    ({"image": "a", "command": ["x"], "retries": -1}, "Invalid retries"),
    ({"image": "a", "command": ["x"], "input_data_dir": "rel"}, "must be an absolute path"),
])
def test_invalid_declarations_are_reported_at_the_call(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ManifestError, match=message) as info:
        ContainerTask("t", **kwargs)  # type: ignore[arg-type]
    assert HERE in info.value.diagnostics[0].source


def test_an_invalid_name_is_reported() -> None:
    with pytest.raises(ManifestError, match="invalid name"):
        ContainerTask("has space", image="a", command=["x"])


def test_task_objects_are_immutable() -> None:
    task = rect()
    with pytest.raises(AttributeError, match="immutable"):
        task.spec = None  # type: ignore[misc]


def test_task_objects_wire_into_workflows_with_type_checks() -> None:
    import tasktype_wiring_flows as flows

    from flowctl._errors import CompileError
    from flowctl.sdk import compile_entity

    compiled = compile_entity(flows.good)
    assert compiled.tasks["measure"].task_type == "container" and compiled.tasks["label"].task_type == "shell"
    assert [n.target for n in compiled.spec.nodes] == ["measure", "label"]  # type: ignore[union-attr]
    lines = Path(flows.__file__).read_text().splitlines()
    for wf, needle, message in ((flows.bad_type, "label(n=name())", "Type mismatch: input `n` of task `label` has type `int`"),
                                (flows.bad_input, "label(m=measure())", "task `label` has no input `m`")):
        with pytest.raises(CompileError) as info:
            compile_entity(wf)
        line = next(i for i, text in enumerate(lines, 1) if needle in text)
        assert message in info.value.diagnostics[0].summary
        assert info.value.diagnostics[0].source.endswith(f"tasktype_wiring_flows.py:{line}")


def test_a_task_object_compiles_on_its_own() -> None:
    from flowctl.sdk import compile_entity

    compiled = compile_entity(rect())
    assert compiled.name == "rect" and compiled.spec.task_type == "container"  # type: ignore[union-attr]
