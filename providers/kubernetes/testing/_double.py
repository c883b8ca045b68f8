"""An API double of Kubernetes for tests (flowctl's and users'): a real HTTP server on 127.0.0.1.

The official ``kubernetes`` client talks to it like to a cluster::

    with KubernetesDouble() as k8s:
        k8s.create_namespace("proj-development")
        provider = KubernetesProvider(settings, client=k8s.kube_client(settings))
        ...

What it serves (JSON, Kubernetes ``Status`` bodies for errors):

- create/get/list/watch/delete/patch of Namespaces, Jobs, Pods, ResourceQuotas, ServiceAccounts,
  LimitRanges, Secrets and Events, with ``resourceVersion``, ``labelSelector``, ``fieldSelector``
  (events: ``involvedObject.*``, ``reason``), watch streams (chunked, with
  bookmarks and ``timeoutSeconds``), merge patches and server-side apply (as a merge), 404 for a
  namespaced object in a missing namespace, 409 on a name taken;
- admission as the real server does it: a pod gets its namespace's LimitRange defaults, and a pod
  that a ResourceQuota refuses ("must specify requests.cpu", "exceeded quota") is not created: the
  Job gets a ``FailedCreate`` Warning event with the real message, and the Job controller retries;
- a Job controller: a created Job gets a Pod (labels ``job-name``, ``controller-uid``) that goes
  Pending -> Running -> Succeeded/Failed with ``containerStatuses``; the Job gets ``Complete`` or
  ``Failed`` (``BackoffLimitExceeded``, ``DeadlineExceeded``) conditions; ``activeDeadlineSeconds``
  and ``ttlSecondsAfterFinished`` are honoured; deleting a Job removes its pods (Background/Foreground);
- the pod log endpoint, per container, only while the pod exists (404 after it is deleted);
- faults on demand: :meth:`KubernetesDouble.fail_next` (404/409/410/429/500/403..., or 0 for a reset
  connection), :meth:`KubernetesDouble.expire_watches` (410 Gone), :meth:`KubernetesDouble.pod_fault`
  (``"oom"``, ``"image_pull"``, ``"unschedulable"``).

What a pod does is decided by ``runner``: by default :func:`run_locally` runs the container's
command as a subprocess with the pod's environment (``python`` is this interpreter), so an
execution really computes its outputs through the blob store; pass any function of
:class:`PodRun` to :class:`PodResult` instead.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from http.server import ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, Literal

from flowctl.providers.kubernetes.testing._http import (
    KINDS,
    ApiError,
    Fault,
    Handler,
    RecordedRequest,
    fault_error,
    gone_event,
    matcher,
    merge_patch,
    now,
    route,
    verb_of,
)
from flowctl.providers.kubernetes.testing._jobsim import JobController
from flowctl.providers.kubernetes.testing._pods import PodResult, PodRun, run_locally

if TYPE_CHECKING:
    from flowctl.providers.kubernetes._client import KubeClient
    from flowctl.providers.kubernetes._settings import KubernetesSettings

PodFault = Literal["oom", "image_pull", "unschedulable"]


class KubernetesDouble:
    """The API server and Job controller double. Start it (``with`` or :meth:`start`), then point a
    client at :attr:`url` (:meth:`api_client`, :meth:`kube_client`)."""

    def __init__(self, *, runner: Callable[[PodRun], PodResult] | None = None, pod_start_delay: float = 0.05,
                 bookmark_interval: float = 1.0) -> None:
        self.runner = runner or run_locally
        self.pod_start_delay = pod_start_delay
        self.bookmark_interval = bookmark_interval
        self.requests: list[RecordedRequest] = []
        self._objects: dict[tuple[str, str, str], dict[str, Any]] = {}  # (resource, namespace or "", name)
        self._events: list[tuple[int, str, str, str, dict[str, Any]]] = []  # rv, resource, ns, type, obj
        self._logs: dict[tuple[str, str], list[str]] = {}
        self._rv = 1
        self._compacted = 0  # watches from a resourceVersion below this get 410 Gone
        self._expiry = 0  # bumped by expire_watches(): open watches end with 410
        self._faults: list[Fault] = []
        self._pod_faults: dict[str, PodFault] = {}
        self.jobs = JobController(self)
        self._cond = threading.Condition()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> KubernetesDouble:
        double = self

        class BoundHandler(Handler):
            server_double = double

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), BoundHandler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), name="k8s-double", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self.jobs.stop()
        with self._cond:
            self._cond.notify_all()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        self.jobs.join()

    def __enter__(self) -> KubernetesDouble:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "start the double first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def api_client(self) -> Any:
        """A ``kubernetes.client.ApiClient`` pointed at the double (no urllib3 retries of its own)."""
        from kubernetes import client

        configuration = client.Configuration()
        configuration.host = self.url
        configuration.retries = 0
        return client.ApiClient(configuration)

    def kube_client(self, settings: KubernetesSettings, **kwargs: Any) -> KubeClient:
        from flowctl.providers.kubernetes._client import KubeClient

        return KubeClient(settings, self.api_client(), **kwargs)

    # ------------------------------------------------------------------ seeding and inspection
    def create_namespace(self, name: str) -> None:
        self._put("namespaces", "", {"metadata": {"name": name}, "status": {"phase": "Active"}}, "ADDED")

    def create_secret(self, namespace: str, name: str, data: dict[str, str]) -> None:
        encoded = {k: base64.b64encode(v.encode()).decode() for k, v in data.items()}
        self._put("secrets", namespace, {"metadata": {"name": name, "namespace": namespace}, "data": encoded}, "ADDED")

    def get(self, resource: str, namespace: str, name: str) -> dict[str, Any] | None:
        with self._cond:
            obj = self._objects.get((resource, namespace, name))
            return json.loads(json.dumps(obj)) if obj is not None else None

    def list(self, resource: str, namespace: str | None = None) -> list[dict[str, Any]]:
        with self._cond:
            return [json.loads(json.dumps(o)) for (r, ns, _), o in sorted(self._objects.items())
                    if r == resource and (namespace is None or ns == namespace)]

    def pod_log(self, namespace: str, pod: str) -> str:
        with self._cond:
            return "".join(self._logs.get((namespace, pod), []))

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return True
            time.sleep(0.02)
        return predicate()

    # ------------------------------------------------------------------ faults
    def fail_next(self, status: int, *, verb: str | None = None, resource: str | None = None, times: int = 1,
                  reason: str | None = None, message: str | None = None) -> None:
        """The next ``times`` requests matching ``verb`` (create/get/list/watch/delete/patch/log) and
        ``resource`` fail with ``status`` (0: the connection is closed without a response)."""
        with self._cond:
            self._faults.append(Fault(status, verb, resource, times, reason, message))

    def expire_watches(self) -> None:
        """Compact history: open watches end with a 410 Gone event, and so does any watch from an
        older resourceVersion (clients must list again)."""
        with self._cond:
            self._compacted = self._rv + 1
            self._expiry += 1
            self._cond.notify_all()

    def pod_fault(self, fault: PodFault, job: str = "*") -> None:
        """Pods of Job ``job`` (``*``: every Job created from now on) get ``fault``."""
        with self._cond:
            self._pod_faults[job] = fault

    # ------------------------------------------------------------------ store
    def _put(self, resource: str, namespace: str, obj: dict[str, Any], event: str) -> dict[str, Any]:
        with self._cond:
            self._rv += 1
            kind, api_version = KINDS[resource]
            obj.setdefault("kind", kind)
            obj.setdefault("apiVersion", api_version)
            meta = obj.setdefault("metadata", {})
            if namespace:
                meta["namespace"] = namespace
            meta.setdefault("uid", str(uuid.uuid4()))
            meta.setdefault("creationTimestamp", now())
            meta["resourceVersion"] = str(self._rv)
            self._objects[(resource, namespace, meta["name"])] = obj
            self._events.append((self._rv, resource, namespace, event, json.loads(json.dumps(obj))))
            self._cond.notify_all()
            return obj

    def _delete_object(self, resource: str, namespace: str, name: str) -> dict[str, Any] | None:
        with self._cond:
            obj = self._objects.pop((resource, namespace, name), None)
            if obj is None:
                return None
            self._rv += 1
            obj["metadata"]["resourceVersion"] = str(self._rv)
            self._events.append((self._rv, resource, namespace, "DELETED", json.loads(json.dumps(obj))))
            self._cond.notify_all()
            return obj

    def _update(self, resource: str, namespace: str, name: str, change: Callable[[dict[str, Any]], None]) -> bool:
        with self._cond:
            obj = self._objects.get((resource, namespace, name))
            if obj is None:
                return False
            change(obj)
            self._put(resource, namespace, obj, "MODIFIED")
            return True

    # ------------------------------------------------------------------ request handling
    def handle(self, method: str, path: str, query: dict[str, str], body: Any) -> tuple[int, Any, dict[str, str]]:
        """One request -> (status, JSON body or text or an event iterator, headers)."""
        resource, namespace, name, sub = route(path)
        verb = verb_of(method, name, sub, query)
        with self._cond:
            self.requests.append(RecordedRequest(verb, resource, namespace, name, query, body))
            fault = next((f for f in self._faults if f.times > 0 and f.verb in (None, verb)
                          and f.resource in (None, resource)), None)
            if fault is not None:
                fault.times -= 1
                self._faults = [f for f in self._faults if f.times > 0]
        if fault is not None:
            if fault.status == 0:
                return 0, None, {}
            raise fault_error(fault, verb, resource, namespace, name)
        ns = namespace or ""
        if resource != "namespaces" and verb in ("create", "patch") and ("namespaces", "", ns) not in self._objects:
            raise ApiError(404, "NotFound", f'namespaces "{ns}" not found', {"name": ns, "kind": "namespaces"})
        if verb == "create":
            return self._create(resource, ns, body)
        if verb == "get":
            return 200, self._get(resource, ns, name or ""), {}
        if verb == "list":
            return 200, self._list(resource, ns, query), {}
        if verb == "watch":
            return 200, self._watch(resource, ns, query), {}
        if verb == "delete":
            return self._delete(resource, ns, name or "", query, body)
        if verb == "patch":
            return self._patch(resource, ns, name or "", body, query)
        if verb == "log":
            return 200, self._log(ns, name or "", query.get("container")), {}
        raise ApiError(405, "MethodNotAllowed", f"{method} {path} is not supported by the double")

    def _create(self, resource: str, ns: str, body: Any) -> tuple[int, Any, dict[str, str]]:
        if not isinstance(body, dict) or not body.get("metadata", {}).get("name"):
            raise ApiError(422, "Invalid", "metadata.name: Required value")
        name = body["metadata"]["name"]
        if (resource, ns, name) in self._objects:
            kind = KINDS[resource][0].lower() + ("s.batch" if resource == "jobs" else "s")
            raise ApiError(409, "AlreadyExists", f'{kind} "{name}" already exists', {"name": name, "kind": resource})
        body = json.loads(json.dumps(body))
        body["metadata"].pop("resourceVersion", None)
        if resource == "jobs":
            body.setdefault("status", {})
            uid = str(uuid.uuid4())
            body["metadata"]["uid"] = uid
            body["spec"].setdefault("selector", {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}})
        if resource == "namespaces":
            body.setdefault("status", {"phase": "Active"})
        obj = self._put(resource, ns, body, "ADDED")
        if resource == "jobs":
            self.jobs.start(ns, name)
        return 201, obj, {}

    def _get(self, resource: str, ns: str, name: str) -> dict[str, Any]:
        obj = self.get(resource, ns, name)
        if obj is None:
            kind = KINDS[resource][0].lower() + ("s.batch" if resource == "jobs" else "s")
            raise ApiError(404, "NotFound", f'{kind} "{name}" not found', {"name": name, "kind": resource})
        return obj

    def _list(self, resource: str, ns: str, query: dict[str, str]) -> dict[str, Any]:
        selector = matcher(query)
        with self._cond:
            items = [o for (r, n, _), o in sorted(self._objects.items())
                     if r == resource and (resource == "namespaces" or n == ns) and selector(o)]
            kind, api_version = KINDS[resource]
            listing: dict[str, Any] = json.loads(json.dumps({
                "kind": f"{kind}List", "apiVersion": api_version, "metadata": {"resourceVersion": str(self._rv)},
                "items": items}))
            return listing

    def _watch(self, resource: str, ns: str, query: dict[str, str]) -> Iterator[dict[str, Any]]:
        selector = matcher(query)
        bookmarks = query.get("allowWatchBookmarks") == "true"
        timeout = min(float(query.get("timeoutSeconds") or 30), 300.0)
        version = query.get("resourceVersion") or "0"
        deadline = time.monotonic() + timeout
        with self._cond:
            expiry = self._expiry
            if version == "0":
                initial = self._list(resource, ns, query)
                since = int(initial["metadata"]["resourceVersion"])
                pending: list[dict[str, Any]] = [{"type": "ADDED", "object": o} for o in initial["items"]]
            else:
                since = int(version)
                pending = []
                if since < self._compacted:
                    pending = [gone_event(since)]
                    since = -1
        yield from pending
        if since < 0:
            return
        last_bookmark = time.monotonic()
        while not self._stopping.is_set() and time.monotonic() < deadline:
            with self._cond:
                if self._expiry != expiry:
                    out = [gone_event(since)]
                    since = -1
                else:
                    out = []
                    for rv, res, n, typ, obj in self._events:
                        if rv > since and res == resource and (resource == "namespaces" or n == ns) and selector(obj):
                            out.append({"type": typ, "object": obj})
                    since = max(since, self._rv)
                    if not out:
                        self._cond.wait(min(0.2, max(0.0, deadline - time.monotonic())))
            yield from out
            if since < 0:
                return
            if bookmarks and time.monotonic() - last_bookmark >= self.bookmark_interval:
                last_bookmark = time.monotonic()
                kind, api_version = KINDS[resource]
                yield {"type": "BOOKMARK", "object": {"kind": kind, "apiVersion": api_version,
                                                      "metadata": {"resourceVersion": str(since)}}}

    def _delete(self, resource: str, ns: str, name: str, query: dict[str, str], body: Any) -> tuple[int, Any, dict[str, str]]:
        policy = query.get("propagationPolicy") or (body.get("propagationPolicy") if isinstance(body, dict) else None)
        obj = self._delete_object(resource, ns, name)
        if obj is None:
            self._get(resource, ns, name)  # raises the 404
        if resource == "jobs":
            self.jobs.cancel(ns, name)
            if policy != "Orphan":
                for pod in self.list("pods", ns):
                    if pod["metadata"].get("labels", {}).get("job-name") == name:
                        self._delete_object("pods", ns, pod["metadata"]["name"])
        if resource == "pods":
            self.jobs.cancel_pod(ns, name)
        return 200, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                     "details": {"name": name, "kind": resource, "uid": obj["metadata"]["uid"] if obj else ""}}, {}

    def _patch(self, resource: str, ns: str, name: str, body: Any, query: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        if not isinstance(body, dict):
            raise ApiError(415, "UnsupportedMediaType", "the double supports merge patches and apply patches only")
        with self._cond:
            current = self._objects.get((resource, ns, name))
            if current is None:
                if query.get("_apply") == "true":  # server-side apply creates
                    return self._create(resource, ns, body)
                return 200, self._get(resource, ns, name), {}  # raises the 404
            merged = merge_patch(json.loads(json.dumps(current)), body)
            merged["metadata"]["uid"] = current["metadata"]["uid"]
            return 200, self._put(resource, ns, merged, "MODIFIED"), {}

    def _log(self, ns: str, pod: str, container: str | None) -> str:
        """A pod's log while the pod exists; the runner's output is its first container's."""
        obj = self._get("pods", ns, pod)
        first = obj["spec"]["containers"][0]["name"]
        statuses = obj.get("status", {}).get("containerStatuses") or []
        waiting = next((s["state"]["waiting"] for s in statuses if "waiting" in s.get("state", {})), None)
        if waiting is not None:
            raise ApiError(400, "BadRequest", f'container "{container or first}" in pod "{pod}" is waiting to start: '
                           f'{waiting.get("reason")}')
        return self.pod_log(ns, pod) if container in (None, first) else ""

    # ------------------------------------------------------------------ events
    def record_event(self, ns: str, obj: dict[str, Any], reason: str, message: str, kind: str = "Job") -> None:
        """A Warning event about ``obj``, as the Job controller's event recorder writes it."""
        meta = obj["metadata"]
        stamp = now()
        self._put("events", ns, {
            "metadata": {"name": f"{meta['name']}.{secrets.token_hex(8)}"},
            "involvedObject": {"kind": kind, "namespace": ns, "name": meta["name"], "uid": meta.get("uid", ""),
                               "apiVersion": obj.get("apiVersion", "batch/v1")},
            "reason": reason, "message": message, "type": "Warning", "count": 1,
            "firstTimestamp": stamp, "lastTimestamp": stamp, "source": {"component": "job-controller"}}, "ADDED")

    def _append_log(self, ns: str, pod: str, text: str) -> None:
        with self._cond:
            self._logs.setdefault((ns, pod), []).append(text)
