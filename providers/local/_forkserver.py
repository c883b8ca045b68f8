"""A pre-forked worker: attempts start as a fork of a process that imported flowctl's runtime once.

A fresh interpreter spends most of an attempt's CPU importing pydantic and flowctl's SDK (see
``benchmarks/README.md``). The fork server is started by the local provider on its first submit
(``python -m flowctl.providers.local._forkserver FD``, with the allow-listed environment only),
imports the attempt runtime and waits on a ``SOCK_SEQPACKET`` socket. For each attempt it gets::

    {"argv": [...], "env": {...}, "cwd": "..."}   + the attempt's lock and log descriptors

and forks. The fork *is* the attempt process, and starts as ``python -m
flowctl.providers.local._child ARGV`` would: its own session, stdin from ``/dev/null``, stdout and
stderr to the log, exactly ``env`` as its environment (``PYTHONPATH`` entries first on
``sys.path``), ``cwd`` as working folder, the lock descriptor inherited and the server's own socket
closed; it runs ``_child.main`` (``attempt.pid`` recorded before the body) and ends through normal
interpreter shutdown (non-daemon threads joined, ``atexit`` run, buffers flushed). User code is
imported in the fork only, from the attempt's bundle; the server never runs it.

The server answers ``{"pid": N, "ticks": T}`` and closes its copies of the descriptors, so the
attempt alone holds its lock (``_claim``: exactly once across controller restarts). It reaps its
children; it exits when the provider closes the socket (or dies), and attempts keep running.

An attempt whose environment sets interpreter start-up variables (``PYTHON*`` other than
``PYTHONPATH``: ``PYTHONHASHSEED``, ``PYTHONIOENCODING``...) differently from the server's is
started as a fresh interpreter instead (:meth:`ForkServer.suits`), since a fork cannot apply them.
What remains different from a fresh interpreter: the modules flowctl imported are loaded already,
``__main__`` is this module, and the string hash seed is the server's (a fresh process draws its
own). ``FLOWCTL_LOCAL_FORK=0`` turns the fork server off.
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import socket
import sys
import threading
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from subprocess import Popen

DISABLE_ENV = "FLOWCTL_LOCAL_FORK"
MAX_MESSAGE = 1 << 20


class ForkServerError(Exception):
    """The fork server could not start the attempt (it died, or refused the request).

    ``delivered``: the request reached the server, so the attempt may have started all the same
    (it then records ``attempt.pid``): the caller must not start another copy itself.
    """

    def __init__(self, message: str, *, delivered: bool) -> None:
        super().__init__(message)
        self.delivered = delivered


def enabled(environ: Mapping[str, str]) -> bool:
    return environ.get(DISABLE_ENV, "1").strip().lower() not in ("0", "false", "no", "off")


# ---------------------------------------------------------------- the provider's side
class ForkServer:
    """The controller's handle on its fork server, started on first use; thread-safe."""

    def __init__(self, python: str, environment: Mapping[str, str]) -> None:
        self.python = python
        self.environment = dict(environment)
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        self._process: Popen[bytes] | None = None

    def suits(self, env: Mapping[str, str]) -> bool:
        """Whether a fork gets what a fresh interpreter with ``env`` would: the same ``PYTHON*`` start-up settings."""
        return _startup_settings(env) == _startup_settings(self.environment)

    def _start(self) -> socket.socket:
        import subprocess

        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            self._process = subprocess.Popen(
                [self.python, "-m", "flowctl.providers.local._forkserver", str(theirs.fileno())],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, env=self.environment, close_fds=True, pass_fds=(theirs.fileno(),),
            )
        except OSError:
            ours.close()
            raise
        finally:
            theirs.close()
        self._sock = ours
        return ours

    def spawn(self, argv: Sequence[str], env: Mapping[str, str], cwd: str, lock_fd: int, log_fd: int) -> tuple[int, int]:
        """Start one attempt process; its ``(pid, start_ticks)``. ForkServerError when the server failed."""
        message = json.dumps({"argv": list(argv), "env": dict(env), "cwd": cwd}).encode()
        with self._lock:
            try:
                sock = self._sock or self._start()
                socket.send_fds(sock, [message], [lock_fd, log_fd])
            except OSError as exc:
                self._close_locked()
                raise ForkServerError(f"the fork server failed: {exc}", delivered=False) from exc
            try:
                reply = sock.recv(MAX_MESSAGE)
                answer = json.loads(reply) if reply else {}
            except (OSError, ValueError) as exc:
                reply, answer = b"", {"error": str(exc)}
            if not reply:
                self._close_locked()
                raise ForkServerError(f"the fork server exited {answer.get('error') or ''}".rstrip(), delivered=True)
        if "pid" not in answer:  # it refused before forking
            raise ForkServerError(str(answer.get("error") or answer), delivered=False)
        return int(answer["pid"]), int(answer.get("ticks") or 0)

    def close(self) -> None:
        with self._lock:
            self._close_locked()

    def _close_locked(self) -> None:
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.close()
            self._sock = None
        process, self._process = self._process, None
        if process is not None:  # it exits once its socket is closed
            import subprocess

            try:
                process.wait(timeout=2)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _startup_settings(env: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in env.items() if k.startswith("PYTHON") and k != "PYTHONPATH"}


# ---------------------------------------------------------------- the server
def _warm_up() -> None:
    """Import (and build) what every python attempt needs, once, before any fork."""
    import gc
    from importlib import import_module

    import flowctl.entrypoint
    import flowctl.providers.local._child
    import flowctl.sdk
    from flowctl.types import from_json_value, to_json_value, type_spec_of, validate_value

    for module in sorted(set(flowctl.sdk._LAZY_EXPORTS.values())):  # the whole SDK, as task modules use it
        import_module(module)

    for kind in (int, float, str, bool, list[int], dict[str, float]):
        type_spec_of(kind, where="warm-up")  # builds the TypeSpec model the @task decorator makes
        validate_value(to_json_value(from_json_value(kind(), kind), kind), kind)
    from flowctl.providers.local._process import start_ticks

    start_ticks(os.getpid())  # psutil (the server reads each fork's start time with it), before the freeze
    del flowctl
    gc.collect()
    gc.freeze()  # the forks' collector leaves these objects (and their memory pages) alone


def _reap() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def serve(sock: socket.socket) -> int | None:
    """Answer requests until the socket closes (returns None); in a fork, the attempt's exit code."""
    from flowctl.providers.local._process import start_ticks

    selector = selectors.DefaultSelector()
    selector.register(sock, selectors.EVENT_READ)
    while True:
        ready = selector.select(timeout=0.2)
        _reap()
        if not ready:
            continue
        try:
            message, fds, _, _ = socket.recv_fds(sock, MAX_MESSAGE, 2)
        except OSError:
            return None
        if not message:
            return None  # the provider closed the socket (or died): stop; attempts keep running
        try:
            request = json.loads(message)
            if len(fds) != 2:
                raise ValueError(f"expected the lock and log descriptors, got {len(fds)}")
            pid = os.fork()
        except (OSError, ValueError) as exc:
            for fd in fds:
                os.close(fd)
            sock.send(json.dumps({"error": f"cannot start the attempt: {exc}"}).encode())
            continue
        if pid == 0:
            selector.close()
            return _become_attempt(sock, request, fds[0], fds[1])
        for fd in fds:
            os.close(fd)  # the attempt alone holds its lock from here on
        sock.send(json.dumps({"pid": pid, "ticks": max(start_ticks(pid), 0)}).encode())


def _become_attempt(sock: socket.socket, request: dict[str, object], lock_fd: int, log_fd: int) -> int:
    """In the fork: make this process what ``python -m flowctl.providers.local._child`` would be, run it."""
    sock.close()
    os.setsid()
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(log_fd, 1)
    os.dup2(log_fd, 2)
    os.close(log_fd)
    env = request["env"]
    argv = request["argv"]
    cwd = request["cwd"]
    assert isinstance(env, dict) and isinstance(argv, list) and isinstance(cwd, str)
    os.environ.clear()
    os.environ.update({str(k): str(v) for k, v in env.items()})
    os.chdir(cwd)
    extra = list(dict.fromkeys(p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p))
    sys.path[:] = [cwd, *extra, *[p for p in sys.path[1:] if p not in extra]]
    from flowctl.providers.local import _child

    sys.argv = [_child.__file__, *[str(a) for a in argv]]

    del lock_fd  # inherited as it is: _child documents that it stays open until exit
    return _child.main([str(a) for a in argv])


def main(argv: list[str]) -> int:
    sock = socket.socket(fileno=int(argv[0]))
    _warm_up()
    code = serve(sock)
    if code is None:
        sock.close()
        return 0
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
