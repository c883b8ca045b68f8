"""``flowctl drift`` end to end: a manifest applied by the CLI, changed out of band, reported.

Exit codes through a real subprocess (``python -m flowctl drift``); formats, --out and --accept
through Typer's CliRunner (in-process, fast).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parent))

from drift_e2e_support import Applied, copy_applied, flowctl, make_applied

from flowctl._errors import InputError
from flowctl.cli import cmd_drift

HAND_SWITCH = "UPDATE launch_plan_activations SET version = 'v0', managed_by = 'manual' WHERE name = 'hourly'"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Applied:
    return make_applied(tmp_path_factory.mktemp("drift_e2e"))


@pytest.fixture
def applied(template: Applied, tmp_path: Path) -> Applied:
    return copy_applied(template, tmp_path)


@pytest.fixture
def app() -> Iterator[typer.Typer]:
    app = typer.Typer()
    cmd_drift.register(app)

    @app.command("noop", hidden=True)
    def _noop() -> None:  # a second command keeps `drift` a subcommand
        pass

    yield app


def invoke(app: typer.Typer, *args: str) -> object:
    return CliRunner().invoke(app, ["drift", *args], catch_exceptions=False)


def test_exit_codes_in_a_subprocess(applied: Applied) -> None:
    clean = flowctl("drift", ".", cwd=applied.root)
    assert clean.returncode == 0, clean.stderr
    assert "No drift. The world matches the last apply" in clean.stdout
    assert "Pending changes: none. The manifest matches the registry." in clean.stdout

    applied.sql(HAND_SWITCH)
    drift = flowctl("drift", ".", cwd=applied.root)
    assert drift.returncode == 2, drift.stderr
    assert "~ demo/development/launch_plan/hourly: activation changed by hand [error]" in drift.stdout
    assert 'active_version: "v1" -> "v0"' in drift.stdout
    assert "Drift: 1 finding in 1 project/domain (1 error, 0 warnings)." in drift.stdout

    assert "Fix: `flowctl apply` (of the manifests): demo/development/launch_plan/hourly will be superseded: " \
        "v1 becomes active, v0 is kept." in drift.stdout

    as_json = flowctl("drift", "--format", "json", cwd=applied.root)  # no PATH: no manifest is imported
    assert as_json.returncode == 2
    doc = json.loads(as_json.stdout)
    assert doc["format_version"] == "1" and doc["drift"] is True
    assert doc["counts"] == {"activation_changed": 1}
    assert doc["pending_changes"]["available"] is False and "manifests.path" in doc["pending_changes"]["note"]
    (finding,) = doc["groups"][0]["findings"]
    assert finding["remedy"].startswith("`flowctl apply` (of the last apply's manifests): ")
    (applied.root / "flowctl.toml").write_text('[manifests]\npath = "."\n')  # configured: the same as plan
    configured = json.loads(flowctl("drift", "--format", "json", cwd=applied.root).stdout)
    assert configured["pending_changes"]["available"] is True


def test_errors_exit_1(applied: Applied, app: typer.Typer, tmp_path: Path) -> None:
    missing = flowctl("drift", "--registry", f"sqlite:///{tmp_path / 'nope.db'}", cwd=tmp_path)
    assert missing.returncode == 1
    assert "Error: No registry at" in missing.stderr and not (tmp_path / "nope.db").exists()
    # FlowctlError reaches flowctl.cli.main, which prints its diagnostics and exits 1
    (tmp_path / "accept.yaml").write_text("- address: demo\n  reason: r\n")
    with pytest.raises(InputError) as info:
        invoke(app, str(applied.root), "--registry", applied.url, "--accept", str(tmp_path / "accept.yaml"))
    assert info.value.diagnostics[0].summary == "Accept entry 1 lacks owner, expires"


def test_formats_and_output_file(applied: Applied, app: typer.Typer, tmp_path: Path) -> None:
    applied.sql(HAND_SWITCH)
    args = (str(applied.root), "--registry", applied.url)
    md = invoke(app, *args, "--format", "markdown")
    assert md.exit_code == 2  # type: ignore[attr-defined]
    assert md.stdout.startswith("## flowctl drift: drift detected")  # type: ignore[attr-defined]
    out = tmp_path / "reports" / "drift.html"
    html = invoke(app, *args, "-o", "html", "--out", str(out))
    assert html.exit_code == 2  # type: ignore[attr-defined]
    assert html.stdout == ""  # type: ignore[attr-defined]
    assert f"Report written to {out}" in html.stderr  # type: ignore[attr-defined]
    assert '<tr class="finding" data-kind="activation_changed"' in out.read_text()


def test_accept_file_suppresses_until_expiry(applied: Applied, app: typer.Typer, tmp_path: Path) -> None:
    applied.sql(HAND_SWITCH)
    accept = tmp_path / "accept.yaml"
    accept.write_text(
        "accept:\n  - address: demo/development/launch_plan/hourly\n    reason: paused for INC-1\n"
        "    owner: ops@example.com\n    expires: 2999-01-01\n"
        "  - address: demo/production\n    reason: old\n    owner: ops@example.com\n"
        "    expires: 2020-01-01\n"
    )
    result = invoke(app, str(applied.root), "--registry", applied.url, "--accept", str(accept))
    assert result.exit_code == 0  # type: ignore[attr-defined]
    text = result.stdout  # type: ignore[attr-defined]
    assert "accepted by ops@example.com until 2999-01-01: paused for INC-1" in text
    assert "demo/production: expired 2020-01-01 (owner ops@example.com): old" in text


def test_manual_registration_and_refresh(applied: Applied, app: typer.Typer) -> None:
    from flowctl.plans.drift import accept_world
    from flowctl.state import open_store

    applied.sql(
        "INSERT INTO entities (kind, project, domain, name, version, digest, spec, created_at, created_by, "
        "managed_by) SELECT kind, project, domain, name, 'hotfix', digest, spec, created_at, 'bob', 'manual' "
        "FROM entities WHERE kind = 'task' AND version = 'v1'"
    )
    result = invoke(app, str(applied.root), "--registry", applied.url, "--format", "json")
    assert result.exit_code == 2  # type: ignore[attr-defined]
    doc = json.loads(result.stdout)  # type: ignore[attr-defined]
    assert [f["kind"] for g in doc["groups"] for f in g["findings"]] == ["registered_outside_apply"]
    store = open_store(applied.url)
    try:
        accept_world(store, user="ops", expected_serial=doc["registry"]["serial"])
    finally:
        store.close()
    assert invoke(app, str(applied.root), "--registry", applied.url).exit_code == 0  # type: ignore[attr-defined]


ADHOC_FLOWS = """
from flowctl import task, workflow


@task
def triple(x: int) -> int:
    return 3 * x


@task
def plus_one(x: int) -> int:
    return x + 1


@workflow
def adhoc(x: int = 2) -> int:
    return plus_one(x=triple(x=x))
"""


def test_ad_hoc_remote_runs_are_not_drift(applied: Applied) -> None:
    """`flowctl run --remote` registers what it runs (managed_by `flowctl run --remote`): no manifest
    declares those versions, so nothing differs from one; a manifest's own workflow run ad hoc neither."""
    adhoc = applied.root.parent / "adhoc"
    adhoc.mkdir()
    (adhoc / "adhoc_flows.py").write_text(ADHOC_FLOWS)
    for args in (("../adhoc/adhoc_flows.py", "adhoc"), ("manifest.py", "wf")):
        launched = flowctl("run", "--remote", *args, "-p", "demo", "-d", "development", cwd=applied.root)
        assert launched.returncode == 0, launched.stderr
    drift = flowctl("drift", ".", cwd=applied.root)
    assert drift.returncode == 0, drift.stdout + drift.stderr
    assert "No drift. The world matches the last apply" in drift.stdout
