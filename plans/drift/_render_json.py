"""The JSON view: the versioned document of ``flowctl drift --format json`` (see docs/drift.md)."""

from __future__ import annotations

import json
from typing import Any

from flowctl.plans.drift._model import DriftReport


def render_json_document(report: DriftReport) -> dict[str, Any]:
    return report.to_json()


def render_json(report: DriftReport) -> str:
    return json.dumps(report.to_json(), indent=2, sort_keys=False, ensure_ascii=False) + "\n"
