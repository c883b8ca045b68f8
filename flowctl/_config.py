"""Configuration: one place, read in order flag > environment > flowctl.toml / [tool.flowctl] > default.

Every command builds its settings with ``Config(flags=..., manifest=PATH)``, so every command finds
the same file and resolves relative paths against the same folder:

* the settings file is the nearest ``flowctl.toml`` (or ``pyproject.toml`` with ``[tool.flowctl]``)
  from the manifest path given to the command upwards, else from the current folder upwards;
* relative paths (the SQLite registry, the blob store, the cache, ``manifests.path``) are taken
  from the folder of that file, else from the current folder.

Every setting remembers where its value came from, for ``flowctl config show``. A key of the file
that is no setting is reported once per file on stderr, with the nearest valid name.
"""

from __future__ import annotations

import difflib
import os
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flowctl._errors import ManifestError


@dataclass(frozen=True)
class Setting:
    key: str  # dotted file key, e.g. "registry.url"
    env: str | None
    default: str | None
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("server", "FLOWCTL_SERVER", None,
            "flowctl server URL: commands use its API (with FLOWCTL_TOKEN) instead of the registry database"),
    Setting("registry.url", "FLOWCTL_REGISTRY", "sqlite:///.flowctl/registry.db", "registry database URL"),
    Setting("blob_store.url", "FLOWCTL_BLOB_STORE", ".flowctl/blobs", "blob store URL or folder"),
    Setting("provider.name", "FLOWCTL_PROVIDER", "local", "where task attempts run: local or kubernetes"),
    Setting("provider.kubernetes.kubeconfig", "KUBECONFIG", None, "kubeconfig path (in-cluster when unset)"),
    Setting("provider.kubernetes.context", "FLOWCTL_KUBE_CONTEXT", None, "kubeconfig context"),
    Setting("provider.kubernetes.default_image", "FLOWCTL_DEFAULT_IMAGE", None, "task image on kubernetes"),
    Setting("provider.kubernetes.namespace", None, "{project}-{domain}", "namespace template"),
    Setting("provider.kubernetes.templates", "FLOWCTL_KUBE_TEMPLATES", None, "Jinja2 template override folder"),
    Setting("provider.kubernetes.interruptible_toleration", "FLOWCTL_KUBE_INTERRUPTIBLE_TOLERATION",
            "flowctl.io/interruptible=true:NoSchedule", "toleration of interruptible=True tasks (key=value:Effect)"),
    Setting("provider.kubernetes.interruptible_node_selector", "FLOWCTL_KUBE_INTERRUPTIBLE_NODE_SELECTOR", None,
            "node selector of interruptible=True tasks (key=value,key2=value2)"),
    Setting("provider.kubernetes.default_requests", "FLOWCTL_KUBE_DEFAULT_REQUESTS", "cpu=250m,memory=256Mi",
            "requests of a task without any (LimitRange defaultRequest)"),
    Setting("provider.kubernetes.default_limits", "FLOWCTL_KUBE_DEFAULT_LIMITS", "cpu=1,memory=1Gi",
            "limits of a task without any (LimitRange default)"),
    Setting("provider.kubernetes.pending_timeout", "FLOWCTL_KUBE_PENDING_TIMEOUT", "60",
            "seconds a pod may stay uncreatable, unschedulable or unpullable"),
    Setting("provider.kubernetes.job_ttl", "FLOWCTL_KUBE_JOB_TTL", "3600", "ttlSecondsAfterFinished of task Jobs"),
    Setting("provider.kubernetes.blob_store_secret", "FLOWCTL_KUBE_BLOB_STORE_SECRET", None,
            "Secret whose keys become the pods' environment (blob store credentials)"),
    Setting("provider.kubernetes.allow_local_blob_store", "FLOWCTL_KUBE_ALLOW_LOCAL_BLOB_STORE", "false",
            "allow a local-folder blob store with kubernetes (single-node clusters only)"),
    Setting("cache.dir", "FLOWCTL_CACHE_DIR", ".flowctl/cache", "local run cache folder"),
    Setting("manifests.path", "FLOWCTL_MANIFESTS", None,
            "manifest file or folder of plan, apply and drift when no PATH is given"),
    Setting("locks.max_ttl", "FLOWCTL_MAX_LOCK_TTL", "300",
            "flowctl server: longest registry lock TTL (seconds) a client may ask for"),
    Setting("auth.enabled", "FLOWCTL_SERVER_AUTH", "false",
            "flowctl server: require tokens / OIDC sign-in (false: loopback clients only, unauthenticated)"),
    Setting("auth.session_secret", "FLOWCTL_SESSION_SECRET", None,
            "flowctl server: key that signs console session cookies (unset: a new one per start)"),
    Setting("auth.oidc.issuer", "FLOWCTL_OIDC_ISSUER", None, "OIDC issuer URL (enables OIDC sign-in)"),
    Setting("auth.oidc.jwks_url", "FLOWCTL_OIDC_JWKS_URL", None,
            "OIDC JWKS URL (default: from the issuer's discovery document)"),
    Setting("auth.oidc.audience", "FLOWCTL_OIDC_AUDIENCE", None, "OIDC audience (aud) of accepted JWTs"),
    Setting("auth.oidc.groups_claim", "FLOWCTL_OIDC_GROUPS_CLAIM", "groups", "JWT claim listing the groups"),
    Setting("auth.oidc.roles", "FLOWCTL_OIDC_ROLES", None,
            "groups -> roles: GROUP=ROLE[@PROJECT[/DOMAIN]],... (inline table in flowctl.toml)"),
    Setting("auth.oidc.client_id", "FLOWCTL_OIDC_CLIENT_ID", None, "OIDC client id of the console sign-in"),
    Setting("auth.oidc.client_secret", "FLOWCTL_OIDC_CLIENT_SECRET", None,
            "OIDC client secret (unset: a public client, PKCE only)"),
)
_BY_KEY = {s.key: s for s in SETTINGS}


@dataclass(frozen=True)
class ResolvedSetting:
    key: str
    value: str | None
    origin: str  # "flag", "env FLOWCTL_REGISTRY", "flowctl.toml", "pyproject.toml", "default"


def find_config_file(start: Path) -> Path | None:
    """The nearest flowctl.toml, or pyproject.toml with a [tool.flowctl] table, from ``start`` upwards."""
    for folder in (start, *start.parents):
        candidate = folder / "flowctl.toml"
        if candidate.is_file():
            return candidate
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and "tool" in _read_toml(pyproject) and "flowctl" in _read_toml(pyproject)["tool"]:
            return pyproject
    return None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ManifestError(f"Invalid TOML in {path}", detail=str(exc), source=str(path)) from None


def _file_table(path: Path) -> dict[str, Any]:
    data = _read_toml(path)
    if path.name == "pyproject.toml":
        table = data.get("tool", {}).get("flowctl", {})
        return table if isinstance(table, dict) else {}
    return data


def _lookup(table: dict[str, Any], dotted: str) -> str | None:
    """The value at ``dotted``; an inline table of scalars (``{cpu = "1"}``) reads as ``cpu=1``."""
    node: Any = table
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    if isinstance(node, dict):
        if any(isinstance(v, dict | list) for v in node.values()):
            return None
        return ",".join(f"{k}={v}" for k, v in node.items())
    if isinstance(node, bool):
        return "true" if node else "false"
    return str(node)


def unknown_keys(table: dict[str, Any], prefix: str = "") -> list[str]:
    """Dotted keys of ``table`` that are no setting (an inline table of a setting is its value)."""
    found: list[str] = []
    for key, value in table.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict) and any(k.startswith(dotted + ".") for k in _BY_KEY):
            found += unknown_keys(value, dotted + ".")  # a table of settings (``[auth]``)
        elif dotted not in _BY_KEY:
            found.append(dotted)
    return found


def unknown_key_warning(file: Path, key: str) -> str:
    """``flowctl.toml: unknown setting `registry.uri` (ignored); did you mean `registry.url`?``"""
    nearest = difflib.get_close_matches(key, list(_BY_KEY), n=1, cutoff=0.6)
    hint = f"did you mean `{nearest[0]}`?" if nearest else "`flowctl config show` lists the settings."
    return f"Warning: {file}: unknown setting `{key}` (ignored); {hint}"


_WARNED: set[Path] = set()  # files whose unknown keys were reported in this process


class Config:
    """Resolved settings for one invocation. ``root`` is the folder relative paths are taken from.

    Args:
        flags: command-line values by file key (``{"registry.url": "..."}``); None is "not given".
        cwd: the current folder (default: the process's).
        manifest: the manifest file or folder the command was given; its folder is searched for the
            settings file first.
    """

    def __init__(self, *, flags: dict[str, str | None] | None = None, cwd: Path | None = None,
                 manifest: Path | None = None) -> None:
        self.cwd = (cwd or Path.cwd()).resolve()
        start = (self.cwd / manifest).resolve() if manifest is not None else None
        if start is not None and not start.is_dir():
            start = start.parent
        self.file = (find_config_file(start) if start is not None else None) or find_config_file(self.cwd)
        self.root = self.file.parent if self.file else self.cwd
        table = _file_table(self.file) if self.file else {}
        self.unknown_keys = tuple(unknown_keys(table))
        if self.file is not None and self.unknown_keys and self.file not in _WARNED:
            _WARNED.add(self.file)
            for key in self.unknown_keys:
                sys.stderr.write(unknown_key_warning(self.file, key) + "\n")
        flags = flags or {}
        self._resolved: dict[str, ResolvedSetting] = {}
        for setting in SETTINGS:
            self._resolved[setting.key] = self._resolve(setting, flags.get(setting.key), table)

    def _resolve(self, setting: Setting, flag: str | None, table: dict[str, Any]) -> ResolvedSetting:
        if flag is not None:
            return ResolvedSetting(setting.key, flag, "flag")
        if setting.env and os.environ.get(setting.env):
            return ResolvedSetting(setting.key, os.environ[setting.env], f"env {setting.env}")
        from_file = _lookup(table, setting.key)
        if from_file is not None and self.file is not None:
            return ResolvedSetting(setting.key, from_file, self.file.name)
        return ResolvedSetting(setting.key, setting.default, "default")

    def get(self, key: str) -> str | None:
        return self._resolved[key].value

    def origin(self, key: str) -> str:
        """Where the value of ``key`` came from (``flag``, ``env NAME``, ``flowctl.toml``, ``default``)."""
        return self._resolved[key].origin

    def resolved(self) -> list[ResolvedSetting]:
        return list(self._resolved.values())

    @property
    def registry_url(self) -> str:
        """The registry URL; a relative SQLite path is taken from the manifest root. An impossible
        SQLite path is an InputError here, before any command opens it."""
        from flowctl._registry_url import check_registry_url

        url = self.get("registry.url") or _BY_KEY["registry.url"].default or ""
        prefix = "sqlite:///"
        if url.startswith(prefix) and not url.startswith(prefix + "/") and url != "sqlite:///:memory:":
            return check_registry_url(prefix + str(self.root / url[len(prefix):]))
        return check_registry_url(url)

    @property
    def server_url(self) -> str | None:
        """The flowctl server the commands work through, or None (they open the registry themselves).

        A ``--registry`` flag wins: the command opens that database directly."""
        if self.origin("registry.url") == "flag":
            return None
        return self.get("server") or None

    @property
    def blob_store_url(self) -> str:
        url = self.get("blob_store.url") or ".flowctl/blobs"
        return url if "://" in url or url.startswith("/") else str(self.root / url)

    @property
    def cache_dir(self) -> Path:
        return self.root / (self.get("cache.dir") or ".flowctl/cache")

    @property
    def manifest_path(self) -> Path | None:
        """``manifests.path`` (relative to ``root``), or None when it is not set."""
        value = self.get("manifests.path")
        return self.root / value if value else None

    def manifests(self, path: Path | None, *, default_to_cwd: bool = True) -> Path | None:
        """Where a command loads manifests from: ``path`` when given, else ``manifests.path``,
        else the current folder (or None with ``default_to_cwd=False``)."""
        if path is not None:
            return path
        return self.manifest_path or (self.cwd if default_to_cwd else None)

