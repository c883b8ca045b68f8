"""The public surface of flowctl.tasktypes is pinned, and importing it stays light."""

from __future__ import annotations

import json
import subprocess
import sys

import flowctl.tasktypes


def test_public_names_are_pinned() -> None:
    assert sorted(flowctl.tasktypes.__all__) == sorted([
        "ENTRY_POINT_GROUP", "ContainerTask", "DynamicDefinition", "KubernetesJobAdapter", "OutputLocation",
        "PluginInfo", "PluginTask", "PluginTaskDefinition", "Problems", "ShellTask", "TaskTypePlugin",
        "TaskTypeUnavailable", "build_interface", "check_definition", "declaration_checks", "declaration_warnings", "declared_at",
        "define_task", "dynamic", "execute_task_spec", "get_plugin", "plugins",
    ])


def test_import_is_light_and_loads_no_entry_points() -> None:
    code = (
        "import sys, json, flowctl.tasktypes as t; "
        "print(json.dumps([sorted({m.split('.')[0] for m in sys.modules} & {'jinja2', 'typer', 'kubernetes', 'rich', "
        "'sqlmodel'}), t._registry.REGISTRY._external is None]))"
    )
    output = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert json.loads(output) == [[], True]
