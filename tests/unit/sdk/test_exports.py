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
FLYTE_NAMES = {  # flytekit's names (issue 17, docs/migrating-from-flyte.md)
    "Annotations", "Deck", "FlyteDirectory", "FlyteFile", "ImageSpec", "Labels", "StructuredDataset",
    "StructuredDatasetType", "WorkflowExecutionPhase", "WorkflowFailurePolicy", "approve", "current_context",
    "kwtypes", "reference_launch_plan", "reference_task", "sleep", "wait_for_input",
}  # fmt: skip


def test_public_names_are_pinned() -> None:
    extras = sorted((MANIFEST_NAMES | TASKTYPE_NAMES) & set(flowctl.__all__))
    assert sorted(flowctl.__all__) == sorted(EXPECTED + extras + sorted(FLYTE_NAMES))
    assert len(set(flowctl.__all__)) == len(flowctl.__all__)
    for name in flowctl.__all__:
        assert hasattr(flowctl, name)


def test_import_flowctl_is_light() -> None:
    code = (
        "import sys, json, flowctl; "
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules} & "
        "{'typer', 'click', 'sqlmodel', 'sqlalchemy', 'kubernetes', 'rich', 'croniter', 'fsspec', 'pandas', 'pyarrow', 'polars'})))"
    )
    output = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert json.loads(output) == []


def test_unsupported_flytekit_names_fail_at_import_with_the_way_out() -> None:
    code = "from flowctl import eager"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 1
    assert "NotSupportedError" in result.stderr and "does not support flytekit's `eager`" in result.stderr
    assert "@dynamic" in result.stderr and "docs/migrating-from-flyte.md" in result.stderr
    try:
        from flowctl import Artifact  # noqa: F401
    except ImportError as exc:  # an ImportError too, so `except ImportError` fallbacks keep working
        assert isinstance(exc, flowctl.FlowctlError)
        assert "Artifact" in str(exc)
    else:  # pragma: no cover
        raise AssertionError("importing Artifact must fail")
    assert "eager" not in dir(flowctl)
