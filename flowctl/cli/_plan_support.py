"""Shared by ``flowctl plan``, ``apply`` and ``promote``: load, plan, show, confirm, apply.

Imported inside the command functions only (it pulls in plans, state and the manifest loader).
Results go to stdout; progress, hints and diagnostics to stderr.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import typer

from flowctl._address import Address
from flowctl._config import Config
from flowctl._errors import InputError, ManifestError, NoRegistryError
from flowctl._redact import mask_url
from flowctl.plans import (
    EXIT_GATE,
    ApplyIdentity,
    ApplyResult,
    Plan,
    PlanMode,
    PromotionGateError,
    apply_plan,
    compute_plan,
    render_plan_json,
    render_plan_markdown,
    render_plan_text,
)
from flowctl.plans._cluster import (
    ClusterPlan,
    cluster_summary,
    render_cluster_json,
    render_cluster_markdown,
    render_cluster_text,
)
from flowctl.spec import DesiredState
from flowctl.state import Store
from flowctl.state._empty import EmptyRegistry
from flowctl.state._interface import PlanSource

EXIT_OK, EXIT_ERROR, EXIT_CHANGES, EXIT_BREAKING = 0, 1, 2, 3
OUTPUTS = ("text", "json", "markdown")


def err(message: str) -> None:
    sys.stderr.write(message + "\n")


def config_for(registry: str | None, manifest: Path | None = None) -> Config:
    """The settings of a plan, apply, promote or drift command (see ``flowctl._config``)."""
    return Config(flags={"registry.url": registry}, manifest=manifest)


def open_registry(config: Config, *, create: bool = False) -> Store:
    """The registry (or the server's); only apply passes ``create`` (plan, promote and the rest never
    create or migrate)."""
    from flowctl.cli._stores import open_registry as open_store

    return open_store(config, create=create)


def open_for_plan(config: Config) -> PlanSource:
    """The registry to plan against, read without SQLAlchemy where it can be (``cli/_stores``); where none
    exists yet, an empty one (plan never creates it)."""
    from flowctl.cli._stores import open_plan_source

    try:
        return open_plan_source(config)
    except NoRegistryError:
        from flowctl.state._open import sqlite_path

        url = config.registry_url
        err(f"Note: there is no registry at {sqlite_path(url) or mask_url(url)} yet: planning against an empty "
            "registry (`flowctl apply` creates it).")
        return EmptyRegistry()


def report_lock_holders(store: PlanSource) -> None:
    """Before planning: say who holds the registry lock, since an apply now would wait for it or fail."""
    from flowctl.state._lock_messages import format_age

    now = datetime.now(UTC)
    for lock in store.list_locks():
        if (now - lock.heartbeat_at).total_seconds() <= lock.ttl_seconds:
            err(f"Note: the registry is locked by {lock.holder} ({lock.operation}, "
                f"{format_age((now - lock.created_at).total_seconds())} ago): `flowctl apply` would wait for it "
                "(--lock-timeout) or fail; `flowctl lock list` shows the lock.")


def planning_lock(store: Store, operation: str, lock_timeout: float) -> AbstractContextManager[object]:
    """The registry lock for a run that plans and then writes (apply, destroy, promote), taken before it
    plans: a run that cannot get it fails naming the holder, before anything is computed or printed.
    Pass ``locked=True`` to :func:`run_apply` inside it."""
    from flowctl.state import LockInfo

    return store.lock(LockInfo(operation=operation, holder=identity().holder, info="planning"), timeout=lock_timeout)


def parse_targets(targets: list[str] | None) -> list[Address]:
    return [Address.parse(t) for t in targets or ()]


def check_output(output: str, json_flag: bool) -> str:
    if json_flag:
        return "json"
    if output not in OUTPUTS:
        raise InputError(f"Unknown output format `{output}`", detail=f"Use one of: {', '.join(OUTPUTS)}.")
    return output


@dataclass
class Planned:
    plan: Plan
    manifest_root: Path | None
    desired: DesiredState | None = None


def plan_from_manifests(
    path: Path | None,
    store: PlanSource,
    *,
    version: str | None,
    allow_dirty: bool,
    targets: list[Address],
    exclude: Sequence[Path] = (),
    destroy: bool = False,
) -> Planned:
    """Load the manifests at ``path`` (default: the current folder) and plan against ``store``.

    ``exclude``: files the command was given or writes (a saved plan); they never make the manifest
    version dirty. ``destroy``: plan the removal of what the manifests declare (:func:`destroy_state`)."""
    import gc

    from flowctl._manifest import load_manifest

    # Loading and planning allocate many small objects and free few: the cyclic GC only costs time here
    # (a third of a 10,000-workflow plan). The process is short-lived; collection resumes afterwards.
    # Re-enabling it would make the next allocation collect the whole young heap (~0.3 s per 1,000
    # workflows), so what exists then is frozen (left out of collections) and handed back to the
    # collector at the start of the next call (for processes that plan many times, e.g. tests).
    gc.unfreeze()
    gc.disable()
    try:
        loaded = load_manifest(path or Path.cwd(), version=version, allow_dirty=allow_dirty, exclude=exclude)
        from flowctl.cli._warnings import show_declaration_warnings

        show_declaration_warnings()
        snapshot = store.snapshot()
        desired = destroy_state(loaded.desired) if destroy else loaded.desired
        plan = compute_plan(desired, snapshot, now=datetime.now(UTC), mode=PlanMode.NORMAL, targets=targets)
    finally:
        gc.freeze()
        gc.enable()
    return Planned(plan, loaded.root, desired)


def destroy_state(desired: DesiredState) -> DesiredState:
    """What is left when a manifest set is destroyed: its projects and domain settings, nothing active.

    Registered versions are immutable and stay (executions refer to them); every launch plan the
    manifests activated is deactivated, so its schedule stops."""
    return desired.model_copy(update={"registrations": (), "activations": ()})


def with_desired_state(planned: Planned) -> Plan:
    """The plan carrying its desired state (for plan files and the apply history; costly, so only then)."""
    if planned.desired is None or planned.plan.desired_state:
        return planned.plan
    return planned.plan.model_copy(update={"desired_state": planned.desired.to_json()})


def plan_document(plan: Plan, cluster: ClusterPlan | None = None) -> dict[str, Any]:
    """The JSON plan document; with the kubernetes provider it also has ``cluster_changes``."""
    doc = render_plan_json(plan)
    if cluster is not None:
        doc["cluster_changes"] = render_cluster_json(cluster)
    return doc


def render(plan: Plan, output: str, cluster: ClusterPlan | None = None) -> str:
    doc = plan_document(plan, cluster)
    if output == "json":
        return json.dumps(doc, indent=2, sort_keys=False) + "\n"
    if output == "markdown":
        text = render_plan_markdown(doc)
        if cluster is None:
            return text
        items = doc["cluster_changes"]
        head, _, rest = text.partition("\n\n")  # after the "### flowctl plan" heading
        summary, _, body = rest.partition("\n\n")
        summary = summary.rstrip("\n")
        section = "\n".join(render_cluster_markdown(items))
        return "\n\n".join(p for p in (head, f"{summary}\n\n**{cluster_summary(items)}**", section.rstrip("\n"),
                                         body.rstrip("\n")) if p) + "\n"
    text = render_plan_text(doc)
    if cluster is None:
        return text
    items = doc["cluster_changes"]
    body, _, last = text.rstrip("\n").rpartition("\n")
    lines = [body] if body else []
    return "\n".join([*lines, *render_cluster_text(items), last, cluster_summary(items)]) + "\n"


def echo_plan(plan: Plan, output: str, cluster: ClusterPlan | None = None, *, no_color: bool) -> None:
    """Print the plan to stdout; text is coloured on a terminal (``flowctl.cli._colour``)."""
    from flowctl.cli._colour import echo_text

    text = render(plan, output, cluster)
    if output == "text":
        echo_text(text, no_color=no_color)
    else:
        typer.echo(text, nl=False)


def has_changes(plan: Plan, cluster: ClusterPlan | None) -> bool:
    return plan.has_changes or (cluster is not None and cluster.has_changes)


def breaking_message(plan: Plan) -> str:
    lines = [f"Error: {len(plan.breaking)} breaking interface change(s) in this plan"]
    lines += [f"  {f.address} {f.from_version} -> {f.to_version}: {f.detail}" for f in plan.breaking]
    lines.append("  Callers and schedules of the old version may fail. Make the change compatible (give new inputs "
                 "a default, keep removed ones), or pass --allow-breaking to accept it.")
    return "\n".join(lines)


def confirm(auto_approve: bool, question: str = "Do you want to perform these actions?") -> None:
    """Ask for ``yes`` on a terminal; refuse (exit 1) without a terminal unless ``--auto-approve``."""
    if auto_approve:
        return
    if not sys.stdin.isatty():
        raise InputError(
            "Apply needs approval, but stdin is not a terminal",
            detail="Pass --auto-approve to apply without asking (for CI), or run the command in a terminal.")
    err(f"\n{question}\n  flowctl will perform the actions described above.\n  Only 'yes' will be accepted to approve.\n")
    sys.stderr.write("  Enter a value: ")
    sys.stderr.flush()
    answer = sys.stdin.readline().strip()
    if answer != "yes":
        err("\nApply cancelled.")
        raise SystemExit(EXIT_ERROR)


def identity() -> ApplyIdentity:
    from flowctl.state import ci_run_url, holder
    from flowctl.state._actor import current_host, current_user

    return ApplyIdentity(user=current_user(), host=current_host(), holder=holder(), ci_run_url=ci_run_url())


def bundle_factory(config: Config, manifest_root: Path | None, exclude: Sequence[Path] = (),
                   store: object = None) -> Any:
    """A callable making the code bundle once, when apply registers something built from code.

    Through the server (``store`` has ``upload_bundle``) the server stores it in its blob store."""

    def make() -> str | None:
        if manifest_root is None:
            return None
        try:
            from flowctl._bundle import create_bundle
        except ImportError:  # the executions layer is not installed: versions are registered without code
            return None
        if not manifest_root.is_dir():
            raise ManifestError(f"The manifest folder {manifest_root} of this plan does not exist here",
                                detail="Apply a saved plan from the checkout it was made in.")
        upload = getattr(store, "upload_bundle", None)
        if upload is not None:
            from flowctl._bundle import bundle_data

            return str(upload(bundle_data(manifest_root, exclude)))
        return create_bundle(manifest_root, config.blob_store_url, exclude)

    return make


def remember_outputs(files: Sequence[Path | None], within: Path | None) -> None:
    """Record the files this command wrote or was given (and its redirected output) as flowctl's
    own, so they never make the manifest version dirty (``flowctl._sources``)."""
    from flowctl._sources import record_outputs

    record_outputs([f for f in files if f is not None], within=within)


def run_apply(plan: Plan, store: Store, config: Config, manifest_root: Path | None, *, lock_timeout: float,
              json_lines: bool, operation: str = "apply", exclude: Sequence[Path] = (),
              locked: bool = False) -> ApplyResult:
    def on_event(event: dict[str, Any]) -> None:
        if json_lines:
            sys.stdout.write(json.dumps(event) + "\n")
            sys.stdout.flush()
        elif event["type"] == "apply_phase_start":
            what = "registering versions" if event["phase"] == 1 else "activating launch plans and settings"
            err(f"Phase {event['phase']}: {what} ({event['changes']} change(s))...")
        elif event["type"] == "apply_progress":
            err(f"  {event['action']}: {event['address']}")

    if json_lines:
        on_event({"type": "apply_start", "changes": len(plan.visible_changes)})
    try:
        result = apply_plan(plan, store, identity=identity(), now=datetime.now(UTC), lock_timeout=lock_timeout,
                            bundle=bundle_factory(config, manifest_root, exclude, store), operation=operation,
                            on_event=on_event, locked=locked)
    except PromotionGateError as error:  # nothing was written: its own exit code, as `flowctl promote`'s
        err(error.render())
        raise SystemExit(EXIT_GATE) from None
    if json_lines:
        on_event({"type": "apply_complete", "summary": result.summary(), "changes": len(result.done)})
    else:
        typer.echo(result.summary())
    return result


def run_cluster_apply(cluster: ClusterPlan, config: Config, *, json_lines: bool) -> None:
    """Create or patch the plan's Kubernetes objects (after the registry phases succeeded)."""
    from flowctl.cli._cluster_support import apply_cluster

    def on_event(event: dict[str, Any]) -> None:
        if json_lines:
            sys.stdout.write(json.dumps(event) + "\n")
            sys.stdout.flush()
        elif event["type"] == "cluster_apply_start":
            err(f"Kubernetes: creating or updating objects ({event['changes']} change(s))...")
        elif event["type"] == "cluster_apply_progress":
            err(f"  {event['action']}: {event['address']}")

    lines = apply_cluster(cluster, config, on_event=on_event)
    created = sum(1 for line in lines if line.startswith("created"))
    summary = f"Kubernetes apply complete! Objects: {created} created, {len(lines) - created} updated."
    if json_lines:
        on_event({"type": "cluster_apply_complete", "summary": summary, "changes": len(lines)})
    else:
        typer.echo(summary)
