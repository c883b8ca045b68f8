from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from tasktype_support import SQLITE_PLUGIN_SRC, on_path, write_dist_info


@pytest.fixture
def sqlite_plugin(tmp_path: Path) -> Iterator[Path]:
    """The example plugin flowctl-sqlite, registered through a test-time dist-info; yields the site folder."""
    site = tmp_path / "site"
    write_dist_info(site, "flowctl-sqlite", "0.1.0", {"sqlite": "flowctl_sqlite:plugin"})
    with on_path(site, SQLITE_PLUGIN_SRC):
        yield site
