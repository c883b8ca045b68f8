"""The API's execution queries page in the database: one LIMITed, keyset-filtered SELECT per page."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from flowctl._errors import InputError
from flowctl.state._executions import NewExecution, open_execution_store
from flowctl.state._queries import ExecutionFilter, ExecutionQueries, decode_cursor, encode_cursor


def test_pages_are_limited_in_sql(registry_url: str) -> None:
    store = open_execution_store(registry_url)
    try:
        for i in range(30):
            store.create_execution(NewExecution("p", "d", f"x{i:02d}", "lp", "v1", "wf", "v1", {"big": "x" * 1000}))
        queries = ExecutionQueries(store.engine, store.url)
        statements: list[str] = []

        def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            statements.append(statement)

        sa.event.listen(store.engine, "before_cursor_execute", record)
        first = queries.page(ExecutionFilter(project="p"), limit=7)
        second = queries.page(ExecutionFilter(project="p"), limit=7, cursor=first.next_cursor)
        sa.event.remove(store.engine, "before_cursor_execute", record)
    finally:
        store.close()
    assert [x.name for x in first.items] == [f"x{i:02d}" for i in range(29, 22, -1)]
    assert [x.name for x in second.items] == [f"x{i:02d}" for i in range(22, 15, -1)]
    assert first.items[0].inputs == {}  # lists never carry the (possibly large) values
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 2 and all("LIMIT" in s.upper() and "ORDER BY" in s.upper() for s in selects)
    assert "inputs" not in selects[0].split("FROM")[0]


def test_cursors_round_trip_and_bad_ones_are_user_errors() -> None:
    from datetime import UTC, datetime

    when = datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC)
    assert decode_cursor(encode_cursor(when, "abc")) == (when, "abc")
    with pytest.raises(InputError, match="Invalid cursor"):
        decode_cursor("not-a-cursor")


def test_visible_places_filter_in_sql(registry_url: str) -> None:
    """Access control's listing filter: only the (project, domain) places given; a None domain is the whole project."""
    store = open_execution_store(registry_url)
    try:
        for project, domain in (("a", "dev"), ("a", "prod"), ("b", "dev"), ("c", "dev")):
            store.create_execution(NewExecution(project, domain, f"x-{project}-{domain}", "lp", "v1", "wf", "v1", {}))
        queries = ExecutionQueries(store.engine, store.url)

        def names(visible: Any) -> list[str]:
            return sorted(x.name for x in queries.page(ExecutionFilter(visible=visible), limit=50).items)

        assert names(None) == ["x-a-dev", "x-a-prod", "x-b-dev", "x-c-dev"]
        assert names(()) == []
        assert names((("a", None),)) == ["x-a-dev", "x-a-prod"]
        assert names((("a", "prod"), ("b", None))) == ["x-a-prod", "x-b-dev"]
        assert queries.count(ExecutionFilter(project="a", visible=(("a", "prod"),))) == 1
    finally:
        store.close()
