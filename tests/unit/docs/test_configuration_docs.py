"""docs/configuration.md and docs/flowctl.toml.example cover every setting and variable flowctl reads."""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

from flowctl._config import SETTINGS, _lookup

REPO = Path(__file__).resolve().parents[3]
DOCS = REPO / "docs"
# A variable name in code: FLOWCTL_ not preceded by an identifier character (so `_FLOWCTL_DIR`,
# a Python constant, is not one).
_NAME = re.compile(r"(?<![A-Za-z0-9_])FLOWCTL_[A-Z0-9_]*")
_SUFFIXES = (".py", ".j2", ".js", ".html")


def variables_in_code() -> dict[str, str]:
    """Every ``FLOWCTL_*`` name in flowctl's code (plans/, state/ and providers/ through their links),
    with one place it occurs."""
    found: dict[str, str] = {}
    for folder, _dirs, files in os.walk(REPO / "flowctl", followlinks=True):
        for name in files:
            if not name.endswith(_SUFFIXES):
                continue
            path = Path(folder) / name
            for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
                for match in _NAME.findall(line):
                    if match != "FLOWCTL_":  # a bare prefix, as in f"FLOWCTL_{key}"
                        found.setdefault(match, f"{path.relative_to(REPO)}:{number}")
    return found


def documented_variables() -> list[str]:
    """The names in the first column of the table in docs/configuration.md."""
    names: list[str] = []
    for line in (DOCS / "configuration.md").read_text().splitlines():
        if line.startswith("| `FLOWCTL_"):
            names += re.findall(r"`(FLOWCTL_[A-Z0-9_{}]*)`", line.split("|")[1])
    return names


def _is_documented(name: str, documented: list[str]) -> bool:
    for entry in documented:
        prefix = entry.split("{")[0]
        if name == entry or ("{" in entry and name.startswith(prefix) and len(name) >= len(prefix) - 1):
            return True
    return False


def test_every_variable_in_the_code_is_in_the_table() -> None:
    documented = documented_variables()
    missing = {name: where for name, where in variables_in_code().items() if not _is_documented(name, documented)}
    assert not missing, f"add these to the table in docs/configuration.md: {missing}"


def test_every_variable_in_the_table_is_read_by_the_code() -> None:
    in_code = variables_in_code()
    stale = [entry for entry in documented_variables()
             if not any(_is_documented(name, [entry]) for name in in_code)]
    assert not stale, f"docs/configuration.md documents variables flowctl no longer reads: {stale}"


def test_the_scanner_finds_known_variables_and_skips_constants() -> None:
    found = variables_in_code()
    assert {"FLOWCTL_DEBUG", "FLOWCTL_TASK_WORKDIR", "FLOWCTL_REGISTRY", "FLOWCTL_SECRET_"} <= set(found)
    assert "FLOWCTL_DIR" not in found  # only `_FLOWCTL_DIR`, a constant, exists
    assert _is_documented("FLOWCTL_SECRET_", ["FLOWCTL_SECRET_{GROUP}_{KEY}"])
    assert not _is_documented("FLOWCTL_SECRETS", ["FLOWCTL_SECRET_{GROUP}_{KEY}"])
    assert not _is_documented("FLOWCTL_NEW", ["FLOWCTL_NEWER"])


def _example() -> str:
    return (DOCS / "flowctl.toml.example").read_text()


def _leaves(table: dict[str, object], prefix: str = "") -> set[str]:
    """The dotted keys of ``table``; a setting's inline table (``{cpu = "1"}``) is one leaf."""
    keys: set[str] = set()
    settings = {s.key for s in SETTINGS}
    for key, value in table.items():
        dotted = f"{prefix}{key}"
        scalars = isinstance(value, dict) and not any(isinstance(v, dict) for v in value.values())
        leaf = not isinstance(value, dict) or (dotted in settings and scalars)
        keys |= {dotted} if leaf else _leaves(value, dotted + ".")
    return keys


# `server` (a client's server URL) and the `[server.auth]` tables (the server's own settings) cannot
# share a file: TOML has no key that is both a value and a table. The example shows `server` commented.
_CLIENT_ONLY = "server"


def _uncommented(*, skip: str) -> dict[str, Any]:
    """The example with every commented-out setting turned on, except the top-level key ``skip``."""
    header, _, tables = _example().partition("\n[")
    turn_on = re.compile(r"(?m)^# ([a-z_]+ = )")
    header = re.sub(rf"(?m)^# (?!{skip} = )([a-z_]+ = )", r"\1", header)
    return tomllib.loads(header + "\n[" + turn_on.sub(r"\1", tables))


def test_the_example_has_every_setting_and_nothing_else() -> None:
    keys = _leaves(_uncommented(skip=_CLIENT_ONLY))
    assert keys | {_CLIENT_ONLY} == {s.key for s in SETTINGS}
    assert re.search(rf"(?m)^# {_CLIENT_ONLY} = ", _example())


def test_the_example_shows_each_default_as_the_live_value() -> None:
    live = tomllib.loads(_example())
    for setting in SETTINGS:
        assert _lookup(live, setting.key) == setting.default, setting.key


def test_the_example_names_each_settings_variable() -> None:
    text = _example()
    missing = [setting.env for setting in SETTINGS if setting.env and setting.env not in text]
    assert not missing, f"name these variables in docs/flowctl.toml.example: {missing}"


def test_the_example_loads_as_a_settings_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from flowctl._config import Config

    for setting in SETTINGS:
        if setting.env:
            monkeypatch.delenv(setting.env, raising=False)
    (tmp_path / "flowctl.toml").write_text(_example())
    config = Config(cwd=tmp_path)
    assert config.file == tmp_path / "flowctl.toml"
    assert config.registry_url == f"sqlite:///{tmp_path / '.flowctl/registry.db'}"
    live = tomllib.loads(_example())
    for setting in SETTINGS:
        expected = "flowctl.toml" if _lookup(live, setting.key) is not None else "default"
        assert config.origin(setting.key) == expected, setting.key
