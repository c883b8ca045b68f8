"""``flowctl server``: the JSON API (``/api/v1``) and the web console (``/console/``), one process.

Layers: routes (``_api``, ``_console``) are thin and each is bound to one named operation
(``_operations``); operations (``_reads``, ``_runs``) call the same engine, plan and store
functions the CLI calls. Needs the ``server`` extra (FastAPI, uvicorn); nothing else in flowctl
imports this package, so ``import flowctl`` and ``flowctl --help`` never load it.
"""

from flowctl.server._app import create_app
from flowctl.server._operations import OPERATIONS, Actor, Call, Operation, Scope, route_operations
from flowctl.server._serve import ServeOptions, serve
from flowctl.server._services import Services

__all__ = [
    "OPERATIONS",
    "Actor",
    "Call",
    "Operation",
    "Scope",
    "ServeOptions",
    "Services",
    "create_app",
    "route_operations",
    "serve",
]
