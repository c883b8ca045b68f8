"""Human plan output in Terraform's spirit, rendered from the ``--json`` document.

A legend of the symbols used, one comment line per object, ``before -> after`` for changed
attributes, ``# (N unchanged attributes hidden)``, forecasts, compatibility findings, warnings and
the summary line. Returns text; the CLI decides where it goes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from flowctl.spec import Json, TypeSpec

INDENT = "  "


def render_plan_text(doc: dict[str, Any]) -> str:
    """The whole human plan for a document made by ``render_plan_json``."""
    lines: list[str] = []
    if doc["changes"]:
        registry = doc["registry"]
        lines.append(f"flowctl compared your manifests with the registry (serial {registry['serial']}).")
        lines.append("Actions are indicated with the following symbols:")
        lines += [f"  {item['symbol']} {item['meaning']}" for item in doc["legend"]]
        lines += ["", "flowctl will perform the following actions:", ""]
        for change in doc["changes"]:
            lines += render_change(change)
            lines.append("")
    lines += promotion_lines(doc.get("promotions") or ())
    lines += _forecast_lines(doc["schedule_forecasts"])
    lines += _compat_lines(doc["compatibility"])
    lines += _warning_lines(doc["warnings"], doc["targets"])
    lines.append(doc["summary"]["text"])
    return "\n".join(lines) + "\n"


def render_change(change: dict[str, Any]) -> list[str]:
    """The comment line and the block of one change."""
    symbol, kind, address = change["symbol"], change["object_type"], change["address"]
    lines = [f"{INDENT}# {comment_line(change)}", f"{INDENT}{symbol} {kind} \"{address}\" {{"]
    replaces = change.get("replaces")
    if replaces and replaces["aspects"]:
        lines += _version_change_lines(change, replaces)
    elif change["action"] == "register" and not change["attributes"]:
        rows = [(k, v) for k, v in _register_attributes(change)]
        width = max((len(k) for k, _ in rows), default=0)
        lines += [f"{INDENT * 3}+ {k:<{width}} = {_value(v)}" for k, v in rows]
    else:
        attrs = change["attributes"] or _pseudo_attributes(change)
        width = max((len(a["path"]) for a in attrs), default=0)
        for attr in attrs:
            mark = "+" if attr["before"] is None else "-" if attr["after"] is None else "~"
            if mark == "~":
                text = f"{_value(attr['before'], attr['path'])} -> {_value(attr['after'], attr['path'])}"
            else:
                text = _value(attr["after"] if mark == "+" else attr["before"], attr["path"])
            lines.append(f"{INDENT * 3}{mark} {attr['path']:<{width}} = {text}")
        if change["unchanged_attributes"]:
            hidden = change["unchanged_attributes"]
            lines.append(f"{INDENT * 4}# ({hidden} unchanged attribute{'s' if hidden != 1 else ''} hidden)")
    lines.append(f"{INDENT * 2}}}")
    return lines


def _version_change_lines(change: dict[str, Any], replaces: dict[str, Any]) -> list[str]:
    """The new digest, then each changed attribute against the replaced version (the interface as signatures)."""
    spec = (change.get("after") or {}).get("spec") or {}
    digest = _short_digest(str((change.get("after") or {}).get("digest", "")))
    rows: list[tuple[str, str, str]] = [("+", "digest", _value(digest))]
    if "interface" in replaces["aspects"]:
        old = signature(replaces.get("interface_before") or {})
        rows.append(("~", "interface", f"{_value(old)} -> {_value(signature(spec.get('interface') or {}))}"))
    for attr in replaces["attributes"]:
        if attr["path"].startswith("interface.") or attr["path"].startswith("interface["):
            continue
        mark = "+" if attr["before"] is None else "-" if attr["after"] is None else "~"
        text = (f"{_value(attr['before'], attr['path'])} -> {_value(attr['after'], attr['path'])}" if mark == "~"
                else _value(attr["after"] if mark == "+" else attr["before"], attr["path"]))
        rows.append((mark, attr["path"], text))
    width = max(len(path) for _, path, _ in rows)
    lines = [f"{INDENT * 3}{mark} {path:<{width}} = {text}" for mark, path, text in rows]
    if replaces["unchanged_attributes"]:
        hidden = replaces["unchanged_attributes"]
        lines.append(f"{INDENT * 4}# ({hidden} unchanged attribute{'s' if hidden != 1 else ''} hidden)")
    return lines


def comment_line(change: dict[str, Any]) -> str:
    address, action, reason = change["address"], change["action"], change["reason"]
    before, after = change.get("before") or {}, change.get("after") or {}
    if action == "register":
        if change["object_type"] == "project":
            return f"project {address} will be registered"
        if change["object_type"] == "domain_settings":
            return f"settings of {address} will be registered"
        return f"{address} will be registered ({change['note'] or 'new'}{_replaces_text(change.get('replaces'))})"
    if action == "supersede":
        old, new = before.get("active_version"), after.get("active_version")
        why = f", {change['note']}" if change["note"] else ""
        return f"{address} will be superseded: {new} becomes active, {old} is kept{why}"
    if action == "deactivate":
        why = "no longer in the manifest" if reason == "deactivate_because_not_in_manifest" else "marked inactive"
        return f"{address} will be deactivated ({why}; its schedule stops, versions are kept)"
    if change["object_type"] == "activation":
        why = f", {change['note']}" if change["note"] else ""
        return f"{address} will be activated at {after.get('active_version')}{why}"
    if change["object_type"] == "domain_settings":
        return f"settings of {address} will be changed in place"
    return f"{change['object_type'].replace('_', ' ')} {address} will be changed in place"


def _replaces_text(replaces: dict[str, Any] | None) -> str:
    """``, changes against v1: interface, code`` or ``, same content as v1``."""
    if not replaces:
        return ""
    if not replaces["aspects"]:
        return f", same content as {replaces['version']}"
    return f", changes against {replaces['version']}: {', '.join(replaces['aspects'])}"


def _pseudo_attributes(change: dict[str, Any]) -> list[dict[str, Json]]:
    before, after = change.get("before") or {}, change.get("after") or {}
    keys = sorted(set(before) | set(after))
    return [{"path": k, "before": before.get(k), "after": after.get(k)} for k in keys
            if before.get(k) != after.get(k)]


def _register_attributes(change: dict[str, Any]) -> list[tuple[str, Json]]:
    after = change.get("after") or {}
    kind = change["object_type"]
    if kind == "project":
        return [("description", after.get("description")), ("domains", after.get("domains")),
                ("labels", after.get("labels"))]
    spec = after.get("spec") or {}
    rows: list[tuple[str, Json]] = [("digest", _short_digest(str(after.get("digest", ""))))]
    if kind in ("task", "workflow"):
        rows.append(("interface", signature(spec.get("interface") or {})))
    if kind == "task" and spec.get("task_type", "python") != "python":
        rows.append(("task_type", spec["task_type"]))
        config = spec.get("config") or {}
        rows.extend((f"config.{key}", config[key]) for key in ("image", "command", "arguments") if config.get(key))
    if kind == "task" and spec.get("container_image"):
        rows.append(("container_image", spec["container_image"]))
    if kind == "task" and spec.get("image_spec"):  # flowctl names the image; building it is left to CI
        image = spec["image_spec"]
        rows.append(("image_spec", {k: image[k] for k in ("name", "registry", "base_image", "packages") if k in image}))
    if kind == "task" and spec.get("interruptible"):
        rows.append(("interruptible", True))
    if kind == "workflow":
        rows.append(("nodes", len(spec.get("nodes") or ())))
    if kind == "launch_plan":
        rows.append(("workflow", spec.get("workflow")))
        for key in ("default_inputs", "fixed_inputs"):
            if spec.get(key):
                rows.append((key, spec[key]))
        if spec.get("schedule"):
            from flowctl.plans._forecast import describe_schedule

            rows.append(("schedule", describe_schedule(spec["schedule"])))
    return rows


def signature(interface: dict[str, Any]) -> str:
    """``(values: list[float], n: int = ...) -> (o0: float)``."""
    ins = []
    for item in interface.get("inputs") or ():
        text = f"{item['name']}: {TypeSpec.model_validate(item['type'])}"
        ins.append(text + (" = ..." if item.get("has_default") else ""))
    outs = [f"{o['name']}: {TypeSpec.model_validate(o['type'])}" for o in interface.get("outputs") or ()]
    return f"({', '.join(ins)}) -> ({', '.join(outs)})"


def _short_digest(digest: str) -> str:
    algo, _, hexpart = digest.partition(":")
    return f"{algo}:{hexpart[:12]}" if hexpart else digest


def _value(value: Json, path: str = "") -> str:
    if path == "schedule" and isinstance(value, dict):
        from flowctl.plans._forecast import describe_schedule

        return describe_schedule(value)
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def promotion_lines(steps: Iterable[dict[str, Any]]) -> list[str]:
    """The promotions a reader needs to see: what moves (and its gates), what is held, what follows next."""
    lines = []
    for step in steps:
        lines += _step_lines(step)
    return ["Promotions (one step along the chain per apply):", *lines, ""] if lines else []


def _step_lines(step: dict[str, Any]) -> list[str]:
    where = f"{step['project']}/{step['domain']} <- {step['source']}"
    lines = []
    if step["state"] == "moves":
        lines.append(f"{INDENT}{where}: {step['workflow']} {step['current'] or '(none)'} -> {step['version']}")
    elif step["state"] == "held":
        lines.append(f"{INDENT}{where}: {step['workflow']} held at {step['current'] or '(nothing yet)'}; "
                     f"{step['candidate']} waits for its gates")
    for gate in step["gates"]:
        mark = "met    " if gate["met"] else "not met"
        lines.append(f"{INDENT * 3}{mark} {gate['gate']}: {gate['actual']} (needs {gate['required']})")
        if not gate["met"] and gate["fix"]:
            lines.append(f"{INDENT * 3}        to meet it: {gate['fix']}")
    if step["next_version"]:
        lines.append(f"{INDENT}{step['project']}/{step['domain']} will follow {step['source']}'s new version "
                     f"{step['next_version']} of {step['workflow']} on the next apply or "
                     f"`flowctl promote {step['project']} {step['source']} {step['domain']}`.")
    return lines


def _forecast_lines(forecasts: list[dict[str, Any]]) -> list[str]:
    if not forecasts:
        return []
    lines = ["Schedule forecasts (next fire times):"]
    for item in forecasts:
        lines.append(f"{INDENT}{item['address']}: {item['description']}")
        for fire in item["fire_times"]:
            lines.append(f"{INDENT * 2}{fire['local']} {item['timezone']}  =  {fire['utc']} UTC")
        lines += [f"{INDENT * 2}note: {note}" for note in item["notes"]]
    return [*lines, ""]


def _compat_lines(findings: list[dict[str, Any]]) -> list[str]:
    if not findings:
        return []
    lines = ["Interface compatibility:"]
    for item in findings:
        tag = "BREAKING" if item["breaking"] else "safe"
        lines.append(f"{INDENT}{tag:<8} {item['address']} {item['from_version']} -> {item['to_version']}: {item['detail']}")
    return [*lines, ""]


def _warning_lines(warnings: list[dict[str, Any]], targets: list[str]) -> list[str]:
    lines: list[str] = []
    if targets:
        lines.append(f"Warning: the plan is limited to {', '.join(targets)} (--target); other changes are not shown "
                     "and the registry may not match your manifests afterwards.")
    for item in warnings:
        where = ", ".join(p for p in (item.get("source"), item.get("address")) if p)
        lines.append(f"Warning: {item['summary']}" + (f" ({where})" if where else ""))
        if item.get("detail"):
            lines.append(f"{INDENT}{item['detail']}")
    return [*lines, ""] if lines else []
