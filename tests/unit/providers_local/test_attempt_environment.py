"""A local attempt gets its blob store's credentials only when the blob store is remote."""

from __future__ import annotations

from flowctl.providers.local._env import attempt_environment

CONTROLLER = {"PATH": "/bin", "AWS_SECRET_ACCESS_KEY": "k", "GOOGLE_APPLICATION_CREDENTIALS": "/g.json",
              "FLOWCTL_REGISTRY": "postgresql://u:pw@db/r"}


def test_a_remote_blob_store_passes_its_own_protocols_credentials_only() -> None:
    s3 = attempt_environment({}, {}, CONTROLLER, {}, blob_store="s3://bucket/flowctl")
    assert s3["AWS_SECRET_ACCESS_KEY"] == "k" and "GOOGLE_APPLICATION_CREDENTIALS" not in s3
    gcs = attempt_environment({}, {}, CONTROLLER, {}, blob_store="gs://bucket")
    assert gcs["GOOGLE_APPLICATION_CREDENTIALS"] == "/g.json" and "AWS_SECRET_ACCESS_KEY" not in gcs
    assert "FLOWCTL_REGISTRY" not in s3 and "FLOWCTL_REGISTRY" not in gcs


def test_a_local_blob_store_passes_no_cloud_credentials() -> None:
    for store in ("/var/flowctl/blobs", "file:///var/flowctl/blobs", ""):
        env = attempt_environment({}, {}, CONTROLLER, {}, blob_store=store)
        assert env == {"PATH": "/bin"}
