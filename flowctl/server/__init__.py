"""``flowctl server``: the JSON API (``/api/v1``) and the web console (``/console/``), one process.

Layers: routes (``_api``, ``_console``) are thin and each is bound to one named operation
(``_operations``); operations (``_reads``, ``_runs``) call the same engine, plan and store
functions the CLI calls. Needs the ``server`` extra (FastAPI, uvicorn); nothing else in flowctl
imports this package, so ``import flowctl`` and ``flowctl --help`` never load it.

Access control (``_auth``, ``_permissions``, ``_sessions``, ``_signin``): ``current_identity`` is
the FastAPI dependency of the calling :class:`Actor`; every operation's :class:`Rule` is in
``RULES``, checked by ``authorize`` before the operation runs (routes added by other modules add
their operations' rules there).
"""

from flowctl.server._app import create_app
from flowctl.server._operations import (
    OPERATIONS,
    Actor,
    Call,
    Operation,
    Scope,
    current_identity,
    route_operations,
)
from flowctl.server._permissions import RULES, Rule, authorize
from flowctl.server._serve import ServeOptions, serve
from flowctl.server._services import Services

__all__ = [
    "OPERATIONS",
    "RULES",
    "Actor",
    "Call",
    "Operation",
    "Rule",
    "Scope",
    "ServeOptions",
    "Services",
    "authorize",
    "create_app",
    "current_identity",
    "route_operations",
    "serve",
]
