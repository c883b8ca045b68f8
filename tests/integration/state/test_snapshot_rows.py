"""The snapshot reads entity rows its own way (SQLite: spec and time as text): the same records as one by one."""

from __future__ import annotations

from datetime import UTC

from flowctl._address import EntityKind
from flowctl.state import open_store


def test_snapshot_entities_equal_the_ones_read_one_by_one(registry_url: str) -> None:
    store = open_store(registry_url)
    try:
        with store.transaction() as tx:
            for i in range(3):
                tx.register(EntityKind.TASK, "p", "d", f"t{i}", "v1", {"name": f"t{i}", "n": [1, 1.5, True, None]},
                            f"sha256:{i}", managed_by="m", created_by="me")
        snapshot = store.snapshot()
        for i in range(3):
            one = store.get_entity(EntityKind.TASK, "p", "d", f"t{i}", "v1")
            assert one is not None
            assert snapshot.entities[one.key] == one  # every field, the creation time to the microsecond
            assert one.created_at.tzinfo is UTC
        listed = store.list_entities(kind=EntityKind.TASK, project="p")
        assert [e.name for e in listed] == ["t0", "t1", "t2"] and all(e.created_at.tzinfo is UTC for e in listed)
    finally:
        store.close()
