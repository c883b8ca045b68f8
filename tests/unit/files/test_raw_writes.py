"""Every file flowctl writes goes through the one write mechanism (``flowctl._files``: write_atomic,
replacing, writing): whole or not at all, and one WriteError when the disk says no.

This test reads the source of every package (``flowctl/``, ``state/``, ``providers/``, ``plans/``)
and lists each call that writes a file some other way: ``open(..., "w")``, ``Path.write_text``,
``os.open`` with a writing flag, a copy, a rename, an upload, unless it runs inside a
``with writing(...)`` or ``with replacing(...)`` block. Each one must be on ``ALLOWED`` with the
reason it may bypass the mechanism, so new code cannot do so silently."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).parents[3]
PACKAGES = ("flowctl", "state", "providers", "plans")
MECHANISM = {"flowctl/_files.py"}  # the mechanism itself

# "path:function:call" -> why it may write without write_atomic / replacing / writing
ALLOWED = {
    "flowctl/_bundle_fetch.py:_extract:extractall":
        "unpacks into a temporary folder that replaces the cache folder in one rename",
    "flowctl/_bundle_fetch.py:_extract:write_text":
        "the completeness marker, inside that temporary folder before its rename",
    "flowctl/_bundle_fetch.py:_extract:os.replace":
        "the folder's rename: losing the race to another attempt's complete copy is not an error",
    "flowctl/_workdir.py:_write_gitignore:os.open":
        "best effort: `*` in .flowctl/.gitignore, created once (O_EXCL); a read-only parent is skipped on purpose",
    "flowctl/_workdir.py:_write_gitignore:os.fdopen": "the same two bytes",
    "providers/local/_claim.py:claim:os.open": "attempt.lock: an flock held open, created once (O_EXCL), never read as data",
    "providers/local/_claim.py:_existing:os.open": "opens that lock file to take the flock, writes nothing",
    "providers/local/_provider.py:_spawn:os.open":
        "the attempt's log: a stream the process appends to while it runs (logs.txt), not a document",
}

WRITE_FLAGS = {"O_WRONLY", "O_RDWR", "O_CREAT", "O_APPEND", "O_TRUNC"}
COPIES = {"copy", "copy2", "copyfile", "copytree", "copyfileobj", "move"}
UPLOADS = {"put", "put_file", "get", "get_file", "pipe", "pipe_file"}  # fsspec file systems
RENAMES = {"replace", "rename", "renames"}


def _mode(call: ast.Call) -> str:
    """The mode of an ``open`` call: ``mode=``, or the first literal string of its first two
    arguments (``open(path, "w")``, ``fs.open(path, "wb")``, ``Path.open("w")``); "r" without one."""
    for keyword in call.keywords:
        if keyword.arg == "mode" and isinstance(keyword.value, ast.Constant):
            return str(keyword.value.value)
    literal = [a.value for a in call.args[:2] if isinstance(a, ast.Constant) and isinstance(a.value, str)]
    return literal[0] if literal else "r"


def _names(node: ast.AST) -> set[str]:
    return {n.attr if isinstance(n, ast.Attribute) else n.id for n in ast.walk(node)
            if isinstance(n, ast.Attribute | ast.Name)}


def _writes(call: ast.Call) -> str | None:
    """What kind of raw write ``call`` is, or None."""
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    receiver = func.value.id if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) else ""
    if name == "open" and receiver == "os":
        return "os.open" if WRITE_FLAGS & _names(call.args[1]) else None
    if name == "open" and receiver != "tarfile":
        return "open" if set(_mode(call)) & set("wax+") else None
    if name == "fdopen":
        return "os.fdopen" if set(_mode(call)) & set("wax+") else None
    if name in ("write_text", "write_bytes") and isinstance(func, ast.Attribute) and receiver not in (
            "blobs", "_blobstore"):  # Path's (the blob store's functions are the mechanism)
        return name
    if name in COPIES and receiver == "shutil":
        return f"shutil.{name}"
    if name in ("extract", "extractall"):
        return name
    if name in RENAMES and receiver == "os":
        return f"os.{name}"
    if name in UPLOADS and receiver == "fs":
        return f"fs.{name}"
    return None


def _in_the_mechanism(tree: ast.AST) -> set[int]:
    """The nodes inside ``with writing(...)`` / ``with replacing(...)`` blocks."""
    covered: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.With) and any(
                isinstance(item.context_expr, ast.Call) and _names(item.context_expr.func) & {"writing", "replacing"}
                for item in node.items):
            covered.update(id(inner) for statement in node.body for inner in ast.walk(statement))
    return covered


def raw_writes() -> dict[str, int]:
    """``path:function:call`` -> the first line of each raw write in the packages (``function``: the
    innermost one around the call, ``<module>`` at the top level)."""
    found: dict[str, int] = {}
    for package in PACKAGES:
        for file in sorted((ROOT / package).rglob("*.py")):
            path = file.relative_to(ROOT).as_posix()
            if path in MECHANISM:
                continue
            tree = ast.parse(file.read_text(), filename=path)
            covered = _in_the_mechanism(tree)
            pending: list[tuple[ast.AST, str]] = [(tree, "<module>")]
            while pending:
                node, function = pending.pop()
                for child in ast.iter_child_nodes(node):
                    inner = child.name if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef) else function
                    if isinstance(child, ast.Call) and id(child) not in covered and (kind := _writes(child)):
                        key = f"{path}:{inner}:{kind}"
                        found[key] = min(found.get(key, child.lineno), child.lineno)
                    pending.append((child, inner))
    return found


def test_every_raw_write_has_a_reason() -> None:
    unexplained = {key: line for key, line in raw_writes().items() if key not in ALLOWED}
    assert not unexplained, (
        "These calls write files without flowctl._files (write_atomic / replacing / writing): use the "
        "mechanism, or add the call to ALLOWED with the reason it may not:\n"
        + "\n".join(f"  {key.split(':')[0]}:{line} ({key})" for key, line in sorted(unexplained.items())))


def test_every_allowed_write_still_exists() -> None:
    stale = sorted(set(ALLOWED) - set(raw_writes()))
    assert not stale, f"ALLOWED names calls that are gone: {stale}"


def test_the_scan_finds_raw_writes() -> None:
    tree = ast.parse("open(p, 'w')\nPath(p).write_text('x')\nos.open(p, os.O_WRONLY | os.O_CREAT)\n"
                     "blobs.write_bytes(u, b'')\nopen(p)\nos.open(p, os.O_RDONLY)\nshutil.copyfile(a, b)\n")
    kinds = [_writes(node) for node in ast.walk(tree) if isinstance(node, ast.Call)]
    assert [k for k in kinds if k] == ["open", "write_text", "os.open", "shutil.copyfile"]
