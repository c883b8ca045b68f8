"""The `flowctl` namespace is exactly what docs/sdk.md lists: no helpers leak (Any, TYPE_CHECKING, ...)."""

from __future__ import annotations

import re
from pathlib import Path

import flowctl

DOCS = Path(__file__).parents[3] / "docs" / "sdk.md"


def documented_names() -> set[str]:
    section = DOCS.read_text().split("## The `flowctl` namespace", 1)[1].split("\n## ", 1)[0]
    listed = section.split("exactly these names", 1)[1].split("Everything else", 1)[0]
    return set(re.findall(r"`([A-Za-z_][A-Za-z0-9_]*)`", listed))


def test_dir_is_exactly_the_documented_names() -> None:
    public = {name for name in dir(flowctl) if not (name.startswith("__") and name.endswith("__"))}
    assert public == documented_names()
    assert sorted(flowctl.__all__) == sorted(documented_names())
    assert not {"Any", "TYPE_CHECKING", "annotations", "import_module"} & set(vars(flowctl))


def test_every_public_name_resolves() -> None:
    for name in flowctl.__all__:
        assert getattr(flowctl, name) is not None
