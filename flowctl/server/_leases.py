"""The registry lock held by the server for a remote client (``flowctl apply`` through the server).

A client's ``POST /api/v1/store/locks`` starts a :class:`Lease`: a thread that takes the registry
lock exactly as a direct apply does (``SqlStore.lock``: the same row or advisory lock, visible to
``flowctl lock list`` and to an apply run on the database) and holds it until the client releases
it, or until the client has not heartbeated for the lock's TTL (a client that died). Transactions
sent with the lease's ``lock_id`` run on the lease's own store, so each checks inside its database
transaction that the lock is still held and rolls back with LockError when it was lost.

A lease belongs to the identity that took it (its ``owner``: ``Actor.name``, e.g. ``token:ci-prod``):
only that identity may heartbeat it, release it or write under it; anyone else is refused with a
PermissionDeniedError (403) naming the holder, even one who learnt the lock id from ``flowctl lock
list``. Taking a lock over from a holder that is gone is ``flowctl lock break`` (admin).

A client asks for the lock's TTL, at most the server's ``locks.max_ttl`` (300 s by default): a holder
that dies keeps the whole registry for its TTL, so a token may not ask for an hour of it.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from flowctl._config import Config
from flowctl._errors import FlowctlError, InputError, LockError, PermissionDeniedError
from flowctl.state import DEFAULT_TTL, LockInfo, LockRecord, SqlStore, open_store

WATCH_SECONDS = 0.2
MAX_TTL_KEY = "locks.max_ttl"


class Lease:
    def __init__(self, url: str, info: LockInfo, *, owner: str, timeout: float, ttl: int | None) -> None:
        self.owner = owner  # the identity that took it: the only one that may use it
        self.ttl = ttl or DEFAULT_TTL
        self.store: SqlStore = open_store(url, create=False, lock_ttl=self.ttl)
        self._info, self._timeout = info, timeout
        self._acquired, self._release, self._done = threading.Event(), threading.Event(), threading.Event()
        self._last_beat = time.monotonic()
        self.record: LockRecord | None = None
        self.error: FlowctlError | None = None
        self.expired = False
        self._thread = threading.Thread(target=self._hold, name="flowctl-remote-lock", daemon=True)

    def acquire(self) -> LockRecord:
        self._thread.start()
        self._acquired.wait()
        if self.record is None:
            self._done.wait()
            raise self.error or LockError("The registry lock could not be taken")
        return self.record

    def _hold(self) -> None:
        try:
            with self.store.lock(self._info, timeout=self._timeout, ttl=self.ttl) as record:
                self.record = record
                self._acquired.set()
                while not self._release.wait(WATCH_SECONDS):
                    if time.monotonic() - self._last_beat > self.ttl:
                        self.expired = True  # the client stopped heartbeating: it is gone
                        break
        except FlowctlError as error:  # held by someone else, or lost while held
            self.error = error
        finally:
            self._acquired.set()
            self._done.set()
            self.store.close()

    def beat(self) -> None:
        self._last_beat = time.monotonic()

    @property
    def lost(self) -> bool:
        return self._done.is_set()

    def release(self) -> None:
        """Let go of the lock; LockError when it was lost while held (as ``SqlStore.lock`` raises)."""
        self._release.set()
        self._done.wait()
        if self.error is not None:
            raise self.error


class LockLeases:
    """The leases of one server process, by lock id."""

    def __init__(self, url: str, *, max_ttl: int) -> None:
        self._url = url
        self.max_ttl = max_ttl  # the longest TTL a client may ask for
        self._leases: dict[str, Lease] = {}
        self._mutex = threading.Lock()

    def acquire(self, info: LockInfo, *, owner: str, timeout: float, ttl: int | None) -> LockRecord:
        """Take the registry lock for ``owner`` (the calling identity), who alone may then use it."""
        if ttl is not None and ttl > self.max_ttl:
            raise InputError(
                f"A registry lock TTL of {ttl}s is more than this server allows ({self.max_ttl}s)",
                address="ttl",
                detail=f"A holder that dies keeps the whole registry until its TTL passes. Ask for at most "
                f"{self.max_ttl} seconds (flowctl's commands ask for {DEFAULT_TTL} and heartbeat every "
                f"{DEFAULT_TTL // 3}), or raise `{MAX_TTL_KEY}` (FLOWCTL_MAX_LOCK_TTL) on the server.")
        lease = Lease(self._url, info, owner=owner, timeout=timeout, ttl=ttl)
        record = lease.acquire()
        with self._mutex:
            self._leases[record.id] = lease
        return record

    def _get(self, lock_id: str, caller: str) -> Lease:
        """The live lease ``lock_id`` of ``caller``: LockError when it is gone, 403 when another holds it."""
        with self._mutex:
            lease = self._leases.get(lock_id)
        if lease is not None and lease.owner != caller:
            raise not_yours(lock_id, lease, caller)
        if lease is None or lease.lost:
            if lease is not None:
                self._drop(lock_id)
            raise _lost(lock_id)
        return lease

    def _drop(self, lock_id: str) -> Lease | None:
        with self._mutex:
            return self._leases.pop(lock_id, None)

    def heartbeat(self, lock_id: str, caller: str) -> None:
        self._get(lock_id, caller).beat()

    @contextmanager
    def store_of(self, lock_id: str, caller: str) -> Iterator[SqlStore]:
        """The store holding ``caller``'s lock ``lock_id`` (its transactions verify the lock)."""
        lease = self._get(lock_id, caller)
        lease.beat()
        yield lease.store

    def release(self, lock_id: str, caller: str) -> None:
        with self._mutex:
            lease = self._leases.get(lock_id)
            if lease is not None and lease.owner != caller:
                raise not_yours(lock_id, lease, caller)
            self._leases.pop(lock_id, None)
        if lease is None or lease.expired:
            raise _lost(lock_id)
        lease.release()

    def close(self) -> None:
        with self._mutex:
            leases, self._leases = list(self._leases.values()), {}
        for lease in leases:
            with contextlib.suppress(FlowctlError):  # a lost lock: nothing to let go of
                lease.release()


def not_yours(lock_id: str, lease: Lease, caller: str) -> PermissionDeniedError:
    """The 403 for ``caller`` using a lock another identity took (the problem document names the holder)."""
    held = lease.record
    what = f" for `{held.operation}` ({held.holder})" if held is not None else ""
    error = PermissionDeniedError(
        f"{caller} may not use the registry lock {lock_id}: it is held by {lease.owner}",
        address=f"lock {lock_id}",
        detail=f"The lock was taken by {lease.owner}{what}; only the identity that took a registry lock may "
        f"heartbeat it, release it or write under it. Wait for its {held.operation if held else 'operation'} "
        "to finish (the lock expires "
        f"{lease.ttl}s after its holder's last heartbeat), or, if its holder is gone, an admin can run "
        f"`flowctl lock break {lock_id}`.",
    )
    error.facts = {"identity": caller, "action": "deploy", "address": f"lock {lock_id}", "holder": lease.owner}
    return error


def _lost(lock_id: str) -> LockError:
    return LockError(
        f"The registry lock {lock_id} is not held by this server any more",
        detail="It was released after its client stopped heartbeating for longer than its TTL, someone ran "
        "`flowctl lock break`, or the server restarted. Nothing more was written under it. Run `flowctl plan` "
        "to see what was applied, then `flowctl apply` again.",
    )


def max_ttl_of(config: Config) -> int:
    """The server's ``locks.max_ttl`` (seconds, 1 to 3600): InputError naming the setting otherwise."""
    text = (config.get(MAX_TTL_KEY) or "").strip()
    value = int(text) if text.isdigit() else 0
    if not 1 <= value <= 3600:
        raise InputError(f"Invalid {MAX_TTL_KEY} `{text[:40]}`", address=f"{MAX_TTL_KEY} ({config.origin(MAX_TTL_KEY)})",
                         detail="Use a whole number of seconds from 1 to 3600 (default 300).")
    return value
