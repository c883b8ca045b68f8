"""Values at the boundary: the one safe JSON/YAML reader and the one input reader of run and launch."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from flowctl._errors import InputError
from flowctl._jsontext import MAX_DEPTH, JsonSyntaxError, load_data_file, load_json_text
from flowctl.spec import InputSpec, InterfaceSpec, LaunchPlanSpec, TypeSpec
from flowctl.types import validate_json_against
from flowctl.types._inputs import merge_inputs, read_inputs

FLOAT = TypeSpec(kind="float")
INT = TypeSpec(kind="int")
STR = TypeSpec(kind="str")
LIST_FLOAT = TypeSpec(kind="list", args=(FLOAT,))


def _message(error: pytest.ExceptionInfo[InputError]) -> str:
    return error.value.render()


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 5_000, 100_000])
def test_deep_json_is_a_diagnostic_not_a_recursion_error(depth: int) -> None:
    with pytest.raises(InputError) as error:
        load_json_text("[" * depth + "]" * depth, where="--values")
    assert f"--values is nested deeper than {MAX_DEPTH} levels" in _message(error)
    assert load_json_text("[" * MAX_DEPTH + "]" * MAX_DEPTH, where="--values") is not None


@pytest.mark.parametrize("text", ["NaN", "[1, NaN]", "Infinity", "-Infinity", "1e999", '{"x": -1e400}'])
def test_non_finite_numbers_are_refused(text: str) -> None:
    with pytest.raises(InputError, match="is not a finite number"):
        load_json_text(text, where="--x")


def test_bad_syntax_is_its_own_error_so_text_inputs_can_fall_back() -> None:
    with pytest.raises(JsonSyntaxError, match="--x is not valid JSON"):
        load_json_text("[1,", where="--x")
    with pytest.raises(JsonSyntaxError):
        load_json_text("1" * 5000, where="--x")  # more digits than Python converts


@pytest.mark.parametrize(
    ("value", "problem"),
    [(math.nan, "expected float"), (math.inf, "expected float"), (True, "expected float"),
     (10**400, "expected float"), ("1.5", "expected float")],
)
def test_a_float_is_a_finite_number_and_not_a_boolean(value: object, problem: str) -> None:
    with pytest.raises(InputError) as error:
        validate_json_against(FLOAT, value, where="input `x`")  # type: ignore[arg-type]
    assert problem in _message(error)
    validate_json_against(FLOAT, 3, where="input `x`")  # an int is a float, as in JSON


def test_a_list_of_floats_refuses_booleans() -> None:
    with pytest.raises(InputError) as error:
        validate_json_against(LIST_FLOAT, [True, False], where="input `values`")
    assert "input `values`[0]: expected float, got True" in _message(error)


def test_yaml_files_become_plain_json(tmp_path: Path) -> None:
    path = tmp_path / "inputs.yaml"
    path.write_text("day: 2026-01-02\nvalues: [1, 2.5]\nname: x\n")
    assert load_data_file(path) == {"day": "2026-01-02", "values": [1, 2.5], "name": "x"}


@pytest.mark.parametrize(
    ("name", "text", "problem"),
    [
        ("nan.yaml", "x: .nan\n", "is not a finite number"),
        ("keys.yaml", "1: one\n", "the key 1 is not text"),
        ("bin.yaml", "x: !!binary aGVsbG8=\n", "a value of type `bytes` is not JSON data"),
        ("bad.yaml", "x: [1,\n", "is not valid YAML"),
        ("bad.json", '{"x": 1,', "is not valid JSON"),
        ("deep.yaml", "x: " + "[" * 3000 + "]" * 3000 + "\n", "nested deeper than"),
        ("inputs.toml", "x = 1\n", "neither .json nor .yaml"),
        ("laughs.yaml", "a: &a [" + ",".join(["x"] * 100) + "]\n"
         + "".join(f"{c}: &{c} [" + ",".join([f"*{p}"] * 100) + "]\n" for p, c in zip("abc", "bcd", strict=True)),
         "holds more than 1000000 values"),
    ],
)
def test_bad_files_are_diagnostics(tmp_path: Path, name: str, text: str, problem: str) -> None:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(InputError) as error:
        load_data_file(path, what="inputs file")
    assert problem in _message(error)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"No such inputs file: .*nope\.json"):
        load_data_file(tmp_path / "nope.json", what="inputs file")


INTERFACE = InterfaceSpec(inputs=(InputSpec(name="a", type=INT), InputSpec(name="s", type=STR),
                                  InputSpec(name="xs", type=LIST_FLOAT, has_default=True, default=[1.0])))


def test_files_then_assignments_then_options(tmp_path: Path) -> None:
    first, second = tmp_path / "a.json", tmp_path / "b.yaml"
    first.write_text('{"a": 1, "s": "file", "xs": [1]}')
    second.write_text("a: 2\n")
    given = read_inputs(INTERFACE, files=[str(first), str(second)], assignments=["s=assigned"], args=["--xs", "[3]"])
    assert given == {"a": 2, "s": "assigned", "xs": [3]}
    assert read_inputs(INTERFACE, assignments=["a=1", "s=007"]) == {"a": 1, "s": "007"}  # text stays text


def test_every_problem_of_every_source_at_once(tmp_path: Path) -> None:
    bad, listed = tmp_path / "bad.json", tmp_path / "list.json"
    bad.write_text('{"a": "x", "zz": 1}')
    listed.write_text("[1, 2]")
    lp = LaunchPlanSpec(name="lp", workflow="w", fixed_inputs={"s": "fixed"})
    with pytest.raises(InputError) as error:
        read_inputs(INTERFACE, files=[str(bad), str(tmp_path / "missing.yaml"), str(listed)],
                    assignments=["novalue"], args=["--xs", "[NaN]", "--s", "given"], launch_plan=lp, address="lp")
    text = _message(error)
    for fragment in ("input `a` is not a valid `int`", "Unknown input `zz`", "No such inputs file",
                     "list.json does not hold a mapping of input names to values", "Invalid --input 'novalue'",
                     "--xs: NaN is not a finite number", "Input `s` is fixed by launch plan `lp`"):
        assert fragment in text, (fragment, text)
    assert "Missing required input `xs`" not in text  # unreadable, so reported once, as unreadable


def test_merge_applies_defaults_and_fixed_inputs() -> None:
    lp = LaunchPlanSpec(name="lp", workflow="w", default_inputs={"a": 4}, fixed_inputs={"s": "f"})
    assert merge_inputs(INTERFACE, {}, launch_plan=lp) == {"a": 4, "s": "f", "xs": [1.0]}
