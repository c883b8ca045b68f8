"""Load manifests (a file, a folder or a package) and turn their declarations into a DesiredState.

The manifest root (the folder of a file, the folder given, or the folder above the outermost
package) goes on ``sys.path``, so user modules import each other as they normally would. Every
``Project`` created while loading is collected; declarations are compiled with
``flowctl.sdk.compile_entity`` and stamped with the manifest version (``flowctl._versioning``).
All problems are collected and raised once; two declarations of one address name both places.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from flowctl._address import EntityKind
from flowctl._errors import Diagnostic, FlowctlError, ManifestError
from flowctl._names import check_labels, entity_problems, summary
from flowctl._project import Domain, LaunchPlanDeclaration, Project, Promotion, Registration, collect_projects
from flowctl._sources import git_toplevel
from flowctl._versioning import VersionChoice, choose_version, content_version
from flowctl.sdk._source import import_user_module
from flowctl.spec import (
    ActivationSpec,
    DesiredState,
    DomainSettingsSpec,
    LaunchPlanSpec,
    RegistrationSpec,
    canonical_json,
)

SKIP_DIRS = frozenset({".git", ".flowctl", ".venv", "venv", "__pycache__", "node_modules", "build", "dist",
                       ".mypy_cache", ".ruff_cache", ".pytest_cache", ".hypothesis", "tests", "ci"})
SKIP_FILES = frozenset({"setup.py", "conftest.py", "noxfile.py"})

Compile = Callable[[Any], Any]  # flowctl.sdk.compile_entity: obj -> CompiledEntity


@dataclass
class LoadedManifest:
    root: Path
    desired: DesiredState
    projects: list[Project]
    version: VersionChoice
    modules: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- finding and importing modules
def manifest_modules(path: Path) -> tuple[Path, list[str]]:
    """The manifest root and the dotted names of the modules to import for ``path``."""
    path = path.resolve()
    if not path.exists():
        raise ManifestError(f"No such manifest file or folder: {path}",
                            detail="Pass a .py file, a folder of manifests or a package (default: the current folder).")
    if path.is_file():
        if path.suffix != ".py":
            raise ManifestError(f"Not a Python manifest: {path}", detail="Manifests are .py files, folders or packages.")
        root, parts = _package_root(path.parent)
        name = path.stem
        return root, [".".join([*parts, name]) if name != "__init__" else ".".join(parts)]
    if (path / "__init__.py").is_file():
        root, parts = _package_root(path)
        return root, _walk_package(path, ".".join(parts))
    modules: list[str] = []
    for child in sorted(path.iterdir()):
        if child.name.startswith((".", "_")) or child.name in SKIP_DIRS or child.name in SKIP_FILES:
            continue
        if child.is_file() and child.suffix == ".py" and not child.name.startswith("test_"):
            modules.append(child.stem)
        elif child.is_dir() and (child / "__init__.py").is_file():
            modules += _walk_package(child, child.name)
    return path, modules


def _package_root(folder: Path) -> tuple[Path, list[str]]:
    parts: list[str] = []
    while (folder / "__init__.py").is_file():
        parts.insert(0, folder.name)
        folder = folder.parent
    return folder, parts


def _walk_package(folder: Path, dotted: str) -> list[str]:
    names = [dotted]
    for child in sorted(folder.iterdir()):
        if child.name.startswith(".") or child.name in SKIP_DIRS or child.name in SKIP_FILES:
            continue
        if child.is_file() and child.suffix == ".py" and child.name != "__init__.py" and not child.name.startswith("test_"):
            names.append(f"{dotted}.{child.stem}")
        elif child.is_dir() and (child / "__init__.py").is_file():
            names += _walk_package(child, f"{dotted}.{child.name}")
    return names


@contextmanager
def _on_sys_path(root: Path) -> Iterator[None]:
    text = str(root)
    added = text not in sys.path
    if added:
        sys.path.insert(0, text)
    try:
        yield
    finally:
        if added and text in sys.path:
            sys.path.remove(text)


_LOADED_ROOTS: set[str] = set()  # manifest roots loaded earlier in this process (tests, benchmarks)


def _forget_modules_under(root: Path, modules: list[str]) -> None:
    """Drop modules of this or an earlier manifest root, and any module named like one about to be
    imported, so declarations run again and a `project` module of another root is never reused."""
    _LOADED_ROOTS.add(str(root))
    prefixes = tuple(r + os.sep for r in _LOADED_ROOTS)
    tops = {m.split(".")[0] for m in modules}
    for name, module in list(sys.modules.items()):
        filename = getattr(module, "__file__", None) or ""
        if filename.startswith(prefixes) or name.split(".")[0] in tops:
            del sys.modules[name]


def import_manifests(root: Path, modules: list[str]) -> tuple[list[Project], list[ModuleType]]:
    """Import every module; return the projects declared (in order) and the modules."""
    loaded: list[ModuleType] = []
    errors: list[Diagnostic] = []
    _forget_modules_under(root, modules)
    with collect_projects() as found:
        for name in modules:
            try:
                loaded.append(import_user_module(name, what=f"manifest module `{name}`"))
            except FlowctlError as error:
                errors += error.diagnostics
    if errors:
        raise ManifestError(diagnostics=list(dict.fromkeys(errors)))  # one workflow reached twice: report once
    projects = list(found)
    for module in loaded:  # projects of modules imported before (cached) are found by name
        for value in vars(module).values():
            if isinstance(value, Project) and all(value is not p for p in projects):
                projects.append(value)
    return projects, loaded


# ---------------------------------------------------------------- compiling declarations
class _Builder:
    """Turns declared projects into registrations and activations, collecting problems."""

    def __init__(self, compile_entity: Compile, version: str | None) -> None:
        self.compile_entity = compile_entity
        self.version = version or ""
        self.errors: list[Diagnostic] = []
        self.registrations: dict[tuple[str, str, EntityKind, str, str], RegistrationSpec] = {}
        self.activations: dict[tuple[str, str, str], ActivationSpec] = {}
        self.declared: dict[tuple[str, ...], str] = {}
        self._compiled: dict[int, tuple[Any, Any]] = {}

    def compiled(self, obj: Any, source: str) -> Any | None:
        hit = self._compiled.get(id(obj))
        if hit is not None and hit[0] is obj:
            return hit[1]
        try:
            result = self.compile_entity(obj)
        except FlowctlError as error:
            self.errors += [d if d.source else Diagnostic(d.summary, d.detail, source, d.address, d.severity)
                            for d in error.diagnostics]
            result = None
        self._compiled[id(obj)] = (obj, result)
        return result

    def declare(self, key: tuple[str, ...], what: str, source: str) -> bool:
        first = self.declared.get(key)
        if first is not None:
            self.errors.append(Diagnostic(f"Duplicate declaration of {what}",
                                          f"It was already declared at {first}. Declare it once.", source=source))
            return False
        self.declared[key] = source
        return True

    def add(self, reg: RegistrationSpec, *, override: bool = False) -> None:
        key = (reg.project, reg.domain, reg.kind, reg.name, reg.version or f"<{reg.promoted_from}>")
        existing = self.registrations.get(key)
        if existing is None:
            self.errors += _limit_problems(reg)
        if existing is None or override:
            self.registrations[key] = reg
        elif (existing.spec is not None and reg.spec is not None and existing.spec is not reg.spec
              and existing.spec != reg.spec and existing.spec.digest() != reg.spec.digest()):
            self.errors.append(Diagnostic(
                f"Two different {reg.kind} definitions named `{reg.name}` in {reg.project}/{reg.domain}",
                f"Declared at {existing.source} and at {reg.source}. Names must be unique within a project.",
                source=reg.source))

    def domain(self, domain: Domain) -> None:
        workflow_versions: dict[str, str | Promotion] = {}
        for reg in domain.registrations:
            self.registration(domain, reg, workflow_versions)
        for decl in domain.launch_plans:
            self.launch_plan(domain, decl, workflow_versions)

    def registration(self, domain: Domain, reg: Registration, workflow_versions: dict[str, str | Promotion]) -> None:
        compiled = self.compiled(reg.obj, reg.source)
        if compiled is None:
            return
        kind = EntityKind(str(getattr(compiled.kind, "value", compiled.kind)))
        version = reg.version if reg.version is not None else self.version
        what = f"{kind} `{compiled.name}` in {domain.project.name}/{domain.name}"
        if not self.declare(("register", domain.project.name, domain.name, kind.value, compiled.name, str(version)),
                            what, reg.source):
            return
        if kind == EntityKind.WORKFLOW:
            if compiled.name in workflow_versions:
                self.errors.append(Diagnostic(f"Workflow `{compiled.name}` is registered twice in "
                                              f"{domain.project.name}/{domain.name}",
                                              "Register one version per domain: old versions stay in the registry.",
                                              source=reg.source))
                return
            workflow_versions[compiled.name] = version
        self.entity_closure(domain, compiled, version, reg.source, activate_default=kind == EntityKind.WORKFLOW)

    def entity_closure(self, domain: Domain, compiled: Any, version: str | Promotion, source: str,
                       *, activate_default: bool) -> None:
        project, name = domain.project.name, domain.name
        kind = EntityKind(str(getattr(compiled.kind, "value", compiled.kind)))
        if isinstance(version, Promotion):
            self.add(RegistrationSpec(project=project, domain=name, kind=kind, name=compiled.name,
                                      version=version.version, promoted_from=version.domain,
                                      gates=version.gates if version.gates.any else None, source=source))
            if activate_default:
                self.activate(ActivationSpec(project=project, domain=name, name=compiled.name, version=None,
                                             promoted_from=version.domain, source=source))
            return
        items: list[tuple[EntityKind, str, Any]] = [(kind, compiled.name, compiled.spec)]
        items += [(EntityKind.TASK, n, s) for n, s in compiled.tasks.items()]
        items += [(EntityKind.WORKFLOW, n, s) for n, s in compiled.workflows.items()]
        items += [(EntityKind.LAUNCH_PLAN, n, s) for n, s in compiled.launch_plans.items()]
        for item_kind, item_name, spec in items:
            self.add(RegistrationSpec(project=project, domain=name, kind=item_kind, name=item_name, version=version,
                                      spec=spec, source=source))
        if activate_default and compiled.name in compiled.launch_plans:
            self.activate(ActivationSpec(project=project, domain=name, name=compiled.name, version=version,
                                         source=source))

    def activate(self, act: ActivationSpec, *, override: bool = False) -> None:
        key = (act.project, act.domain, act.name)
        if key not in self.activations or override:
            self.activations[key] = act

    def launch_plan(self, domain: Domain, decl: LaunchPlanDeclaration,
                    workflow_versions: dict[str, str | Promotion]) -> None:
        compiled = self.compiled(decl.launch_plan, decl.source)
        if compiled is None:
            return
        spec = compiled.spec
        if not isinstance(spec, LaunchPlanSpec):
            self.errors.append(Diagnostic(f"`{compiled.name}` is not a launch plan",
                                          "Domain.launch_plan() takes a LaunchPlan; use register() for workflows "
                                          "and tasks.", source=decl.source))
            return
        project, name = domain.project.name, domain.name
        if not self.declare(("launch_plan", project, name, spec.name), f"launch plan `{spec.name}` in {project}/{name}",
                            decl.source):
            return
        version = workflow_versions.get(spec.workflow)
        if version is None:
            version = self.version
            workflow_versions[spec.workflow] = version
            for n, s in compiled.workflows.items():
                self.add(RegistrationSpec(project=project, domain=name, kind=EntityKind.WORKFLOW, name=n,
                                          version=version, spec=s, source=decl.source))
            for n, s in {**compiled.tasks}.items():
                self.add(RegistrationSpec(project=project, domain=name, kind=EntityKind.TASK, name=n, version=version,
                                          spec=s, source=decl.source))
            for n, s in compiled.launch_plans.items():
                if n != spec.name:
                    self.add(RegistrationSpec(project=project, domain=name, kind=EntityKind.LAUNCH_PLAN, name=n,
                                              version=version, spec=s, source=decl.source))
        overlaid = self.overlay(spec, decl, compiled.workflows.get(spec.workflow))
        promoted = version.domain if isinstance(version, Promotion) else None
        pinned = version.version if isinstance(version, Promotion) else version
        self.add(RegistrationSpec(project=project, domain=name, kind=EntityKind.LAUNCH_PLAN, name=spec.name,
                                  version=pinned, spec=overlaid, promoted_from=promoted, source=decl.source),
                 override=True)
        self.activate(ActivationSpec(project=project, domain=name, name=spec.name,
                                     version=None if promoted else pinned, active=decl.active,
                                     promoted_from=promoted, source=decl.source), override=True)

    def overlay(self, spec: LaunchPlanSpec, decl: LaunchPlanDeclaration, workflow: Any) -> LaunchPlanSpec:
        """The launch plan with this domain's default and fixed inputs, checked against the workflow."""
        if not decl.default_inputs and not decl.fixed_inputs:
            return spec
        inputs = {i.name: i for i in workflow.interface.inputs} if workflow is not None else None
        for label, values in (("default_inputs", decl.default_inputs), ("fixed_inputs", decl.fixed_inputs)):
            try:
                canonical_json(dict(values))
            except (TypeError, ValueError) as exc:
                self.errors.append(Diagnostic(f"{label} of launch plan `{spec.name}` are not JSON values",
                                              f"{exc}. Use numbers, strings, booleans, lists and dicts.",
                                              source=decl.source))
                return spec
            for key, value in values.items():
                self.check_input(spec, inputs, key, value, decl.source)
        fixed = {**spec.fixed_inputs, **decl.fixed_inputs}
        defaults = {k: v for k, v in {**spec.default_inputs, **decl.default_inputs}.items() if k not in fixed}
        return spec.model_copy(update={"default_inputs": defaults, "fixed_inputs": fixed})


    def check_input(self, spec: LaunchPlanSpec, inputs: dict[str, Any] | None, key: str, value: Any,
                    source: str) -> None:
        if inputs is None:
            return
        if key not in inputs:
            self.errors.append(Diagnostic(f"Launch plan `{spec.name}` has no input `{key}`",
                                          f"Workflow `{spec.workflow}` takes: {', '.join(sorted(inputs)) or '(none)'}.",
                                          source=source))
            return
        try:
            from flowctl.types import validate_json_against
        except ImportError:  # pragma: no cover - the type engine ships with the SDK
            return
        try:
            validate_json_against(inputs[key].type, value, where=f"input `{key}` of launch plan `{spec.name}`")
        except FlowctlError as error:
            self.errors += [Diagnostic(d.summary, d.detail, source) for d in error.diagnostics]


def _limit_problems(reg: RegistrationSpec) -> list[Diagnostic]:
    """The registry's and Kubernetes' limits on this registration, checked at plan time."""
    labels = getattr(reg.spec, "labels", None) or {}
    kind = EntityKind(reg.kind).value.replace("_", " ")
    return [Diagnostic(summary(p), p, reg.source, str(reg.address))
            for p in entity_problems(kind, reg.name, reg.version, labels)]


def _default_compile() -> Compile:
    from flowctl.sdk import compile_entity

    return compile_entity


def build_desired_state(
    projects: list[Project],
    *,
    manifest_id: str,
    version: VersionChoice,
    compile_entity: Compile | None = None,
) -> DesiredState:
    """Compile the declarations of ``projects`` (raises ManifestError/CompileError with every problem)."""
    errors = _duplicate_projects(projects)
    errors += [Diagnostic(summary(p), p, address=project.name)
               for project in projects for p in check_labels(project.spec().labels, f"project `{project.name}`")]
    compile_fn = compile_entity or _default_compile()
    stamp = version.version
    if stamp is None:  # content version: digest of everything compiled
        probe = _Builder(compile_fn, "content")
        _build(probe, projects)
        stamp = content_version([r.spec.digest() for r in probe.registrations.values() if r.spec is not None])
    builder = _Builder(compile_fn, stamp)
    settings = _build(builder, projects)
    errors += builder.errors
    if errors:
        raise ManifestError(diagnostics=list(dict.fromkeys(errors)))  # one workflow reached twice: report once
    return DesiredState(
        manifest_id=manifest_id,
        projects=tuple(p.spec() for p in projects),
        domain_settings=tuple(settings),
        registrations=tuple(builder.registrations.values()),
        activations=tuple(builder.activations.values()),
        version_source=version.source,
    )


def _build(builder: _Builder, projects: list[Project]) -> list[DomainSettingsSpec]:
    settings = []
    for project in projects:
        for domain in project.declared_domains:
            builder.domain(domain)
            try:
                settings.append(domain.settings_spec())
            except FlowctlError as error:
                builder.errors += error.diagnostics
    return settings


def _duplicate_projects(projects: list[Project]) -> list[Diagnostic]:
    seen: dict[str, Project] = {}
    errors = []
    for project in projects:
        first = seen.get(project.name)
        if first is not None and first is not project:
            errors.append(Diagnostic(f"Duplicate declaration of project `{project.name}`",
                                     f"It was already declared at {first.source}. Declare a project once and import "
                                     "it where you need it (`from mymodule import project`).", source=project.source))
        seen.setdefault(project.name, project)
    projects[:] = list({id(p): p for p in projects}.values())
    return errors


def manifest_id_for(root: Path) -> str:
    """``<repository folder>:<path of the root in it>`` (stable across checkouts), or the folder name."""
    top = git_toplevel(root)
    if top is None:
        return root.name
    rel = root.resolve().relative_to(top.resolve()).as_posix()
    return f"{top.name}:{rel}" if rel != "." else top.name


def load_manifest(
    path: Path,
    *,
    version: str | None = None,
    allow_dirty: bool = False,
    compile_entity: Compile | None = None,
    exclude: Sequence[Path] = (),
) -> LoadedManifest:
    """Load, collect, compile and version-stamp the manifests at ``path``.

    ``exclude``: files that never make the version dirty (the saved plan the command writes)."""
    root, modules = manifest_modules(path)
    with _on_sys_path(root):
        projects, loaded = import_manifests(root, modules)
        if not projects:
            raise _no_project(path, loaded)
        choice = choose_version(root, explicit=version, allow_dirty=allow_dirty, exclude=exclude)
        desired = build_desired_state(projects, manifest_id=manifest_id_for(root), version=choice,
                                      compile_entity=compile_entity)
    return LoadedManifest(root=root, desired=desired, projects=projects, version=choice,
                          modules=[m.__name__ for m in loaded])


def _no_project(path: Path, modules: list[ModuleType]) -> ManifestError:
    """No Project: name what the manifests define (nothing registers it) and how to declare one."""
    from flowctl.sdk._lookup import definitions_in

    found = [(kind.replace("_", " "), attr, where) for m in modules for kind, attr, where in definitions_in(m)]
    ranked = sorted(found, key=lambda f: ("workflow", "launch plan", "task").index(f[0]))
    shown = ranked[0][1] if found else "my_workflow"
    objects = "".join(f"\n  {kind} `{attr}` ({where})" for kind, attr, where in found)
    declare = (f"Declare one and register what should go to the registry, e.g.:\n"
               f"  from flowctl import Project\n  project = Project(\"my-project\")\n"
               f"  project.domain(\"development\").register({shown})")
    detail = (f"It defines these, but plan and apply only see what a Project registers:{objects}\n{declare}"
              if found else f"{declare}\nwhere `{shown}` is one of your @workflow functions.")
    return ManifestError(f"No Project is declared in {path}", detail=detail, source=str(path))
