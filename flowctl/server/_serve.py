"""Run the server (uvicorn), optionally with a controller in the same process."""

from __future__ import annotations

import logging
import socket
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass

import uvicorn

from flowctl._config import Config
from flowctl._errors import InputError
from flowctl.server._app import create_app
from flowctl.server._auth import AuthSettings, is_loopback
from flowctl.server._services import Services

log = logging.getLogger("flowctl.server")


@dataclass(frozen=True)
class ServeOptions:
    host: str = "127.0.0.1"
    port: int = 8080
    with_controller: bool = False
    poll_interval: float = 0.5
    log_level: str = "warning"


def serve(config: Config, options: ServeOptions, *, say: Callable[[str], None] = lambda m: print(m, file=sys.stderr)) -> None:
    """Serve until SIGINT/SIGTERM; the controller (if any) finishes its step and releases its claims.

    Without access control configured only a loopback address is allowed (and only loopback clients
    are answered): anyone who could reach another address could launch, abort and apply."""
    auth = AuthSettings.from_config(config)
    if not auth.enabled and not is_loopback(options.host):
        raise InputError(
            f"Refusing to listen on {options.host} without access control",
            address=f"--host {options.host}",
            detail="Anyone who can reach that address could launch, abort and deploy. Either listen on 127.0.0.1 "
            "(the default), or turn access control on: `[auth] enabled = true` in flowctl.toml (or "
            "FLOWCTL_SERVER_AUTH=true) and create tokens with `flowctl token create` (see docs/security.md).")
    services = Services.open(config, controller=options.with_controller)
    stop_controller = _start_controller(config, options) if options.with_controller else (lambda: None)
    app = create_app(services, on_shutdown=stop_controller, auth=auth)
    server = _Server(uvicorn.Config(app, host=options.host, port=options.port, log_level=options.log_level,
                                    timeout_graceful_shutdown=3, access_log=False))
    server.announce = lambda port: say(_banner(services, options, port, auth))
    server.run()


class _Server(uvicorn.Server):
    """Says where it listens once the socket is bound (``--port 0`` picks a free port)."""

    announce: Callable[[int], None] = staticmethod(lambda port: None)

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        ports = [s.getsockname()[1] for server in self.servers for s in server.sockets]
        if ports and not self.should_exit:
            self.announce(ports[0])


def _banner(services: Services, options: ServeOptions, port: int, auth: AuthSettings) -> str:
    host = f"[{options.host}]" if ":" in options.host else options.host
    lines = [
        f"flowctl server on http://{host}:{port} (registry {services.registry.url}, "
        f"controller {'in this process' if options.with_controller else 'not running here'})",
        f"  console: http://{host}:{port}/console/",
        f"  API:     http://{host}:{port}/api/v1/openapi.json",
    ]
    if auth.enabled:
        lines.append(f"  access control: {auth.description}; requests need `Authorization: Bearer <token>`")
    else:
        lines.append("  access control: not configured, so only loopback clients are answered, each as the local "
                     "admin (set [auth] enabled = true to use tokens)")
    return "\n".join(lines)


def _start_controller(config: Config, options: ServeOptions) -> Callable[[], None]:
    from flowctl._blobstore import BlobStore
    from flowctl.engine import Controller, EngineContext, clock_from_env
    from flowctl.providers import get_provider
    from flowctl.state._executions import open_execution_store

    ctx = EngineContext(open_execution_store(config.registry_url), get_provider(config),
                        BlobStore(config.blob_store_url))
    controller = Controller(ctx, clock=clock_from_env())
    thread = threading.Thread(target=controller.run, kwargs={"poll_interval": options.poll_interval},
                              name="flowctl-controller", daemon=True)
    thread.start()

    def stop() -> None:
        controller.stop()
        thread.join(timeout=30)
        ctx.store.close()

    return stop
