"""The registry contract suite on SQLite and PostgreSQL, each check on a fresh registry."""

from __future__ import annotations

import pytest

from flowctl.state import open_store
from flowctl.state.testing import CONTRACT_CHECKS, check_registry_contract


@pytest.mark.parametrize("check", sorted(CONTRACT_CHECKS))
def test_contract(registry_url: str, check: str) -> None:
    store = open_store(registry_url)
    try:
        CONTRACT_CHECKS[check](store)
    finally:
        store.close()


def test_whole_contract_on_one_store(registry_url: str) -> None:
    store = open_store(registry_url)
    try:
        check_registry_contract(store)
    finally:
        store.close()


def test_contract_on_memory_sqlite() -> None:
    store = open_store("sqlite://")
    try:
        for name, check in CONTRACT_CHECKS.items():
            if "lock" not in name:  # one shared connection: no concurrent lock holders in memory
                check(store)
    finally:
        store.close()
