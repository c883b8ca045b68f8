"""The blob store builds keys only from checked parts and never leaves its root; it writes privately."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from flowctl import _blobstore as blobs
from flowctl._errors import InputError

HOSTILE_NAMES = ["../../x", "/etc", "a\nb", "a\x00b", "x" * 300, "naïve", "..", "UPPER"]


@pytest.mark.parametrize("execution", HOSTILE_NAMES)
def test_attempt_paths_refuse_hostile_execution_names(tmp_path: Path, execution: str) -> None:
    store = blobs.BlobStore(str(tmp_path / "blobs"))
    with pytest.raises(InputError, match="Invalid execution name"):
        store.attempt("proj", "development", execution, "n0", 0)
    with pytest.raises(InputError):
        store.execution_prefix("proj", "development", execution)


@pytest.mark.parametrize(("project", "domain"), [("../p", "development"), ("proj", "dev/../../x"), ("p\n", "d")])
def test_attempt_paths_refuse_hostile_project_and_domain(tmp_path: Path, project: str, domain: str) -> None:
    with pytest.raises(InputError, match=r"Invalid (project|domain) name"):
        blobs.BlobStore(str(tmp_path)).attempt(project, domain, "e1", "n0", 0)


@pytest.mark.parametrize("node", ["../../x", "n0/../../..", "/abs", "n\x00", "n\n", "n" * 300, "nö"])
def test_attempt_paths_refuse_hostile_node_ids(tmp_path: Path, node: str) -> None:
    with pytest.raises(InputError, match="Invalid node id"):
        blobs.BlobStore(str(tmp_path)).attempt("proj", "development", "e1", node, 0)


def test_nested_node_ids_stay_one_folder(tmp_path: Path) -> None:
    paths = blobs.BlobStore(str(tmp_path)).attempt("proj", "development", "e1", "sub/n1[2]", 3)
    assert paths.prefix == f"{tmp_path}/proj/development/e1/sub__n1[2]/3"


@pytest.mark.parametrize("part", ["..", "a/../../b", "/etc/passwd", "", "a\x00", "a\nb", "./a"])
def test_join_refuses_parts_that_leave_the_base(part: str) -> None:
    with pytest.raises(InputError, match="Refused blob store key"):
        blobs.join("s3://bucket/root", part)


def test_a_symlink_out_of_the_root_is_refused(tmp_path: Path) -> None:
    root, outside = tmp_path / "blobs", tmp_path / "outside"
    (root / "proj").mkdir(parents=True)
    outside.mkdir()
    (root / "proj" / "development").symlink_to(outside)
    store = blobs.BlobStore(str(root))
    with pytest.raises(InputError, match="outside the blob store"):
        store.attempt("proj", "development", "e1", "n0", 0)
    (root / "proj" / "staging").symlink_to(root / "proj")  # a link that stays inside is fine
    assert store.attempt("proj", "staging", "e1", "n0", 0).prefix.startswith(str(root))


def test_documents_and_folders_are_private(tmp_path: Path) -> None:
    previous = os.umask(0o022)  # the usual umask: what flowctl creates must still be private
    try:
        store = blobs.BlobStore(str(tmp_path / "blobs"))
        paths = store.attempt("proj", "development", "e1", "n0", 0)
        blobs.write_json(paths.outputs, {"o0": 1})
    finally:
        os.umask(previous)
    assert stat.S_IMODE(os.stat(paths.outputs).st_mode) == 0o600
    folder = Path(paths.prefix)
    while folder != tmp_path:
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
        folder = folder.parent


def test_documents_make_their_folder_only_when_it_is_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    from flowctl import _files

    made: list[Path] = []
    real = _files.make_folder
    monkeypatch.setattr(_files, "make_folder", lambda path: made.append(Path(path)) or real(path))
    target = tmp_path / "a" / "b" / "doc.json"
    blobs.write_json(str(target), {"n": 1})
    blobs.write_json(str(target.with_name("other.json")), {"n": 2})  # the folder exists: no mkdir walk
    assert made == [target.parent]
    shutil.rmtree(tmp_path / "a")  # removed meanwhile (a cleanup): made again
    blobs.write_json(str(target), {"n": 3})
    assert made == [target.parent, target.parent] and blobs.read_json(str(target)) == {"n": 3}
    assert stat.S_IMODE((tmp_path / "a").stat().st_mode) == 0o700
