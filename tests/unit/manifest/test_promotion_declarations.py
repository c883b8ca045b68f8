"""`promoted_from(...)` gates at declaration, as they reach the desired state; and the one settings
resolution every command uses (found from the manifest path or the current folder, from a sub-folder)."""

from __future__ import annotations

import textwrap
from datetime import timedelta
from pathlib import Path

import pytest

from flowctl._address import EntityKind
from flowctl._config import Config
from flowctl._errors import ManifestError
from flowctl._manifest import load_manifest
from flowctl._project import promoted_from
from flowctl.spec import PromotionGates

FLOWS = '''
from flowctl import task, workflow


@task
def double(x: int) -> int:
    return 2 * x


@workflow
def wf(x: int) -> int:
    return double(x=x)
'''


def test_gates_are_declared_on_promoted_from_and_reach_the_desired_state(tmp_path: Path) -> None:
    root = tmp_path / "m"
    root.mkdir()
    (root / "flows.py").write_text(FLOWS)
    (root / "project.py").write_text(textwrap.dedent('''
        from datetime import timedelta
        from flowctl import Project, promoted_from
        from flows import wf
        p = Project("demo", domains=["staging", "production"])
        p.domain("staging").register(wf)
        p.domain("production").register(wf, version=promoted_from(
            "staging", require_successes=3, soak="1h30m", require_approval=True))
    '''))
    desired = load_manifest(root, version="v1").desired
    (promoted,) = [r for r in desired.registrations if r.promoted_from]
    assert (promoted.kind, promoted.domain) == (EntityKind.WORKFLOW, "production")
    assert promoted.gates == PromotionGates(require_successes=3, soak_seconds=5400, require_approval=True)
    assert promoted_from("staging").gates == PromotionGates() and not promoted_from("staging").gates.any
    assert promoted_from("staging", soak=timedelta(days=2)).gates.soak_seconds == 172800


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"soak": "a day"}, 'soak must be a duration such as "24h"'),
    ({"soak": timedelta(seconds=-1)}, "soak must not be negative"),
    ({"require_successes": -1}, "require_successes must be a whole number >= 0"),
    ({"require_successes": True}, "require_successes must be a whole number >= 0"),
    ({"require_approval": "yes"}, "require_approval must be True or False"),
])
def test_bad_gates_are_declaration_errors_with_the_line(kwargs: dict, message: str) -> None:
    with pytest.raises(ManifestError, match=message) as info:
        promoted_from("staging", **kwargs)
    assert "test_promotion_declarations.py:" in info.value.diagnostics[0].source


def test_settings_resolve_from_the_manifest_path_or_the_current_folder(tmp_path: Path) -> None:
    top = tmp_path / "repo"
    (top / "manifests" / "sub").mkdir(parents=True)
    (top / "flowctl.toml").write_text('[registry]\nurl = "sqlite:///state/r.db"\n[manifests]\npath = "manifests"\n')
    expected = f"sqlite:///{top / 'state' / 'r.db'}"
    from_sub = Config(cwd=top / "manifests" / "sub")
    given = Config(cwd=tmp_path, manifest=Path("repo/manifests"))
    for config in (from_sub, given, Config(cwd=top)):
        assert config.registry_url == expected and config.root == top
        assert config.manifests(None) == top / "manifests"
    assert given.manifests(Path("elsewhere")) == Path("elsewhere")
    bare = Config(cwd=tmp_path, manifest=Path("other/m.py"))  # no settings file: the current folder
    assert bare.registry_url == f"sqlite:///{tmp_path / '.flowctl' / 'registry.db'}"
    assert bare.manifests(None) == tmp_path and bare.manifests(None, default_to_cwd=False) is None
