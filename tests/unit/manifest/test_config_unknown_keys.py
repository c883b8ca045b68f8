"""flowctl.toml keys that are no setting are reported (once per file) with the nearest valid name."""

from __future__ import annotations

from pathlib import Path

import pytest

from flowctl import _config
from flowctl._config import Config, unknown_keys


def test_unknown_keys_are_found_at_any_depth_and_inline_tables_are_values() -> None:
    table = {"registry": {"uri": "x", "url": "y"}, "provider": {"kubernetes": {"contex": "c",
             "default_requests": {"cpu": "1"}}}, "colour": True}
    assert unknown_keys(table) == ["registry.uri", "provider.kubernetes.contex", "colour"]


def test_a_typo_warns_with_the_nearest_name_once(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_config, "_WARNED", set())
    monkeypatch.delenv("FLOWCTL_REGISTRY", raising=False)
    (tmp_path / "flowctl.toml").write_text('[registry]\nuri = "sqlite:///r.db"\n\n[nonsense]\nx = 1\n')
    config = Config(cwd=tmp_path)
    Config(cwd=tmp_path)
    err = capsys.readouterr().err
    assert err.count("unknown setting `registry.uri`") == 1
    assert "(ignored); did you mean `registry.url`?" in err
    assert "unknown setting `nonsense` (ignored); `flowctl config show` lists the settings." in err
    assert str(tmp_path / "flowctl.toml") in err
    assert config.origin("registry.url") == "default"


def test_pyproject_tool_table_is_checked_too(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_config, "_WARNED", set())
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.flowctl.cache]\ndirectory = "c"\n')
    Config(cwd=tmp_path)
    assert "unknown setting `cache.directory` (ignored); did you mean `cache.dir`?" in capsys.readouterr().err


def test_nested_tables_of_settings_are_checked() -> None:
    table = {"server": "https://flowctl.example.com",
             "auth": {"enabled": True, "enabeld": True, "oidc": {"issuer": "https://i", "isuer": "x"}}}
    assert unknown_keys(table) == ["auth.enabeld", "auth.oidc.isuer"]


def test_the_server_url_and_the_auth_tables_live_in_one_file(tmp_path: Path) -> None:
    # `server` is the client's URL; access control is [auth], so both fit in one valid TOML file
    (tmp_path / "flowctl.toml").write_text('server = "https://flowctl.example.com"\n\n[auth]\nenabled = true\n'
                                           '\n[auth.oidc]\nissuer = "https://id.example.com"\n')
    config = Config(cwd=tmp_path)
    assert config.get("server") == "https://flowctl.example.com"
    assert config.get("auth.enabled") == "true" and config.get("auth.oidc.issuer") == "https://id.example.com"
