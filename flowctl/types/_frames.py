"""Data frames between tasks: pandas, pyarrow and polars tables and ``StructuredDataset``, as Parquet.

The JSON form of a data frame is the URL of a Parquet file. Serializing one writes the file with
pyarrow under the *frame location*: the attempt's folder in the blob store for remote attempts
(``writing_frames_to`` is set by the entrypoint), the cache folder for cached local results, else
``$FLOWCTL_FRAME_DIR`` or a ``flowctl-frames`` folder in the temporary directory. Parquet keeps the
schema: dtypes (time zones, categoricals, nullable integers) and the pandas index, MultiIndex too,
come back exactly (pyarrow's pandas metadata).

Reading accepts a URL (read lazily for ``StructuredDataset``) or, as before Parquet, a list of
row objects (handy on the command line). A declared column subset
(``Annotated[pd.DataFrame, kwtypes(a=int)]``) reads only those columns. Files are named by a digest
of their content (equal frames, equal values: stable cache keys).

pandas, pyarrow and polars are imported only when a frame of theirs is converted.
"""

from __future__ import annotations

import contextlib
import contextvars
import importlib
import os
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

_LOCATION: contextvars.ContextVar[str | None] = contextvars.ContextVar("flowctl_frame_location", default=None)
FRAME_KINDS = {("pandas", "DataFrame"), ("pyarrow", "Table"), ("polars", "DataFrame")}


def table_library(tp: Any) -> str | None:
    """``pandas`` / ``pyarrow`` / ``polars`` for their table types (``_structured.frame_library``
    adds StructuredDataset)."""
    if not isinstance(tp, type):
        return None
    root = tp.__module__.split(".", 1)[0]
    return root if (root, tp.__name__) in FRAME_KINDS else None


@contextlib.contextmanager
def writing_frames_to(location: str) -> Iterator[None]:
    """Frames serialized inside this block are written under ``location`` (a folder or fsspec URL)."""
    token = _LOCATION.set(location)
    try:
        yield
    finally:
        _LOCATION.reset(token)


def frame_location() -> str:
    if location := _LOCATION.get() or os.environ.get("FLOWCTL_FRAME_DIR"):
        return location
    import tempfile

    return os.path.join(tempfile.gettempdir(), "flowctl-frames")


# ---------------------------------------------------------------- conversions
def to_arrow(value: Any) -> Any:
    """A pyarrow Table of a pandas/polars/pyarrow frame (pandas: index and dtypes kept as metadata)."""
    pa = importlib.import_module("pyarrow")
    library = type(value).__module__.split(".", 1)[0]
    if library == "pyarrow":
        return value
    if library == "polars":
        return value.to_arrow()
    return pa.Table.from_pandas(value)


def from_arrow(table: Any, library: str) -> Any:
    if library == "pyarrow":
        return table
    if library == "polars":
        return importlib.import_module("polars").from_arrow(table)
    return table.to_pandas()


def select_columns(value: Any, columns: Sequence[str]) -> Any:
    """Only ``columns`` of a frame; a missing one is a ValueError naming what there is."""
    library = type(value).__module__.split(".", 1)[0]
    have = list(value.column_names) if library == "pyarrow" else [str(c) for c in value.columns]
    missing = [c for c in columns if c not in have]
    if missing:
        raise ValueError(f"declared column(s) {', '.join(missing)} missing; the frame has {', '.join(have) or 'none'}")
    if library == "pyarrow":
        return value.select(list(columns))
    return value.select(list(columns)) if library == "polars" else value[list(columns)]


def convert(value: Any, library: str) -> Any:
    """A frame as the table type of ``library`` (no copy when it already is one)."""
    if type(value).__module__.split(".", 1)[0] == library:
        return value
    return from_arrow(to_arrow(value), library)


# ---------------------------------------------------------------- Parquet in the blob store
def _fs(url: str) -> tuple[Any, str]:
    import fsspec.core

    return fsspec.core.url_to_fs(url)  # type: ignore[no-any-return]


def write_parquet(value: Any) -> str:
    """Write a frame as Parquet under the frame location; returns its URL (or local path).

    The file is named by the sha256 of its bytes, so equal frames get equal values: cache keys of
    tasks that take frames stay stable, and a frame written twice is stored once.
    """
    from hashlib import sha256

    pa = importlib.import_module("pyarrow")
    pq = importlib.import_module("pyarrow.parquet")
    sink = pa.BufferOutputStream()
    pq.write_table(to_arrow(value), sink)
    data = memoryview(sink.getvalue())
    target = f"{frame_location().rstrip('/')}/{sha256(data).hexdigest()[:40]}.parquet"
    if "://" not in target or target.startswith("file://"):
        from pathlib import Path

        from flowctl._files import write_atomic

        path = target.removeprefix("file://")
        if not os.path.exists(path):  # readers never see half a file; a full disk is one WriteError
            write_atomic(Path(path), data, what="a data frame (Parquet)")
        return path
    from flowctl._files import writing

    fs, path = _fs(target)
    with writing(target, "a data frame (Parquet)"):
        if not fs.exists(path):
            with fs.open(path, "wb") as handle:
                handle.write(data)
    return target


def read_parquet(uri: str, library: str, columns: Sequence[str] | None = None) -> Any:
    """Read a Parquet file as ``library``'s table type, only ``columns`` when given (pandas: with its index)."""
    pq = importlib.import_module("pyarrow.parquet")
    with contextlib.ExitStack() as stack:
        source: Any = uri.removeprefix("file://")
        if "://" in source:
            fs, path = _fs(uri)
            source = stack.enter_context(fs.open(path, "rb"))
        parquet = pq.ParquetFile(source)
        if columns:
            have = parquet.schema_arrow.names
            missing = [c for c in columns if c not in have]
            if missing:
                raise ValueError(f"declared column(s) {', '.join(missing)} missing in {uri}; it has {', '.join(have)}")
        table = parquet.read(columns=list(columns) if columns else None, use_pandas_metadata=library == "pandas")
    return from_arrow(table, library)


def rows_to_frame(rows: list[Mapping[str, Any]], library: str) -> Any:
    """A frame from row objects (the command line's and the pre-Parquet JSON form)."""
    records = [dict(r) for r in rows]
    if library == "pandas":
        return importlib.import_module("pandas").DataFrame.from_records(records)
    if library == "polars":
        return importlib.import_module("polars").DataFrame(records)
    return importlib.import_module("pyarrow").Table.from_pylist(records)
