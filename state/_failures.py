"""The one StoreError a failed database call becomes, for every way flowctl talks to the registry.

The SQLAlchemy stores (``_engine.translate_errors``) and the plain DB-API reader of ``flowctl get``
(``_browser``) both build it here, so a registry that cannot be reached, read or opened reads the
same whichever path met it: what failed and where (the masked URL), the driver's first line, and
what to check. No SQLAlchemy here.
"""

from __future__ import annotations

from flowctl._errors import StoreError
from flowctl._redact import mask_url


def cause_text(error: BaseException, password: str | None) -> str:
    """The first line of the driver's message, without the password."""
    text = str(error).strip()
    line = text.splitlines()[0] if text else type(error).__name__
    return line.replace(password, "***") if password else line


def store_error(url: str, action: str, cause: str) -> StoreError:
    """``Cannot <action> the registry at <masked url>``, the cause and a hint."""
    return StoreError(f"Cannot {action} the registry at {mask_url(url)}", detail=f"{cause}\n{hint(cause)}")


def hint(cause: str) -> str:
    lowered = cause.lower()
    if "password" in lowered or "authentication" in lowered:
        return "Check the user and password in the registry URL (--registry or FLOWCTL_REGISTRY)."
    if "does not exist" in lowered and "database" in lowered:
        return "Create the database (e.g. `createdb NAME`) or fix its name in the registry URL."
    if "connect" in lowered or "timeout" in lowered or "refused" in lowered or "resolve" in lowered:
        return "Check that the database server is running and reachable at that host and port."
    if "disk is full" in lowered or "no space left" in lowered:
        return "The disk that holds the registry is full: free space there (`df -h` shows how much is left)."
    if "locked" in lowered or "busy" in lowered:
        return "Another process holds the SQLite database; retry when it has finished."
    if "not a database" in lowered or "unable to open" in lowered:
        return "Check that the path points to a flowctl registry file and that it is readable."
    return "Check the registry URL and that the database is reachable; run with --debug for details."
