"""Tables behind the `dataframe` extra: pandas.DataFrame and pyarrow.Table as task inputs and outputs."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

from flowctl import task, workflow
from flowctl._local import LocalRunner
from flowctl.types import from_json_value, to_json_value, type_spec_of


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


@workflow
def frames(n: int) -> tuple[int, int]:
    frame = make_frame(n=n)
    return total(frame=frame), arrow_rows(table=to_arrow(frame=frame))


def test_both_table_types_are_the_dataframe_kind() -> None:
    assert type_spec_of(pd.DataFrame, where="x").kind == "dataframe"
    assert type_spec_of(pa.Table, where="x").kind == "dataframe"


def test_a_pandas_frame_round_trips_as_records() -> None:
    frame = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    data = to_json_value(frame, pd.DataFrame)
    assert data == [{"a": 1, "b": "x"}, {"a": 2, "b": "y"}]
    back = from_json_value(data, pd.DataFrame)
    assert isinstance(back, pd.DataFrame)
    pd.testing.assert_frame_equal(back, frame)


def test_an_arrow_table_comes_back_as_an_arrow_table() -> None:
    table = pa.table({"a": [1, 2], "b": ["x", "y"]})
    data = to_json_value(table, pa.Table)
    back = from_json_value(data, pa.Table)
    assert isinstance(back, pa.Table)
    assert back.equals(table)


def test_tables_flow_between_tasks_in_a_local_run() -> None:
    result = LocalRunner().run(frames, {"n": 4})
    assert result.outputs_json() == {"o0": 0 + 1 + 4 + 9, "o1": 4}
