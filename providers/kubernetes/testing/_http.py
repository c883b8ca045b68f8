"""The HTTP side of the double: routes, label/field selectors, merge patches, faults, Status bodies."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

KINDS: dict[str, tuple[str, str]] = {  # resource -> (kind, apiVersion)
    "namespaces": ("Namespace", "v1"),
    "pods": ("Pod", "v1"),
    "resourcequotas": ("ResourceQuota", "v1"),
    "serviceaccounts": ("ServiceAccount", "v1"),
    "limitranges": ("LimitRange", "v1"),
    "secrets": ("Secret", "v1"),
    "events": ("Event", "v1"),
    "jobs": ("Job", "batch/v1"),
}
_CORE = re.compile(r"^/api/v1/namespaces(?:/(?P<ns>[^/]+)(?:/(?P<res>[^/]+)(?:/(?P<name>[^/]+)(?:/(?P<sub>log))?)?)?)?$")
_BATCH = re.compile(r"^/apis/batch/v1/namespaces/(?P<ns>[^/]+)/(?P<res>jobs)(?:/(?P<name>[^/]+))?$")


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Backend(Protocol):
    def handle(self, method: str, path: str, query: dict[str, str], body: Any) -> tuple[int, Any, dict[str, str]]: ...


@dataclass
class Fault:
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


class ApiError(Exception):
    def __init__(self, status: int, reason: str, message: str, details: dict[str, Any] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.reason, self.message = status, reason, message
        self.details = details or {}
        self.headers = headers or {}


def gone_event(since: int) -> dict[str, Any]:
    return {"type": "ERROR", "object": {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                                        "message": f"too old resource version: {since}", "reason": "Expired", "code": 410}}


def route(path: str) -> tuple[str, str | None, str | None, str | None]:
    match = _BATCH.match(path)
    if match:
        return "jobs", match["ns"], match["name"], None
    match = _CORE.match(path)
    if not match:
        raise ApiError(404, "NotFound", f"the server could not find the requested resource ({path})")
    if match["res"] is None:
        return "namespaces", None, match["ns"], None
    if match["res"] not in KINDS or match["res"] in ("namespaces", "jobs"):
        raise ApiError(404, "NotFound", f"the server could not find the requested resource ({match['res']})")
    return match["res"], match["ns"], match["name"], match["sub"]


def verb_of(method: str, name: str | None, sub: str | None, query: dict[str, str]) -> str:
    if sub == "log":
        return "log"
    if method == "GET":
        if name is not None:
            return "get"
        return "watch" if query.get("watch") in ("true", "1") else "list"
    return {"POST": "create", "DELETE": "delete", "PATCH": "patch", "PUT": "patch"}.get(method, method.lower())


def selector(text: str) -> Callable[[dict[str, Any]], bool]:
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


def field_selector(text: str) -> Callable[[dict[str, Any]], bool]:
    """``involvedObject.kind=Job,reason=FailedCreate`` (``=``, ``==``, ``!=`` on dotted paths)."""
    terms: list[tuple[bool, list[str], str]] = []  # (equal, path, value)
    for term in filter(None, (t.strip() for t in text.split(","))):
        equal = "!=" not in term
        key, value = term.replace("!=", "=").replace("==", "=").split("=", 1)
        terms.append((equal, key.strip().split("."), value.strip()))

    def matches(obj: dict[str, Any]) -> bool:
        for equal, path, value in terms:
            node: Any = obj
            for part in path:
                node = node.get(part) if isinstance(node, dict) else None
            if (str(node if node is not None else "") == value) != equal:
                return False
        return True

    return matches


def matcher(query: dict[str, str]) -> Callable[[dict[str, Any]], bool]:
    """The ``labelSelector`` and ``fieldSelector`` of a list/watch query, as one predicate."""
    labels, fields = selector(query.get("labelSelector", "")), field_selector(query.get("fieldSelector", ""))
    return lambda obj: labels(obj) and fields(obj)


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch (``null`` deletes)."""
    if not isinstance(patch, dict):
        return patch
    out = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


def fault_error(fault: Fault, verb: str, resource: str, namespace: str | None, name: str | None) -> ApiError:
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
    return ApiError(fault.status, reason, fault.message or default, details, headers)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_double: Backend

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
                self._send_status(ApiError(400, "BadRequest", "the body is not JSON"))
                return
        try:
            status, payload, headers = self.server_double.handle(self.command, parts.path, query, body)
        except ApiError as error:
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

    def _send_status(self, error: ApiError) -> None:
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
