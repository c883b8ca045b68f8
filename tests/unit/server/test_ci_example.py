"""examples/ci/smoke-launch.yml: a CI job that launches through the server with a token, on routes that exist."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from flowctl.server._api import router
from flowctl.server._operations import route_operations
from flowctl.server._permissions import RULES

EXAMPLE = Path(__file__).parents[3] / "examples" / "ci" / "smoke-launch.yml"


def test_the_smoke_job_uses_a_token_on_operator_routes() -> None:
    text = EXAMPLE.read_text()
    job = yaml.safe_load(text)["jobs"]["smoke"]
    assert job["env"]["FLOWCTL_TOKEN"] == "${{ secrets.FLOWCTL_TOKEN }}" and "FLOWCTL_REGISTRY" not in text
    assert "flowctl token create --name ci-smoke --role operator" in text
    routes = route_operations(router.routes)
    used = set()
    for step in job["steps"]:
        for method, path in re.findall(r'(?:-X (POST) )?"\$FLOWCTL_SERVER\$PD(/[^"?]+)"', step["run"]):
            template = re.sub(r"/launch_plans/[^/]+", "/launch_plans/{name}", path)
            template = re.sub(r"/executions/[^/]+$", "/executions/{name}", template)
            key = f"{method or 'GET'} /api/v1/projects/{{project}}/domains/{{domain}}{template}"
            assert key in routes, key
            used.add(RULES[routes[key][0]].action)
    assert used == {"operate", "read"}  # the operator role is enough
