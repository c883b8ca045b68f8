"""An API double of Kubernetes for tests (flowctl's and users'): a real HTTP server on 127.0.0.1.

The official ``kubernetes`` client talks to it like to a cluster::

    with KubernetesDouble() as k8s:
        k8s.create_namespace("proj-development")
        provider = KubernetesProvider(settings, client=k8s.kube_client(settings))
        ...

What it serves (JSON, Kubernetes ``Status`` bodies for errors):

- create/get/list/watch/delete/patch of Namespaces, Jobs, Pods, ResourceQuotas, ServiceAccounts,
  LimitRanges and Secrets, with ``resourceVersion``, ``labelSelector``, watch streams (chunked, with
  bookmarks and ``timeoutSeconds``), merge patches and server-side apply (as a merge), 404 for a
  namespaced object in a missing namespace, 409 on a name taken;
- a Job controller: a created Job gets a Pod (labels ``job-name``, ``controller-uid``) that goes
  Pending -> Running -> Succeeded/Failed with ``containerStatuses``; the Job gets ``Complete`` or
  ``Failed`` (``BackoffLimitExceeded``, ``DeadlineExceeded``) conditions; ``activeDeadlineSeconds``
  and ``ttlSecondsAfterFinished`` are honoured; deleting a Job removes its pods (Background/Foreground);
- the pod log endpoint;
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
import os
import re
import secrets
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import parse_qs, urlsplit

if TYPE_CHECKING:
    from flowctl.providers.kubernetes._client import KubeClient
    from flowctl.providers.kubernetes._settings import KubernetesSettings

PodFault = Literal["oom", "image_pull", "unschedulable"]

_KINDS: dict[str, tuple[str, str]] = {  # resource -> (kind, apiVersion)
    "namespaces": ("Namespace", "v1"),
    "pods": ("Pod", "v1"),
    "resourcequotas": ("ResourceQuota", "v1"),
    "serviceaccounts": ("ServiceAccount", "v1"),
    "limitranges": ("LimitRange", "v1"),
    "secrets": ("Secret", "v1"),
    "jobs": ("Job", "batch/v1"),
}
_CORE = re.compile(r"^/api/v1/namespaces(?:/(?P<ns>[^/]+)(?:/(?P<res>[^/]+)(?:/(?P<name>[^/]+)(?:/(?P<sub>log))?)?)?)?$")
_BATCH = re.compile(r"^/apis/batch/v1/namespaces/(?P<ns>[^/]+)/(?P<res>jobs)(?:/(?P<name>[^/]+))?$")


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# ---------------------------------------------------------------------------- pods
@dataclass
class PodRun:
    """What a runner gets: the pod's first container, resolved. ``cancelled`` is set when the pod is
    deleted or its Job's deadline passes; a runner should stop then."""

    namespace: str
    pod: str
    job: str
    image: str
    command: list[str]
    env: dict[str, str]
    cancelled: threading.Event
    log: Callable[[str], None]  # append text to the pod's log as it runs


@dataclass(frozen=True)
class PodResult:
    exit_code: int
    reason: str = ""  # "" -> Completed / Error; e.g. "OOMKilled"
    message: str = ""


def run_locally(run: PodRun) -> PodResult:
    """Run the container's command here, with the pod's environment on top of this process's;
    ``python`` becomes this interpreter. Output goes to the pod log."""
    command = list(run.command)
    if command and command[0] in ("python", "python3"):
        command[0] = sys.executable
    env = {**os.environ, **run.env}
    try:
        process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    except OSError as exc:
        run.log(f"exec failed: {exc}\n")
        return PodResult(127, "ContainerCannotRun", str(exc))
    assert process.stdout is not None
    stdout = process.stdout

    def pump() -> None:
        for line in stdout:
            run.log(line.decode("utf-8", "replace"))

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    while process.poll() is None:
        if run.cancelled.wait(0.02):
            process.kill()
            process.wait()
            reader.join(1)
            return PodResult(137, "Error", "killed")
    reader.join(2)
    process.stdout.close()
    return PodResult(process.returncode)


def succeed(run: PodRun) -> PodResult:
    """A runner that succeeds at once without running anything."""
    run.log("ok\n")
    return PodResult(0)


# ---------------------------------------------------------------------------- faults
@dataclass
class _Fault:
    status: int
    verb: str | None
    resource: str | None
    times: int
    reason: str | None
    message: str | None


@dataclass(frozen=True)
class RecordedRequest:
    verb: str  # create, get, list, watch, delete, patch, log
    resource: str
    namespace: str | None
    name: str | None
    query: dict[str, str]
    body: Any = None


class _ApiError(Exception):
    def __init__(self, status: int, reason: str, message: str, details: dict[str, Any] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.reason, self.message = status, reason, message
        self.details = details or {}
        self.headers = headers or {}


@dataclass
class _JobSim:
    cancelled: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None


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
        self._faults: list[_Fault] = []
        self._pod_faults: dict[str, PodFault] = {}
        self._sims: dict[tuple[str, str], _JobSim] = {}
        self._cond = threading.Condition()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> KubernetesDouble:
        double = self

        class Handler(_Handler):
            server_double = double

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), name="k8s-double", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        for sim in list(self._sims.values()):
            sim.cancelled.set()
        with self._cond:
            self._cond.notify_all()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        for sim in list(self._sims.values()):
            if sim.thread is not None:
                sim.thread.join(5)

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
            self._faults.append(_Fault(status, verb, resource, times, reason, message))

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
            kind, api_version = _KINDS[resource]
            obj.setdefault("kind", kind)
            obj.setdefault("apiVersion", api_version)
            meta = obj.setdefault("metadata", {})
            if namespace:
                meta["namespace"] = namespace
            meta.setdefault("uid", str(uuid.uuid4()))
            meta.setdefault("creationTimestamp", _now())
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
        resource, namespace, name, sub = _route(path)
        verb = _verb(method, name, sub, query)
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
            raise _fault_error(fault, verb, resource, namespace, name)
        ns = namespace or ""
        if resource != "namespaces" and verb in ("create", "patch") and ("namespaces", "", ns) not in self._objects:
            raise _ApiError(404, "NotFound", f'namespaces "{ns}" not found', {"name": ns, "kind": "namespaces"})
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
            return 200, self._log(ns, name or ""), {}
        raise _ApiError(405, "MethodNotAllowed", f"{method} {path} is not supported by the double")

    def _create(self, resource: str, ns: str, body: Any) -> tuple[int, Any, dict[str, str]]:
        if not isinstance(body, dict) or not body.get("metadata", {}).get("name"):
            raise _ApiError(422, "Invalid", "metadata.name: Required value")
        name = body["metadata"]["name"]
        if (resource, ns, name) in self._objects:
            kind = _KINDS[resource][0].lower() + ("s.batch" if resource == "jobs" else "s")
            raise _ApiError(409, "AlreadyExists", f'{kind} "{name}" already exists', {"name": name, "kind": resource})
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
            self._start_job(ns, name)
        return 201, obj, {}

    def _get(self, resource: str, ns: str, name: str) -> dict[str, Any]:
        obj = self.get(resource, ns, name)
        if obj is None:
            kind = _KINDS[resource][0].lower() + ("s.batch" if resource == "jobs" else "s")
            raise _ApiError(404, "NotFound", f'{kind} "{name}" not found', {"name": name, "kind": resource})
        return obj

    def _list(self, resource: str, ns: str, query: dict[str, str]) -> dict[str, Any]:
        selector = _selector(query.get("labelSelector", ""))
        with self._cond:
            items = [o for (r, n, _), o in sorted(self._objects.items())
                     if r == resource and (resource == "namespaces" or n == ns) and selector(o)]
            kind, api_version = _KINDS[resource]
            listing: dict[str, Any] = json.loads(json.dumps({
                "kind": f"{kind}List", "apiVersion": api_version, "metadata": {"resourceVersion": str(self._rv)},
                "items": items}))
            return listing

    def _watch(self, resource: str, ns: str, query: dict[str, str]) -> Iterator[dict[str, Any]]:
        selector = _selector(query.get("labelSelector", ""))
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
                    pending = [_gone_event(since)]
                    since = -1
        yield from pending
        if since < 0:
            return
        last_bookmark = time.monotonic()
        while not self._stopping.is_set() and time.monotonic() < deadline:
            with self._cond:
                if self._expiry != expiry:
                    out = [_gone_event(since)]
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
                kind, api_version = _KINDS[resource]
                yield {"type": "BOOKMARK", "object": {"kind": kind, "apiVersion": api_version,
                                                      "metadata": {"resourceVersion": str(since)}}}

    def _delete(self, resource: str, ns: str, name: str, query: dict[str, str], body: Any) -> tuple[int, Any, dict[str, str]]:
        policy = query.get("propagationPolicy") or (body.get("propagationPolicy") if isinstance(body, dict) else None)
        obj = self._delete_object(resource, ns, name)
        if obj is None:
            self._get(resource, ns, name)  # raises the 404
        if resource == "jobs":
            sim = self._sims.get((ns, name))
            if sim is not None:
                sim.cancelled.set()
            if policy != "Orphan":
                for pod in self.list("pods", ns):
                    if pod["metadata"].get("labels", {}).get("job-name") == name:
                        self._delete_object("pods", ns, pod["metadata"]["name"])
        if resource == "pods":
            for (n, job), sim in list(self._sims.items()):
                if n == ns and name.startswith(job + "-"):
                    sim.cancelled.set()
        return 200, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                     "details": {"name": name, "kind": resource, "uid": obj["metadata"]["uid"] if obj else ""}}, {}

    def _patch(self, resource: str, ns: str, name: str, body: Any, query: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        if not isinstance(body, dict):
            raise _ApiError(415, "UnsupportedMediaType", "the double supports merge patches and apply patches only")
        with self._cond:
            current = self._objects.get((resource, ns, name))
            if current is None:
                if query.get("_apply") == "true":  # server-side apply creates
                    return self._create(resource, ns, body)
                return 200, self._get(resource, ns, name), {}  # raises the 404
            merged = _merge_patch(json.loads(json.dumps(current)), body)
            merged["metadata"]["uid"] = current["metadata"]["uid"]
            return 200, self._put(resource, ns, merged, "MODIFIED"), {}

    def _log(self, ns: str, pod: str) -> str:
        obj = self._get("pods", ns, pod)
        statuses = obj.get("status", {}).get("containerStatuses") or []
        waiting = next((s["state"]["waiting"] for s in statuses if "waiting" in s.get("state", {})), None)
        if waiting is not None:
            raise _ApiError(400, "BadRequest", f'container "task" in pod "{pod}" is waiting to start: {waiting.get("reason")}')
        return self.pod_log(ns, pod)

    # ------------------------------------------------------------------ the Job controller
    def _start_job(self, ns: str, name: str) -> None:
        sim = _JobSim()
        sim.thread = threading.Thread(target=self._run_job, args=(ns, name, sim), name=f"k8s-double-job-{name}", daemon=True)
        self._sims[(ns, name)] = sim
        sim.thread.start()

    def _run_job(self, ns: str, name: str, sim: _JobSim) -> None:
        try:
            self._simulate(ns, name, sim)
        except Exception as exc:  # a bug in the double must show up in the test's output
            sys.stderr.write(f"kubernetes double: job {ns}/{name} simulation failed: {exc!r}\n")

    def _simulate(self, ns: str, name: str, sim: _JobSim) -> None:
        job = self.get("jobs", ns, name)
        if job is None:
            return
        started = time.monotonic()
        deadline = job["spec"].get("activeDeadlineSeconds")
        ttl = job["spec"].get("ttlSecondsAfterFinished")
        template = job["spec"]["template"]
        container = template["spec"]["containers"][0]
        pod_name = f"{name}-{secrets.token_hex(3)[:5]}"
        labels = {**(template.get("metadata", {}).get("labels") or {}), "job-name": name,
                  "controller-uid": job["metadata"]["uid"], "batch.kubernetes.io/job-name": name,
                  "batch.kubernetes.io/controller-uid": job["metadata"]["uid"]}
        pod = {
            "metadata": {"name": pod_name, "labels": labels, "annotations": template.get("metadata", {}).get("annotations") or {},
                         "ownerReferences": [{"apiVersion": "batch/v1", "kind": "Job", "name": name, "uid": job["metadata"]["uid"],
                                              "controller": True, "blockOwnerDeletion": True}]},
            "spec": template["spec"],
            "status": {"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "True", "lastTransitionTime": _now()}],
                       "containerStatuses": [_waiting(container, "ContainerCreating", "")]},
        }
        self._update("jobs", ns, name, lambda j: j["status"].update({"active": 1, "startTime": _now(), "ready": 0}))
        self._put("pods", ns, pod, "ADDED")
        with self._cond:
            fault = self._pod_faults.get(name) or self._pod_faults.get("*")

        def expired() -> bool:
            return deadline is not None and time.monotonic() - started >= float(deadline)

        if sim.cancelled.wait(self.pod_start_delay):
            return
        result: PodResult | None = None
        env, missing = self._container_env(ns, container)
        if fault == "unschedulable":
            self._update("pods", ns, pod_name, lambda p: p["status"].update({"conditions": [{
                "type": "PodScheduled", "status": "False", "reason": "Unschedulable", "lastTransitionTime": _now(),
                "message": "0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available."}],
                "containerStatuses": []}))
        elif fault == "image_pull":
            self._update("pods", ns, pod_name, lambda p: p["status"].update({"containerStatuses": [_waiting(
                container, "ErrImagePull", f'rpc error: code = NotFound desc = failed to pull and unpack image "{container["image"]}": not found')]}))
        elif missing:
            self._update("pods", ns, pod_name, lambda p: p["status"].update({"containerStatuses": [_waiting(
                container, "CreateContainerConfigError", f'secret "{missing}" not found')]}))
        elif fault == "oom":
            result = PodResult(137, "OOMKilled")
        if fault in ("unschedulable", "image_pull") or missing:
            while not sim.cancelled.wait(0.05):
                if expired():
                    self._fail_deadline(ns, name, pod_name)
                    break
            return
        if result is None:
            self._update("pods", ns, pod_name, lambda p: p["status"].update({"phase": "Running", "startTime": _now(),
                "containerStatuses": [{"name": container["name"], "image": container.get("image", ""), "imageID": "", "ready": True,
                                       "restartCount": 0, "started": True, "state": {"running": {"startedAt": _now()}}}]}))
            self._update("jobs", ns, name, lambda j: j["status"].update({"ready": 1}))
            run = PodRun(ns, pod_name, name, container.get("image", ""), list(container.get("command", [])) + list(container.get("args", [])),
                         env, sim.cancelled, lambda text: self._append_log(ns, pod_name, text))
            outcome: list[PodResult] = []
            worker = threading.Thread(target=lambda: outcome.append(self.runner(run)), daemon=True)
            worker.start()
            while worker.is_alive():
                worker.join(0.02)
                if expired() and not sim.cancelled.is_set():
                    sim.cancelled.set()
                    worker.join(5)
                    self._fail_deadline(ns, name, pod_name)
                    return
            if sim.cancelled.is_set() or not outcome:
                return
            result = outcome[0]
        self._finish(ns, name, pod_name, container, result)
        if ttl is not None and not sim.cancelled.wait(float(ttl)):
                self._delete("jobs", ns, name, {"propagationPolicy": "Background"}, None)

    def _finish(self, ns: str, name: str, pod_name: str, container: dict[str, Any], result: PodResult) -> None:
        ok = result.exit_code == 0
        reason = result.reason or ("Completed" if ok else "Error")
        terminated = {"exitCode": result.exit_code, "reason": reason, "startedAt": _now(), "finishedAt": _now()}
        if result.message:
            terminated["message"] = result.message
        self._update("pods", ns, pod_name, lambda p: p["status"].update({
            "phase": "Succeeded" if ok else "Failed",
            "containerStatuses": [{"name": container["name"], "image": container.get("image", ""), "imageID": "", "ready": False,
                                   "restartCount": 0, "started": False, "state": {"terminated": terminated}}]}))
        if ok:
            conditions = [_condition("SuccessCriteriaMet", "CompletionsReached", "Reached expected number of succeeded pods"),
                          _condition("Complete", "CompletionsReached", "Reached expected number of succeeded pods")]
            status = {"active": 0, "ready": 0, "succeeded": 1, "completionTime": _now(), "conditions": conditions}
        else:
            conditions = [_condition("FailureTarget", "BackoffLimitExceeded", "Job has reached the specified backoff limit"),
                          _condition("Failed", "BackoffLimitExceeded", "Job has reached the specified backoff limit")]
            status = {"active": 0, "ready": 0, "failed": 1, "conditions": conditions}
        self._update("jobs", ns, name, lambda j: j["status"].update(status))

    def _fail_deadline(self, ns: str, name: str, pod_name: str) -> None:
        self._delete_object("pods", ns, pod_name)
        conditions = [_condition("FailureTarget", "DeadlineExceeded", "Job was active longer than specified deadline"),
                      _condition("Failed", "DeadlineExceeded", "Job was active longer than specified deadline")]
        self._update("jobs", ns, name, lambda j: j["status"].update({"active": 0, "ready": 0, "failed": 1, "conditions": conditions}))

    def _container_env(self, ns: str, container: dict[str, Any]) -> tuple[dict[str, str], str | None]:
        """The container's environment with secret references resolved; the first missing secret."""
        env: dict[str, str] = {}
        for source in container.get("envFrom") or []:
            ref = (source.get("secretRef") or {}).get("name")
            if ref:
                secret = self.get("secrets", ns, ref)
                if secret is None:
                    return env, ref
                env.update({k: base64.b64decode(v).decode() for k, v in (secret.get("data") or {}).items()})
        for var in container.get("env") or []:
            ref = ((var.get("valueFrom") or {}).get("secretKeyRef")) or None
            if ref is None:
                env[var["name"]] = str(var.get("value", ""))
                continue
            secret = self.get("secrets", ns, ref["name"])
            if secret is None or ref["key"] not in (secret.get("data") or {}):
                return env, ref["name"]
            env[var["name"]] = base64.b64decode(secret["data"][ref["key"]]).decode()
        return env, None

    def _append_log(self, ns: str, pod: str, text: str) -> None:
        with self._cond:
            self._logs.setdefault((ns, pod), []).append(text)


# ---------------------------------------------------------------------------- helpers
def _waiting(container: dict[str, Any], reason: str, message: str) -> dict[str, Any]:
    state: dict[str, Any] = {"reason": reason}
    if message:
        state["message"] = message
    return {"name": container["name"], "image": container.get("image", ""), "imageID": "", "ready": False, "restartCount": 0,
            "started": False, "state": {"waiting": state}}


def _condition(kind: str, reason: str, message: str) -> dict[str, Any]:
    return {"type": kind, "status": "True", "reason": reason, "message": message, "lastProbeTime": _now(),
            "lastTransitionTime": _now()}


def _gone_event(since: int) -> dict[str, Any]:
    return {"type": "ERROR", "object": {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                                        "message": f"too old resource version: {since}", "reason": "Expired", "code": 410}}


def _route(path: str) -> tuple[str, str | None, str | None, str | None]:
    match = _BATCH.match(path)
    if match:
        return "jobs", match["ns"], match["name"], None
    match = _CORE.match(path)
    if not match:
        raise _ApiError(404, "NotFound", f"the server could not find the requested resource ({path})")
    if match["res"] is None:
        return "namespaces", None, match["ns"], None
    if match["res"] not in _KINDS or match["res"] in ("namespaces", "jobs"):
        raise _ApiError(404, "NotFound", f"the server could not find the requested resource ({match['res']})")
    return match["res"], match["ns"], match["name"], match["sub"]


def _verb(method: str, name: str | None, sub: str | None, query: dict[str, str]) -> str:
    if sub == "log":
        return "log"
    if method == "GET":
        if name is not None:
            return "get"
        return "watch" if query.get("watch") in ("true", "1") else "list"
    return {"POST": "create", "DELETE": "delete", "PATCH": "patch", "PUT": "patch"}.get(method, method.lower())


def _selector(text: str) -> Callable[[dict[str, Any]], bool]:
    """``a=b,c!=d,e,!f`` as a predicate on an object's labels."""
    terms: list[tuple[str, str, str]] = []  # (operator, key, value)
    for term in filter(None, (t.strip() for t in text.split(","))):
        if "!=" in term:
            key, value = term.split("!=", 1)
            terms.append(("!=", key.strip(), value.strip()))
        elif "=" in term:
            key, value = term.replace("==", "=").split("=", 1)
            terms.append(("=", key.strip(), value.strip()))
        elif term.startswith("!"):
            terms.append(("!", term[1:].strip(), ""))
        else:
            terms.append(("exists", term, ""))

    def matches(obj: dict[str, Any]) -> bool:
        labels: dict[str, str] = obj.get("metadata", {}).get("labels") or {}
        for op, key, value in terms:
            ok = {"!=": labels.get(key) != value, "=": labels.get(key) == value, "!": key not in labels,
                  "exists": key in labels}[op]
            if not ok:
                return False
        return True

    return matches


def _merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch (``null`` deletes)."""
    if not isinstance(patch, dict):
        return patch
    out = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = _merge_patch(out.get(key), value)
    return out


def _fault_error(fault: _Fault, verb: str, resource: str, namespace: str | None, name: str | None) -> _ApiError:
    reason = fault.reason or {403: "Forbidden", 404: "NotFound", 409: "AlreadyExists", 410: "Expired",
                              429: "TooManyRequests", 500: "InternalError", 503: "ServiceUnavailable"}.get(fault.status, "Failure")
    group = "batch" if resource == "jobs" else ""
    where = f' in the namespace "{namespace}"' if namespace else ""
    default = {
        403: f'{resource}{"." + group if group else ""} "{name or ""}" is forbidden: User "system:serviceaccount:flowctl-system:'
             f'flowctl-controller" cannot {verb} resource "{resource}" in API group "{group}"{where}',
        404: f'{resource} "{name or ""}" not found',
        429: "Too many requests, please try again later.",
        500: "Internal error occurred: etcdserver: request timed out",
    }.get(fault.status, reason)
    details: dict[str, Any] = {"name": name or "", "kind": resource}
    if fault.status == 404 and resource != "namespaces" and name is None:
        details = {"name": namespace or "", "kind": "namespaces"}
        default = f'namespaces "{namespace}" not found'
    headers = {"Retry-After": "0"} if fault.status == 429 else {}
    return _ApiError(fault.status, reason, fault.message or default, details, headers)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_double: KubernetesDouble

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return

    def _dispatch(self) -> None:
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        content_type = self.headers.get("Content-Type", "")
        if "apply-patch" in content_type:
            query["_apply"] = "true"
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            try:
                import yaml

                body = yaml.safe_load(raw)
            except Exception:
                self._send_status(_ApiError(400, "BadRequest", "the body is not JSON"))
                return
        try:
            status, payload, headers = self.server_double.handle(self.command, parts.path, query, body)
        except _ApiError as error:
            self._send_status(error)
            return
        if status == 0:  # injected connection reset
            self.close_connection = True
            self.connection.close()
            return
        if isinstance(payload, Iterator):
            self._stream(payload)
            return
        if isinstance(payload, str):
            self._send(status, payload.encode(), "text/plain", headers)
            return
        self._send(status, json.dumps(payload).encode(), "application/json", headers)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _dispatch

    def _send(self, status: int, data: bytes, content_type: str, headers: dict[str, str]) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def _send_status(self, error: _ApiError) -> None:
        body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": error.message,
                "reason": error.reason, "details": error.details, "code": error.status}
        phrase = HTTPStatus(error.status).phrase if error.status in HTTPStatus._value2member_map_ else ""
        self.send_response(error.status, phrase)
        self.send_header("Content-Type", "application/json")
        data = json.dumps(body).encode()
        self.send_header("Content-Length", str(len(data)))
        for key, value in error.headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def _stream(self, events: Iterator[dict[str, Any]]) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            for event in events:
                data = json.dumps(event).encode() + b"\n"
                self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
