"""The public surface is pinned, and `import flowctl` stays light."""

from __future__ import annotations

import json
import subprocess
import sys

import flowctl

EXPECTED = [
    "Cache", "CronSchedule", "Email", "FixedRate", "FlowDirectory", "FlowFile", "FlowctlError",
    "LaunchPlan", "NonRetryable", "PodTemplate", "Resources", "Secret", "Slack", "Webhook",
    "conditional", "map_task", "task", "workflow",
]  # fmt: skip
MANIFEST_NAMES = {"Domain", "Project", "promoted_from"}  # added by the manifest layer (flowctl/_project.py)
TASKTYPE_NAMES = {"ContainerTask", "OutputLocation", "ShellTask", "dynamic"}  # added by flowctl/tasktypes


def test_public_names_are_pinned() -> None:
    extras = sorted((MANIFEST_NAMES | TASKTYPE_NAMES) & set(flowctl.__all__))
    assert sorted(flowctl.__all__) == sorted(EXPECTED + extras)
    assert len(set(flowctl.__all__)) == len(flowctl.__all__)
    for name in flowctl.__all__:
        assert hasattr(flowctl, name)


def test_import_flowctl_is_light() -> None:
    code = (
        "import sys, json, flowctl; "
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules} & "
        "{'typer', 'click', 'sqlmodel', 'sqlalchemy', 'kubernetes', 'rich', 'croniter', 'fsspec', 'pandas'})))"
    )
    output = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert json.loads(output) == []
