"""LocalProvider: each task attempt is a real subprocess of ``python -m flowctl.entrypoint``.

* Submit is idempotent per attempt: ``attempt.lock`` is recorded before the spawn and the process
  records ``attempt.pid`` before the task body runs (``_claim``), so a controller killed anywhere
  in a submit is followed by one that adopts the process instead of starting it again.
* Every attempt runs in its own session (process group), so a timeout or an abort kills the whole
  process tree the task started.
* ``slots`` bounds how many attempts run at once; a submit beyond that returns the ``Throttled``
  failure (nothing started, try again later; the controller does not count it as an attempt).
* The attempt sees only its declared environment and secrets plus a short allow-list (``_env``).
* Logs (stdout and stderr), the lock and the pid file go to the attempt's blob-store folder when the
  blob store is a local folder, else to ``{log_dir}/{project}/{domain}/{execution}/{node}/{attempt}/``.
* ``subscribe(callback)``: from then on a thread waits on every attempt process it knows of (started
  or adopted, through pidfds: ``_watch``) and calls the callbacks as soon as one exits or passes its
  deadline, so the controller need not poll to notice.
* The handle is ``pid:start_ticks:deadline`` and the attempt's ``outputs.json`` / ``error.json`` are
  the source of truth, so a restarted controller can ask for the status of attempts it did not start.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from flowctl import _blobstore as blobs
from flowctl._errors import FlowctlError
from flowctl._faults import pause_point
from flowctl._files import FILE_MODE
from flowctl.entrypoint import error_document, error_uri
from flowctl.providers._interface import (
    THROTTLED,
    TIMEOUT,
    AttemptRef,
    LogsResponse,
    ProviderFailure,
    StatusResponse,
    SubmitRequest,
    SubmitResponse,
)
from flowctl.providers.local._claim import claim
from flowctl.providers.local._env import MissingSecret, attempt_environment, passthrough
from flowctl.providers.local._forkserver import ForkServer, ForkServerError, enabled
from flowctl.providers.local._process import ProcessHandle, is_alive, kill_tree, start_ticks
from flowctl.providers.local._watch import ExitWatcher

log = logging.getLogger("flowctl.providers.local")


class LocalProvider:
    """Runs attempts as local processes. See the module docstring."""

    name = "local"

    def __init__(
        self,
        blob_store: str,
        *,
        slots: int | None = None,
        log_dir: Path | None = None,
        python: str | None = None,
        extra_env: dict[str, str] | None = None,
        fork: bool | None = None,
    ) -> None:
        self.blobs = blobs.BlobStore(blob_store)
        self.slots = slots if slots is not None else max(2, os.cpu_count() or 2)
        self.log_dir = Path(log_dir or ".flowctl/logs").resolve()
        self.python = python or sys.executable
        self.extra_env = dict(extra_env or {})
        self.owner = f"{socket.gethostname()}:{os.getpid()}"
        # the processes we started: a Popen, or the handle of a fork of the fork server (it reaps them)
        self._children: dict[str, subprocess.Popen[bytes] | ProcessHandle] = {}
        self._lock = threading.Lock()
        use_fork = enabled(os.environ) if fork is None else fork
        self._fork = ForkServer(self.python, passthrough(os.environ)) if use_fork and _can_fork() else None
        self._callbacks: list[Callable[[], None]] = []
        self._watcher: ExitWatcher | None = None  # made by the first subscribe

    # ------------------------------------------------------------ helpers
    def _folder(self, ref: AttemptRef) -> Path:
        """The attempt's local folder: its blob-store folder, or one under ``log_dir`` for a remote store."""
        store = self.blobs if self.blobs.local else blobs.BlobStore(str(self.log_dir))
        return Path(store.attempt(ref.project, ref.domain, ref.execution, ref.node, ref.attempt).prefix)

    def running(self) -> int:
        """Attempts started by this provider that are still running."""
        with self._lock:
            for key, child in list(self._children.items()):
                if not _running(child):
                    del self._children[key]
            return len(self._children)

    def subscribe(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` (from the watcher thread) whenever an attempt process exits or passes its deadline."""
        with self._lock:
            self._callbacks.append(callback)
            if self._watcher is None:
                self._watcher = ExitWatcher(self._poll, self._notify)
            known = list(self._children)
        for handle in known:
            self._watch(handle)

    def _notify(self) -> None:
        with self._lock:
            callbacks = list(self._callbacks)
        for callback in callbacks:
            try:
                callback()
            except Exception:
                log.exception("an attempt-status subscriber failed")

    def _watch(self, handle: str) -> None:
        watcher = self._watcher
        if watcher is None:
            return
        try:
            watcher.watch(ProcessHandle.parse(handle))
        except ValueError:
            return

    # ------------------------------------------------------------ protocol
    def submit(self, request: SubmitRequest) -> SubmitResponse:
        """Start the attempt, or adopt it when an earlier submit (maybe another controller's) did."""
        try:
            folder = self._folder(request.ref)
            pause_point("submit:before-record")
            found = claim(folder, self.owner)
        except (OSError, FlowctlError) as exc:  # a full disk, a permission, a name the blob store refuses
            return SubmitResponse("", ProviderFailure("system", "StartFailed", f"cannot record the attempt: {exc}",
                                                      retryable=isinstance(exc, OSError)))
        if isinstance(found, str):
            log.info("attempt %s was started before: adopting it", _ref_text(request.ref))
            self._watch(found)
            return SubmitResponse(found, adopted=True)
        if found is None:
            return _throttled("the attempt's process is starting and has not recorded its pid yet")
        try:
            if self.running() >= self.slots:
                return _throttled("all local slots are busy")
            pause_point("submit:before-spawn")
            return self._spawn(request, folder, found.fd)
        finally:
            found.release()  # the process holds the lock from here on

    def _spawn(self, request: SubmitRequest, folder: Path, lock_fd: int) -> SubmitResponse:
        spec_uri = request.task_spec_uri or blobs.join(request.outputs_uri.rsplit("/", 1)[0], "task.json")
        deadline = time.time() + request.timeout_seconds if request.timeout_seconds else 0.0
        try:
            env = attempt_environment(request.task, {**self.extra_env, **request.environment}, os.environ,
                                      {"FLOWCTL_ATTEMPT": _ref_text(request.ref)}, blob_store=request.blob_store)
        except MissingSecret as exc:
            return SubmitResponse("", ProviderFailure("user", "SecretMissing", str(exc), retryable=False))
        command = [
            self.python, "-m", "flowctl.providers.local._child", str(folder), f"{deadline:.3f}", "--",
            "--task-spec-uri", spec_uri, "--inputs-uri", request.inputs_uri,
            "--outputs-uri", request.outputs_uri, "--blob-store", request.blob_store,
        ]
        if request.bundle_uri:
            command += ["--bundle-uri", request.bundle_uri]
        try:
            if not request.task_spec_uri:
                blobs.write_json(spec_uri, request.task)
            log_fd = os.open(folder / blobs.LOGS, os.O_WRONLY | os.O_CREAT | os.O_APPEND, FILE_MODE)
            try:
                child = self._start(command, env, lock_fd, log_fd, deadline)
            finally:
                os.close(log_fd)
        except ForkServerError as exc:  # it may have started: the next submit adopts it or starts it once
            return _throttled(f"{exc}; the attempt is looked for again at the next submit")
        except OSError as exc:
            return SubmitResponse("", ProviderFailure("system", "StartFailed", f"cannot start the attempt: {exc}", True))
        handle = str(child) if isinstance(child, ProcessHandle) else str(
            ProcessHandle(child.pid, max(start_ticks(child.pid), 0), deadline))
        with self._lock:
            self._children[handle] = child
        self._watch(handle)
        return SubmitResponse(handle)

    def _start(self, command: list[str], env: dict[str, str], lock_fd: int, log_fd: int,
               deadline: float) -> subprocess.Popen[bytes] | ProcessHandle:
        """A fork of the fork server when there is one (``_forkserver``), else a fresh interpreter."""
        if self._fork is not None and self._fork.suits(env):
            try:
                pid, ticks = self._fork.spawn(command[3:], env, os.getcwd(), lock_fd, log_fd)
                return ProcessHandle(pid, ticks, deadline)
            except ForkServerError as exc:
                if exc.delivered:
                    raise
                log.warning("%s; starting the attempt as a new process", exc)
        return subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=log_fd, stderr=subprocess.STDOUT, env=env,
            start_new_session=True, close_fds=True, pass_fds=(lock_fd,),
        )

    def status(self, ref: AttemptRef, handle: str) -> StatusResponse:
        outputs_uri = self._outputs_uri(ref, handle)
        done = self._documents(outputs_uri)
        if done is not None:
            self._reap(handle)
            return done
        try:
            process = ProcessHandle.parse(handle)
        except ValueError:
            return StatusResponse("failed", ProviderFailure("system", "BadHandle", f"unknown handle {handle!r}", True))
        self._poll(handle)
        if is_alive(process):
            if process.deadline and time.time() > process.deadline:
                kill_tree(process, grace=0.2)
                self._reap(handle)
                message = f"the attempt exceeded its timeout and was killed (pid {process.pid} and its children)"
                doc = error_document("user", TIMEOUT, message, "", True)
                try:
                    blobs.write_json(error_uri(outputs_uri), doc)  # the document stays the source of truth
                except OSError as exc:  # a full disk (a WriteError): the controller records the failure
                    log.warning("%s; its error document is not saved: %s", message, exc)
                return StatusResponse("failed", failure_from_document(doc))
            self._watch(handle)  # adopted by a restarted controller: watched from its first look
            return StatusResponse("running")
        code = self._exit_code(handle)
        self._reap(handle)
        done = self._documents(outputs_uri)  # it may have finished between the two looks
        if done is not None:
            return done
        reason = last_line(self._folder(ref) / blobs.LOGS)  # the entrypoint's last word: why no result
        return StatusResponse(
            "failed",
            ProviderFailure("system", "NonZeroExit",
                            f"the attempt process exited ({code}) without a result" + (f": {reason}" if reason else ""),
                            True),
        )

    def cancel(self, ref: AttemptRef, handle: str) -> None:
        try:
            process = ProcessHandle.parse(handle)
        except ValueError:
            return
        kill_tree(process)
        self._reap(handle)

    def logs(self, ref: AttemptRef, handle: str) -> LogsResponse:
        try:
            return LogsResponse((self._folder(ref) / blobs.LOGS).read_text(errors="replace"))
        except FileNotFoundError:
            return LogsResponse("", ProviderFailure("system", "NoLogs", "no logs recorded for this attempt", False))

    def cleanup(self, ref: AttemptRef, handle: str) -> None:
        """Forget the process; with a remote blob store, keep its log there (``logs.txt``) too."""
        self._reap(handle)
        if self.blobs.local:
            return  # the process wrote its log into the blob store itself
        log_path = self._folder(ref) / blobs.LOGS
        if log_path.is_file():
            paths = self.blobs.attempt(ref.project, ref.domain, ref.execution, ref.node, ref.attempt)
            blobs.write_bytes(paths.logs, log_path.read_bytes())

    def close(self) -> None:
        """Forget the children; running attempts keep running (a restarted controller adopts them)."""
        with self._lock:
            for child in self._children.values():
                _running(child)
            self._children.clear()
            watcher, self._watcher = self._watcher, None
            self._callbacks.clear()
        if watcher is not None:
            watcher.close()
        if self._fork is not None:
            self._fork.close()  # the server exits; the attempts it started keep running

    # ------------------------------------------------------------ internals
    def _outputs_uri(self, ref: AttemptRef, handle: str) -> str:
        """Attempts follow the blob store layout, so the ref alone locates their documents."""
        return self.blobs.attempt(ref.project, ref.domain, ref.execution, ref.node, ref.attempt).outputs

    def _documents(self, outputs_uri: str) -> StatusResponse | None:
        if not outputs_uri:
            return None
        if blobs.exists(outputs_uri):
            return StatusResponse("succeeded")
        error = blobs.read_json_or_none(error_uri(outputs_uri))
        if isinstance(error, dict):
            return StatusResponse("failed", failure_from_document(error))
        return None

    def _poll(self, handle: str) -> None:
        with self._lock:
            child = self._children.get(handle)
        if child is not None:
            _running(child)

    def _reap(self, handle: str) -> None:
        with self._lock:
            child = self._children.pop(handle, None)
        if isinstance(child, subprocess.Popen):
            try:
                child.wait(timeout=1)
            except subprocess.TimeoutExpired:
                self._children[handle] = child

    def _exit_code(self, handle: str) -> str:
        with self._lock:
            child = self._children.get(handle)
        if isinstance(child, subprocess.Popen) and child.returncode is not None:
            return f"status {child.returncode}"
        return "status unknown"


def last_line(log: Path, *, tail: int = 4096) -> str:
    """The last non-empty line of the attempt's log (its last ``tail`` bytes), or "" without one."""
    try:
        with log.open("rb") as handle:
            handle.seek(max(0, handle.seek(0, os.SEEK_END) - tail))
            lines = handle.read().decode(errors="replace").splitlines()
    except OSError:
        return ""
    return next((line.strip() for line in reversed(lines) if line.strip()), "")[:1000]


def _running(child: subprocess.Popen[bytes] | ProcessHandle) -> bool:
    """Still running (a finished Popen child is reaped by the look)."""
    return child.poll() is None if isinstance(child, subprocess.Popen) else is_alive(child)


def _can_fork() -> bool:
    return hasattr(os, "fork") and hasattr(socket, "send_fds") and hasattr(socket, "SOCK_SEQPACKET")


def failure_from_document(doc: dict[str, object]) -> ProviderFailure:
    """An ``error.json`` written by the entrypoint, as a ProviderFailure."""
    return ProviderFailure(
        "system" if doc.get("kind") == "system" else "user",
        str(doc.get("code") or "Error"),
        str(doc.get("message") or ""),
        bool(doc.get("retryable", True)),
    )


def _throttled(why: str) -> SubmitResponse:
    return SubmitResponse("", ProviderFailure("system", THROTTLED, why, True))


def _ref_text(ref: AttemptRef) -> str:
    return f"{ref.project}/{ref.domain}/{ref.execution}/{ref.node}/{ref.attempt}"
