"""ShellTask: Jinja2 rendering, outputs at declared locations, failures with stderr, compile checks."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from flowctl import FlowFile
from flowctl._errors import ExecutionError, ManifestError
from flowctl.sdk import definition_of
from flowctl.tasktypes import OutputLocation, ShellTask

HERE = Path(__file__).name


def _line() -> int:
    return sys._getframe(1).f_lineno


def test_inputs_are_rendered_and_outputs_read_from_their_files() -> None:
    task = ShellTask(
        "stats",
        script="""
        n=0
        {% for x in inputs.xs %}n=$((n + {{ x }}))
        {% endfor %}
        echo $n > {{ outputs.total }}
        printf '%s' {{ inputs.name | quote }} > {{ outputs.greeting }}
        echo "${#n}" > {{ outputs_dir }}/digits
        """,
        inputs={"xs": list[int], "name": str},
        outputs={"total": int, "greeting": str, "digits": int},
    )
    result = task(xs=[1, 2, 3], name="it's me")
    assert (result.total, result.greeting, result.digits) == (6, "it's me", 1)
    assert task.spec.task_type == "shell" and "inputs.xs" in task.spec.config["script"]


def test_outputs_at_declared_locations_and_file_outputs(tmp_path: Path) -> None:
    source = tmp_path / "in.txt"
    source.write_text("one two three\n")
    task = ShellTask(
        "archive",
        script="tr a-z A-Z < {{ inputs.src }} > {{ inputs.label }}.txt",
        inputs={"src": FlowFile, "label": str},
        outputs={"out": OutputLocation(FlowFile, "{{ inputs.label }}.txt")},
    )
    out = task(src=FlowFile(str(source)), label="upper")
    assert isinstance(out, FlowFile) and Path(out.path).name == "upper.txt"
    assert Path(out.path).read_text() == "ONE TWO THREE\n"


def test_a_non_zero_exit_fails_with_the_scripts_stderr() -> None:
    task = ShellTask("fails", script="echo first line; echo 'no such file' >&2; exit 3")
    with pytest.raises(ExecutionError) as info:
        task()
    text = str(info.value)
    assert "shell task `fails` exited with status 3" in text and "no such file" in text


def test_a_failing_command_stops_the_script() -> None:
    task = ShellTask("stops", script="false | true\nfalse\necho never > {{ outputs.x }}", outputs={"x": str})
    with pytest.raises(ExecutionError, match="exited with status 1"):
        task()


def test_script_file_is_read_at_declaration_and_part_of_the_version() -> None:
    task = ShellTask("count", script_file="scripts/good.sh", inputs={"text": str}, outputs={"words": int})
    assert task(text="a b c") == 3
    assert task.spec.config["script_file"] == "scripts/good.sh"
    assert "wc -w" in task.spec.config["script"]
    inline = ShellTask("count", script=task.spec.config["script"], inputs={"text": str}, outputs={"words": int})
    assert inline.spec.digest() != task.spec.digest()  # the script file's path is part of the spec


def test_problems_in_a_script_file_point_at_its_line() -> None:
    with pytest.raises(ManifestError) as info:
        ShellTask("count", script_file="scripts/count.sh", inputs={"text": str}, outputs={"words": int})
    diag = info.value.diagnostics[0]
    assert "Unknown template variable `inputs.missing_one`" in diag.summary
    assert diag.source.endswith("scripts/count.sh:3")


def test_compile_checks_with_the_declaration_line() -> None:
    with pytest.raises(ManifestError) as info:
        line = _line() + 1
        ShellTask("bad", script="echo {{ inputs.nme }} {{ foo }}", inputs={"name": str}, outputs={"msg": str})
    summaries = [d.summary for d in info.value.diagnostics]
    assert any("Unknown template variable `foo`" in s for s in summaries)
    assert any("Unknown template variable `inputs.nme`" in s for s in summaries)
    assert any("Output `msg` of shell task `bad` is never written" in s for s in summaries)
    assert any(d.severity == "warning" and "Input `name`" in d.summary for d in info.value.diagnostics)
    assert all(d.source == f"tests/unit/tasktypes/{HERE}:{line}" or d.source.endswith(f"{HERE}:{line}")
               for d in info.value.diagnostics)


def test_jinja_syntax_errors_are_located() -> None:
    with pytest.raises(ManifestError, match=r"Jinja2 syntax error .*line 2 of the script"):
        ShellTask("syntax", script="echo ok\necho {{ inputs.x ")


def test_unused_input_is_a_warning_kept_on_the_definition() -> None:
    task = ShellTask("w", script="echo hi", inputs={"x": int})
    warnings = definition_of(task).warnings  # type: ignore[union-attr]
    assert len(warnings) == 1 and warnings[0].severity == "warning"


@pytest.mark.parametrize(("kwargs", "message"), [
    ({}, "exactly one of script"),
    ({"script": "x", "script_file": "y"}, "exactly one of script"),
    ({"script_file": "no/such/file.sh"}, "Cannot read script_file"),
    ({"script": "x", "shell": "zsh"}, 'must be "bash" or "sh"'),
])
def test_invalid_declarations(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ManifestError, match=message):
        ShellTask("t", **kwargs)  # type: ignore[arg-type]


def test_sh_shell() -> None:
    task = ShellTask("posix", script="echo $((2 + {{ inputs.x }})) > {{ outputs.y }}", shell="sh",
                     inputs={"x": int}, outputs={"y": int})
    assert task(x=3) == 5
