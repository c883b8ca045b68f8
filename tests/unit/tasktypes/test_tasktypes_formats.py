"""File formats of container/shell inputs and outputs, per type."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from flowctl._errors import ExecutionError
from flowctl.spec import TypeSpec
from flowctl.tasktypes._formats import read_output, text_of, write_input

T = {k: TypeSpec(kind=k) for k in ("str", "int", "float", "bool", "bytes", "file", "directory", "datetime", "none")}
LIST_INT = TypeSpec(kind="list", args=(T["int"],))
OPT_STR = TypeSpec(kind="union", args=(T["str"], T["none"]))


@pytest.mark.parametrize(("spec", "value", "content"), [
    (T["str"], "hello\nworld", "hello\nworld"),
    (T["int"], 42, "42"),
    (T["float"], 1.5, "1.5"),
    (T["bool"], True, "true"),
    (T["datetime"], "2024-01-02T03:04:05Z", "2024-01-02T03:04:05Z"),
    (LIST_INT, [1, 2], "[1,2]"),
    (TypeSpec(kind="map", args=(T["str"],)), {"a": "b"}, '{"a":"b"}'),
])
def test_inputs_are_written_as_text_or_json(tmp_path: Path, spec: TypeSpec, value: object, content: str) -> None:
    path = write_input(tmp_path, "x", spec, value)
    assert path == tmp_path / "x"
    assert path.read_text() == content
    assert text_of(spec, value) == content


def test_bytes_files_and_folders_are_copied(tmp_path: Path) -> None:
    write_input(tmp_path, "b", T["bytes"], base64.b64encode(b"\x00\x01").decode())
    assert (tmp_path / "b").read_bytes() == b"\x00\x01"
    source = tmp_path / "src.txt"
    source.write_text("data")
    write_input(tmp_path, "f", T["file"], str(source))
    assert (tmp_path / "f").read_text() == "data"
    folder = tmp_path / "dir"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "a.txt").write_text("a")
    write_input(tmp_path, "d", T["directory"], str(folder))
    assert (tmp_path / "d" / "sub" / "a.txt").read_text() == "a"


@pytest.mark.parametrize(("spec", "content", "value"), [
    (T["str"], "hello\n", "hello"),
    (T["str"], "two\nlines\n\n", "two\nlines\n"),
    (T["int"], " 7\n", 7),
    (T["float"], "3\n", 3.0),
    (T["bool"], "yes\n", True),
    (T["bool"], "False", False),
    (LIST_INT, "[1, 2]\n", [1, 2]),
    (OPT_STR, "text\n", "text"),
])
def test_outputs_are_read_back(tmp_path: Path, spec: TypeSpec, content: str, value: object) -> None:
    (tmp_path / "o").write_text(content)
    assert read_output(tmp_path / "o", spec, what="Output `o`") == value


def test_missing_optional_output_is_none_and_missing_required_fails(tmp_path: Path) -> None:
    assert read_output(tmp_path / "nope", OPT_STR, what="Output `o`") is None
    with pytest.raises(ExecutionError, match="Output `o` was not written"):
        read_output(tmp_path / "nope", T["int"], what="Output `o`")


def test_malformed_outputs_name_the_output(tmp_path: Path) -> None:
    (tmp_path / "o").write_text("maybe")
    with pytest.raises(ExecutionError, match="Output `o` is not a bool"):
        read_output(tmp_path / "o", T["bool"], what="Output `o`")
    (tmp_path / "n").write_text("1,2")
    with pytest.raises(ExecutionError, match="not valid"):
        read_output(tmp_path / "n", LIST_INT, what="Output `n`")


def test_file_outputs_are_absolute_paths(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    assert read_output(tmp_path / "f", T["file"], what="f") == str((tmp_path / "f").resolve())
    with pytest.raises(ExecutionError, match="must be a folder"):
        read_output(tmp_path / "f", T["directory"], what="f")


@pytest.mark.parametrize("kind", ["str", "bytes", "list", "file", "directory"])
def test_an_input_the_disk_refuses_is_one_write_error_and_no_half_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                      kind: str) -> None:
    from flowctl._errors import WriteError

    source = tmp_path / "source"
    (source / "tree").mkdir(parents=True)
    (source / "tree" / "a.txt").write_text("a")
    (source / "b.txt").write_text("b")
    values: dict[str, object] = {"str": "text", "bytes": base64.b64encode(b"raw").decode(), "list": [1, 2],
                                 "file": str(source / "b.txt"), "directory": str(source / "tree")}
    spec = TypeSpec(kind="list", args=(TypeSpec(kind="int"),)) if kind == "list" else TypeSpec(kind=kind)  # type: ignore[arg-type]
    folder = tmp_path / "inputs"
    folder.mkdir()
    monkeypatch.setenv("FLOWCTL_TEST_WRITE_ERROR", "ENOSPC:/inputs/")
    with pytest.raises(WriteError, match=f"Cannot write the input `x` of the task to {folder / 'x'}: No space left"):
        write_input(folder, "x", spec, values[kind])  # type: ignore[arg-type]
    assert list(folder.iterdir()) == []  # nothing half-written, no temporary file
    monkeypatch.delenv("FLOWCTL_TEST_WRITE_ERROR")
    written = write_input(folder, "x", spec, values[kind])  # type: ignore[arg-type]
    assert written.exists() and [p.name for p in folder.iterdir()] == ["x"]
