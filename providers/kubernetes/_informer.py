"""A small informer: list, then watch from the list's resourceVersion, keeping a cache of objects.

410 Gone (the resourceVersion was compacted away) means "list again"; a watch that times out is
resumed from the last resourceVersion seen (bookmarks included). Errors mark the cache unsynced so
readers fall back to polling; the loop retries with backoff until stopped.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from flowctl.providers.kubernetes._client import KubeClient, KubernetesApiError

log = logging.getLogger("flowctl.providers.kubernetes")


class Informer:
    """Caches the objects of one resource in one namespace matching ``label_selector`` and
    ``field_selector``."""

    def __init__(self, client: KubeClient, *, resource: str, namespace: str, label_selector: str = "",
                 field_selector: str = "", list_method: Callable[[], Callable[..., Any]],
                 on_change: Callable[[], None] | None = None) -> None:
        self.client = client
        self._on_change = on_change  # called (on the informer's thread) after each event is cached
        self.resource = resource
        self.namespace = namespace
        self.label_selector = label_selector
        self.field_selector = field_selector
        self._list_method = list_method
        self._objects: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._synced = threading.Event()
        self._stop = threading.Event()
        self.relists = 0  # how many times the cache was rebuilt from a list (410 Gone, errors)
        self.expired = 0  # how many watches ended with 410 Gone (their resourceVersion was compacted away)
        self.last_error: KubernetesApiError | None = None
        self._thread = threading.Thread(target=self._run, name=f"flowctl-informer-{resource}-{namespace}", daemon=True)

    def start(self) -> Informer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    @property
    def synced(self) -> bool:
        return self._synced.is_set()

    def wait_synced(self, timeout: float) -> bool:
        return self._synced.wait(timeout)

    def get(self, name: str) -> dict[str, Any] | None:
        with self._lock:
            return self._objects.get(name)

    def items(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._objects.values())

    def select(self, label: str, value: str) -> list[dict[str, Any]]:
        with self._lock:
            return [o for o in self._objects.values() if (o.get("metadata", {}).get("labels") or {}).get(label) == value]

    # ------------------------------------------------------------------ loop
    def _run(self) -> None:
        failures = 0
        while not self._stop.is_set():
            try:
                version = self._list()
                failures = 0
                while not self._stop.is_set():
                    version = self._watch(version)
            except KubernetesApiError as error:
                self._synced.clear()
                if error.status == 410:
                    self.expired += 1
                    log.debug("watch of %s in %s expired (410 Gone); listing again", self.resource, self.namespace)
                    continue
                self.last_error = error
                failures += 1
                self._stop.wait(self.client.backoff(min(failures, 6)))
            except Exception as error:  # never let the thread die silently: readers fall back to polling
                self._synced.clear()
                log.warning("informer for %s in %s failed: %s", self.resource, self.namespace, error)
                failures += 1
                self._stop.wait(self.client.backoff(min(failures, 6)))

    def _list(self) -> str:
        listing = self.client.call("list", self.resource, self._list_method(), self.namespace,
                                   namespace=self.namespace, **self._selectors())
        objects = {o["metadata"]["name"]: o for o in listing.get("items", [])}
        with self._lock:
            self._objects = objects
        self.relists += 1
        self._synced.set()
        return str(listing.get("metadata", {}).get("resourceVersion", ""))

    def _selectors(self) -> dict[str, Any]:
        selectors = {"label_selector": self.label_selector, "field_selector": self.field_selector}
        return {k: v for k, v in selectors.items() if v}

    def _watch(self, version: str) -> str:
        for event in self.client.watch(self._list_method(), self.namespace, resource=self.resource,
                                       namespace=self.namespace, resource_version=version,
                                       timeout_seconds=self.client.settings.watch_timeout_seconds,
                                       **self._selectors()):
            obj = event["object"]
            meta = obj.get("metadata", {})
            version = str(meta.get("resourceVersion") or version)
            if event["type"] in ("ADDED", "MODIFIED"):
                with self._lock:
                    self._objects[meta["name"]] = obj
            elif event["type"] == "DELETED":
                with self._lock:
                    self._objects.pop(meta.get("name", ""), None)
            if self._on_change is not None and event["type"] in ("ADDED", "MODIFIED", "DELETED"):
                self._on_change()
            if self._stop.is_set():
                break
        return version
