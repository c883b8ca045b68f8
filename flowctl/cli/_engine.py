"""Shared by the execution commands: open the execution store and build an engine context."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flowctl._config import Config
    from flowctl.engine import EngineContext
    from flowctl.state._execution_access import ExecutionAccess, ExecutionReader
    from flowctl.state._executions import ExecutionStore


def config_for(registry: str | None = None, blob_store: str | None = None, provider: str | None = None) -> Config:
    from flowctl._config import Config

    return Config(flags={"registry.url": registry, "blob_store.url": blob_store, "provider.name": provider})


def open_executions(config: Config, *, command: str = "This command") -> ExecutionStore:
    """The execution store of an existing registry (the execution commands never create or migrate one)."""
    from flowctl.state._executions import open_execution_store

    server = config.server_url
    if server is not None:
        from flowctl._errors import InputError

        raise InputError(f"{command} does not work through the flowctl server yet",  # needs the whole store
                         detail=f"FLOWCTL_SERVER is set ({server}). Use the console ({server.rstrip('/')}/console/) "
                         "or the API for it, or pass --registry URL to use the registry database directly.")
    return open_execution_store(config.registry_url, create=False)


def open_execution_access(config: Config, *, create: bool = False) -> ExecutionAccess:
    """What launch and the execution commands read and create executions through: the server's API
    when ``server`` is set (FLOWCTL_SERVER), else the registry's execution store."""
    server = config.server_url
    if server is not None:
        from flowctl.client import RemoteExecutions

        return RemoteExecutions.connect(server)
    from flowctl.state._executions import open_execution_store

    return open_execution_store(config.registry_url, create=create)


def open_execution_reader(config: Config) -> ExecutionReader:
    """What ``executions list|get|show|outputs`` read through: the server's API when ``server`` is
    set, else the registry database without SQLAlchemy where it can be (``state/_execution_browser``)."""
    server = config.server_url
    if server is not None:
        from flowctl.client import RemoteExecutions

        return RemoteExecutions.connect(server)
    from flowctl.state._execution_browser import open_execution_reader as open_reader

    return open_reader(config.registry_url)


def engine_context(
    *, registry: str | None = None, blob_store: str | None = None, provider: str | None = None, slots: int | None = None,
    command: str = "This command",
) -> EngineContext:
    from flowctl._blobstore import BlobStore
    from flowctl.engine import EngineContext
    from flowctl.providers import get_provider

    config = config_for(registry, blob_store, provider)
    chosen = get_provider(config)
    if slots is not None and hasattr(chosen, "slots"):
        chosen.slots = slots
    return EngineContext(open_executions(config, command=command), chosen, BlobStore(config.blob_store_url))
