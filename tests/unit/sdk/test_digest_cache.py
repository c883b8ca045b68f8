"""sdk/_digest_cache: normalised module sources kept across runs skip parsing and never change a digest."""

from __future__ import annotations

import inspect
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from flowctl._errors import FlowctlError
from flowctl.sdk import _code_digest, _digest_cache
from flowctl.sdk._code_digest import ModuleSource, code_digest, derived_cache_version, module_source
from flowctl.spec import sha256_hex

REPO = Path(__file__).resolve().parents[3]
FIXTURES = REPO / "tests" / "fixtures" / "workflows"


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty cache folder; the in-process memo of module sources is emptied around the test."""
    folder = tmp_path / "digests"
    monkeypatch.setenv(_digest_cache.ENV, str(folder))
    _code_digest._module_source_cached.cache_clear()
    yield folder
    _code_digest._module_source_cached.cache_clear()


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The texts ModuleSource.parse is given (a cache hit parses nothing)."""
    seen: list[str] = []
    real = ModuleSource.parse.__func__  # type: ignore[attr-defined]

    def counting(cls: type[ModuleSource], text: str) -> ModuleSource:
        seen.append(text)
        made: ModuleSource = real(cls, text)
        return made

    monkeypatch.setattr(ModuleSource, "parse", classmethod(counting))
    return seen


def _fresh(filename: str) -> ModuleSource | None:
    _code_digest._module_source_cached.cache_clear()
    return module_source(filename)


def _texts(source: ModuleSource | None) -> Any:
    """Everything a digest is made of: the normalised module and each name's function and closure text."""
    if source is None:
        return None
    names = sorted(source.defs)
    return (source.normalised, source.digest,
            [(n, source.function_source(n), source.closure_source(n), source.function_digest(n)) for n in names],
            source.function_source("no_such_name"), source.closure_source("no_such_name"),
            source.function_digest("no_such_name"))


def _modules() -> list[str]:
    roots = ("flowctl", "plans", "state", "providers", "tests/fixtures", "examples")  # flowctl/plans -> ../plans ...
    found = [path for root in roots for path in (REPO / root).rglob("*.py")]
    return sorted({str(p.resolve()) for p in found})


def test_the_cache_never_changes_what_a_digest_is_made_of(cache: Path, monkeypatch: pytest.MonkeyPatch,
                                                          parses: list[str]) -> None:
    files = _modules()
    assert len(files) > 250
    monkeypatch.setenv(_digest_cache.ENV, "off")
    without = {f: _texts(_fresh(f)) for f in files}
    assert not cache.exists()
    monkeypatch.setenv(_digest_cache.ENV, str(cache))
    assert {f: _texts(_fresh(f)) for f in files} == without  # a miss: parsed, then kept
    parses.clear()
    assert {f: _texts(_fresh(f)) for f in files} == without  # a hit: read back
    assert parses == []
    assert len(list(cache.iterdir())) > 250


def _functions(module: ModuleType) -> list[Callable[..., Any]]:
    found: list[Callable[..., Any]] = []
    for value in vars(module).values():
        fn = getattr(value, "function", value)
        if inspect.isfunction(fn) and fn.__module__ == module.__name__:
            found.append(fn)
    return found


def test_code_digests_with_and_without_the_cache(cache: Path, monkeypatch: pytest.MonkeyPatch,
                                                 load_fixture: Callable[[str], ModuleType]) -> None:
    functions: list[Callable[..., Any]] = []
    for path in sorted(FIXTURES.glob("wf_*.py")):
        try:
            functions.extend(_functions(load_fixture(path.stem)))
        except FlowctlError:  # the fixtures of compile errors
            continue
    assert len(functions) > 20

    def digests() -> list[tuple[str, str]]:
        _code_digest._module_source_cached.cache_clear()
        return [(code_digest(fn), derived_cache_version(fn, '{"inputs":[]}')) for fn in functions]

    monkeypatch.setenv(_digest_cache.ENV, "off")
    without = digests()
    monkeypatch.setenv(_digest_cache.ENV, str(cache))
    assert digests() == without
    assert digests() == without
    assert cache.is_dir()


def _module(tmp_path: Path, name: str, body: str) -> str:
    path = tmp_path / f"{name}.py"
    path.write_text(body)
    return str(path)


A = '"""Doc."""\nLIMIT = 3\n\n\ndef helper(x):\n    return x + LIMIT\n\n\ndef task_a(x):\n    """Doc."""\n    return helper(x)\n'
B = "def task_b(y):\n    return y * 2\n"


def _entry_file(cache: Path, filename: str) -> Path:
    sha = sha256_hex(Path(filename).read_bytes())
    return next(cache.glob(f"{sha}.*.json"))


def test_an_entry_made_for_other_bytes_is_not_used(cache: Path, tmp_path: Path, parses: list[str]) -> None:
    a, b = _module(tmp_path, "a", A), _module(tmp_path, "b", B)
    expected = _texts(_fresh(b))
    _fresh(a)
    poisoned = _entry_file(cache, b)
    poisoned.write_bytes(_entry_file(cache, a).read_bytes())  # a's entry (saying so) where b's belongs
    parses.clear()
    assert _texts(_fresh(b)) == expected
    assert len(parses) == 1
    assert json.loads(poisoned.read_bytes())["sha256"] == sha256_hex(Path(b).read_bytes())  # rewritten


@pytest.mark.parametrize("field", ["python", "format"])
def test_an_entry_of_another_python_or_format_is_not_used(cache: Path, tmp_path: Path, parses: list[str],
                                                          field: str) -> None:
    a = _module(tmp_path, "a", A)
    expected = _texts(_fresh(a))
    entry_file = _entry_file(cache, a)
    entry = json.loads(entry_file.read_bytes())
    entry[field] = "cpython-2.7.18" if field == "python" else _digest_cache.FORMAT + 1
    entry["normalised"] = "something else"
    entry_file.write_text(json.dumps(entry))
    parses.clear()
    assert _texts(_fresh(a)) == expected
    assert len(parses) == 1


def _corrupt(entry: dict[str, Any]) -> list[bytes]:
    def changed(**update: Any) -> bytes:
        return json.dumps({**entry, **update}).encode()

    statements = entry["statements"]
    return [b"", b"{", b"\xff\xfe\x00", b"[]", b"null", changed(normalised=None), changed(statements={}),
            changed(functions=[]), changed(functions={"task_a": 99}), changed(functions={"task_a": "1"}),
            changed(functions={"task_a": 0}),  # statement 0 does not define task_a
            changed(statements=[[1, ["LIMIT"], []], *statements[1:]]), changed(statements=[["x", "LIMIT", []]]),
            changed(statements=[["x", ["LIMIT"]]]), changed(statements=[["x", [3], []]]),
            changed(digests={}), changed(digests={"task_a": 3, "helper": "sha256:x"}),
            changed(digests=[]), *(json.dumps({k: v for k, v in entry.items() if k != key}).encode()
                                   for key in ("functions", "digests", "statements", "normalised"))]


def test_a_corrupt_entry_is_recomputed(cache: Path, tmp_path: Path, parses: list[str]) -> None:
    a = _module(tmp_path, "a", A)
    expected = _texts(_fresh(a))
    entry_file = _entry_file(cache, a)
    good = entry_file.read_bytes()
    for corrupt in _corrupt(json.loads(good)):
        entry_file.write_bytes(corrupt)
        parses.clear()
        assert _texts(_fresh(a)) == expected, corrupt
        assert len(parses) == 1, corrupt
        assert entry_file.read_bytes() == good  # written again
    parses.clear()
    assert _texts(_fresh(a)) == expected
    assert parses == []


def test_a_cache_that_cannot_be_written_is_no_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    parses: list[str]) -> None:
    a = _module(tmp_path, "a", A)
    monkeypatch.setenv(_digest_cache.ENV, "off")
    expected = _texts(_fresh(a))
    (tmp_path / "a-file").write_text("")
    monkeypatch.setenv(_digest_cache.ENV, str(tmp_path / "a-file" / "digests"))  # a file in the way
    parses.clear()
    assert _texts(_fresh(a)) == expected
    assert _texts(_fresh(a)) == expected
    assert len(parses) == 2


@pytest.mark.parametrize("off", ["off", "OFF", "0", "false", "no", "none"])
def test_off_turns_the_cache_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, off: str) -> None:
    monkeypatch.setenv(_digest_cache.ENV, off)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert _digest_cache.cache_folder() is None
    _fresh(_module(tmp_path, "a", A))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.py"]


def test_where_the_cache_is(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv(_digest_cache.ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert _digest_cache.cache_folder() == tmp_path / "xdg" / "flowctl" / "code-digests"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/ignored")
    assert _digest_cache.cache_folder() == tmp_path / "home" / ".cache" / "flowctl" / "code-digests"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert _digest_cache.cache_folder() == tmp_path / "home" / ".cache" / "flowctl" / "code-digests"
    monkeypatch.setenv(_digest_cache.ENV, "~/digests")
    assert _digest_cache.cache_folder() == tmp_path / "home" / "digests"


def test_no_home_folder_turns_the_cache_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No HOME and no passwd entry (a container under an arbitrary uid): no cache, no error."""
    import pwd

    def no_entry(uid: int) -> pwd.struct_passwd:
        raise KeyError(f"getpwuid(): uid not found: {uid}")

    monkeypatch.setattr(pwd, "getpwuid", no_entry)
    monkeypatch.delenv("HOME", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.delenv(_digest_cache.ENV)
    assert _digest_cache.cache_folder() is None
    monkeypatch.setenv(_digest_cache.ENV, "~/digests")
    assert _digest_cache.cache_folder() is None
    a = _module(tmp_path, "a", A)
    assert _fresh(a) is not None
    assert _digest_cache.entries() == 0 and _digest_cache.clear() == 0


def test_entries_and_clear_count_and_remove_the_entries(cache: Path, tmp_path: Path) -> None:
    a, b = _module(tmp_path, "a", A), _module(tmp_path, "b", A.replace("LIMIT = 3", "LIMIT = 5"))
    assert _digest_cache.entries() == 0 and _digest_cache.clear() == 0
    _fresh(a), _fresh(b)
    assert _digest_cache.entries() == 2
    assert _digest_cache.clear() == 2
    assert _digest_cache.entries() == 0 and list(cache.iterdir()) == []


def test_the_suite_keeps_its_digests_out_of_the_user_s_cache() -> None:
    folder = _digest_cache.cache_folder()
    assert folder is not None
    assert not str(folder).startswith(os.path.expanduser("~/.cache"))


def test_an_edit_is_a_new_entry_and_a_new_digest(cache: Path, tmp_path: Path) -> None:
    a = _module(tmp_path, "a", A)
    before = _texts(_fresh(a))
    Path(a).write_text(A.replace("LIMIT = 3", "LIMIT = 4"))
    after = _fresh(a)
    assert after is not None and before is not None
    assert after.closure_source("task_a") != before[2][2][2] and "LIMIT = 4" in after.closure_source("task_a")
    assert len(list(cache.iterdir())) == 2


def test_off_makes_no_entry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With the cache off, a module costs what it cost before the cache: no entry is made (no walk for names)."""
    made: list[str] = []
    real = ModuleSource.entry

    def counting(self: ModuleSource) -> dict[str, Any]:
        made.append(self.normalised)
        return real(self)

    monkeypatch.setattr(ModuleSource, "entry", counting)
    monkeypatch.setenv(_digest_cache.ENV, "off")
    assert _fresh(_module(tmp_path, "a", A)) is not None
    assert made == []
    monkeypatch.setenv(_digest_cache.ENV, str(tmp_path / "digests"))
    assert _fresh(_module(tmp_path, "b", B)) is not None
    assert len(made) == 1
