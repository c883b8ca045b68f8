"""Run `flowctl` in this process exactly as the console entry point does (minus the fast exit).

`invoke` goes through `flowctl.cli._main`, so a FlowctlError becomes its diagnostics and exit 1, a
usage error exit 2, and any other exception exit 70 with a traceback, as in a real process, at a
fraction of a subprocess's cost (for tests that run many commands, e.g. property-based ones).
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from flowctl.cli import _main


@dataclass(frozen=True)
class Result:
    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


@contextlib.contextmanager
def _environment(cwd: Path | None, env: Mapping[str, str] | None) -> Iterator[None]:
    """The working folder, environment, sys.path and modules of a fresh process, restored after."""
    old_cwd, old_path, old_modules = os.getcwd(), list(sys.path), set(sys.modules)
    saved = {key: os.environ.get(key) for key in env or {}}
    os.environ.update(env or {})
    if cwd is not None:
        os.chdir(cwd)
    try:
        yield
    finally:
        sys.path[:] = old_path
        for name in set(sys.modules) - old_modules:  # the user's modules this command imported
            if _is_users(sys.modules[name]):
                del sys.modules[name]
        os.chdir(old_cwd)
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


_LIBRARIES = tuple(str(Path(p).resolve()) for p in {sys.prefix, sys.base_prefix, Path(__file__).parents[2]})


def _is_users(module: object) -> bool:
    filename = getattr(module, "__file__", None)
    return bool(filename) and not str(Path(filename).resolve()).startswith(_LIBRARIES)  # type: ignore[arg-type]


def invoke(*args: str, cwd: Path | None = None, env: Mapping[str, str] | None = None) -> Result:
    """Run ``flowctl ARGS`` in-process; returns the exit code and what went to stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    code: object = 0
    with _environment(cwd, env), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            _main(list(args))
        except SystemExit as exit_:
            code = exit_.code
    status = 0 if code is None else code if isinstance(code, int) else 1
    return Result(status, out.getvalue(), err.getvalue())


def assert_diagnostic(result: Result, *fragments: str, code: int = 1) -> None:
    """A clean user error: the exit code, no traceback, and every fragment in stderr."""
    assert result.code == code, f"exit {result.code}\n{result.stdout}\n{result.stderr}"
    assert "Traceback (most recent call last)" not in result.output, result.output
    assert "internal error" not in result.output, result.output
    for fragment in fragments:
        assert fragment in result.stderr, f"{fragment!r} not in:\n{result.stderr}"
