"""Test helpers: register plugin distributions at test time (a ``*.dist-info`` folder on a path).

``importlib.metadata`` finds entry points in any ``*.dist-info`` folder on ``sys.path``, exactly as
for an installed wheel, so tests need no pip install. Subprocesses get the same folders through
``PYTHONPATH`` (:func:`plugin_env`).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
SQLITE_PLUGIN_SRC = REPO / "examples" / "plugins" / "flowctl_sqlite"


def write_dist_info(site: Path, name: str, version: str, entry_points: Mapping[str, str]) -> Path:
    folder = site / f"{name.replace('-', '_')}-{version}.dist-info"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    lines = ["[flowctl.task_types]", *(f"{k} = {v}" for k, v in entry_points.items())]
    (folder / "entry_points.txt").write_text("\n".join(lines) + "\n")
    return folder


@contextmanager
def on_path(*paths: Path) -> Iterator[None]:
    """Put ``paths`` first on ``sys.path`` and reload the plugin registry; undo afterwards."""
    from flowctl.tasktypes import plugins

    added = [str(p) for p in paths]
    sys.path[:0] = added
    plugins(refresh=True)
    try:
        yield
    finally:
        for path in added:
            sys.path.remove(path)
        plugins(refresh=True)


def plugin_env(*paths: Path) -> dict[str, str]:
    """An environment for a subprocess that sees the plugin folders."""
    current = os.environ.get("PYTHONPATH", "")
    return {**os.environ, "PYTHONPATH": os.pathsep.join([*(str(p) for p in paths), *([current] if current else [])])}
