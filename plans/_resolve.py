"""Resolve a DesiredState into concrete versioned entities and activations (pure).

Registrations with a spec are taken as they are. ``promoted_from`` registrations take the
version the source domain runs in the registry the plan is made from, with the exact specs and
digests stored there, never rebuilt and never a version this plan creates (``_promotion``: one
step along the chain per apply, behind the declared gates). Domains are resolved in promotion
order (staging before production), so a plan can say which targets follow on the next apply; a
cycle is an error.
"""

from __future__ import annotations

from datetime import datetime

from flowctl._address import EntityKind
from flowctl._errors import Diagnostic
from flowctl.plans._promotion import resolve_promoted_launch_plan, resolve_promoted_workflow
from flowctl.plans._resolved import Activation, DigestCache, DomainKey, Entity, Resolution, SnapshotIndex
from flowctl.spec import ActivationSpec, DesiredState, RegistrationSpec

__all__ = ["Activation", "Entity", "Resolution", "SnapshotIndex", "resolve"]


def resolve(desired: DesiredState, index: SnapshotIndex, *, now: datetime) -> Resolution:
    res = Resolution()
    cache = res.digests
    for reg in desired.registrations:
        if reg.spec is not None and reg.version is not None and reg.promoted_from is None:
            stored = index.snapshot.entities.get((reg.kind, reg.project, reg.domain, reg.name, reg.version))
            payload, digest = cache.of(reg.spec, stored)
            res.add(Entity(reg.kind, reg.project, reg.domain, reg.name, reg.version, payload, digest, reg.source))
        elif reg.promoted_from is None:
            res.errors.append(Diagnostic(
                f"Registration of {reg.kind} `{reg.name}` has neither a spec nor promoted_from",
                "This is a manifest loader bug: every registration needs a spec and a version, or promoted_from.",
                source=reg.source))
    promoted = [r for r in desired.registrations if r.promoted_from is not None]
    by_domain: dict[DomainKey, list[RegistrationSpec]] = {}
    for reg in promoted:
        by_domain.setdefault((reg.project, reg.domain), []).append(reg)
    acts_by_domain: dict[DomainKey, list[ActivationSpec]] = {}
    for act in desired.activations:
        acts_by_domain.setdefault((act.project, act.domain), []).append(act)
    order = _domain_order(desired, res)
    for key in order:
        for reg in sorted(by_domain.get(key, ()), key=lambda r: r.kind != EntityKind.WORKFLOW):
            _resolve_promoted(res, reg, index, desired, cache, now)
        for act in acts_by_domain.get(key, ()):
            _resolve_activation(res, act)
    return res


def _resolve_promoted(res: Resolution, reg: RegistrationSpec, index: SnapshotIndex, desired: DesiredState,
                      cache: DigestCache, now: datetime) -> None:
    if reg.kind == EntityKind.LAUNCH_PLAN:
        resolve_promoted_launch_plan(res, reg, index, cache)
    elif reg.kind == EntityKind.WORKFLOW:
        resolve_promoted_workflow(res, reg, index, desired, now)
    else:
        res.errors.append(Diagnostic(f"Cannot promote {reg.kind} `{reg.name}` on its own",
                                     "Promote the workflow that uses it; its tasks come along at the same version.",
                                     source=reg.source, address=f"{reg.project}/{reg.domain}/{reg.kind}/{reg.name}"))


def _domain_order(desired: DesiredState, res: Resolution) -> list[DomainKey]:
    edges: dict[DomainKey, set[DomainKey]] = {}
    items: list[RegistrationSpec | ActivationSpec] = [*desired.registrations, *desired.activations]
    for item in items:
        node = (item.project, item.domain)
        edges.setdefault(node, set())
        if item.promoted_from:
            edges[node].add((item.project, item.promoted_from))
            edges.setdefault((item.project, item.promoted_from), set())
    order: list[DomainKey] = []
    state: dict[DomainKey, int] = {}

    def visit(node: DomainKey, trail: list[DomainKey]) -> None:
        if state.get(node) == 2:
            return
        if state.get(node) == 1:
            cycle = " -> ".join(f"{p}/{d}" for p, d in [*trail[trail.index(node):], node])
            res.errors.append(Diagnostic("Promotion cycle between domains", f"{cycle}: each domain is promoted "
                                         "from the next. Make one of them register code instead of promoting."))
            return
        state[node] = 1
        for dep in sorted(edges[node]):
            visit(dep, [*trail, node])
        state[node] = 2
        order.append(node)

    for node in sorted(edges):
        visit(node, [])
    return order


def _resolve_activation(res: Resolution, act: ActivationSpec) -> None:
    key = (act.project, act.domain, act.name)
    if not act.active:
        res.activations[key] = Activation(act.project, act.domain, act.name, None, act.source, act.promoted_from)
        return
    version = act.version
    if version is None:
        versions = sorted(res.versions.get((EntityKind.LAUNCH_PLAN, *key), ()))
        if not versions:
            return  # the promotion it follows was skipped or failed
        version = versions[-1]
    previous = res.activations.get(key)
    if previous is not None and previous.version != version:
        res.errors.append(Diagnostic(
            f"Launch plan `{act.name}` is activated twice in {act.project}/{act.domain}",
            f"Versions {previous.version} ({previous.source or '?'}) and {version} ({act.source or '?'}); "
            "at most one version of a launch plan can be active. Keep one of the declarations.",
            source=act.source))
        return
    res.activations[key] = Activation(act.project, act.domain, act.name, version, act.source, act.promoted_from)
