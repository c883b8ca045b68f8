"""Shared fixtures: registry URLs on SQLite (temp file) and PostgreSQL (a throwaway schema).

PostgreSQL tests run when FLOWCTL_TEST_POSTGRES holds a server URL (CI always sets it); locally
they are skipped without it. In CI (CI=true) a missing URL is an error, never a silent skip.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

POSTGRES_URL = os.environ.get("FLOWCTL_TEST_POSTGRES", "")


def _require_postgres() -> str:
    if not POSTGRES_URL:
        if os.environ.get("CI"):
            pytest.fail("FLOWCTL_TEST_POSTGRES is not set in CI; PostgreSQL tests must run")
        pytest.skip("FLOWCTL_TEST_POSTGRES is not set")
    return POSTGRES_URL


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'registry.db'}"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A URL whose search_path is a fresh schema, dropped after the test."""
    import psycopg

    base = _require_postgres()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(base.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    separator = "&" if "?" in base else "?"
    url = base.replace("postgresql://", "postgresql+psycopg://", 1)
    yield f"{url}{separator}options=-csearch_path%3D{schema}"
    with psycopg.connect(base.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def registry_url(request: pytest.FixtureRequest) -> str:
    """Runs the test once on SQLite and once on PostgreSQL."""
    name = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    return str(request.getfixturevalue(name))


_DIGEST_CACHE = tempfile.mkdtemp(prefix="flowctl-test-digests-")


def pytest_configure(config: pytest.Config) -> None:
    """The code digest cache (sdk/_digest_cache) of this session, its commands included, is a temporary
    folder: the suite never writes to ~/.cache."""
    os.environ["FLOWCTL_DIGEST_CACHE_DIR"] = _DIGEST_CACHE


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(_DIGEST_CACHE, ignore_errors=True)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under pytest-xdist (scripts/test.sh runs ``-n N --dist loadgroup``) the Kubernetes tests share
    one worker: k8s-sim is one cluster on fixed ports, started and stopped by one session fixture."""
    for item in items:
        if item.nodeid.startswith("tests/integration/kubernetes/"):
            item.add_marker(pytest.mark.xdist_group("kubernetes"))


@pytest.fixture(autouse=True)
def _restore_replaced_modules() -> Iterator[None]:
    """The manifest loader re-imports user modules (e.g. a package named `flows`) and drops stale
    ones, which is right for a CLI process but would swap modules under other tests in this one."""
    before = dict(sys.modules)
    yield
    for name, module in before.items():
        if sys.modules.get(name) is not module:
            sys.modules[name] = module
