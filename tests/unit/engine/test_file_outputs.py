"""Files and folders returned by a remote attempt are copied into the blob store (local or fsspec)."""

from __future__ import annotations

from pathlib import Path

import fsspec

from flowctl._file_outputs import store_file_outputs
from flowctl.spec import InterfaceSpec, OutputSpec, TaskSpec, TypeSpec

FILE = TypeSpec(kind="file")
DIRECTORY = TypeSpec(kind="directory")


def task_with(outputs: dict[str, TypeSpec]) -> TaskSpec:
    return TaskSpec(name="t", interface=InterfaceSpec(outputs=tuple(OutputSpec(name=n, type=t) for n, t in outputs.items())))


def test_local_files_folders_and_lists_of_files_move_into_a_local_blob_store(tmp_path: Path) -> None:
    work = tmp_path / "work"
    (work / "report").mkdir(parents=True)
    (work / "a.csv").write_text("a")
    (work / "b.csv").write_text("b")
    (work / "report" / "index.html").write_text("<p>hi</p>")
    task = task_with({"data": FILE, "site": DIRECTORY, "parts": TypeSpec(kind="list", args=(FILE,)), "n": TypeSpec(kind="int")})
    prefix = str(tmp_path / "blobs" / "p" / "d" / "e" / "n0" / "1")
    outputs = store_file_outputs(task, {
        "data": str(work / "a.csv"), "site": str(work / "report"), "parts": [str(work / "b.csv")], "n": 3,
    }, prefix)
    assert outputs["data"] == f"{prefix}/files/data/a.csv"
    assert Path(outputs["data"]).read_text() == "a"
    assert Path(outputs["site"], "index.html").read_text() == "<p>hi</p>"
    assert Path(outputs["parts"][0]).read_text() == "b"
    assert outputs["n"] == 3


def test_files_move_into_an_fsspec_store_and_urls_stay_as_they_are(tmp_path: Path) -> None:
    (tmp_path / "model.bin").write_bytes(b"\x00\x01")
    task = task_with({"model": FILE, "shared": FILE})
    outputs = store_file_outputs(task, {"model": str(tmp_path / "model.bin"), "shared": "memory://elsewhere/x"},
                                 "memory://blobs/p/d/e/n0/1")
    assert outputs["model"] == "memory://blobs/p/d/e/n0/1/files/model/model.bin"
    with fsspec.open(outputs["model"], "rb") as handle:
        assert handle.read() == b"\x00\x01"
    assert outputs["shared"] == "memory://elsewhere/x"
