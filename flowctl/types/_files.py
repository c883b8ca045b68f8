"""``FlowFile`` and ``FlowDirectory``: references to data that lives outside the JSON of a value.

The JSON form of both is the path or URL as a string. Local runs keep local paths; remote runs
store the data in the blob store (an fsspec URL) and hand tasks the URL.

flytekit's names are aliases (``FlyteFile is FlowFile``), with its API: ``.path``, ``.download()``,
``.remote_source``, ``os.fspath()`` (downloads a remote file first), streaming ``.open()`` through
fsspec, and formats: ``FlowFile["csv"]`` or ``FlowFile[typing.TypeVar("csv")]`` is a subclass whose
``format`` is ``csv``; a file of another declared format does not bind to it at compile time.
"""

from __future__ import annotations

import os
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from pydantic import GetCoreSchemaHandler
    from pydantic_core import core_schema


def _format_name(item: Any) -> str:
    if isinstance(item, typing.TypeVar):
        return item.__name__
    if isinstance(item, str) and item:
        return item
    raise TypeError(f'a file format is a string or a TypeVar, e.g. FlowFile["csv"], got {item!r}')


class _FlowPath:
    """Common base: an immutable path or URL, validated and serialized by pydantic as a string."""

    __slots__ = ("_local", "_path")

    format: ClassVar[str] = ""  # "" accepts any format
    _formats: ClassVar[dict[str, type[_FlowPath]]]

    def __init__(self, path: str | os.PathLike[str], remote_path: str | None = None) -> None:
        text = path.path if isinstance(path, _FlowPath) else os.fspath(path)
        if not isinstance(text, str) or not text:
            raise ValueError(f"{type(self).__name__} needs a non-empty path or URL")
        self._path = remote_path or text
        self._local: str | None = None if remote_path else (None if _is_url(text) else text)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "_formats" not in cls.__dict__ and not cls.format:
            cls._formats = {}

    def __class_getitem__(cls, item: Any) -> type[_FlowPath]:
        """``FlowFile["csv"]`` / ``FlowFile[TypeVar("csv")]``: the file type of one format (cached)."""
        fmt = _format_name(item)
        found = cls._formats.get(fmt)
        if found is None:
            found = type(cls.__name__, (cls,), {"__slots__": (), "format": fmt, "__module__": cls.__module__,
                                                "__qualname__": f"{cls.__qualname__}[{fmt}]"})
            cls._formats[fmt] = found
        return found

    @property
    def path(self) -> str:
        """The local path or the URL (``s3://...``) of the data."""
        return self._path

    @property
    def is_remote(self) -> bool:
        return _is_url(self._path)

    @property
    def remote_source(self) -> str | None:
        """The URL the data comes from (None for a local path)."""
        return self._path if self.is_remote else None

    def download(self) -> str:
        """A local path of the data: remote data is copied into a temporary folder once (fsspec)."""
        if self._local is None:
            if not self.is_remote:
                self._local = self._path.removeprefix("file://")
            else:
                import tempfile

                import fsspec

                target = Path(tempfile.mkdtemp(prefix="flowctl-download-")) / self._path.rstrip("/").rsplit("/", 1)[-1]
                from flowctl._files import writing

                fs, remote = fsspec.core.url_to_fs(self._path)
                with writing(target, f"the local copy of {self._path}"):  # a full disk: one WriteError
                    fs.get(remote, str(target), recursive=isinstance(self, FlowDirectory))
                self._local = str(target)
        return self._local

    def __fspath__(self) -> str:
        return self.download()

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
        from pydantic_core import core_schema

        def validate(value: Any) -> _FlowPath:
            if type(value) is cls:
                return value
            if isinstance(value, _FlowPath):
                if value.format and cls.format and value.format != cls.format:
                    raise ValueError(f"expected a {cls.format} file, got a {value.format} file ({value.path})")
                return cls(value.path)
            if isinstance(value, str | os.PathLike):
                return cls(value)
            raise ValueError(f"expected a {cls.__name__}, a path or a URL, got {type(value).__name__}")

        return core_schema.no_info_plain_validator_function(
            validate,
            serialization=core_schema.plain_serializer_function_ser_schema(lambda v: v.path, when_used="json"),
        )


def _is_url(text: str) -> bool:
    return "://" in text and not text.startswith("file://")


class FlowFile(_FlowPath):
    """A file passed between tasks: ``FlowFile("data.csv")`` or ``FlowFile("s3://bucket/data.csv")``."""

    __slots__ = ()

    @classmethod
    def from_source(cls, source: str | os.PathLike[str]) -> FlowFile:
        """flytekit's constructor for an existing file or URL."""
        return cls(source)

    def open(self, mode: str = "rb", **fsspec_options: Any) -> IO[Any]:
        """Open the file; URLs stream through fsspec (``s3fs``/``gcsfs`` extras for S3/GCS), with
        fsspec's options (``cache_type``, ``block_size``...)."""
        if self.is_remote:
            import fsspec

            return fsspec.open(self._path, mode, **fsspec_options).open()  # type: ignore[no-any-return]
        return open(self._path.removeprefix("file://"), mode)

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
        for path in sorted(Path(self._path.removeprefix("file://")).rglob("*")):
            if path.is_file():
                yield FlowFile(str(path))

    def listing(self) -> list[FlowFile]:
        """flytekit's name: every file in the folder, recursively."""
        return list(self.files())


FlyteFile = FlowFile
FlyteDirectory = FlowDirectory
