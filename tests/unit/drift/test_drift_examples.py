"""examples/ci/drift.yml: a scheduled job that runs drift, uploads the HTML report, fails on drift."""

from __future__ import annotations

from pathlib import Path

import yaml

WORKFLOW = Path(__file__).parents[3] / "examples" / "ci" / "drift.yml"


def test_ci_example_runs_drift_uploads_html_and_fails_on_drift() -> None:
    doc = yaml.safe_load(WORKFLOW.read_text())
    triggers = doc[True] if True in doc else doc["on"]  # YAML 1.1 reads the key `on` as True
    assert triggers["schedule"][0]["cron"]
    steps = doc["jobs"]["drift"]["steps"]
    run = next(s for s in steps if s.get("id") == "drift")["run"]
    assert "flowctl drift . -o html --out drift.html" in run
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-artifact"))
    assert upload["if"] == "always()" and "drift.html" in upload["with"]["path"]
    fail = next(s for s in steps if s.get("name") == "Fail on drift")
    assert "exit 1" in fail["run"] and fail["if"] == "steps.drift.outputs.status != '0'"
