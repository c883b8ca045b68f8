"""Pod admission as kube-apiserver does it, for the double's Job controller: the LimitRanger
(container defaults) and ResourceQuota admission, with the real server's refusal messages.

Only what flowctl depends on: ``Container`` LimitRange items (``default``, ``defaultRequest``)
and quotas on ``requests.*``, ``limits.*``, ``cpu``, ``memory`` and ``pods`` counted over the
namespace's pods that have not finished.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any


def apply_limit_ranges(spec: dict[str, Any], limit_ranges: list[dict[str, Any]]) -> None:
    """Fill each container's missing limits/requests from the namespace's LimitRanges (in place).

    As the API server does, a container with a limit but no request gets the limit as request."""
    for container in [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]:
        resources = container.setdefault("resources", {})
        limits, requests = resources.setdefault("limits", {}), resources.setdefault("requests", {})
        for name, value in limits.items():
            requests.setdefault(name, value)
        for item in (i for lr in limit_ranges for i in (lr.get("spec") or {}).get("limits") or []):
            if item.get("type") != "Container":
                continue
            for name, value in (item.get("default") or {}).items():
                limits.setdefault(name, value)
            for name, value in (item.get("defaultRequest") or {}).items():
                requests.setdefault(name, value)
        for key in ("limits", "requests"):
            if not resources[key]:
                del resources[key]


def quota_refusal(pod_name: str, spec: dict[str, Any], quotas: list[dict[str, Any]],
                  running: list[dict[str, Any]]) -> str | None:
    """Why ResourceQuota admission refuses the pod (the server's message), or None."""
    for quota in quotas:
        hard: dict[str, str] = (quota.get("spec") or {}).get("hard") or {}
        name = quota["metadata"]["name"]
        missing = _missing(spec, hard)
        if missing:
            return f'pods "{pod_name}" is forbidden: failed quota: {name}: must specify {missing}'
        wanted = _usage([spec])
        used = _usage([p.get("spec") or {} for p in running])
        over = [key for key in sorted(hard) if key in wanted and used.get(key, Decimal(0)) + wanted[key] > quantity(hard[key])]
        if over:
            requested = ",".join(f"{k}={_text(wanted[k])}" for k in over)
            in_use = ",".join(f"{k}={_text(used.get(k, Decimal(0)))}" for k in over)
            limited = ",".join(f"{k}={hard[k]}" for k in over)
            return (f'pods "{pod_name}" is forbidden: exceeded quota: {name}, requested: {requested}, '
                    f"used: {in_use}, limited: {limited}")
    return None


def _key(name: str) -> tuple[str, str] | None:
    """A quota key as (side, resource): ``cpu`` and ``requests.cpu`` are the same thing."""
    if name in ("cpu", "memory", "ephemeral-storage"):
        return "requests", name
    side, _, resource = name.partition(".")
    return (side, resource) if side in ("requests", "limits") and resource else None


def _missing(spec: dict[str, Any], hard: dict[str, str]) -> str:
    problems = []
    containers = spec.get("containers") or []
    for quota_key in sorted(hard):
        key = _key(quota_key)
        if key is None:
            continue
        side, resource = key
        lacking = [c["name"] for c in containers if resource not in ((c.get("resources") or {}).get(side) or {})]
        if lacking:
            problems.append(f"{quota_key} for: {','.join(lacking)}")
    return "; ".join(problems)


def _usage(specs: list[dict[str, Any]]) -> dict[str, Decimal]:
    total: dict[str, Decimal] = {"pods": Decimal(len(specs))}
    for spec in specs:
        for container in spec.get("containers") or []:
            for side in ("requests", "limits"):
                for resource, value in ((container.get("resources") or {}).get(side) or {}).items():
                    for key in {f"{side}.{resource}", *([resource] if side == "requests" else [])}:
                        total[key] = total.get(key, Decimal(0)) + quantity(value)
    return total


def quantity(text: Any) -> Decimal:
    from kubernetes import utils

    parse: Any = utils.parse_quantity  # untyped
    return Decimal(parse(str(text)))


def _text(value: Decimal) -> str:
    return format(value.normalize(), "f") if value == value.to_integral() else f"{int(value * 1000)}m"
