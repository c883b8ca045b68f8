"""The one place that talks to the ``kubernetes`` client: configuration, retries, error translation.

- Configuration: a kubeconfig (path and context selectable) or the in-cluster service account.
- Retries: 429, 5xx and broken connections are retried with exponential backoff and full jitter
  (tenacity; ``Retry-After`` honoured); creating a Job is safe to retry because its name is deterministic.
- Errors: ``ApiException`` and urllib3 errors never leave this package. They become
  :class:`KubernetesApiError` (a :class:`~flowctl._errors.ProviderError`) whose message says what
  was refused and how to fix it: the verb and resource a service account lacks (401/403), the
  namespace, secret or service account that is missing (404). ``failure()`` gives the same as data.

Objects are plain dicts (``_preload_content=False`` + JSON), as the templates render them.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from flowctl._errors import ProviderError
from flowctl.providers._interface import ProviderFailure
from flowctl.providers.kubernetes._settings import KubernetesSettings

if TYPE_CHECKING:
    from tenacity import RetryCallState

RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
CONNECTION_ERROR = 0  # KubernetesApiError.status when no HTTP response came back


class KubernetesApiError(ProviderError):
    """A Kubernetes API call failed (after retries); ``status`` 0 means no response (connection)."""

    def __init__(self, summary: str, *, status: int, reason: str, verb: str, resource: str,
                 namespace: str | None, name: str | None, server_message: str, detail: str) -> None:
        super().__init__(summary, detail=detail, address=f"{resource}/{name}" if name else resource)
        self.status = status
        self.reason = reason
        self.verb = verb
        self.resource = resource
        self.namespace = namespace
        self.name = name
        self.server_message = server_message
        self.retry_after: float | None = None  # seconds the server asked to wait (429/503 ``Retry-After``)

    @property
    def retryable(self) -> bool:
        return self.status in RETRYABLE_STATUS or self.status == CONNECTION_ERROR

    def failure(self) -> ProviderFailure:
        """The same error as data, for a provider response. A refused permission, a missing
        namespace/secret or an invalid object is not retryable; the rest is."""
        code = {0: "ConnectionError", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 409: "AlreadyExists",
                410: "Gone", 422: "Invalid", 429: "TooManyRequests"}.get(self.status, self.reason or f"HTTP{self.status}")
        message = self.diagnostics[0].summary + (f"\n{self.diagnostics[0].detail}" if self.diagnostics[0].detail else "")
        return ProviderFailure("system", code, message, retryable=self.retryable)


def load_api_client(settings: KubernetesSettings) -> Any:
    """A ``kubernetes.client.ApiClient`` from the kubeconfig (``settings.kubeconfig``/``context``, else
    ``~/.kube/config``) or, inside a pod, the in-cluster service account."""
    from kubernetes import client
    from kubernetes import config as _config
    from kubernetes.config.config_exception import ConfigException

    config: Any = _config  # the config loaders are untyped
    configuration = client.Configuration()
    in_cluster = settings.in_cluster
    if in_cluster is None:
        in_cluster = bool(os.environ.get("KUBERNETES_SERVICE_HOST")) and not settings.kubeconfig
    try:
        if in_cluster:
            config.load_incluster_config(client_configuration=configuration)
        else:
            config.load_kube_config(config_file=settings.kubeconfig, context=settings.context,
                                    client_configuration=configuration, persist_config=False)
    except (ConfigException, OSError, TypeError, ValueError) as exc:
        where = "the in-cluster service account" if in_cluster else (settings.kubeconfig or "~/.kube/config")
        raise ProviderError(
            f"Cannot load the Kubernetes configuration from {where}",
            detail=f"{exc}\nSet KUBECONFIG / --kubeconfig (and --context or FLOWCTL_KUBE_CONTEXT), "
            "or run inside a pod with a service account.",
        ) from None
    configuration.retries = 0  # retries are ours (``KubeClient.call``), with backoff and jitter
    return client.ApiClient(configuration)


class KubeClient:
    """Thin wrapper: ``call`` runs one API method with retries and returns the decoded JSON."""

    def __init__(self, settings: KubernetesSettings, api_client: Any = None, *,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.settings = settings
        self._api_client = api_client
        self._lock = threading.Lock()
        self._sleep = sleep

    @property
    def api_client(self) -> Any:
        with self._lock:
            if self._api_client is None:
                self._api_client = load_api_client(self.settings)
            return self._api_client

    def core(self) -> Any:
        from kubernetes import client

        return client.CoreV1Api(self.api_client)

    def batch(self) -> Any:
        from kubernetes import client

        return client.BatchV1Api(self.api_client)

    def close(self) -> None:
        with self._lock:
            if self._api_client is not None:
                self._api_client.close()
                self._api_client = None

    # ------------------------------------------------------------------ calls
    def call(self, verb: str, resource: str, method: Callable[..., Any], *args: Any, namespace: str | None = None,
             name: str | None = None, raw: bool = False, **kwargs: Any) -> Any:
        """``method(*args, **kwargs)`` with retries (tenacity); JSON decoded (text when ``raw``)."""
        from tenacity import Retrying, retry_if_exception, stop_after_attempt

        def once() -> Any:
            try:
                response = method(*args, _preload_content=False, _request_timeout=self.settings.request_timeout, **kwargs)
            except Exception as exc:
                error = translate(exc, verb=verb, resource=resource, namespace=namespace, name=name)
                if error is None:
                    raise
                error.retry_after = _retry_after(exc)
                raise error from None
            data = response.data
            text = data.decode("utf-8", errors="replace") if isinstance(data, bytes) else str(data)
            return text if raw else (json.loads(text) if text.strip() else {})

        retrying = Retrying(
            retry=retry_if_exception(lambda e: isinstance(e, KubernetesApiError) and e.retryable),
            stop=stop_after_attempt(self.settings.max_retries + 1),
            wait=self._wait,
            sleep=self._sleep,
            reraise=True,
        )
        return retrying(once)

    def _wait(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome is not None else None
        return self.backoff(state.attempt_number - 1, getattr(error, "retry_after", None))

    def backoff(self, attempt: int, retry_after: float | None = None) -> float:
        """Full jitter: uniform in [0, min(max, base * 2**attempt)]; at least ``Retry-After``."""
        from tenacity import RetryCallState, Retrying, wait_random_exponential

        state = RetryCallState(Retrying(), None, (), {})
        state.attempt_number = attempt + 1
        jitter = wait_random_exponential(multiplier=self.settings.backoff_base, max=self.settings.backoff_max)
        delay = jitter(state)
        return max(delay, retry_after) if retry_after is not None else delay

    def watch(self, method: Callable[..., Any], *args: Any, resource: str, namespace: str | None,
              resource_version: str, timeout_seconds: int, **kwargs: Any) -> Iterator[dict[str, Any]]:
        """Events ``{"type", "object"}`` (``object`` a dict) from a watch starting at ``resource_version``,
        bookmarks included; ends after ``timeout_seconds``. 410 Gone raises KubernetesApiError(status=410)."""
        from kubernetes import watch as _watch

        watch: Any = _watch  # untyped
        stream = watch.Watch()
        try:
            for event in stream.stream(method, *args, resource_version=resource_version, timeout_seconds=timeout_seconds,
                                       allow_watch_bookmarks=True, _request_timeout=timeout_seconds + 10, **kwargs):
                yield {"type": event["type"], "object": event.get("raw_object") or {}}
        except Exception as exc:
            error = translate(exc, verb="watch", resource=resource, namespace=namespace, name=None)
            if error is None:
                raise
            raise error from None
        finally:
            stream.stop()


def _retry_after(exc: BaseException) -> float | None:
    headers = getattr(exc, "headers", None)
    value = headers.get("Retry-After") if headers else None
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def translate(exc: BaseException, *, verb: str, resource: str, namespace: str | None,
              name: str | None) -> KubernetesApiError | None:
    """An ``ApiException`` or connection error as a KubernetesApiError; None for anything else."""
    import urllib3.exceptions
    from kubernetes.client.exceptions import ApiException

    if isinstance(exc, ApiException):
        status = int(exc.status or 0)
        body = _status_body(exc.body)
        details = body.get("details")
        return explain(status, str(body.get("reason") or exc.reason or ""), str(body.get("message") or exc.reason or ""),
                       verb=verb, resource=resource, namespace=namespace, name=name,
                       details=details if isinstance(details, dict) else {})
    if isinstance(exc, urllib3.exceptions.HTTPError | ConnectionError | TimeoutError):
        return explain(CONNECTION_ERROR, "ConnectionError", str(exc), verb=verb, resource=resource,
                       namespace=namespace, name=name, details={})
    return None


def _status_body(body: Any) -> dict[str, Any]:
    if isinstance(body, bytes):
        body = body.decode("utf-8", errors="replace")
    if not isinstance(body, str):
        return {}
    try:
        parsed = json.loads(body)
    except ValueError:
        return {"message": body}
    return parsed if isinstance(parsed, dict) else {}


def explain(status: int, reason: str, message: str, *, verb: str, resource: str, namespace: str | None,
            name: str | None, details: dict[str, Any]) -> KubernetesApiError:
    """The error a user can act on, for one failed API call."""
    target = f"{resource}/{name}" if name else resource
    where = f" in namespace {namespace}" if namespace else ""
    if status in (401, 403):
        summary = f"Kubernetes refused to {verb} {target}{where} ({status} {reason or 'Forbidden'})"
        if status == 401:
            fix = ("The credentials were rejected: refresh the kubeconfig credentials or the service account token, "
                   "or pick another context (--context / FLOWCTL_KUBE_CONTEXT).")
        else:
            fix = (f"The identity flowctl runs as lacks the permission to {verb} {resource}{where}. Grant it with a "
                   f"Role/ClusterRole rule (verbs: [{verb}], resources: [{resource}]); `flowctl k8s render --controller` "
                   "prints the least-privilege RBAC flowctl needs.")
    elif status == 404:
        missing_kind = str(details.get("kind") or resource)
        missing_name = str(details.get("name") or name or "")
        summary = f"Kubernetes cannot {verb} {target}{where}: {missing_kind} {missing_name!r} not found".replace(" ''", "")
        if missing_kind in ("namespaces", "namespace"):
            fix = (f"The namespace {missing_name or namespace} does not exist. Run `flowctl apply` (it creates the "
                   "namespace, quota and service account of each project-domain) or check provider.kubernetes.namespace.")
        elif missing_kind in ("serviceaccounts", "serviceaccount"):
            fix = f"The service account {missing_name} is missing{where}. Run `flowctl apply` or create it."
        elif missing_kind in ("secrets", "secret"):
            fix = (f"The secret {missing_name} referenced by the task is missing{where}: "
                   f"kubectl -n {namespace} create secret generic {missing_name} --from-literal=KEY=VALUE")
        else:
            fix = "It was deleted or never created (a finished Job may have been removed by ttlSecondsAfterFinished)."
    elif status == CONNECTION_ERROR:
        summary = f"Cannot reach the Kubernetes API server to {verb} {target}{where}"
        fix = "Check the server address in the kubeconfig, the network, and that the cluster is up."
    elif status in RETRYABLE_STATUS:
        summary = f"The Kubernetes API server kept failing to {verb} {target}{where} ({status} {reason})"
        fix = "flowctl retried with backoff; the API server is overloaded or unhealthy. Try again later."
    else:
        summary = f"Kubernetes rejected {verb} {target}{where} ({status} {reason})"
        fix = "The object flowctl sent was refused; check the job template and the task's pod_template."
    detail = f"Server said: {message}\n{fix}" if message else fix
    return KubernetesApiError(summary, status=status, reason=reason, verb=verb, resource=resource, namespace=namespace,
                              name=name, server_message=message, detail=detail)
