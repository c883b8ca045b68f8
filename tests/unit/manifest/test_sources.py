"""Which files make up a version: the dirtiness check and the code bundle give one answer, and
flowctl's own files (`.flowctl/`, saved plans, recorded outputs) are never part of it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from flowctl._bundle import list_sources
from flowctl._sources import changed_files, record_outputs
from flowctl._versioning import choose_version
from flowctl._workdir import make_folder

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@x", *args], cwd=root, check=True,
                   capture_output=True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "flows").mkdir(parents=True)
    (root / "flows" / "a.py").write_text("A = 1\n")
    git(root, "init", "-q")
    git(root, "add", ".")
    git(root, "commit", "-qm", "one")
    return root


def test_make_folder_marks_every_flowctl_folder_on_the_path(tmp_path: Path) -> None:
    made = make_folder(tmp_path / "x" / ".flowctl" / "blobs" / "bundles")
    assert made.is_dir()
    assert (tmp_path / "x" / ".flowctl" / ".gitignore").read_text() == "*\n"
    assert not (made / ".gitignore").exists() and not (tmp_path / "x" / ".gitignore").exists()
    (tmp_path / "x" / ".flowctl" / ".gitignore").write_text("registry.db\n")  # the user's own choice stays
    make_folder(tmp_path / "x" / ".flowctl" / "cache")
    assert (tmp_path / "x" / ".flowctl" / ".gitignore").read_text() == "registry.db\n"


@needs_git
def test_flowctl_folders_caches_and_venvs_are_neither_dirty_nor_bundled(repo: Path) -> None:
    for junk in (".flowctl/registry.db", ".venv/lib/x.py", "flows/__pycache__/a.cpython-311.pyc"):
        (repo / junk).parent.mkdir(parents=True, exist_ok=True)
        (repo / junk).write_text("junk")
    assert changed_files(repo) == []
    assert list_sources(repo) == ["flows/a.py"]
    assert choose_version(repo).source == "git"


@needs_git
def test_a_new_file_is_dirty_and_bundled_alike(repo: Path) -> None:
    (repo / "flows" / "b.py").write_text("B = 2\n")
    (repo / "flows" / "a.py").write_text("A = 3\n")
    assert changed_files(repo) == ["flows/a.py", "flows/b.py"]
    assert list_sources(repo) == ["flows/a.py", "flows/b.py"]
    dirty = choose_version(repo, allow_dirty=True)
    assert dirty.source == "dirty" and dirty.version is not None and "-dirty-" in dirty.version


@needs_git
def test_files_flowctl_wrote_do_not_count_until_someone_edits_them(repo: Path) -> None:
    plan = repo / "plan.out"
    plan.write_text('{"kind": "flowctl-plan"}')
    assert changed_files(repo, exclude=[plan]) == [] and list_sources(repo, exclude=[plan]) == ["flows/a.py"]
    assert changed_files(repo) == ["plan.out"]  # not given, not recorded: the user's file
    record_outputs([plan])
    assert changed_files(repo) == [] and list_sources(repo) == ["flows/a.py"]
    assert (repo / ".flowctl" / ".gitignore").is_file()
    plan.write_text("edited by hand")
    assert changed_files(repo) == ["plan.out"] and "plan.out" in list_sources(repo)
