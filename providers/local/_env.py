"""What a local attempt's process sees of the environment: what it declares, plus a short allow-list.

The controller's own environment holds the registry URL (with its password), cloud credentials and
whatever else its operator exported; none of it reaches a task unless named here:

* the allow-list :data:`ALLOWED` / :data:`ALLOWED_PREFIXES` (what a process needs to run at all:
  PATH, HOME, locale, time zone, temporary folder, where Python and flowctl find their code and
  bundle cache), plus what the operator adds with ``FLOWCTL_LOCAL_ENV_ALLOW`` (comma-separated
  names, ``PREFIX_*`` for a prefix);
* the credential variables of the blob store's protocol (:data:`BLOB_STORE_CREDENTIALS`: ``AWS_*``
  for ``s3://``, ``GOOGLE_*`` for ``gs://``, ``AZURE_*`` for ``az://``), and only for a remote blob
  store: the attempt reads its inputs and writes its outputs there itself, as a Kubernetes pod does
  with ``provider.kubernetes.blob_store_secret``;
* the project-domain's and the task's declared ``environment``;
* the declared secrets: a secret ``group``/``key`` is read from the controller's variable
  ``FLOWCTL_SECRET_{GROUP}_{KEY}`` (upper case, other characters as ``_``) and given to the task
  as its ``env_var`` (or under that same name); a ``group`` without a key passes every
  ``FLOWCTL_SECRET_{GROUP}_*`` variable. On Kubernetes the same request reads the Secret instead;
* the attempt's own ``FLOWCTL_ATTEMPT`` (project/domain/execution/node/attempt).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping, Sequence

ALLOWED = (
    "PATH", "HOME", "USER", "LOGNAME", "LANG", "LANGUAGE", "TZ", "TMPDIR", "TEMP", "TMP", "TERM",
    "PYTHONPATH", "VIRTUAL_ENV", "SYSTEMROOT", "XDG_CACHE_HOME", "FLOWCTL_BUNDLE_CACHE",
)
ALLOWED_PREFIXES = ("LC_",)
EXTRA_ALLOW_ENV = "FLOWCTL_LOCAL_ENV_ALLOW"
BLOB_STORE_CREDENTIALS: dict[str, tuple[str, ...]] = {
    "s3": ("AWS_*",), "s3a": ("AWS_*",), "gs": ("GOOGLE_*", "GCLOUD_*"), "gcs": ("GOOGLE_*", "GCLOUD_*"),
    "az": ("AZURE_*",), "abfs": ("AZURE_*",), "abfss": ("AZURE_*",),
}
SECRET_PREFIX = "FLOWCTL_SECRET_"
_ENV_INVALID = re.compile(r"[^A-Za-z0-9_]")


class MissingSecret(Exception):
    """A declared secret has no value in the controller's environment."""


def secret_variable(group: str, key: str | None = None) -> str:
    """``FLOWCTL_SECRET_{GROUP}_{KEY}``: where a local secret's value comes from (and its default name)."""
    name = f"{SECRET_PREFIX}{group}_{key}" if key else f"{SECRET_PREFIX}{group}_"
    return _ENV_INVALID.sub("_", name).upper()


def _allowed(name: str, extra: Sequence[str]) -> bool:
    if name in ALLOWED or name.startswith(ALLOWED_PREFIXES):
        return True
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in extra)


def blob_store_patterns(blob_store: str) -> tuple[str, ...]:
    """The variables that carry the credentials of ``blob_store``'s protocol (none for a local folder)."""
    protocol, sep, _ = blob_store.partition("://")
    return BLOB_STORE_CREDENTIALS.get(protocol.lower(), ()) if sep else ()


def passthrough(controller_env: Mapping[str, str], blob_store: str = "") -> dict[str, str]:
    """The controller variables on the allow-list, ``FLOWCTL_LOCAL_ENV_ALLOW``'s and the blob store's credentials."""
    extra = [p.strip() for p in controller_env.get(EXTRA_ALLOW_ENV, "").split(",") if p.strip()]
    extra += blob_store_patterns(blob_store)
    return {k: v for k, v in controller_env.items() if _allowed(k, extra)}


def secret_values(task: Mapping[str, object], controller_env: Mapping[str, str]) -> dict[str, str]:
    """The task's declared secrets, from the controller's ``FLOWCTL_SECRET_*`` variables."""
    values: dict[str, str] = {}
    requests = task.get("secret_requests") or ()
    for request in requests if isinstance(requests, list | tuple) else ():
        group, key = str(request["group"]), request.get("key")
        if not key:
            prefix = secret_variable(group)
            values.update({k: v for k, v in controller_env.items() if k.startswith(prefix)})
            continue
        source = secret_variable(group, str(key))
        if source not in controller_env:
            raise MissingSecret(
                f"secret {group}/{key} requested by task {task.get('name')!r} has no value: set {source} in the "
                "environment of `flowctl controller` (the local provider reads secrets from there)")
        values[str(request.get("env_var") or source)] = controller_env[source]
    return values


def attempt_environment(task: Mapping[str, object], declared: Mapping[str, str], controller_env: Mapping[str, str],
                        own: Mapping[str, str], *, blob_store: str = "") -> dict[str, str]:
    """The whole environment of an attempt process (see the module docstring); raises MissingSecret."""
    return {**passthrough(controller_env, blob_store), **declared, **secret_values(task, controller_env), **own}
