"""Where every command opens its registry: the database itself, or the flowctl server's API.

With ``server`` set (``FLOWCTL_SERVER`` or ``server =`` in flowctl.toml, and no ``--registry``
flag) the commands get a :class:`flowctl.client.RemoteStore`, the same protocols over HTTP;
otherwise the SQL store on ``registry.url``. Nothing else in the commands differs. The listings
(``open_browser``) read the database through its DB-API driver, without SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from flowctl.state import Store
from flowctl.state._interface import PlanSource, RegistryBrowser

if TYPE_CHECKING:
    from flowctl._address import EntityKind
    from flowctl._config import Config
    from flowctl.state import StoredEntity


class BrowsableStore(Store, RegistryBrowser, Protocol):
    """A Store that also answers ``flowctl get`` and ``flowctl registry info``."""

    def list_entities(self, kind: EntityKind | None = None, project: str | None = None, domain: str | None = None,
                      name: str | None = None, version: str | None = None) -> Sequence[StoredEntity]: ...


def is_remote(config: Config) -> bool:
    return config.server_url is not None


def open_registry(config: Config, *, create: bool = False) -> BrowsableStore:
    """The registry of ``config``; only apply passes ``create`` (a server never creates one for a client)."""
    server = config.server_url
    if server is not None:
        from flowctl.client import RemoteStore

        return RemoteStore.connect(server)
    from flowctl.state import open_store

    return open_store(config.registry_url, create=create)


def open_browser(config: Config) -> RegistryBrowser:
    """The registry of ``config`` for the listings of ``flowctl get`` / ``registry info`` only: the
    server's, or the database read through the DB-API driver without SQLAlchemy (``state/_browser``)."""
    server = config.server_url
    if server is not None:
        from flowctl.client import RemoteStore

        return RemoteStore.connect(server)
    from flowctl.state._browser import open_browser as open_database

    return open_database(config.registry_url)


def open_plan_source(config: Config) -> PlanSource:
    """The registry of ``config`` for ``flowctl plan``: the server's, or the database read through the
    DB-API driver without SQLAlchemy (``state/_browser``)."""
    server = config.server_url
    if server is not None:
        from flowctl.client import RemoteStore

        return RemoteStore.connect(server)
    from flowctl.state._browser import open_plan_reader

    return open_plan_reader(config.registry_url)
