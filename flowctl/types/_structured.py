"""``StructuredDataset``, ``StructuredDatasetType`` and ``kwtypes``: flytekit's table abstraction.

A ``StructuredDataset`` wraps a frame (pandas, pyarrow, polars) or the URL of a Parquet file and
converts on demand: ``sd.open(pd.DataFrame).all()``, ``sd.open(pl.DataFrame).iter()``. Declared
columns (``Annotated[StructuredDataset, kwtypes(a=int)]``) limit what is read.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator, Sequence
from typing import Any

from flowctl._record import field, record
from flowctl.types import _frames as frames


class Columns(OrderedDict[str, Any]):
    """What ``kwtypes`` returns: an ordered name -> type mapping that is hashable, so annotations
    holding it (``Annotated[StructuredDataset, kwtypes(a=int)]``) can be cached like any other."""

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(tuple(self.items()))


def kwtypes(**columns: Any) -> Columns:
    """Named types in order: ``kwtypes(a=int, b=str)`` (column declarations, SQL task inputs)."""
    return Columns(columns)


@record(frozen=True)
class StructuredDatasetType:
    """The declared shape of a dataset: ``columns`` (name -> Python type) and the storage ``format``."""

    columns: Sequence[tuple[str, Any]] | dict[str, Any] = field(default_factory=dict)
    format: str = "parquet"


class StructuredDataset:
    """A table passed between tasks, stored as Parquet in the blob store.

    ``StructuredDataset(dataframe=df)`` to return one from a task; an input arrives with ``uri``
    set and is read when opened. ``file_format`` must be ``parquet`` (the only format flowctl writes).
    """

    def __init__(
        self,
        dataframe: Any = None,
        uri: str | None = None,
        file_format: str = "parquet",
        *,
        columns: Sequence[str] | None = None,
    ) -> None:
        if dataframe is None and not uri:
            raise ValueError("StructuredDataset needs a dataframe or a uri")
        if file_format != "parquet":
            raise ValueError(f"StructuredDataset stores Parquet only, not {file_format!r}")
        self._dataframe = dataframe
        self._uri = uri
        self.file_format = file_format
        self.columns = tuple(columns) if columns else None
        self._library: str | None = None

    @property
    def dataframe(self) -> Any:
        """The frame given to the constructor (None for a dataset read from the blob store)."""
        return self._dataframe

    @property
    def uri(self) -> str | None:
        """Where the Parquet file is (None until a dataset made from a frame is stored)."""
        return self._uri

    def with_columns(self, columns: Sequence[str] | None) -> StructuredDataset:
        """The same data restricted to ``columns`` (None: all)."""
        copy = StructuredDataset(self._dataframe, self._uri, columns=columns or self.columns)
        copy._library = self._library
        return copy

    def open(self, dataframe_type: type) -> StructuredDataset:
        """Choose the frame type ``all()``/``iter()`` return (``pd.DataFrame``, ``pa.Table``, ``pl.DataFrame``)."""
        library = frame_library(dataframe_type)
        if library is None or library == "structured":
            raise TypeError(f"cannot open a StructuredDataset as {dataframe_type!r}: use a pandas, pyarrow or polars frame type")
        self._library = library
        return self

    def all(self) -> Any:
        """The whole table as the type chosen with ``open`` (pandas by default)."""
        library = self._library or "pandas"
        if self._dataframe is not None:
            value = frames.convert(self._dataframe, library)
            return frames.select_columns(value, self.columns) if self.columns else value
        assert self._uri is not None
        return frames.read_parquet(self._uri, library, self.columns)

    def iter(self) -> Iterator[Any]:
        """The table in record batches (one frame per Parquet row group batch)."""
        import importlib

        library = self._library or "pandas"
        if self._dataframe is not None or self._uri is None:
            yield self.all()
            return
        pq = importlib.import_module("pyarrow.parquet")
        pa = importlib.import_module("pyarrow")
        source: Any = self._uri.removeprefix("file://")
        if "://" in source:
            fs, path = frames._fs(self._uri)
            source = fs.open(path, "rb")
        for batch in pq.ParquetFile(source).iter_batches(columns=list(self.columns) if self.columns else None):
            yield frames.from_arrow(pa.Table.from_batches([batch]), library)

    def store(self) -> str:
        """The Parquet URL, writing the frame under the frame location first when there is none."""
        if self._dataframe is not None and (self._uri is None or self.columns):
            value = frames.select_columns(self._dataframe, self.columns) if self.columns else self._dataframe
            self._uri = frames.write_parquet(value)
        assert self._uri is not None
        return self._uri

    def __repr__(self) -> str:
        return f"StructuredDataset(uri={self._uri!r}, columns={self.columns!r})"


def frame_library(tp: Any) -> str | None:
    """``pandas`` / ``pyarrow`` / ``polars`` for their table types, ``structured`` for StructuredDataset."""
    if isinstance(tp, type) and issubclass(tp, StructuredDataset):
        return "structured"
    return frames.table_library(tp)
