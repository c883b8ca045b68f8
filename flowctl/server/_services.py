"""What the operations work with: the registry, the execution store, the blob store, providers.

One :class:`Services` per server process, opened on the configured registry and blob store and
shared by every request (the stores are thread-safe: one engine each, short transactions).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from flowctl._config import Config
from flowctl.engine._specs import SpecLoader
from flowctl.providers import Provider, get_provider
from flowctl.server._leases import LockLeases, max_ttl_of
from flowctl.server._models import GraphOut
from flowctl.state import SqlStore, open_store
from flowctl.state._auth import AuthStore
from flowctl.state._executions import ExecutionStore, open_execution_store
from flowctl.state._queries import ExecutionQueries

T = TypeVar("T")
GRAPH_CACHE_SIZE = 256


@dataclass
class Services:
    config: Config
    registry: SqlStore
    executions: ExecutionStore
    controller: bool = False
    queries: ExecutionQueries = field(init=False)
    specs: SpecLoader = field(init=False)
    auth: AuthStore = field(init=False)  # tokens, role bindings, audit log (on the execution store's engine)
    auth_mode: str = "off"  # how callers are identified (set by create_app; shown by /api/v1/info)

    def __post_init__(self) -> None:
        self.queries = ExecutionQueries(self.executions.engine, self.executions.url)
        self.auth = AuthStore(self.executions.engine, self.config.registry_url)
        self.specs = SpecLoader(self.executions)
        self.leases = LockLeases(self.config.registry_url, max_ttl=max_ttl_of(self.config))  # for remote clients
        self._providers: dict[str | None, Provider] = {}
        self._graphs: OrderedDict[tuple[str, ...], GraphOut] = OrderedDict()
        self._lock = threading.Lock()

    @classmethod
    def open(cls, config: Config, *, controller: bool = False) -> Services:
        url = config.registry_url
        max_ttl_of(config)  # a bad setting is refused before anything is opened
        registry = open_store(url, create=False)  # like the controller, the server never creates a registry
        try:
            return cls(config, registry, open_execution_store(url, create=False), controller=controller)
        except BaseException:
            registry.close()
            raise

    def provider(self, name: str | None) -> Provider:
        """The provider ``name`` (None: the configured one), built once (for logs of running attempts)."""
        with self._lock:
            if name not in self._providers:
                self._providers[name] = get_provider(self.config, name=name)
            return self._providers[name]

    def graph(self, key: tuple[str, ...], build: Callable[[], GraphOut]) -> GraphOut:
        """A workflow version's laid-out DAG, computed once (versions are immutable)."""
        with self._lock:
            hit = self._graphs.get(key)
            if hit is not None:
                self._graphs.move_to_end(key)
                return hit
        graph = build()
        with self._lock:
            self._graphs[key] = graph
            while len(self._graphs) > GRAPH_CACHE_SIZE:
                self._graphs.popitem(last=False)
        return graph

    def close(self) -> None:
        self.leases.close()
        self.executions.close()
        self.registry.close()
