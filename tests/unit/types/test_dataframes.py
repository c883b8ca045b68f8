"""Data frames (pandas, pyarrow, polars, StructuredDataset) travel as Parquet files (issue 17)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

from flowctl import StructuredDataset, kwtypes, task, workflow
from flowctl._errors import InputError
from flowctl._local import LocalCache, LocalRunner
from flowctl.spec import TypeSpec, is_assignable
from flowctl.types import (
    from_json_value,
    to_json_value,
    type_spec_of,
    validate_json_against,
    writing_frames_to,
)


@task
def make_frame(n: int) -> pd.DataFrame:
    return pd.DataFrame({"i": list(range(n)), "square": [i * i for i in range(n)]})


@task
def total(frame: pd.DataFrame) -> int:
    return int(frame["square"].sum())


@task
def to_arrow(frame: pd.DataFrame) -> pa.Table:
    return pa.Table.from_pandas(frame, preserve_index=False)


@task
def arrow_rows(table: pa.Table) -> int:
    return table.num_rows


@task
def only_squares(frame: Annotated[pd.DataFrame, kwtypes(square=int)]) -> list[str]:
    return [str(c) for c in frame.columns]


CALLS: list[int] = []


@task(cache=True, cache_version="1")
def cached_total(frame: pd.DataFrame) -> int:
    CALLS.append(len(frame))
    return int(frame["square"].sum())


@workflow
def cached_frames(n: int) -> int:
    return cached_total(frame=make_frame(n=n))


@workflow
def frames(n: int) -> tuple[int, int, list[str]]:
    frame = make_frame(n=n)
    return total(frame=frame), arrow_rows(table=to_arrow(frame=frame)), only_squares(frame=frame)


def rich_frame() -> pd.DataFrame:
    """What JSON rows lose: time zones, categoricals, nullable integers, a MultiIndex."""
    index = pd.MultiIndex.from_tuples([("eu", 1), ("eu", 2), ("us", 1)], names=["region", "shard"])
    return pd.DataFrame(
        {
            "when": pd.to_datetime(["2024-01-01 10:00", "2024-06-01 11:30", None]).tz_localize("Europe/Paris"),
            "tier": pd.Categorical(["gold", "free", "gold"], categories=["free", "gold", "pro"], ordered=True),
            "visits": pd.array([3, None, 7], dtype="Int64"),
            "note": ["a", None, "c"],
        },
        index=index,
    )


def test_all_table_types_are_the_dataframe_kind() -> None:
    for tp in (pd.DataFrame, pa.Table, pl.DataFrame, StructuredDataset):
        assert type_spec_of(tp, where="x").kind == "dataframe"
    declared = type_spec_of(Annotated[StructuredDataset, kwtypes(a=int, b=str)], where="x")
    assert declared.fields == (("a", TypeSpec(kind="int")), ("b", TypeSpec(kind="str")))
    assert str(declared) == "dataframe[a: int, b: str]"


def test_pandas_schema_dtypes_and_index_round_trip_exactly(tmp_path: Path) -> None:
    frame = rich_frame()
    with writing_frames_to(str(tmp_path)):
        uri = to_json_value(frame, pd.DataFrame)
    assert isinstance(uri, str) and uri.startswith(str(tmp_path)) and uri.endswith(".parquet")
    back = from_json_value(uri, pd.DataFrame)
    pd.testing.assert_frame_equal(back, frame, check_exact=True)
    assert str(back["when"].dtype) == "datetime64[us, Europe/Paris]"
    assert back["tier"].cat.ordered and list(back["tier"].cat.categories) == ["free", "gold", "pro"]
    assert str(back["visits"].dtype) == "Int64" and back.index.names == ["region", "shard"]


def test_arrow_and_polars_come_back_as_themselves(tmp_path: Path) -> None:
    table = pa.table({"a": [1, 2], "b": ["x", "y"]})
    polars_frame = pl.DataFrame({"a": [1, 2], "c": pl.Series(["p", "q"], dtype=pl.Categorical)})
    with writing_frames_to(str(tmp_path)):
        assert from_json_value(to_json_value(table, pa.Table), pa.Table).equals(table)
        back = from_json_value(to_json_value(polars_frame, pl.DataFrame), pl.DataFrame)
    assert back.equals(polars_frame) and back.schema == polars_frame.schema


def test_declared_columns_read_only_those_columns(tmp_path: Path) -> None:
    with writing_frames_to(str(tmp_path)):
        uri = to_json_value(rich_frame(), pd.DataFrame)
    subset = from_json_value(uri, Annotated[pd.DataFrame, kwtypes(visits=int)])
    assert list(subset.columns) == ["visits"] and subset.index.names == ["region", "shard"]
    dataset = from_json_value(uri, Annotated[StructuredDataset, kwtypes(tier=str)])
    assert isinstance(dataset, StructuredDataset) and dataset.uri == uri
    assert dataset.open(pl.DataFrame).all().columns == ["tier"]
    with pytest.raises(InputError, match=r"declared column\(s\) nope missing"):
        from_json_value(uri, Annotated[pd.DataFrame, kwtypes(nope=int)])


def test_a_structured_dataset_of_a_frame_is_stored_and_opened_as_any_library(tmp_path: Path) -> None:
    dataset = StructuredDataset(dataframe=pd.DataFrame({"a": [1, 2, 3]}))
    with writing_frames_to(str(tmp_path)):
        uri = to_json_value(dataset, StructuredDataset)
    opened = from_json_value(uri, StructuredDataset)
    assert opened.open(pa.Table).all().column("a").to_pylist() == [1, 2, 3]
    assert [len(batch) for batch in opened.open(pd.DataFrame).iter()] == [3]


def test_rows_are_still_accepted_as_input() -> None:
    back = from_json_value([{"a": 1, "b": "x"}, {"a": 2, "b": "y"}], pd.DataFrame)
    pd.testing.assert_frame_equal(back, pd.DataFrame({"a": [1, 2], "b": ["x", "y"]}))
    validate_json_against(TypeSpec(kind="dataframe"), "s3://bucket/data.parquet")
    validate_json_against(TypeSpec(kind="dataframe"), [{"a": 1}])


def test_column_declarations_are_checked_at_compile_time() -> None:
    ab = type_spec_of(Annotated[StructuredDataset, kwtypes(a=int, b=str)], where="x")
    a = type_spec_of(Annotated[pd.DataFrame, kwtypes(a=int)], where="x")
    c = type_spec_of(Annotated[pd.DataFrame, kwtypes(c=int)], where="x")
    anything = type_spec_of(pd.DataFrame, where="x")
    assert is_assignable(ab, a) and is_assignable(anything, a) and is_assignable(ab, anything)
    assert not is_assignable(ab, c)


def test_tables_flow_between_tasks_in_a_local_run() -> None:
    result = LocalRunner().run(frames, {"n": 4})
    assert result.outputs == {"o0": 0 + 1 + 4 + 9, "o1": 4, "o2": ["square"]}


def test_equal_frames_get_equal_values_so_cached_tasks_hit(tmp_path: Path) -> None:
    with writing_frames_to(str(tmp_path)):
        first, second = to_json_value(rich_frame(), pd.DataFrame), to_json_value(rich_frame(), pd.DataFrame)
    assert first == second and len(list(tmp_path.iterdir())) == 1  # content-addressed: stored once
    CALLS.clear()
    cache = LocalCache(tmp_path / "cache")
    for _ in range(2):
        assert LocalRunner(cache=cache).run(cached_frames, {"n": 5}).outputs == {"o0": 30}
    assert CALLS == [5]  # the second run is served from the cache
