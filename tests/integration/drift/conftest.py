"""Fixtures of the drift integration tests (helpers live in drift_world.py)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[2] / "unit" / "drift"))

from drift_specs import desired_state
from drift_world import World, apply_desired

from flowctl.state import open_store


@pytest.fixture
def world(registry_url: str) -> Iterator[World]:
    store = open_store(registry_url)
    now = datetime.now(UTC)
    apply_desired(store, desired_state(), now)
    try:
        yield World(registry_url, store, now)
    finally:
        store.close()
