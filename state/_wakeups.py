"""Wake-ups for new executions: whoever creates one rings, every controller on the registry hears it.

Best effort on purpose: a controller still polls (its poll interval is the safety net), so a lost
wake-up only costs latency, and nothing here is needed for correctness or recovery.

- PostgreSQL: the creating transaction runs ``pg_notify`` (delivered at commit, dropped on
  rollback) on a channel named after the registry's schema; each controller ``LISTEN``\\ s on a
  connection of its own, in a daemon thread.
- SQLite: each controller binds a Unix datagram socket in the folder ``<registry file>.wakeup``
  beside the registry; ringing sends one byte to every socket there and removes the ones nobody
  listens on any more (a controller killed with -9). A folder whose path is too long for a socket
  address (``sun_path``, about 100 bytes) is reached through ``/proc/self/fd/<folder fd>/`` on Linux;
  elsewhere such a registry falls back to polling.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol

log = logging.getLogger("flowctl.wakeups")
CHANNEL_PREFIX = "flowctl_executions_"
_MAX_SOCKET_PATH = 100  # sun_path is 108 bytes on Linux, 104 on macOS


class Listener(Protocol):
    def close(self) -> None: ...


def channel_for(schema: str) -> str:
    """The NOTIFY channel of the registry in ``schema`` (identifiers are at most 63 bytes)."""
    return (CHANNEL_PREFIX + schema)[:63]


def notify_statement() -> str:
    """SQL that rings the channel of the current schema (run it inside the creating transaction)."""
    return f"SELECT pg_notify(left('{CHANNEL_PREFIX}' || current_schema(), 63), '')"


# ---------------------------------------------------------------- SQLite: sockets beside the file
def wakeup_folder(database: Path) -> Path:
    return database.with_name(database.name + ".wakeup")


@contextlib.contextmanager
def _addresses(folder: Path) -> Iterator[Callable[[str], str]]:
    """The socket address of a name in ``folder``: its path, or, when that is too long for
    ``sun_path``, the same file through a descriptor of the folder (``/proc/self/fd/N/name``)."""
    if len(str(folder)) + 14 <= _MAX_SOCKET_PATH:
        yield lambda name: str(folder / name)
        return
    descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        through = f"/proc/self/fd/{descriptor}"
        if not os.path.isdir(through):
            raise OSError(f"registry path too long for a socket address and no {through}")
        yield lambda name: f"{through}/{name}"
    finally:
        os.close(descriptor)


def ring_folder(folder: Path) -> None:
    """Send one byte to every controller listening in ``folder``; forget the dead ones."""
    try:
        names = os.listdir(folder)
    except OSError:
        return
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sender, _addresses(folder) as address:
        sender.setblocking(False)
        for name in names:
            path = folder / name
            try:
                sender.sendto(b"!", address(name))
            except (ConnectionRefusedError, FileNotFoundError):
                with contextlib.suppress(OSError):
                    path.unlink()
            except OSError:  # a full queue (it is awake already) or not a socket
                continue


class SocketListener:
    """A bound datagram socket in the wake-up folder and the thread that calls ``callback`` per ring."""

    def __init__(self, folder: Path, callback: Callable[[], None]) -> None:
        folder.mkdir(mode=0o700, exist_ok=True)
        self.path = folder / uuid.uuid4().hex[:12]
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            with _addresses(folder) as address:
                self._socket.bind(address(self.path.name))
        except OSError:
            self._socket.close()
            raise
        self._socket.settimeout(1.0)
        self._callback = callback
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._run, name="flowctl-wakeup", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._closed.is_set():
            try:
                self._socket.recv(64)
            except TimeoutError:
                continue
            except OSError:
                return
            self._callback()

    def close(self) -> None:
        self._closed.set()
        with contextlib.suppress(OSError):
            self.path.unlink()
        self._thread.join(timeout=2)
        self._socket.close()


def listen_sqlite(database: Path, callback: Callable[[], None]) -> Listener | None:
    if not hasattr(socket, "AF_UNIX"):
        log.info("no Unix sockets here: the controller polls")
        return None
    try:
        return SocketListener(wakeup_folder(database), callback)
    except OSError as exc:
        log.info("no wake-up socket beside the registry (%s): the controller polls", exc)
        return None


# ---------------------------------------------------------------- PostgreSQL: LISTEN
class PostgresListener:
    """``LISTEN`` on a connection of its own; reconnects after errors (polling covers the gap)."""

    def __init__(self, conninfo: str, callback: Callable[[], None]) -> None:
        self._conninfo = conninfo
        self._callback = callback
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._run, name="flowctl-listen", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        import psycopg

        while not self._closed.is_set():
            try:
                with psycopg.connect(self._conninfo, autocommit=True, connect_timeout=10) as conn:
                    schema = conn.execute("SELECT current_schema()").fetchone()
                    channel = channel_for(str(schema[0] if schema else "public"))
                    conn.execute(f'LISTEN "{channel}"')
                    self._callback()  # whatever was created while we were not listening
                    while not self._closed.is_set():
                        for _ in conn.notifies(timeout=1.0):
                            self._callback()
            except Exception as exc:  # the poll is the safety net: log, wait, reconnect
                log.info("registry notifications interrupted (%s); reconnecting", exc)
                self._closed.wait(2.0)

    def close(self) -> None:
        self._closed.set()
        self._thread.join(timeout=3)


def listen(engine: Any, url: str, callback: Callable[[], None]) -> Listener | None:
    """Start hearing new executions of the registry at ``url`` (its SQLAlchemy ``engine``)."""
    from sqlalchemy.engine import make_url

    from flowctl.state._engine import backend_of, is_memory

    backend = backend_of(url)
    if backend == "postgresql":
        conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        return PostgresListener(conninfo, callback)
    if is_memory(url):
        return None
    database = engine.url.database
    return listen_sqlite(Path(database), callback) if database else None
