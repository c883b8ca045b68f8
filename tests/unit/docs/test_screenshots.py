"""scripts/screenshots.py turns a command's ANSI output into an SVG, and the docs link every image it makes."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[3]


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("screenshots", REPO / "scripts" / "screenshots.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_ansi_colours_and_long_lines_survive_into_the_svg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    script = _script()
    monkeypatch.setattr(script, "IMG", tmp_path)
    long_line = "register: " + "x" * 120
    path = script._save("plan", "flowctl plan", f"\x1b[32m+ register\x1b[0m\n\x1b[31m- deactivate\x1b[0m\n{long_line}\n")
    svg = path.read_text().replace("&#160;", " ")
    assert path == tmp_path / "plan.svg" and svg.startswith("<svg")
    assert "flowctl plan" in svg and "register" in svg
    fills = set(re.findall(r"fill: (#[0-9a-f]{6})", svg))
    assert len(fills) >= 3, fills  # green and red besides the default foreground
    assert "x" * 100 in svg  # not wrapped


def test_every_screenshot_is_linked_from_the_docs() -> None:
    pages = "\n".join(p.read_text() for p in (REPO / "docs").glob("*.md")) + (REPO / "README.md").read_text()
    images = sorted(p.name for p in (REPO / "docs" / "img").glob("*.svg"))
    assert {"plan.svg", "drift.svg", "execution.svg"} <= set(images)
    for name in images:
        assert f"img/{name}" in pages, f"docs/img/{name} is not linked from docs/ or README.md"
