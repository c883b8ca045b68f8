"""The manifest loader and declarations: folders and packages, collection, duplicates, overlays,
promotions, settings and versions (real modules written to a temp folder, compiled by the SDK)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from flowctl._address import EntityKind
from flowctl._errors import ManifestError
from flowctl._manifest import load_manifest, manifest_modules

FLOWS = '''
from flowctl import CronSchedule, LaunchPlan, task, workflow


@task
def double(x: int) -> int:
    return 2 * x


@workflow
def wf(x: int, factor: int = 2) -> int:
    return double(x=x)


nightly = LaunchPlan.get_or_create(wf, name="nightly", default_inputs={"x": 1},
                                   schedule=CronSchedule(schedule="0 3 * * *"))
'''


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


def manifest(body: str) -> dict[str, str]:
    return {"flows.py": FLOWS, "project.py": "from flowctl import Project, Resources, promoted_from\n"
            "from flows import wf, nightly, double\n" + textwrap.dedent(body)}


def test_folder_of_modules_that_import_each_other(tmp_path: Path) -> None:
    root = write(tmp_path / "m", manifest('''
        project = Project("demo", description="d", labels={"team": "x"})
        dev = project.domain("development", service_account="dev-sa")
        dev.register(wf)
        dev.launch_plan(nightly, active=False)
        prod = project.domain("production").settings(requests=Resources(cpu="1", mem="1Gi"))
        prod.register(wf, version=promoted_from("development"))
        prod.launch_plan(nightly, fixed_inputs={"factor": 3})
    '''))
    loaded = load_manifest(root, version="v1")
    desired = loaded.desired
    assert loaded.root == root.resolve() and desired.version_source == "explicit"
    keys = {(r.domain, r.kind.value, r.name, r.version, r.promoted_from) for r in desired.registrations}
    assert ("development", "task", "flows.double", "v1", None) in keys
    assert ("development", "workflow", "flows.wf", "v1", None) in keys
    assert ("development", "launch_plan", "flows.wf", "v1", None) in keys  # the default launch plan
    assert ("development", "launch_plan", "nightly", "v1", None) in keys
    assert ("production", "workflow", "flows.wf", None, "development") in keys
    assert ("production", "launch_plan", "nightly", None, "development") in keys
    prod_lp = next(r for r in desired.registrations if r.domain == "production" and r.name == "nightly")
    assert prod_lp.spec is not None and prod_lp.spec.fixed_inputs == {"factor": 3}
    acts = {(a.domain, a.name): (a.version, a.active, a.promoted_from) for a in desired.activations}
    assert acts[("development", "nightly")] == ("v1", False, None)
    assert acts[("development", "flows.wf")] == ("v1", True, None)
    assert acts[("production", "nightly")] == (None, True, "development")
    settings = {s.domain: s for s in desired.domain_settings}
    assert settings["development"].service_account == "dev-sa"
    assert settings["production"].requests.cpu == "1"
    reg = next(r for r in desired.registrations if r.kind == EntityKind.WORKFLOW and r.domain == "development")
    assert reg.source.endswith("project.py:6")
    assert desired.projects[0].labels == {"team": "x"}


def test_package_path_and_module_listing(tmp_path: Path) -> None:
    root = write(tmp_path / "repo", {"pkg/__init__.py": "", "pkg/flows.py": FLOWS,
                                     "pkg/sub/__init__.py": "",
                                     "pkg/sub/project.py": "from flowctl import Project\nfrom pkg.flows import wf\n"
                                     "Project('pkgdemo', domains=['development']).domain('development').register(wf)\n"})
    assert manifest_modules(root / "pkg") == (root.resolve(), ["pkg", "pkg.flows", "pkg.sub", "pkg.sub.project"])
    assert manifest_modules(root / "pkg" / "sub" / "project.py") == (root.resolve(), ["pkg.sub.project"])
    loaded = load_manifest(root / "pkg", version="v2")
    assert {r.name for r in loaded.desired.registrations} == {"pkg.flows.double", "pkg.flows.wf"}


def test_content_version_outside_git(tmp_path: Path) -> None:
    root = write(tmp_path / "m", manifest('Project("demo").domain("development").register(wf)\n'))
    first = load_manifest(root)
    again = load_manifest(root)
    assert first.desired.version_source == "content"
    versions = {r.version for r in first.desired.registrations}
    assert len(versions) == 1 and next(iter(versions)).startswith("c-")
    assert versions == {r.version for r in again.desired.registrations}


def test_duplicate_project_names_both_places(tmp_path: Path) -> None:
    root = write(tmp_path / "m", {"flows.py": FLOWS, "a.py": "from flowctl import Project\nP = Project('demo')\n",
                                  "b.py": "from flowctl import Project\n\nQ = Project('demo')\n"})
    with pytest.raises(ManifestError) as info:
        load_manifest(root, version="v1")
    text = info.value.render()
    assert "Duplicate declaration of project `demo`" in text and "a.py:2" in text and "b.py:3" in text


def test_duplicate_registration_names_both_places(tmp_path: Path) -> None:
    root = write(tmp_path / "m", manifest('''
        dev = Project("demo").domain("development")
        dev.register(wf)
        dev.register(wf)
    '''))
    with pytest.raises(ManifestError) as info:
        load_manifest(root, version="v1")
    text = info.value.render()
    assert "Duplicate declaration of workflow `flows.wf` in demo/development" in text
    assert "project.py:6" in text and "project.py:5" in text


def test_unknown_domain_and_bad_names_fail_at_the_declaration(tmp_path: Path) -> None:
    root = write(tmp_path / "m", manifest('Project("demo", domains=["development"]).domain("prod")\n'))
    with pytest.raises(ManifestError, match="Project demo has no domain `prod`") as info:
        load_manifest(root, version="v1")
    assert "project.py:3" in info.value.render()
    bad = write(tmp_path / "n", manifest('Project("Not_A_DNS_Label")\n'))
    with pytest.raises(ManifestError, match="Invalid project `Not_A_DNS_Label`"):
        load_manifest(bad, version="v1")


def test_overlay_inputs_are_checked_against_the_workflow(tmp_path: Path) -> None:
    root = write(tmp_path / "m", manifest('''
        dev = Project("demo").domain("development")
        dev.launch_plan(nightly, fixed_inputs={"nope": 1})
        dev.launch_plan(nightly, default_inputs={"x": "text"})
    '''))
    with pytest.raises(ManifestError) as info:
        load_manifest(root, version="v1")
    text = info.value.render()
    assert "Launch plan `nightly` has no input `nope`" in text
    assert "Duplicate declaration of launch plan `nightly` in demo/development" in text


def test_overlay_type_error(tmp_path: Path) -> None:
    root = write(tmp_path / "m", manifest('Project("demo").domain("development").launch_plan(nightly, '
                                          'default_inputs={"x": "text"})\n'))
    with pytest.raises(ManifestError, match="input `x` of launch plan `nightly`"):
        load_manifest(root, version="v1")


def test_import_failure_points_at_the_user_line(tmp_path: Path) -> None:
    root = write(tmp_path / "m", {"project.py": "from flowctl import Project\n\nraise RuntimeError('boom')\n"})
    with pytest.raises(ManifestError) as info:
        load_manifest(root, version="v1")
    text = info.value.render()
    assert "RuntimeError: boom" in text and "project.py:3" in text


def test_no_project_is_an_error(tmp_path: Path) -> None:
    root = write(tmp_path / "m", {"flows.py": FLOWS})
    with pytest.raises(ManifestError, match="No Project is declared"):
        load_manifest(root, version="v1")


def test_invalid_version_and_promotion_of_self(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="Invalid --version"):
        load_manifest(write(tmp_path / "m", manifest('Project("demo")\n')), version="bad version")
    root = write(tmp_path / "n", manifest('Project("demo").domain("staging").register(wf, '
                                          'version=promoted_from("staging"))\n'))
    with pytest.raises(ManifestError, match="cannot be promoted from itself"):
        load_manifest(root, version="v1")


def test_exported_names() -> None:
    import flowctl

    assert {"Project", "Domain", "promoted_from"} <= set(flowctl.__all__)
