"""The provider finds an attempt's Job from its handle, or where submit puts it when none was recorded."""

from __future__ import annotations

import pytest

from flowctl.providers._interface import AttemptRef
from flowctl.providers.kubernetes import KubernetesSettings
from flowctl.providers.kubernetes._provider import KubernetesProvider

REF = AttemptRef("ml", "development", "e1", "n0", 3)


def _provider() -> KubernetesProvider:
    return KubernetesProvider(KubernetesSettings(), client=object(), watch=False)  # type: ignore[arg-type]


def test_a_recorded_handle_names_the_job() -> None:
    assert _provider()._parse(REF, "other-ns/job-1") == ("other-ns", "job-1")


def test_no_recorded_handle_is_the_job_submit_makes() -> None:
    provider = _provider()
    namespace, name = provider.settings.job_handle(REF).split("/", 1)
    assert provider._parse(REF, "") == (namespace, name)


def test_no_recorded_handle_follows_the_settings_job_handle(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(KubernetesSettings, "job_handle", lambda self, ref: f"moved/{ref.execution}-job")
    assert _provider()._parse(REF, "") == ("moved", "e1-job")


def test_a_bare_name_is_a_job_in_the_domain_namespace() -> None:
    provider = _provider()
    assert provider._parse(REF, "job-1") == (provider.settings.namespace("ml", "development"), "job-1")
