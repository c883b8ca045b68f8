"""Who and where: the user, host and CI run recorded in the apply history and on locks."""

from __future__ import annotations

import getpass
import os
import socket
from collections.abc import Mapping
from typing import Any

from flowctl.state._interface import ApplyRecord, LockInfo
from flowctl.state._types import utcnow


def current_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry in some containers
        return os.environ.get("USER", "unknown")


def current_host() -> str:
    return socket.gethostname() or "unknown"


def holder() -> str:
    """``user@host:pid``: who holds a lock."""
    return f"{current_user()}@{current_host()}:{os.getpid()}"


def ci_run_url(environ: Mapping[str, str] | None = None) -> str | None:
    """The URL of the CI run this process belongs to, if any (GitHub Actions, GitLab, Buildkite, Jenkins)."""
    env = os.environ if environ is None else environ
    server, repo, run = env.get("GITHUB_SERVER_URL"), env.get("GITHUB_REPOSITORY"), env.get("GITHUB_RUN_ID")
    if server and repo and run:
        return f"{server}/{repo}/actions/runs/{run}"
    for key in ("CI_JOB_URL", "BUILDKITE_BUILD_URL", "BUILD_URL", "CIRCLE_BUILD_URL"):
        if env.get(key):
            return env[key]
    return None


def lock_info(operation: str, info: str = "") -> LockInfo:
    """A LockInfo for this process (holder ``user@host:pid``)."""
    return LockInfo(operation=operation, holder=holder(), info=info)


def new_apply_record(
    operation: str,
    *,
    plan: dict[str, Any],
    desired_state: dict[str, Any],
    summary: str = "",
    environ: Mapping[str, str] | None = None,
) -> ApplyRecord:
    """An ApplyRecord for this process; ``serial`` and ``lineage`` are set by ``record_apply``."""
    return ApplyRecord(
        serial=0,
        lineage="",
        applied_at=utcnow(),
        user=current_user(),
        host=current_host(),
        ci_run_url=ci_run_url(environ),
        operation=operation,
        plan=plan,
        desired_state=desired_state,
        summary=summary,
    )
