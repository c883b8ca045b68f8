"""An attempt process imports only what running a task needs (issue 13): no spec models are built,
no controller, registry or CLI modules are loaded."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from flowctl.entrypoint import EXIT_USER
from flowctl.sdk import definition_of

# what an attempt must never load: the CLI, the registry, the controller, the cloud clients
CONTROL_PLANE = {"typer", "click", "rich", "sqlalchemy", "sqlmodel", "alembic", "kubernetes", "fsspec", "croniter"}
CONTROL_PLANE_FLOWCTL = {"flowctl.engine", "flowctl.state", "flowctl.cli", "flowctl.plans", "flowctl.server",
                         "flowctl.providers.local._provider", "flowctl.spec._manifest"}
# standard-library modules a plain attempt does not need (issue 13: each costs a fresh interpreter
# milliseconds): argparse (gettext, locale, shutil), logging, and what only rare values or failures use
HEAVY_STDLIB = {"argparse", "gettext", "locale", "shutil", "logging", "tempfile", "random", "uuid", "platform",
                "hashlib", "decimal", "difflib", "html", "base64", "traceback", "bz2", "lzma",
                # dataclasses (and its inspect: ast, dis, tokenize) for the SDK's value classes (flowctl._record
                # builds them), linecache for a task's def line, copy, binascii
                "dataclasses", "inspect", "ast", "dis", "tokenize", "linecache", "copy", "binascii"}
# flowctl modules a plain python attempt does not need: ImageSpec (a task named by a string or none),
# the name rules (the attempt is given its URIs), the log filter, the task types, the code digests
LAZY_FLOWCTL = {"flowctl.sdk._image", "flowctl._names", "flowctl._log_redaction", "flowctl.tasktypes",
                "flowctl.sdk._code_digest"}

REPORT = """
import json, sys
roots = sorted({m.split('.')[0] for m in sys.modules})
flowctl_packages = sorted({'.'.join(m.split('.')[:2]) for m in sys.modules if m.startswith('flowctl.')}
                          | {'.'.join(m.split('.')[:3]) for m in sys.modules if m.startswith('flowctl.')})
built = []
entities = sys.modules.get('flowctl.spec._entities')
if entities is not None:
    from pydantic import BaseModel
    built = sorted(n for n, c in vars(entities).items()
                   if isinstance(c, type) and issubclass(c, BaseModel) and c.__module__ == entities.__name__
                   and c.__pydantic_complete__)
print(json.dumps({'roots': roots, 'flowctl': flowctl_packages, 'built': built, 'pid': [str(__import__('os').getpid())]}))
"""


def _report(code: str, cwd: Path | None = None) -> dict[str, list[str]]:
    result = subprocess.run([sys.executable, "-c", code + REPORT], capture_output=True, text=True, cwd=cwd)
    assert result.returncode == 0, result.stderr
    report: dict[str, list[str]] = json.loads(result.stdout.splitlines()[-1])
    return report


def test_the_attempt_entry_point_imports_no_spec_models_and_no_control_plane() -> None:
    report = _report("import flowctl.providers.local._child, flowctl.entrypoint")
    assert "pydantic" not in report["roots"] and "pydantic_core" not in report["roots"]
    assert not CONTROL_PLANE & set(report["roots"])
    assert "flowctl.spec._entities" not in report["flowctl"] and "flowctl.sdk" not in report["flowctl"]
    assert not CONTROL_PLANE_FLOWCTL & set(report["flowctl"])


INC = """
    from flowctl import task

    @task
    def work(x: int) -> int:
        return x + 1
"""


def _write_attempt(tmp_path: Path, body: str) -> list[str]:
    """A task module, its spec, inputs and the entrypoint arguments of one attempt of it."""
    (tmp_path / "attempt_mod.py").write_text(textwrap.dedent(body))
    sys.path.insert(0, str(tmp_path))
    try:
        import attempt_mod

        spec = definition_of(attempt_mod.work).spec  # type: ignore[union-attr]
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("attempt_mod", None)
    folder = tmp_path / "blobs" / "a"
    folder.mkdir(parents=True)
    (folder / "task.json").write_text(json.dumps(spec.to_json()))
    (folder / "inputs.json").write_text(json.dumps({"x": 41}))
    return ["--task-spec-uri", str(folder / "task.json"), "--inputs-uri", str(folder / "inputs.json"),
            "--outputs-uri", str(folder / "outputs.json"), "--blob-store", str(tmp_path / "blobs")]


def test_a_python_attempt_builds_no_spec_model_and_loads_no_control_plane(tmp_path: Path) -> None:
    args = _write_attempt(tmp_path, """
        from flowctl import Secret, current_context, task

        @task(secret_requests=[Secret(group="db", key="password", env_var="DB_PASSWORD")])
        def work(x: int) -> str:
            ctx = current_context()
            return f"{x + 1} {ctx.node_id} {ctx.secrets.get('db', 'password')}"
    """)
    run = ("import os\nos.environ.update(DB_PASSWORD='s3cret', FLOWCTL_ATTEMPT='p/development/e1/n0/0')\n"
           f"from flowctl.entrypoint import main\nassert main({args!r}) == 0\n")
    report = _report(run, cwd=tmp_path)
    assert json.loads((tmp_path / "blobs" / "a" / "outputs.json").read_text()) == {"o0": "42 n0 s3cret"}
    assert report["built"] == []  # the task spec was read as plain JSON
    assert "pydantic" not in report["roots"]  # nor does `from flowctl import task` or moving an int load it
    assert not CONTROL_PLANE & set(report["roots"])
    assert not CONTROL_PLANE_FLOWCTL & set(report["flowctl"])
    assert HEAVY_STDLIB & set(report["roots"]) == set()
    assert LAZY_FLOWCTL & set(report["flowctl"]) == set()


def test_the_attempt_reads_its_arguments_without_argparse_and_still_explains_bad_ones() -> None:
    from flowctl.entrypoint import parse_args

    args = parse_args(["--task-spec-uri", "t", "--inputs-uri=i", "--outputs-uri", "o", "--blob-store", "b",
                       "--bundle-uri", ""])
    assert (args.task_spec_uri, args.inputs_uri, args.outputs_uri, args.blob_store, args.bundle_uri) == (
        "t", "i", "o", "b", None)
    result = subprocess.run([sys.executable, "-m", "flowctl.entrypoint", "--task-spec-uri", "t", "--inputs-uri", "i"],
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert "the following arguments are required: --outputs-uri, --blob-store" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_attempt_from_a_code_bundle_loads_nothing_of_what_building_one_needs(tmp_path: Path) -> None:
    """A pod unpacks the bundle (its cache is empty); a local attempt finds it unpacked already."""
    from flowctl._bundle import create_bundle

    args = _write_attempt(tmp_path, INC)
    source = tmp_path / "src"
    source.mkdir()
    (tmp_path / "attempt_mod.py").rename(source / "attempt_mod.py")
    args += ["--bundle-uri", create_bundle(source, str(tmp_path / "blobs"))]
    run = (f"import os\nos.environ['FLOWCTL_BUNDLE_CACHE'] = {str(tmp_path / 'cache')!r}\n"
           f"from flowctl.entrypoint import main\nassert main({args!r}) == 0\n")
    building = {"subprocess", "flowctl._sources", "flowctl._bundle"}  # unpacking needs tarfile and gzip
    unpacking = _report(run)
    assert json.loads((tmp_path / "blobs" / "a" / "outputs.json").read_text()) == {"o0": 42}
    assert not building & {*unpacking["roots"], *unpacking["flowctl"]}
    cached = _report(run)
    assert not (building | {"tarfile", "gzip", "hashlib"}) & {*cached["roots"], *cached["flowctl"]}


def test_a_local_attempt_records_its_handle_without_psutil(tmp_path: Path) -> None:
    """``_child`` records ``pid:start_ticks:deadline`` first thing: read from /proc, not psutil's ~20 ms."""
    args = _write_attempt(tmp_path, INC)
    folder = tmp_path / "attempt"
    folder.mkdir()
    run = f"from flowctl.providers.local._child import main\nassert main({[str(folder), '0', '--', *args]!r}) == 0\n"
    report = _report(run, cwd=tmp_path)
    assert (folder / "attempt.pid").read_text().startswith(f"{report['pid'][0]}:")
    assert "psutil" not in report["roots"] and "subprocess" not in report["roots"]
    assert HEAVY_STDLIB & set(report["roots"]) == set()  # the handle's classes are records too
    assert "signal" not in report["roots"]  # only killing an attempt needs it
    assert "flowctl.providers._interface" not in report["flowctl"]  # the package resolves its names on use


def test_a_failing_attempt_still_writes_its_error_document_without_spec_models(tmp_path: Path) -> None:
    args = _write_attempt(tmp_path, """
        from flowctl import task

        @task
        def work(x: int) -> int:
            raise ValueError(f"no {x}")
    """)
    report = _report(f"from flowctl.entrypoint import main\nassert main({args!r}) == {EXIT_USER}\n", cwd=tmp_path)
    error = json.loads((tmp_path / "blobs" / "a" / "error.json").read_text())
    assert error["kind"] == "user" and "ValueError: no 41" in error["message"]
    assert report["built"] == []


FINALIZED = """
    import gc

    from flowctl import task


    class Cycle:
        def __init__(self, path: str) -> None:
            self.path, self.me = path, self  # garbage only the collector frees

        def __del__(self) -> None:
            with open(self.path, "w") as file:
                file.write("finalized")


    @task
    def work(x: int) -> str:
        Cycle(__file__ + ".finalized")
        return f"{x + 1} frozen={gc.get_freeze_count() > 0} collecting={gc.isenabled()}"
"""


def test_an_attempt_process_freezes_its_start_up_and_still_finalizes_the_task_s_objects(tmp_path: Path) -> None:
    """``python -m flowctl.entrypoint`` (a pod) and the local ``_child`` freeze what they loaded before
    the task's code (their exit then frees none of it) and collect again from there: the task's own
    garbage is collected and finalized at exit."""
    args = _write_attempt(tmp_path, FINALIZED)
    outputs, finalized = tmp_path / "blobs" / "a" / "outputs.json", tmp_path / "attempt_mod.py.finalized"
    folder = tmp_path / "attempt"
    folder.mkdir()
    for command in (["-m", "flowctl.entrypoint", *args], ["-m", "flowctl.providers.local._child", str(folder), "0",
                                                          "--", *args]):
        finalized.unlink(missing_ok=True)
        result = subprocess.run([sys.executable, *command], cwd=tmp_path, capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        assert json.loads(outputs.read_text()) == {"o0": "42 frozen=True collecting=True"}
        assert finalized.read_text() == "finalized"
    # in a process that goes on (engine tests, a caller's own loop), nothing is frozen
    _report(f"from flowctl.entrypoint import main\nassert main({args!r}) == 0\n", cwd=tmp_path)
    assert json.loads(outputs.read_text()) == {"o0": "42 frozen=False collecting=True"}
