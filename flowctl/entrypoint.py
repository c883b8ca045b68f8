"""What runs inside a task attempt (a local subprocess or a Kubernetes Job's container).

::

    python -m flowctl.entrypoint --task-spec-uri URI --inputs-uri URI --outputs-uri URI \\
        [--bundle-uri URI] --blob-store URL

Fetches the code bundle into a cache folder and puts it first on ``sys.path``, reads the inputs,
runs the task (``flowctl._execute.execute_attempt``) and writes ``outputs.json`` at ``--outputs-uri``
or, on failure, ``error.json`` next to it::

    {"kind": "user" | "system", "code": "...", "message": "...", "traceback": "...", "retryable": true}

Exit status: 0 success, 1 the task failed (user), 2 the attempt could not run (system). Providers
read the documents, not the exit status, so an attempt's result survives controller restarts. When
neither ``outputs.json`` nor ``error.json`` can be written (a full disk), the attempt ends with one
line on stderr (``flowctl: Cannot write ... : No space left on device (ENOSPC); ...``) and exit 2: the
provider fails it as a retryable system error, with that line as its reason.

The attempt reads its task spec as plain JSON (``flowctl._task_data``) and imports only what a run
needs: no pydantic spec models are built for a python task (a test pins the modules it loads).

The task runs with its ``current_context()`` (execution, node, attempt, version from the
``FLOWCTL_*`` variables the provider sets); data frames it returns are written as Parquet under
``{attempt}/frames/``; the decks it wrote are saved as ``{attempt}/deck.html`` (also on failure).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from flowctl import _blobstore as blobs
from flowctl._errors import FlowctlError
from flowctl._record import record
from flowctl._task_data import TaskData
from flowctl.spec._canonical import Json

if TYPE_CHECKING:
    from flowctl.sdk._context import ExecutionParameters
    from flowctl.spec import TaskSpec

EXIT_USER = 1
EXIT_SYSTEM = 2
DECK = "deck.html"


@record(frozen=True)
class EntrypointArgs:
    task_spec_uri: str
    inputs_uri: str
    outputs_uri: str
    bundle_uri: str | None
    blob_store: str


_OPTIONS = {"--task-spec-uri": "task_spec_uri", "--inputs-uri": "inputs_uri", "--outputs-uri": "outputs_uri",
            "--bundle-uri": "bundle_uri", "--blob-store": "blob_store"}
_REQUIRED = frozenset(_OPTIONS.values()) - {"bundle_uri"}


def parse_args(argv: Sequence[str]) -> EntrypointArgs:
    """The attempt's arguments. The form providers write (each option once, ``--name value`` or
    ``--name=value``) is read directly; anything else (``--help``, a missing, repeated or unknown
    option) goes through argparse for its usage message. argparse alone would cost every attempt
    gettext, locale and shutil."""
    values = _read_options(argv)
    if values is None:
        return _parse_with_argparse(argv)
    return EntrypointArgs(values["task_spec_uri"], values["inputs_uri"], values["outputs_uri"],
                          values.get("bundle_uri") or None, values["blob_store"])


def _read_options(argv: Sequence[str]) -> dict[str, str] | None:
    """``{field: value}`` when ``argv`` is exactly the options, each once with a value; else None."""
    values: dict[str, str] = {}
    items = iter(argv)
    for item in items:
        name, equals, value = item.partition("=")
        if not equals:
            value = next(items, "-")
        field_name = _OPTIONS.get(name)
        if field_name is None or field_name in values or (not equals and value.startswith("-")):
            return None
        values[field_name] = value
    return values if values.keys() >= _REQUIRED else None


def _parse_with_argparse(argv: Sequence[str]) -> EntrypointArgs:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m flowctl.entrypoint", description=__doc__.splitlines()[0])
    parser.add_argument("--task-spec-uri", required=True)
    parser.add_argument("--inputs-uri", required=True)
    parser.add_argument("--outputs-uri", required=True)
    parser.add_argument("--bundle-uri", default=None)
    parser.add_argument("--blob-store", required=True)
    ns = parser.parse_args(list(argv))
    return EntrypointArgs(ns.task_spec_uri, ns.inputs_uri, ns.outputs_uri, ns.bundle_uri or None, ns.blob_store)


def error_uri(outputs_uri: str) -> str:
    """``error.json`` sits next to ``outputs.json``."""
    return blobs.join(outputs_uri.rsplit("/", 1)[0], blobs.ERROR)


def bundle_cache_dir() -> Path:
    """``$FLOWCTL_BUNDLE_CACHE``, else ``flowctl/bundles`` in the user's cache folder, else (no home
    folder: a container under an arbitrary uid) in the temporary folder."""
    configured = os.environ.get("FLOWCTL_BUNDLE_CACHE")
    if configured:
        return Path(configured)
    from flowctl._cache_home import user_cache_dir

    found = user_cache_dir("flowctl", "bundles")
    if found is not None:
        return found
    import tempfile  # only without a home folder: a plain attempt does not load it

    return Path(tempfile.gettempdir(), f"flowctl-{os.getuid()}", "bundles")


def error_document(kind: str, code: str, message: str, tb: str, retryable: bool) -> dict[str, Json]:
    return {"kind": kind, "code": code, "message": message, "traceback": tb, "retryable": retryable}


def frames_in_manifest(tb: str, root: Path) -> str:
    """``tb`` with the frames in the unpacked bundle naming the file as it is in the manifest folder
    (``File "flows/etl.py", line 12``), not the cache folder the attempt ran it from."""
    for prefix in dict.fromkeys((str(root), str(root.resolve()))):
        tb = tb.replace(f'File "{prefix}{os.sep}', 'File "')
    return tb


def deck_uri(outputs_uri: str) -> str:
    """``deck.html`` sits next to ``outputs.json``."""
    return blobs.join(outputs_uri.rsplit("/", 1)[0], DECK)


def attempt_parameters(task: TaskSpec | TaskData, prefix: str) -> ExecutionParameters:
    """The task's ``current_context()``: where it runs, from the provider's FLOWCTL_* variables
    (Kubernetes: one per field; the local provider: ``FLOWCTL_ATTEMPT=project/domain/execution/node/attempt``)."""
    from flowctl.sdk._context import ExecutionId, ExecutionParameters, SecretsManager, TaskId

    env = os.environ
    parts = env.get("FLOWCTL_ATTEMPT", "").split("/")
    if len(parts) >= 5:
        where = {"project": parts[0], "domain": parts[1], "execution": parts[2], "node": "/".join(parts[3:-1]),
                 "attempt": parts[-1]}
    else:
        where = {key: env.get(f"FLOWCTL_{key.upper()}", "") for key in ("project", "domain", "execution", "node", "attempt")}
    project, domain = where["project"], where["domain"]
    return ExecutionParameters(
        ExecutionId(project, domain, where["execution"]),
        TaskId(project, domain, task.name, env.get("FLOWCTL_VERSION", "")),
        node_id=where["node"],
        attempt=int(where["attempt"]) if where["attempt"].isdigit() else 0,
        secrets=SecretsManager(task.secret_requests),
        raw_output_prefix=prefix,
    )


def freeze_start_up(task: TaskData) -> None:
    """Leave what the attempt process loaded before the task's code to the end of the process.

    The process runs one task and exits. Its interpreter's shutdown would collect and free what
    start-up built (modules, classes and functions are reference cycles) one object at a time: ~4 ms,
    most of the exit. Frozen (``gc.freeze``), the collector neither walks those objects while the task
    runs nor frees them at exit; the operating system takes the memory back. What the task's own
    code creates is collected and finalized as before. A python task's ``@task`` module is loaded
    first: its module imports it next (and ``flowctl._runtime`` loads it before the module anyway).
    The collector is on from here: the local ``_child`` turns it off while it loads flowctl, which
    only allocates what stays (its collections were ~1 ms of start-up).
    """
    import gc

    if task.task_type == "python":
        import flowctl.sdk._task  # noqa: F401
    gc.freeze()
    gc.enable()


def _execute(task: TaskData, inputs: dict[str, Json], root: Path | None, outputs_uri: str,
             whole_process: bool) -> dict[str, Json]:
    from flowctl._execute import execute_attempt
    from flowctl.sdk._context import render_report, task_context
    from flowctl.types import writing_frames_to

    if whole_process:
        freeze_start_up(task)

    prefix = outputs_uri.rsplit("/", 1)[0]
    params = attempt_parameters(task, prefix)
    with task_context(params) as running, writing_frames_to(blobs.join(prefix, "frames")):
        try:
            return execute_attempt(task, inputs, root=root)
        finally:
            documents = running.decks()
            if documents:
                blobs.write_bytes(deck_uri(outputs_uri), render_report(f"{task.name} ({params.node_id})", documents).encode())


def _failure_document(exc: BaseException) -> tuple[dict[str, Json], int]:
    import traceback

    from flowctl._errors import ExecutionError, FlowctlError

    if isinstance(exc, ExecutionError):
        tb = str(getattr(exc, "user_traceback", "") or getattr(exc, "traceback", "") or "") or "".join(
            traceback.format_exception(exc)
        )
        retryable = bool(getattr(exc, "retryable", True))
        return error_document("user", exc.code, exc.diagnostics[0].summary, tb, retryable), EXIT_USER
    tb = "".join(traceback.format_exception(exc))
    if isinstance(exc, FlowctlError):
        kind = exc.blame
        return error_document(kind, exc.code, exc.render(), tb, kind == "system"), (
            EXIT_USER if kind == "user" else EXIT_SYSTEM
        )
    return error_document("system", f"SYSTEM:{type(exc).__name__}", str(exc), tb, True), EXIT_SYSTEM


def run(args: EntrypointArgs, *, whole_process: bool = False) -> int:
    """Run one attempt; always leaves outputs.json or error.json behind (unless killed).

    ``whole_process``: this process exists for this attempt (``python -m flowctl.entrypoint``, the
    local provider's ``_child``), so what start-up loaded is frozen before the task's code runs
    (:func:`freeze_start_up`); a caller running attempts inside a longer-lived process leaves it False."""
    root: Path | None = None
    try:
        task = TaskData(blobs.read_json(args.task_spec_uri))
        inputs = blobs.read_json(args.inputs_uri) or {}
        if args.bundle_uri:
            from flowctl._bundle_fetch import bundle_digest, fetch_bundle

            root = fetch_bundle(args.bundle_uri, bundle_cache_dir() / bundle_digest(args.bundle_uri))
            sys.path.insert(0, str(root))
        outputs = _execute(task, inputs, root, args.outputs_uri, whole_process)
        from flowctl._file_outputs import store_file_outputs

        outputs = store_file_outputs(task, outputs, args.outputs_uri.rsplit("/", 1)[0])
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # everything else (SystemExit from user code too) is an error document
        doc, code = _failure_document(exc)
        if root is not None:
            doc["traceback"] = frames_in_manifest(str(doc["traceback"]), root)
        sys.stderr.write(str(doc["traceback"]))
        return save_failure(args.outputs_uri, doc, code)
    return save_outputs(args.outputs_uri, outputs)


def save_outputs(outputs_uri: str, outputs: dict[str, Json]) -> int:
    """Write ``outputs.json``: 0; when it cannot be written (a full disk, a bucket refusing the write),
    the attempt could not finish: a system error document instead (:func:`save_failure`), exit 2."""
    try:
        blobs.write_json(outputs_uri, outputs)
    except Exception as exc:
        sys.stderr.write(f"{exc}\n")
        message = exc.render() if isinstance(exc, FlowctlError) else f"Cannot write the task outputs: {exc}"
        code = exc.code if isinstance(exc, FlowctlError) else f"SYSTEM:{type(exc).__name__}"
        return save_failure(outputs_uri, error_document("system", code, message, "", True), EXIT_SYSTEM)
    return 0


def save_failure(outputs_uri: str, doc: dict[str, Json], code: int) -> int:
    """Write ``error.json`` and return ``code``; when that cannot be written either (the disk is full),
    end with one line on stderr saying what and why, and exit :data:`EXIT_SYSTEM`: the provider then
    fails the attempt as a retryable system error, with that line as its reason."""
    try:
        blobs.write_json(error_uri(outputs_uri), doc)
    except Exception as exc:
        reason = (exc.diagnostics[0].summary if isinstance(exc, FlowctlError) else f"{type(exc).__name__}: {exc}")
        first = str(doc.get("message") or "").strip().removeprefix("Error: ").split("\n", 1)[0]
        sys.stdout.flush()  # the task's prints first: this line is the log's last, the provider's reason
        sys.stderr.write(f"\nflowctl: {reason}; the attempt's result is lost (it was: {first})\n")
        sys.stderr.flush()
        return EXIT_SYSTEM
    return code


def main(argv: Sequence[str] | None = None, *, whole_process: bool = False) -> int:
    return run(parse_args(sys.argv[1:] if argv is None else argv), whole_process=whole_process)


if __name__ == "__main__":
    sys.exit(main(whole_process=True))
