"""Every route goes through exactly one named operation; the server stays out of `import flowctl`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fastapi import APIRouter
from fastapi.routing import APIRoute
from starlette.routing import Mount, Route

from flowctl._config import Config
from flowctl.server import OPERATIONS, Services, create_app, route_operations
from flowctl.server._operations import flat_routes, invoke
from flowctl.server._signin import PUBLIC_ROUTES
from flowctl.state import open_store

FASTAPI_OWN = {"GET /api/v1/openapi.json", "HEAD /api/v1/openapi.json"}  # the schema document itself


@pytest.fixture
def app(tmp_path: Path) -> Any:
    config = Config(flags={"registry.url": f"sqlite:///{tmp_path / 'r.db'}", "blob_store.url": str(tmp_path / "b")},
                    cwd=tmp_path)
    open_store(config.registry_url).close()  # the server opens an existing registry (`flowctl init`)
    services = Services.open(config)
    yield create_app(services)
    services.close()


def unbound_routes(routes: list[Any]) -> list[str]:
    """Routes that do not declare exactly one known operation (static files are not routes of data)."""
    found = route_operations(routes)
    bad = [route for route, ops in found.items() if len(ops) != 1 or ops[0] not in OPERATIONS]
    plain = [f"{m} {r.path}" for r in flat_routes(routes) if isinstance(r, Route) and not isinstance(r, APIRoute)
             for m in sorted(r.methods or ())]
    return sorted({*bad, *plain} - FASTAPI_OWN - PUBLIC_ROUTES)  # sign-in routes establish who calls


def test_every_route_maps_to_one_operation(app: Any) -> None:
    assert unbound_routes(app.routes) == []
    assert [r.path for r in flat_routes(app.routes) if isinstance(r, Mount)] == ["/static"]
    assert len(route_operations(app.routes)) >= 35  # API and console


def test_every_operation_is_reachable(app: Any) -> None:
    used = {op for ops in route_operations(app.routes).values() for op in ops}
    assert used == set(OPERATIONS)


def test_a_route_without_an_operation_is_caught(app: Any) -> None:
    router = APIRouter()

    @router.get("/api/v1/sneaky")
    def sneaky() -> dict[str, str]:
        return {}

    @router.get("/api/v1/two")
    def two(a: Any = invoke("execution.read"), b: Any = invoke("execution.abort")) -> dict[str, str]:
        return {}

    app.include_router(router)
    assert unbound_routes(app.routes) == ["GET /api/v1/sneaky", "GET /api/v1/two"]


def test_write_operations_are_marked() -> None:
    writes = {name for name, op in OPERATIONS.items() if op.write}
    assert writes == {"execution.launch", "execution.abort", "execution.relaunch", "execution.recover",
                      "launch_plan.activate", "launch_plan.deactivate",
                      # the store API of the CLI through the server (_store_api)
                      "store.transaction", "store.lock", "store.lock_heartbeat", "store.unlock", "store.break_lock",
                      "store.approve", "store.bundle_put", "store.execution_create", "store.execution_abort",
                      # gates and backfills (_execution_ops)
                      "store.signal", "store.backfill"}
    assert all(op.summary and op.summary != op.name for op in OPERATIONS.values())
    assert {name for name in writes if not OPERATIONS[name].audited} == {"store.lock_heartbeat"}


HEAVY = ["fastapi", "uvicorn", "starlette", "httpx", "jinja2", "anyio"]


def test_import_flowctl_and_cli_do_not_load_the_server() -> None:
    code = (
        "import sys, json, flowctl, flowctl.cli; flowctl.cli._register_commands(); "
        f"print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))))"
    )
    output = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert json.loads(output) == []


def test_help_does_not_load_the_server() -> None:
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "flowctl", "--help"], capture_output=True,
                            text=True, check=True)
    assert "server" in result.stdout
    loaded = {line.split("|")[-1].strip().split(".")[0] for line in result.stderr.splitlines() if "|" in line}
    assert not loaded & set(HEAVY)
