"""Where every command opens its registry: the database itself, or the flowctl server's API.

With ``server`` set (``FLOWCTL_SERVER`` or ``server =`` in flowctl.toml, and no ``--registry``
flag) the commands get a :class:`flowctl.client.RemoteStore`, the same protocols over HTTP;
otherwise the SQL store on ``registry.url``. Nothing else in the commands differs. The listings
(``open_browser``) read the database through its DB-API driver, without SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from flowctl.state._interface import BrowsableStore, PlanSource, RegistryBrowser

if TYPE_CHECKING:
    from flowctl._config import Config
    from flowctl.client import RemoteStore


Opened = TypeVar("Opened")


def is_remote(config: Config) -> bool:
    return config.server_url is not None


def open_registry(config: Config, *, create: bool = False) -> BrowsableStore:
    """The registry of ``config``; only apply passes ``create`` (a server never creates one for a client)."""
    def local(url: str) -> BrowsableStore:
        from flowctl.state import open_store

        return open_store(url, create=create)

    return _server_or(config, local)


def open_browser(config: Config) -> RegistryBrowser:
    """The registry of ``config`` for the listings of ``flowctl get`` / ``registry info`` only: the
    server's, or the database read through the DB-API driver without SQLAlchemy (``state/_browser``)."""
    from flowctl.state._browser import open_browser as open_database

    return _server_or(config, open_database)


def open_plan_source(config: Config) -> PlanSource:
    """The registry of ``config`` for ``flowctl plan``: the server's, or the database read through the
    DB-API driver without SQLAlchemy (``state/_browser``)."""
    from flowctl.state._browser import open_plan_reader

    return _server_or(config, open_plan_reader)


def _server_or(config: Config, local: Callable[[str], Opened]) -> Opened | RemoteStore:
    """The server's store API when ``server`` is set, else ``local(registry_url)``."""
    server = config.server_url
    if server is None:
        return local(config.registry_url)
    from flowctl.client import RemoteStore

    return RemoteStore.connect(server)
