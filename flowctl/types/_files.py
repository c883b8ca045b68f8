"""``FlowFile`` and ``FlowDirectory``: references to data that lives outside the JSON of a value.

The JSON form of both is the path or URL as a string. Local runs keep local paths; remote runs
store the data in the blob store (an fsspec URL) and hand tasks the URL.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from pydantic import GetCoreSchemaHandler
from pydantic_core import core_schema


class _FlowPath:
    """Common base: an immutable path or URL, validated and serialized by pydantic as a string."""

    __slots__ = ("_path",)

    def __init__(self, path: str | os.PathLike[str]) -> None:
        text = os.fspath(path)
        if not isinstance(text, str) or not text:
            raise ValueError(f"{type(self).__name__} needs a non-empty path or URL")
        self._path = text

    @property
    def path(self) -> str:
        """The local path or the URL (``s3://...``) of the data."""
        return self._path

    @property
    def is_remote(self) -> bool:
        return "://" in self._path and not self._path.startswith("file://")

    def __fspath__(self) -> str:
        if self.is_remote:
            raise ValueError(f"{self._path} is a remote URL; use .open() or download it first")
        return self._path.removeprefix("file://")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _FlowPath) and type(other) is type(self) and other._path == self._path

    def __hash__(self) -> int:
        return hash((type(self).__name__, self._path))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._path!r})"

    def __str__(self) -> str:
        return self._path

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        def validate(value: Any) -> _FlowPath:
            if isinstance(value, cls):
                return value
            if isinstance(value, str | os.PathLike):
                return cls(value)
            raise ValueError(f"expected a {cls.__name__}, a path or a URL, got {type(value).__name__}")

        return core_schema.no_info_plain_validator_function(
            validate,
            serialization=core_schema.plain_serializer_function_ser_schema(lambda v: v.path, when_used="json"),
        )


class FlowFile(_FlowPath):
    """A file passed between tasks: ``FlowFile("data.csv")`` or ``FlowFile("s3://bucket/data.csv")``."""

    __slots__ = ()

    def open(self, mode: str = "rb") -> IO[Any]:
        """Open the file; URLs go through fsspec (``s3fs``/``gcsfs`` extras for S3/GCS)."""
        if self.is_remote:
            import fsspec

            return fsspec.open(self._path, mode).open()  # type: ignore[no-any-return]
        return open(os.fspath(self), mode)

    def read_bytes(self) -> bytes:
        with self.open("rb") as handle:
            data: bytes = handle.read()
            return data


class FlowDirectory(_FlowPath):
    """A folder passed between tasks; ``files()`` lists what is inside (recursively)."""

    __slots__ = ()

    def files(self) -> Iterator[FlowFile]:
        if self.is_remote:
            import fsspec

            fs, root = fsspec.core.url_to_fs(self._path)
            protocol = self._path.split("://", 1)[0]
            for name in sorted(fs.find(root)):
                yield FlowFile(f"{protocol}://{name}")
            return
        for path in sorted(Path(os.fspath(self)).rglob("*")):
            if path.is_file():
                yield FlowFile(str(path))
