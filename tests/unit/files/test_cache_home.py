"""_cache_home: one XDG rule for every user cache folder (code digests, code bundles), and no error
when there is no home folder."""

from __future__ import annotations

import pwd
from pathlib import Path

import pytest

from flowctl._cache_home import user_cache_dir
from flowctl.entrypoint import bundle_cache_dir


def _no_home(monkeypatch: pytest.MonkeyPatch) -> None:
    """No HOME and no passwd entry for this uid (a container run under an arbitrary uid)."""
    monkeypatch.delenv("HOME", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)

    def no_entry(uid: int) -> pwd.struct_passwd:
        raise KeyError(f"getpwuid(): uid not found: {uid}")

    monkeypatch.setattr(pwd, "getpwuid", no_entry)


def test_an_absolute_xdg_cache_home_is_used_and_a_relative_one_ignored(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert user_cache_dir("flowctl", "x") == tmp_path / "xdg" / "flowctl" / "x"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/ignored")
    assert user_cache_dir("flowctl", "x") == tmp_path / "home" / ".cache" / "flowctl" / "x"
    monkeypatch.setenv("XDG_CACHE_HOME", "")
    assert user_cache_dir("flowctl", "x") == tmp_path / "home" / ".cache" / "flowctl" / "x"


def test_no_home_folder_is_no_cache_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    _no_home(monkeypatch)
    assert user_cache_dir("flowctl") is None


def test_the_bundle_cache_follows_the_same_rule(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FLOWCTL_BUNDLE_CACHE", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/ignored")
    assert bundle_cache_dir() == tmp_path / "home" / ".cache" / "flowctl" / "bundles"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert bundle_cache_dir() == tmp_path / "xdg" / "flowctl" / "bundles"
    monkeypatch.setenv("FLOWCTL_BUNDLE_CACHE", str(tmp_path / "bundles"))
    assert bundle_cache_dir() == tmp_path / "bundles"


def test_without_a_home_folder_bundles_go_to_the_temporary_folder(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FLOWCTL_BUNDLE_CACHE", raising=False)
    _no_home(monkeypatch)
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)  # gettempdir reads TMPDIR again
    folder = bundle_cache_dir()
    assert folder.is_absolute() and folder.is_relative_to(tmp_path)
