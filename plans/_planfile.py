"""Saved plans (``flowctl plan --out FILE``) and the stale check before applying one.

A plan file is JSON: ``planfile_version``, the plan (with the registry lineage and serial it was
computed from, and the desired state) and the manifest root (for the code bundle). Writing goes
through a temporary file and a rename, so a plan file is never half written.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from flowctl._errors import ApplyError, Diagnostic
from flowctl._outfile import write_output_file
from flowctl.plans._cluster import ClusterPlan
from flowctl.plans._model import Change, ObjectType, Plan
from flowctl.state._interface import ApplyRecord, RegistrySnapshot

PLANFILE_VERSION = 1
MAGIC = "flowctl-plan"


@dataclass(frozen=True)
class SavedPlan:
    plan: Plan
    manifest_root: str | None
    cluster: ClusterPlan | None = None  # the Kubernetes objects (provider kubernetes), applied after the registry


def save_plan(plan: Plan, path: Path, *, manifest_root: Path | None, cluster: ClusterPlan | None = None) -> None:
    document = {"kind": MAGIC, "planfile_version": PLANFILE_VERSION,
                "manifest_root": str(manifest_root) if manifest_root else None,
                "plan": plan.model_dump(mode="json")}
    if cluster is not None:
        document["cluster_plan"] = cluster.model_dump(mode="json")
    write_output_file(path, json.dumps(document, separators=(",", ":")), what="the plan", private=True)


def is_plan_file(path: Path) -> bool:
    if not path.is_file() or path.suffix == ".py":
        return False
    with path.open("rb") as handle:
        head = handle.read(64)
    return head.lstrip().startswith(b"{") and MAGIC.encode() in head


def load_plan(path: Path) -> SavedPlan:
    try:
        document = json.loads(path.read_text())
    except (OSError, ValueError, RecursionError) as exc:  # RecursionError: a crafted, deeply nested file
        raise ApplyError(f"Cannot read the plan file {path}", detail=str(exc)) from None
    if not isinstance(document, dict) or document.get("kind") != MAGIC:
        raise ApplyError(f"{path} is not a flowctl plan file", detail="Make one with `flowctl plan --out FILE`.")
    if document.get("planfile_version") != PLANFILE_VERSION:
        raise ApplyError(f"Plan file {path} has format {document.get('planfile_version')}, this flowctl reads "
                         f"{PLANFILE_VERSION}", detail="Run `flowctl plan --out FILE` again with this flowctl.")
    cluster = document.get("cluster_plan")
    try:
        return SavedPlan(Plan.model_validate(document.get("plan")), document.get("manifest_root"),
                         ClusterPlan.model_validate(cluster) if cluster is not None else None)
    except ValidationError as exc:  # edited or truncated by hand
        first = exc.errors(include_url=False)[0]
        raise ApplyError(f"Plan file {path} is damaged: {exc.error_count()} problem(s)",
                         detail=f"First: {'.'.join(map(str, first['loc']))}: {first['msg']}. "
                         "Make a new one with `flowctl plan --out FILE`.") from None


def check_fresh(plan: Plan, snapshot: RegistrySnapshot, history: Sequence[ApplyRecord] = ()) -> None:
    """Refuse a plan made against another registry or an older serial, naming what moved.

    A plan made where no registry existed yet (no lineage, serial 0) applies to a registry nothing was
    applied to, and is stale once something was."""
    if plan.lineage and snapshot.lineage != plan.lineage:
        raise ApplyError(
            "Saved plan is for another registry",
            detail=f"The plan was made against registry lineage {plan.lineage}; this registry is "
            f"{snapshot.lineage}. Check --registry / FLOWCTL_REGISTRY, or run `flowctl plan` again.")
    if snapshot.serial == plan.base_serial:
        return
    moved = [line for change in plan.visible_changes if (line := _moved(change, snapshot))]
    applies = [f"serial {r.serial}: {r.operation} by {r.user}@{r.host} at {r.applied_at:%Y-%m-%d %H:%M:%S} "
               f"({r.summary})" for r in history if r.serial > plan.base_serial]
    detail = [f"The registry changed after this plan was made (serial {plan.base_serial} -> {snapshot.serial})."]
    if applies:
        detail += [f"Writes since then ({len(applies)}):", *(f"  {a}" for a in applies)]
    if moved:  # every one: the user has to re-check each of them
        detail += [f"Objects in this plan that moved ({len(moved)}):", *(f"  {m}" for m in moved)]
    detail.append("Run `flowctl plan` again and apply the new plan.")
    raise ApplyError(diagnostics=[Diagnostic(
        f"Plan is stale: the registry changed after this plan was made (serial {plan.base_serial} -> "
        f"{snapshot.serial})", "\n".join(detail))])


def _moved(change: Change, snapshot: RegistrySnapshot) -> str | None:
    """A line when the registry no longer matches the plan's ``before`` for this change."""
    parts = change.address.split("/")
    if change.object_type is ObjectType.ACTIVATION:
        record = snapshot.active_launch_plans.get((parts[0], parts[1], parts[3]))
        now = record.version if record else None
        was = (change.before or {}).get("active_version")
        return None if now == was else f"{change.address}: active version was {was}, is now {now}"
    if change.object_type.is_entity:
        from flowctl._address import Address

        address = Address.parse(change.address)
        key = (address.kind, address.project, address.domain, address.name, address.version)
        stored = snapshot.entities.get(key)  # type: ignore[arg-type]
        return None if stored is None else f"{change.address}: registered since the plan was made"
    if change.object_type is ObjectType.PROJECT:
        exists = change.address in snapshot.projects
        return f"project {change.address}: registered since the plan was made" if exists and not change.before else None
    return None
