"""A write the disk refuses (full, read-only, a folder in the way) is one diagnostic naming the path,
the OS error and the fix, exit 1, no traceback, and nothing half-written (issue 16).

The failures are real where the machine allows it (a full tmpfs, mounted when this runs as root);
elsewhere the fault hook ``FLOWCTL_TEST_WRITE_ERROR`` fails the write half way, as a disk that fills
up does, and ``os.replace`` is made to fail for the rename."""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_support import Result, assert_diagnostic, invoke
from test_cli_conventions import MANIFEST  # one workflow, one task, a launch plan


@pytest.fixture
def manifest(tmp_path: Path) -> Path:
    (tmp_path / "manifest.py").write_text(textwrap.dedent(MANIFEST))
    return tmp_path


def _run(manifest: Path, *args: str, blobs: Path | None = None, fault: str = "") -> Result:
    env = {"FLOWCTL_BLOB_STORE": str(blobs or manifest / "blobs"), "FLOWCTL_TEST_WRITE_ERROR": fault}
    return invoke(*args, "--registry", f"sqlite:///{manifest / 'registry.db'}", cwd=manifest, env=env)


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def test_a_full_disk_while_storing_the_code_bundle(manifest: Path) -> None:
    failed = _run(manifest, "apply", ".", "--version", "v1", "--auto-approve", fault="ENOSPC:bundles/")
    assert_diagnostic(failed, f"Cannot write the code bundle to {manifest / 'blobs' / 'bundles'}/",
                      ": No space left on device (ENOSPC)", f"`df -h {manifest / 'blobs' / 'bundles'}`",
                      "Or set blob_store.url (FLOWCTL_BLOB_STORE)")
    assert _files(manifest / "blobs") == []  # no half bundle, no temporary file
    again = _run(manifest, "plan", ".", "--version", "v1")
    assert again.code == 0 and "serial 0" in again.stdout  # nothing was registered without its code
    assert _run(manifest, "apply", ".", "--version", "v1", "--auto-approve").code == 0


def test_a_full_disk_while_saving_a_plan_keeps_the_old_file(manifest: Path) -> None:
    (manifest / "plan.out").write_text("the old plan")
    failed = _run(manifest, "plan", ".", "--version", "v1", "--out", "plan.out", fault="ENOSPC:plan.out")
    assert_diagnostic(failed, "Cannot write the plan to plan.out: No space left on device (ENOSPC)",
                      "Or choose a path in a folder you can write to")
    assert (manifest / "plan.out").read_text() == "the old plan"
    assert not list(manifest.glob(".plan.out*"))


def test_a_read_only_file_system_at_the_rename(manifest: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_replace = os.replace

    def refuse(source: str | Path, target: str | Path) -> None:
        if str(target).endswith("report.html"):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS))
        real_replace(source, target)

    assert _run(manifest, "apply", ".", "--version", "v1", "--auto-approve").code == 0
    monkeypatch.setattr(os, "replace", refuse)
    failed = _run(manifest, "drift", ".", "-o", "html", "--out", "out/report.html")
    assert_diagnostic(failed, "Cannot write the drift report to out/report.html: Read-only file system (EROFS)",
                      "out cannot be written to by this user")
    assert _files(manifest / "out") == []


def test_the_error_is_still_an_os_error() -> None:
    """The local provider retries OS errors of submit (a disk may get room): a WriteError is one."""
    from flowctl._errors import FlowctlError
    from flowctl._files import write_error

    error = write_error(OSError(errno.ENOSPC, "No space left on device"), Path("/data/x.json"), "the task inputs")
    assert isinstance(error, OSError) and isinstance(error, FlowctlError)
    assert (error.errno, error.filename) == (errno.ENOSPC, "/data/x.json")
    assert str(error) == error.render() and str(error).startswith("Error: Cannot write the task inputs to /data/x.json")


@pytest.fixture
def full_disk(tmp_path: Path) -> Iterator[Path]:
    """A real tmpfs with no room left (needs root and a kernel that lets this process mount)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(disk)],
                                           capture_output=True).returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        with (disk / "filler").open("wb") as filler, contextlib.suppress(OSError):  # until the disk is full
            filler.write(b"\0" * 128 * 1024)
        yield disk
    finally:
        subprocess.run(["umount", str(disk)], check=True)


def test_a_really_full_disk(manifest: Path, full_disk: Path) -> None:
    env = {**os.environ, "FLOWCTL_BLOB_STORE": str(full_disk / "blobs")}
    env.pop("FLOWCTL_TEST_WRITE_ERROR", None)
    done = subprocess.run([sys.executable, "-m", "flowctl", "apply", ".", "--version", "v1", "--auto-approve",
                           "--registry", f"sqlite:///{manifest / 'registry.db'}"], cwd=manifest, env=env,
                          capture_output=True, text=True, timeout=120)
    assert_diagnostic(Result(done.returncode, done.stdout, done.stderr), "Cannot write the code bundle to ",
                      "No space left on device (ENOSPC)")
    assert [p.name for p in full_disk.rglob("*") if p.is_file()] == ["filler"]


@pytest.mark.parametrize("command", [["init"], ["apply", ".", "--version", "v1", "--auto-approve"]])
def test_a_registry_on_a_full_disk_is_not_left_half_made(manifest: Path, full_disk: Path, command: list[str]) -> None:
    env = {**os.environ, "FLOWCTL_BLOB_STORE": str(manifest / "blobs")}
    env.pop("FLOWCTL_TEST_WRITE_ERROR", None)
    registry = full_disk / "registry" / "registry.db"
    done = subprocess.run([sys.executable, "-m", "flowctl", *command, "--registry", f"sqlite:///{registry}"],
                          cwd=manifest, env=env, capture_output=True, text=True, timeout=120)
    assert_diagnostic(Result(done.returncode, done.stdout, done.stderr), f"registry at sqlite:///{registry}",
                      "database or disk is full", "The disk that holds the registry is full")
    assert [p.name for p in full_disk.rglob("*")] == ["filler"]  # no empty registry.db, no folder


CACHED = """
from flowctl import Cache, Deck, task, workflow

@task(cache=Cache(version="1"))
def double(x: int) -> int:
    Deck("numbers", f"<p>{x}</p>")
    return 2 * x

@workflow
def wf(x: int = 1) -> int:
    return double(x=x)
"""


@pytest.mark.parametrize(("part", "message", "fix"), [
    ("cache/", "Cannot write the cached outputs of wf.double to ", "Or run with --no-cache"),
    ("decks/", "Cannot write the deck of n0 to ", "Or set cache.dir (FLOWCTL_CACHE_DIR)"),
])
def test_a_full_disk_in_a_local_run(tmp_path: Path, part: str, message: str, fix: str) -> None:
    (tmp_path / "wf.py").write_text(textwrap.dedent(CACHED))
    env = {"FLOWCTL_CACHE_DIR": str(tmp_path / "work" / "cache"), "FLOWCTL_TEST_WRITE_ERROR": f"ENOSPC:{part}"}
    failed = invoke("run", "wf.py", "wf", cwd=tmp_path, env=env)
    assert_diagnostic(failed, message, "No space left on device (ENOSPC)", fix)
    assert not [name for name in _files(tmp_path / "work") if name.endswith(".tmp")]
