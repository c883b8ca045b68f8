from __future__ import annotations

from flowctl.providers.kubernetes import KubernetesSettings
from flowctl.providers.kubernetes._client import KubeClient, explain


def test_forbidden_names_the_verb_and_resource_and_the_fix() -> None:
    error = explain(403, "Forbidden", 'jobs.batch is forbidden: User "sa" cannot create resource "jobs"', verb="create",
                    resource="jobs", namespace="ml-development", name="e1-n0-0", details={})
    text = error.render()
    assert "refused to create jobs/e1-n0-0 in namespace ml-development" in text
    assert "verbs: [create], resources: [jobs]" in text and "flowctl k8s render --controller" in text
    failure = error.failure()
    assert (failure.kind, failure.code, failure.retryable) == ("system", "Forbidden", False)


def test_not_found_explains_what_is_missing() -> None:
    ns = explain(404, "NotFound", 'namespaces "ml-dev" not found', verb="create", resource="jobs", namespace="ml-dev",
                 name="j", details={"name": "ml-dev", "kind": "namespaces"})
    assert "flowctl apply" in ns.render() and "namespace ml-dev does not exist" in ns.render()
    secret = explain(404, "NotFound", "x", verb="get", resource="secrets", namespace="n", name="db", details={"kind": "secrets", "name": "db"})
    assert "kubectl -n n create secret generic db" in secret.render()
    sa = explain(404, "NotFound", "x", verb="get", resource="serviceaccounts", namespace="n", name="flowctl-task", details={})
    assert "service account flowctl-task is missing" in sa.render()


def test_retryable_statuses() -> None:
    for status, retryable in ((0, True), (429, True), (500, True), (503, True), (400, False), (409, False)):
        error = explain(status, "", "", verb="get", resource="jobs", namespace=None, name=None, details={})
        assert error.retryable is retryable


def test_backoff_is_exponential_with_full_jitter_and_honours_retry_after() -> None:
    client = KubeClient(KubernetesSettings(backoff_base=0.5, backoff_max=4.0), api_client=object())
    for attempt in range(8):
        assert 0 <= client.backoff(attempt) <= min(4.0, 0.5 * 2**attempt)
    assert client.backoff(0, retry_after=3.0) >= 3.0


class _Response:
    data = b'{"kind": "Job"}'


def _flaky(failures: list[int], retry_after: str | None = None) -> object:
    from kubernetes.client.exceptions import ApiException

    def method(*args: object, **kwargs: object) -> _Response:
        if failures:
            error = ApiException(status=failures.pop(0), reason="Unavailable")
            error.headers = {"Retry-After": retry_after} if retry_after else {}
            raise error
        return _Response()

    return method


def test_call_retries_what_is_retryable_with_backoff_then_succeeds() -> None:
    sleeps: list[float] = []
    client = KubeClient(KubernetesSettings(max_retries=3, backoff_base=0.5, backoff_max=4.0), api_client=object(),
                        sleep=sleeps.append)
    assert client.call("get", "jobs", _flaky([503, 429], retry_after="2")) == {"kind": "Job"}  # type: ignore[arg-type]
    assert len(sleeps) == 2 and all(s >= 2.0 for s in sleeps)


def test_call_gives_up_after_max_retries_and_never_retries_a_refusal() -> None:
    import pytest

    from flowctl.providers.kubernetes._client import KubernetesApiError

    sleeps: list[float] = []
    client = KubeClient(KubernetesSettings(max_retries=2, backoff_base=0.1, backoff_max=1.0), api_client=object(),
                        sleep=sleeps.append)
    with pytest.raises(KubernetesApiError) as exhausted:
        client.call("get", "jobs", _flaky([503, 503, 503, 503]))  # type: ignore[arg-type]
    assert exhausted.value.status == 503 and len(sleeps) == 2 and all(0 <= s <= 1.0 for s in sleeps)
    sleeps.clear()
    with pytest.raises(KubernetesApiError) as refused:
        client.call("create", "jobs", _flaky([403]), name="j")  # type: ignore[arg-type]
    assert refused.value.status == 403 and sleeps == []
