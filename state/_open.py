"""Opening a registry: only commands that may create or upgrade one ever do.

- Without ``create`` (read-only commands: get, plan, drift, executions, lock list, registry info;
  and the commands that only add rows: launch, controller, abort, promote, backfill) the registry
  must exist at the schema this flowctl needs and is never changed: no folder, file, table or
  journal mode is created. A missing or empty SQLite file, an empty PostgreSQL schema, a foreign
  database or an older schema is an error that says what to run.
- With ``create`` (apply, init, registry migrate, run --remote) the registry is created (a 0600
  SQLite file in 0700 folders, WAL journal) or its schema brought to the head revision with the
  Alembic migrations. A SQLite file that holds another application's tables is refused. Creating
  is all or nothing: when the schema cannot be written (a full disk), the file and the folders
  this call created are removed, so the next command does not find an empty registry.db.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import suppress
from pathlib import Path

from sqlalchemy.engine import Engine, make_url

from flowctl._errors import NoRegistryError, StoreError
from flowctl._files import create_private
from flowctl._redact import mask_url
from flowctl._workdir import make_folder
from flowctl.state._engine import backend_of, create_engine, is_memory, translate_errors
from flowctl.state._migrate import CREATE_HINT, MigrationResult, ensure_schema


def open_engine(url: str, *, create: bool) -> Engine:
    """An engine on the registry at ``url``, its schema checked (and, with ``create``, made current)."""
    return _prepare(url, create=create)[0]


def create_registry(url: str) -> MigrationResult:
    """Create the registry at ``url`` or bring its schema to the head (``flowctl init`` / ``registry migrate``)."""
    engine, result = _prepare(url, create=True)
    engine.dispose()
    return result


def _prepare(url: str, *, create: bool) -> tuple[Engine, MigrationResult]:
    path = sqlite_path(url)
    made: list[Path] = []
    if path is not None:
        if create:
            made = _create_file(path, url)
        else:
            _require_file(path)
    engine = create_engine(url)
    try:
        result = ensure_schema(engine, url, migrate=create, where=str(path) if path else mask_url(url))
        if path is not None and create:
            _use_wal(engine, url)
    except BaseException:
        engine.dispose()
        _remove(made)  # all or nothing: a registry that could not be created leaves no empty file behind
        raise
    return engine, result


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite registry URL (None for PostgreSQL and in-memory registries)."""
    if backend_of(url) != "sqlite" or is_memory(url):
        return None
    return Path(make_url(url).database or "").expanduser()


def _require_file(path: Path) -> None:
    if not path.is_file():
        raise NoRegistryError(f"No registry at {path} ({CREATE_HINT})",
                              detail="Or pass --registry URL (FLOWCTL_REGISTRY, registry.url in flowctl.toml) "
                              "to use another registry.")
    if path.stat().st_size == 0:
        raise NoRegistryError(f"No registry at {path} ({CREATE_HINT})",
                              detail="The file is empty; read-only commands never turn a file into a registry.")


def _create_file(path: Path, url: str) -> list[Path]:
    """Create the registry's folders and empty file where missing; what this call created, parents first."""
    made = [folder for folder in reversed((path.parent, *path.parent.parents)) if not folder.exists()]
    try:
        try:
            make_folder(path.parent)
        except OSError as exc:
            raise _cannot_create("the folder of the registry", url, path.parent, exc) from None
        try:
            created = create_private(path)
        except OSError as exc:
            raise _cannot_create("the registry", url, path, exc) from None
    except StoreError:
        _remove(made)
        raise
    return [*made, path] if created else made


def _cannot_create(what: str, url: str, target: Path, exc: OSError) -> StoreError:
    return StoreError(f"Cannot create {what} `{mask_url(url)}`",
                      detail=f"{exc.strerror or exc}: {target}. Choose a writable path for the registry.")


def _remove(made: Sequence[Path]) -> None:
    """Undo :func:`_create_file`: the file it created (with SQLite's journals), then its folders if empty."""
    for target in reversed(made):
        if target.is_dir():
            with suppress(OSError):
                target.rmdir()
            continue
        for name in (target.name, f"{target.name}-journal", f"{target.name}-wal", f"{target.name}-shm"):
            with suppress(OSError):
                target.with_name(name).unlink()


def _use_wal(engine: Engine, url: str) -> None:
    """WAL is a property of the file: set once, when flowctl has checked the file is its registry."""
    with translate_errors(url, "open"):
        raw = engine.raw_connection()  # outside any transaction: the journal mode cannot change inside one
        try:
            raw.cursor().execute("PRAGMA journal_mode=WAL")
        finally:
            raw.close()
