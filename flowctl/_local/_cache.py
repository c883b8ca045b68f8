"""The on-disk cache of local runs: one JSON file per (task, cache version, interface, inputs).

Layout: ``{cache_dir}/{task name}/{key[:2]}/{key}.json`` with ``{"task", "version", "outputs"}``.
Writes are atomic (temporary file + rename); an unreadable entry counts as a miss.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flowctl._files import write_atomic
from flowctl.sdk import TaskDefinition
from flowctl.spec import canonical_json, sha256_hex
from flowctl.types import from_json_value, to_json_value, writing_frames_to


class LocalCache:
    """Cached task outputs under ``root`` (``Config().cache_dir``, ``.flowctl/cache`` by default)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def key(self, task: TaskDefinition, inputs: Mapping[str, Any]) -> str:
        """sha256 of task name, cache version, interface digest and the canonical inputs (ignored ones left out)."""
        spec = task.spec
        assert spec.cache is not None
        ignored = set(spec.cache.ignored_inputs)
        canonical_inputs = {}
        for name, value in inputs.items():
            if name in ignored:
                continue
            param = task.interface.param(name)
            canonical_inputs[name] = to_json_value(value, param.py_type if param else Any)
        material = canonical_json(
            {"task": spec.name, "version": spec.cache.version, "interface": spec.interface.digest(), "inputs": canonical_inputs}
        )
        return sha256_hex(material)

    def _path(self, task: TaskDefinition, key: str) -> Path:
        return self.root / task.name / key[:2] / f"{key}.json"

    def get(self, task: TaskDefinition, key: str) -> dict[str, Any] | None:
        path = self._path(task, key)
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
            stored = document["outputs"]
            return {o.name: from_json_value(stored[o.name], o.py_type) for o in task.interface.outputs}
        except (OSError, ValueError, KeyError, TypeError):
            return None
        except Exception:  # an entry that no longer validates (e.g. a changed dataclass) is a miss
            return None

    def put(self, task: TaskDefinition, key: str, outputs: Mapping[str, Any]) -> None:
        path = self._path(task, key)
        assert task.spec.cache is not None
        with writing_frames_to(str(self.root / "frames")):  # data frames live as long as the cache
            document = {
                "task": task.name,
                "version": task.spec.cache.version,
                "outputs": {o.name: to_json_value(outputs[o.name], o.py_type) for o in task.interface.outputs},
            }
        write_atomic(path, canonical_json(document).encode(), what=f"the cached outputs of {task.name}",
                     elsewhere="Or run with --no-cache, or free the cache: `flowctl cache clear`.")

    def entries(self, task: str | None = None) -> int:
        base = self.root / task if task else self.root
        return sum(1 for _ in base.rglob("*.json")) if base.is_dir() else 0

    def clear(self, task: str | None = None) -> int:
        """Remove every entry (or those of one task); returns how many were removed."""
        count = self.entries(task)
        base = self.root / task if task else self.root
        if base.is_dir():
            shutil.rmtree(base)
        return count
