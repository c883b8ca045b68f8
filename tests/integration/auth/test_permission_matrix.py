"""Every endpoint x every role x in/out of scope -> allowed or 403, generated from the rule table.

The table is ``flowctl.server._permissions.RULES``; the routes are the app's own. A route whose
operation has no rule fails here, and so would a route that skipped the check.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from auth_support import AuthApp, start

from flowctl._roles import ROLES, allows
from flowctl.server import OPERATIONS, route_operations
from flowctl.server._permissions import RULES, Rule

FASTAPI_OWN = {"GET /api/v1/openapi.json", "HEAD /api/v1/openapi.json"}
FILL = {"domain": "development", "name": "run-x", "kind": "workflows", "version": "v1", "serial": "1",
        "lock_id": "no-such-lock", "digest": "0" * 64, "execution_id": "no-such-id", "launch_plan": "flows.chain",
        "node_id": "n0", "attempt": "1"}
WINDOW = {"start": "2026-01-01T00:00:00Z", "end": "2026-01-01T01:00:00Z"}
QUERY = {"execution.node": {"id": "n0"}, "execution.logs": {"node": "n0", "attempt": "1"},
         "store.execution_find": {"ref": "run-x"}, "store.backfill_preview": WINDOW}
BODY = {"execution.launch": {"inputs": {"a": 1, "b": 2}}, "launch_plan.activate": {"version": "v1"},
        "store.signal": {"text": "yes", "approve": True}, "store.backfill": WINDOW}


def _approval(project: str) -> dict[str, Any]:
    return {"record": {"project": project, "domain": "development", "source_domain": "staging", "workflow": "wf",
                       "version": "v1", "approved_by": "x", "approved_at": "2026-01-01T00:00:00Z"}}


def _new_execution(project: str) -> dict[str, Any]:
    return {"new": {"project": project, "domain": "development", "name": f"m-{time.monotonic_ns()}",
                    "launch_plan_name": "flows.chain", "launch_plan_version": "v1", "workflow_name": "flows.chain",
                    "workflow_version": "v1", "inputs": {"a": 1, "b": 2}}}


# store routes whose project/domain is in the body: called once per target project, judged as a path rule
BODY_AT: dict[str, Callable[[str], dict[str, Any]]] = {"store.approve": _approval,
                                                        "store.execution_create": _new_execution}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AuthApp]:
    app = start(tmp_path_factory.mktemp("matrix"))
    yield app
    app.server.stop()


def routes() -> list[tuple[str, str, str]]:
    """Every route of the app bound to an operation (API, console, store API), as METHOD, path, operation."""
    from flowctl.server._api import router as api
    from flowctl.server._console import router as console
    from flowctl.server._execution_ops import router as execution_ops
    from flowctl.server._store_api import router as store
    from flowctl.server._store_locks import router as store_locks

    found = {**route_operations(api.routes), **route_operations(console.routes), **route_operations(store.routes),
             **route_operations(execution_ops.routes), **route_operations(store_locks.routes)}
    return sorted((key.split(" ")[0], key.split(" ")[1], ops[0]) for key, ops in found.items()
                  if key not in FASTAPI_OWN and key.split(" ")[0] != "HEAD")


def _project_query_routes() -> set[str]:
    """Paths whose endpoint takes ``?project=`` (a listing scoped by the query)."""
    from flowctl.server._api import router as api
    from flowctl.server._console import router as console
    from flowctl.server._execution_ops import router as execution_ops
    from flowctl.server._operations import flat_routes
    from flowctl.server._store_api import router as store
    from flowctl.server._store_locks import router as store_locks

    return {r.path for r in flat_routes([*api.routes, *console.routes, *store.routes, *execution_ops.routes,
                                          *store_locks.routes])
            if any(q.name == "project" for q in r.dependant.query_params)}


PROJECT_QUERY = _project_query_routes()


def test_every_operation_has_a_rule() -> None:
    assert set(OPERATIONS) - set(RULES) == set(), "add the operation's rule to _permissions.RULES"
    assert set(RULES) - set(OPERATIONS) == set()
    assert {operation for _, _, operation in routes()} == set(OPERATIONS)  # the matrix reaches every operation


def expected(rule: Rule, role: str, place: str, target: str, has_project: bool) -> bool:
    """What the table says: ``place`` is the token's binding, ``target`` the project the request names."""
    if not allows(role, rule.action):
        return False
    if rule.scope == "self":
        return True
    if rule.scope == "global":
        return place == "*"
    if rule.scope == "each":  # the action somewhere; the operation checks each place (test_store_api_scopes.py)
        return True
    if rule.scope == "listing" and not has_project:
        return True  # allowed, and filtered to what the token sees (test_listings_show_only_the_tokens_projects)
    if place == "*":
        return True
    if place == "pa/production":  # a domain binding: never development; listings of pa show its production part
        return rule.scope == "listing" and target == "pa"
    return target == "pa"


def request(app: AuthApp, method: str, path: str, operation: str, target: str, token: str | None) -> str:
    """``allowed``, ``401`` (console pages: redirected to sign-in) or ``403``."""
    url = re.sub(r"\{(\w+)\}", lambda m: target if m.group(1) == "project" else FILL[m.group(1)], path)
    params = dict(QUERY.get(operation, {}))
    if path in PROJECT_QUERY and target != "-":
        params["project"] = target
    body = BODY_AT[operation](target) if operation in BODY_AT else BODY.get(operation)
    with app.client.stream(method, url, params=params, json=body, headers=app.as_(token),
                           follow_redirects=False) as response:  # not read: an event stream never ends
        if response.status_code in (401, 403):
            return str(response.status_code)
        if response.status_code == 303 and response.headers["location"].startswith("/console/signin"):
            return "401"
        return "allowed"


@pytest.mark.parametrize(("method", "path", "operation"), routes())
def test_matrix(app: AuthApp, method: str, path: str, operation: str) -> None:
    rule = RULES[operation]
    has_project = "{project}" in path or operation in BODY_AT
    targets = ["pa", "pb"] if has_project or path in PROJECT_QUERY else ["-"]
    assert request(app, method, path, operation, targets[0], None) == "401"
    assert request(app, method, path, operation, targets[0], "fct_000000000000_" + "x" * 43) == "401"
    problems = []
    for role in ROLES:
        for place in ("pa", "pa/production", "*"):
            for target in [*targets, *(["-"] if path in PROJECT_QUERY else [])]:
                got = request(app, method, path, operation, target, app.tokens[(role, place)])
                want = "allowed" if expected(rule, role, place, target, has_project or target != "-") else "403"
                if got != want:
                    problems.append(f"{role}@{place} -> {target}: {got}, expected {want}")
    assert problems == [], f"{method} {path} ({operation}, {rule}):\n" + "\n".join(problems)


def test_a_denial_names_identity_action_address_and_role(app: AuthApp) -> None:
    response = app.client.post("/api/v1/projects/pa/domains/development/executions/run-pa/abort",
                               headers=app.as_(app.tokens[("viewer", "pa")]))
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    doc = response.json()
    assert doc["title"] == "token:viewer-pa may not operate on pa/development"
    assert (doc["identity"], doc["action"], doc["address"], doc["required_role"]) == (
        "token:viewer-pa", "operate", "pa/development", "operator")
    assert "its role there is viewer" in doc["fix"]
    assert "flowctl role bind token:viewer-pa --role operator --project pa --domain development" in doc["fix"]
    assert "Traceback" not in response.text


def test_unauthenticated_is_401_with_a_bearer_challenge(app: AuthApp) -> None:
    response = app.client.get("/api/v1/executions")
    assert response.status_code == 401 and response.headers["www-authenticate"].startswith("Bearer")
    assert "flowctl token create" in response.json()["fix"]
    bad = app.client.get("/api/v1/executions", headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert bad.status_code == 401 and bad.json()["title"] == "Unsupported Authorization header"
    assert "access control: API tokens; requests need `Authorization: Bearer <token>`" in app.server.log.read_text()


def test_listings_show_only_the_tokens_projects(app: AuthApp) -> None:
    pa = app.tokens[("viewer", "pa")]
    assert [p["name"] for p in app.get("/api/v1/projects", pa).json()] == ["pa"]
    assert {x["project"] for x in app.get("/api/v1/executions", pa).json()["items"]} == {"pa"}
    everything = app.tokens[("viewer", "*")]
    assert {x["project"] for x in app.get("/api/v1/executions", everything).json()["items"]} == {"pa", "pb"}
    assert [p["name"] for p in app.get("/api/v1/projects", everything).json()] == ["pa", "pb"]
    # a production-only token sees project pa, but none of its development data
    prod = app.tokens[("admin", "pa/production")]
    assert app.get("/api/v1/executions", prod).json()["items"] == []
    assert [(p["name"], [d["name"] for d in p["domains"]]) for p in app.get("/api/v1/projects", prod).json()] == [
        ("pa", ["production"])]
    # the console's listing filters too
    page = app.get("/console/executions", pa)
    assert page.status_code == 200 and "run-pa" in page.text and "run-pb" not in page.text


def test_direct_reads_of_another_project_are_refused(app: AuthApp) -> None:
    pa = app.tokens[("admin", "pa")]
    for path in ("/api/v1/projects/pb", "/api/v1/projects/pb/overview",
                 "/api/v1/projects/pb/domains/development/executions/run-pb",
                 "/api/v1/projects/pb/domains/development/executions/run-pb/events",
                 "/api/v1/projects/pb/domains/development/workflows"):
        response = app.get(path, pa)
        assert response.status_code == 403, (path, response.status_code)
        assert response.json()["code"] == "USER:PermissionDenied" and "outputs" not in response.text
    assert app.get("/api/v1/projects/pa/domains/development/executions/run-pa", pa).status_code == 200
