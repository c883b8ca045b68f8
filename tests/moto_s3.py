"""A real S3 API on 127.0.0.1 for tests: moto's standalone server (as s3fs's own tests use it)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

BUCKET = "flowctl-test"


def moto_s3_server() -> Iterator[dict[str, str]]:
    """Yields the environment variables a client (or a pod) needs: credentials and the endpoint."""
    s3fs = pytest.importorskip("s3fs")
    import boto3
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    # fsspec keeps one S3FileSystem per set of arguments, and the endpoint comes from the environment:
    # an instance an earlier test made would still talk to that test's stopped server.
    s3fs.S3FileSystem.clear_instance_cache()
    host, port = server.get_host_and_port()
    env = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing-secret", "AWS_DEFAULT_REGION": "us-east-1",
           "AWS_ENDPOINT_URL_S3": f"http://{host}:{port}"}
    boto3.client("s3", endpoint_url=env["AWS_ENDPOINT_URL_S3"], aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
                 aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"], region_name="us-east-1").create_bucket(Bucket=BUCKET)
    try:
        yield env
    finally:
        server.stop()
        s3fs.S3FileSystem.clear_instance_cache()
