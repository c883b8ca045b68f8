"""``flowctl cache info|clear`` cover both on-disk caches: the local runs' task results and the code digests."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from flowctl.cli import _register_commands, app


@pytest.fixture
def caches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    results, digests = tmp_path / "results", tmp_path / "digests"
    monkeypatch.setenv("FLOWCTL_CACHE_DIR", str(results))
    monkeypatch.setenv("FLOWCTL_DIGEST_CACHE_DIR", str(digests))
    monkeypatch.chdir(tmp_path)
    (results / "mod.task" / "ab").mkdir(parents=True)
    (results / "mod.task" / "ab" / "abcd.json").write_text("{}")
    digests.mkdir()
    for name in ("1", "2"):
        (digests / f"{name}.cpython-3.11.7.f1.json").write_text("{}")
    _register_commands()
    return results, digests


def test_info_counts_both_caches(caches: tuple[Path, Path]) -> None:
    results, digests = caches
    shown = CliRunner().invoke(app, ["cache", "info"])
    assert shown.exit_code == 0, shown.output
    assert f"task results: {results}: 1 entries" in shown.output
    assert f"code digests: {digests}: 2 entries" in shown.output


def test_clear_removes_both_and_clear_task_only_the_task_s_results(caches: tuple[Path, Path]) -> None:
    results, digests = caches
    one = CliRunner().invoke(app, ["cache", "clear", "--task", "mod.task"])
    assert one.exit_code == 0, one.output
    assert "Removed 1 cache entry" in one.output and "code digest" not in one.output
    assert len(list(digests.iterdir())) == 2
    (results / "mod.task" / "ab").mkdir(parents=True)
    (results / "mod.task" / "ab" / "abcd.json").write_text("{}")
    every = CliRunner().invoke(app, ["cache", "clear"])
    assert every.exit_code == 0, every.output
    assert f"Removed 1 cache entry from {results}" in every.output
    assert f"Removed 2 code digest entries from {digests}" in every.output
    assert list(digests.iterdir()) == []


def test_info_says_when_the_code_digest_cache_is_off(caches: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLOWCTL_DIGEST_CACHE_DIR", "off")
    shown = CliRunner().invoke(app, ["cache", "info"])
    assert shown.exit_code == 0 and "code digests: off" in shown.output
