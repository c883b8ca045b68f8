"""The ASGI application: the JSON API, the console and its static files, over one set of services."""

from __future__ import annotations

import gc
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.staticfiles import StaticFiles

from flowctl.server import (
    _api,
    _console,
    _execution_ops,
    _problems,
    _sessions,
    _signin,
    _store_api,
    _store_locks,
)
from flowctl.server._auth import Authenticator, AuthSettings
from flowctl.server._services import Services

STATIC = Path(__file__).parent / "static"
API_DESCRIPTION = """The registry and executions of flowctl over HTTP.

Errors are RFC 9457 problem documents (`application/problem+json`): `title` says what went wrong,
`where` names the object (its address) or the request field, `fix` says how to fix it.
"""


async def _server_timing(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    """``Server-Timing: app;dur=<ms>, cpu;dur=<ms>`` on every response (what benchmarks/server.py
    measures): wall time, and this process's CPU time meanwhile (steadier on a busy machine; it
    counts every thread, so it is the request's own only while requests run one at a time)."""
    start, cpu = time.perf_counter(), time.process_time()
    response = await call_next(request)
    wall, used = (time.perf_counter() - start) * 1000, (time.process_time() - cpu) * 1000
    response.headers["Server-Timing"] = f"app;dur={wall:.2f}, cpu;dur={used:.2f}"
    return response


def create_app(services: Services, *, on_shutdown: Callable[[], None] = lambda: None,
               auth: AuthSettings | None = None) -> FastAPI:
    """The app over ``services`` (closed, after ``on_shutdown``, when the app shuts down).

    ``auth``: how callers are identified (default: from the configuration, ``[auth]``)."""
    settings = auth if auth is not None else AuthSettings.from_config(services.config)
    services.auth_mode = settings.description

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        gc.freeze()  # what start-up loaded stays: full collections no longer walk it (pauses on big pages)
        yield
        on_shutdown()
        services.close()

    app = FastAPI(
        title="flowctl", version="1", description=API_DESCRIPTION, lifespan=lifespan,
        openapi_url="/api/v1/openapi.json", docs_url=None, redoc_url=None,  # Swagger UI would load from a CDN
    )
    app.state.services = services
    app.state.authenticator = Authenticator(settings, services.auth)
    app.state.sessions = _sessions.Sessions(settings.session_secret)
    app.include_router(_api.router)
    app.include_router(_store_api.router)
    app.include_router(_store_locks.router)
    app.include_router(_execution_ops.router)
    app.include_router(_console.router)
    app.include_router(_signin.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_middleware(GZipMiddleware, minimum_size=1024, compresslevel=5)  # 9 costs 3x the time for 3% less
    _sessions.install(app, app.state.sessions)
    app.middleware("http")(_server_timing)
    _problems.install(app)
    return app
