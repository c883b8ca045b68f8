"""The HTML drift report, rendered by headless Chromium (Debian's ``chromium``): the page a person
opens from the CI artifact shows the summary, the per project/domain tables and before/after.

Skipped only when chromium is absent and CI is not set (in CI a missing browser is a failure).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from html import unescape
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1] / "unit" / "drift"))

from drift_specs import sample_report

from flowctl.plans.drift import render_html

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed in CI (apt-get install -y chromium)")
        pytest.skip("chromium is not installed (apt-get install -y chromium) and CI is not set")
    return found


def run_chromium(*args: str, profile: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=90,
    )


def visible_text(dom: str) -> str:
    body = re.sub(r"<(style|script)[^>]*>.*?</\1>", " ", dom, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", body)))


def test_report_renders_in_headless_chromium(tmp_path: Path) -> None:
    page = tmp_path / "drift.html"
    page.write_text(render_html(sample_report()), encoding="utf-8")
    result = run_chromium("--dump-dom", page.as_uri(), profile=tmp_path / "profile")
    assert result.returncode == 0, result.stderr[-2000:]
    dom = result.stdout
    assert "<title>flowctl drift: drift detected</title>" in dom
    text = visible_text(dom)
    # summary
    assert "Drift detected" in text
    assert "Drift: 5 findings in 3 project/domains (4 errors, 1 warning). 1 accepted." in text
    assert re.search(r"5 findings 4 errors 1 warnings 1 accepted 1 expired acceptances", text)
    # a section per project/domain, with before/after of each finding
    for group in ("ml (1)", "ml/development (2)", "ml/production (2)"):
        assert group in text
    assert 'requests.cpu "1"' in text and 'requests.cpu "8"' in text
    assert 'active_version "v1"' in text and 'active_version "v0"' in text
    assert dom.count('class="finding"') == 5
    # registry content is escaped, not markup
    assert "<b>edited</b>" in text  # shown as text...
    assert "<b>edited</b>" not in dom and "&lt;b&gt;edited&lt;/b&gt;" in dom  # ...never parsed as markup
    # accepted, expired and pending sections
    assert "load test until the migration ends" in text
    assert "Expired acceptances" in text and "old hotfix" in text
    assert "Pending changes (not drift)" in text and "Plan: 1 to register" in text
    # the page needed nothing from the network
    assert "http://" not in dom and "https://" not in dom
