"""Digests and derived cache versions follow the code: changed code, changed version; comments don't count."""

from __future__ import annotations

import itertools
import textwrap
from pathlib import Path
from typing import Any

from flowctl._runtime import import_file
from flowctl.sdk import compile_entity, definition_of

BASE = '''
from flowctl import task, workflow

SCALE = 2


def helper(x: int) -> int:
    return x * SCALE


@task(cache=True)
def f(x: int) -> int:
    """Docstring."""
    return helper(x) + 1  # a comment


@task
def h(x: int) -> int:
    return x


@workflow
def wf(x: int) -> int:
    return f(x=h(x=x))
'''
_counter = itertools.count()


def _load(tmp_path: Path, source: str) -> Any:
    name = f"versions_mod_{next(_counter)}"
    path = tmp_path / f"{name}.py"
    path.write_text(textwrap.dedent(source))
    return import_file(path)


def _f(module: Any) -> tuple[str, str]:
    spec = definition_of(module.f).spec  # type: ignore[union-attr]
    return spec.cache.version, spec.code.code_digest


def test_versions_follow_the_code(tmp_path: Path) -> None:
    base = _load(tmp_path, BASE)
    version, digest = _f(base)
    # comments, docstrings and blank lines do not count
    cosmetic = _load(tmp_path, BASE.replace("# a comment", "# another").replace('"""Docstring."""', '"""Other."""\n'))
    assert _f(cosmetic) == (version, digest)
    # the task's own code
    body = _load(tmp_path, BASE.replace("helper(x) + 1", "helper(x) + 2"))
    assert _f(body)[0] != version and _f(body)[1] != digest
    # a helper or constant it uses
    helper = _load(tmp_path, BASE.replace("SCALE = 2", "SCALE = 3"))
    assert _f(helper)[0] != version
    # an unrelated task: same cache version, new code digest (the module changed)
    other = _load(tmp_path, BASE.replace("return x\n", "return x + 0\n"))
    assert _f(other)[0] == version and _f(other)[1] != digest


def test_workflow_digest_changes_with_task_code(tmp_path: Path) -> None:
    one = compile_entity(_load(tmp_path, BASE).wf)
    two = compile_entity(_load(tmp_path, BASE.replace("helper(x) + 1", "helper(x) + 2")).wf)
    name_one = next(n for n in one.tasks if n.endswith(".f"))
    name_two = next(n for n in two.tasks if n.endswith(".f"))
    assert one.tasks[name_one].digest() != two.tasks[name_two].digest()
